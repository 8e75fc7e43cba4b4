"""Backward passes (cnn_course.backprop) against tf.GradientTape in float64.

Every gradient is compared with TensorFlow's on random problems drawn by hypothesis:
sizes, channels, filters, strides 1-3, dilations 1-3, every padding form (``"valid"``,
``"same"`` with odd and even kernels, an int, a pair, ``((t, b), (l, r))``) and the three
layouts. The loss is ``sum(out * dout)`` for a random ``dout``, so its gradient with
respect to ``out`` is ``dout``. Criterion: max absolute difference <= 1e-10 (float64).

TensorFlow's CPU gradient kernels (``Conv2DBackpropInput``/``Filter``) refuse dilation > 1
("Current CPU implementations do not yet support dilation rates larger than 1"); for
those cases TensorFlow differentiates the convolution with the explicitly dilated kernel
(zeros between the taps, dilation 1), which computes the same sum; the gradient of the
real taps is every ``dh``-th row and ``dw``-th column of that kernel's gradient.

Max pooling: inputs with many ties (small integers) check that the gradient goes to the
same cell of each window as TensorFlow's (the first maximum in row-major order).
``tf.nn.avg_pool2d`` takes only "VALID"/"SAME"; average pooling with explicit padding
(where ``pool2d`` divides by the valid cells) is checked against numerical gradients.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_course.backprop import (conv2d_backward, conv2d_backward_naive, dense, dense_backward,
                                 pool2d_backward, pool2d_backward_naive, relu_backward)
from cnn_course.conv import conv2d
from cnn_course.gradient_check import numerical_gradient, relative_error
from cnn_course.pooling import pool2d

ATOL = 1e-10


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


# ----------------------------------------------------------------------------- strategies
def _padding(draw, allow_pair=True, max_pad=3):
    kind = draw(st.sampled_from(["valid", "same", "int", "pair", "explicit"]))
    if kind in ("valid", "same"):
        return kind, kind
    if kind == "int":
        p = draw(st.integers(0, max_pad))
        return p, ((p, p), (p, p))
    if kind == "pair":
        ph, pw = draw(st.integers(0, max_pad)), draw(st.integers(0, max_pad))
        return (ph, pw), ((ph, ph), (pw, pw))
    pads = tuple(tuple(draw(st.integers(0, max_pad)) for _ in range(2)) for _ in range(2))
    return pads, pads


@st.composite
def conv_cases(draw, max_size=12, layouts=(2, 3, 4)):
    """(x, kernel, dout, stride, padding, dilation, tf_padding) of a valid conv2d problem."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))          # even kernels too
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    padding, pads = _padding(draw)
    fixed = ((0, 0), (0, 0)) if isinstance(pads, str) else pads
    min_h = 1 if pads == "same" else max(1, dh * (kh - 1) + 1 - sum(fixed[0]))
    min_w = 1 if pads == "same" else max(1, dw * (kw - 1) + 1 - sum(fixed[1]))
    h = draw(st.integers(min_h, max(min_h, max_size)))
    w = draw(st.integers(min_w, max(min_w, max_size)))
    ndim = draw(st.sampled_from(layouts))
    n = draw(st.integers(1, 3)) if ndim == 4 else 1
    c, f = (1, 1) if ndim == 2 else (draw(st.integers(1, 3)), draw(st.integers(1, 4)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x4 = rng.uniform(-1, 1, (n, h, w, c))
    k4 = rng.uniform(-1, 1, (kh, kw, c, f))
    out = conv2d(x4, k4, stride=(sh, sw), padding=padding, dilation=(dh, dw))
    d4 = rng.uniform(-1, 1, out.shape)
    if ndim == 2:
        x, k, d = x4[0, :, :, 0], k4[:, :, 0, 0], d4[0, :, :, 0]
    elif ndim == 3:
        x, k, d = x4[0], k4, d4[0]
    else:
        x, k, d = x4, k4, d4
    return x, k, d, (sh, sw), padding, (dh, dw), pads


@st.composite
def pool_cases(draw, mode, max_size=10, ties=False):
    """(x, dout, pool_size, stride, padding, tf_padding) of a valid pool2d problem."""
    ph, pw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    sh, sw = (ph, pw) if stride is None else stride
    kinds = ["valid", "same"] if mode == "avg" else ["valid", "same", "explicit"]
    kind = draw(st.sampled_from(kinds))
    if kind == "explicit":   # pool2d: every pad < pool size, so no window is all padding
        pads = ((draw(st.integers(0, ph - 1)), draw(st.integers(0, ph - 1))),
                (draw(st.integers(0, pw - 1)), draw(st.integers(0, pw - 1))))
        padding = pads
    else:
        padding = pads = kind
    fixed = ((0, 0), (0, 0)) if isinstance(pads, str) else pads
    min_h = 1 if pads == "same" else max(1, ph - sum(fixed[0]))
    min_w = 1 if pads == "same" else max(1, pw - sum(fixed[1]))
    h = draw(st.integers(min_h, max(min_h, max_size)))
    w = draw(st.integers(min_w, max(min_w, max_size)))
    ndim = draw(st.sampled_from([2, 3, 4]))
    n = draw(st.integers(1, 3)) if ndim == 4 else 1
    c = 1 if ndim == 2 else draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (n, h, w, c)
    x4 = rng.integers(-2, 3, shape).astype(np.float64) if ties else rng.uniform(-1, 1, shape)
    out = pool2d(x4, (ph, pw), stride, padding, mode)
    d4 = rng.uniform(-1, 1, out.shape)
    if ndim == 2:
        x, d = x4[0, :, :, 0], d4[0, :, :, 0]
    elif ndim == 3:
        x, d = x4[0], d4[0]
    else:
        x, d = x4, d4
    return x, d, (ph, pw), stride, padding, pads


# ----------------------------------------------------------------------------- TF references
def _to4(a):
    return a[None, :, :, None] if a.ndim == 2 else (a[None] if a.ndim == 3 else a)


def _tf_padding(pads):
    if isinstance(pads, str):
        return pads.upper()
    (t, b), (l, r) = pads
    return [[0, 0], [t, b], [l, r], [0, 0]]


def tf_conv_grads(tf, x, k, d, stride, pads, dilation):
    """(dx, dkernel, dbias) of sum(conv2d(x, k) * d) from tf.GradientTape, in our layouts."""
    x4, d4 = _to4(x), _to4(d)
    k4 = k[:, :, None, None] if k.ndim == 2 else k
    dh, dw = dilation
    dilate = max(dilation) > 1      # TF's CPU backward kernels refuse dilation > 1
    if dilate:
        kd = np.zeros((dh * (k4.shape[0] - 1) + 1, dw * (k4.shape[1] - 1) + 1) + k4.shape[2:])
        kd[::dh, ::dw] = k4
        k4, dilation = kd, (1, 1)
    xv, kv = tf.Variable(x4), tf.Variable(k4)
    bv = tf.Variable(np.zeros(k4.shape[3]))
    with tf.GradientTape() as tape:
        out = tf.nn.conv2d(xv, kv, strides=[1, *stride, 1], padding=_tf_padding(pads),
                           dilations=[1, *dilation, 1]) + bv
        loss = tf.reduce_sum(out * d4)
    dx, dk, db = (g.numpy() for g in tape.gradient(loss, [xv, kv, bv]))
    if dilate:
        dk = dk[::dh, ::dw]
    if x.ndim == 2:
        return dx[0, :, :, 0], dk[:, :, 0, 0], db.sum()
    return (dx[0] if x.ndim == 3 else dx), dk, db


def tf_pool_grad(tf, x, d, pool_size, stride, pads, mode):
    x4, d4 = _to4(x), _to4(d)
    xv = tf.Variable(x4)
    op = tf.nn.max_pool2d if mode == "max" else tf.nn.avg_pool2d
    with tf.GradientTape() as tape:
        out = op(xv, pool_size, pool_size if stride is None else stride, _tf_padding(pads))
        loss = tf.reduce_sum(out * d4)
    dx = tape.gradient(loss, xv).numpy()
    return dx[0, :, :, 0] if x.ndim == 2 else (dx[0] if x.ndim == 3 else dx)


def _close(ours, ref, name):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, f"{name}: shape {ours.shape} != TensorFlow's {ref.shape}"
    err = np.max(np.abs(ours - ref)) if ours.size else 0.0
    assert err <= ATOL, f"{name}: max |ours - TF| = {err:.3g} > {ATOL}"


# ----------------------------------------------------------------------------- conv2d
@settings(max_examples=150, deadline=None)
@given(conv_cases())
def test_conv2d_backward_matches_tensorflow(tf, case):
    x, k, d, stride, padding, dilation, pads = case
    dx, dk, db = conv2d_backward(d, x, k, stride, padding, dilation)
    rdx, rdk, rdb = tf_conv_grads(tf, x, k, d, stride, pads, dilation)
    _close(dx, rdx, "dx")
    _close(dk, rdk, "dkernel")
    _close(db, rdb, "dbias")
    assert dx.dtype == dk.dtype == np.float64


@settings(max_examples=40, deadline=None)
@given(conv_cases(max_size=7))
def test_conv2d_backward_naive_equals_fast(case):
    x, k, d, stride, padding, dilation, _ = case
    for ours, fast, name in zip(conv2d_backward_naive(d, x, k, stride, padding, dilation),
                                conv2d_backward(d, x, k, stride, padding, dilation),
                                ("dx", "dkernel", "dbias")):
        assert np.shape(ours) == np.shape(fast)
        np.testing.assert_allclose(ours, fast, rtol=0, atol=1e-12, err_msg=name)


def test_conv2d_backward_even_kernel_same_padding(tf):
    """A 2x2 kernel with "same": TF pads only at the bottom/right; the gradient must follow."""
    rng = np.random.default_rng(1)
    x, k = rng.normal(size=(2, 5, 6, 3)), rng.normal(size=(2, 2, 3, 4))
    for stride in (1, 2):
        d = rng.normal(size=conv2d(x, k, stride=stride, padding="same").shape)
        ours = conv2d_backward(d, x, k, stride, "same")
        ref = tf_conv_grads(tf, x, k, d, (stride, stride), "same", (1, 1))
        for o, r, name in zip(ours, ref, ("dx", "dkernel", "dbias")):
            _close(o, r, name)


def test_conv2d_backward_convolve_mode_matches_numerical_gradient():
    rng = np.random.default_rng(2)
    x, k = rng.normal(size=(1, 5, 5, 2)), rng.normal(size=(3, 2, 2, 2))
    d = rng.normal(size=conv2d(x, k, mode="convolve").shape)
    _, dk, _ = conv2d_backward(d, x, k, mode="convolve")
    num = numerical_gradient(lambda kk: np.sum(conv2d(x, kk, mode="convolve") * d), k)
    assert relative_error(dk, num) < 1e-8


def test_conv2d_backward_float32_stays_float32():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 8, 8, 3)).astype(np.float32)
    k = rng.normal(size=(3, 3, 3, 5)).astype(np.float32)
    d = rng.normal(size=(2, 8, 8, 5)).astype(np.float32)
    dx, dk, db = conv2d_backward(d, x, k, padding="same")
    assert dx.dtype == dk.dtype == db.dtype == np.float32
    ref = conv2d_backward(d.astype(np.float64), x.astype(np.float64), k.astype(np.float64),
                          padding="same")
    for o, r in zip((dx, dk, db), ref):
        np.testing.assert_allclose(o, r, rtol=1e-4, atol=1e-4)


def test_conv2d_backward_matches_numerical_gradient():
    """Independent of TensorFlow: the definition of a gradient."""
    rng = np.random.default_rng(4)
    x, k = rng.normal(size=(2, 6, 5, 2)), rng.normal(size=(3, 2, 2, 3))
    b = rng.normal(size=3)
    kw = dict(stride=(2, 1), padding=((1, 0), (2, 1)), dilation=(1, 2))
    d = rng.normal(size=conv2d(x, k, **kw).shape)
    dx, dk, db = conv2d_backward(d, x, k, **kw)
    assert relative_error(dx, numerical_gradient(lambda v: np.sum(conv2d(v, k, **kw) * d), x)) < 1e-8
    assert relative_error(dk, numerical_gradient(lambda v: np.sum(conv2d(x, v, **kw) * d), k)) < 1e-8
    assert relative_error(db, numerical_gradient(
        lambda v: np.sum(conv2d(x, k, bias=v, **kw) * d), b)) < 1e-8


# ----------------------------------------------------------------------------- pool2d
@settings(max_examples=80, deadline=None)
@given(pool_cases("max", ties=True))
def test_max_pool_backward_matches_tensorflow_with_ties(tf, case):
    x, d, pool_size, stride, padding, pads = case
    _close(pool2d_backward(d, x, pool_size, stride, padding, "max"),
           tf_pool_grad(tf, x, d, pool_size, stride, pads, "max"), "dx (max, ties)")


@settings(max_examples=40, deadline=None)
@given(pool_cases("max"))
def test_max_pool_backward_matches_tensorflow(tf, case):
    x, d, pool_size, stride, padding, pads = case
    _close(pool2d_backward(d, x, pool_size, stride, padding, "max"),
           tf_pool_grad(tf, x, d, pool_size, stride, pads, "max"), "dx (max)")


@settings(max_examples=60, deadline=None)
@given(pool_cases("avg"))
def test_avg_pool_backward_matches_tensorflow(tf, case):
    x, d, pool_size, stride, padding, pads = case
    _close(pool2d_backward(d, x, pool_size, stride, padding, "avg"),
           tf_pool_grad(tf, x, d, pool_size, stride, pads, "avg"), "dx (avg)")


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["max", "avg"]).flatmap(
    lambda m: st.tuples(st.just(m), pool_cases(m, max_size=7, ties=(m == "max")))))
def test_pool_backward_naive_equals_fast(mode_case):
    mode, (x, d, pool_size, stride, padding, _) = mode_case
    fast = pool2d_backward(d, x, pool_size, stride, padding, mode)
    naive = pool2d_backward_naive(d, x, pool_size, stride, padding, mode)
    assert naive.shape == fast.shape == np.shape(x)
    np.testing.assert_allclose(naive, fast, rtol=0, atol=1e-12)


def test_avg_pool_backward_explicit_padding_matches_numerical_gradient():
    """pool2d divides by the valid cells with any padding; its gradient must too."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 7, 6, 2))
    for padding in (1, (1, 2), ((0, 2), (1, 0))):
        d = rng.normal(size=pool2d(x, 3, 2, padding, "avg").shape)
        dx = pool2d_backward(d, x, 3, 2, padding, "avg")
        num = numerical_gradient(lambda v: np.sum(pool2d(v, 3, 2, padding, "avg") * d), x)
        assert relative_error(dx, num) < 1e-8, padding


def test_max_pool_backward_ties_go_to_the_first_cell():
    x = np.zeros((4, 4))
    dx = pool2d_backward(np.ones((2, 2)), x, 2)
    assert dx.tolist() == [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    # overlapping windows add up where they pick the same cell
    x = np.array([[0.0, 1, 1], [1, 0, 0], [1, 0, 1]])
    assert pool2d_backward(np.ones((2, 2)), x, 2, 1).tolist() == [[0, 2, 0], [1, 0, 0], [0, 0, 1]]


# ----------------------------------------------------------------------------- dense, relu
@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(1, 6), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_dense_backward_matches_tensorflow(tf, n, din, dout_dim, seed):
    rng = np.random.default_rng(seed)
    x, w, b = rng.normal(size=(n, din)), rng.normal(size=(din, dout_dim)), rng.normal(size=dout_dim)
    d = rng.normal(size=(n, dout_dim))
    xv, wv, bv = tf.Variable(x), tf.Variable(w), tf.Variable(b)
    with tf.GradientTape() as tape:
        out = tf.matmul(xv, wv) + bv
        loss = tf.reduce_sum(tf.nn.relu(out) * d)
    ref = [g.numpy() for g in tape.gradient(loss, [xv, wv, bv])]
    z = dense(x, w, b)
    np.testing.assert_allclose(z, (xv @ wv + bv).numpy(), rtol=0, atol=ATOL)
    for ours, r, name in zip(dense_backward(relu_backward(d, z), x, w), ref, ("dx", "dw", "db")):
        _close(ours, r, name)


def test_relu_backward_blocks_the_kink():
    np.testing.assert_array_equal(relu_backward(np.full(3, 2.0), np.array([-1.0, 0.0, 1.0])),
                                  [0.0, 0.0, 2.0])


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, error, match", [
    (lambda: conv2d_backward(np.ones((3, 3)), np.ones((4, 4)), np.ones((3, 3))),
     ValueError, r"dout must have the shape of the forward output \(2, 2\)"),
    (lambda: conv2d_backward(np.ones((2, 2)), np.ones((4, 4)), np.ones((3, 3)), stride=0),
     ValueError, "stride"),
    (lambda: conv2d_backward(np.ones((2, 2)), np.ones((4, 4)), np.ones((3, 3)), padding="full"),
     ValueError, "padding"),
    (lambda: conv2d_backward(np.ones((2, 2)), np.ones((4, 4)), np.ones((3, 3)), dilation=-1),
     ValueError, "dilation"),
    (lambda: conv2d_backward(np.ones((2, 2)), np.ones((4, 4, 2)), np.ones((3, 3, 3, 1))),
     ValueError, "channels"),
    (lambda: conv2d_backward(np.ones((2, 2), bool), np.ones((4, 4)), np.ones((3, 3))),
     TypeError, "dout must be a numeric array"),
    (lambda: conv2d_backward_naive(np.ones((2, 2)) * 1j, np.ones((4, 4)), np.ones((3, 3))),
     TypeError, "dout must be a real"),
    (lambda: conv2d_backward(np.ones((1, 1)), np.ones((2, 2)), np.ones((3, 3))),
     ValueError, "kernel"),
    (lambda: pool2d_backward(np.ones((2, 2)), np.ones((4, 4)), 2, mode="l2"),
     ValueError, "mode must be one of 'max', 'avg'"),
    (lambda: pool2d_backward(np.ones((3, 3)), np.ones((4, 4)), 2),
     ValueError, r"dout must have the shape of the forward output \(2, 2\)"),
    (lambda: pool2d_backward(np.ones((2, 2)), np.ones((4, 4)), 0),
     ValueError, "pool_size"),
    (lambda: pool2d_backward_naive(np.ones((2, 2)), np.ones((4, 4)), 2, padding=(2, 2)),
     ValueError, "padding"),
    (lambda: dense(np.ones((2, 3)), np.ones((4, 5))), ValueError, r"w must have shape \(D, M\)"),
    (lambda: dense(np.ones((2, 3)), np.ones((3, 5)), np.ones(4)), ValueError, "b must have shape"),
    (lambda: dense_backward(np.ones((2, 4)), np.ones((2, 3)), np.ones((3, 5))),
     ValueError, r"dout must have the shape of the forward output \(2, 5\)"),
    (lambda: relu_backward(np.ones(3), np.ones(4)), ValueError, "dout must have the shape"),
    (lambda: relu_backward(np.ones(3), "abc"), TypeError, "x must be a numeric array"),
])
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()

