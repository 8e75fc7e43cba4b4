"""Saliency, SmoothGrad, FGSM, Grad-CAM, occlusion, top patches, kernels vs classic filters.

Known-answer cases: a model that sees only the top-left quadrant puts (almost) all of its
saliency, Grad-CAM and occlusion mass there; a linear model's gradient is its weight column;
Grad-CAM of a conv -> global-average-pooling -> linear network is the class activation map
``ReLU(sum_k W[k, c] A^k)`` with weights ``W[k, c] / (h w)``; a centre-delta kernel's top
patches are centred on the brightest pixels. All weights are fixed (seeded), no training.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import cnn_course as cc  # noqa: E402
from cnn_course import filters  # noqa: E402
from cnn_course._model_graph import layer_geometry  # noqa: E402
from cnn_course.kernels import classic_filter_bank, format_filter_matches  # noqa: E402
from cnn_course.receptive_field import receptive_field  # noqa: E402

SIZE = 28
HALF = SIZE // 2


class QuadrantMask(keras.layers.Layer):
    """Multiplies the image by a fixed mask that keeps only the top-left quadrant."""

    def call(self, x):
        mask = np.zeros((1, SIZE, SIZE, 1), dtype="float32")
        mask[:, :HALF, :HALF] = 1.0
        return x * mask


def _quadrant_model():
    init = keras.initializers.GlorotUniform(seed=1)
    inputs = keras.Input((SIZE, SIZE, 1), name="image")
    x = QuadrantMask(name="mask")(inputs)
    x = keras.layers.Conv2D(8, 3, activation="relu", kernel_initializer=init, name="conv1")(x)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv2",
                            kernel_initializer=keras.initializers.GlorotUniform(seed=2))(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="predictions",
                                 kernel_initializer=keras.initializers.GlorotUniform(seed=3))(x)
    return keras.Model(inputs, outputs, name="quadrant")


def _linear_model(shape=(4, 5, 2), n_classes=3, activation=None, seed=0):
    model = keras.Sequential([keras.Input(shape), keras.layers.Flatten(),
                              keras.layers.Dense(n_classes, activation=activation)],
                             name="linear")
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(int(np.prod(shape)), n_classes)).astype("float32")
    b = rng.normal(size=n_classes).astype("float32")
    model.layers[-1].set_weights([w, b])
    return model, w, b


@pytest.fixture(scope="module")
def quadrant():
    model = _quadrant_model()
    image = np.random.default_rng(0).uniform(0, 1, (SIZE, SIZE, 1)).astype("float32")
    return model, image


def _mass_in_quadrant(heat):
    heat = np.abs(np.asarray(heat, dtype=np.float64))
    assert heat.shape == (SIZE, SIZE) and heat.sum() > 0
    return heat[:HALF, :HALF].sum() / heat.sum()


# --------------------------------------------------------------------------- known answers
def test_quadrant_model_saliency_smoothgrad_gradcam_occlusion_mass(quadrant):
    model, image = quadrant
    assert _mass_in_quadrant(cc.saliency(model, image)) >= 0.8
    assert _mass_in_quadrant(cc.smoothgrad(model, image, n_samples=8)) >= 0.8
    assert _mass_in_quadrant(cc.grad_cam(model, image, "conv2")) >= 0.8
    assert _mass_in_quadrant(cc.grad_cam(model, image, "conv1")) >= 0.8
    assert _mass_in_quadrant(cc.occlusion_map(model, image, patch_size=4, stride=2)) >= 0.8


def test_saliency_of_linear_model_is_its_weight_column():
    model, w, _ = _linear_model()
    x = np.random.default_rng(1).normal(size=(4, 5, 2)).astype("float32")
    for c in range(3):
        grad = cc.input_gradient(model, x, class_index=c)
        np.testing.assert_array_equal(grad, w[:, c].reshape(4, 5, 2))
        np.testing.assert_array_equal(cc.saliency(model, x, c),
                                      np.abs(w[:, c].reshape(4, 5, 2)).max(axis=-1))
    # default class: the predicted one
    predicted = int(np.argmax(x.reshape(-1) @ w + _linear_model()[2]))
    np.testing.assert_array_equal(cc.input_gradient(model, x),
                                  w[:, predicted].reshape(4, 5, 2))


def test_softmax_models_are_explained_by_their_logits():
    """Dense(softmax): the gradient is that of the logit x @ w_c + b_c, i.e. w_c exactly."""
    model, w, _ = _linear_model(activation="softmax")
    x = np.random.default_rng(2).normal(size=(1, 4, 5, 2)).astype("float32")
    np.testing.assert_array_equal(cc.input_gradient(model, x, 1), w[:, 1].reshape(4, 5, 2))
    # a separate Softmax layer as well
    inputs = keras.Input((4, 5, 2))
    logits = keras.layers.Dense(3, name="logits")(keras.layers.Flatten()(inputs))
    model2 = keras.Model(inputs, keras.layers.Softmax()(logits))
    model2.get_layer("logits").set_weights([w, np.zeros(3, "float32")])
    np.testing.assert_array_equal(cc.input_gradient(model2, x, 2), w[:, 2].reshape(4, 5, 2))


def test_smoothgrad_without_noise_is_saliency(quadrant):
    model, image = quadrant
    np.testing.assert_allclose(cc.smoothgrad(model, image, n_samples=3, noise_level=0.0),
                               cc.saliency(model, image), rtol=1e-5, atol=1e-7)
    noisy = cc.smoothgrad(model, image, n_samples=4, noise_level=0.2, seed=3, batch_size=3)
    assert noisy.shape == (SIZE, SIZE) and np.all(noisy >= 0)
    np.testing.assert_array_equal(
        noisy, cc.smoothgrad(model, image, n_samples=4, noise_level=0.2, seed=3))


def _cam_model(sequential):
    """conv (4 channels) -> GAP -> linear: Grad-CAM = CAM with alpha_k = W[k, c] / (h w)."""
    layers = [keras.layers.Conv2D(4, 3, activation="relu", name="conv_a",
                                  kernel_initializer=keras.initializers.GlorotUniform(seed=4)),
              keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_b",
                                  kernel_initializer=keras.initializers.GlorotUniform(seed=5)),
              keras.layers.GlobalAveragePooling2D(name="gap"),
              keras.layers.Dense(3, name="scores",
                                 kernel_initializer=keras.initializers.GlorotUniform(seed=6))]
    if sequential:
        return keras.Sequential([keras.Input((10, 12, 1))] + layers, name="cam_seq")
    inputs = keras.Input((10, 12, 1))
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x, name="cam_functional")


@pytest.mark.parametrize("sequential", [True, False])
def test_grad_cam_of_gap_network_is_class_activation_map(sequential):
    model = _cam_model(sequential)
    image = np.random.default_rng(5).uniform(size=(10, 12, 1)).astype("float32")
    w = model.get_layer("scores").kernel.numpy()
    for c in range(3):
        maps, grads, used = cc.layer_gradients(model, image, "conv_b", c)
        assert used == c and maps.shape == grads.shape == (8, 10, 4)
        alpha = cc.grad_cam_weights(grads)
        np.testing.assert_allclose(alpha, w[:, c] / (8 * 10), rtol=1e-5, atol=1e-8)
        cam = cc.grad_cam_map(maps, alpha)
        np.testing.assert_allclose(cam, np.maximum(maps @ w[:, c], 0) / 80, rtol=1e-4,
                                   atol=1e-7)
        heat = cc.grad_cam(model, image, "conv_b", c)
        assert heat.shape == (10, 12) and heat.min() >= 0
        if cam.max() > 0:
            assert heat.max() == pytest.approx(1.0)
    # default layer: the last conv layer; a named non-last conv layer works too
    np.testing.assert_allclose(cc.grad_cam(model, image, class_index=0),
                               cc.grad_cam(model, image, "conv_b", 0))
    assert cc.grad_cam(model, image, "conv_a", 1, normalize=False).shape == (10, 12)


def test_grad_cam_upsampling_puts_each_cell_on_its_receptive_field_centre():
    model = _cam_model(False)
    geo = layer_geometry(model, model.get_layer("conv_b"))
    # conv_a: 3x3 valid (start 1); conv_b: 3x3 same (padding 1): start 1 + (1 - 1) = 1
    assert geo == {"size": (5, 5), "jump": (1, 1), "start": (1.0, 1.0)}
    cam = np.zeros((8, 10))
    cam[0, 0] = 1.0
    up = cc.gradcam.upsample_map(cam, (10, 12), geo)
    assert up[1, 1] == 1.0 and up[0, 0] == 1.0 and up[2, 2] == 0.0


def test_layer_geometry_matches_receptive_field_arithmetic():
    model = cc.build_model("fashion_cnn")
    geo = layer_geometry(model, model.get_layer("conv2"))
    rf = receptive_field([(3, 1), (2, 2), (3, 1)])[-1]
    assert geo == {"size": (rf["size"],) * 2, "jump": (rf["jump"],) * 2,
                   "start": (rf["start"],) * 2} == {"size": (8, 8), "jump": (2, 2),
                                                   "start": (3.5, 3.5)}
    # a residual addition: the union of the branches' fields
    inputs = keras.Input((16, 16, 1))
    a = keras.layers.Conv2D(2, 5, padding="same", name="wide")(inputs)
    b = keras.layers.Conv2D(2, 1, name="narrow")(inputs)
    merged = keras.layers.Add(name="add")([a, b])
    net = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(merged)))
    assert layer_geometry(net, net.get_layer("add")) == {"size": (5, 5), "jump": (1, 1),
                                                        "start": (0.0, 0.0)}


def test_occlusion_shape_and_linear_known_answer():
    model, w, _ = _linear_model(shape=(8, 9, 1), n_classes=2)
    x = np.random.default_rng(3).uniform(size=(8, 9, 1)).astype("float32")
    drops = cc.occlusion_sensitivity(model, x, class_index=1, patch_size=(3, 2), stride=(2, 3))
    assert drops.shape == (3, 3)  # floor((8-3)/2)+1, floor((9-2)/3)+1
    wx = (w[:, 1].reshape(8, 9) * x[..., 0])
    for r in range(3):
        for c in range(3):  # hiding a patch (fill 0) removes exactly its share of the logit
            assert drops[r, c] == pytest.approx(wx[2 * r:2 * r + 3, 3 * c:3 * c + 2].sum(),
                                                rel=1e-4, abs=1e-5)
    assert cc.occlusion_sensitivity(model, x, patch_size=4, stride=4, batch_size=1).shape == (2, 2)
    per_pixel = cc.occlusion_map(model, x, 1, patch_size=(3, 2), stride=(2, 3))
    assert per_pixel.shape == (8, 9)
    assert per_pixel[0, 0] == pytest.approx(drops[0, 0])
    assert per_pixel[7, 8] == 0.0  # covered by no patch
    mean_fill = cc.occlusion_sensitivity(model, x, 1, patch_size=8, stride=1, fill="mean")
    assert mean_fill.shape == (1, 2)


def _delta_model(padding="valid"):
    inputs = keras.Input((10, 10, 1))
    conv = keras.layers.Conv2D(2, 3, padding=padding, use_bias=False, name="delta")
    x = conv(inputs)
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    kernel = np.zeros((3, 3, 1, 2), "float32")
    kernel[1, 1, 0, 0] = 1.0            # channel 0: the centre pixel
    kernel[:, :, 0, 1] = filters.sobel_x()  # channel 1: a left-to-right rise
    conv.set_weights([kernel])
    return model


def test_top_activating_patches_are_where_the_channel_peaks():
    images = np.random.default_rng(4).uniform(size=(20, 10, 10)).astype("float32")
    model = _delta_model()
    top = cc.top_activating_patches(model, "delta", 0, images, k=4, batch_size=7)
    peaks = images[:, 1:-1, 1:-1].reshape(20, -1).max(axis=1)
    order = np.argsort(-peaks)[:4]
    np.testing.assert_array_equal(top.image_indices, order)
    np.testing.assert_allclose(top.values, peaks[order])
    assert top.patches.shape == (4, 3, 3, 1)
    for patch, index, (u, v), box in zip(top.patches, top.image_indices, top.positions,
                                         top.boxes):
        assert patch[1, 1, 0] == pytest.approx(peaks[index])   # the peak is the centre pixel
        np.testing.assert_array_equal(box, (u, v, u + 3, v + 3))
        np.testing.assert_array_equal(patch[..., 0], images[index, u:u + 3, v:v + 3])
    assert "image" in str(top)
    # the Sobel channel: the patch has the largest left-to-right rise
    sob = cc.top_activating_patches(model, "delta", 1, images, k=1)
    patch = sob.patches[0, ..., 0]
    assert float((patch * filters.sobel_x()).sum()) == pytest.approx(sob.values[0], rel=1e-5)


def test_top_patches_over_the_border_are_zero_padded():
    images = np.zeros((3, 10, 10), "float32")
    images[1, 0, 0] = 5.0  # the corner pixel: seen by unit (0, 0) of a "same" conv
    top = cc.top_activating_patches(_delta_model("same"), "delta", 0, images, k=1)
    assert top.image_indices[0] == 1 and tuple(top.boxes[0]) == (-1, -1, 2, 2)
    assert top.patches[0, 1, 1, 0] == 5.0 and top.patches[0, 0, :, 0].sum() == 0


def test_compare_with_classic_filters():
    match = cc.compare_with_classic_filters(2 * filters.sobel_x())[0]
    assert match["best"] == "sobel_x" and match["correlation"] == pytest.approx(1.0)
    assert match["correlations"]["vertical_edge"] < -0.9   # the same edge, other polarity
    keras_kernel = np.stack([filters.sobel_y(), -3 * filters.laplacian(), np.zeros((3, 3)),
                             filters.mean(3) * 0.5], axis=-1)[:, :, None, :]  # (3, 3, 1, 4)
    matches = cc.compare_with_classic_filters(keras_kernel)
    assert [m["best"] for m in matches] == ["sobel_y", "laplacian", None, "mean"]
    assert [round(m["correlation"], 6) for m in matches] == [1.0, -1.0, 0.0, 1.0]
    rgb = np.repeat(keras_kernel, 3, axis=2)                   # (3, 3, 3, 4): averaged
    assert [m["best"] for m in cc.compare_with_classic_filters(rgb)] == \
        ["sobel_y", "laplacian", None, "mean"]
    five = cc.compare_with_classic_filters(classic_filter_bank(5)["prewitt_x"])[0]
    assert five["best"] == "prewitt_x" and five["correlation"] == pytest.approx(1.0)
    table = format_filter_matches(matches)
    assert "sobel_y" in table and "-1.000" in table
    own = cc.compare_with_classic_filters(np.eye(3), bank={"diag": np.eye(3),
                                                           "anti": np.eye(3)[::-1]})
    assert own[0]["best"] == "diag"


def test_fgsm_increases_the_loss(quadrant):
    model, image = quadrant
    label = 3
    loss = keras.losses.SparseCategoricalCrossentropy()
    before = float(loss(np.array([label]), model(image[None])))
    adv = cc.fgsm(model, image, label, epsilon=0.05, clip=(0, 1))
    assert adv.shape == image.shape and adv.dtype == np.float32
    assert np.abs(adv - image).max() <= 0.05 + 1e-6 and adv.min() >= 0 and adv.max() <= 1
    assert float(loss(np.array([label]), model(adv[None]))) > before
    np.testing.assert_array_equal(cc.fgsm(model, image, label, epsilon=0.0), image)
    # only the quadrant the model sees changes
    assert np.all(adv[HALF:, :] == image[HALF:, :]) and np.all(adv[:, HALF:] == image[:, HALF:])


# --------------------------------------------------------------------------- bad input
def test_model_without_conv_layer_is_rejected():
    model, _, _ = _linear_model()
    x = np.zeros((4, 5, 2), "float32")
    with pytest.raises(ValueError, match="no convolutional layer"):
        cc.grad_cam(model, x)
    with pytest.raises(ValueError, match="no convolutional layer"):
        cc.top_activating_patches(model, "dense", 0, x[None])


def test_unknown_layer_name_lists_the_conv_layers(quadrant):
    model, image = quadrant
    with pytest.raises(ValueError, match=r"'conv9' is not a layer.*'conv1', 'conv2'"):
        cc.grad_cam(model, image, "conv9")
    with pytest.raises(ValueError, match="not feature maps"):
        cc.grad_cam(model, image, "predictions")
    with pytest.raises(TypeError, match="layer_name must be a str"):
        cc.layer_gradients(model, image, 3)
    with pytest.raises(ValueError, match="'conv1', 'conv2'"):
        cc.top_activating_patches(model, "nope", 0, image[None])


def test_wrong_image_shape_says_the_expected_shape(quadrant):
    model, image = quadrant
    bad = np.zeros((32, 32, 3), "float32")
    for fn in (cc.saliency, cc.grad_cam, cc.occlusion_map, cc.smoothgrad):
        with pytest.raises(ValueError, match=r"image must have shape \(28, 28, 1\)"):
            fn(model, bad)
    with pytest.raises(ValueError, match=r"\(28, 28, 1\)"):
        cc.fgsm(model, bad, 0, 0.1)
    with pytest.raises(ValueError, match=r"images must have shape \(N, 28, 28, 1\)"):
        cc.top_activating_patches(model, "conv1", 0, bad[None])
    with pytest.raises(ValueError, match="finite"):
        cc.saliency(model, np.full((28, 28), np.nan))


def test_bad_arguments_are_rejected(quadrant):
    model, image = quadrant
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        cc.saliency("fashion_cnn", image)
    with pytest.raises(ValueError, match="class_index must be <= 9"):
        cc.saliency(model, image, class_index=10)
    with pytest.raises(ValueError, match="epsilon must be a finite number >= 0"):
        cc.fgsm(model, image, 1, -0.1)
    with pytest.raises(ValueError, match="label must be <= 9"):
        cc.fgsm(model, image, 10, 0.1)
    with pytest.raises(ValueError, match="clip must be"):
        cc.fgsm(model, image, 1, 0.1, clip=(1, 0))
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        cc.smoothgrad(model, image, n_samples=0)
    with pytest.raises(ValueError, match="noise_level must be a finite number >= 0"):
        cc.smoothgrad(model, image, noise_level=-1)
    with pytest.raises(ValueError, match=r"patch_size must fit in the image \(28, 28\)"):
        cc.occlusion_sensitivity(model, image, patch_size=29)
    with pytest.raises(ValueError, match="stride must be an int >= 1"):
        cc.occlusion_sensitivity(model, image, stride=0)
    with pytest.raises(ValueError, match="fill must be a number or 'mean'"):
        cc.occlusion_sensitivity(model, image, fill="grey")
    with pytest.raises(ValueError, match="channel must be <= 7"):
        cc.top_activating_patches(model, "conv1", 8, image[None])
    with pytest.raises(ValueError, match="k must be <= 1"):
        cc.top_activating_patches(model, "conv1", 0, image[None], k=2)
    with pytest.raises(ValueError, match="weights must have one entry per channel"):
        cc.grad_cam_map(np.zeros((2, 2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="gradients must have 3 dimensions"):
        cc.grad_cam_weights(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="size must be an odd int >= 3"):
        cc.compare_with_classic_filters(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="kernels must be square"):
        cc.compare_with_classic_filters(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="every bank filter must have the kernels' shape"):
        cc.compare_with_classic_filters(np.ones((3, 3)), bank={"big": np.ones((5, 5))})
    with pytest.raises(TypeError, match="kernels must be a numeric array"):
        cc.compare_with_classic_filters("sobel_x")


def test_unbuilt_sequential_model_is_rejected():
    model = keras.Sequential([keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="not built"):
        cc.saliency(model, np.zeros((8, 8, 1)))


def test_kernel_comparison_imports_no_tensorflow():
    code = ("import sys, cnn_course as cc; cc.compare_with_classic_filters(cc.filters.sobel_x()); "
            "import cnn_course.saliency_maps, cnn_course.gradcam, cnn_course.occlusion; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- explorer
def test_explain_image_agrees_with_the_single_functions(quadrant):
    model, image = quadrant
    names = [f"item {i}" for i in range(10)]
    result = cc.explain_image(model, image, class_names=names, channels=3)
    probs = np.asarray(model(image[None]))[0]
    order = np.argsort(-probs)[:3]
    assert [p[0] for p in result.predictions] == list(order)
    assert [p[1] for p in result.predictions] == [names[i] for i in order]
    np.testing.assert_allclose([p[2] for p in result.predictions], probs[order], rtol=1e-5)
    assert result.class_index == order[0] and result.layer_name == "conv2"
    np.testing.assert_allclose(result.grad_cam, cc.grad_cam(model, image), atol=1e-6)
    maps = cc.layer_outputs(model, image)
    for layer in ("conv1", "conv2"):
        means = maps[layer].mean(axis=(0, 1))
        assert [c for c, _ in result.channels[layer]] == list(np.argsort(-means)[:3])
        np.testing.assert_allclose(result.feature_maps[layer],
                                   maps[layer][..., np.argsort(-means)[:3]], rtol=1e-5)
    other = cc.explain_image(model, image, "pool1", class_index=2)   # a non-conv map layer
    np.testing.assert_allclose(other.grad_cam, cc.grad_cam(model, image, "pool1", 2),
                               atol=1e-6)
    text = str(result)
    assert "Top predictions: item" in text and "conv1 (26x26): most active channels" in text
    assert "Grad-CAM for class" in text
    with pytest.raises(ValueError, match="class_names must hold one name per class"):
        cc.explain_image(model, image, class_names=["a"])
    with pytest.raises(ValueError, match="top must be <= 10"):
        cc.explain_image(model, image, top=11)
