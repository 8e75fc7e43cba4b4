"""Classic hand-made image filters, and applying them with :func:`cnn_course.conv2d`.

Before a CNN *learns* its kernels, image processing *designed* them: blurring,
sharpening, edge and blob detectors. Every factory here returns a ``float64``
2-D kernel of shape ``(kh, kw)``, meant for **correlation** (what ``conv2d`` and
Conv2D layers compute): ``out[i, j] = sum_{u, v} k[u, v] * image[i + u - r, j + v - r]``.

Sign conventions (with correlation, rows pointing down, columns pointing right):

- ``sobel_x``/``prewitt_x`` estimate ``d image / d column``: **positive where the
  intensity increases from left to right** (same sign as ``scipy.ndimage.sobel(axis=1)``
  and ``skimage.filters.sobel_v``, which is 1/4 of it);
- ``sobel_y``/``prewitt_y`` estimate ``d image / d row``: **positive where the intensity
  increases downwards** (``scipy.ndimage.sobel(axis=0)``; ``skimage.filters.sobel_h``
  is 1/4 of it);
- ``vertical_edge``/``horizontal_edge`` are the ``[1, 0, -1]`` kernels of many CNN
  courses: positive where it is bright on the left (top) and dark on the right (bottom);
- ``laplacian`` and ``log`` have a **negative centre** (like ``scipy.ndimage.laplace``
  and ``scipy.ndimage.gaussian_laplace``): bright blobs give negative responses.

Kernels larger than :data:`cnn_course._validation.MAX_ELEMENTS` values (``size`` above
16383) are refused with a ``ValueError`` before anything is allocated.

See Also
--------
cnn_course.conv.conv2d : the operation that applies a kernel.
scipy.ndimage : ``correlate``, ``sobel``, ``prewitt``, ``gaussian_filter``, ``gaussian_laplace``.
skimage.filters : the same filters for image analysis.

References
----------
.. [1] R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., Pearson,
   2018, chapter 3 (spatial filtering: smoothing, sharpening, derivative kernels).
.. [2] I. Sobel and G. Feldman, "A 3x3 isotropic gradient operator for image
   processing", talk at the Stanford Artificial Intelligence Project, 1968.
.. [3] J. M. S. Prewitt, "Object enhancement and extraction", in B. S. Lipkin and
   A. Rosenfeld (eds.), *Picture Processing and Psychopictorics*, Academic Press,
   pp. 75-149, 1970.
.. [4] D. Marr and E. Hildreth, "Theory of edge detection", *Proceedings of the Royal
   Society of London B* 207(1167):187-217, 1980.

Examples
--------
>>> from cnn_course import filters
>>> image = np.zeros((5, 5)); image[:, 3:] = 1.0        # dark left, bright right
>>> filters.apply_filter(image, "sobel_x")[2]
array([0., 0., 4., 4., 0.])
>>> sorted(filters.KERNELS)[:4]
['diagonal_edge_135', 'diagonal_edge_45', 'emboss', 'gaussian']
"""
from __future__ import annotations

import numbers
from typing import Callable, Union

import numpy as np

from ._validation import check_choice, check_int, check_real_array, check_size
from .conv import conv2d
from .padding import pad2d, same_padding

__all__ = [
    "mean", "gaussian", "sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "vertical_edge",
    "horizontal_edge", "diagonal_edge_45", "diagonal_edge_135", "laplacian", "log", "sharpen",
    "emboss", "identity", "KERNELS", "get_kernel", "apply_filter", "gradient_magnitude",
]


def _odd_size(name: str, size: object, minimum: int = 1) -> int:
    """``size`` checked: an odd int >= ``minimum``, with ``size**2`` within the size limit."""
    size = check_int(name, size)
    if size < minimum or size % 2 == 0:
        raise ValueError(f"{name} must be an odd int >= {minimum} (the kernel needs a centre "
                         f"pixel{' and its neighbours' if minimum > 1 else ''}), got {size}")
    check_size(name, (size, size), "the kernel", "use a smaller size")
    return size


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number > 0, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return value


# ----------------------------------------------------------------------------- smoothing
def mean(size: int = 3) -> np.ndarray:
    """Box (mean) blur: every weight ``1 / size**2``.

    ``k[u, v] = 1 / size**2``; the output pixel is the average of its
    ``size x size`` neighbourhood. Sums to 1, so flat regions keep their brightness.

    Parameters
    ----------
    size : int
        Odd side length >= 1.

    See Also
    --------
    gaussian : a blur that weights near pixels more.
    scipy.ndimage.uniform_filter : the same filter.

    References
    ----------
    .. [1] R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., Pearson,
       2018, chapter 3 (smoothing spatial filters).

    Examples
    --------
    >>> mean(3).sum()
    np.float64(1.0)
    >>> mean(3)[0, 0] == 1 / 9
    np.True_
    """
    size = _odd_size("size", size)
    return np.full((size, size), 1.0 / size**2)


def gaussian(size: int = 5, sigma: float = 1.0) -> np.ndarray:
    """Gaussian blur: weights from a bell curve, normalised to sum 1.

    ``k[u, v] = exp(-(u**2 + v**2) / (2 sigma**2)) / Z`` for ``u, v`` in
    ``-r..r`` (``r = size // 2``), ``Z`` making the weights sum to 1. Blurs like
    :func:`mean` but weights near pixels more, so edges and shapes survive better.
    Choose ``size`` about ``6 * sigma + 1`` to keep almost all of the bell.
    Equal to the kernel of ``scipy.ndimage.gaussian_filter(sigma=sigma, radius=r)``.

    Parameters
    ----------
    size : int
        Odd side length >= 1.
    sigma : float
        Standard deviation in pixels, > 0.

    See Also
    --------
    mean : the box blur.
    log : the Laplacian of this Gaussian.
    scipy.ndimage.gaussian_filter : the same filter, separable and faster.

    References
    ----------
    .. [1] R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., Pearson,
       2018, chapter 3 (lowpass Gaussian filter kernels).

    Examples
    --------
    >>> k = gaussian(5, 1.0)
    >>> k.shape, round(k.sum(), 12), bool(k[2, 2] == k.max())
    ((5, 5), np.float64(1.0), True)
    """
    size = _odd_size("size", size)
    sigma = _positive("sigma", sigma)
    r = np.arange(size) - size // 2
    g = np.exp(-0.5 * (r / sigma) ** 2)
    g /= g.sum()
    return np.outer(g, g)


def identity(size: int = 3) -> np.ndarray:
    """Identity kernel: 1 in the centre, 0 elsewhere; the output equals the input.

    ``k[r, r] = 1`` with ``r = size // 2``. Useful to check a convolution routine and
    to build others (``sharpen = 2 * identity - mean``).

    See Also
    --------
    sharpen : built from it.

    Examples
    --------
    >>> identity(3)
    array([[0., 0., 0.],
           [0., 1., 0.],
           [0., 0., 0.]])
    """
    size = _odd_size("size", size)
    k = np.zeros((size, size))
    k[size // 2, size // 2] = 1.0
    return k


def sharpen() -> np.ndarray:
    """Sharpen: the image plus its (negated) 4-neighbour Laplacian.

    ``k = identity - laplacian(4) = [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]``; sums to 1,
    so flat regions are unchanged while differences to the neighbours are amplified.

    See Also
    --------
    laplacian : what it subtracts.
    identity : what it starts from.

    Examples
    --------
    >>> sharpen()
    array([[ 0., -1.,  0.],
           [-1.,  5., -1.],
           [ 0., -1.,  0.]])
    """
    return identity(3) - laplacian(4)


def emboss() -> np.ndarray:
    """Emboss: a diagonal derivative plus the image, giving a raised-relief look.

    ``k = [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]``; sums to 1. Bright where the intensity
    rises towards the bottom-right, dark where it falls.

    See Also
    --------
    sobel_x, sobel_y : plain derivatives.

    Examples
    --------
    >>> emboss().sum()
    np.float64(1.0)
    """
    return np.array([[-2.0, -1.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])


# ----------------------------------------------------------------------------- derivatives
def sobel_x() -> np.ndarray:
    """Sobel horizontal derivative (finds vertical edges).

    ``k = [1, 2, 1]^T (smoothing down the rows) x [-1, 0, 1] (difference along the row)``::

        [[-1, 0, 1],
         [-2, 0, 2],
         [-1, 0, 1]]

    Positive where the intensity increases left to right; sums to 0; antisymmetric
    left-right. Equals ``scipy.ndimage.sobel(image, axis=1)`` and 4x ``skimage.filters.sobel_v``.

    See Also
    --------
    sobel_y : the vertical derivative.
    prewitt_x : the same with box smoothing.
    gradient_magnitude : edge strength from both derivatives.

    References
    ----------
    .. [1] I. Sobel and G. Feldman, "A 3x3 isotropic gradient operator for image
       processing", talk at the Stanford Artificial Intelligence Project, 1968.

    Examples
    --------
    >>> sobel_x()[1]
    array([-2.,  0.,  2.])
    """
    return np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])


def sobel_y() -> np.ndarray:
    """Sobel vertical derivative (finds horizontal edges): ``sobel_x().T``.

    ``k = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]``; positive where the intensity increases
    downwards; sums to 0. Equals ``scipy.ndimage.sobel(image, axis=0)``.

    See Also
    --------
    sobel_x : the horizontal derivative.
    gradient_magnitude : both combined.

    Examples
    --------
    >>> sobel_y()[:, 1]
    array([-2.,  0.,  2.])
    """
    return sobel_x().T


def prewitt_x() -> np.ndarray:
    """Prewitt horizontal derivative: like :func:`sobel_x` with plain (box) smoothing.

    ``k = [1, 1, 1]^T x [-1, 0, 1] = [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]``; sums to 0.
    Equals ``scipy.ndimage.prewitt(image, axis=1)``.

    See Also
    --------
    prewitt_y : the vertical derivative.
    sobel_x : the same with ``[1, 2, 1]`` smoothing.

    References
    ----------
    .. [1] J. M. S. Prewitt, "Object enhancement and extraction", in B. S. Lipkin and
       A. Rosenfeld (eds.), *Picture Processing and Psychopictorics*, Academic Press,
       pp. 75-149, 1970.

    Examples
    --------
    >>> prewitt_x()[0]
    array([-1.,  0.,  1.])
    """
    return np.outer([1.0, 1.0, 1.0], [-1.0, 0.0, 1.0])


def prewitt_y() -> np.ndarray:
    """Prewitt vertical derivative: ``prewitt_x().T``, positive where brighter downwards.

    ``k = [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]``; sums to 0.

    See Also
    --------
    prewitt_x : the horizontal derivative.
    sobel_y : with ``[1, 2, 1]`` smoothing.

    Examples
    --------
    >>> prewitt_y()[:, 0]
    array([-1.,  0.,  1.])
    """
    return prewitt_x().T


def vertical_edge() -> np.ndarray:
    """Vertical-edge detector of CNN lessons: ``[[1, 0, -1]] * 3``.

    ``k = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]`` (``-prewitt_x()``): large and positive
    on a vertical edge with the bright side on the left, negative for bright on the
    right, 0 on flat regions; sums to 0.

    See Also
    --------
    horizontal_edge : the same rotated.
    prewitt_x : the same with the opposite sign.

    Examples
    --------
    >>> image = np.array([[10, 10, 0, 0]] * 3, dtype=np.uint8)
    >>> apply_filter(image, vertical_edge(), padding="valid")
    array([[30., 30.]], dtype=float32)
    """
    return 0.0 - prewitt_x()  # not -prewitt_x(): that would print zeros as -0.


def horizontal_edge() -> np.ndarray:
    """Horizontal-edge detector: ``vertical_edge().T``.

    ``k = [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]``: positive where it is bright above and
    dark below; sums to 0.

    See Also
    --------
    vertical_edge : the same rotated.
    prewitt_y : the same with the opposite sign.

    Examples
    --------
    >>> horizontal_edge()[0]
    array([1., 1., 1.])
    """
    return vertical_edge().T


def diagonal_edge_45() -> np.ndarray:
    """45-degree edge detector (edges running ``/``, bottom-left to top-right).

    ``k = [[1, 1, 0], [1, 0, -1], [0, -1, -1]]``: zeros along the ``/`` diagonal, positive
    above-left of it, negative below-right; responds to a ``/`` edge with the bright side
    at the top-left. Sums to 0; rotating it by 180 degrees gives ``-k``.

    See Also
    --------
    diagonal_edge_135 : the other diagonal.
    vertical_edge, horizontal_edge

    Examples
    --------
    >>> np.fliplr(diagonal_edge_45()).diagonal()
    array([0., 0., 0.])
    """
    return np.array([[1.0, 1.0, 0.0], [1.0, 0.0, -1.0], [0.0, -1.0, -1.0]])


def diagonal_edge_135() -> np.ndarray:
    """135-degree edge detector (edges running ``\\``, top-left to bottom-right).

    ``k = [[0, 1, 1], [-1, 0, 1], [-1, -1, 0]]`` (``diagonal_edge_45`` mirrored left-right):
    zeros along the ``\\`` diagonal, positive above-right; sums to 0.

    See Also
    --------
    diagonal_edge_45 : the other diagonal.

    Examples
    --------
    >>> diagonal_edge_135().diagonal()
    array([0., 0., 0.])
    """
    return np.fliplr(diagonal_edge_45()).copy()


def laplacian(neighbours: int = 4) -> np.ndarray:
    """Discrete Laplacian ``d2/dx2 + d2/dy2`` (second derivative, all directions).

    ``neighbours=4``: ``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]`` (``scipy.ndimage.laplace``);
    ``neighbours=8``: ``[[1, 1, 1], [1, -8, 1], [1, 1, 1]]`` (diagonals too).
    Sums to 0; symmetric; negative centre. Responds to fine detail, edges and noise.

    Parameters
    ----------
    neighbours : {4, 8}

    See Also
    --------
    log : the Laplacian of a Gaussian-smoothed image (less sensitive to noise).
    sharpen : the image minus its Laplacian.
    scipy.ndimage.laplace : the 4-neighbour version.

    References
    ----------
    .. [1] R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., Pearson,
       2018, chapter 3 (the Laplacian for image sharpening).

    Examples
    --------
    >>> laplacian(8).sum()
    np.float64(0.0)
    """
    neighbours = check_int("neighbours", neighbours)
    if neighbours not in (4, 8):
        raise ValueError(f"neighbours must be 4 or 8, got {neighbours}")
    if neighbours == 4:
        return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    k = np.ones((3, 3))
    k[1, 1] = -8.0
    return k


def log(size: int = 9, sigma: float = 1.4) -> np.ndarray:
    """Laplacian of Gaussian ("Mexican hat", negative centre), made zero-sum.

    ``k[u, v] = G[u, v] * (u**2 + v**2 - 2 sigma**2) / sigma**4``, minus its mean so that
    ``k.sum() == 0`` exactly (flat regions give 0), where ``G`` is :func:`gaussian`
    (normalised). Smooths away noise, then takes the Laplacian: finds blobs of size about
    ``sigma * sqrt(2)`` and edges (its zero crossings, Marr-Hildreth). Before the mean is
    removed it equals the kernel of ``scipy.ndimage.gaussian_laplace(sigma=sigma,
    radius=size // 2)``.

    Parameters
    ----------
    size : int
        Odd side length >= 3 (a 1x1 kernel has no neighbours to compare, so it is
        refused); ``2 * ceil(3 sigma) + 1`` keeps almost all of the hat.
    sigma : float
        Standard deviation of the Gaussian, > 0.

    See Also
    --------
    gaussian, laplacian : the two operators combined here.
    scipy.ndimage.gaussian_laplace : the same filter.

    References
    ----------
    .. [1] D. Marr and E. Hildreth, "Theory of edge detection", *Proceedings of the Royal
       Society of London B* 207(1167):187-217, 1980.

    Examples
    --------
    >>> k = log(9, 1.4)
    >>> bool(abs(k.sum()) < 1e-12), bool(k[4, 4] == k.min())
    (True, True)
    """
    size = _odd_size("size", size, minimum=3)
    sigma = _positive("sigma", sigma)
    r = np.arange(size) - size // 2
    rr = r[:, None] ** 2 + r[None, :] ** 2
    k = gaussian(size, sigma) * (rr - 2 * sigma**2) / sigma**4
    return k - k.mean()


# ----------------------------------------------------------------------------- registry
KERNELS: dict[str, Callable[..., np.ndarray]] = {
    "mean": mean,
    "gaussian": gaussian,
    "identity": identity,
    "sharpen": sharpen,
    "emboss": emboss,
    "sobel_x": sobel_x,
    "sobel_y": sobel_y,
    "prewitt_x": prewitt_x,
    "prewitt_y": prewitt_y,
    "vertical_edge": vertical_edge,
    "horizontal_edge": horizontal_edge,
    "diagonal_edge_45": diagonal_edge_45,
    "diagonal_edge_135": diagonal_edge_135,
    "laplacian": laplacian,
    "log": log,
}
"""Kernel name -> factory function (call it, with its parameters, to get the kernel)."""


def get_kernel(name: str, **params) -> np.ndarray:
    """Build a kernel by name: ``get_kernel("gaussian", size=5, sigma=1.0)``.

    Parameters
    ----------
    name : str
        A key of :data:`KERNELS`.
    **params
        Passed to the factory (``size``, ``sigma``, ``neighbours``).

    See Also
    --------
    KERNELS : the names.
    apply_filter : build and apply in one call.

    Examples
    --------
    >>> get_kernel("laplacian", neighbours=4)[1]
    array([ 1., -4.,  1.])
    """
    check_choice("name", name, sorted(KERNELS))
    try:
        return KERNELS[name](**params)
    except TypeError as err:
        if "unexpected keyword" in str(err) or "positional argument" in str(err):
            raise TypeError(f"kernel {name!r} does not take parameters {sorted(params)}: "
                            f"{err}") from None
        raise


KernelLike = Union[str, np.ndarray]


def apply_filter(image: np.ndarray, kernel_or_name: KernelLike, padding: str = "same",
                 border: str = "reflect", mode: str = "correlate", **params) -> np.ndarray:
    """Filter a grayscale or colour image with a 2-D kernel (each channel on its own).

    ``out[i, j, c] = sum_{u, v} k[u, v] * padded[i + u, j + v, c]`` computed by
    :func:`cnn_course.conv2d`; with ``padding="same"`` the image is first padded by
    :func:`cnn_course.same_padding` rows/columns filled as ``border`` says, so the
    output has the input's height and width.

    Parameters
    ----------
    image : array of shape (H, W) or (H, W, C) (RGB: C = 3)
        Any real dtype; pixel values are used as they are (no rescaling).
    kernel_or_name : 2-D array (kh, kw) or str
        A kernel, or a name from :data:`KERNELS` (its parameters go in ``**params``).
    padding : {"same", "valid"}
        ``"same"`` keeps the size; ``"valid"`` only keeps pixels where the kernel fits.
    border : {"reflect", "edge", "constant"}
        How ``"same"`` fills the border: mirror (``c b | a b c``), repeat the edge pixel,
        or zeros. Zeros darken the border of blurred images; ``"reflect"`` does not.
    mode : {"correlate", "convolve"}
        ``"convolve"`` flips the kernel first (true convolution).
    **params
        Kernel parameters when ``kernel_or_name`` is a name, e.g. ``size=5, sigma=1``.

    Returns
    -------
    array, same layout as ``image``
        Floating dtype ``np.result_type(image, np.float32)`` (``uint8`` gives float32).

    See Also
    --------
    cnn_course.conv.conv2d : the convolution underneath.
    cnn_course.padding.pad2d : the border filling.
    scipy.ndimage.correlate : the same with ``mode="mirror"`` for ``border="reflect"``.

    References
    ----------
    .. [1] R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., Pearson,
       2018, chapter 3 (fundamentals of spatial filtering).

    Examples
    --------
    >>> img = np.arange(25, dtype=np.float32).reshape(5, 5)
    >>> apply_filter(img, "mean", size=3)[2, 2]           # mean of the centre 3x3
    np.float32(12.0)
    >>> apply_filter(np.zeros((8, 8, 3)), "gaussian", size=5, sigma=1).shape
    (8, 8, 3)
    """
    image = check_real_array("image", image, (2, 3))
    if isinstance(kernel_or_name, str):
        kernel = get_kernel(kernel_or_name, **params)
    else:
        if params:
            raise TypeError(f"kernel parameters {sorted(params)} are only used with a kernel "
                            f"name, not with a kernel array")
        kernel = check_real_array("kernel_or_name", kernel_or_name, (2,))
    padding = check_choice("padding", padding, ("same", "valid"))
    border = check_choice("border", border, ("reflect", "edge", "constant"))
    check_choice("mode", mode, ("correlate", "convolve"))

    dtype = np.result_type(image, np.float32)
    kernel = kernel.astype(dtype, copy=False)
    # channels become a batch of grayscale images: (H, W, C) -> (C, H, W, 1)
    batch = image[None, :, :, None] if image.ndim == 2 else np.moveaxis(image, -1, 0)[..., None]
    batch = batch.astype(dtype, copy=False)
    if padding == "same":
        kh, kw = kernel.shape
        pad = (same_padding(image.shape[0], kh), same_padding(image.shape[1], kw))
        batch = pad2d(batch, pad, mode=border)
    out = conv2d(batch, kernel[:, :, None, None], padding="valid", mode=mode)[..., 0]
    return out[0] if image.ndim == 2 else np.moveaxis(out, 0, -1)


def gradient_magnitude(image: np.ndarray, operator: str = "sobel",
                       border: str = "reflect") -> np.ndarray:
    """Edge strength ``sqrt(gx**2 + gy**2)`` from Sobel or Prewitt derivatives.

    ``gx = apply_filter(image, operator + "_x")`` and ``gy`` likewise, with ``"same"``
    padding. Large on edges of any orientation, 0 on flat regions.

    Parameters
    ----------
    image : array of shape (H, W) or (H, W, C)
    operator : {"sobel", "prewitt"}
    border : {"reflect", "edge", "constant"}

    Returns
    -------
    array, same shape as ``image``, floating dtype, values >= 0.

    See Also
    --------
    sobel_x, sobel_y, prewitt_x, prewitt_y : the derivative kernels.
    skimage.filters.sobel : ``sqrt((gx**2 + gy**2) / 2) / 4`` in these terms.

    References
    ----------
    .. [1] R. C. Gonzalez and R. E. Woods, *Digital Image Processing*, 4th ed., Pearson,
       2018, chapter 10 (the image gradient and edge detection).

    Examples
    --------
    >>> step = np.zeros((5, 5)); step[:, 3:] = 1
    >>> gradient_magnitude(step)[2]
    array([0., 0., 4., 4., 0.])
    """
    operator = check_choice("operator", operator, ("sobel", "prewitt"))
    gx = apply_filter(image, f"{operator}_x", border=border)
    gy = apply_filter(image, f"{operator}_y", border=border)
    return np.hypot(gx, gy)
