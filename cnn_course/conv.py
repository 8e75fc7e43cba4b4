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

from typing import Union

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validation import check_array, check_choice, check_pair
from .padding import (IntOrPair, Padding, from_nhwc, output_size, pad2d, parse_padding,
                      resolve_padding, same_padding)

__all__ = ["conv2d", "conv2d_naive", "output_size", "same_padding", "pad2d"]



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
    spec = parse_padding(padding)
    if isinstance(spec, str):
        spec = (resolve_padding(spec, H, kh, sh, dh), resolve_padding(spec, W, kw, sw, dw))
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
    return from_nhwc(out, x_ndim)


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
    return from_nhwc(out, x_ndim)
