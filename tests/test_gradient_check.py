"""numerical_gradient / relative_error: correct values, x left untouched, bad input rejected."""
from __future__ import annotations

import numpy as np
import pytest

from cnn_course.gradient_check import numerical_gradient, relative_error


def test_numerical_gradient_of_known_functions():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    a = rng.normal(size=(3, 4))
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(a * v ** 2), x), 2 * a * x,
                               rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sin(v).sum(), x), np.cos(x),
                               rtol=1e-7, atol=1e-8)


def test_x_is_not_modified_even_if_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    numerical_gradient(lambda v: float(v @ v), x)
    np.testing.assert_array_equal(x, before)
    with pytest.raises(ZeroDivisionError):
        numerical_gradient(lambda v: 1 / 0, x)
    np.testing.assert_array_equal(x, before)


def test_integer_and_float32_inputs_give_float64():
    g = numerical_gradient(lambda v: float(np.sum(v ** 3)), np.array([1, 2], np.int64))
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, [3, 12], rtol=1e-6)
    assert numerical_gradient(lambda v: v.sum(), np.ones(2, np.float32)).dtype == np.float64


def test_relative_error_is_scale_free():
    assert relative_error(np.array([1e6]), np.array([1e6 + 1e-3])) < 1e-9
    assert relative_error(np.array([1e-3]), np.array([2e-3])) == pytest.approx(1 / 3)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 0.0]), np.array([-1.0, 0.0])) == pytest.approx(1.0)


def test_gradient_check_catches_a_wrong_gradient():
    """The point of the tool: a gradient missing a factor 2 fails by far."""
    x = np.random.default_rng(1).normal(size=5)
    num = numerical_gradient(lambda v: float(np.sum(v ** 2)), x)
    assert relative_error(2 * x, num) < 1e-8
    assert relative_error(x, num) > 0.3


@pytest.mark.parametrize("call, error, match", [
    (lambda: numerical_gradient("f", np.ones(2)), TypeError, "f must be a callable"),
    (lambda: numerical_gradient(lambda v: v.sum(), np.ones(2), eps=0), ValueError, "eps must be a finite number > 0"),
    (lambda: numerical_gradient(lambda v: v.sum(), np.ones(2), eps="1"), TypeError, "eps must be a real"),
    (lambda: numerical_gradient(lambda v: v, np.ones(2)), ValueError, "f must return a scalar"),
    (lambda: numerical_gradient(lambda v: "x", np.ones(2)), TypeError, "f must return a number"),
    (lambda: numerical_gradient(lambda v: np.inf, np.ones(2)), ValueError, "f returned inf"),
    (lambda: numerical_gradient(lambda v: 0.0, np.ones((0, 2))), ValueError, "x must not be empty"),
    (lambda: numerical_gradient(lambda v: 0.0, np.ones(2) * 1j), TypeError, "x must be a real"),
    (lambda: relative_error(np.ones(2), np.ones(3)), ValueError, "a and b must have the same shape"),
    (lambda: relative_error(np.ones(2), np.array([1.0, np.nan])), ValueError, "finite"),
    (lambda: relative_error(np.ones(2), np.ones(2), floor=0), ValueError, "floor"),
    (lambda: relative_error(np.array([]), np.array([])), ValueError, "empty"),
])
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()
