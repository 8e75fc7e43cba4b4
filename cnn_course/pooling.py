"""Pooling in NumPy: what ``MaxPooling2D``, ``AveragePooling2D`` and friends compute.

Each ``ph x pw`` window of every channel is summarised by one number; with ``V`` the
window's *valid* (non-padding) cells:

- ``"max"``: ``max_{V} x`` (``keras.layers.MaxPooling2D``)
- ``"avg"``: ``(1/|V|) * sum_{V} x`` (``keras.layers.AveragePooling2D``)
- ``"l2"``:  ``sqrt((1/|V|) * sum_{V} x**2)`` (root mean square)
- ``"sum"``: ``sum_{V} x``

Read in this order: :func:`pool2d_naive` (a loop over the output pixels),
:func:`pool2d_shift_reduce` (a loop over the ``ph*pw`` window taps, each one a
vectorised step over the whole batch), :func:`pool2d` (what to call) and
:func:`global_pool` (one window as large as the image). :func:`pool_arguments` /
:class:`PoolArgs` hold the checks they share.

Layouts (NHWC, like Keras): ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``; each
channel is pooled on its own, so the output keeps the layout with smaller ``H, W``.

Dtype rule: the output is floating point, ``np.result_type(x, np.float32)``
(float32 stays float32; ``uint8`` images give float32, ``int64`` gives float64),
so sums and squares of integer pixels never overflow.

See Also
--------
cnn_course.padding : output size and ``"same"`` padding.
cnn_course.conv : the other sliding-window operation.

References
----------
.. [1] Y-L. Boureau, J. Ponce and Y. LeCun, "A theoretical analysis of feature pooling
   in visual recognition", Proceedings of the 27th International Conference on Machine
   Learning (ICML), 2010.
.. [2] D. Scherer, A. Mueller and S. Behnke, "Evaluation of pooling operations in
   convolutional architectures for object recognition", International Conference on
   Artificial Neural Networks (ICANN), LNCS 6354, pp. 92-101, 2010.
.. [3] M. Lin, Q. Chen and S. Yan, "Network in network", arXiv:1312.4400, 2013
   (global average pooling).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validation import check_choice, check_pair, check_real_array, check_size
from .padding import (IntOrPair, Padding, check_window_fits, from_nhwc, output_size,
                      parse_padding, resolve_padding, to_nhwc, valid_counts)

__all__ = ["pool2d", "pool2d_naive", "pool2d_shift_reduce", "global_pool", "pool_arguments",
           "PoolArgs", "POOL_MODES"]

POOL_MODES = ("max", "avg", "l2", "sum")


# ----------------------------------------------------------------------------- naive
def pool2d_naive(x: np.ndarray, pool_size: IntOrPair = 2, stride: IntOrPair | None = None,
                 padding: Padding = "valid", mode: str = "max") -> np.ndarray:
    """2-D pooling with explicit loops: the readable reference version.

    Same signature, layouts and results as :func:`pool2d` (see there for the
    parameters); only slower. For every output pixel ``(i, j)`` it takes the cells of
    the window that lie inside the image (padding is never counted) and reduces them.

    See Also
    --------
    pool2d : the same result, fast.

    Examples
    --------
    >>> x = np.array([[1, 2, 5, 6],
    ...               [3, 4, 7, 8],
    ...               [0, 0, 1, 1],
    ...               [0, 4, 1, 1]])
    >>> pool2d_naive(x, 2)
    array([[4., 8.],
           [4., 1.]])
    """
    a = pool_arguments(x, pool_size, stride, padding, mode)
    N, H, W, C = a.x4.shape
    (ph, pw), (sh, sw), ((pt, _), (pl, _)) = a.pool_size, a.stride, a.pads
    out_h, out_w = a.out_hw
    out = np.empty((N, out_h, out_w, C), dtype=a.dtype)
    for i in range(out_h):
        top = i * sh - pt                           # first row of the window (< 0: padding)
        rows = slice(max(top, 0), min(top + ph, H))   # its rows inside the image
        for j in range(out_w):
            left = j * sw - pl
            cols = slice(max(left, 0), min(left + pw, W))
            window = a.x4[:, rows, cols, :]          # (N, rows, cols, C): the valid cells V
            if a.mode == "max":
                out[:, i, j] = window.max(axis=(1, 2))
            elif a.mode == "avg":
                out[:, i, j] = window.mean(axis=(1, 2))
            elif a.mode == "l2":
                out[:, i, j] = np.sqrt(np.square(window).mean(axis=(1, 2)))
            else:
                out[:, i, j] = window.sum(axis=(1, 2))
    return from_nhwc(out, a.x_ndim)


# ----------------------------------------------------------------------------- fast
def pool2d_shift_reduce(x: np.ndarray, pool_size: IntOrPair = 2,
                        stride: IntOrPair | None = None, padding: Padding = "valid",
                        mode: str = "max") -> np.ndarray:
    """Vectorised pooling: combine the ``ph*pw`` shifted views of the image, tap by tap.

    Tap ``(u, v)`` of every window at once is the strided view
    ``xp[:, u::sh, v::sw, :]`` (cut to the output size) of the padded input ``xp``, so
    ``out = combine_{u, v} xp[:, u::sh, v::sw, :]`` with ``combine`` = ``np.maximum``
    (max) or ``np.add`` (avg, l2 on ``x**2``, sum): a loop over the taps, each one a
    fast whole-batch operation, no big copy. Padded cells hold ``-inf`` for max (they
    never win) and 0 otherwise; avg and l2 then divide by the number of valid cells
    of each window, which only differs near a padded border.

    Same signature, layouts and results as :func:`pool2d`, which calls it.

    See Also
    --------
    pool2d_naive : loops over the output pixels instead of the taps.
    cnn_course.conv.conv2d_shift_add : the same idea for a convolution.

    Examples
    --------
    >>> pool2d_shift_reduce(np.arange(16.0).reshape(4, 4), 2, mode="sum")
    array([[10., 18.],
           [42., 50.]])
    """
    return _shift_reduce(pool_arguments(x, pool_size, stride, padding, mode))


# ----------------------------------------------------------------------------- dispatcher
def pool2d(x: np.ndarray, pool_size: IntOrPair = 2, stride: IntOrPair | None = None,
           padding: Padding = "valid", mode: str = "max") -> np.ndarray:
    """2-D pooling: summarise each ``ph x pw`` window of every channel by one number.

    For output pixel ``(i, j)`` the window is rows ``i*sh ... i*sh + ph - 1`` and
    columns ``j*sw ... j*sw + pw - 1`` of the padded input, and with ``V`` its
    *valid* (non-padding) cells:

    - ``"max"``: ``max_{V} x`` (``keras.layers.MaxPooling2D``)
    - ``"avg"``: ``(1/|V|) * sum_{V} x`` (``keras.layers.AveragePooling2D``)
    - ``"l2"``:  ``sqrt((1/|V|) * sum_{V} x**2)`` (root mean square)
    - ``"sum"``: ``sum_{V} x``

    Padded cells are never counted: max ignores them, avg and l2 divide by the
    number of valid cells, as TensorFlow/Keras do with ``padding="same"``. Checks the
    arguments (:func:`pool_arguments`) and runs :func:`pool2d_shift_reduce`.

    Parameters
    ----------
    x : array of shape (H, W), (H, W, C) or (N, H, W, C)
    pool_size : int or (ph, pw)
        Window size, >= 1.
    stride : int, (sh, sw) or None
        Step between windows, >= 1; ``None`` means ``pool_size`` (non-overlapping
        windows, the Keras default). ``stride < pool_size`` gives overlapping windows.
    padding : "valid", "same", int, (pad_h, pad_w) or ((top, bottom), (left, right))
        ``"valid"`` drops windows that would stick out; ``"same"`` follows TensorFlow
        (output ``ceil(H / sh) x ceil(W / sw)``, extra padding at the bottom/right).
        Explicit padding must be smaller than the window on each side.
    mode : {"max", "avg", "l2", "sum"}

    Returns
    -------
    array of shape (H', W'), (H', W', C) or (N, H', W', C)
        ``H' = floor((H + p_total - ph) / sh) + 1``; floating dtype (module docstring).

    Raises
    ------
    TypeError
        Non-numeric or complex ``x``.
    ValueError
        Wrong number of dimensions, empty ``x``, pool size or stride < 1, unknown mode
        or padding, window larger than the padded input, a padding so large that a
        window holds only padding, or a padded input over the size limit
        (:data:`cnn_course._validation.MAX_ELEMENTS`).

    See Also
    --------
    pool2d_naive, pool2d_shift_reduce : the loops and the vectorised version.
    global_pool : one window covering the whole image.
    output_size : ``H'`` and ``W'``.

    References
    ----------
    .. [1] Y-L. Boureau, J. Ponce and Y. LeCun, "A theoretical analysis of feature pooling
       in visual recognition", ICML, 2010.
    .. [2] D. Scherer, A. Mueller and S. Behnke, "Evaluation of pooling operations in
       convolutional architectures for object recognition", ICANN, 2010.

    Examples
    --------
    >>> x = np.array([[1, 2, 5, 6],
    ...               [3, 4, 7, 8],
    ...               [0, 0, 1, 1],
    ...               [0, 4, 1, 1]])
    >>> pool2d(x, 2)
    array([[4., 8.],
           [4., 1.]])
    >>> pool2d(x, 2, mode="avg")
    array([[2.5, 6.5],
           [1. , 1. ]])
    >>> pool2d(x, 3, stride=1).shape          # overlapping 3x3 windows
    (2, 2)
    """
    return _shift_reduce(pool_arguments(x, pool_size, stride, padding, mode))


def global_pool(x: np.ndarray, mode: str = "avg") -> np.ndarray:
    """Pool each channel over the whole image (``GlobalAveragePooling2D`` and co.).

    ``avg``: mean over ``H, W``; ``max``: maximum; ``l2``: ``sqrt(mean(x**2))``;
    ``sum``: sum. The same as :func:`pool2d` with ``pool_size=(H, W)``, without the
    two window axes.

    Parameters
    ----------
    x : array of shape (H, W), (H, W, C) or (N, H, W, C)
    mode : {"avg", "max", "l2", "sum"}

    Returns
    -------
    float scalar array for (H, W), shape (C,) for (H, W, C), shape (N, C) for (N, H, W, C)

    See Also
    --------
    pool2d : windows smaller than the image.
    keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D

    References
    ----------
    .. [1] M. Lin, Q. Chen and S. Yan, "Network in network", arXiv:1312.4400, 2013.

    Examples
    --------
    >>> x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)   # N=1, 2x2, C=2
    >>> global_pool(x, "avg")
    array([[3., 4.]], dtype=float32)
    >>> global_pool(x, "max")
    array([[6., 7.]], dtype=float32)
    """
    x = check_real_array("x", x, (2, 3, 4))
    mode = check_choice("mode", mode, POOL_MODES)
    axes = (0, 1) if x.ndim in (2, 3) else (1, 2)
    dtype = np.result_type(x, np.float32)
    xf = x.astype(dtype, copy=False)
    if mode == "max":
        return np.asarray(xf.max(axis=axes))
    if mode == "sum":
        return np.asarray(xf.sum(axis=axes, dtype=dtype))
    if mode == "avg":
        return np.asarray(xf.mean(axis=axes, dtype=dtype))
    return np.asarray(np.sqrt(np.square(xf).mean(axis=axes, dtype=dtype)))


# ----------------------------------------------------------------------------- arguments
@dataclass(frozen=True, eq=False)
class PoolArgs:
    """The checked arguments of a pooling, in one layout (built by :func:`pool_arguments`).

    Attributes
    ----------
    x4 : array (N, H, W, C)
        The input as a batch, cast to ``dtype`` (a view when no cast is needed).
    pool_size, stride : (int, int)
        ``(ph, pw)`` and ``(sh, sw)`` (``stride=None`` resolved to ``pool_size``).
    pads : ((int, int), (int, int))
        ``((top, bottom), (left, right))``, ``"same"`` resolved; each < the window.
    mode : str
        One of :data:`POOL_MODES`.
    dtype : numpy.dtype
        ``np.result_type(x, np.float32)``.
    x_ndim : int
        Dimensions of the caller's ``x`` (2, 3 or 4), for :func:`~cnn_course.padding.from_nhwc`.
    out_hw : (int, int)
        Output height and width (:func:`~cnn_course.padding.output_size`).
    """

    x4: np.ndarray
    pool_size: tuple[int, int]
    stride: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    mode: str
    dtype: np.dtype
    x_ndim: int
    out_hw: tuple[int, int]


def pool_arguments(x: object, pool_size: object = 2, stride: object = None,
                   padding: object = "valid", mode: str = "max") -> PoolArgs:
    """Check the arguments of a pooling and bring ``x`` to NHWC.

    The parameters are those of :func:`pool2d`; every pooling here (and its backward
    pass) starts with this call, so the checks and the output size are written once.

    Returns
    -------
    PoolArgs

    See Also
    --------
    PoolArgs : the fields it returns.
    pool2d : the parameters.

    Examples
    --------
    >>> a = pool_arguments(np.zeros((5, 5)), 2, padding="same")
    >>> a.x4.shape, a.stride, a.pads, a.out_hw
    ((1, 5, 5, 1), (2, 2), ((0, 1), (0, 1)), (3, 3))
    """
    x = check_real_array("x", x, (2, 3, 4))
    mode = check_choice("mode", mode, POOL_MODES)
    ph, pw = check_pair("pool_size", pool_size, 1)
    sh, sw = (ph, pw) if stride is None else check_pair("stride", stride, 1)
    x4 = to_nhwc(x)
    N, H, W, C = x4.shape
    spec = parse_padding(padding)
    if isinstance(spec, str):
        spec = (resolve_padding(spec, H, ph, sh), resolve_padding(spec, W, pw, sw))
    (pt, pb), (pl, pr) = spec
    for axis, n, k, before, after in (("height", H, ph, pt, pb), ("width", W, pw, pl, pr)):
        check_window_fits("pool_size", n, k, before, after, axis=axis)
        if before >= k or after >= k:
            raise ValueError(f"padding {before, after} along the {axis} must be < pool_size {k}, "
                             f"otherwise some windows contain only padding")
    check_size("padding", (N, H + pt + pb, W + pl + pr, C), "the padded input",
               "use less padding")
    dtype = np.result_type(x4, np.float32)
    return PoolArgs(x4=x4.astype(dtype, copy=False), pool_size=(ph, pw), stride=(sh, sw),
                    pads=((pt, pb), (pl, pr)), mode=mode, dtype=dtype, x_ndim=x.ndim,
                    out_hw=(output_size(H, ph, sh, (pt, pb)), output_size(W, pw, sw, (pl, pr))))


# ----------------------------------------------------------------------------- the fast code
def _shift_reduce(a: PoolArgs) -> np.ndarray:
    """:func:`pool2d_shift_reduce` on checked arguments."""
    N, H, W, C = a.x4.shape
    (ph, pw), (sh, sw), ((pt, pb), (pl, pr)) = a.pool_size, a.stride, a.pads
    out_h, out_w = a.out_hw
    src = np.square(a.x4) if a.mode == "l2" else a.x4
    padded = bool(pt or pb or pl or pr)
    if padded:
        fill = -np.inf if a.mode == "max" else 0.0  # padded cells never win the max
        xp = np.full((N, H + pt + pb, W + pl + pr, C), fill, dtype=a.dtype)
        xp[:, pt:pt + H, pl:pl + W] = src
    else:
        xp = src

    # Every window as a view of shape (N, H', W', C, ph, pw); reduce over the window
    # taps one by one (each tap is a strided (N, H', W', C) view: fast, no big copy).
    windows = sliding_window_view(xp, (ph, pw), axis=(1, 2))[:, ::sh, ::sw][:, :out_h, :out_w]
    out = np.array(windows[..., 0, 0], dtype=a.dtype, order="C")
    combine = np.maximum if a.mode == "max" else np.add
    for u in range(ph):
        for v in range(pw):
            if u or v:
                combine(out, windows[..., u, v], out=out)

    if a.mode in ("avg", "l2"):          # divide by the number of valid cells per window
        if padded:
            rows = valid_counts(H, ph, sh, pt, out_h)
            cols = valid_counts(W, pw, sw, pl, out_w)
            out /= (rows[:, None] * cols[None, :]).astype(a.dtype)[None, :, :, None]
        else:
            out /= a.dtype.type(ph * pw)
        if a.mode == "l2":
            np.sqrt(out, out=out)
    return from_nhwc(out, a.x_ndim)


