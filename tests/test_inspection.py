"""Looking inside networks: activation model, parameter arithmetic, feature maps, kernels."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

keras = pytest.importorskip("keras")

import cnn_course as cc  # noqa: E402
from cnn_course import inspection  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fashion_model():
    keras.utils.set_random_seed(0)
    return cc.build_model("fashion_cnn")


@pytest.fixture(scope="module")
def image():
    (x, _), _ = cc.load_dataset("fashion_mnist")
    return (x[0] / 255.0).astype("float32")  # (28, 28), an ankle boot


@pytest.fixture(scope="module")
def cifar_image():
    (x, _), _ = cc.load_dataset("cifar10")
    return (x[0] / 255.0).astype("float32")


def test_layer_outputs_shapes_and_values(fashion_model, image):
    out = inspection.layer_outputs(fashion_model, image)
    assert list(out) == ["conv1", "pool1", "conv2", "pool2", "flatten", "dense1", "predictions"]
    for name, arr in out.items():
        assert arr.shape == tuple(fashion_model.get_layer(name).output.shape[1:])
    # conv1 = relu(correlate(image, kernel) + bias), computed by hand
    kernel, bias = (w.numpy() for w in fashion_model.get_layer("conv1").weights)
    win = np.lib.stride_tricks.sliding_window_view(image, (3, 3))  # (26, 26, 3, 3)
    manual = np.maximum(np.einsum("ijkl,klf->ijf", win, kernel[:, :, 0, :]) + bias, 0)
    np.testing.assert_allclose(out["conv1"], manual, atol=1e-5)
    np.testing.assert_allclose(out["pool1"], out["conv1"][:26, :26].reshape(13, 2, 13, 2, 64)
                               .max(axis=(1, 3)))
    probs = fashion_model.predict(image[None, ..., None], verbose=0)[0]
    np.testing.assert_allclose(out["predictions"], probs, rtol=1e-5, atol=1e-6)


def test_layer_outputs_accepts_the_three_image_layouts(fashion_model, image):
    a = inspection.layer_outputs(fashion_model, image)
    b = inspection.layer_outputs(fashion_model, image[..., None])
    c = inspection.layer_outputs(fashion_model, image[None, ..., None])
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
        np.testing.assert_array_equal(a[name], c[name])
    with pytest.raises(ValueError, match=r"image must have shape \(28, 28, 1\)"):
        inspection.layer_outputs(fashion_model, np.zeros((32, 32, 3)))
    with pytest.raises(ValueError):
        inspection.layer_outputs(fashion_model, np.zeros((2, 28, 28, 1)))
    with pytest.raises(TypeError, match="keras.Model"):
        inspection.layer_outputs("fashion_cnn", image)


def test_layer_outputs_dropout_is_off(cifar_image):
    model = cc.build_model("cifar_baseline")
    out = inspection.layer_outputs(model, cifar_image)
    np.testing.assert_array_equal(out["block1_dropout"], out["block1_pool"])


def test_explain_params_arithmetic(fashion_model):
    table = inspection.explain_params(fashion_model)
    text = str(table)
    assert "3*3*1*64 + 64 = 640" in text
    assert "3*3*64*64 + 64 = 36928" in text
    assert "1600*128 + 128 = 204928" in text
    assert "128*10 + 10 = 1290" in text
    assert "Total: 243,786" in text
    assert repr(table) == text
    assert "<table>" in table._repr_html_() and "204928" in table._repr_html_()
    assert table.total == fashion_model.count_params()
    assert [r["params"] for r in table.rows] == [640, 0, 36928, 0, 0, 204928, 1290]


def test_explain_params_batchnorm_and_no_bias():
    model = cc.build_model("resnet18")
    text = str(inspection.explain_params(model))
    assert "4*64 = 256 (128 non-trainable)" in text
    assert "3*3*3*64 = 1728" in text  # stem conv without bias
    assert "non-trainable" in text and "9,600 non-trainable" in text


@pytest.mark.parametrize("name", [m["name"] for m in cc.list_models()])
def test_explain_params_total_matches_count_params(name):
    model = cc.build_model(name)
    table = inspection.explain_params(model)
    assert table.total == model.count_params() == sum(r["params"] for r in table.rows)
    assert table.non_trainable == sum(r["non_trainable"] for r in table.rows)
    for r in table.rows:  # every formula evaluates to its count
        assert eval(r["formula"]) == r["params"], r  # noqa: S307 (digits, * and + only)


def test_plot_feature_maps(fashion_model, image):
    fig = inspection.plot_feature_maps(fashion_model, image, "conv1", max_maps=12)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12
    assert [ax.get_title() for ax in shown] == [str(i) for i in range(12)]
    assert shown[0].images[0].get_array().shape == (26, 26)
    assert "conv1: 12 of 64 feature maps, each 26x26" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="not feature maps"):
        inspection.plot_feature_maps(fashion_model, image, "dense1")
    with pytest.raises(ValueError, match="layer_name must be one of conv1"):
        inspection.plot_feature_maps(fashion_model, image, "conv9")
    with pytest.raises(ValueError, match="max_maps must be >= 1"):
        inspection.plot_feature_maps(fashion_model, image, "conv1", max_maps=0)


def test_plot_kernels(fashion_model):
    fig = inspection.plot_kernels(fashion_model)  # first conv layer by default
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 64
    assert fig._suptitle.get_text().startswith("conv1: 64 of 64 kernels, 3x3x1")
    np.testing.assert_allclose(shown[5].images[0].get_array(),
                               fashion_model.get_layer("conv1").kernel.numpy()[:, :, 0, 5])
    fig2 = inspection.plot_kernels(fashion_model, "conv2", max_kernels=8)
    assert len([ax for ax in fig2.axes if ax.images]) == 8
    rgb = inspection.plot_kernels(cc.build_model("cifar_baseline"))
    arr = [ax for ax in rgb.axes if ax.images][0].images[0].get_array()
    assert arr.shape == (5, 5, 3) and arr.min() >= 0 and arr.max() <= 1
    with pytest.raises(ValueError, match="no Conv2D layer"):
        inspection.plot_kernels(cc.build_model("fashion_dense"))
    with pytest.raises(ValueError, match="Conv2D layer, one of conv1, conv2"):
        inspection.plot_kernels(fashion_model, "dense1")


@pytest.mark.parametrize("kernel_size, c_in, filters, use_bias, expected", [
    (3, 1, 64, True, 640),                      # conv1 of fashion_cnn: 3*3*1*64 + 64
    (3, 64, 64, True, 36_928),                  # conv2 of fashion_cnn
    ((1, 5), 3, 8, True, 1 * 5 * 3 * 8 + 8),    # a rectangular kernel
    (7, 256, 256, False, 49 * 256 * 256),       # one 7x7 layer of the VGG lesson, no bias
])
def test_conv_params_formula_and_keras_agree(kernel_size, c_in, filters, use_bias, expected):
    assert inspection.conv_params(kernel_size, c_in, filters, use_bias) == expected
    assert inspection.keras_conv_params(kernel_size, c_in, filters, use_bias) == expected


def test_conv_params_matches_every_conv_layer_of_a_model():
    model = cc.build_model("alexnet8")
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            count = inspection.conv_params(layer.kernel_size, layer.kernel.shape[2],
                                           layer.filters, layer.use_bias)
            assert count == layer.count_params(), layer.name


@pytest.mark.parametrize("func", [inspection.conv_params, inspection.keras_conv_params])
@pytest.mark.parametrize("args, exc, match", [
    ((0, 3, 8), ValueError, "kernel_size"),
    (((3, 3, 3), 3, 8), ValueError, "kernel_size"),
    ((3, 0, 8), ValueError, "in_channels must be >= 1"),
    ((3, 3, 2.5), TypeError, "filters must be an int"),
    ((3, 3, 8, 1), TypeError, "use_bias must be True or False"),
])
def test_conv_params_rejects_bad_arguments(func, args, exc, match):
    with pytest.raises(exc, match=match):
        func(*args)


def test_a_model_name_is_not_a_model():
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        cc.explain_params("fashion_cnn")
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        cc.layer_outputs("fashion_cnn", np.zeros((28, 28)))
