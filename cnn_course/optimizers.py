"""Optimizers in NumPy: one update step of SGD, momentum and Adam, state passed explicitly.

Each function takes a parameter array and its gradient and returns the *new* parameter
(the inputs are never modified), plus the optimizer's new state where it has one, so a
training loop shows everything that changes::

    velocity = np.zeros_like(w)
    for step in range(100):
        loss, grad = loss_and_gradient(w)
        w, velocity = momentum_step(w, grad, velocity, lr=0.01)

The formulas are those of ``keras.optimizers.SGD`` (with and without ``momentum``) and
``keras.optimizers.Adam`` in Keras 3, so a float64 run matches Keras step for step
(``tests/test_optimizers.py``: to within 1e-15 when ``momentum``, ``beta1`` and ``beta2``
are exactly representable in float32, e.g. 0.75 or 1 - 2**-10. Keras with TensorFlow turns
these Python floats into float32 tensors before casting them to the variable's dtype, so
for ``momentum=0.9`` a float64 Keras run uses 0.89999997615..., a relative difference of
about 3e-8 that our float64 functions do not copy).

Dtype rule: the new parameter (and state) has dtype ``np.result_type(param, np.float32)``;
the gradient is cast to it, as Keras casts it to the variable's dtype.

References
----------
.. [1] B. T. Polyak, "Some methods of speeding up the convergence of iteration methods",
   USSR Computational Mathematics and Mathematical Physics 4(5), 1964 (momentum).
.. [2] I. Sutskever, J. Martens, G. Dahl and G. Hinton, "On the importance of initialization
   and momentum in deep learning", ICML 2013 (the ``v = m*v - lr*g`` form, Nesterov).
.. [3] D. P. Kingma and J. Ba, "Adam: A method for stochastic optimization", ICLR 2015,
   arXiv:1412.6980 (Algorithm 1 and the efficient form at the end of section 2).
.. [4] Keras, "SGD" and "Adam", https://keras.io/api/optimizers/
"""
from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._validation import check_array, check_int

__all__ = ["sgd_step", "momentum_step", "adam_step", "adam_init", "AdamState"]


class AdamState(NamedTuple):
    """What Adam remembers between steps.

    Attributes
    ----------
    m : array, shape of the parameter
        Running mean of the gradients (first moment), starts at 0.
    v : array, shape of the parameter
        Running mean of the squared gradients (second moment), starts at 0.
    t : int
        Number of steps taken so far (0 before the first step).
    """

    m: np.ndarray
    v: np.ndarray
    t: int


# ----------------------------------------------------------------------------- checks
def _real(name: str, value: object, low: float, high: float, low_open: bool = False,
          high_open: bool = True) -> float:
    """A finite real number in the interval (low or [low) ... high) or high])."""
    lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
    where = f"{lo}{low}, {high}{hi}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in {where}, got {value!r}")
    v = float(value)
    ok = np.isfinite(v) and (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if not ok:
        raise ValueError(f"{name} must be in {where}, got {value!r}")
    return v


def _param_grad(param: object, grad: object) -> tuple[np.ndarray, np.ndarray]:
    p = check_array("param", param)
    g = check_array("grad", grad)
    for name, a in (("param", p), ("grad", g)):
        if np.iscomplexobj(a):
            raise TypeError(f"{name} must be real, got dtype {a.dtype}")
    if g.shape != p.shape:
        raise ValueError(f"grad must have the shape of param {p.shape}, got {g.shape}")
    dtype = np.result_type(p, np.float32)
    g = g.astype(dtype, copy=False)
    if not np.isfinite(g).all():
        raise ValueError("grad must be finite (a NaN or inf gradient would spoil the parameter)")
    return p.astype(dtype, copy=False), g


def _state_array(name: str, value: object, like: np.ndarray) -> np.ndarray:
    a = check_array(name, value)
    if a.shape != like.shape:
        raise ValueError(f"{name} must have the shape of param {like.shape}, got {a.shape}")
    return a.astype(like.dtype, copy=False)


_LR_MAX = float("inf")


# ----------------------------------------------------------------------------- SGD
def sgd_step(param: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    """One step of plain gradient descent: ``param - lr * grad``.

    Parameters
    ----------
    param : array of any shape
    grad : array of the same shape
        ``dloss/dparam`` at ``param``.
    lr : float
        Learning rate, > 0.

    Returns
    -------
    array, same shape as ``param``: the new parameter.

    See Also
    --------
    momentum_step, adam_step

    Examples
    --------
    >>> sgd_step(np.array([1.0, -2.0]), np.array([0.5, -1.0]), lr=0.1)
    array([ 0.95, -1.9 ])
    """
    p, g = _param_grad(param, grad)
    lr = _real("lr", lr, 0, _LR_MAX, low_open=True)
    return p - g * p.dtype.type(lr)


def momentum_step(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, lr: float,
                  momentum: float = 0.9, nesterov: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One step of SGD with momentum, as ``keras.optimizers.SGD(momentum=...)``.

    ``v <- momentum * v - lr * g`` then ``param <- param + v``
    (Nesterov: ``param <- param + momentum * v - lr * g`` with the new ``v``).

    The velocity ``v`` is a running, decaying sum of past steps: along a direction where
    the gradient keeps its sign the steps add up (up to ``1 / (1 - momentum)`` times a
    plain step), where it flips they cancel.

    Parameters
    ----------
    param, grad : arrays of the same shape
    velocity : array of the same shape
        The previous step's ``v``; ``np.zeros_like(param)`` before the first step.
    lr : float
        Learning rate, > 0.
    momentum : float
        Decay of the velocity, in [0, 1); 0 is plain SGD.
    nesterov : bool
        Nesterov's variant (look ahead along the new velocity).

    Returns
    -------
    (param, velocity) : the new parameter and velocity.

    See Also
    --------
    sgd_step, adam_step

    Examples
    --------
    >>> w, v = np.array([1.0]), np.zeros(1)
    >>> for _ in range(3):                    # constant gradient 1: steps 0.1, 0.19, 0.271
    ...     w, v = momentum_step(w, np.ones(1), v, lr=0.1)
    >>> w, v
    (array([0.439]), array([-0.271]))
    """
    p, g = _param_grad(param, grad)
    v = _state_array("velocity", velocity, p)
    lr = p.dtype.type(_real("lr", lr, 0, _LR_MAX, low_open=True))
    mu = p.dtype.type(_real("momentum", momentum, 0, 1))
    if not isinstance(nesterov, (bool, np.bool_)):
        raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
    v = v * mu - g * lr
    if nesterov:
        return p + (v * mu - g * lr), v
    return p + v, v


# ----------------------------------------------------------------------------- Adam
def adam_init(param: np.ndarray) -> AdamState:
    """Adam's state before the first step: ``m = v = 0`` (shape of ``param``), ``t = 0``.

    Examples
    --------
    >>> adam_init(np.ones(2))
    AdamState(m=array([0., 0.]), v=array([0., 0.]), t=0)
    """
    p = check_array("param", param)
    if np.iscomplexobj(p):
        raise TypeError(f"param must be real, got dtype {p.dtype}")
    dtype = np.result_type(p, np.float32)
    return AdamState(np.zeros(p.shape, dtype), np.zeros(p.shape, dtype), 0)


def adam_step(param: np.ndarray, grad: np.ndarray, state: AdamState, lr: float = 1e-3,
              beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-7) -> tuple[np.ndarray, AdamState]:
    """One Adam step, exactly as ``keras.optimizers.Adam`` computes it.

    With ``t`` the step number (1 for the first step)::

        m <- beta1 * m + (1 - beta1) * g            # running mean of g
        v <- beta2 * v + (1 - beta2) * g**2         # running mean of g**2
        lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
        param <- param - lr_t * m / (sqrt(v) + eps)

    ``lr_t`` folds in the *bias correction* (``m`` and ``v`` start at 0, so early on
    they are too small by the factors ``1 - beta**t``). This is the "efficient" form of
    Kingma & Ba (end of their section 2), the one Keras and TensorFlow use: ``eps`` is
    added to ``sqrt(v)`` *before* the correction (the paper's ``epsilon-hat``), so it
    differs very slightly from Algorithm 1's ``m_hat / (sqrt(v_hat) + eps)``. Keras'
    default ``eps`` is ``1e-7`` (the paper's is ``1e-8``).

    Each parameter gets its own step size: about ``lr`` in size whatever the scale of
    its gradient, since ``m / sqrt(v)`` is about ``+-1`` when the gradient is steady.

    Parameters
    ----------
    param, grad : arrays of the same shape
    state : AdamState
        From :func:`adam_init` or the previous step.
    lr : float
        Learning rate, > 0 (Keras' default 0.001).
    beta1, beta2 : float
        Decay rates of the two running means, in [0, 1).
    eps : float
        Added to ``sqrt(v)`` to avoid division by 0, > 0.

    Returns
    -------
    (param, state) : the new parameter and :class:`AdamState` (``t`` increased by 1).

    See Also
    --------
    adam_init, momentum_step, sgd_step

    Examples
    --------
    >>> w, state = np.array([1.0, 1.0]), adam_init(np.ones(2))
    >>> w, state = adam_step(w, np.array([100.0, 1.0]), state, lr=0.1)
    >>> w.round(6)                  # the same first step whatever the gradient's size
    array([0.9, 0.9])
    >>> state.t
    1
    """
    p, g = _param_grad(param, grad)
    if not isinstance(state, tuple) or len(state) != 3:
        raise TypeError(f"state must be an AdamState(m, v, t) (from adam_init), got {type(state).__name__}")
    m = _state_array("state.m", state[0], p)
    v = _state_array("state.v", state[1], p)
    t = check_int("state.t", state[2], 0) + 1
    lr = _real("lr", lr, 0, _LR_MAX, low_open=True)
    b1 = _real("beta1", beta1, 0, 1)
    b2 = _real("beta2", beta2, 0, 1)
    eps = _real("eps", eps, 0, _LR_MAX, low_open=True)
    if (v < 0).any():
        raise ValueError("state.v must be >= 0 (a running mean of squares)")
    f = p.dtype.type
    m = f(b1) * m + f(1 - b1) * g
    v = f(b2) * v + f(1 - b2) * (g * g)
    lr_t = f(lr) * np.sqrt(f(1) - f(b2) ** f(t)) / (f(1) - f(b1) ** f(t))
    return p - lr_t * m / (np.sqrt(v) + f(eps)), AdamState(m, v, t)
