"""Receptive-field arithmetic: known architectures and a brute-force cross-check."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_course.receptive_field import receptive_field, receptive_field_size


def sizes(layers):
    return [layer["size"] for layer in receptive_field(layers)]


def test_vgg_argument_stacked_3x3():
    assert sizes([(3, 1)] * 3) == [3, 5, 7]
    assert receptive_field_size([(3, 1), (3, 1)]) == 5


def test_single_layer_equals_kernel_size():
    for k in (1, 2, 3, 5, 7, 11):
        (layer,) = receptive_field([(k, 1)])
        assert layer["size"] == k and layer["jump"] == 1


def test_alexnet_stack_is_195():
    # conv1 11/4, pool1 3/2, conv2 5/1, pool2 3/2, conv3-5 3/1, pool5 3/2
    alexnet = [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)]
    rf = receptive_field(alexnet)
    assert [l["size"] for l in rf] == [11, 19, 51, 67, 99, 131, 163, 195]
    assert [l["jump"] for l in rf] == [4, 8, 8, 16, 16, 16, 16, 32]


def test_vgg16_conv5_3_is_196_and_pool5_212():
    vgg = ([(3, 1)] * 2 + [(2, 2)] + [(3, 1)] * 2 + [(2, 2)] + [(3, 1)] * 3 + [(2, 2)]
           + [(3, 1)] * 3 + [(2, 2)] + [(3, 1)] * 3 + [(2, 2)])
    rf = receptive_field(vgg)
    assert rf[-2]["size"] == 196
    assert rf[-1]["size"] == 212
    assert rf[-1]["jump"] == 32


def test_dilation_grows_exponentially():
    # 3x3 kernels with dilation 1, 2, 4 (the "context module" of Yu & Koltun)
    assert sizes([(3, 1, 1), (3, 1, 2), (3, 1, 4)]) == [3, 7, 15]
    assert receptive_field([{"kernel": 3, "dilation": 2}])[0]["size"] == 5


def test_result_keys_and_echoed_parameters():
    (layer,) = receptive_field([{"kernel_size": 5, "stride": 2, "dilation": 1, "padding": 2,
                                 "name": "conv1"}])
    assert layer == {"layer": 1, "name": "conv1", "kernel": 5, "stride": 2, "dilation": 1,
                     "padding": 2, "size": 5, "jump": 2, "start": 0.0}


def test_start_valid_and_same():
    # valid 3x3: the first output pixel is centred on input pixel 1
    assert receptive_field([(3, 1)])[0]["start"] == 1.0
    # 'same' 3x3 (padding 1): centred on input pixel 0
    assert receptive_field([{"kernel": 3, "padding": "same"}])[0]["start"] == 0.0
    # 2x2 pooling stride 2: centred between pixels 0 and 1
    assert receptive_field([(2, 2)])[0]["start"] == 0.5


def _brute_force_span(layers):
    """Input indices (1-D) that influence unit 0 of the last layer, by back-propagating indices."""
    units = {0}
    for k, s, d, p in reversed(layers):
        units = {u * s - p + i * d for u in units for i in range(k)}
    return min(units), max(units)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(1, 3),
                          st.integers(0, 3)), min_size=1, max_size=5))
def test_matches_brute_force_index_propagation(layers):
    lo, hi = _brute_force_span(layers)
    last = receptive_field([{"kernel": k, "stride": s, "dilation": d, "padding": p}
                            for k, s, d, p in layers])[-1]
    assert last["size"] == hi - lo + 1
    assert last["start"] == (lo + hi) / 2


@pytest.mark.parametrize("layers, exc, match", [
    ([], ValueError, "at least one layer"),
    ("3,1", TypeError, "layers must be"),
    ([3, 1], TypeError, "flat list"),
    ([(3,)], ValueError, r"layers\[0\] must be \(kernel_size, stride\)"),
    ([(3, 1), (0, 1)], ValueError, r"layers\[1\] kernel_size must be >= 1, got 0"),
    ([(3, 0)], ValueError, "stride must be >= 1"),
    ([(3, 1, 0)], ValueError, "dilation must be >= 1"),
    ([(3.0, 1)], TypeError, "kernel_size must be an int"),
    ([{"stride": 2}], ValueError, "'kernel'"),
    ([{"kernel": 3, "strid": 2}], ValueError, "unknown keys"),
    ([{"kernel": 3, "padding": -1}], ValueError, "padding must be >= 0"),
    ([{"kernel": 3, "padding": "full"}], ValueError, "padding must be 'valid', 'same'"),
    ([None], TypeError, r"layers\[0\]"),
])
def test_rejects_bad_input(layers, exc, match):
    with pytest.raises(exc, match=match):
        receptive_field(layers)
