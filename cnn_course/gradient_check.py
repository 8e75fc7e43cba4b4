"""Gradient checking: compare a backward pass with finite differences (lesson "How a CNN learns").

A backward pass is easy to get subtly wrong (a missing transpose, a forgotten ``1/N``,
a stride off by one) and still produce numbers of the right shape. The cure is to
measure the gradient numerically, one input at a time::

    df/dx_i  ~  (f(x + eps*e_i) - f(x - eps*e_i)) / (2 * eps)

(the *central* difference: its error shrinks like ``eps**2``, against ``eps`` for the
one-sided ``(f(x + eps*e_i) - f(x)) / eps``), and compare with :func:`relative_error`.
In float64 with ``eps = 1e-6`` a correct gradient usually gives a relative error below
``1e-7``; ``1e-2`` or more means a bug. Check in float64: in float32 the rounding
error of ``f`` (about ``1e-7 * |f|``) divided by ``2*eps`` swamps the result.

It costs two evaluations of ``f`` per input value, so check small problems.

References
----------
.. [1] A. Karpathy et al., "CS231n: Neural networks part 3, gradient checks",
   https://cs231n.github.io/neural-networks-3/#gradcheck
.. [2] D. E. Rumelhart, G. E. Hinton and R. J. Williams, "Learning representations by
   back-propagating errors", Nature 323, 533-536, 1986.
"""
from __future__ import annotations

import numbers
from typing import Callable

import numpy as np

from ._validation import check_real_array, check_size

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       eps: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar function ``f`` at ``x`` by central differences.

    ``grad[i] = (f(x + eps*e_i) - f(x - eps*e_i)) / (2*eps)`` for every index ``i``
    of ``x`` (any shape), where ``e_i`` is 1 at ``i`` and 0 elsewhere.

    Parameters
    ----------
    f : callable
        ``f(x) -> scalar`` (a Python or NumPy number, or an array of size 1), e.g. a
        loss. It is called ``2 * x.size`` times with a float64 array of ``x``'s shape.
    x : array of any shape
        The point. It is **not** modified: ``f`` gets a float64 copy that is nudged one
        entry at a time (and restored).
    eps : float
        Step, > 0; ``1e-6`` suits float64 values of order 1.

    Returns
    -------
    array of shape ``x.shape``, float64

    Raises
    ------
    TypeError
        ``f`` not callable, ``x`` not real, ``f`` returning a non-number.
    ValueError
        ``eps`` not positive and finite, ``x`` empty, ``f`` returning more than one
        value or a non-finite one.

    See Also
    --------
    relative_error : to compare the result with an analytic gradient.

    Examples
    --------
    >>> numerical_gradient(lambda v: np.sum(v ** 2), np.array([1.0, -2.0, 3.0])).round(6)
    array([ 2., -4.,  6.])
    """
    if not callable(f):
        raise TypeError(f"f must be a callable f(x) -> scalar, got {type(f).__name__}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"eps must be a real number > 0, got {eps!r}")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
    x = check_real_array("x", x)
    check_size("x", x.shape, "the gradient")
    point = np.array(x, dtype=np.float64)        # our own copy: the caller's x is never touched
    grad = np.zeros_like(point)
    flat, gflat = point.reshape(-1), grad.reshape(-1)

    def value(where: str) -> float:
        out = f(point)
        try:
            arr = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"f must return a number, got {type(out).__name__} ({where})") from None
        if arr.size != 1:
            raise ValueError(f"f must return a scalar (one number), got shape {arr.shape} ({where}); "
                             f"reduce it, e.g. with .sum() or a loss")
        v = float(arr.reshape(()))
        if not np.isfinite(v):
            raise ValueError(f"f returned {v} ({where}); the gradient is only defined where f is finite")
        return v

    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = value(f"at x + eps at flat index {i}")
        flat[i] = old - eps
        minus = value(f"at x - eps at flat index {i}")
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = 1e-12) -> float:
    """Relative difference of two arrays: ``||a - b|| / max(||a|| + ||b||, floor)``.

    ``||.||`` is the Euclidean norm over all entries. Scale-free, unlike ``max |a - b|``: a
    gradient of size ``1e6`` that is off by ``1e-3`` is fine, one of size ``1e-3`` off by
    ``1e-3`` is wrong. Norms of the whole arrays (not entry by entry) keep a few entries
    that are nearly zero in both from dominating; ``floor`` avoids 0/0 when both are zero.

    Rough guide in float64: below ``1e-7`` correct; ``1e-7 ... 1e-4`` look closer (kinks
    like ReLU at 0 give this); above ``1e-2`` almost surely a bug.

    Parameters
    ----------
    a, b : arrays of the same shape (or scalars)
    floor : float
        Smallest denominator, > 0.

    Returns
    -------
    float, in [0, 1]

    Examples
    --------
    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    0.0
    >>> relative_error(np.array([1.0]), np.array([1.1]))       # 0.1 / 2.1
    0.047619047619047...
    """
    a = check_real_array("a", a, allow_empty=True)
    b = check_real_array("b", b, allow_empty=True)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    if isinstance(floor, bool) or not isinstance(floor, numbers.Real) or not (np.isfinite(floor) and floor > 0):
        raise ValueError(f"floor must be a finite number > 0, got {floor!r}")
    if a.size == 0:
        raise ValueError("a and b must not be empty")
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if not (np.isfinite(a64).all() and np.isfinite(b64).all()):
        raise ValueError("a and b must be finite (no NaN or inf)")
    return float(np.linalg.norm(a64 - b64) / max(np.linalg.norm(a64) + np.linalg.norm(b64), floor))
