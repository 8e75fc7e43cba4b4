"""Transposed convolution and upsampling (cnn_course.upsampling) against TensorFlow in float64.

``conv2d_transpose`` is compared with ``tf.nn.conv2d_transpose`` on random problems drawn by
hypothesis (sizes, channels, kernels 1-4 wide, strides 1-3, "valid"/"same"), with the output
length of ``keras.layers.Conv2DTranspose``; the simple loop version with the fast one; and
both with the input gradient of the course's own convolution
(``cnn_course.backprop.conv2d_backward``), which is the same scatter. ``upsample2d`` is
compared with ``keras.layers.UpSampling2D``.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_course.backprop import conv2d_backward
from cnn_course.conv import conv2d
from cnn_course.padding import output_size
from cnn_course.upsampling import (conv2d_transpose, conv2d_transpose_naive,
                                   transposed_output_size, upsample2d)

ATOL = 1e-10


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


@st.composite
def cases(draw, paddings=("valid", "same")):
    n = draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    f, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(st.sampled_from(paddings))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, h, w, f)), rng.normal(size=(kh, kw, c, f)),
            rng.normal(size=c), stride, padding)


def _tf_transpose(tf, x, k, b, stride, padding):
    n, h, w, _ = x.shape
    kh, kw, c, _ = k.shape
    # keras.layers.Conv2DTranspose's output length (keras.src.utils.conv_utils):
    # "valid": n*s + max(k - s, 0), "same": n*s
    out_h = h * stride[0] + (max(kh - stride[0], 0) if padding == "valid" else 0)
    out_w = w * stride[1] + (max(kw - stride[1], 0) if padding == "valid" else 0)
    y = tf.nn.conv2d_transpose(tf.constant(x), tf.constant(k), (n, out_h, out_w, c),
                               strides=stride, padding=padding.upper())
    return y.numpy() + b


@settings(max_examples=120, deadline=None)
@given(cases())
def test_conv2d_transpose_matches_tensorflow(tf, case):
    x, k, b, stride, padding = case
    ours = conv2d_transpose(x, k, b, stride, padding)
    ref = _tf_transpose(tf, x, k, b, stride, padding)
    assert ours.shape == ref.shape
    assert ours.dtype == np.float64
    assert np.max(np.abs(ours - ref)) <= ATOL


@settings(max_examples=60, deadline=None)
@given(cases(paddings=("valid", "same", 0, 1, 2)))
def test_naive_equals_fast_equals_the_input_gradient_of_conv2d(case):
    x, k, b, stride, padding = case
    kh, kw = k.shape[:2]
    n, h, w, _ = x.shape
    if isinstance(padding, int) and min((h - 1) * stride[0] + kh, (w - 1) * stride[1] + kw) \
            <= 2 * padding:
        with pytest.raises(ValueError, match="padding must be <="):
            conv2d_transpose(x, k, b, stride, padding)
        return
    fast = conv2d_transpose(x, k, b, stride, padding)
    naive = conv2d_transpose_naive(x, k, b, stride, padding)
    np.testing.assert_allclose(naive, fast, atol=ATOL)
    # the transposed convolution of g is the gradient conv2d hands back for dout = g
    z = np.zeros((n, fast.shape[1], fast.shape[2], k.shape[2]))
    dx = conv2d_backward(x, z, k, stride, padding)[0]
    np.testing.assert_allclose(dx + b, fast, atol=ATOL)
    # and the convolution with the same arguments maps that size back to the input's
    assert output_size(fast.shape[1], kh, stride[0], padding) == h
    assert conv2d(z, k, None, stride, padding).shape[1:3] == (h, w)


def test_transposed_is_the_adjoint_of_conv2d():
    """<conv2d(z), g> == <z, conv2d_transpose(g)>: the matrix transpose, numerically."""
    rng = np.random.default_rng(0)
    z, k = rng.normal(size=(2, 10, 8, 3)), rng.normal(size=(3, 3, 3, 4))
    out = conv2d(z, k, None, 2, "same")
    g = rng.normal(size=out.shape)
    back = conv2d_transpose(g, k, None, 2, "same")
    assert back.shape[1:3] == (10, 8)  # 5*2, 4*2: "same" gives stride times the input
    np.testing.assert_allclose(np.sum(out * g), np.sum(z * back), rtol=1e-12)


def test_keras_layer_agrees_on_a_few_cases(tf):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(1)
    for kernel, stride, padding in [(3, 2, "same"), (3, 2, "valid"), (2, 3, "valid"),
                                    (4, 2, "same"), (1, 3, "same")]:
        x = rng.normal(size=(2, 4, 5, 3))
        layer = keras.layers.Conv2DTranspose(2, kernel, strides=stride, padding=padding,
                                             dtype="float64")
        layer.build(x.shape)
        k, b = rng.normal(size=(kernel, kernel, 2, 3)), rng.normal(size=2)
        layer.kernel.assign(k)
        layer.bias.assign(b)
        ref = np.asarray(layer(x))
        ours = conv2d_transpose(x, k, b, stride, padding)
        assert ours.shape == ref.shape
        assert transposed_output_size(4, kernel, stride, padding) == ref.shape[1]
        np.testing.assert_allclose(ours, ref, atol=ATOL)


def test_small_examples_by_hand():
    x = np.array([[1.0, 2.0]])
    # stride 1: the two copies overlap; stride 2: side by side
    np.testing.assert_array_equal(conv2d_transpose(x, np.ones((2, 2))), [[1, 3, 2], [1, 3, 2]])
    np.testing.assert_array_equal(conv2d_transpose(x, np.ones((2, 2)), stride=2),
                                  [[1, 1, 2, 2], [1, 1, 2, 2]])
    # kernel 1 < stride 3, "valid": gaps of zeros, output n*s
    np.testing.assert_array_equal(conv2d_transpose(x, np.ones((1, 1)), stride=(1, 3)),
                                  [[1, 0, 0, 2, 0, 0]])
    # checkerboard: stride 2, kernel 3, constant input -> every other row/column counts twice
    ones = conv2d_transpose(np.ones((4, 4)), np.ones((3, 3)), stride=2, padding="same")
    assert set(np.unique(ones)) == {1.0, 2.0, 4.0}
    # 3-D layout and scalar bias
    out = conv2d_transpose(np.ones((2, 2, 1)), np.ones((2, 2, 3, 1)), bias=0.5, stride=2)
    assert out.shape == (4, 4, 3) and np.all(out == 1.5)
    assert conv2d_transpose(np.ones((2, 2), dtype=np.float32), np.ones((2, 2))).dtype == np.float64
    assert conv2d_transpose(np.ones((2, 2), dtype=np.float32),
                            np.ones((2, 2), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("n, k, s, padding, expected", [
    (7, 3, 2, "same", 14), (7, 3, 2, "valid", 15), (7, 2, 2, "valid", 14), (7, 1, 3, "valid", 21),
    (7, 4, 2, 1, 14), (1, 1, 1, "valid", 1), (3, 5, 1, "same", 3), (3, 5, 1, 2, 3)])
def test_transposed_output_size(n, k, s, padding, expected):
    assert transposed_output_size(n, k, s, padding) == expected


@pytest.mark.parametrize("call, error, message", [
    (lambda: conv2d_transpose(np.ones((2, 2)), np.ones((2, 2)), stride=0), ValueError, "stride"),
    (lambda: conv2d_transpose(np.ones((2, 2)), np.ones((2, 2)), padding="full"), ValueError,
     "padding must be one of"),
    (lambda: conv2d_transpose(np.ones((2, 2)), np.ones((2, 2)), padding=2), ValueError,
     "padding must be <= 1"),
    (lambda: conv2d_transpose(np.ones((2, 2)), np.ones((2, 2)), padding=1.5), TypeError, "padding"),
    (lambda: conv2d_transpose(np.ones((1, 2, 2, 3)), np.ones((2, 2, 1, 2))), ValueError,
     "F = the input's channels 3"),
    (lambda: conv2d_transpose(np.ones((2, 2)), np.ones((2, 2, 1, 1))), ValueError, "2-D x"),
    (lambda: conv2d_transpose(np.ones((1, 2, 2, 1)), np.ones((2, 2, 2, 1)), bias=[1, 2, 3]),
     ValueError, "bias"),
    (lambda: conv2d_transpose(np.ones((2, 2)), np.ones((2, 2)), stride=10**5), ValueError,
     "too large"),
    (lambda: conv2d_transpose(np.array([["a"]]), np.ones((2, 2))), TypeError, "x must be a numeric"),
    (lambda: transposed_output_size(0, 3), ValueError, "n must be >= 1"),
    (lambda: upsample2d(np.ones((2, 2)), 0), ValueError, "size"),
    (lambda: upsample2d(np.ones((2, 2)), 2, "cubic"), ValueError, "interpolation"),
    (lambda: upsample2d(np.ones((2, 2)), 10**5), ValueError, "too large"),
])
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5), st.integers(1, 3),
       st.integers(1, 3), st.sampled_from(["nearest", "bilinear"]), st.integers(0, 2**32 - 1))
def test_upsample2d_matches_keras(tf, n, h, w, sh, sw, interpolation, seed):
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(seed).normal(size=(n, h, w, 2))
    ref = np.asarray(keras.layers.UpSampling2D((sh, sw), interpolation=interpolation,
                                               dtype="float64")(x))
    ours = upsample2d(x, (sh, sw), interpolation)
    assert ours.shape == ref.shape
    # TensorFlow's bilinear resize computes in float32, whatever the layer's dtype
    np.testing.assert_allclose(ours, ref, atol=1e-10 if interpolation == "nearest" else 1e-5)


def test_upsample2d_layouts():
    x = np.arange(4.0).reshape(2, 2)
    assert upsample2d(x, 2).shape == (4, 4)
    assert upsample2d(x[..., None], 3).shape == (6, 6, 1)
    np.testing.assert_array_equal(upsample2d(x, 2, "bilinear")[0], [0, 0.25, 0.75, 1])
