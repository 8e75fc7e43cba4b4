"""Loss functions in NumPy: how wrong a classifier is, and which way to move its logits.

A classifier's last layer gives ``K`` scores per image, the *logits* ``z``; softmax turns
them into probabilities ``p_k = exp(z_k) / sum_j exp(z_j)`` and the cross-entropy of the
true class ``y`` is ``-log p_y``. The gradient of its batch mean with respect to the logits
is the famous ``(p - onehot(y)) / N``: the start of every backward pass (lesson "How a
CNN learns").

- :func:`log_softmax` -- ``log p`` computed stably with the log-sum-exp trick;
- :func:`softmax_cross_entropy` -- loss and gradient from logits
  (``keras.losses.SparseCategoricalCrossentropy(from_logits=True)`` for integer labels,
  ``CategoricalCrossentropy(from_logits=True)`` for one-hot labels);
- :func:`cross_entropy` -- loss from probabilities, clipped like Keras' ``from_logits=False``.

Dtype rule: results are floating, ``np.result_type(logits, np.float32)`` (float32 stays
float32).

References
----------
.. [1] A. Karpathy et al., "CS231n: Linear classification (softmax classifier)",
   https://cs231n.github.io/linear-classify/#softmax
.. [2] I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning*, MIT Press, 2016,
   sections 6.2.2.3 and 4.1 (softmax units, log-sum-exp).
"""
from __future__ import annotations

import numbers

import numpy as np

from ._validation import check_array

__all__ = ["log_softmax", "softmax_cross_entropy", "cross_entropy", "CLIP_EPSILON"]

CLIP_EPSILON = 1e-7
"""Keras' ``backend.epsilon()``: :func:`cross_entropy` clips probabilities to ``[eps, 1 - eps]``."""


# ----------------------------------------------------------------------------- checks
def _logits(logits: object, name: str = "logits") -> np.ndarray:
    z = check_array(name, logits, (2,))
    if np.iscomplexobj(z):
        raise TypeError(f"{name} must be real, got dtype {z.dtype}")
    if z.shape[0] < 1 or z.shape[1] < 1:
        raise ValueError(f"{name} must have shape (N, K) with N >= 1 and K >= 1, got {z.shape}")
    z = z.astype(np.result_type(z, np.float32), copy=False)
    if not np.isfinite(z).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return z


def _targets(labels: object, n: int, k: int, dtype: np.dtype) -> np.ndarray:
    """Integer ids (N,) or one-hot / probability rows (N, K) -> (N, K) target matrix."""
    y = np.asarray(labels)
    if y.dtype == bool or not np.issubdtype(y.dtype, np.number) or np.iscomplexobj(y):
        raise TypeError(f"labels must be integer class ids or one-hot rows, got dtype {y.dtype}")
    if y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            raise TypeError(f"labels of shape (N,) must be integer class ids, got dtype {y.dtype} "
                            f"(pass one-hot labels with shape (N, K))")
        if y.shape[0] != n:
            raise ValueError(f"labels must have N={n} entries (one per row of logits), got {y.shape[0]}")
        if y.size and (y.min() < 0 or y.max() >= k):
            raise ValueError(f"labels must be class ids in [0, {k - 1}], got values from "
                             f"{y.min()} to {y.max()}")
        target = np.zeros((n, k), dtype=dtype)
        target[np.arange(n), y] = 1
        return target
    if y.ndim == 2:
        if y.shape != (n, k):
            raise ValueError(f"one-hot labels must have the shape of logits {(n, k)}, got {y.shape}")
        target = y.astype(dtype, copy=False)
        if not np.isfinite(target).all() or (target < 0).any():
            raise ValueError("one-hot labels must be finite and >= 0")
        sums = target.sum(axis=1)
        if not np.allclose(sums, 1, atol=1e-6 if dtype == np.float64 else 1e-4):
            row = int(np.argmax(np.abs(sums - 1)))
            raise ValueError(f"one-hot labels must sum to 1 in every row; row {row} sums to "
                             f"{sums[row]:.6g}")
        return target
    raise ValueError(f"labels must have shape (N,) (class ids) or (N, K) (one-hot), got {y.shape}")


# ----------------------------------------------------------------------------- losses
def log_softmax(logits: np.ndarray) -> np.ndarray:
    """``log softmax(z)`` row by row, without overflow: ``z_k - logsumexp(z)``.

    ``logsumexp(z) = m + log(sum_j exp(z_j - m))`` with ``m = max_j z_j``; every
    exponent is <= 0, so nothing overflows, and the largest term is ``exp(0) = 1``, so
    the sum never underflows to 0 (``log`` of it is finite).

    Parameters
    ----------
    logits : array of shape (N, K)
        Finite scores, one row per example.

    Returns
    -------
    array of shape (N, K)
        ``log p``; every entry <= 0 and ``exp`` of each row sums to 1.

    Examples
    --------
    >>> log_softmax(np.array([[1000.0, 0.0]]))          # naive exp(1000) overflows
    array([[    0., -1000.]])
    """
    z = _logits(logits)
    m = z.max(axis=1, keepdims=True)
    shifted = z - m
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[np.floating, np.ndarray]:
    """Mean cross-entropy of softmax(logits) and its gradient with respect to the logits.

    ``loss = (1/N) * sum_n -log softmax(z_n)[y_n]``, and

    ``dloss/dz = (softmax(z) - onehot(y)) / N``

    (for a row of probabilities ``t`` instead of a one-hot row, ``-sum_k t_k log p_k`` and
    ``(p - t) / N``). The loss uses :func:`log_softmax`, so huge logits are fine.

    Parameters
    ----------
    logits : array of shape (N, K)
        Finite scores (the layer *before* softmax).
    labels : int array of shape (N,) or array of shape (N, K)
        Class ids in ``[0, K)``, or one-hot rows (non-negative, each summing to 1).

    Returns
    -------
    loss : float scalar
        The batch mean, as ``model.fit`` reports it.
    dlogits : array of shape (N, K)
        Gradient of ``loss`` with respect to ``logits``.

    Raises
    ------
    TypeError
        Non-numeric arrays; float labels of shape (N,).
    ValueError
        Wrong shapes, non-finite logits, class ids out of range, rows not summing to 1.

    See Also
    --------
    cross_entropy : the same loss from probabilities.
    cnn_course.activations.softmax

    Examples
    --------
    >>> loss, dz = softmax_cross_entropy(np.array([[2.0, 0.0, 0.0]]), np.array([0]))
    >>> round(float(loss), 4)                  # -log(e^2 / (e^2 + 2))
    0.2395
    >>> dz.round(4)                            # p - onehot: the true class is pushed up
    array([[-0.213 ,  0.1065,  0.1065]])
    """
    z = _logits(logits)
    n, k = z.shape
    target = _targets(labels, n, k, z.dtype)
    logp = log_softmax(z)
    loss = -(target * logp).sum() / n
    dlogits = (np.exp(logp) - target) / n
    return z.dtype.type(loss), dlogits


def cross_entropy(probs: np.ndarray, labels: np.ndarray, eps: float = CLIP_EPSILON) -> np.floating:
    """Mean cross-entropy ``-(1/N) sum_n log p_n[y_n]`` of predicted probabilities.

    Exactly what ``keras.losses.categorical_crossentropy`` (``from_logits=False``) and its
    sparse twin compute: each row is first divided by its sum, then clipped to
    ``[eps, 1 - eps]`` so that a probability of 0 gives a large but finite loss
    ``-log(eps)`` (about 16.1 for ``eps = 1e-7``) instead of ``inf``.

    Parameters
    ----------
    probs : array of shape (N, K)
        Non-negative scores per row (e.g. softmax outputs), each row with a positive sum.
    labels : int array of shape (N,) or array of shape (N, K)
        Class ids in ``[0, K)`` or one-hot rows.
    eps : float
        Clip value, in (0, 0.5); Keras' default ``1e-7`` (:data:`CLIP_EPSILON`).

    Returns
    -------
    float scalar

    See Also
    --------
    softmax_cross_entropy : from logits, stable and with the gradient; prefer it.

    Examples
    --------
    >>> round(float(cross_entropy(np.array([[0.5, 0.25, 0.25]]), np.array([0]))), 4)   # -log 0.5
    0.6931
    >>> round(float(cross_entropy(np.array([[0.0, 1.0]]), np.array([0]))), 2)          # -log 1e-7
    16.12
    """
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 < eps < 0.5:
        raise ValueError(f"eps must be a number in (0, 0.5), got {eps!r}")
    p = _logits(probs, "probs")
    if (p < 0).any():
        raise ValueError("probs must be >= 0 (probabilities, not logits: use softmax_cross_entropy)")
    sums = p.sum(axis=1, keepdims=True)
    if (sums <= 0).any():
        raise ValueError("probs must have a positive sum in every row")
    n, k = p.shape
    target = _targets(labels, n, k, p.dtype)
    p = np.clip(p / sums, eps, 1 - eps)
    return p.dtype.type(-(target * np.log(p)).sum() / n)
