"""The course's Keras models: exact parameter counts, shapes, blocks, and that they learn."""
from __future__ import annotations


import numpy as np
import pytest

keras = pytest.importorskip("keras")

import cnn_course as cc  # noqa: E402
from cnn_course import models  # noqa: E402

# (total, trainable, non-trainable) for the default input and 10 classes: the spec of issue 4.
EXPECTED = {
    "fashion_dense": (101_770, 101_770, 0),
    "fashion_cnn": (243_786, 243_786, 0),
    "mnist_cnn": (206_922, 206_922, 0),
    "cifar_baseline": (198_506, 198_494, 12),
    "lenet5": (62_006, 62_006, 0),
    "alexnet8": (9_639_178, 9_638_474, 704),
    "vgg16": (15_262_026, 15_253_578, 8_448),
    "inception10": (121_418, 120_234, 1_184),
    "resnet18": (11_183_562, 11_173_962, 9_600),
}
DEFAULT_SHAPE = {name: ((28, 28, 1) if name in ("fashion_dense", "fashion_cnn", "mnist_cnn")
                        else (32, 32, 3)) for name in EXPECTED}


def _count(weights) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


@pytest.fixture(scope="module")
def built():
    """Every model built once, on its default input."""
    return {name: cc.build_model(name) for name in EXPECTED}


@pytest.fixture(scope="module")
def real_batches():
    """Small real batches: Fashion-MNIST (28x28x1) and CIFAR-10 (32x32x3), floats in [0, 1]."""
    (xf, yf), _ = cc.load_dataset("fashion_mnist")
    (xc, yc), _ = cc.load_dataset("cifar10")
    fashion = ((xf[:32] / 255.0).astype("float32")[..., None], np.asarray(yf[:32]).reshape(-1))
    cifar = ((xc[:32] / 255.0).astype("float32"), np.asarray(yc[:32]).reshape(-1))
    return {(28, 28, 1): fashion, (32, 32, 3): cifar}


def test_model_names():
    assert models.MODEL_NAMES == tuple(EXPECTED)
    assert [m["name"] for m in cc.list_models()] == list(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_exact_parameter_counts(built, name):
    model = built[name]
    total, trainable, non_trainable = EXPECTED[name]
    assert model.count_params() == total
    assert _count(model.trainable_weights) == trainable
    assert _count(model.non_trainable_weights) == non_trainable
    assert model.name == name
    assert model.input_shape == (None,) + DEFAULT_SHAPE[name]
    assert model.output_shape == (None, 10)


def test_list_models_matches_the_built_models(built):
    for row in cc.list_models():
        model = built[row["name"]]
        assert row["input_shape"] == model.input_shape[1:]
        assert (row["params"], row["trainable"], row["non_trainable"]) == EXPECTED[row["name"]]
        assert isinstance(row["description"], str) and row["description"]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_summary_shows_real_shapes_and_readable_names(built, name):
    model = built[name]
    for layer in model.layers[1:]:
        assert None not in tuple(layer.output.shape)[1:], (layer.name, layer.output.shape)
        # readable names, not Keras' automatic "conv2d_17"
        assert not layer.name.startswith(("conv2d", "dense_", "batch_normalization")), layer.name
    lines: list[str] = []
    model.summary(print_fn=lambda s, **kw: lines.append(s))
    assert "multiple" not in "\n".join(lines)


# All nine networks take both 28x28x1 and 32x32x3 inputs: the CIFAR ones shrink
# 28 -> ... -> a positive size ("same" pooling in VGG-16, small 3x3 kernels elsewhere)
# and the MNIST ones work on 32x32x3 with a larger Flatten. Only the parameter
# count of the layers after Flatten changes with the input size.
@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3)])
@pytest.mark.parametrize("name", list(EXPECTED))
def test_output_shapes_on_both_input_sizes(name, shape, real_batches):
    model = cc.build_model(name, input_shape=shape)
    assert model.input_shape == (None,) + shape
    x = real_batches[shape][0][:2]
    probs = np.asarray(model(x, training=False))
    assert probs.shape == (2, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_fashion_dense_accepts_2d_input():
    model = cc.build_model("fashion_dense", input_shape=(28, 28))
    assert model.count_params() == 101_770
    assert model.input_shape == (None, 28, 28)


def test_num_classes_changes_the_classifier():
    model = cc.build_model("fashion_cnn", num_classes=5)
    assert model.output_shape == (None, 5)
    assert model.count_params() == 243_786 - (128 * 10 + 10) + (128 * 5 + 5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="fashion_dense.*resnet18"):
        cc.build_model("vgg19")
    with pytest.raises(ValueError, match="num_classes must be >= 2"):
        cc.build_model("lenet5", num_classes=1)
    with pytest.raises(ValueError, match="channel"):
        cc.build_model("fashion_cnn", input_shape=(28, 28))
    with pytest.raises(ValueError, match="ints >= 1"):
        cc.build_model("lenet5", input_shape=(32, 0, 3))
    with pytest.raises(TypeError):
        cc.build_model("lenet5", input_shape=32)
    with pytest.raises(ValueError, match="too small for alexnet8"):
        cc.build_model("alexnet8", input_shape=(8, 8, 3))


def test_vgg16_is_really_vgg(built):
    """13 3x3 conv layers (64, 64, 128, 128, 256 x3, 512 x6): not a copy of AlexNet."""
    convs = [layer for layer in built["vgg16"].layers
             if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [64] * 2 + [128] * 2 + [256] * 3 + [512] * 6
    assert all(c.kernel_size == (3, 3) for c in convs)
    dense = [layer.units for layer in built["vgg16"].layers
             if isinstance(layer, keras.layers.Dense)]
    assert dense == [512, 512, 10]


def test_resnet18_shortcuts(built):
    model = built["resnet18"]
    adds = [layer for layer in model.layers if isinstance(layer, keras.layers.Add)]
    assert len(adds) == 8
    projections = [layer.name for layer in model.layers if layer.name.endswith("_proj_conv")]
    assert projections == [f"stage{s}_block1_proj_conv" for s in (2, 3, 4)]
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 1 + 16 + 3 and not any(c.use_bias for c in convs)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_a_few_steps_on_a_real_batch_lower_the_loss(real_batches, name):
    # The big networks get 8 images and run eagerly: for 6 steps, tracing a graph
    # would cost more than the steps themselves. AlexNet and VGG (dropout, millions of
    # dense weights) get a smaller learning rate so that 6 steps go steadily down.
    big = name in ("alexnet8", "vgg16", "resnet18", "inception10")
    n = 8 if big else 32
    lr = 1e-4 if name in ("alexnet8", "vgg16") else 1e-3
    x, y = real_batches[DEFAULT_SHAPE[name]]
    keras.utils.set_random_seed(0)
    model = cc.build_model(name)
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
                  run_eagerly=True)
    losses = [float(model.train_on_batch(x[:n], y[:n])) for _ in range(6)]
    assert all(np.isfinite(losses)), losses
    # dropout and batch statistics make single steps noisy: compare the mean of the
    # last three steps with the loss at the initial weights
    assert np.mean(losses[-3:]) < losses[0] - 0.05, losses


# ---------------------------------------------------------------------------- blocks
def test_conv_bn_relu_block():
    inp = keras.Input((32, 32, 3))
    out = cc.conv_bn_relu(inp, 8, kernel_size=3, strides=2, name="c")
    model = keras.Model(inp, out)
    assert out.shape == (None, 16, 16, 8)
    assert model.count_params() == 3 * 3 * 3 * 8 + 8 + 4 * 8
    assert [layer.name for layer in model.layers[1:]] == ["c_conv", "c_bn", "c_relu"]
    valid = cc.conv_bn_relu(inp, 4, kernel_size=5, padding="valid")
    assert valid.shape == (None, 28, 28, 4)


def test_cbapd_block_matches_the_baseline_block():
    inp = keras.Input((32, 32, 3))
    out = cc.cbapd_block(inp)
    model = keras.Model(inp, out)
    assert out.shape == (None, 16, 16, 6)
    assert model.count_params() == 456 + 24
    odd = cc.cbapd_block(keras.Input((7, 7, 1)), filters=2, kernel_size=3)
    assert odd.shape == (None, 4, 4, 2)  # "same" pooling: ceil(7 / 2)


@pytest.mark.parametrize("strides,size", [(1, 16), (2, 8)])
def test_inception_block(strides, size):
    c, f = 16, 8
    inp = keras.Input((16, 16, c))
    out = cc.inception_block(inp, f, strides=strides)
    model = keras.Model(inp, out)
    assert out.shape == (None, size, size, 4 * f)
    expected = 4 * (c * f + f) + (9 * f * f + f) + (25 * f * f + f) + 6 * 4 * f
    assert model.count_params() == expected


def test_residual_block_identity_and_projection():
    inp = keras.Input((8, 8, 16))
    same = keras.Model(inp, cc.residual_block(inp, 16, name="r"))
    assert same.output_shape == (None, 8, 8, 16)
    assert not any("proj" in layer.name for layer in same.layers)
    assert same.count_params() == 2 * 9 * 16 * 16 + 2 * 4 * 16
    down = keras.Model(inp, cc.residual_block(inp, 32, strides=2, name="d"))
    assert down.output_shape == (None, 4, 4, 32)
    assert down.count_params() == 9 * 16 * 32 + 9 * 32 * 32 + 2 * 4 * 32 + 16 * 32 + 4 * 32
    # the identity block really adds its input: zero all weights -> relu(0 + x) = relu(x)
    for w in same.weights:
        w.assign(np.zeros(w.shape))
    x = np.random.default_rng(0).normal(size=(1, 8, 8, 16)).astype("float32")
    # BN with zero gamma/beta and moving stats (0, 0) outputs 0 in inference mode
    np.testing.assert_allclose(np.asarray(same(x, training=False)), np.maximum(x, 0), atol=1e-6)


def test_blocks_reject_bad_input():
    inp = keras.Input((8, 8, 3))
    with pytest.raises(TypeError, match="Keras tensor"):
        cc.conv_bn_relu(np.zeros((1, 8, 8, 3)), 4)
    with pytest.raises(ValueError, match="filters must be >= 1"):
        cc.residual_block(inp, 0)
    with pytest.raises(ValueError, match="padding"):
        cc.conv_bn_relu(inp, 4, padding="full")
    with pytest.raises(ValueError, match="dropout"):
        cc.cbapd_block(inp, dropout=1.5)
    with pytest.raises(ValueError, match="4-D"):
        cc.inception_block(keras.Input((8, 3)), 4)


def test_deep_stack_plain_and_residual_have_the_same_parameters():
    plain = models.build_deep_stack(8, shortcuts=False)
    res = models.build_deep_stack(8, shortcuts=True)
    f, k = 16, 10
    expected = 9 * 1 * f + f + 4 * f + 8 * (9 * f * f + 4 * f) + f * k + k
    assert plain.count_params() == res.count_params() == expected
    assert plain.name == "plain_8" and res.name == "residual_8"
    adds = lambda m: sum(isinstance(layer, keras.layers.Add) for layer in m.layers)  # noqa: E731
    assert adds(plain) == 0 and adds(res) == 4
    convs = lambda m: sum(isinstance(layer, keras.layers.Conv2D) for layer in m.layers)  # noqa: E731
    assert convs(plain) == convs(res) == 9
    assert res.output_shape == (None, 10)
    with pytest.raises(ValueError, match="even"):
        models.build_deep_stack(5, shortcuts=True)
    with pytest.raises(TypeError, match="shortcuts"):
        models.build_deep_stack(4, shortcuts="yes")
    with pytest.raises(ValueError, match="depth must be >= 2"):
        models.build_deep_stack(0, shortcuts=False)


def test_encoder_decoder_is_mirrored_with_a_pinned_parameter_count():
    model = cc.build_encoder_decoder()
    # conv 1->16, 16->32; transposed 32->32, 32->16; mask 16->1 (3x3 kernels, biases)
    expected = (9 * 1 * 16 + 16) + (9 * 16 * 32 + 32) + (9 * 32 * 32 + 32) + (9 * 32 * 16 + 16) \
        + (16 + 1)
    assert model.count_params() == expected == 18_689
    assert model.output_shape == (None, 28, 28, 1)
    shapes = [model.get_layer(n).output.shape[1:3] for n in ("pool1", "pool2", "up1", "up2")]
    assert shapes == [(14, 14), (7, 7), (14, 14), (28, 28)]
    assert isinstance(model.get_layer("up1"), keras.layers.Conv2DTranspose)
    resized = cc.build_encoder_decoder(upsampling="bilinear")
    assert resized.count_params() == expected              # resize + conv: the same weights
    assert isinstance(resized.get_layer("up1_resize"), keras.layers.UpSampling2D)
    with pytest.raises(ValueError, match="upsampling must be"):
        cc.build_encoder_decoder(upsampling="cubic")
    with pytest.raises(ValueError, match="divisible by"):
        cc.build_encoder_decoder(input_shape=(30, 30, 1), widths=(8, 8))
    with pytest.raises(ValueError, match="widths"):
        cc.build_encoder_decoder(widths=())


# ------------------------------------------------------------------ lesson 23: CPU-sized networks
@pytest.mark.parametrize("n, shortcuts, params, depth_name", [
    (1, True, 78_714, "resnet8"), (2, True, 176_378, "resnet14"), (3, True, 274_042, "resnet20"),
    (1, False, 75_770, "plain8"), (2, False, 173_434, "plain14")])
def test_cifar_resnet_counts(n, shortcuts, params, depth_name):
    model = models.build_cifar_resnet(n, shortcuts)
    assert model.name == depth_name and model.count_params() == params
    assert model.output_shape == (None, 10)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)
             and layer.kernel_size == (3, 3)]
    assert len(convs) + 1 == 6 * n + 2           # 3x3 convolutions + the dense layer
    adds = sum(isinstance(layer, keras.layers.Add) for layer in model.layers)
    assert adds == (3 * n if shortcuts else 0)
    assert model.get_layer("global_pool").output.shape[1:] == (64,)
    assert not any(isinstance(layer, keras.layers.MaxPooling2D) for layer in model.layers)


def test_downsampling_cnn_pool_and_stride():
    pooled = models.build_downsampling_cnn("pool")
    strided = models.build_downsampling_cnn("stride")
    assert pooled.count_params() == strided.count_params() == 289_642
    assert cc.multiply_adds(pooled) == 38_634_752 and cc.multiply_adds(strided) == 17_401_088
    assert sum(isinstance(x, keras.layers.MaxPooling2D) for x in pooled.layers) == 3
    assert not any(isinstance(x, keras.layers.MaxPooling2D) for x in strided.layers)
    assert strided.get_layer("stage3_conv2").output.shape[1:] == (4, 4, 128)
    assert pooled.get_layer("stage3_pool").output.shape[1:] == (4, 4, 128)


def test_cpu_networks_reject_bad_arguments():
    with pytest.raises(ValueError, match="blocks_per_stage"):
        models.build_cifar_resnet(0)
    with pytest.raises(TypeError, match="shortcuts"):
        models.build_cifar_resnet(1, shortcuts=1)
    with pytest.raises(ValueError, match="widths"):
        models.build_cifar_resnet(1, widths=())
    with pytest.raises(ValueError, match="input_shape"):
        models.build_cifar_resnet(1, input_shape=(2, 2, 3))
    with pytest.raises(ValueError, match="downsample must be"):
        models.build_downsampling_cnn("average")
    with pytest.raises(ValueError, match="input_shape"):
        models.build_downsampling_cnn("pool", input_shape=(4, 4, 3))
    with pytest.raises(ValueError, match="num_classes"):
        models.build_downsampling_cnn("stride", num_classes=1)
