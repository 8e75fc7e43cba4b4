"""Per-channel standardisation (NumPy) and the standard augmentation (Keras preprocessing)."""
from __future__ import annotations

import numpy as np
import pytest

from cnn_course import augmentation as aug


def _rgb(n=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, 8, 8, 3)).astype(np.uint8)
    x[..., 2] //= 4  # channels with different statistics
    return x


def test_channel_statistics_match_numpy_per_channel():
    x = _rgb()
    mean, std = aug.channel_statistics(x)
    assert mean.shape == std.shape == (3,)
    for c in range(3):
        assert mean[c] == pytest.approx(x[..., c].astype(float).mean())
        assert std[c] == pytest.approx(x[..., c].astype(float).std())
    gray_mean, gray_std = aug.channel_statistics(x[..., 0])
    assert gray_mean.shape == (1,) and gray_mean[0] == pytest.approx(mean[0])


def test_standardize_uses_training_statistics_only():
    x_train, x_test = _rgb(seed=0), _rgb(seed=1) // 2 + 100
    tr, te = aug.standardize_per_channel(x_train, x_test)
    assert tr.dtype == te.dtype == np.float32 and tr.shape == x_train.shape
    np.testing.assert_allclose(tr.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(tr.std(axis=(0, 1, 2)), 1, atol=1e-5)
    mean, std = aug.channel_statistics(x_train)
    np.testing.assert_allclose(te, (x_test - mean) / std, rtol=1e-6)
    # the test set is NOT standardised with its own statistics: changing it changes nothing else
    _, te2 = aug.standardize_per_channel(x_train, x_test * 0 + 7)
    tr2, _ = aug.standardize_per_channel(x_train, x_test)
    np.testing.assert_array_equal(tr, tr2)
    np.testing.assert_allclose(te2, (7 - mean) / std * np.ones_like(te2), rtol=1e-6)
    assert not np.allclose(te.mean(axis=(0, 1, 2)), 0, atol=0.1)


def test_standardize_extra_arrays_and_grayscale():
    x = _rgb()[..., 0]
    tr, te, va = aug.standardize_per_channel(x[:10], x[10:15], x[15:])
    assert tr.shape == (10, 8, 8) and te.shape == (5, 8, 8) and va.shape == (5, 8, 8)
    assert tr.mean() == pytest.approx(0, abs=1e-5)


@pytest.mark.parametrize("args, exc, match", [
    ((np.zeros((4, 8, 8, 3)), np.zeros((2, 8, 8, 3))), ValueError, "channel 0 is constant"),
    ((np.ones((4, 8, 8)), np.ones((2, 8, 9))), ValueError, "channel 0 is constant"),
    ((_rgb(), _rgb()[:, :4]), ValueError, "x_test has images of shape"),
    ((_rgb()[0, 0], _rgb()), ValueError, "x_train must have 3 or 4 dimensions"),
    ((_rgb()[:0], _rgb()), ValueError, "x_train must"),
    ((np.full((2, 4, 4), np.nan), np.ones((1, 4, 4))), ValueError, "NaN"),
    ((np.array([["a"]]), _rgb()), TypeError, "x_train must be a numeric array"),
])
def test_standardize_rejects_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        aug.standardize_per_channel(*args)


def test_standardize_shape_mismatch_named():
    x = _rgb()
    with pytest.raises(ValueError, match="others\\[0\\] has images of shape"):
        aug.standardize_per_channel(x, x, x[:, :4])


# --------------------------------------------------------------------------- Keras layers
keras = pytest.importorskip("keras")


def test_standard_augmentation_layers_and_defaults():
    cifar = aug.standard_augmentation("cifar")
    assert [type(la).__name__ for la in cifar.layers] == ["RandomTranslation", "RandomFlip"]
    assert cifar.layers[0].height_factor == 0.125
    fashion = aug.standard_augmentation("fashion")
    assert [type(la).__name__ for la in fashion.layers] == ["RandomTranslation"]
    assert fashion.layers[0].width_factor == pytest.approx(2 / 28)
    assert [type(la).__name__ for la in aug.standard_augmentation("cifar", pad=0).layers] \
        == ["RandomFlip"]


def test_standard_augmentation_is_pad_and_crop_per_image():
    x = np.arange(1, 33 * 32 + 1, dtype="float32")[:1024].reshape(1, 32, 32, 1)
    batch = np.repeat(x, 64, axis=0)
    out = np.asarray(aug.standard_augmentation("cifar", flip=False, seed=3)(batch,
                                                                           training=True))
    assert out.shape == batch.shape
    shifts = set()
    for img in out:
        # every output is the image shifted by whole pixels in [-4, 4], zeros coming in
        found = None
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                ref = np.zeros_like(x[0])
                src = x[0][max(0, -dy):32 - max(0, dy), max(0, -dx):32 - max(0, dx)]
                top, left = max(0, dy), max(0, dx)
                ref[top:top + src.shape[0], left:left + src.shape[1]] = src
                if np.array_equal(ref, img):
                    found = (dy, dx)
        assert found is not None, "not a whole-pixel shift of at most 4 with zero fill"
        shifts.add(found)
    assert len(shifts) > 10, "every image of a batch gets its own crop"
    # inference: unchanged
    same = aug.standard_augmentation("cifar")(batch, training=False)
    np.testing.assert_array_equal(np.asarray(same), batch)


def test_standard_augmentation_is_seeded():
    x = np.random.default_rng(0).random((8, 32, 32, 3)).astype("float32")
    a = np.asarray(aug.standard_augmentation("cifar", seed=5)(x, training=True))
    b = np.asarray(aug.standard_augmentation("cifar", seed=5)(x, training=True))
    c = np.asarray(aug.standard_augmentation("cifar", seed=6)(x, training=True))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"kind": "imagenet"}, ValueError, "kind must be one of 'cifar', 'fashion'"),
    ({"pad": -1}, ValueError, "pad must be >= 0"),
    ({"pad": 32}, ValueError, "pad must be < image_size=32"),
    ({"flip": "yes"}, TypeError, "flip must be a bool"),
    ({"image_size": 0}, ValueError, "image_size must be >= 1"),
    ({"seed": -2}, ValueError, "seed must be >= 0"),
])
def test_standard_augmentation_rejects_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        aug.standard_augmentation(**kwargs)


def test_augmentation_layers_defaults_are_mild():
    layers = aug.augmentation_layers()
    assert [type(la).__name__ for la in layers.layers] == ["RandomFlip", "RandomRotation",
                                                           "RandomTranslation"]
    assert aug.AUGMENTATION_DEFAULTS["rotation"] <= 0.05 and aug.AUGMENTATION_DEFAULTS["shear"] == 0
    from cnn_course import data
    assert data.augmentation_layers is aug.augmentation_layers


def test_public_names():
    import cnn_course as cc

    assert cc.standardize_per_channel is aug.standardize_per_channel
    assert cc.standard_augmentation is aug.standard_augmentation
    assert cc.augmentation_layers is aug.augmentation_layers
