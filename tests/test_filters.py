"""Classic kernels: sums, symmetries, agreement with SciPy / scikit-image, errors.

Agreement tolerances: SciPy's ``ndimage`` filters with ``mode="mirror"`` (our
``border="reflect"``) agree to 1e-12 on float64 images in [0, 1]; scikit-image's
``sobel_v``/``sobel_h``/``prewitt_v``/``prewitt_h`` agree to 1e-12 after dividing ours by
4 (Sobel) or 3 (Prewitt) on interior pixels (scikit-image treats borders differently).
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from cnn_course import filters as F

ndi = pytest.importorskip("scipy.ndimage")
skf = pytest.importorskip("skimage.filters")

RNG = np.random.default_rng(0)
IMG = RNG.random((23, 19))
RGB = RNG.random((16, 17, 3))


@pytest.mark.parametrize("kernel", [F.mean(3), F.mean(5), F.gaussian(5, 1.0), F.gaussian(7, 2.5),
                                    F.gaussian(1, 1.0), F.sharpen(), F.emboss(), F.identity(5)])
def test_smoothing_and_preserving_kernels_sum_to_one(kernel):
    assert kernel.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", ["sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "vertical_edge",
                                  "horizontal_edge", "diagonal_edge_45", "diagonal_edge_135",
                                  "laplacian", "log"])
def test_derivative_kernels_sum_to_zero(name):
    assert abs(F.get_kernel(name).sum()) < 1e-12


def test_symmetries():
    for k in (F.mean(5), F.gaussian(7, 1.3), F.laplacian(4), F.laplacian(8), F.log(9, 1.4)):
        np.testing.assert_allclose(k, k.T, atol=1e-15)            # symmetric
        np.testing.assert_allclose(k, k[::-1, ::-1], atol=1e-15)  # centre-symmetric
        np.testing.assert_allclose(k, k[::-1], atol=1e-15)
    for kx, ky in ((F.sobel_x(), F.sobel_y()), (F.prewitt_x(), F.prewitt_y()),
                   (F.vertical_edge(), F.horizontal_edge())):
        np.testing.assert_array_equal(ky, kx.T)
        np.testing.assert_array_equal(kx[:, ::-1], -kx)              # antisymmetric left-right
        np.testing.assert_array_equal(kx[::-1], kx)                  # symmetric up-down
    for k in (F.diagonal_edge_45(), F.diagonal_edge_135(), F.emboss() - F.identity()):
        np.testing.assert_array_equal(k[::-1, ::-1], -k)
    np.testing.assert_array_equal(F.diagonal_edge_135(), F.diagonal_edge_45()[:, ::-1])
    np.testing.assert_array_equal(F.vertical_edge(), -F.prewitt_x())
    assert F.gaussian(7, 1.0).argmax() == 24 and F.log(9, 1.4).argmin() == 40


def test_gaussian_and_log_match_scipy_kernels():
    for size, sigma in ((3, 0.5), (5, 1.0), (9, 1.4), (11, 3.0)):
        delta = np.zeros((size, size))
        delta[size // 2, size // 2] = 1.0
        g = ndi.gaussian_filter(delta, sigma, radius=size // 2, mode="constant")
        np.testing.assert_allclose(F.gaussian(size, sigma), g, atol=1e-12)
        lg = ndi.gaussian_laplace(delta, sigma, radius=size // 2, mode="constant")
        np.testing.assert_allclose(F.log(size, sigma), lg - lg.mean(), atol=1e-12)


def test_apply_filter_matches_scipy():
    np.testing.assert_allclose(F.apply_filter(IMG, "gaussian", size=7, sigma=1.2),
                               ndi.gaussian_filter(IMG, 1.2, radius=3, mode="mirror"), atol=1e-12)
    np.testing.assert_allclose(F.apply_filter(IMG, "mean", size=5),
                               ndi.uniform_filter(IMG, 5, mode="mirror"), atol=1e-12)
    np.testing.assert_allclose(F.apply_filter(IMG, "sobel_x"), ndi.sobel(IMG, 1, mode="mirror"),
                               atol=1e-12)
    np.testing.assert_allclose(F.apply_filter(IMG, "sobel_y", border="edge"),
                               ndi.sobel(IMG, 0, mode="nearest"), atol=1e-12)
    np.testing.assert_allclose(F.apply_filter(IMG, "prewitt_x", border="constant"),
                               ndi.prewitt(IMG, 1, mode="constant"), atol=1e-12)
    np.testing.assert_allclose(F.apply_filter(IMG, "laplacian"), ndi.laplace(IMG, mode="mirror"),
                               atol=1e-12)
    k = RNG.normal(size=(3, 4))  # even width: "same" puts the extra column on the right
    np.testing.assert_allclose(F.apply_filter(IMG, k, border="constant"),
                               ndi.correlate(IMG, k, mode="constant", origin=(0, -1)), atol=1e-12)
    np.testing.assert_allclose(F.apply_filter(IMG, k, mode="convolve", border="constant"),
                               ndi.convolve(IMG, k, mode="constant"), atol=1e-12)


def test_sobel_and_prewitt_match_skimage_up_to_scale():
    inner = (slice(1, -1), slice(1, -1))
    np.testing.assert_allclose(F.apply_filter(IMG, "sobel_x")[inner] / 4, skf.sobel_v(IMG)[inner],
                               atol=1e-12)
    np.testing.assert_allclose(F.apply_filter(IMG, "sobel_y")[inner] / 4, skf.sobel_h(IMG)[inner],
                               atol=1e-12)
    np.testing.assert_allclose(F.apply_filter(IMG, "prewitt_x")[inner] / 3,
                               skf.prewitt_v(IMG)[inner], atol=1e-12)
    np.testing.assert_allclose(F.apply_filter(IMG, "prewitt_y")[inner] / 3,
                               skf.prewitt_h(IMG)[inner], atol=1e-12)
    # skimage.filters.sobel = sqrt((sobel_h**2 + sobel_v**2) / 2)
    np.testing.assert_allclose(F.gradient_magnitude(IMG)[inner] / 4 / np.sqrt(2),
                               skf.sobel(IMG)[inner], atol=1e-12)


def test_sign_conventions():
    step = np.zeros((7, 7))
    step[:, 4:] = 1.0  # brighter to the right
    assert F.apply_filter(step, "sobel_x")[3, 3] > 0
    assert F.apply_filter(step, "vertical_edge")[3, 3] < 0
    assert np.all(F.apply_filter(step, "sobel_y") == 0)
    assert F.apply_filter(step.T, "sobel_y")[3, 3] > 0          # brighter downwards
    assert F.apply_filter(step.T, "horizontal_edge")[3, 3] < 0
    blob = np.zeros((15, 15))
    blob[7, 7] = 1.0
    assert F.apply_filter(blob, "log", size=9, sigma=1.4)[7, 7] < 0
    assert F.apply_filter(blob, "laplacian")[7, 7] == -4
    diag = np.tril(np.ones((9, 9)))[::-1]                       # bright top-left of a "/" edge
    assert F.apply_filter(diag, "diagonal_edge_45")[4, 4] > 0
    assert F.apply_filter(diag, "diagonal_edge_135")[4, 4] == 0


def test_identity_and_flat_images():
    np.testing.assert_array_equal(F.apply_filter(IMG, "identity", size=5), IMG)
    flat = np.full((10, 12), 7.0)
    for name in ("sobel_x", "laplacian", "log", "diagonal_edge_45"):
        np.testing.assert_allclose(F.apply_filter(flat, name), 0, atol=1e-12)
    for name in ("mean", "gaussian", "sharpen", "emboss"):
        np.testing.assert_allclose(F.apply_filter(flat, name), 7, atol=1e-12)


def test_rgb_is_filtered_per_channel_and_dtypes():
    out = F.apply_filter(RGB, "gaussian", size=5, sigma=1.0)
    assert out.shape == RGB.shape and out.dtype == np.float64
    for c in range(3):
        np.testing.assert_allclose(out[..., c], F.apply_filter(RGB[..., c], "gaussian", size=5,
                                                               sigma=1.0), atol=1e-12)
    u8 = (RGB * 255).astype(np.uint8)
    out = F.apply_filter(u8, "mean", size=3)
    assert out.dtype == np.float32 and out.max() <= 255
    assert F.apply_filter(u8, "sobel_x", padding="valid").shape == (14, 15, 3)
    assert F.gradient_magnitude(u8, "prewitt").shape == u8.shape
    assert np.all(F.gradient_magnitude(IMG) >= 0)


def test_registry():
    assert set(F.KERNELS) == {"mean", "gaussian", "identity", "sharpen", "emboss", "sobel_x",
                              "sobel_y", "prewitt_x", "prewitt_y", "vertical_edge",
                              "horizontal_edge", "diagonal_edge_45", "diagonal_edge_135",
                              "laplacian", "log"}
    for name, factory in F.KERNELS.items():
        k = factory()
        assert k.ndim == 2 and k.shape[0] % 2 == 1 and k.dtype == np.float64, name
        assert factory.__doc__ and "Examples" in factory.__doc__, name
        np.testing.assert_array_equal(F.get_kernel(name), k)
    np.testing.assert_array_equal(F.get_kernel("gaussian", size=3, sigma=2), F.gaussian(3, 2))


@pytest.mark.parametrize("call, exc, message", [
    (lambda: F.gaussian(4, 1.0), ValueError, "size must be an odd int >= 1"),
    (lambda: F.gaussian(5, 0), ValueError, "sigma must be a finite number > 0"),
    (lambda: F.gaussian(5, -1.0), ValueError, "sigma must be a finite number > 0"),
    (lambda: F.gaussian(5, "1"), TypeError, "sigma must be a real number"),
    (lambda: F.mean(0), ValueError, "size must be an odd int >= 1"),
    (lambda: F.mean(2), ValueError, "size must be an odd int"),
    (lambda: F.identity(4), ValueError, "size must be an odd int"),
    (lambda: F.log(6, 1.0), ValueError, "size must be an odd int"),
    (lambda: F.log(1), ValueError, "size must be an odd int >= 3"),
    (lambda: F.get_kernel("log", size=1, sigma=0.5), ValueError, "size must be an odd int >= 3"),
    (lambda: F.gaussian(100001), ValueError, "size too large: the kernel"),
    (lambda: F.apply_filter(np.ones((3, 3), complex), "mean"), TypeError, "image must be a real"),
    (lambda: F.apply_filter(np.ones((0, 3)), "mean"), ValueError, "image must not be empty"),
    (lambda: F.apply_filter(IMG, np.ones((3, 3), complex)), TypeError,
     "kernel_or_name must be a real"),
    (lambda: F.log(5, float("nan")), ValueError, "sigma must be a finite number > 0"),
    (lambda: F.laplacian(6), ValueError, "neighbours must be 4 or 8"),
    (lambda: F.get_kernel("blur"), ValueError, "name must be one of"),
    (lambda: F.get_kernel("sobel_x", size=3), TypeError, "does not take parameters ['size']"),
    (lambda: F.apply_filter(IMG, "nope"), ValueError, "name must be one of"),
    (lambda: F.apply_filter(IMG, np.ones((3, 3, 1))), ValueError,
     "kernel_or_name must have 2 dimensions"),
    (lambda: F.apply_filter(IMG, np.ones((3, 3)), size=3), TypeError, "only used with a kernel name"),
    (lambda: F.apply_filter(np.ones(5), "mean"), ValueError, "image must have 2 or 3 dimensions"),
    (lambda: F.apply_filter(np.ones((2, 3, 4, 5)), "mean"), ValueError, "image must have"),
    (lambda: F.apply_filter(IMG, "mean", padding="full"), ValueError, "padding must be one of"),
    (lambda: F.apply_filter(IMG, "mean", border="wrap"), ValueError, "border must be one of"),
    (lambda: F.apply_filter(IMG, "mean", mode="conv"), ValueError, "mode must be one of"),
    (lambda: F.apply_filter(np.array([["a"]]), "mean"), TypeError, "image must be a numeric"),
    (lambda: F.apply_filter(np.ones((2, 2)), "mean", size=5, padding="valid"), ValueError,
     "larger than the padded input"),
    (lambda: F.gradient_magnitude(IMG, "canny"), ValueError, "operator must be one of"),
])
def test_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
