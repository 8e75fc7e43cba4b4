"""Sliding-window geometry: output size, padding and the NHWC layout (lesson 03).

Everything a convolution or a pooling window needs to know about *where* it slides,
in one place: :func:`output_size` (the output-size formula), :func:`same_padding`
(TensorFlow's ``"same"`` rule), :func:`resolve_padding` (any padding argument to
``(before, after)`` on one axis), :func:`parse_padding` (a 2-D padding argument to
``((top, bottom), (left, right))``), :func:`pad2d` (pad the two spatial axes) and
:func:`to_nhwc` / :func:`from_nhwc` (bring any layout to a batch and back).

:mod:`cnn_course.conv`, :mod:`cnn_course.pooling`, the backward passes and the widgets
all use these functions, so the formula is written once.

References
----------
.. [1] V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
   arXiv:1603.07285, 2016.
.. [2] TensorFlow, "tf.nn.convolution: padding" (the ``"same"`` rule),
   https://www.tensorflow.org/api_docs/python/tf/nn#notes_on_padding_2
"""
from __future__ import annotations

import numbers
from typing import Union

import numpy as np

from ._validation import check_array, check_choice, check_int, check_pair

__all__ = ["output_size", "same_padding", "resolve_padding", "parse_padding", "pad2d",
           "to_nhwc", "from_nhwc", "IntOrPair", "Padding"]

IntOrPair = Union[int, tuple[int, int]]
Padding = Union[str, int, tuple[int, int], tuple[tuple[int, int], tuple[int, int]]]

_PADDING_HELP = ('"valid", "same", an int >= 0, a pair (pad_h, pad_w) or '
                 '((top, bottom), (left, right)) of ints >= 0')


# ----------------------------------------------------------------------------- sizes
def same_padding(n: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """Padding ``(before, after)`` that TensorFlow's ``padding="same"`` adds on one axis.

    ``out = ceil(n / s)``; ``p_total = max((out - 1)*s + d*(k - 1) + 1 - n, 0)``;
    ``before = p_total // 2`` and ``after = p_total - before``: when the total is
    odd the extra row/column goes at the **bottom/right**, exactly as in TensorFlow.

    Parameters
    ----------
    n : int
        Input length along the axis (>= 1).
    kernel_size, stride, dilation : int
        Kernel length, step and dilation along the axis (all >= 1).

    Returns
    -------
    (before, after) : tuple of int

    Examples
    --------
    >>> same_padding(5, 3)
    (1, 1)
    >>> same_padding(6, 4, stride=2)      # total 2 -> one on each side
    (1, 1)
    >>> same_padding(5, 2)                # total 1 -> the extra one at the end
    (0, 1)
    """
    n = check_int("n", n, 1)
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    d = check_int("dilation", dilation, 1)
    out = -(-n // s)  # ceil(n / s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def resolve_padding(padding: object, n: int, kernel_size: int, stride: int = 1, dilation: int = 1,
                    name: str = "padding") -> tuple[int, int]:
    """Padding ``(before, after)`` on one axis, from any one-axis padding argument.

    Parameters
    ----------
    padding : "valid", "same", int or pair
        ``"valid"`` is ``(0, 0)``; ``"same"`` is :func:`same_padding`; an int ``p`` is
        ``(p, p)``; a pair is ``(before, after)``.
    n, kernel_size, stride, dilation : int
        Input length, kernel length, step and dilation on this axis (used by ``"same"``).
    name : str
        The argument's name in error messages.

    Returns
    -------
    (before, after) : tuple of int

    Examples
    --------
    >>> resolve_padding("same", 5, 2)
    (0, 1)
    >>> resolve_padding(2, 5, 3)
    (2, 2)
    """
    n, k, s, d = n, kernel_size, stride, dilation
    if isinstance(padding, str):
        check_choice(name, padding, ("valid", "same"))
        return (0, 0) if padding == "valid" else same_padding(n, k, s, d)
    if isinstance(padding, (tuple, list)):
        before, after = check_pair(name, padding, minimum=0)
        return before, after
    p = check_int(name, padding, 0)
    return p, p


def output_size(n: int, kernel_size: int, stride: int = 1, padding: Padding = 0,
                dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis.

    ``out = floor((n + p_total - d*(k - 1) - 1) / s) + 1``

    where ``d*(k - 1) + 1`` is the *effective* (dilated) kernel size.

    Parameters
    ----------
    n : int
        Input length (>= 1).
    kernel_size : int
        Kernel length ``k`` (>= 1).
    stride : int
        Step ``s`` between windows (>= 1).
    padding : int, pair, "valid" or "same"
        An int ``p`` pads ``p`` on **both** sides (``p_total = 2p``), as
        ``conv2d(padding=p)`` does; a pair ``(before, after)`` pads unevenly (this function
        works on one axis, so its pair is before/after, where ``conv2d``'s pair is per axis);
        ``"valid"`` is no padding and ``"same"`` is TensorFlow's rule
        (:func:`same_padding`), which gives ``ceil(n / s)``.
    dilation : int
        Spacing ``d`` between kernel taps (>= 1).

    Returns
    -------
    int
        The output length (>= 1).

    Raises
    ------
    ValueError
        If the effective kernel is larger than the padded input.

    Examples
    --------
    >>> output_size(28, 3)                      # valid: 28 - 3 + 1
    26
    >>> output_size(28, 3, padding=1)           # "same" size for a 3x3 kernel
    28
    >>> output_size(32, 5, stride=2, padding="same")
    16
    >>> output_size(7, 3, dilation=2)           # effective kernel 5
    3
    """
    n = check_int("n", n, 1)
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    d = check_int("dilation", dilation, 1)
    before, after = resolve_padding(padding, n, k, s, d)
    effective = d * (k - 1) + 1
    padded = n + before + after
    if effective > padded:
        raise ValueError(
            f"kernel_size {k} with dilation {d} spans {effective} pixels, larger than the "
            f"padded input ({n} + {before + after} padding = {padded}); use a smaller kernel "
            f"or more padding (kernel span must be <= {padded})")
    return (padded - effective) // s + 1


# ----------------------------------------------------------------------------- padding
def parse_padding(padding: object, name: str = "padding") -> tuple[tuple[int, int], tuple[int, int]] | str:
    """Normalise a 2-D padding argument to ``((top, bottom), (left, right))``.

    ``"valid"`` and ``"same"`` pass through unchanged (they depend on the sizes: see
    :func:`resolve_padding`); an int ``p`` becomes ``((p, p), (p, p))``; a pair
    ``(pad_h, pad_w)`` becomes ``((pad_h, pad_h), (pad_w, pad_w))``.

    Examples
    --------
    >>> parse_padding(1)
    ((1, 1), (1, 1))
    >>> parse_padding((1, 2))
    ((1, 1), (2, 2))
    >>> parse_padding("same")
    'same'
    """
    if isinstance(padding, str):
        return check_choice(name, padding, ("valid", "same"))
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        p = check_int(name, padding, 0)
        return (p, p), (p, p)
    if isinstance(padding, (tuple, list, np.ndarray)) and len(padding) == 2:
        a, b = padding
        if all(isinstance(v, (tuple, list, np.ndarray)) for v in (a, b)):
            return check_pair(name, tuple(a), minimum=0), check_pair(name, tuple(b), minimum=0)
        if not any(isinstance(v, (tuple, list, np.ndarray)) for v in (a, b)):
            ph, pw = check_pair(name, (a, b), minimum=0)
            return (ph, ph), (pw, pw)
    if isinstance(padding, bool) or not isinstance(padding, (tuple, list, np.ndarray)):
        raise TypeError(f"{name} must be {_PADDING_HELP}; got {padding!r}")
    raise ValueError(f"{name} must be {_PADDING_HELP}; got {padding!r}")


def pad2d(x: np.ndarray, pad: Padding, mode: str = "constant", value: float = 0) -> np.ndarray:
    """Pad the two spatial axes of an image or a batch.

    Parameters
    ----------
    x : array of shape (H, W), (H, W, C) or (N, H, W, C)
    pad : int, (pad_h, pad_w) or ((top, bottom), (left, right))
        Number of rows/columns added on each side (ints >= 0).
    mode : {"constant", "edge", "reflect"}
        ``"constant"`` fills with ``value``; ``"edge"`` repeats the border pixel;
        ``"reflect"`` mirrors without repeating the border (``d c b | a b c d | c b a``),
        like ``np.pad(mode="reflect")`` and OpenCV's ``BORDER_REFLECT_101``.
    value : float
        Fill value for ``mode="constant"``; for an integer image an integer that its dtype
        can hold (a ``ValueError`` otherwise, never a silent wrap-around such as 300 -> 44 in
        ``uint8``). ``-inf`` is allowed (max pooling pads with it), NaN is not.

    Returns
    -------
    array of shape (..., H + top + bottom, W + left + right, ...), same dtype as ``x``.

    Examples
    --------
    >>> pad2d(np.array([[1, 2], [3, 4]]), 1)
    array([[0, 0, 0, 0],
           [0, 1, 2, 0],
           [0, 3, 4, 0],
           [0, 0, 0, 0]])
    >>> pad2d(np.array([[1, 2, 3]]), ((0, 0), (2, 2)), mode="reflect")
    array([[3, 2, 1, 2, 3, 2, 1]])
    """
    x = check_array("x", x, (2, 3, 4))
    spec = parse_padding(pad, "pad")
    if isinstance(spec, str):
        raise TypeError("pad must be an int >= 0, a pair (pad_h, pad_w) or "
                        f"((top, bottom), (left, right)) of ints >= 0; got {pad!r}")
    mode = check_choice("mode", mode, ("constant", "edge", "reflect"))
    h_axis = 1 if x.ndim == 4 else 0
    widths = [(0, 0)] * x.ndim
    widths[h_axis], widths[h_axis + 1] = spec
    if mode == "constant":
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"value must be a real number, got {value!r}")
        if np.issubdtype(x.dtype, np.integer):
            info = np.iinfo(x.dtype)
            if value != int(value) or not info.min <= value <= info.max:
                raise ValueError(f"value must be an integer in [{info.min}, {info.max}] for an "
                                 f"image of dtype {x.dtype}, got {value!r} (convert the image "
                                 f"to float first to pad with it)")
        elif not np.isfinite(value) and not np.isinf(value):
            raise ValueError(f"value must not be NaN, got {value!r}")
        return np.pad(x, widths, mode="constant", constant_values=value)
    if mode == "reflect":
        for axis, (b, a) in zip((h_axis, h_axis + 1), spec):
            if x.shape[axis] == 1 and (a or b):
                # nothing to mirror on a single row/column: repeat it (same as "edge")
                widths_axis = [(0, 0)] * x.ndim
                widths_axis[axis] = (b, a)
                x = np.pad(x, widths_axis, mode="edge")
                widths[axis] = (0, 0)
    return np.pad(x, widths, mode=mode)


# ----------------------------------------------------------------------------- layout
def to_nhwc(x: np.ndarray) -> np.ndarray:
    """View an image ``(H, W)``, ``(H, W, C)`` or batch ``(N, H, W, C)`` as a batch (NHWC).

    ``(H, W)`` becomes ``(1, H, W, 1)`` and ``(H, W, C)`` becomes ``(1, H, W, C)``; no copy.
    :func:`from_nhwc` undoes it.
    """
    if x.ndim == 2:
        return x[None, :, :, None]
    if x.ndim == 3:
        return x[None]
    return x


def from_nhwc(out4: np.ndarray, ndim: int) -> np.ndarray:
    """Drop the batch/channel axes that an input of ``ndim`` dimensions did not have.

    The inverse of :func:`to_nhwc`: ``ndim=2`` gives ``(H', W')`` (channel 0 of image 0),
    ``ndim=3`` gives ``(H', W', C')`` and ``ndim=4`` returns ``out4`` unchanged.
    """
    if ndim == 2:
        return out4[0, :, :, 0]
    if ndim == 3:
        return out4[0]
    return out4
