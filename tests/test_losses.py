"""Losses (cnn_course.losses) against Keras/TensorFlow in float64, plus their error paths."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_course.gradient_check import numerical_gradient, relative_error
from cnn_course.losses import CLIP_EPSILON, cross_entropy, log_softmax, softmax_cross_entropy


@pytest.fixture(scope="module")
def tf():
    """TensorFlow, with Keras computing its losses in float64."""
    tf = pytest.importorskip("tensorflow")
    import keras
    before = keras.backend.floatx()
    keras.backend.set_floatx("float64")
    yield tf
    keras.backend.set_floatx(before)


@st.composite
def logits_cases(draw):
    n, k = draw(st.integers(1, 6)), draw(st.integers(1, 7))
    scale = draw(st.sampled_from([1.0, 30.0, 1e4]))        # 1e4: exp would overflow naively
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.normal(size=(n, k)) * scale, rng.integers(0, k, n)


@settings(max_examples=40, deadline=None)
@given(logits_cases(), st.booleans())
def test_softmax_cross_entropy_matches_tensorflow(tf, case, one_hot):
    z, y = case
    labels = np.eye(z.shape[1])[y] if one_hot else y
    zv = tf.Variable(z)
    with tf.GradientTape() as tape:
        per = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=zv)
        loss = tf.reduce_mean(per)
    ref_grad = tape.gradient(loss, zv).numpy()
    ours, grad = softmax_cross_entropy(z, labels)
    assert np.isfinite(ours)
    np.testing.assert_allclose(ours, loss.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=1e-12)
    np.testing.assert_allclose(log_softmax(z), tf.nn.log_softmax(z).numpy(), rtol=0, atol=1e-9)


def test_soft_labels_match_keras_categorical_crossentropy(tf):
    rng = np.random.default_rng(0)
    z, t = rng.normal(size=(4, 5)), rng.dirichlet(np.ones(5), 4)
    loss, grad = softmax_cross_entropy(z, t)
    ref = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=t, logits=z)).numpy()
    assert abs(loss - ref) < 1e-12
    num = numerical_gradient(lambda v: softmax_cross_entropy(v, t)[0], z)
    assert relative_error(grad, num) < 1e-8


@settings(max_examples=30, deadline=None)
@given(logits_cases().filter(lambda case: case[0].shape[1] > 1))
def test_cross_entropy_matches_keras(tf, case):
    import keras
    z, y = case
    p = tf.nn.softmax(z).numpy()
    k = p.shape[1]                          # probability 0 for a true class: clipped, not inf
    p[0] = (1 - np.eye(k)[y[0]]) / (k - 1)
    onehot = np.eye(z.shape[1])[y]
    ref = keras.losses.CategoricalCrossentropy()(onehot, p).numpy()
    assert abs(cross_entropy(p, onehot) - ref) <= 1e-12 * max(1.0, abs(ref))
    # Keras' sparse version clips first and renormalises after (through a softmax of the
    # logs), so a clipped row differs by a factor up to 1 + K*eps inside the log.
    ref = keras.losses.SparseCategoricalCrossentropy()(y, p).numpy()
    assert abs(cross_entropy(p, y) - ref) <= 1e-6 * max(1.0, abs(ref))


def test_cross_entropy_clips_and_agrees_with_logit_version():
    assert cross_entropy(np.array([[0.0, 1.0]]), np.array([0])) == pytest.approx(-np.log(CLIP_EPSILON))
    z = np.array([[1.0, -2.0, 0.5], [0.0, 0.0, 3.0]])
    p = np.exp(log_softmax(z))
    assert cross_entropy(p, [2, 0]) == pytest.approx(softmax_cross_entropy(z, np.array([2, 0]))[0])


def test_gradient_is_softmax_minus_onehot_over_n():
    z = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    _, g = softmax_cross_entropy(z, np.array([0, 2]))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(g, (p - np.eye(3)[[0, 2]]) / 2)


def test_huge_logits_are_stable():
    loss, g = softmax_cross_entropy(np.array([[1e6, 0.0], [0.0, 1e6]]), np.array([0, 0]))
    assert loss == pytest.approx(5e5)
    assert np.isfinite(g).all()


def test_float32_stays_float32():
    loss, g = softmax_cross_entropy(np.ones((2, 3), np.float32), np.array([0, 1]))
    assert g.dtype == np.float32 and loss.dtype == np.float32


@pytest.mark.parametrize("call, error, match", [
    (lambda: softmax_cross_entropy(np.ones(3), np.array([0])), ValueError, "logits must have 2"),
    (lambda: softmax_cross_entropy(np.ones((2, 3)), np.array([0, 3])), ValueError,
     r"labels must be class ids in \[0, 2\]"),
    (lambda: softmax_cross_entropy(np.ones((2, 3)), np.array([0])), ValueError, "labels must have N=2"),
    (lambda: softmax_cross_entropy(np.ones((2, 3)), np.array([0.0, 1.0])), TypeError,
     "labels of shape"),
    (lambda: softmax_cross_entropy(np.ones((2, 3)), np.ones((2, 3))), ValueError, "sum to 1"),
    (lambda: softmax_cross_entropy(np.ones((2, 3)), np.ones((2, 2)) / 2), ValueError,
     "one-hot labels must have the shape"),
    (lambda: softmax_cross_entropy(np.array([[np.nan, 1.0]]), np.array([0])), ValueError,
     "logits must be finite"),
    (lambda: softmax_cross_entropy(np.ones((2, 3)), np.array(["a", "b"])), TypeError, "labels"),
    (lambda: cross_entropy(np.array([[-0.5, 1.5]]), np.array([0])), ValueError, "probs must be >= 0"),
    (lambda: cross_entropy(np.array([[0.5, 0.5]]), np.array([0]), eps=0), ValueError, "eps"),
    (lambda: cross_entropy(np.zeros((1, 2)), np.array([0])), ValueError, "positive sum"),
    (lambda: log_softmax(np.ones((0, 3))), ValueError, "logits"),
])
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()
