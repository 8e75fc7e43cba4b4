"""Activation functions in NumPy, each with its derivative (for plots and by-hand backprop).

All functions take an array (or a number) of any shape and return a floating
array of the same shape, dtype ``np.result_type(x, np.float32)`` (float32 stays
float32). They agree with ``keras.activations`` of the same name.

=================  ======================================  ===========================================
name               f(x)                                    f'(x)
=================  ======================================  ===========================================
``sigmoid``        ``1 / (1 + exp(-x))``                   ``f(x) * (1 - f(x))``
``tanh``           ``(e^x - e^-x) / (e^x + e^-x)``         ``1 - f(x)**2``
``relu``           ``max(0, x)``                           ``1 if x > 0 else 0``
``leaky_relu``     ``x if x > 0 else alpha * x``           ``1 if x > 0 else alpha``
``elu``            ``x if x > 0 else alpha*(e^x - 1)``     ``1 if x > 0 else alpha * e^x``
=================  ======================================  ===========================================

At ``x = 0``, where ReLU-like functions have a kink, the derivative is taken as
the left one (0 for ReLU, ``alpha`` for leaky ReLU and ELU), as TensorFlow does.

``softmax`` and ``maxout`` are not element-wise (they mix the values along an axis),
so they have no ``_derivative`` here and are not in :data:`ACTIVATIONS`.

See Also
--------
keras.activations : the same functions for Keras layers.
cnn_course.plots : plotting a function and its derivative.

References
----------
.. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
   feedforward neural networks", Proceedings of the 13th International Conference on
   Artificial Intelligence and Statistics (AISTATS), PMLR 9:249-256, 2010.
   (Saturating sigmoid and tanh units, and weight initialisation.)
.. [2] V. Nair and G. E. Hinton, "Rectified linear units improve restricted Boltzmann
   machines", Proceedings of the 27th International Conference on Machine Learning
   (ICML), 2010.
.. [3] A. L. Maas, A. Y. Hannun and A. Y. Ng, "Rectifier nonlinearities improve neural
   network acoustic models", ICML Workshop on Deep Learning for Audio, Speech and
   Language Processing, 2013. (Leaky ReLU.)
.. [4] D.-A. Clevert, T. Unterthiner and S. Hochreiter, "Fast and accurate deep network
   learning by exponential linear units (ELUs)", arXiv:1511.07289, 2015 (ICLR 2016).
.. [5] I. J. Goodfellow, D. Warde-Farley, M. Mirza, A. Courville and Y. Bengio, "Maxout
   networks", Proceedings of the 30th International Conference on Machine Learning
   (ICML), PMLR 28(3):1319-1327, 2013.
.. [6] I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning*, MIT Press, 2016,
   chapter 6 (hidden units, softmax outputs).
"""
from __future__ import annotations

import numbers
from typing import Callable

import numpy as np

from ._validation import check_int, check_real_array

__all__ = [
    "sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative", "relu", "relu_derivative",
    "leaky_relu", "leaky_relu_derivative", "elu", "elu_derivative", "softmax", "maxout",
    "ACTIVATIONS",
]


def _float(x: object, name: str = "x") -> np.ndarray:
    """``x`` as a real floating array (empty arrays allowed: the result is empty too)."""
    arr = check_real_array(name, x, allow_empty=True)
    return arr.astype(np.result_type(arr, np.float32), copy=False)


def _where(condition: np.ndarray, a: object, b: object, dtype: np.dtype) -> np.ndarray:
    """``np.where`` in ``dtype`` that gives a NumPy scalar for a scalar input, like ``np.exp``."""
    out = np.where(condition, a, b).astype(dtype, copy=False)
    return out[()] if out.ndim == 0 else out


def _alpha(alpha: object) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a real number >= 0, got {alpha!r}")
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha}")
    return float(alpha)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, squashing to (0, 1).

    Computed without overflow for large ``|x|``: ``exp`` only ever sees ``-|x|``.

    See Also
    --------
    sigmoid_derivative, tanh

    References
    ----------
    .. [1] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
       feedforward neural networks", AISTATS, 2010.

    Examples
    --------
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    x = _float(x)
    e = np.exp(-np.abs(x))                       # in (0, 1]: never overflows
    return _where(x >= 0, 1 / (1 + e), e / (1 + e), x.dtype)


def sigmoid_derivative(x: np.ndarray) -> np.ndarray:
    """``sigmoid(x) * (1 - sigmoid(x))``; largest (0.25) at 0, vanishing for large ``|x|``.

    See Also
    --------
    sigmoid

    Examples
    --------
    >>> sigmoid_derivative(0.0)
    np.float64(0.25)
    """
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, squashing to (-1, 1); ``tanh(x) = 2 * sigmoid(2x) - 1``.

    See Also
    --------
    tanh_derivative, sigmoid

    Examples
    --------
    >>> tanh(np.array([0.0, 1000.0]))
    array([0., 1.])
    """
    return np.tanh(_float(x))


def tanh_derivative(x: np.ndarray) -> np.ndarray:
    """``1 - tanh(x)**2``; equals 1 at 0.

    See Also
    --------
    tanh

    Examples
    --------
    >>> tanh_derivative(0.0)
    np.float64(1.0)
    """
    t = tanh(x)
    return 1 - t * t


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(0, x)``.

    See Also
    --------
    relu_derivative, leaky_relu, elu

    References
    ----------
    .. [1] V. Nair and G. E. Hinton, "Rectified linear units improve restricted Boltzmann
       machines", ICML, 2010.

    Examples
    --------
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    x = _float(x)
    return np.maximum(x, 0, dtype=x.dtype)


def relu_derivative(x: np.ndarray) -> np.ndarray:
    """``1`` where ``x > 0``, else ``0`` (0 at the kink ``x = 0``).

    See Also
    --------
    relu
    cnn_course.backprop.relu_backward : the same inside a backward pass.

    Examples
    --------
    >>> relu_derivative(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 1.])
    """
    x = _float(x)
    return (x > 0).astype(x.dtype)


def leaky_relu(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU: ``x`` for ``x > 0``, ``alpha * x`` otherwise (``alpha >= 0``).

    The small slope keeps a gradient for negative inputs ("dying ReLU" fix).

    See Also
    --------
    leaky_relu_derivative, relu

    References
    ----------
    .. [1] A. L. Maas, A. Y. Hannun and A. Y. Ng, "Rectifier nonlinearities improve neural
       network acoustic models", ICML Workshop on Deep Learning for Audio, Speech and
       Language Processing, 2013.

    Examples
    --------
    >>> leaky_relu(np.array([-100.0, 5.0]), alpha=0.1)
    array([-10.,   5.])
    """
    x = _float(x)
    alpha = _alpha(alpha)
    return _where(x > 0, x, alpha * x, x.dtype)


def leaky_relu_derivative(x: np.ndarray, alpha: float = 0.01) -> np.ndarray:
    """``1`` where ``x > 0``, else ``alpha``.

    See Also
    --------
    leaky_relu

    Examples
    --------
    >>> leaky_relu_derivative(np.array([-1.0, 1.0]), alpha=0.1)
    array([0.1, 1. ])
    """
    x = _float(x)
    alpha = _alpha(alpha)
    return _where(x > 0, 1.0, alpha, x.dtype)


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Smooth for ``alpha = 1``, saturating at ``-alpha`` for very negative inputs.

    See Also
    --------
    elu_derivative, relu

    References
    ----------
    .. [1] D.-A. Clevert, T. Unterthiner and S. Hochreiter, "Fast and accurate deep network
       learning by exponential linear units (ELUs)", arXiv:1511.07289, 2015.

    Examples
    --------
    >>> elu(np.array([-1000.0, 0.0, 2.0]))
    array([-1.,  0.,  2.])
    """
    x = _float(x)
    alpha = _alpha(alpha)
    neg = alpha * np.expm1(np.minimum(x, 0))     # exp only sees x <= 0: no overflow
    return _where(x > 0, x, neg, x.dtype)


def elu_derivative(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``1`` where ``x > 0``, else ``alpha * exp(x)`` (= ``elu(x) + alpha``).

    See Also
    --------
    elu

    Examples
    --------
    >>> elu_derivative(np.array([0.0, 1.0]))
    array([1., 1.])
    """
    x = _float(x)
    alpha = _alpha(alpha)
    return _where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)), x.dtype)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: ``exp(x_i) / sum_j exp(x_j)``, values in (0, 1) summing to 1.

    Numerically stable: it computes ``exp(x_i - max_j x_j)``, which gives the same result
    (the factor ``exp(-max)`` cancels) but never overflows, so inputs like ``1e4`` are fine.

    Parameters
    ----------
    x : array of any shape (e.g. (N, K) logits)
    axis : int
        The axis that holds the classes.

    Raises
    ------
    ValueError
        An empty class axis, NaN or +inf anywhere, or a slice that is all -inf.

    See Also
    --------
    sigmoid : the two-class case (``softmax([z, 0])[0] == sigmoid(z)``).

    References
    ----------
    .. [1] I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning*, MIT Press, 2016,
       chapter 6 (softmax output units).

    Examples
    --------
    >>> softmax(np.array([1.0, 2.0, 3.0])).round(4)
    array([0.09  , 0.2447, 0.6652])
    >>> softmax(np.array([10000.0, 0.0]))            # no overflow
    array([1., 0.])
    >>> softmax(np.array([0.0, -np.inf]))            # -inf logits get probability 0
    array([1., 0.])
    """
    x = _float(x)
    if x.ndim == 0:
        raise ValueError("x must have at least 1 dimension for softmax, got a scalar")
    axis = check_int("axis", axis, -x.ndim, x.ndim - 1)
    if x.shape[axis] == 0:
        raise ValueError(f"x must have at least one class along axis {axis}, got shape {x.shape}")
    if np.isnan(x).any() or np.isposinf(x).any():
        raise ValueError("x must not contain NaN or +inf (softmax would be undefined there)")
    if np.isneginf(x).all(axis=axis).any():
        raise ValueError(f"x has a slice that is -inf everywhere along axis {axis}: its "
                         f"probabilities would be 0/0")
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def maxout(x: np.ndarray, pieces: int, axis: int = -1) -> np.ndarray:
    """Maxout: split ``axis`` into groups of ``pieces`` consecutive values, keep each maximum.

    ``out[..., j] = max(x[..., j*pieces], ..., x[..., j*pieces + pieces - 1])``, so an axis
    of length ``K`` becomes ``K // pieces`` (Goodfellow et al., 2013). A maxout unit can
    learn any convex piecewise-linear function (ReLU is ``maxout([0, x])``).

    Parameters
    ----------
    x : array with ``x.shape[axis]`` a multiple of ``pieces``
    pieces : int
        Number of linear pieces per unit, >= 1.
    axis : int

    See Also
    --------
    relu : a maxout of ``x`` and 0.

    References
    ----------
    .. [1] I. J. Goodfellow, D. Warde-Farley, M. Mirza, A. Courville and Y. Bengio,
       "Maxout networks", ICML, PMLR 28(3):1319-1327, 2013.

    Examples
    --------
    >>> maxout(np.array([1.0, 5.0, -2.0, -3.0, 0.0, 4.0]), pieces=2)
    array([ 5., -2.,  4.])
    """
    x = _float(x)
    if x.ndim == 0:
        raise ValueError("x must have at least 1 dimension for maxout, got a scalar")
    pieces = check_int("pieces", pieces, 1)
    axis = check_int("axis", axis, -x.ndim, x.ndim - 1) % x.ndim
    size = x.shape[axis]
    if size % pieces:
        raise ValueError(f"x.shape[axis] = {size} must be a multiple of pieces = {pieces}")
    moved = np.moveaxis(x, axis, -1)
    grouped = moved.reshape(moved.shape[:-1] + (size // pieces, pieces))
    return np.moveaxis(grouped.max(axis=-1), -1, axis)


ACTIVATIONS: dict[str, tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]] = {
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "elu": (elu, elu_derivative),
}
"""Element-wise activation name -> ``(function, derivative)``, e.g. for a plotting loop."""
