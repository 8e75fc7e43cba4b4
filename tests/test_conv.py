"""conv2d and its strategies against TensorFlow, conv_arguments, and every error path.

(The size helpers and pad2d are tested in test_padding.py, the size limit in
test_validation.py.)

Accuracy criterion: inputs uniform in [-1, 1] and kernel weights uniform in
[-1, 1] / sqrt(kh*kw*C) (the fan-in scaling of a real layer, so outputs are O(1));
in float32 the max absolute difference to TensorFlow must be <= 1e-5.

``tf.nn.conv2d`` on CPU refuses stride > 1 together with dilation > 1; for those
cases the reference is TensorFlow run on the explicitly dilated kernel (zeros
inserted between the taps) with dilation 1, which computes the same sum.

The TensorFlow reference runs in float64 (TensorFlow's Eigen kernel). Its float32 CPU
path (oneDNN, on by default) returns garbage for some strided 1-row kernels, e.g. x of
shape (2, 2, 3, 1), kernel (1, 2, 1, 1), strides (1, 2): every second output row is
uninitialised memory (TensorFlow 2.21; correct with TF_ENABLE_ONEDNN_OPTS=0). Our
float32 results are compared against that float64 reference.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_course.conv import (ConvArgs, conv2d, conv2d_im2col, conv2d_naive, conv2d_shift_add,
                             conv_arguments, pad2d)

tf = pytest.importorskip("tensorflow")

ATOL = 1e-5


# ----------------------------------------------------------------------------- helpers
def dilate_kernel(k: np.ndarray, dh: int, dw: int) -> np.ndarray:
    """(kh, kw, C, F) kernel with dh-1 / dw-1 zero rows/columns inserted between taps."""
    kh, kw = k.shape[:2]
    out = np.zeros((dh * (kh - 1) + 1, dw * (kw - 1) + 1) + k.shape[2:], dtype=k.dtype)
    out[::dh, ::dw] = k
    return out


def tf_conv(x, k, stride, padding, dilation):
    """TensorFlow reference for NHWC x and (kh, kw, C, F) k with our padding spec."""
    if isinstance(padding, str):
        tf_pad = padding.upper()
    else:
        (t, b), (l, r) = padding
        tf_pad = [[0, 0], [t, b], [l, r], [0, 0]]
    if max(stride) > 1 and max(dilation) > 1:  # not supported by tf.nn.conv2d on CPU
        k, dilation = dilate_kernel(k, *dilation), (1, 1)
    return tf.nn.conv2d(x.astype(np.float64), k.astype(np.float64), strides=[1, *stride, 1],
                        padding=tf_pad, dilations=[1, *dilation, 1]).numpy()


@st.composite
def conv_cases(draw, max_size=40, max_batch=3, max_channels=3, max_filters=4):
    """A random valid conv2d problem: (x, kernel, stride, padding, dilation, tf_padding)."""
    kh, kw = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["valid", "same", "int", "pair", "explicit"]))
    if kind in ("valid", "same"):
        padding, pads = kind, ((0, 0), (0, 0))
    elif kind == "int":
        p = draw(st.integers(0, 3))
        padding, pads = p, ((p, p), (p, p))
    elif kind == "pair":
        ph, pw = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        padding, pads = (ph, pw), ((ph, ph), (pw, pw))
    else:
        pads = tuple(tuple(draw(st.integers(0, 4)) for _ in range(2)) for _ in range(2))
        padding = pads
    # smallest image the kernel fits in once padded ("same" always fits)
    min_h = 1 if kind == "same" else max(1, dh * (kh - 1) + 1 - sum(pads[0]))
    min_w = 1 if kind == "same" else max(1, dw * (kw - 1) + 1 - sum(pads[1]))
    h = draw(st.integers(min_h, max(min_h, max_size)))
    w = draw(st.integers(min_w, max(min_w, max_size)))
    n, c, f = (draw(st.integers(1, max_batch)), draw(st.integers(1, max_channels)),
               draw(st.integers(1, max_filters)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, h, w, c)).astype(np.float32)
    k = (rng.uniform(-1, 1, (kh, kw, c, f)) / np.sqrt(kh * kw * c)).astype(np.float32)
    tf_padding = padding if isinstance(padding, str) else pads
    return x, k, (sh, sw), padding, (dh, dw), tf_padding


# ----------------------------------------------------------------------------- vs TensorFlow
@settings(max_examples=400, deadline=None)
@given(conv_cases())
def test_conv2d_matches_tf(case):
    x, k, stride, padding, dilation, tf_padding = case
    ref = tf_conv(x, k, stride, tf_padding, dilation)
    out = conv2d(x, k, stride=stride, padding=padding, dilation=dilation)
    assert out.dtype == np.float32
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() <= ATOL


@settings(max_examples=120, deadline=None)
@given(conv_cases(max_size=12, max_batch=2, max_channels=2, max_filters=3))
def test_conv2d_naive_matches_tf_and_vectorised(case):
    x, k, stride, padding, dilation, tf_padding = case
    ref = tf_conv(x, k, stride, tf_padding, dilation)
    naive = conv2d_naive(x, k, stride=stride, padding=padding, dilation=dilation)
    fast = conv2d(x, k, stride=stride, padding=padding, dilation=dilation)
    assert naive.dtype == np.float32 and naive.shape == ref.shape
    assert np.abs(naive - ref).max() <= ATOL
    assert np.abs(naive - fast).max() <= ATOL


@settings(max_examples=40, deadline=None)
@given(conv_cases(max_size=20), st.booleans())
def test_conv2d_with_bias_matches_keras_conv2d(case, use_naive):
    keras = pytest.importorskip("keras")
    x, k, stride, padding, dilation, _ = case
    if not isinstance(padding, str) or (max(stride) > 1 and max(dilation) > 1):
        padding, stride = "same", (1, 1)  # keras.layers.Conv2D only knows valid/same
    kh, kw, c, f = k.shape
    bias = np.random.default_rng(0).uniform(-1, 1, f).astype(np.float32)
    layer = keras.layers.Conv2D(f, (kh, kw), strides=stride, padding=padding,
                                dilation_rate=dilation, dtype="float64")  # see module docstring
    layer.build(x.shape)
    layer.set_weights([k.astype(np.float64), bias.astype(np.float64)])
    ref = np.asarray(layer(x.astype(np.float64)))
    fn = conv2d_naive if use_naive and x.shape[1] * x.shape[2] <= 200 else conv2d
    out = fn(x, k, bias=bias, stride=stride, padding=padding, dilation=dilation)
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() <= ATOL


@settings(max_examples=80, deadline=None)
@given(conv_cases(max_size=30, max_channels=1, max_filters=1))
def test_shift_add_and_im2col_both_match_tf_on_image_filtering(case):
    x, k, stride, padding, dilation, tf_padding = case
    ref = tf_conv(x, k, stride, tf_padding, dilation)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation)
    shift_add = conv2d_shift_add(x, k, **kwargs)
    im2col = conv2d_im2col(x, k, **kwargs)
    assert shift_add.shape == im2col.shape == ref.shape
    assert np.abs(shift_add - ref).max() <= ATOL and np.abs(im2col - ref).max() <= ATOL
    np.testing.assert_array_equal(conv2d(x, k, **kwargs), shift_add)  # what conv2d dispatches to


@settings(max_examples=40, deadline=None)
@given(conv_cases(max_size=20), st.booleans())
def test_conv2d_dispatches_to_im2col_bit_for_bit(case, use_bias):
    x, k, stride, padding, dilation, _ = case
    bias = np.linspace(-1, 1, k.shape[3]) if use_bias else None
    kwargs = dict(bias=bias, stride=stride, padding=padding, dilation=dilation)
    out = conv2d(x, k, **kwargs)
    if k.shape[2:] == (1, 1):
        np.testing.assert_array_equal(out, conv2d_shift_add(x, k, **kwargs))
    else:
        np.testing.assert_array_equal(out, conv2d_im2col(x, k, **kwargs))


def test_shift_add_bands_cover_large_images():
    # more than one band of ~64k output pixels, and a stride that does not divide the size
    rng = np.random.default_rng(5)
    img, k = rng.normal(size=(301, 299)), rng.normal(size=(4, 3))
    for kwargs in (dict(), dict(stride=(3, 2), padding="same"), dict(dilation=2, padding=(2, 1))):
        np.testing.assert_allclose(conv2d_shift_add(img, k, **kwargs),
                                   conv2d_im2col(img, k, **kwargs), atol=1e-12)


def test_shift_add_needs_one_channel_and_one_filter():
    with pytest.raises(ValueError, match=__import__("re").escape(
            "conv2d_shift_add needs one input channel and one filter (kernel of shape (kh, kw) "
            "or (kh, kw, 1, 1)); got kernel shape (3, 3, 3, 4): use conv2d or conv2d_im2col")):
        conv2d_shift_add(X4, K4)


def test_conv_arguments_fields():
    x = np.arange(2 * 5 * 6 * 3, dtype=np.uint8).reshape(2, 5, 6, 3)
    k = np.arange(3 * 2 * 3 * 4, dtype=np.float32).reshape(3, 2, 3, 4)
    a = conv_arguments(x, k, 1.5, stride=(2, 1), padding="same", dilation=(1, 2), mode="convolve")
    assert isinstance(a, ConvArgs)
    assert a.x4.shape == (2, 5, 6, 3) and a.x4.dtype == np.float32
    np.testing.assert_array_equal(a.x4, x)
    np.testing.assert_array_equal(a.k4, k[::-1, ::-1])               # already rotated
    np.testing.assert_array_equal(a.bias, [1.5] * 4)
    assert (a.stride, a.dilation, a.mode, a.x_ndim) == ((2, 1), (1, 2), "convolve", 4)
    assert a.pads == ((1, 1), (1, 1)) and a.out_hw == (3, 6) and a.dtype == np.float32
    assert a.padded_input().shape == (2, 7, 8, 3) and a.padded_input()[:, 0].sum() == 0
    with pytest.raises(AttributeError):
        a.stride = (1, 1)                                            # frozen
    b = conv_arguments(np.zeros((4, 4)), np.ones((2, 2)))
    assert b.x_ndim == 2 and b.k4.shape == (2, 2, 1, 1) and b.bias is None
    assert b.padded_input() is b.x4 and b.out_hw == (3, 3)


def test_stride_and_dilation_together_via_dilated_kernel_equivalence():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (2, 17, 19, 3)).astype(np.float32)
    k = rng.uniform(-1, 1, (3, 2, 3, 4)).astype(np.float32)
    for pad in ("valid", "same", ((1, 2), (0, 3))):
        a = conv2d(x, k, stride=(2, 3), dilation=(3, 2), padding=pad)
        b = conv2d(x, dilate_kernel(k, 3, 2), stride=(2, 3), padding=pad)
        c = conv2d_naive(x, k, stride=(2, 3), dilation=(3, 2), padding=pad)
        np.testing.assert_allclose(a, b, atol=ATOL)
        np.testing.assert_allclose(a, c, atol=ATOL)


# ----------------------------------------------------------------------------- layouts, modes, dtypes
@pytest.mark.parametrize("fn", [conv2d, conv2d_naive])
def test_layouts_agree(fn):
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 1, (9, 11))
    k2 = rng.uniform(-1, 1, (3, 4))
    out2 = fn(img, k2, padding="same", stride=2)
    out3 = fn(img[:, :, None], k2[:, :, None, None], padding="same", stride=2)
    out4 = fn(img[None, :, :, None], k2[:, :, None, None], padding="same", stride=2)
    assert out2.shape == (5, 6) and out3.shape == (5, 6, 1) and out4.shape == (1, 5, 6, 1)
    np.testing.assert_allclose(out3[..., 0], out2, rtol=1e-12)
    np.testing.assert_allclose(out4[0, ..., 0], out2, rtol=1e-12)


@pytest.mark.parametrize("fn", [conv2d, conv2d_naive])
def test_correlate_and_convolve_match_scipy(fn):
    signal = pytest.importorskip("scipy.signal")
    rng = np.random.default_rng(1)
    img = rng.normal(size=(12, 10))
    k = rng.normal(size=(3, 4))  # asymmetric on purpose
    np.testing.assert_allclose(fn(img, k), signal.correlate2d(img, k, mode="valid"), atol=1e-12)
    np.testing.assert_allclose(fn(img, k, mode="convolve"),
                               signal.convolve2d(img, k, mode="valid"), atol=1e-12)
    np.testing.assert_allclose(fn(img, k, mode="convolve"), fn(img, k[::-1, ::-1]), atol=1e-12)
    assert not np.allclose(fn(img, k), fn(img, k, mode="convolve"))


def test_convolve_flips_only_spatial_axes():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 8, 8, 3))
    k = rng.normal(size=(3, 2, 3, 5))
    np.testing.assert_allclose(conv2d(x, k, mode="convolve"), conv2d(x, k[::-1, ::-1]), atol=1e-12)
    np.testing.assert_allclose(conv2d_naive(x, k, mode="convolve"), conv2d(x, k[::-1, ::-1]),
                               atol=1e-12)


@pytest.mark.parametrize("fn", [conv2d, conv2d_naive, conv2d_im2col])
def test_dtype_rules_and_no_uint8_overflow(fn):
    img = np.full((5, 5), 255, dtype=np.uint8)
    out = fn(img, np.ones((3, 3), dtype=np.float32))
    assert out.dtype == np.float32 and np.all(out == 9 * 255)
    out = fn(img, np.ones((3, 3), dtype=np.uint8))  # integer kernel too: still no overflow
    assert out.dtype == np.float32 and np.all(out == 9 * 255)
    assert fn(np.ones((4, 4)), np.ones((2, 2))).dtype == np.float64
    assert fn(np.ones((4, 4), dtype=np.int64), np.ones((2, 2), dtype=np.int64)).dtype == np.float64
    x32 = np.ones((1, 4, 4, 2), dtype=np.float32)
    k32 = np.ones((2, 2, 2, 3), dtype=np.float32)
    out = fn(x32, k32, bias=np.array([0, 1, 2]))  # int64 bias does not widen float32
    assert out.dtype == np.float32 and out[0, 0, 0].tolist() == [8, 9, 10]
    assert fn(x32, k32, bias=0.5).dtype == np.float32


@pytest.mark.parametrize("fn", [conv2d, conv2d_naive])
def test_scalar_bias_for_any_layout(fn):
    img = np.ones((4, 4))
    np.testing.assert_array_equal(fn(img, np.ones((2, 2)), bias=1.5), np.full((3, 3), 5.5))
    np.testing.assert_array_equal(fn(img, np.ones((2, 2)), bias=[1.5]), np.full((3, 3), 5.5))


def test_docstring_example_values():
    row = np.array([[1.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(conv2d(row, np.array([[1.0, 2.0]])), [[1, 0, 0]])
    np.testing.assert_array_equal(conv2d(row, np.array([[1.0, 2.0]]), mode="convolve"), [[2, 0, 0]])


def test_padding_forms_are_equivalent():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1, 7, 9, 2))
    k = rng.normal(size=(3, 3, 2, 2))
    a = conv2d(x, k, padding=1)
    b = conv2d(x, k, padding=(1, 1))
    c = conv2d(x, k, padding=((1, 1), (1, 1)))
    d = conv2d(x, k, padding="same")
    e = conv2d(pad2d(x, 1), k)
    for other in (b, c, d, e):
        np.testing.assert_allclose(a, other, atol=1e-12)


# ----------------------------------------------------------------------------- errors
X4 = np.zeros((2, 8, 8, 3), dtype=np.float32)
K4 = np.zeros((3, 3, 3, 4), dtype=np.float32)

CONV_ERRORS = [
    (dict(x=np.zeros(5)), ValueError, "x must have 2 or 3 or 4 dimensions"),
    (dict(x=np.zeros((1, 2, 3, 4, 5))), ValueError, "x must have"),
    (dict(kernel=np.zeros((3, 3, 3))), ValueError, "kernel must have 2 or 4 dimensions"),
    (dict(x=np.zeros((8, 8)), kernel=K4), ValueError, "kernel must be 2-D"),
    (dict(kernel=np.zeros((3, 3))), ValueError, "kernel must be 4-D"),
    (dict(kernel=np.zeros((3, 3, 2, 4))), ValueError, "input channels"),
    (dict(stride=0), ValueError, "stride must be an int >= 1"),
    (dict(stride=(1, -2)), ValueError, "stride must be an int >= 1"),
    (dict(stride=1.5), TypeError, "stride"),
    (dict(dilation=0), ValueError, "dilation must be an int >= 1"),
    (dict(padding="full"), ValueError, "padding must be one of 'valid', 'same'"),
    (dict(padding=-1), ValueError, "padding must be >= 0"),
    (dict(padding=((1, -1), (0, 0))), ValueError, "padding must be an int >= 0"),
    (dict(padding=(1, 2, 3)), ValueError, "padding must be"),
    (dict(padding=1.0), TypeError, "padding must be"),
    (dict(mode="conv"), ValueError, "mode must be one of 'correlate', 'convolve'"),
    (dict(bias=np.zeros(3)), ValueError, "bias must be a scalar or have shape (4,)"),
    (dict(bias=np.zeros((4, 1))), ValueError, "bias must have 0 or 1 dimensions"),
    (dict(kernel=np.zeros((9, 3, 3, 4))), ValueError, "kernel height 9 with dilation 1 spans 9"),
    (dict(kernel=np.zeros((3, 4, 3, 4)), dilation=3), ValueError, "kernel width 4 with dilation 3"),
    (dict(x=np.zeros((2, 2, 3)), kernel=np.zeros((3, 3, 3, 1)), padding=((0, 0), (1, 0))),
     ValueError, "larger than the padded input"),
    (dict(x=np.array([["a"]])), TypeError, "x must be a numeric array"),
    (dict(x=np.ones((4, 4), dtype=bool), kernel=np.ones((2, 2))), TypeError, "numeric"),
    (dict(kernel=K4.astype(complex)), TypeError, "kernel must be a real"),
    (dict(bias=["a"] * 4), TypeError, "bias must be a numeric array"),
    (dict(x=np.zeros((0, 8, 8, 3))), ValueError, "x must not be empty"),
    (dict(kernel=np.zeros((3, 3, 3, 0))), ValueError, "kernel must not be empty"),
    (dict(bias=np.zeros(4, complex)), TypeError, "bias must be a real"),
    (dict(padding=10**5), ValueError, "padding too large: the padded input"),
]


@pytest.mark.parametrize("fn", [conv2d, conv2d_naive, conv2d_im2col])
@pytest.mark.parametrize("kwargs, exc, message", CONV_ERRORS)
def test_conv_errors(fn, kwargs, exc, message):
    args = dict(x=X4, kernel=K4)
    args.update(kwargs)
    with pytest.raises(exc, match=__import__("re").escape(message)):
        fn(**args)


def test_importing_numpy_core_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys, cnn_course as cc; cc.conv2d; cc.pool2d; cc.filters; cc.activations; "
            "from cnn_course import conv, pooling, filters, activations; "
            "sys.exit(int('tensorflow' in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
