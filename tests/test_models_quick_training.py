"""set_bn_momentum and build_narrow_vgg16: what lets a lesson train a network in quick mode."""
import pytest

import cnn_course as cc
from cnn_course._lazy import keras


def test_sets_every_batchnorm_and_keeps_the_parameter_count():
    model = cc.build_model("inception10")
    before = model.count_params()
    bns = [l for l in model.layers if isinstance(l, keras.layers.BatchNormalization)]
    assert cc.set_bn_momentum(model, 0.9) == len(bns) > 0
    assert all(l.momentum == 0.9 for l in bns)
    assert model.count_params() == before


def test_reaches_nested_models_and_counts_zero_without_batchnorm():
    inner = cc.build_model("cifar_baseline")
    outer = keras.Sequential([keras.Input((32, 32, 3)), inner])
    assert cc.set_bn_momentum(outer, 0.5) == 1
    assert [l.momentum for l in inner.layers if isinstance(l, keras.layers.BatchNormalization)] == [0.5]
    assert cc.set_bn_momentum(cc.build_model("lenet5"), 0.9) == 0


@pytest.mark.parametrize("bad", [1.0, -0.1, "0.9", True, None])
def test_rejects_a_momentum_outside_0_1(bad):
    with pytest.raises(ValueError, match="momentum must be a number in \\[0, 1\\)"):
        cc.set_bn_momentum(cc.build_model("lenet5"), bad)


def test_rejects_a_model_name():
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        cc.set_bn_momentum("alexnet8", 0.9)


def test_narrow_vgg16_keeps_the_pattern_and_divides_the_widths():
    full, narrow = cc.build_narrow_vgg16(1), cc.build_narrow_vgg16(4)
    assert full.count_params() == 15_262_026  # build_model("vgg16"), pinned in test_models.py
    assert narrow.count_params() == 959_322
    convs = [l for l in narrow.layers if isinstance(l, keras.layers.Conv2D)]
    assert [l.filters for l in convs] == [16] * 2 + [32] * 2 + [64] * 3 + [128] * 6
    assert [l.name for l in narrow.layers] == [l.name for l in full.layers]


@pytest.mark.parametrize("bad", [3, 0, 128])
def test_narrow_vgg16_rejects_a_divisor_that_does_not_divide_64(bad):
    with pytest.raises(ValueError, match="width_divisor"):
        cc.build_narrow_vgg16(bad)
