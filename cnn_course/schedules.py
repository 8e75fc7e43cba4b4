"""Learning-rate schedules: a cosine decay and a one-cycle schedule, as Keras schedules.

Both are ``keras.optimizers.schedules.CosineDecay`` objects, Keras' own schedule (linear
warm-up, then half a cosine), set up from the few numbers a student thinks in:

- :func:`cosine_schedule`: ``lr(t) = peak * (alpha + (1 - alpha) * (1 + cos(pi * t / T)) / 2)``
  over ``T = total_steps`` steps, optionally after a linear warm-up from 0;
- :func:`one_cycle_schedule`: warm up linearly from ``peak / start_div`` to ``peak`` over the
  first ``warmup_fraction`` of the steps, then anneal with a cosine to ``peak / end_div``
  (Smith's one-cycle policy with cosine annealing, as in fastai and PyTorch's OneCycleLR).

Give the schedule to the optimizer, ``keras.optimizers.Adam(learning_rate=schedule)``: it
is evaluated at every training *step* (batch), not every epoch.
:func:`schedule_values` evaluates a schedule at given steps (NumPy) and
:func:`plot_schedule` draws it.

References
----------
.. [1] I. Loshchilov and F. Hutter, "SGDR: stochastic gradient descent with warm restarts",
   ICLR 2017, arXiv:1608.03983 (cosine annealing).
.. [2] L. N. Smith and N. Topin, "Super-convergence: very fast training of neural networks
   using large learning rates", arXiv:1708.07120, 2017 (the one-cycle policy).
.. [3] P. Goyal et al., "Accurate, large minibatch SGD: training ImageNet in 1 hour",
   arXiv:1706.02677, 2017 (linear warm-up).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ._lazy import keras
from ._validation import check_int

if TYPE_CHECKING:  # pragma: no cover
    import keras as _keras
    from matplotlib.axes import Axes

__all__ = ["cosine_schedule", "one_cycle_schedule", "steps_per_epoch", "schedule_values",
           "plot_schedule"]


def _positive(name: str, value: object, maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a float, got {type(value).__name__}")
    if not math.isfinite(value) or value <= 0 or (maximum is not None and value > maximum):
        bound = f" and <= {maximum}" if maximum is not None else ""
        raise ValueError(f"{name} must be > 0{bound}, got {value}")
    return float(value)


def steps_per_epoch(n_samples: int, batch_size: int) -> int:
    """Training steps (batches) in one epoch: ``ceil(n_samples / batch_size)``.

    Examples
    --------
    >>> steps_per_epoch(54000, 128)
    422
    """
    n = check_int("n_samples", n_samples, 1)
    b = check_int("batch_size", batch_size, 1)
    return -(-n // b)


def cosine_schedule(peak: float, total_steps: int, warmup_steps: int = 0, alpha: float = 0.0
                    ) -> _keras.optimizers.schedules.CosineDecay:
    """Cosine decay from ``peak`` to ``alpha * peak``, after an optional linear warm-up.

    For step ``t`` (0-based) and ``D = total_steps - warmup_steps``::

        lr(t) = peak * t / warmup_steps                                  t < warmup_steps
        lr(t) = peak * (alpha + (1 - alpha) * (1 + cos(pi * s / D)) / 2)  s = t - warmup_steps

    and ``alpha * peak`` after the last step.

    Parameters
    ----------
    peak : float > 0
        The largest learning rate (the starting one without warm-up).
    total_steps : int >= 1
        Steps of the whole run, warm-up included: ``epochs * steps_per_epoch(N, batch)``.
    warmup_steps : int, 0 <= warmup_steps < total_steps
    alpha : float in [0, 1]
        Final learning rate as a fraction of ``peak``.

    Returns
    -------
    keras.optimizers.schedules.CosineDecay

    Raises
    ------
    ValueError
        ``peak <= 0``, ``total_steps < 1``, ``warmup_steps`` outside ``[0, total_steps)``
        or ``alpha`` outside ``[0, 1]``.

    See Also
    --------
    one_cycle_schedule : warm-up from a fraction of the peak, down to much less.
    schedule_values, plot_schedule : look at it.

    References
    ----------
    .. [1] I. Loshchilov and F. Hutter, "SGDR: stochastic gradient descent with warm
       restarts", ICLR 2017, arXiv:1608.03983.
    """
    peak = _positive("peak", peak)
    total_steps = check_int("total_steps", total_steps, 1)
    warmup_steps = check_int("warmup_steps", warmup_steps, 0, total_steps - 1)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise TypeError(f"alpha must be a float, got {type(alpha).__name__}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if warmup_steps:
        return keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=0.0, decay_steps=total_steps - warmup_steps, alpha=alpha,
            warmup_target=peak, warmup_steps=warmup_steps, name="cosine")
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak, decay_steps=total_steps, alpha=alpha, name="cosine")


def one_cycle_schedule(peak: float, total_steps: int, warmup_fraction: float = 0.3,
                       start_div: float = 25.0, end_div: float = 1e4
                       ) -> _keras.optimizers.schedules.CosineDecay:
    """One cycle: up linearly from ``peak / start_div`` to ``peak``, then a cosine down.

    With ``W = round(warmup_fraction * total_steps)`` warm-up steps and ``D = total_steps - W``::

        lr(t) = peak / start_div + (peak - peak / start_div) * t / W       t < W
        lr(t) = peak * (a + (1 - a) * (1 + cos(pi * s / D)) / 2)           s = t - W

    with ``a = 1 / end_div``: the run ends at ``peak / end_div``. The high learning rate in
    the middle explores, the long low tail settles into a minimum.

    Parameters
    ----------
    peak : float > 0
        The largest learning rate, reached after the warm-up.
    total_steps : int >= 2
        Steps of the whole run.
    warmup_fraction : float in (0, 1)
        Fraction of the steps spent rising (0.3 in the fastai / PyTorch default); at least
        one step rises and one falls.
    start_div, end_div : float >= 1
        Start at ``peak / start_div``, end at ``peak / end_div``.

    Returns
    -------
    keras.optimizers.schedules.CosineDecay

    See Also
    --------
    cosine_schedule : the same shape without the rise (or rising from zero).

    References
    ----------
    .. [1] L. N. Smith and N. Topin, "Super-convergence: very fast training of neural
       networks using large learning rates", arXiv:1708.07120, 2017.
    """
    peak = _positive("peak", peak)
    total_steps = check_int("total_steps", total_steps, 2)
    if isinstance(warmup_fraction, bool) or not isinstance(warmup_fraction, (int, float)):
        raise TypeError(f"warmup_fraction must be a float, got {type(warmup_fraction).__name__}")
    if not 0.0 < warmup_fraction < 1.0:
        raise ValueError(f"warmup_fraction must be in (0, 1), got {warmup_fraction}")
    for name, value in (("start_div", start_div), ("end_div", end_div)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} must be a float, got {type(value).__name__}")
        if not (math.isfinite(value) and value >= 1.0):
            raise ValueError(f"{name} must be >= 1, got {value}")
    warmup = min(max(1, round(warmup_fraction * total_steps)), total_steps - 1)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak / start_div, decay_steps=total_steps - warmup,
        alpha=1.0 / end_div, warmup_target=peak, warmup_steps=warmup, name="one_cycle")


def schedule_values(schedule: Any, steps: int | Sequence[int]) -> np.ndarray:
    """The learning rate a schedule gives at each step.

    Parameters
    ----------
    schedule : keras.optimizers.schedules.LearningRateSchedule or float
        A float is a constant learning rate.
    steps : int or sequence of int >= 0
        An int ``T`` means the steps ``0, 1, ..., T - 1``.

    Returns
    -------
    ndarray of float64, shape (len(steps),)
    """
    if isinstance(steps, (int, np.integer)) and not isinstance(steps, bool):
        ts = np.arange(check_int("steps", steps, 1))
    else:
        ts = np.asarray(steps)
        if ts.ndim != 1 or ts.size == 0 or not np.issubdtype(ts.dtype, np.integer):
            raise ValueError(f"steps must be an int >= 1 or a non-empty sequence of ints, "
                             f"got {steps!r}")
        if ts.min() < 0:
            raise ValueError(f"steps must be >= 0, got {int(ts.min())}")
    if isinstance(schedule, (int, float)) and not isinstance(schedule, bool):
        return np.full(len(ts), _positive("schedule", schedule), dtype=np.float64)
    if not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        raise TypeError(f"schedule must be a keras LearningRateSchedule or a float, got "
                        f"{type(schedule).__name__}")
    # one step at a time: Keras' warm-up branch (ops.cond) needs a scalar step
    return np.array([float(keras.ops.convert_to_numpy(schedule(int(t)))) for t in ts],
                    dtype=np.float64)


def plot_schedule(schedule: Any, total_steps: int, steps_per_epoch: int | None = None,
                  ax: Axes | None = None, label: str | None = None) -> Axes:
    """Draw the learning rate against the step (or the epoch, given ``steps_per_epoch``).

    Parameters
    ----------
    schedule : keras LearningRateSchedule or float
    total_steps : int >= 1
    steps_per_epoch : int >= 1, optional
        When given, the x axis is in epochs (``step / steps_per_epoch``).
    ax : matplotlib Axes, optional
        Draw into it (for several schedules on one plot); a new figure otherwise.
    label : str, optional
        Legend label (default: the schedule's name).

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    total_steps = check_int("total_steps", total_steps, 1)
    steps = np.unique(np.linspace(0, total_steps - 1, min(total_steps, 300)).round()
                      ).astype(np.int64)  # at most 300 points: enough for a smooth curve
    values = schedule_values(schedule, steps)
    x = steps.astype(float)
    xlabel = "step"
    if steps_per_epoch is not None:
        x = x / check_int("steps_per_epoch", steps_per_epoch, 1)
        xlabel = "epoch"
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    if label is None:
        label = getattr(schedule, "name", None) or "constant"
    ax.plot(x, values, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("learning rate")
    ax.set_title("Learning-rate schedule")
    ax.legend()
    return ax
