"""Pooling in NumPy: what ``MaxPooling2D``, ``AveragePooling2D`` and friends compute.

Layouts (NHWC, like Keras): ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``; each
channel is pooled on its own, so the output keeps the layout with smaller ``H, W``.

Dtype rule: the output is floating point, ``np.result_type(x, np.float32)``
(float32 stays float32; ``uint8`` images give float32, ``int64`` gives float64),
so sums and squares of integer pixels never overflow.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validation import check_array, check_choice, check_pair
from .padding import IntOrPair, Padding, from_nhwc, parse_padding, resolve_padding, to_nhwc

__all__ = ["pool2d", "global_pool", "POOL_MODES"]

POOL_MODES = ("max", "avg", "l2", "sum")


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
    number of valid cells, as TensorFlow/Keras do with ``padding="same"``.

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
    mode : {"max", "avg", "l2", "sum"}

    Returns
    -------
    array of shape (H', W'), (H', W', C) or (N, H', W', C)
        ``H' = floor((H + p_total - ph) / sh) + 1``; floating dtype (module docstring).

    Raises
    ------
    ValueError
        Wrong number of dimensions, pool size or stride < 1, unknown mode or padding,
        window larger than the padded input, or a padding so large that a window
        holds only padding.

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
    x = check_array("x", x, (2, 3, 4))
    if np.iscomplexobj(x):
        raise TypeError(f"x must be a real (int or float) array, got dtype {x.dtype}")
    mode = check_choice("mode", mode, POOL_MODES)
    ph, pw = check_pair("pool_size", pool_size, 1)
    sh, sw = (ph, pw) if stride is None else check_pair("stride", stride, 1)
    ndim = x.ndim
    x4 = to_nhwc(x)
    if min(x4.shape) < 1:
        raise ValueError(f"x must not be empty; got shape {x.shape}")
    N, H, W, C = x4.shape
    spec = parse_padding(padding)
    if isinstance(spec, str):
        spec = (resolve_padding(spec, H, ph, sh, 1), resolve_padding(spec, W, pw, sw, 1))
    (pt, pb), (pl, pr) = spec
    for axis, n, k, before, after in (("height", H, ph, pt, pb), ("width", W, pw, pl, pr)):
        if k > n + before + after:
            raise ValueError(f"pool_size {axis} {k} is larger than the padded input {axis} "
                             f"{n} + {before + after} = {n + before + after}; pool_size must be <= "
                             f"the padded input (use 'same' padding or a smaller window)")
        if before >= k or after >= k:
            raise ValueError(f"padding {before, after} along the {axis} must be < pool_size {k}, "
                             f"otherwise some windows contain only padding")
    out_h = (H + pt + pb - ph) // sh + 1
    out_w = (W + pl + pr - pw) // sw + 1
    dtype = np.result_type(x4, np.float32)
    padded = bool(pt or pb or pl or pr)

    if mode == "max":
        fill = -np.inf  # padded cells never win the max
        src = x4.astype(dtype, copy=False)
    elif mode == "l2":
        fill = 0.0
        src = np.square(x4, dtype=dtype)
    else:
        fill = 0.0
        src = x4.astype(dtype, copy=False)
    if padded:
        xp = np.full((N, H + pt + pb, W + pl + pr, C), fill, dtype=dtype)
        xp[:, pt:pt + H, pl:pl + W] = src
    else:
        xp = src

    # Every window as a view of shape (N, H', W', C, ph, pw); reduce over the window
    # taps one by one (each tap is a strided (N, H', W', C) view: fast, no big copy).
    windows = sliding_window_view(xp, (ph, pw), axis=(1, 2))[:, ::sh, ::sw][:, :out_h, :out_w]
    out = np.array(windows[..., 0, 0], dtype=dtype, order="C")
    combine = np.maximum if mode == "max" else np.add
    for u in range(ph):
        for v in range(pw):
            if u or v:
                combine(out, windows[..., u, v], out=out)
    if mode == "sum" or mode == "max":
        return from_nhwc(out, ndim)

    # avg / l2: divide by the number of valid cells in each window
    if padded:
        rows = _valid_counts(H, ph, sh, pt, out_h)
        cols = _valid_counts(W, pw, sw, pl, out_w)
        count = (rows[:, None] * cols[None, :]).astype(dtype)[None, :, :, None]
    else:
        count = dtype.type(ph * pw)
    out /= count
    if mode == "l2":
        np.sqrt(out, out=out)
    return from_nhwc(out, ndim)


def _valid_counts(n: int, k: int, s: int, before: int, out: int) -> np.ndarray:
    """Number of non-padding cells in each window along one axis."""
    start = np.arange(out) * s - before
    return np.minimum(start + k, n) - np.maximum(start, 0)


def global_pool(x: np.ndarray, mode: str = "avg") -> np.ndarray:
    """Pool each channel over the whole image (``GlobalAveragePooling2D`` and co.).

    ``avg``: mean over ``H, W``; ``max``: maximum; ``l2``: ``sqrt(mean(x**2))``;
    ``sum``: sum.

    Parameters
    ----------
    x : array of shape (H, W), (H, W, C) or (N, H, W, C)
    mode : {"avg", "max", "l2", "sum"}

    Returns
    -------
    float scalar array for (H, W), shape (C,) for (H, W, C), shape (N, C) for (N, H, W, C)

    Examples
    --------
    >>> x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)   # N=1, 2x2, C=2
    >>> global_pool(x, "avg")
    array([[3., 4.]], dtype=float32)
    >>> global_pool(x, "max")
    array([[6., 7.]], dtype=float32)
    """
    x = check_array("x", x, (2, 3, 4))
    if np.iscomplexobj(x):
        raise TypeError(f"x must be a real (int or float) array, got dtype {x.dtype}")
    mode = check_choice("mode", mode, POOL_MODES)
    if x.size == 0:
        raise ValueError(f"x must not be empty; got shape {x.shape}")
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
