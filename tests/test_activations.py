"""Activations against keras.activations, derivatives against TensorFlow gradients."""
from __future__ import annotations

import re

import numpy as np
import pytest

from cnn_course import activations as A

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

X = np.concatenate([np.linspace(-8, 8, 161), [-50.0, -1e-3, 1e-3, 50.0]])  # 0 is in linspace


@pytest.mark.parametrize("name, params, reference", [
    ("sigmoid", {}, lambda x: keras.activations.sigmoid(x)),
    ("tanh", {}, lambda x: keras.activations.tanh(x)),
    ("relu", {}, lambda x: keras.activations.relu(x)),
    ("leaky_relu", {"alpha": 0.2}, lambda x: keras.activations.leaky_relu(x, negative_slope=0.2)),
    ("elu", {"alpha": 1.0}, lambda x: keras.activations.elu(x, alpha=1.0)),
    ("elu", {"alpha": 0.5}, lambda x: tf.where(x > 0, x, 0.5 * (tf.exp(x) - 1))),
])
def test_functions_and_derivatives_match_tensorflow(name, params, reference):
    fn, deriv = A.ACTIVATIONS[name]
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = reference(x)
    grad = tape.gradient(y, x).numpy()
    np.testing.assert_allclose(fn(X, **params), np.asarray(y), atol=1e-12)
    np.testing.assert_allclose(deriv(X, **params), grad, atol=1e-12)


@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_derivatives_match_finite_differences(name):
    fn, deriv = A.ACTIVATIONS[name]
    x = X[np.abs(X) > 1e-2]  # away from the kinks of relu-like functions
    h = 1e-6
    np.testing.assert_allclose(deriv(x), (fn(x + h) - fn(x - h)) / (2 * h), atol=1e-6)


def test_dtypes_and_shapes():
    x32 = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    for name, (fn, deriv) in A.ACTIVATIONS.items():
        assert fn(x32).dtype == np.float32 and fn(x32).shape == (3, 4), name
        assert deriv(x32).dtype == np.float32, name
    assert A.relu(np.array([-1, 2])).dtype == np.float64  # ints become floats
    assert A.sigmoid(0.0) == 0.5 and A.relu(-3) == 0


def test_no_overflow_for_large_inputs():
    big = np.array([-1e4, -800.0, 0.0, 800.0, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        for fn in (A.sigmoid, A.tanh, A.elu, A.sigmoid_derivative, A.elu_derivative):
            assert np.all(np.isfinite(fn(big)))
    np.testing.assert_array_equal(A.sigmoid(big), [0, 0, 0.5, 1, 1])


def test_softmax():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(5, 7)) * 3
    np.testing.assert_allclose(A.softmax(logits), np.asarray(keras.activations.softmax(logits)),
                               atol=1e-12)
    np.testing.assert_allclose(A.softmax(logits, axis=0).sum(axis=0), 1, atol=1e-12)
    np.testing.assert_allclose(A.softmax(logits + 1000), A.softmax(logits), atol=1e-12)  # shift
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        out = A.softmax(np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]]))
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-12)
    assert A.softmax(np.zeros(4, dtype=np.float32)).dtype == np.float32


def test_maxout():
    x = np.array([[1.0, 5.0, -2.0, -3.0, 0.0, 4.0]])
    np.testing.assert_array_equal(A.maxout(x, 2), [[5, -2, 4]])
    np.testing.assert_array_equal(A.maxout(x, 3), [[5, 4]])
    np.testing.assert_array_equal(A.maxout(x, 1), x)
    np.testing.assert_array_equal(A.maxout(x.T, 2, axis=0), [[5], [-2], [4]])
    rng = np.random.default_rng(1)
    y = rng.normal(size=(2, 6, 3))
    out = A.maxout(y, 3, axis=1)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out[:, 1], y[:, 3:6].max(axis=1))
    # ReLU is a maxout of the pieces (0, x)
    z = np.linspace(-2, 2, 9)
    np.testing.assert_array_equal(A.maxout(np.stack([np.zeros_like(z), z], -1), 2)[..., 0], A.relu(z))


@pytest.mark.parametrize("call, exc, message", [
    (lambda: A.relu(np.array(["a"])), TypeError, "x must be a numeric array"),
    (lambda: A.sigmoid(np.array([True])), TypeError, "x must be a numeric array"),
    (lambda: A.tanh(np.array([1j])), TypeError, "x must be a real (int or float) array"),
    (lambda: A.leaky_relu(X, alpha=-0.1), ValueError, "alpha must be a finite number >= 0"),
    (lambda: A.elu(X, alpha="1"), TypeError, "alpha must be a real number"),
    (lambda: A.elu_derivative(X, alpha=float("inf")), ValueError, "alpha must be a finite"),
    (lambda: A.softmax(np.ones((2, 3)), axis=2), ValueError, "axis must be <= 1"),
    (lambda: A.softmax(np.ones((2, 3)), axis=-3), ValueError, "axis must be >= -2"),
    (lambda: A.softmax(1.0), ValueError, "at least 1 dimension"),
    (lambda: A.maxout(np.ones(6), 4), ValueError, "must be a multiple of pieces = 4"),
    (lambda: A.maxout(np.ones(6), 0), ValueError, "pieces must be >= 1"),
    (lambda: A.maxout(np.ones(6), 2.0), TypeError, "pieces must be an int"),
    (lambda: A.maxout(np.ones((2, 6)), 2, axis=2), ValueError, "axis must be <= 1"),
])
def test_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 0)), "at least one class"),
    (np.array([0.0, np.nan]), "NaN"),
    (np.array([0.0, np.inf]), r"\+inf"),
    (np.array([[0.0, 1.0], [-np.inf, -np.inf]]), "-inf everywhere"),
])
def test_softmax_rejects_inputs_where_it_is_undefined(bad, match):
    from cnn_course.activations import softmax

    with pytest.raises(ValueError, match=match):
        softmax(bad)
