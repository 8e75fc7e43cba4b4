"""Optimizer steps (cnn_course.optimizers) against Keras 3 in float64, several steps each.

Keras (TensorFlow backend) converts the Python floats ``momentum``, ``beta_1`` and
``beta_2`` to float32 tensors before casting them to a float64 variable's dtype, so with
``momentum=0.9`` a float64 Keras run really uses 0.8999999762. The exact comparisons
therefore use hyperparameters that float32 represents exactly (0.75, 0.875,
1 - 2**-10, ...) and match to 1e-13; Keras' defaults are compared to 1e-6 relative.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnn_course.optimizers import AdamState, adam_init, adam_step, momentum_step, sgd_step

STEPS = 6


@pytest.fixture(scope="module")
def keras():
    """Keras with float64 as its float type (the optimizer's learning-rate variable too)."""
    pytest.importorskip("tensorflow")
    import keras
    before = keras.backend.floatx()
    keras.backend.set_floatx("float64")
    yield keras
    keras.backend.set_floatx(before)


def run_keras(keras, opt, p0, grads):
    var = keras.Variable(p0.copy(), dtype="float64")
    for g in grads:
        opt.apply_gradients([(keras.ops.convert_to_tensor(g), var)])
    return var.numpy()


def problem(seed, shape):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), [rng.normal(size=shape) * rng.uniform(0.01, 10)
                                    for _ in range(STEPS)]


shapes = st.sampled_from([(3,), (2, 3), (3, 3, 2, 4)])
exact_lr = st.sampled_from([0.5, 0.1, 0.01, 1e-3])


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1), shapes, exact_lr)
def test_sgd_matches_keras(keras, seed, shape, lr):
    p0, grads = problem(seed, shape)
    p = p0
    for g in grads:
        p = sgd_step(p, g, lr)
    np.testing.assert_allclose(p, run_keras(keras, keras.optimizers.SGD(lr), p0, grads),
                               rtol=1e-13, atol=1e-13)


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1), shapes, exact_lr, st.sampled_from([0.5, 0.75, 0.875]),
       st.booleans())
def test_momentum_matches_keras(keras, seed, shape, lr, momentum, nesterov):
    p0, grads = problem(seed, shape)
    p, v = p0, np.zeros_like(p0)
    for g in grads:
        p, v = momentum_step(p, g, v, lr, momentum, nesterov=nesterov)
    ref = run_keras(keras, keras.optimizers.SGD(lr, momentum=momentum, nesterov=nesterov), p0, grads)
    np.testing.assert_allclose(p, ref, rtol=1e-13, atol=1e-13)


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1), shapes, exact_lr, st.sampled_from([0.5, 0.875]),
       st.sampled_from([0.9990234375, 0.96875]), st.sampled_from([1e-7, 1e-3]))
def test_adam_matches_keras(keras, seed, shape, lr, beta1, beta2, eps):
    p0, grads = problem(seed, shape)
    p, state = p0, adam_init(p0)
    for g in grads:
        p, state = adam_step(p, g, state, lr, beta1, beta2, eps)
    assert state.t == STEPS
    opt = keras.optimizers.Adam(lr, beta_1=beta1, beta_2=beta2, epsilon=eps)
    np.testing.assert_allclose(p, run_keras(keras, opt, p0, grads), rtol=1e-13, atol=1e-13)


def test_keras_defaults_agree_to_float32_rounding(keras):
    p0, grads = problem(0, (4, 5))
    p, v, s = p0, np.zeros_like(p0), adam_init(p0)
    pa = p0
    for g in grads:
        p, v = momentum_step(p, g, v, 0.01)
        pa, s = adam_step(pa, g, s)
    np.testing.assert_allclose(p, run_keras(keras, keras.optimizers.SGD(0.01, momentum=0.9), p0, grads),
                               rtol=1e-6)
    np.testing.assert_allclose(pa, run_keras(keras, keras.optimizers.Adam(), p0, grads), rtol=1e-6)


def test_steps_do_not_modify_their_inputs():
    p, g, v = np.ones(3), np.full(3, 2.0), np.full(3, 0.5)
    s = adam_init(p)
    sgd_step(p, g, 0.1)
    momentum_step(p, g, v, 0.1)
    adam_step(p, g, s)
    assert p.tolist() == [1, 1, 1] and v.tolist() == [0.5] * 3 and s.m.tolist() == [0] * 3


def test_adam_first_step_is_lr_sized_whatever_the_gradient():
    p, s = adam_step(np.zeros(3), np.array([1e3, 1.0, -1e-1]), adam_init(np.zeros(3)), lr=0.1)
    np.testing.assert_allclose(np.abs(p), 0.1, rtol=1e-4)
    assert isinstance(s, AdamState) and s.t == 1


def test_momentum_accumulates_and_float32_stays():
    p, v = np.zeros(1, np.float32), np.zeros(1, np.float32)
    for _ in range(50):
        p, v = momentum_step(p, np.ones(1, np.float32), v, lr=0.1, momentum=0.5)
    assert p.dtype == v.dtype == np.float32
    assert v[0] == pytest.approx(-0.2)          # lr / (1 - momentum)


@pytest.mark.parametrize("call, error, match", [
    (lambda: sgd_step(np.ones(3), np.ones(2), 0.1), ValueError, r"grad must have the shape of param \(3,\)"),
    (lambda: sgd_step(np.ones(3), np.ones(3), 0), ValueError, r"lr must be in \(0, inf\)"),
    (lambda: sgd_step(np.ones(3), np.ones(3), "0.1"), TypeError, "lr must be a real number"),
    (lambda: sgd_step(np.ones(3), np.array([1, np.nan, 1]), 0.1), ValueError, "grad must be finite"),
    (lambda: momentum_step(np.ones(3), np.ones(3), np.ones(3), 0.1, momentum=1.0), ValueError,
     r"momentum must be in \[0, 1\)"),
    (lambda: momentum_step(np.ones(3), np.ones(3), np.ones(2), 0.1), ValueError, "velocity must have"),
    (lambda: momentum_step(np.ones(3), np.ones(3), np.ones(3), 0.1, nesterov=1), TypeError, "nesterov"),
    (lambda: adam_step(np.ones(3), np.ones(3), (np.ones(3), np.ones(3))), TypeError, "state must be an AdamState"),
    (lambda: adam_step(np.ones(3), np.ones(3), adam_init(np.ones(2))), ValueError, "state.m must have"),
    (lambda: adam_step(np.ones(3), np.ones(3), AdamState(np.zeros(3), np.zeros(3), -1)), ValueError, "state.t"),
    (lambda: adam_step(np.ones(3), np.ones(3), adam_init(np.ones(3)), beta2=1.0), ValueError, "beta2"),
    (lambda: adam_step(np.ones(3), np.ones(3), adam_init(np.ones(3)), eps=0.0), ValueError, "eps"),
    (lambda: adam_init("abc"), TypeError, "param must be a numeric array"),
])
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()
