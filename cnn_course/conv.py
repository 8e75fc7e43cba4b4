"""2-D convolution in NumPy: the operation a ``keras.layers.Conv2D`` layer computes.

Two implementations with the same signature and the same results:

- :func:`conv2d_naive` -- explicit loops over the output pixels, the version a
  lesson reads line by line;
- :func:`conv2d` -- vectorised ("im2col": gather every window into one matrix,
  then one matrix product), fast enough to use on real images and batches.

Helpers: :func:`output_size` (the output-size formula), :func:`same_padding`
(TensorFlow's ``"same"`` rule) and :func:`pad2d` (pad the two spatial axes).

Layouts (NHWC, like Keras)
--------------------------
==================  ======================  =================
image ``x``         ``kernel``              result
==================  ======================  =================
``(H, W)``          ``(kh, kw)``            ``(H', W')``
``(H, W, C)``       ``(kh, kw, C, F)``      ``(H', W', F)``
``(N, H, W, C)``    ``(kh, kw, C, F)``      ``(N, H', W', F)``
==================  ======================  =================

with ``H' = output_size(H, kh, stride, padding, dilation)`` and the same for ``W'``.

Dtype rule
----------
The result is always floating point, of dtype
``np.result_type(x, kernel, np.float32)`` (the bias is cast to it): float32 inputs
stay float32 (no silent upcast), a float64 image or kernel gives float64, and integer images are
converted *before* any arithmetic, so a ``uint8`` image never overflows
(``uint8``/``int8``/``int16`` with a float32 kernel give float32; ``int32``/``int64``
give float64).
"""
from __future__ import annotations

import numbers
from typing import Union

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validation import check_array, check_choice, check_int, check_pair

__all__ = ["conv2d", "conv2d_naive", "output_size", "same_padding", "pad2d"]

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


def _axis_padding(name: str, padding: object, n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """(before, after) for one axis from "valid"/"same"/int/pair."""
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
    before, after = _axis_padding("padding", padding, n, k, s, d)
    effective = d * (k - 1) + 1
    padded = n + before + after
    if effective > padded:
        raise ValueError(
            f"kernel_size {k} with dilation {d} spans {effective} pixels, larger than the "
            f"padded input ({n} + {before + after} padding = {padded}); use a smaller kernel "
            f"or more padding (kernel span must be <= {padded})")
    return (padded - effective) // s + 1


# ----------------------------------------------------------------------------- padding
def _parse_padding(padding: object, name: str = "padding") -> tuple[tuple[int, int], tuple[int, int]] | str:
    """Normalise an explicit padding spec to ((top, bottom), (left, right)); strings pass through."""
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
    spec = _parse_padding(pad, "pad")
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


# ----------------------------------------------------------------------------- shared checks
def _prepare(x, kernel, bias, stride, padding, dilation, mode):
    """Validate the arguments of conv2d/conv2d_naive and bring them to NHWC + (kh, kw, C, F).

    Returns (x4, k4, bias_vec, (sh, sw), (dh, dw), ((t, b), (l, r)), out_shape_fn, dtype).
    """
    x = check_array("x", x, (2, 3, 4))
    kernel = check_array("kernel", kernel, (2, 4))
    for name, arr in (("x", x), ("kernel", kernel)):
        if np.iscomplexobj(arr):
            raise TypeError(f"{name} must be a real (int or float) array, got dtype {arr.dtype}")
    mode = check_choice("mode", mode, ("correlate", "convolve"))
    sh, sw = check_pair("stride", stride, 1)
    dh, dw = check_pair("dilation", dilation, 1)

    if x.ndim == 2:
        if kernel.ndim != 2:
            raise ValueError(f"kernel must be 2-D (kh, kw) for a 2-D image x of shape {x.shape}; "
                             f"got shape {kernel.shape}")
        x4 = x[None, :, :, None]
        k4 = kernel[:, :, None, None]
    else:
        if kernel.ndim != 4:
            raise ValueError(f"kernel must be 4-D (kh, kw, C, F) for an image x of shape {x.shape}; "
                             f"got shape {kernel.shape}")
        x4 = x[None] if x.ndim == 3 else x
        if kernel.shape[2] != x4.shape[3]:
            raise ValueError(f"kernel has {kernel.shape[2]} input channels (axis 2 of shape "
                             f"{kernel.shape}) but x has C={x4.shape[3]} channels (shape {x.shape}); "
                             f"they must match")
        k4 = kernel
    if min(x4.shape) < 1 or min(k4.shape) < 1:
        raise ValueError(f"x and kernel must not be empty; got shapes {x.shape} and {kernel.shape}")
    n_filters = k4.shape[3]

    b = None
    if bias is not None:
        b = check_array("bias", bias, (0, 1))
        if np.iscomplexobj(b):
            raise TypeError(f"bias must be real, got dtype {b.dtype}")
        if b.ndim == 1 and b.shape[0] != n_filters:
            raise ValueError(f"bias must be a scalar or have shape ({n_filters},) (one value per "
                             f"filter F={n_filters}); got shape {b.shape}")
    dtype = np.result_type(x4, k4, np.float32)  # bias is cast to it, never widens it

    kh, kw = k4.shape[:2]
    H, W = x4.shape[1:3]
    spec = _parse_padding(padding)
    if isinstance(spec, str):
        spec = (_axis_padding("padding", spec, H, kh, sh, dh),
                _axis_padding("padding", spec, W, kw, sw, dw))
    (pt, pb), (pl, pr) = spec
    for axis, n, k, d, p in (("height", H, kh, dh, pt + pb), ("width", W, kw, dw, pl + pr)):
        span = d * (k - 1) + 1
        if span > n + p:
            raise ValueError(f"kernel {axis} {k} with dilation {d} spans {span} pixels, larger than "
                             f"the padded input {axis} {n} + {p} = {n + p}; the kernel span must be "
                             f"<= the padded input (use a smaller kernel, more padding or 'same')")

    x4 = x4.astype(dtype, copy=False)
    k4 = k4.astype(dtype, copy=False)
    if mode == "convolve":
        k4 = k4[::-1, ::-1]  # true convolution = correlation with the kernel rotated 180 degrees
    if b is not None:
        b = np.broadcast_to(b.astype(dtype, copy=False), (n_filters,))
    return x4, k4, b, (sh, sw), (dh, dw), ((pt, pb), (pl, pr)), dtype


def _finish(out4: np.ndarray, x_ndim: int) -> np.ndarray:
    """Drop the batch/channel axes that the caller's layout did not have."""
    if x_ndim == 2:
        return out4[0, :, :, 0]
    if x_ndim == 3:
        return out4[0]
    return out4


# ----------------------------------------------------------------------------- naive
def conv2d_naive(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | float | None = None,
                 stride: IntOrPair = 1, padding: Padding = "valid", dilation: IntOrPair = 1,
                 mode: str = "correlate") -> np.ndarray:
    """2-D convolution with explicit loops: the readable reference version.

    Same signature, layouts and results as :func:`conv2d` (see there for the
    parameters); only slower. For every output pixel ``(i, j)`` it takes the
    window of the padded input that the kernel covers and multiplies-and-sums::

        out[n, i, j, f] = bias[f] + sum_{u, v, c} xp[n, i*sh + u*dh, j*sw + v*dw, c] * kernel[u, v, c, f]

    Examples
    --------
    >>> image = np.arange(16).reshape(4, 4)
    >>> conv2d_naive(image, np.ones((2, 2)))      # sum of each 2x2 window
    array([[10., 14., 18.],
           [26., 30., 34.],
           [42., 46., 50.]])
    """
    x_ndim = np.ndim(x)
    x4, k4, b, (sh, sw), (dh, dw), ((pt, pb), (pl, pr)), dtype = _prepare(
        x, kernel, bias, stride, padding, dilation, mode)
    kh, kw, C, F = k4.shape
    N, H, W, _ = x4.shape

    # 1. Pad the image with zeros (only the two spatial axes).
    xp = np.pad(x4, ((0, 0), (pt, pb), (pl, pr), (0, 0)))

    # 2. Output size: floor((n + p_total - d*(k-1) - 1) / s) + 1 on each axis.
    out_h = (H + pt + pb - dh * (kh - 1) - 1) // sh + 1
    out_w = (W + pl + pr - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, out_h, out_w, F), dtype=dtype)

    # 3. Slide the kernel over the image: one window per output pixel.
    for i in range(out_h):
        top = i * sh                      # first row of the window
        for j in range(out_w):
            left = j * sw                 # first column of the window
            # rows top, top+dh, ..., columns left, left+dw, ... (dilation skips pixels)
            window = xp[:, top:top + dh * (kh - 1) + 1:dh,
                        left:left + dw * (kw - 1) + 1:dw, :]          # (N, kh, kw, C)
            # multiply element by element and sum over (kh, kw, C), for every filter f
            for f in range(F):
                out[:, i, j, f] = np.sum(window * k4[:, :, :, f], axis=(1, 2, 3))

    # 4. One bias per filter, added to every output pixel.
    if b is not None:
        out += b
    return _finish(out, x_ndim)


# ----------------------------------------------------------------------------- vectorised
def conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | float | None = None,
           stride: IntOrPair = 1, padding: Padding = "valid", dilation: IntOrPair = 1,
           mode: str = "correlate") -> np.ndarray:
    """2-D convolution (cross-correlation by default), exactly as ``tf.nn.conv2d`` computes it.

    ``out[n, i, j, f] = bias[f] + sum_{u, v, c} xp[n, i*sh + u*dh, j*sw + v*dw, c] * kernel[u, v, c, f]``

    where ``xp`` is ``x`` zero-padded by ``padding``.

    Parameters
    ----------
    x : array of shape (H, W), (H, W, C) or (N, H, W, C)
        Image(s), channels last. Any real dtype (see the dtype rule below).
    kernel : array of shape (kh, kw) for a 2-D ``x``, else (kh, kw, C, F)
        Filter weights in Keras' ``Conv2D`` layout; ``C`` must match ``x``.
    bias : float or array of shape (F,), optional
        Added to every output pixel of filter ``f`` (a scalar is added everywhere).
    stride : int or (sh, sw)
        Step between windows, >= 1.
    padding : "valid", "same", int, (pad_h, pad_w) or ((top, bottom), (left, right))
        ``"valid"``: no padding. ``"same"``: TensorFlow's rule (:func:`same_padding`),
        output ``ceil(H / sh) x ceil(W / sw)``, extra row/column at the bottom/right.
        Integers pad with zeros; all values >= 0.
    dilation : int or (dh, dw)
        Spacing between kernel taps, >= 1 (``dilation_rate`` in Keras).
    mode : {"correlate", "convolve"}
        ``"correlate"`` is what CNN layers compute; ``"convolve"`` first rotates the
        kernel by 180 degrees (``kernel[::-1, ::-1]``), the convolution of signal processing.

    Returns
    -------
    array of shape (H', W'), (H', W', F) or (N, H', W', F)
        ``H' = floor((H + p_top + p_bottom - dh*(kh - 1) - 1) / sh) + 1``, likewise ``W'``.
        Dtype ``np.result_type(x, kernel, np.float32)``: float32 stays float32,
        integers never overflow (see the module docstring).

    Raises
    ------
    TypeError
        Non-numeric or complex arrays; padding of the wrong type.
    ValueError
        Wrong number of dimensions, channel mismatch, stride/dilation < 1, negative
        padding, unknown padding or mode, bias of the wrong length, kernel larger
        than the padded input.

    Notes
    -----
    Implementation ("im2col"): ``sliding_window_view`` gives every window of the padded
    input without copying; the windows of the requested stride and dilation are gathered
    into one matrix of shape ``(N*H'*W', kh*kw*C)`` (tap-major, channels last, the
    memory order of a Keras kernel) and multiplied by the kernel reshaped to
    ``(kh*kw*C, F)``: a single BLAS matrix product does all the multiply-adds. On a
    2-core CPU this measured as fast as or faster than ``np.einsum``/``np.tensordot`` on
    the 6-D window view (einsum wins slightly on tiny problems, loses 1.5x on a
    (32, 32, 32, 3) batch with 64 filters) and much faster than one small product per
    kernel tap, except for a single
    filter on a single channel (image filtering), where accumulating ``kh*kw`` shifted,
    scaled copies of the image, band of rows by band so each band stays in the CPU
    cache, is faster (no window matrix ``kh*kw`` times the image size) and is used
    instead (see ``benchmarks/bench_numpy_vs_tf.py --strategies`` and BENCHMARKS.md).

    Examples
    --------
    Correlation slides the kernel as it is; convolution slides it flipped. With the
    asymmetric kernel ``[[1, 2]]`` on a row ``[1, 0, 0, 0]``:

    >>> row = np.array([[1., 0., 0., 0.]])
    >>> conv2d(row, np.array([[1., 2.]]))                     # correlate: 1*x[j] + 2*x[j+1]
    array([[1., 0., 0.]])
    >>> conv2d(row, np.array([[1., 2.]]), mode="convolve")    # convolve: 2*x[j] + 1*x[j+1]
    array([[2., 0., 0.]])

    A Keras-style batch with biases:

    >>> x = np.ones((2, 5, 5, 3), dtype=np.float32)
    >>> k = np.ones((3, 3, 3, 4), dtype=np.float32)
    >>> y = conv2d(x, k, bias=np.arange(4), padding="same", stride=2)
    >>> y.shape, y.dtype, y[0, 1, 1]
    ((2, 3, 3, 4), dtype('float32'), array([27., 28., 29., 30.], dtype=float32))
    """
    x_ndim = np.ndim(x)
    x4, k4, b, (sh, sw), (dh, dw), ((pt, pb), (pl, pr)), dtype = _prepare(
        x, kernel, bias, stride, padding, dilation, mode)
    kh, kw, C, F = k4.shape
    N, H, W, _ = x4.shape
    out_h = (H + pt + pb - dh * (kh - 1) - 1) // sh + 1
    out_w = (W + pl + pr - dw * (kw - 1) - 1) // sw + 1

    if pt or pb or pl or pr:
        xp = np.zeros((N, H + pt + pb, W + pl + pr, C), dtype=dtype)
        xp[:, pt:pt + H, pl:pl + W, :] = x4
    else:
        xp = x4

    if C == 1 and F == 1:
        # One channel, one filter (image filtering): sum kh*kw shifted, scaled copies of
        # the image. Done in bands of output rows (about 64k pixels each) so that the
        # band being accumulated stays in the CPU cache across all kh*kw taps.
        img = xp[..., 0]
        out = np.zeros((N, out_h, out_w), dtype=dtype)
        band = max(1, 65536 // (N * out_w))
        tmp = np.empty((N, min(band, out_h), out_w), dtype=dtype)
        for r0 in range(0, out_h, band):
            r1 = min(r0 + band, out_h)
            acc, t = out[:, r0:r1], tmp[:, :r1 - r0]
            for u in range(kh):
                top = r0 * sh + u * dh
                for v in range(kw):
                    shifted = img[:, top:top + sh * (r1 - r0 - 1) + 1:sh,
                                  v * dw:v * dw + sw * (out_w - 1) + 1:sw]
                    np.multiply(shifted, k4[u, v, 0, 0], out=t)
                    acc += t
        out = out[..., None]
    else:
        # im2col: all windows (N, H', W', C, kh, kw) as a strided view, no copy yet ...
        windows = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(1, 2))
        windows = windows[:, ::sh, ::sw][:, :out_h, :out_w, :, ::dh, ::dw]
        # ... copied once into a (N*H'*W', kh*kw*C) matrix in Keras kernel order ...
        cols = np.empty((N, out_h, out_w, kh, kw, C), dtype=dtype)
        np.copyto(cols, windows.transpose(0, 1, 2, 4, 5, 3))
        # ... and one matrix product with the (kh*kw*C, F) kernel.
        out = cols.reshape(-1, kh * kw * C) @ k4.reshape(kh * kw * C, F)
        out = out.reshape(N, out_h, out_w, F)
    if b is not None:
        out += b
    return _finish(out, x_ndim)
