"""cnn_course.images: real sample images by name, as stored, with clear errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from cnn_course import images


def test_fashion_mnist_image_is_always_available_as_stored():
    assert "fashion_mnist" in images.available_images()
    boot = images.load_image("fashion_mnist")
    assert boot.shape == (28, 28) and boot.dtype == np.uint8
    assert boot.max() == 255 and boot.min() == 0           # a real 8-bit image
    from cnn_course.data import load_dataset
    _, (x_test, y_test) = load_dataset("fashion_mnist", download=False)
    np.testing.assert_array_equal(boot, x_test[0])
    assert y_test[0] == 9                                    # ankle boot, as described
    assert "ankle boot" in images.available_images()["fashion_mnist"]


def test_load_image_returns_a_fresh_array_each_call():
    a = images.load_image("fashion_mnist")
    a[:] = 0                                                 # the student may change it
    assert images.load_image("fashion_mnist").max() == 255


@pytest.mark.parametrize("name", sorted(images.PHOTOS))
def test_photos_match_scikit_image(name):
    skdata = pytest.importorskip("skimage.data")
    expected = getattr(skdata, name)()
    photo = images.load_image(name)
    assert photo.dtype == np.uint8 and photo.shape == expected.shape == images.PHOTOS[name][1]
    np.testing.assert_array_equal(photo, expected)
    grey = images.load_image(name, grey=True)
    assert grey.shape == expected.shape[:2] and grey.dtype == np.uint8
    if expected.ndim == 3:
        luma = expected[..., :3].astype(float) @ [0.299, 0.587, 0.114]
        assert np.abs(grey.astype(float) - luma).max() <= 0.5 + 1e-9
    kind = "RGB" if expected.ndim == 3 else "grey"
    assert f"({kind}, {expected.shape[0]}x{expected.shape[1]})" in images.available_images()[name]


def test_to_grey_uses_luma_weights():
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)
    rgb[1, 1] = (0, 0, 255)
    grey = images.to_grey(rgb)
    assert grey[0, 0] == pytest.approx(0.299 * 255) and grey[1, 1] == pytest.approx(0.114 * 255)
    np.testing.assert_array_equal(images.to_grey(np.eye(3)), np.eye(3))
    with pytest.raises(ValueError, match=r"image must have shape \(H, W\), \(H, W, 3\)"):
        images.to_grey(np.zeros((2, 2, 2)))


def test_bad_names_and_arguments_are_rejected():
    with pytest.raises(ValueError, match="name must be one of 'camera', .*'fashion_mnist'; got 'lena'"):
        images.load_image("lena")
    with pytest.raises(TypeError, match="name must be a str, got int"):
        images.load_image(3)
    with pytest.raises(TypeError, match="grey must be True or False"):
        images.load_image("fashion_mnist", grey="yes")


def test_without_scikit_image_a_real_dataset_image_stands_in_and_says_so(monkeypatch):
    monkeypatch.setattr(images, "_has_skimage", lambda: False)
    images._stand_in.cache_clear()
    assert list(images.available_images()) == ["fashion_mnist"]
    with pytest.warns(UserWarning, match="scikit-image is not installed: load_image\\('camera'\\) "
                                         "returns a Fashion-MNIST image enlarged 18x"):
        camera = images.load_image("camera")
    assert camera.shape == (504, 504) and camera.dtype == np.uint8
    np.testing.assert_array_equal(camera[::18, ::18], images.load_image("fashion_mnist"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images.load_image("fashion_mnist")                    # a real image: no warning
    images._stand_in.cache_clear()


def test_notebooks_no_longer_paste_a_photo_function():
    """Lessons call cnn_course.images instead of defining their own photo() (issue 12)."""
    import json
    from pathlib import Path
    root = Path(__file__).resolve().parents[1] / "notebooks"
    for path in sorted(root.glob("0[1-5]_*.ipynb")):
        code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                         if c["cell_type"] == "code")
        assert "def photo(" not in code, f"{path.name} still defines photo()"
        assert "load_image(" in code, f"{path.name} should load its photos with cc.images"
