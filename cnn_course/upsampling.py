"""Making feature maps larger again, in NumPy: transposed convolution and upsampling.

A classifier shrinks its maps (pooling, strides) until one vector is left. A network that
labels every *pixel* (segmentation) must grow them back to the input's size. Two ways:

- :func:`upsample2d` -- a fixed rule: repeat every value (``"nearest"``) or interpolate
  between neighbours (``"bilinear"``), ``keras.layers.UpSampling2D``;
- :func:`conv2d_transpose` -- a learnt one, ``keras.layers.Conv2DTranspose``: every input
  pixel **scatters** a copy of the kernel, scaled by its value, into the output; copies
  start ``stride`` pixels apart and add up where they overlap.

Read :func:`conv2d_transpose_naive` first (one loop over the input pixels); the fast
:func:`conv2d_transpose` computes the same sums with one matrix product and one strided
add per kernel tap.

Why "transposed": a convolution is a linear map ``out = A @ x`` from the input pixels to
the output pixels. The scatter above is ``A.T @ g``: it sends each output position back to
the window it came from. That is also exactly the gradient a convolution hands back to
its input (:func:`cnn_course.backprop.conv2d_backward`), so

``conv2d_transpose(g, kernel, stride, padding) == conv2d_backward(g, x, kernel, stride, padding)[0]``

for an input ``x`` of the transposed convolution's output size (``tests/test_upsampling.py``
checks it, and checks both functions against TensorFlow in float64). It is not an inverse:
``A.T`` only undoes ``A`` in shape, not in value. The name "deconvolution" used in some
papers [4]_ is a misnomer for the same operation [1]_.

Layouts (NHWC, like Keras)
--------------------------
==================  ======================  ==================
input ``x``         ``kernel``              result
==================  ======================  ==================
``(H, W)``          ``(kh, kw)``            ``(H', W')``
``(H, W, F)``       ``(kh, kw, C, F)``      ``(H', W', C)``
``(N, H, W, F)``    ``(kh, kw, C, F)``      ``(N, H', W', C)``
==================  ======================  ==================

The kernel has Keras' ``Conv2DTranspose`` layout ``(kh, kw, out_channels, in_channels)``:
the layout of the convolution ``C -> F`` it transposes. ``H'`` is
:func:`transposed_output_size`.

Dtype rule: results are floating, ``np.result_type(x, kernel, np.float32)``.

See Also
--------
cnn_course.conv.conv2d : the convolution these transpose.
cnn_course.backprop.conv2d_backward : its input gradient, the same scatter.
cnn_course.segmentation : masks and scores for the network that uses them.

References
----------
.. [1] V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
   arXiv:1603.07285, 2016 (section 4: transposed convolution arithmetic).
.. [2] J. Long, E. Shelhamer and T. Darrell, "Fully convolutional networks for semantic
   segmentation", CVPR 2015, arXiv:1411.4038 (upsampling inside the network, learnt).
.. [3] O. Ronneberger, P. Fischer and T. Brox, "U-Net: convolutional networks for
   biomedical image segmentation", MICCAI 2015, arXiv:1505.04597.
.. [4] H. Noh, S. Hong and B. Han, "Learning deconvolution network for semantic
   segmentation", ICCV 2015, arXiv:1505.04366 (the mirrored encoder-decoder).
.. [5] A. Odena, V. Dumoulin and C. Olah, "Deconvolution and checkerboard artifacts",
   Distill, 2016, https://distill.pub/2016/deconv-checkerboard/
"""
from __future__ import annotations

import numpy as np

from ._validation import check_choice, check_int, check_pair, check_real_array, check_size
from .padding import IntOrPair, from_nhwc, to_nhwc

__all__ = ["transposed_output_size", "conv2d_transpose_naive", "conv2d_transpose", "upsample2d"]

_PADDING_HELP = '"valid", "same", or an int >= 0 (rows/columns cropped from each side)'


# ----------------------------------------------------------------------------- sizes
def _crop(n: int, k: int, s: int, padding: object, name: str = "padding") -> tuple[int, int]:
    """``(before, out)``: rows cropped from the top of the full scatter, and the output length."""
    if isinstance(padding, str):
        check_choice(name, padding, ("valid", "same"))
        if padding == "valid":
            return 0, n * s + max(k - s, 0)
        return max(k - s, 0) // 2, n * s
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)):
        raise TypeError(f"{name} must be {_PADDING_HELP}, got {padding!r}")
    p = check_int(name, padding, 0)
    out = (n - 1) * s + k - 2 * p
    if out < 1:
        raise ValueError(f"{name} must be <= {((n - 1) * s + k - 1) // 2} here: cropping {p} "
                         f"from each side of the {(n - 1) * s + k} rows/columns of the "
                         f"scatter leaves {out}")
    return p, out


def transposed_output_size(n: int, kernel_size: int, stride: int = 1,
                           padding: str | int = "valid") -> int:
    """Output length of a transposed convolution along one axis.

    The full scatter is ``(n - 1)*s + k`` long (the last input pixel's kernel copy starts
    at ``(n - 1)*s``). Then, like ``keras.layers.Conv2DTranspose``:

    - ``"valid"``: ``n*s + max(k - s, 0)`` (the full scatter; when ``k < s`` the copies
      leave gaps and the output is ``n*s``, zeros at the end);
    - ``"same"``: ``n*s``, exactly ``stride`` times the input;
    - an int ``p``: ``(n - 1)*s + k - 2p`` (``p`` cropped from each side; PyTorch's
      ``ConvTranspose2d(padding=p)``).

    In each case a convolution with the same kernel, stride and padding maps an input of
    this length back to ``n`` (:func:`cnn_course.padding.output_size`).

    Parameters
    ----------
    n : int
        Input length (>= 1).
    kernel_size : int
        ``k`` (>= 1).
    stride : int
        ``s`` (>= 1): the distance between two copies of the kernel in the output.
    padding : "valid", "same" or int >= 0

    Returns
    -------
    int

    See Also
    --------
    cnn_course.padding.output_size : the convolution's size, the other way round.

    References
    ----------
    .. [1] V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep
       learning", arXiv:1603.07285, 2016, relationship 14.

    Examples
    --------
    >>> transposed_output_size(7, 3, stride=2, padding="same")
    14
    >>> transposed_output_size(7, 3, stride=2, padding="valid")     # (7 - 1)*2 + 3
    15
    >>> transposed_output_size(7, 4, stride=2, padding=1)           # (7 - 1)*2 + 4 - 2
    14
    """
    n = check_int("n", n, 1)
    k = check_int("kernel_size", kernel_size, 1)
    s = check_int("stride", stride, 1)
    return _crop(n, k, s, padding)[1]


# ----------------------------------------------------------------------------- arguments
def _arguments(x: object, kernel: object, bias: object, stride: object, padding: object):
    x = check_real_array("x", x, (2, 3, 4))
    kernel = check_real_array("kernel", kernel, (2, 4))
    if (x.ndim == 2) != (kernel.ndim == 2):
        raise ValueError("kernel must be (kh, kw) for a 2-D x and (kh, kw, C, F) otherwise; "
                         f"got x of shape {x.shape} and kernel of shape {kernel.shape}")
    x4 = to_nhwc(x)
    k4 = kernel[:, :, None, None] if kernel.ndim == 2 else kernel
    if k4.shape[3] != x4.shape[3]:
        raise ValueError(f"kernel must have shape (kh, kw, C, F) with F = the input's channels "
                         f"{x4.shape[3]} (Keras' Conv2DTranspose layout: out, in); got "
                         f"{kernel.shape}")
    sh, sw = check_pair("stride", stride)
    N, H, W, _ = x4.shape
    kh, kw, C, _ = k4.shape
    top, out_h = _crop(H, kh, sh, padding)
    left, out_w = _crop(W, kw, sw, padding)
    full = (N, max((H - 1) * sh + kh, top + out_h), max((W - 1) * sw + kw, left + out_w), C)
    check_size("x, kernel and stride", full, "the output", "use a smaller stride or input")
    check_size("x and kernel", (N * H * W, kh * kw * C), "the scattered kernel copies")
    dtype = np.result_type(x, kernel, np.float32)
    b = np.zeros(C, dtype=dtype)
    if bias is not None:
        b = check_real_array("bias", np.atleast_1d(bias), (1,))
        if b.shape not in ((1,), (C,)):
            raise ValueError(f"bias must be a scalar or have shape ({C},) (one per output "
                             f"channel), got {np.shape(bias)}")
        b = np.broadcast_to(b.astype(dtype), (C,))
    return (x4.astype(dtype, copy=False), k4.astype(dtype, copy=False), b, (sh, sw),
            (top, out_h), (left, out_w), full, x.ndim)


def _finish(full4: np.ndarray, b: np.ndarray, rows: tuple[int, int], cols: tuple[int, int],
            ndim: int) -> np.ndarray:
    (top, out_h), (left, out_w) = rows, cols
    out = full4[:, top:top + out_h, left:left + out_w, :] + b
    if ndim == 2:
        return out[0, :, :, 0]
    return from_nhwc(out, ndim)


# ----------------------------------------------------------------------------- transposed conv
def conv2d_transpose_naive(x: np.ndarray, kernel: np.ndarray,
                           bias: np.ndarray | float | None = None, stride: IntOrPair = 1,
                           padding: str | int = "valid") -> np.ndarray:
    """Transposed convolution with explicit loops: every input pixel scatters the kernel.

    ``full[n, i*sh + u, j*sw + v, c] += x[n, i, j, f] * kernel[u, v, c, f]``

    for every input pixel ``(i, j)``, kernel tap ``(u, v)``, output channel ``c`` and input
    channel ``f``; then ``full`` is cropped (``padding``) and the bias added. Same arguments
    and result as :func:`conv2d_transpose`.

    See Also
    --------
    conv2d_transpose : the same, fast; the parameters are described there.
    cnn_course.backprop.conv2d_backward_naive : the same loop, sending gradients back.

    References
    ----------
    .. [1] V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep
       learning", arXiv:1603.07285, 2016, section 4.

    Examples
    --------
    >>> conv2d_transpose_naive(np.array([[1.0, 2.0]]), np.ones((2, 2)), stride=1)
    array([[1., 3., 2.],
           [1., 3., 2.]])
    >>> conv2d_transpose_naive(np.array([[1.0, 2.0]]), np.ones((2, 2)), stride=2)
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    """
    x4, k4, b, (sh, sw), rows, cols, full_shape, ndim = _arguments(x, kernel, bias, stride,
                                                                   padding)
    kh, kw, C, F = k4.shape
    N, H, W, _ = x4.shape
    full = np.zeros(full_shape, dtype=x4.dtype)
    for i in range(H):
        for j in range(W):
            # the kernel copy of pixel (i, j): (N, kh, kw, C), summed over the input channels
            copy = np.einsum("nf,uvcf->nuvc", x4[:, i, j, :], k4)
            full[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :] += copy
    return _finish(full, b, rows, cols, ndim)


def conv2d_transpose(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | float | None = None,
                     stride: IntOrPair = 1, padding: str | int = "valid") -> np.ndarray:
    """Transposed convolution (``keras.layers.Conv2DTranspose``, ``tf.nn.conv2d_transpose``).

    ``full[n, i*sh + u, j*sw + v, c] = sum_{i, j, u, v, f} x[n, i, j, f] * kernel[u, v, c, f]``
    ``out = full[:, top:top + H', left:left + W', :] + bias``

    Each input pixel adds a copy of the kernel, scaled by its value, into the output, the
    copies ``stride`` pixels apart. With ``stride`` 2 and a 3x3 kernel the copies overlap
    on every other row and column only, which gives the *checkerboard* pattern of a
    freshly initialised (or badly trained) upsampling layer [5]_.

    Parameters
    ----------
    x : array of shape (H, W), (H, W, F) or (N, H, W, F)
        The maps to enlarge, channels last.
    kernel : array of shape (kh, kw) for a 2-D ``x``, else (kh, kw, C, F)
        Keras' ``Conv2DTranspose`` layout: ``C`` output channels, ``F`` input channels.
    bias : float or array of shape (C,), optional
    stride : int or (sh, sw)
        Distance between the kernel copies, >= 1: the output is about ``stride`` times
        larger than the input.
    padding : "valid", "same" or int >= 0
        How much of the full scatter is kept (:func:`transposed_output_size`): ``"same"``
        keeps exactly ``stride * H`` rows, cropping ``max(kh - sh, 0) // 2`` at the top and
        the rest at the bottom; ``"valid"`` keeps everything; an int ``p`` crops ``p`` rows
        and columns from each side.

    Returns
    -------
    array of shape (H', W'), (H', W', C) or (N, H', W', C)
        ``H' = transposed_output_size(H, kh, sh, padding)``, likewise ``W'``.

    Raises
    ------
    TypeError, ValueError
        Non-numeric or empty arrays, wrong dimensions, a kernel whose last axis is not the
        input's channels, ``stride < 1``, unknown padding, a crop that leaves nothing, a
        bias of the wrong length, or an output over the size limit.

    See Also
    --------
    conv2d_transpose_naive : the same with a loop over the input pixels.
    transposed_output_size : ``H'``.
    upsample2d : enlarging by a fixed rule instead of a learnt kernel.
    cnn_course.backprop.conv2d_backward : ``dx`` of a convolution is this function of ``dout``.

    Notes
    -----
    One matrix product ``x (N*H*W, F) @ kernel.T (F, kh*kw*C)`` gives every pixel's kernel
    copy; they are added into place with one strided add per kernel tap ``(u, v)``.

    References
    ----------
    .. [1] V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep
       learning", arXiv:1603.07285, 2016, section 4.
    .. [2] J. Long, E. Shelhamer and T. Darrell, "Fully convolutional networks for semantic
       segmentation", CVPR 2015, arXiv:1411.4038.
    .. [3] H. Noh, S. Hong and B. Han, "Learning deconvolution network for semantic
       segmentation", ICCV 2015, arXiv:1505.04366.
    .. [4] O. Ronneberger, P. Fischer and T. Brox, "U-Net: convolutional networks for
       biomedical image segmentation", MICCAI 2015, arXiv:1505.04597.
    .. [5] A. Odena, V. Dumoulin and C. Olah, "Deconvolution and checkerboard artifacts",
       Distill, 2016.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]])      # copies 2 apart, 3 wide: overlap on row 2
    >>> conv2d_transpose(x, np.ones((3, 3)), stride=2, padding="same")
    array([[ 1.,  1.,  3.,  2.],
           [ 1.,  1.,  3.,  2.],
           [ 4.,  4., 10.,  6.],
           [ 3.,  3.,  7.,  4.]])
    """
    x4, k4, b, (sh, sw), rows, cols, full_shape, ndim = _arguments(x, kernel, bias, stride,
                                                                   padding)
    kh, kw, C, F = k4.shape
    N, H, W, _ = x4.shape
    # every pixel's kernel copy at once: (N, H, W, kh, kw, C)
    copies = (x4.reshape(-1, F) @ k4.reshape(kh * kw * C, F).T).reshape(N, H, W, kh, kw, C)
    full = np.zeros(full_shape, dtype=x4.dtype)
    for u in range(kh):
        for v in range(kw):
            full[:, u:u + sh * (H - 1) + 1:sh, v:v + sw * (W - 1) + 1:sw, :] += copies[:, :, :, u, v]
    return _finish(full, b, rows, cols, ndim)


# ----------------------------------------------------------------------------- fixed upsampling
def upsample2d(x: np.ndarray, size: IntOrPair = 2, interpolation: str = "nearest") -> np.ndarray:
    """Enlarge images by a whole factor, like ``keras.layers.UpSampling2D``.

    - ``"nearest"``: ``out[i, j] = x[i // sh, j // sw]`` (every value repeated ``sh x sw``
      times);
    - ``"bilinear"``: output pixel ``i`` sits at ``y = (i + 0.5) / sh - 0.5`` in input
      coordinates (pixel centres aligned, TensorFlow's ``half_pixel_centers``), clipped to
      ``[0, H - 1]``; its value mixes rows ``floor(y)`` and ``floor(y) + 1`` with weights
      ``1 - (y - floor(y))`` and ``y - floor(y)``, then the same along the columns.

    Nothing is learnt: these are the fixed alternatives to :func:`conv2d_transpose`.

    Parameters
    ----------
    x : array of shape (H, W), (H, W, C) or (N, H, W, C)
    size : int or (sh, sw)
        Enlargement factors, >= 1.
    interpolation : {"nearest", "bilinear"}

    Returns
    -------
    array of shape (H*sh, W*sw), (H*sh, W*sw, C) or (N, H*sh, W*sw, C)
        Floating, ``np.result_type(x, np.float32)``.

    See Also
    --------
    conv2d_transpose : learnt upsampling.
    cnn_course.pooling.pool2d : the downsampling this undoes in size.

    References
    ----------
    .. [1] J. Long, E. Shelhamer and T. Darrell, "Fully convolutional networks for semantic
       segmentation", CVPR 2015, arXiv:1411.4038 (bilinear upsampling as a fixed
       transposed convolution).
    .. [2] A. Odena, V. Dumoulin and C. Olah, "Deconvolution and checkerboard artifacts",
       Distill, 2016 (resize, then convolve).

    Examples
    --------
    >>> upsample2d(np.array([[1.0, 2.0]]), 2)
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    >>> upsample2d(np.array([[0.0, 4.0]]), (1, 2), "bilinear")
    array([[0., 1., 3., 4.]])
    """
    x = check_real_array("x", x, (2, 3, 4))
    sh, sw = check_pair("size", size)
    check_choice("interpolation", interpolation, ("nearest", "bilinear"))
    x4 = to_nhwc(x) if x.ndim != 2 else x[None, :, :, None]
    N, H, W, C = x4.shape
    check_size("size", (N, H * sh, W * sw, C), "the output")
    x4 = x4.astype(np.result_type(x, np.float32), copy=False)
    if interpolation == "nearest":
        out = x4.repeat(sh, axis=1).repeat(sw, axis=2)
    else:
        out = _linear(_linear(x4, sh, axis=1), sw, axis=2)
    return out[0, :, :, 0] if x.ndim == 2 else from_nhwc(out, x.ndim)


def _linear(x: np.ndarray, s: int, axis: int) -> np.ndarray:
    """Linear interpolation along ``axis`` to ``s`` times the length, pixel centres aligned."""
    n = x.shape[axis]
    y = np.clip((np.arange(n * s) + 0.5) / s - 0.5, 0, n - 1)
    lo = np.floor(y).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    w = (y - lo).astype(x.dtype)
    shape = [1] * x.ndim
    shape[axis] = n * s
    w = w.reshape(shape)
    return np.take(x, lo, axis=axis) * (1 - w) + np.take(x, hi, axis=axis) * w
