"""Sliding-window geometry: output size, padding and the NHWC layout (lesson 03).

Everything a convolution or a pooling window needs to know about *where* it slides,
in one place: :func:`output_size` (the output-size formula), :func:`same_padding`
(TensorFlow's ``"same"`` rule), :func:`resolve_padding` (any padding argument to
``(before, after)`` on one axis), :func:`parse_padding` (a 2-D padding argument to
``((top, bottom), (left, right))``), :func:`pad2d` (pad the two spatial axes) and
:func:`to_nhwc` / :func:`from_nhwc` (bring any layout to a batch and back).

:mod:`cnn_course.conv`, :mod:`cnn_course.pooling`, the backward passes and the widgets
all use these functions, so the formula is written once.

See Also
--------
cnn_course.conv.conv2d, cnn_course.pooling.pool2d : the sliding windows these sizes describe.
cnn_course.receptive_field : how far the windows of a stack of layers see.

References
----------
.. [1] V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
   arXiv:1603.07285, 2016. (Output sizes for every combination of padding, stride
   and dilation, with pictures.)
.. [2] TensorFlow, "tf.nn.convolution: padding" (the ``"same"`` rule),
   https://www.tensorflow.org/api_docs/python/tf/nn#notes_on_padding_2
"""
from __future__ import annotations

import numbers
from typing import Union

import numpy as np

from ._validation import check_choice, check_int, check_pair, check_real_array, check_size

__all__ = ["output_size", "same_padding", "resolve_padding", "parse_padding", "check_window_fits",
           "valid_counts", "pad2d", "to_nhwc", "from_nhwc", "IntOrPair", "Padding"]

IntOrPair = Union[int, tuple[int, int]]
Padding = Union[str, int, tuple[int, int], tuple[tuple[int, int], tuple[int, int]]]

_PADDING_HELP = ('"valid", "same", an int >= 0, a pair (pad_h, pad_w) or '
                 '((top, bottom), (left, right)) of ints >= 0')


# ----------------------------------------------------------------------------- sizes
def output_size(n: int, kernel_size: int, stride: int = 1, padding: Padding = 0,
                dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis.

    ``out = floor((n + p_total - d*(k - 1) - 1) / s) + 1``

    where ``d*(k - 1) + 1`` is the *effective* (dilated) kernel size: the last window
    starts at most ``n + p_total - (d*(k - 1) + 1)`` cells after the first, and windows
    start every ``s`` cells.

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

    See Also
    --------
    same_padding : the padding of ``"same"``.
    check_window_fits : the check behind the ``ValueError``.

    References
    ----------
    .. [1] V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep
       learning", arXiv:1603.07285, 2016.

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
    check_window_fits("kernel_size", n, k, before, after, dilation=d)
    return (n + before + after - (d * (k - 1) + 1)) // s + 1


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

    See Also
    --------
    output_size : with this padding it gives ``ceil(n / s)``.
    resolve_padding : any padding argument to ``(before, after)``.

    References
    ----------
    .. [1] TensorFlow, "tf.nn: notes on padding",
       https://www.tensorflow.org/api_docs/python/tf/nn#notes_on_padding_2

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
        ``(p, p)``; a pair is ``(before, after)``. All ints >= 0.
    n, kernel_size, stride, dilation : int
        Input length, kernel length, step and dilation on this axis (used by ``"same"``).
    name : str
        The argument's name in error messages.

    Returns
    -------
    (before, after) : tuple of int

    See Also
    --------
    parse_padding : the same for a 2-D padding argument.

    Examples
    --------
    >>> resolve_padding("same", 5, 2)
    (0, 1)
    >>> resolve_padding(2, 5, 3)
    (2, 2)
    >>> resolve_padding((0, 3), 5, 3)
    (0, 3)
    """
    if isinstance(padding, str):
        check_choice(name, padding, ("valid", "same"))
        return (0, 0) if padding == "valid" else same_padding(n, kernel_size, stride, dilation)
    if isinstance(padding, (tuple, list)):
        return check_pair(name, padding, minimum=0)
    p = check_int(name, padding, 0)
    return p, p


def check_window_fits(name: str, n: int, kernel_size: int, before: int = 0, after: int = 0,
                      dilation: int | None = None, axis: str = "") -> None:
    """Raise a ``ValueError`` if a window does not fit in the padded input on one axis.

    The window spans ``d*(k - 1) + 1`` cells; it fits when that is at most
    ``n + before + after``, i.e. when :func:`output_size` is at least 1.

    Parameters
    ----------
    name : str
        The window's argument in messages (``"kernel"``, ``"pool_size"``).
    n, kernel_size, before, after : int
        Input length, window length and padding on this axis.
    dilation : int or None
        Spacing between taps; ``None`` for windows without dilation (pooling), which
        leaves it out of the message.
    axis : str
        ``"height"``/``"width"`` for the message, or ``""``.

    See Also
    --------
    output_size : the size once the window fits.

    Examples
    --------
    >>> check_window_fits("pool_size", 4, 3)
    >>> check_window_fits("pool_size", 2, 3, axis="height")
    Traceback (most recent call last):
    ValueError: pool_size height 3 is larger than the padded input height 2 + 0 = 2; it must be <= 2 (use a smaller window, more padding or padding="same")
    """
    d = 1 if dilation is None else dilation
    span = d * (kernel_size - 1) + 1
    padded = n + before + after
    if span <= padded:
        return
    where = f" {axis}" if axis else ""
    what = (f"{name}{where} {kernel_size} is larger" if dilation is None else
            f"{name}{where} {kernel_size} with dilation {d} spans {span} pixels, larger")
    raise ValueError(f"{what} than the padded input{where} {n} + {before + after} = {padded}; "
                     f"it must be <= {padded} (use a smaller window, more padding or "
                     f'padding="same")')


def valid_counts(n: int, kernel_size: int, stride: int, before: int, out: int) -> np.ndarray:
    """Number of non-padding cells in each of the ``out`` windows along one axis.

    Window ``i`` covers input cells ``i*s - before ... i*s - before + k - 1``; the count
    is that range cut to ``0 ... n - 1``. Average pooling divides by it (padding is not
    counted, as in TensorFlow).

    See Also
    --------
    cnn_course.pooling.pool2d : average pooling divides by these counts.

    Examples
    --------
    >>> valid_counts(5, 2, 2, 0, 3)       # "same" on 5 cells: the last window holds one cell
    array([2, 2, 1])
    """
    start = np.arange(out) * stride - before
    return np.minimum(start + kernel_size, n) - np.maximum(start, 0)


# ----------------------------------------------------------------------------- padding
def parse_padding(padding: object, name: str = "padding") -> tuple[tuple[int, int], tuple[int, int]] | str:
    """Normalise a 2-D padding argument to ``((top, bottom), (left, right))``.

    ``"valid"`` and ``"same"`` pass through unchanged (they depend on the sizes: see
    :func:`resolve_padding`); an int ``p`` becomes ``((p, p), (p, p))``; a pair
    ``(pad_h, pad_w)`` becomes ``((pad_h, pad_h), (pad_w, pad_w))``; a pair of pairs is
    checked and returned as tuples. All ints >= 0.

    See Also
    --------
    resolve_padding : the same for one axis, ``"same"`` included.

    Examples
    --------
    >>> parse_padding(1)
    ((1, 1), (1, 1))
    >>> parse_padding((1, 2))
    ((1, 1), (2, 2))
    >>> parse_padding([[0, 1], [2, 3]])
    ((0, 1), (2, 3))
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

    ``out[..., top + i, left + j, ...] = x[..., i, j, ...]``; the new border rows and
    columns are filled as ``mode`` says.

    Parameters
    ----------
    x : array of shape (H, W), (H, W, C) or (N, H, W, C)
        Any real dtype, not empty.
    pad : int, (pad_h, pad_w) or ((top, bottom), (left, right))
        Number of rows/columns added on each side (ints >= 0). The result may hold at
        most :data:`cnn_course._validation.MAX_ELEMENTS` values (checked first).
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

    Raises
    ------
    TypeError
        Non-numeric or complex ``x``; ``pad`` a string; ``value`` not a real number.
    ValueError
        Wrong number of dimensions, empty ``x``, negative ``pad``, unknown ``mode``, a
        fill value the dtype cannot hold, or a result over the size limit.

    See Also
    --------
    numpy.pad : the general function (any axes, more modes).
    same_padding : how much ``"same"`` pads.

    References
    ----------
    .. [1] R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., Pearson,
       2018, chapter 3 (padding for spatial filtering).

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
    x = check_real_array("x", x, (2, 3, 4))
    spec = parse_padding(pad, "pad")
    if isinstance(spec, str):
        raise TypeError("pad must be an int >= 0, a pair (pad_h, pad_w) or "
                        f"((top, bottom), (left, right)) of ints >= 0; got {pad!r}")
    mode = check_choice("mode", mode, ("constant", "edge", "reflect"))
    h_axis = 1 if x.ndim == 4 else 0
    widths = [(0, 0)] * x.ndim
    widths[h_axis], widths[h_axis + 1] = spec
    check_size("pad", [n + b + a for n, (b, a) in zip(x.shape, widths)], "the padded array",
               "pad by fewer rows/columns")
    if mode == "constant":
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"value must be a real number, got {value!r}")
        if np.issubdtype(x.dtype, np.integer):
            info = np.iinfo(x.dtype)
            if value != int(value) or not info.min <= value <= info.max:
                raise ValueError(f"value must be an integer in [{info.min}, {info.max}] for an "
                                 f"image of dtype {x.dtype}, got {value!r} (convert the image "
                                 f"to float first to pad with it)")
        elif np.isnan(value):
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

    See Also
    --------
    from_nhwc : the way back.

    Examples
    --------
    >>> to_nhwc(np.zeros((5, 6))).shape, to_nhwc(np.zeros((5, 6, 3))).shape
    ((1, 5, 6, 1), (1, 5, 6, 3))
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

    See Also
    --------
    to_nhwc : the way there.

    Examples
    --------
    >>> from_nhwc(np.zeros((1, 5, 6, 1)), 2).shape
    (5, 6)
    """
    if ndim == 2:
        return out4[0, :, :, 0]
    if ndim == 3:
        return out4[0]
    return out4
