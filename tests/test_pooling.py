"""pool2d / global_pool against TensorFlow/Keras and against the defining formulas.

max and avg: ``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d`` (which, unlike ``tf.nn.pool``,
accept strides larger than the window) and ``keras.layers.MaxPooling2D`` /
``AveragePooling2D``; max abs error <= 1e-5 in float32 on inputs uniform in [-1, 1].
l2 and sum (no TensorFlow op): an explicit loop over the windows that uses only the
valid (non-padding) cells, written independently of the vectorised code.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_course.padding import same_padding
from cnn_course.pooling import (PoolArgs, global_pool, pool2d, pool2d_naive, pool2d_shift_reduce,
                                pool_arguments)

tf = pytest.importorskip("tensorflow")

ATOL = 1e-5


@st.composite
def pool_cases(draw, max_size=40, explicit=False):
    ph, pw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    sh, sw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    kinds = ["valid", "same"] + (["explicit"] if explicit else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "explicit":
        padding = ((draw(st.integers(0, ph - 1)), draw(st.integers(0, ph - 1))),
                   (draw(st.integers(0, pw - 1)), draw(st.integers(0, pw - 1))))
        min_h, min_w = max(1, ph - sum(padding[0])), max(1, pw - sum(padding[1]))
    else:
        padding = kind
        min_h, min_w = (ph, pw) if kind == "valid" else (1, 1)
    h = draw(st.integers(min_h, max(min_h, max_size)))
    w = draw(st.integers(min_w, max(min_w, max_size)))
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.uniform(-1, 1, (n, h, w, c)).astype(np.float32)
    return x, (ph, pw), (sh, sw), padding


def reference_pool(x, pool, stride, padding, mode):
    """Loop over output pixels; each window keeps only the cells inside the image."""
    n, h, w, c = x.shape
    (ph, pw), (sh, sw) = pool, stride
    if padding == "valid":
        (pt, pb), (pl, pr) = (0, 0), (0, 0)
    elif padding == "same":
        (pt, pb), (pl, pr) = same_padding(h, ph, sh), same_padding(w, pw, sw)
    else:
        (pt, pb), (pl, pr) = padding
    out_h = (h + pt + pb - ph) // sh + 1
    out_w = (w + pl + pr - pw) // sw + 1
    out = np.empty((n, out_h, out_w, c))
    x = x.astype(np.float64)
    for i in range(out_h):
        r0, r1 = max(i * sh - pt, 0), min(i * sh - pt + ph, h)
        for j in range(out_w):
            c0, c1 = max(j * sw - pl, 0), min(j * sw - pl + pw, w)
            win = x[:, r0:r1, c0:c1, :]
            if mode == "max":
                out[:, i, j] = win.max(axis=(1, 2))
            elif mode == "avg":
                out[:, i, j] = win.mean(axis=(1, 2))
            elif mode == "sum":
                out[:, i, j] = win.sum(axis=(1, 2))
            else:
                out[:, i, j] = np.sqrt((win ** 2).mean(axis=(1, 2)))
    return out


@settings(max_examples=300, deadline=None)
@given(pool_cases(), st.sampled_from(["max", "avg"]))
def test_max_and_avg_match_tf(case, mode):
    x, pool, stride, padding = case
    op = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    ref = op(x.astype(np.float64), pool, stride, padding.upper()).numpy()
    out = pool2d(x, pool, stride, padding, mode)
    assert out.dtype == np.float32 and out.shape == ref.shape
    assert np.abs(out - ref).max() <= ATOL


@settings(max_examples=30, deadline=None)
@given(pool_cases(max_size=20), st.sampled_from(["max", "avg"]))
def test_max_and_avg_match_keras_layers(case, mode):
    keras = pytest.importorskip("keras")
    x, pool, stride, padding = case
    layer_cls = keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    layer = layer_cls(pool_size=pool, strides=stride, padding=padding, dtype="float64")
    ref = np.asarray(layer(x.astype(np.float64)))
    out = pool2d(x, pool, stride, padding, mode)
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() <= ATOL


@settings(max_examples=150, deadline=None)
@given(pool_cases(max_size=16, explicit=True), st.sampled_from(["max", "avg", "l2", "sum"]))
def test_every_mode_matches_its_formula(case, mode):
    x, pool, stride, padding = case
    ref = reference_pool(x, pool, stride, padding, mode)
    out = pool2d(x, pool, stride, padding, mode)
    assert out.shape == ref.shape
    assert np.abs(out - ref).max() <= ATOL * max(1.0, np.abs(ref).max())


@settings(max_examples=100, deadline=None)
@given(pool_cases(max_size=12, explicit=True), st.sampled_from(["max", "avg", "l2", "sum"]))
def test_naive_loops_match_the_vectorised_version(case, mode):
    x, pool, stride, padding = case
    naive = pool2d_naive(x, pool, stride, padding, mode)
    fast = pool2d(x, pool, stride, padding, mode)
    assert naive.dtype == fast.dtype == np.float32 and naive.shape == fast.shape
    assert np.abs(naive - fast).max() <= ATOL * max(1.0, np.abs(fast).max())
    np.testing.assert_array_equal(pool2d_shift_reduce(x, pool, stride, padding, mode), fast)


def test_pool_arguments_fields():
    a = pool_arguments(np.zeros((7, 8, 3), np.uint8), (3, 2), padding="same", mode="l2")
    assert isinstance(a, PoolArgs)
    assert a.x4.shape == (1, 7, 8, 3) and a.x4.dtype == np.float32 and a.x_ndim == 3
    assert a.pool_size == (3, 2) and a.stride == (3, 2) and a.mode == "l2"
    assert a.pads == ((1, 1), (0, 0)) and a.out_hw == (3, 4)
    with pytest.raises(AttributeError):
        a.mode = "max"


def test_l2_and_sum_relations_to_avg():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (2, 9, 7, 3))
    for padding in ("valid", "same"):
        avg_sq = pool2d(x ** 2, 3, 2, padding, "avg")
        np.testing.assert_allclose(pool2d(x, 3, 2, padding, "l2"), np.sqrt(avg_sq), rtol=1e-12)
    np.testing.assert_allclose(pool2d(x, 3, 2, "valid", "sum"), 9 * pool2d(x, 3, 2, "valid", "avg"),
                               rtol=1e-12)


def test_small_example_by_hand():
    x = np.array([[1, 2, 5, 6], [3, 4, 7, 8], [0, 0, 1, 1], [0, 4, 1, 1]])
    np.testing.assert_array_equal(pool2d(x, 2), [[4, 8], [4, 1]])
    np.testing.assert_array_equal(pool2d(x, 2, mode="avg"), [[2.5, 6.5], [1, 1]])
    np.testing.assert_array_equal(pool2d(x, 2, mode="sum"), [[10, 26], [4, 4]])
    np.testing.assert_allclose(pool2d(x, 2, mode="l2"), [[np.sqrt(7.5), np.sqrt(174 / 4)],
                                                         [2, 1]])
    # overlapping 3x3 windows, stride 1
    np.testing.assert_array_equal(pool2d(x, 3, stride=1), [[7, 8], [7, 8]])
    # "same" with a 2x2 window on a 3x3 image: extra cell at bottom/right, never counted
    y = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(pool2d(y, 2, padding="same", mode="avg"), [[2, 3.5], [6.5, 8]])
    np.testing.assert_array_equal(pool2d(-y - 1, 2, padding="same"), [[-1, -3], [-7, -9]])


def test_layouts_and_dtypes():
    rng = np.random.default_rng(1)
    img = rng.uniform(0, 255, (10, 12)).astype(np.uint8)
    a = pool2d(img, 3, 2, "same", "sum")
    assert a.dtype == np.float32 and a.shape == (5, 6)
    b = pool2d(img[:, :, None], 3, 2, "same", "sum")
    c = pool2d(img[None, :, :, None], 3, 2, "same", "sum")
    np.testing.assert_array_equal(b[..., 0], a)
    np.testing.assert_array_equal(c[0, ..., 0], a)
    full = np.full((4, 4), 255, dtype=np.uint8)
    assert pool2d(full, 4, mode="sum")[0, 0] == 16 * 255  # no uint8 overflow
    assert pool2d(full, 4, mode="l2")[0, 0] == 255
    assert pool2d(np.ones((4, 4)), 2).dtype == np.float64


def test_global_pool():
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (3, 5, 6, 4)).astype(np.float32)
    keras = pytest.importorskip("keras")
    np.testing.assert_allclose(global_pool(x, "avg"),
                               np.asarray(keras.layers.GlobalAveragePooling2D()(x)), atol=ATOL)
    np.testing.assert_allclose(global_pool(x, "max"),
                               np.asarray(keras.layers.GlobalMaxPooling2D()(x)), atol=ATOL)
    np.testing.assert_allclose(global_pool(x, "sum"), x.sum(axis=(1, 2)), atol=ATOL)
    np.testing.assert_allclose(global_pool(x, "l2"), np.sqrt((x ** 2).mean(axis=(1, 2))), atol=ATOL)
    assert global_pool(x, "avg").shape == (3, 4)
    assert global_pool(x[0], "max").shape == (4,)
    assert global_pool(x[0, :, :, 0], "max").shape == ()
    np.testing.assert_allclose(global_pool(x, "avg"), pool2d(x, (5, 6), mode="avg")[:, 0, 0], atol=ATOL)


@pytest.mark.parametrize("kwargs, exc, message", [
    (dict(x=np.zeros(4)), ValueError, "x must have 2 or 3 or 4 dimensions"),
    (dict(x=np.zeros((1, 2, 3, 4, 5))), ValueError, "x must have"),
    (dict(pool_size=0), ValueError, "pool_size must be an int >= 1"),
    (dict(pool_size=(2, 0)), ValueError, "pool_size must be an int >= 1"),
    (dict(stride=0), ValueError, "stride must be an int >= 1"),
    (dict(stride=1.0), TypeError, "stride must be an int"),
    (dict(mode="median"), ValueError, "mode must be one of 'max', 'avg', 'l2', 'sum'"),
    (dict(padding="full"), ValueError, "padding must be one of 'valid', 'same'"),
    (dict(padding=-1), ValueError, "padding must be >= 0"),
    (dict(pool_size=9), ValueError, "pool_size height 9 is larger than the padded input"),
    (dict(pool_size=2, padding=2), ValueError, "must be < pool_size 2"),
    (dict(x=np.array([["a"]])), TypeError, "x must be a numeric array"),
    (dict(x=np.ones((4, 4), dtype=bool)), TypeError, "numeric"),
    (dict(x=np.ones((4, 4), dtype=complex)), TypeError, "real"),
    (dict(x=np.zeros((0, 4))), ValueError, "x must not be empty"),
    (dict(pool_size=10**5, padding="same"), ValueError, "padding too large: the padded input"),
])
@pytest.mark.parametrize("fn", [pool2d, pool2d_naive])
def test_pool_errors(fn, kwargs, exc, message):
    args = dict(x=np.zeros((1, 8, 8, 2)))
    args.update(kwargs)
    with pytest.raises(exc, match=re.escape(message)):
        fn(**args)


@pytest.mark.parametrize("x, mode, exc, message", [
    (np.zeros(3), "avg", ValueError, "x must have 2 or 3 or 4 dimensions"),
    (np.zeros((2, 2)), "mean", ValueError, "mode must be one of"),
    (np.zeros((0, 2)), "avg", ValueError, "must not be empty"),
    (np.array([["a"]]), "avg", TypeError, "numeric"),
    (np.zeros((2, 2), complex), "avg", TypeError, "x must be a real"),
])
def test_global_pool_errors(x, mode, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        global_pool(x, mode)
