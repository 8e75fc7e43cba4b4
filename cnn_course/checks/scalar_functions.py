"""Scalar test functions described by plain data, built in the student's process.

A check cannot send a Python function across the plain-data boundary
(:mod:`cnn_course.checks.serialize`), so a case of the numerical-gradient check describes
its function as data, e.g. ``{"name": "quadratic", "A": A, "b": b}``, and the probe builds
the function here with :func:`build_function` before calling the student's
``numerical_gradient(f, x)``. The judge (:mod:`cnn_course.checks.lesson_checks`) knows the
analytic gradients of the same functions; nothing here knows an expected value.

Functions of ``x`` of any shape (``v = x.ravel()``):

- ``"quadratic"``: ``f(x) = 1/2 v.A v + b.v`` with ``A`` symmetric (n, n), ``b`` (n,);
- ``"sin"``: ``f(x) = sum(w * sin(x))`` with ``w`` of the shape of ``x``;
- ``"logsumexp"``: ``f(x) = log(sum(exp(v)))``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["build_function", "FUNCTION_NAMES"]

FUNCTION_NAMES = ("quadratic", "sin", "logsumexp")


def build_function(spec: dict) -> Callable[[np.ndarray], float]:
    """The scalar function ``f(x) -> float`` that ``spec`` describes (see the module docstring).

    Raises
    ------
    ValueError
        For an unknown ``spec["name"]`` or parameters of the wrong shape.
    """
    if not isinstance(spec, dict) or spec.get("name") not in FUNCTION_NAMES:
        raise ValueError(f"spec must be a dict whose 'name' is one of {FUNCTION_NAMES}, "
                         f"got {spec!r:.80}")
    name = spec["name"]
    if name == "quadratic":
        a = np.array(spec["A"], dtype=np.float64)
        b = np.array(spec["b"], dtype=np.float64)
        if a.ndim != 2 or a.shape[0] != a.shape[1] or b.shape != (a.shape[0],):
            raise ValueError(f"quadratic needs A (n, n) and b (n,), got {a.shape}, {b.shape}")

        def quadratic(x: np.ndarray) -> float:
            v = np.asarray(x, dtype=np.float64).ravel()
            return float(0.5 * v @ a @ v + b @ v)
        return quadratic
    if name == "sin":
        w = np.array(spec["w"], dtype=np.float64)

        def sin(x: np.ndarray) -> float:
            return float(np.sum(w * np.sin(np.asarray(x, dtype=np.float64).reshape(w.shape))))
        return sin

    def logsumexp(x: np.ndarray) -> float:
        v = np.asarray(x, dtype=np.float64).ravel()
        top = v.max()
        return float(top + np.log(np.sum(np.exp(v - top))))
    return logsumexp
