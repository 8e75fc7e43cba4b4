"""2-D convolution in NumPy: the operation a ``keras.layers.Conv2D`` layer computes.

``out[n, i, j, f] = bias[f] + sum_{u, v, c} xp[n, i*sh + u*dh, j*sw + v*dw, c] * kernel[u, v, c, f]``

where ``xp`` is the input zero-padded by ``padding``. Read in this order:

- :func:`conv2d_naive` -- explicit loops over the output pixels, the version a
  lesson reads line by line;
- :func:`conv2d_shift_add` -- one channel, one filter (image filtering): add up
  ``kh*kw`` shifted, scaled copies of the image;
- :func:`conv2d_im2col` -- any number of channels and filters: gather every window
  into one matrix ("im2col"), then one matrix product;
- :func:`conv2d` -- what to call: checks the arguments once and picks the faster of
  the two strategies. All four give the same results (up to float rounding).
- :func:`conv_arguments` / :class:`ConvArgs` -- the argument checks they share
  (also used by the backward pass).

Sizes and padding live in :mod:`cnn_course.padding` (:func:`output_size`,
:func:`same_padding`, :func:`pad2d` are re-exported here).

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

Size limit
----------
The padded input, the im2col matrix and the output may each hold at most
:data:`cnn_course._validation.MAX_ELEMENTS` values (about 2 GiB of float64); larger
ones raise a ``ValueError`` naming the argument before anything is allocated.

See Also
--------
cnn_course.padding : output size, ``"same"`` padding, :func:`pad2d`.
cnn_course.pooling : the other sliding-window operation.
cnn_course.filters : hand-made kernels applied with :func:`conv2d`.

References
----------
.. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied
   to document recognition", *Proceedings of the IEEE* 86(11):2278-2324, 1998.
.. [2] V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
   arXiv:1603.07285, 2016.
.. [3] K. Chellapilla, S. Puri and P. Simard, "High performance convolutional neural
   networks for document processing", Tenth International Workshop on Frontiers in
   Handwriting Recognition (IWFHR), 2006. (Convolution as one matrix product.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._validation import check_choice, check_pair, check_real_array, check_size
from .padding import (IntOrPair, Padding, check_window_fits, from_nhwc, output_size, pad2d,
                      parse_padding, resolve_padding, same_padding, to_nhwc)

__all__ = ["conv2d", "conv2d_naive", "conv2d_shift_add", "conv2d_im2col", "conv_arguments",
           "ConvArgs", "output_size", "same_padding", "pad2d"]


# ----------------------------------------------------------------------------- naive
def conv2d_naive(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | float | None = None,
                 stride: IntOrPair = 1, padding: Padding = "valid", dilation: IntOrPair = 1,
                 mode: str = "correlate") -> np.ndarray:
    """2-D convolution with explicit loops: the readable reference version.

    Same signature, layouts and results as :func:`conv2d` (see there for the
    parameters); only slower. For every output pixel ``(i, j)`` it takes the
    window of the padded input that the kernel covers and multiplies-and-sums::

        out[n, i, j, f] = bias[f] + sum_{u, v, c} xp[n, i*sh + u*dh, j*sw + v*dw, c] * kernel[u, v, c, f]

    See Also
    --------
    conv2d : the same result, fast.

    Examples
    --------
    >>> image = np.arange(16).reshape(4, 4)
    >>> conv2d_naive(image, np.ones((2, 2)))      # sum of each 2x2 window
    array([[10., 14., 18.],
           [26., 30., 34.],
           [42., 46., 50.]])
    """
    a = conv_arguments(x, kernel, bias, stride, padding, dilation, mode)
    kh, kw, C, F = a.k4.shape
    (sh, sw), (dh, dw) = a.stride, a.dilation

    # 1. Pad the image with zeros (only the two spatial axes).
    xp = pad2d(a.x4, a.pads)

    # 2. Output size, on each axis: floor((n + p_total - d*(k-1) - 1) / s) + 1
    #    (padding.output_size, computed by conv_arguments).
    out_h, out_w = a.out_hw
    out = np.zeros((a.x4.shape[0], out_h, out_w, F), dtype=a.dtype)

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
                out[:, i, j, f] = np.sum(window * a.k4[:, :, :, f], axis=(1, 2, 3))

    # 4. One bias per filter, added to every output pixel.
    if a.bias is not None:
        out += a.bias
    return from_nhwc(out, a.x_ndim)


# ----------------------------------------------------------------------------- fast strategies
def conv2d_shift_add(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | float | None = None,
                     stride: IntOrPair = 1, padding: Padding = "valid",
                     dilation: IntOrPair = 1, mode: str = "correlate") -> np.ndarray:
    """One channel, one filter: add up ``kh*kw`` shifted, scaled copies of the image.

    ``out = bias + sum_{u, v} kernel[u, v] * xp[u*dh :: sh, v*dw :: sw]`` (each term cut
    to the output size): the loop runs over the kernel *taps* instead of the output
    pixels, and each step is one vectorised multiply-add over the whole image. This is
    image filtering (``kernel`` of shape ``(kh, kw)`` or ``(kh, kw, 1, 1)``), where it
    beats :func:`conv2d_im2col`: no window matrix ``kh*kw`` times the image. It works
    band of output rows by band (about 64k pixels each) so that the band being
    accumulated stays in the CPU cache across all taps. :func:`conv2d` uses it when
    ``C == F == 1``.

    Same signature, layouts and dtype rule as :func:`conv2d`.

    Raises
    ------
    ValueError
        If the kernel has more than one input channel or filter (use
        :func:`conv2d_im2col`), and every error of :func:`conv2d`.

    See Also
    --------
    conv2d_im2col : the strategy for several channels or filters.
    conv2d_naive : loops over the output pixels instead of the taps.

    Examples
    --------
    >>> image = np.arange(16.0).reshape(4, 4)
    >>> conv2d_shift_add(image, np.ones((2, 2)))[0]
    array([10., 14., 18.])
    """
    return _shift_add(_one_channel_one_filter(
        conv_arguments(x, kernel, bias, stride, padding, dilation, mode)))


def conv2d_im2col(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | float | None = None,
                  stride: IntOrPair = 1, padding: Padding = "valid", dilation: IntOrPair = 1,
                  mode: str = "correlate") -> np.ndarray:
    """Any channels and filters: every window as a row of one matrix, then one product.

    ``sliding_window_view`` gives every window of the padded input without copying;
    the windows of the requested stride and dilation are copied once into a matrix of
    shape ``(N*H'*W', kh*kw*C)`` (tap-major, channels last: the memory order of a Keras
    kernel) and multiplied by the kernel reshaped to ``(kh*kw*C, F)``, so a single BLAS
    matrix product does all the multiply-adds::

        out.reshape(N*H'*W', F) = cols @ kernel.reshape(kh*kw*C, F) + bias

    On a 2-core CPU this measured as fast as or faster than ``np.einsum`` /
    ``np.tensordot`` on the 6-D window view (einsum wins slightly on tiny problems,
    loses 1.5x on a (32, 32, 32, 3) batch with 64 filters) and much faster than one
    small product per kernel tap (``benchmarks/bench_numpy_vs_tf.py --strategies``,
    BENCHMARKS.md). The window matrix has ``kh*kw`` times as many values as the
    output has pixels per filter, and is limited like every array here
    (:data:`cnn_course._validation.MAX_ELEMENTS`).

    Same signature, layouts and dtype rule as :func:`conv2d`.

    See Also
    --------
    conv2d_shift_add : faster for one channel and one filter.

    References
    ----------
    .. [1] K. Chellapilla, S. Puri and P. Simard, "High performance convolutional neural
       networks for document processing", Tenth International Workshop on Frontiers in
       Handwriting Recognition (IWFHR), 2006.

    Examples
    --------
    >>> x = np.ones((1, 4, 4, 2))
    >>> conv2d_im2col(x, np.ones((3, 3, 2, 3)), bias=[0, 1, 2])[0, 0, 0]
    array([18., 19., 20.])
    """
    return _im2col(conv_arguments(x, kernel, bias, stride, padding, dilation, mode))


# ----------------------------------------------------------------------------- dispatcher
def conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | float | None = None,
           stride: IntOrPair = 1, padding: Padding = "valid", dilation: IntOrPair = 1,
           mode: str = "correlate") -> np.ndarray:
    """2-D convolution (cross-correlation by default), exactly as ``tf.nn.conv2d`` computes it.

    ``out[n, i, j, f] = bias[f] + sum_{u, v, c} xp[n, i*sh + u*dh, j*sw + v*dw, c] * kernel[u, v, c, f]``

    where ``xp`` is ``x`` zero-padded by ``padding``. Checks the arguments
    (:func:`conv_arguments`), then runs :func:`conv2d_shift_add` for one channel and one
    filter and :func:`conv2d_im2col` otherwise.

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
        Wrong number of dimensions, empty arrays, channel mismatch, stride/dilation < 1,
        negative padding, unknown padding or mode, bias of the wrong length, kernel
        larger than the padded input, or a padded input, window matrix or output over
        the size limit (module docstring).

    See Also
    --------
    conv2d_naive : the loops this computes.
    conv2d_shift_add, conv2d_im2col : the two strategies.
    output_size, same_padding : the output size.
    keras.layers.Conv2D : the layer that learns ``kernel`` and ``bias``.

    References
    ----------
    .. [1] V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep
       learning", arXiv:1603.07285, 2016.
    .. [2] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied
       to document recognition", *Proceedings of the IEEE* 86(11):2278-2324, 1998.

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
    args = conv_arguments(x, kernel, bias, stride, padding, dilation, mode)
    if args.k4.shape[2:] == (1, 1):          # one channel, one filter: image filtering
        return _shift_add(args)
    return _im2col(args)


# ----------------------------------------------------------------------------- arguments
@dataclass(frozen=True, eq=False)
class ConvArgs:
    """The checked arguments of a convolution, in one layout (built by :func:`conv_arguments`).

    Attributes
    ----------
    x4 : array (N, H, W, C)
        The input as a batch, cast to ``dtype`` (a view when no cast is needed).
    k4 : array (kh, kw, C, F)
        The kernel in Keras layout, cast to ``dtype``; already rotated by 180 degrees
        when ``mode == "convolve"``, so every implementation just correlates.
    bias : array (F,) or None
        One value per filter (a scalar bias broadcast), in ``dtype``.
    stride, dilation : (int, int)
        ``(sh, sw)`` and ``(dh, dw)``.
    pads : ((int, int), (int, int))
        ``((top, bottom), (left, right))``, ``"same"`` resolved.
    dtype : numpy.dtype
        ``np.result_type(x, kernel, np.float32)``.
    x_ndim : int
        Dimensions of the caller's ``x`` (2, 3 or 4): ``from_nhwc(out4, x_ndim)`` gives
        the caller's layout back.
    out_hw : (int, int)
        Output height and width (:func:`output_size` on each axis).
    mode : str
        ``"correlate"`` or ``"convolve"`` (a backward pass flips the kernel gradient back).
    """

    x4: np.ndarray
    k4: np.ndarray
    bias: np.ndarray | None
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pads: tuple[tuple[int, int], tuple[int, int]]
    dtype: np.dtype
    x_ndim: int
    out_hw: tuple[int, int]
    mode: str

    def padded_input(self) -> np.ndarray:
        """``x4`` zero-padded by ``pads``, shape ``(N, H + top + bottom, W + left + right, C)``.

        ``x4`` itself (no copy) when there is no padding.
        """
        (pt, pb), (pl, pr) = self.pads
        if not (pt or pb or pl or pr):
            return self.x4
        N, H, W, C = self.x4.shape
        xp = np.zeros((N, H + pt + pb, W + pl + pr, C), dtype=self.dtype)
        xp[:, pt:pt + H, pl:pl + W, :] = self.x4
        return xp


def conv_arguments(x: object, kernel: object, bias: object = None, stride: object = 1,
                   padding: object = "valid", dilation: object = 1,
                   mode: str = "correlate") -> ConvArgs:
    """Check the arguments of a convolution and bring them to NHWC and ``(kh, kw, C, F)``.

    Every convolution here (and its backward pass) starts with this call, so the
    checks, error messages, dtype rule and output size are written once. The
    parameters are those of :func:`conv2d`; nothing larger than the size limit is
    allocated (the padded input and the output are checked first).

    Returns
    -------
    ConvArgs

    See Also
    --------
    ConvArgs : the fields it returns.
    conv2d : the parameters.
    cnn_course.backprop.conv2d_backward : the backward pass, which starts with it too.

    Examples
    --------
    >>> a = conv_arguments(np.zeros((5, 5), np.uint8), np.ones((3, 3)), padding="same")
    >>> a.x4.shape, a.k4.shape, a.pads, a.out_hw, a.dtype
    ((1, 5, 5, 1), (3, 3, 1, 1), ((1, 1), (1, 1)), (5, 5), dtype('float64'))
    """
    x = check_real_array("x", x, (2, 3, 4))
    kernel = check_real_array("kernel", kernel, (2, 4))
    mode = check_choice("mode", mode, ("correlate", "convolve"))
    (sh, sw), (dh, dw) = check_pair("stride", stride, 1), check_pair("dilation", dilation, 1)
    x4, k4 = to_nhwc(x), _kernel_4d(kernel, x)
    (N, H, W, C), (kh, kw, _, F) = x4.shape, k4.shape
    b = None if bias is None else _bias_vector(bias, F)
    dtype = np.result_type(x4, k4, np.float32)  # bias is cast to it, never widens it

    spec = parse_padding(padding)
    if isinstance(spec, str):
        spec = (resolve_padding(spec, H, kh, sh, dh), resolve_padding(spec, W, kw, sw, dw))
    (pt, pb), (pl, pr) = spec
    check_window_fits("kernel", H, kh, pt, pb, dilation=dh, axis="height")
    check_window_fits("kernel", W, kw, pl, pr, dilation=dw, axis="width")
    out_hw = (output_size(H, kh, sh, (pt, pb), dh), output_size(W, kw, sw, (pl, pr), dw))
    check_size("padding", (N, H + pt + pb, W + pl + pr, C), "the padded input",
               "use less padding")
    check_size("x and kernel", (N, *out_hw, F), "the output",
               "use fewer images or filters, or a larger stride")

    k4 = k4.astype(dtype, copy=False)
    if mode == "convolve":
        k4 = k4[::-1, ::-1]  # true convolution = correlation with the kernel rotated 180 degrees
    if b is not None:
        b = np.broadcast_to(b.astype(dtype, copy=False), (F,))
    return ConvArgs(x4=x4.astype(dtype, copy=False), k4=k4, bias=b, stride=(sh, sw),
                    dilation=(dh, dw), pads=((pt, pb), (pl, pr)), dtype=dtype, x_ndim=x.ndim,
                    out_hw=out_hw, mode=mode)


def _kernel_4d(kernel: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The kernel as (kh, kw, C, F), checked against the layout and channels of ``x``."""
    if x.ndim == 2:
        if kernel.ndim != 2:
            raise ValueError(f"kernel must be 2-D (kh, kw) for a 2-D image x of shape {x.shape}; "
                             f"got shape {kernel.shape}")
        return kernel[:, :, None, None]
    if kernel.ndim != 4:
        raise ValueError(f"kernel must be 4-D (kh, kw, C, F) for an image x of shape {x.shape}; "
                         f"got shape {kernel.shape}")
    if kernel.shape[2] != x.shape[-1]:
        raise ValueError(f"kernel has {kernel.shape[2]} input channels (axis 2 of shape "
                         f"{kernel.shape}) but x has C={x.shape[-1]} channels (shape {x.shape}); "
                         f"they must match")
    return kernel


def _bias_vector(bias: object, n_filters: int) -> np.ndarray:
    """The bias as a checked scalar or (F,) array (cast to the dtype later)."""
    b = check_real_array("bias", bias, (0, 1))
    if b.ndim == 1 and b.shape[0] != n_filters:
        raise ValueError(f"bias must be a scalar or have shape ({n_filters},) (one value per "
                         f"filter F={n_filters}); got shape {b.shape}")
    return b


# ----------------------------------------------------------------------------- the strategies' code
def _finish(out4: np.ndarray, a: ConvArgs) -> np.ndarray:
    """Add the bias and give the result the caller's layout."""
    if a.bias is not None:
        out4 += a.bias
    return from_nhwc(out4, a.x_ndim)


def _one_channel_one_filter(a: ConvArgs) -> ConvArgs:
    if a.k4.shape[2:] != (1, 1):
        raise ValueError(f"conv2d_shift_add needs one input channel and one filter (kernel of "
                         f"shape (kh, kw) or (kh, kw, 1, 1)); got kernel shape {a.k4.shape}: "
                         f"use conv2d or conv2d_im2col")
    return a


def _shift_add(a: ConvArgs) -> np.ndarray:
    """:func:`conv2d_shift_add` on checked arguments."""
    kh, kw = a.k4.shape[:2]
    (sh, sw), (dh, dw) = a.stride, a.dilation
    out_h, out_w = a.out_hw
    img = a.padded_input()[..., 0]
    N = img.shape[0]
    out = np.zeros((N, out_h, out_w), dtype=a.dtype)
    band = max(1, 65536 // (N * out_w))            # output rows per band (~64k pixels)
    tmp = np.empty((N, min(band, out_h), out_w), dtype=a.dtype)
    for r0 in range(0, out_h, band):
        r1 = min(r0 + band, out_h)
        acc, t = out[:, r0:r1], tmp[:, :r1 - r0]
        for u in range(kh):
            top = r0 * sh + u * dh
            for v in range(kw):
                shifted = img[:, top:top + sh * (r1 - r0 - 1) + 1:sh,
                              v * dw:v * dw + sw * (out_w - 1) + 1:sw]
                np.multiply(shifted, a.k4[u, v, 0, 0], out=t)
                acc += t
    return _finish(out[..., None], a)


def _im2col(a: ConvArgs) -> np.ndarray:
    """:func:`conv2d_im2col` on checked arguments."""
    kh, kw, C, F = a.k4.shape
    (sh, sw), (dh, dw) = a.stride, a.dilation
    out_h, out_w = a.out_hw
    N = a.x4.shape[0]
    check_size("x and kernel", (N * out_h * out_w, kh * kw * C), "the im2col window matrix",
               "convolve smaller batches, or use a larger stride")
    xp = a.padded_input()
    # all windows (N, H', W', C, kh, kw) as a strided view, no copy yet ...
    windows = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(1, 2))
    windows = windows[:, ::sh, ::sw][:, :out_h, :out_w, :, ::dh, ::dw]
    # ... copied once into a (N*H'*W', kh*kw*C) matrix in Keras kernel order ...
    cols = np.empty((N, out_h, out_w, kh, kw, C), dtype=a.dtype)
    np.copyto(cols, windows.transpose(0, 1, 2, 4, 5, 3))
    # ... and one matrix product with the (kh*kw*C, F) kernel.
    out = cols.reshape(-1, kh * kw * C) @ a.k4.reshape(kh * kw * C, F)
    return _finish(out.reshape(N, out_h, out_w, F), a)
