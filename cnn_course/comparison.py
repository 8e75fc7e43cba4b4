"""Comparing architectures honestly: the same data, recipe, seed and budget for every network.

:func:`compare_architectures` takes several networks (the course's by name, or builders of
your own), counts what each one *costs* -- parameters, multiply-adds per image
(:func:`cnn_course.inspection.multiply_adds`), wall-clock seconds per training step on this
machine (:func:`cnn_course.training.seconds_per_step`) -- and trains those the budget allows
with one :class:`~cnn_course.recipes.Recipe` through :func:`~cnn_course.recipes.run_recipe`,
so every trained network sees the same images, the same preprocessing and augmentation, the
same optimiser, schedule and number of epochs. A network too slow to train here is timed and
counted, not trained: its row says so instead of showing a number it did not earn.
:func:`architecture_table` prints the rows, :func:`plot_architectures` draws accuracy
against cost.

Keras is reached through :mod:`cnn_course._lazy`: importing this module does not import
TensorFlow.

References
----------
.. [1] K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image recognition",
   CVPR 2016, arXiv:1512.03385 (Sec. 4.2: residual networks of 6n+2 layers for CIFAR-10,
   plain and residual compared with the same budget).
.. [2] J. T. Springenberg, A. Dosovitskiy, T. Brox and M. Riedmiller, "Striving for
   simplicity: the all convolutional net", ICLR 2015 workshop, arXiv:1412.6806 (pooling
   replaced by strided convolutions).
.. [3] S. Bianco, R. Cadene, L. Celona and P. Napoletano, "Benchmark analysis of
   representative deep neural network architectures", IEEE Access 6, 2018,
   arXiv:1810.00736 (accuracy against operations, parameters and time, one table).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Collection, Mapping, Sequence

import numpy as np

from . import inspection as _inspection
from . import models as _models
from . import recipes as _recipes
from . import training as _training
from ._lazy import keras
from ._validation import check_int

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["ArchitectureResult", "compare_architectures", "architecture_table",
           "plot_architectures"]

Builder = Callable[[tuple[int, ...], int], Any]


@dataclass
class ArchitectureResult:
    """One network of :func:`compare_architectures`: what it costs and, if trained, scores.

    Attributes
    ----------
    name : str
    params : int
        Parameters of the network (``count_params``), for the data's input shape and classes.
    multiply_adds : int
        Multiply-adds of one forward pass on one image (conv and dense layers).
    seconds_per_step : float or None
        Wall-clock seconds of one training step of ``recipe.batch_size`` images: the
        measured seconds per epoch divided by the steps of an epoch when ``trained``;
        otherwise timed with :func:`~cnn_course.training.seconds_per_step` on
        ``timing_batch`` images and scaled by ``batch_size / timing_batch``; None when
        not timed (``timing_steps=0``).
    seconds_per_epoch : float or None
        Measured by the training run (mean of the epochs after the first) when
        ``trained``; otherwise estimated as ``seconds_per_step * ceil(n_fit /
        batch_size)`` (``n_fit``: the training images left after validation); None when
        not timed.
    trained : bool
        Whether the network was trained here (False: costs only, no accuracy).
    test_accuracy, train_accuracy : float or None
        Of the trained network (None when not trained); train accuracy without
        augmentation, with the final weights.
    epochs_run : int
        0 when not trained.
    load_average : float
        1-minute load average while it was measured (above the core count: inflated times).
    recipe_result : RecipeResult or None
        Everything :func:`~cnn_course.recipes.run_recipe` measured (history, ...).
    """

    name: str
    params: int
    multiply_adds: int
    seconds_per_step: float | None
    seconds_per_epoch: float | None
    trained: bool
    test_accuracy: float | None = None
    train_accuracy: float | None = None
    epochs_run: int = 0
    load_average: float = 0.0
    recipe_result: _recipes.RecipeResult | None = None

    @property
    def multiply_adds_per_param(self) -> float:
        """Multiply-adds per image divided by parameters: how often each weight is reused."""
        return self.multiply_adds / self.params


def _builders(networks: object) -> dict[str, Builder]:
    """``networks`` -> {name: builder}; names of the course's networks become builders."""
    if isinstance(networks, Mapping):
        items = list(networks.items())
    elif isinstance(networks, (list, tuple)):
        items = [(n, n) for n in networks]
    else:
        raise TypeError(f"networks must be a list of model names or a dict name -> model name "
                        f"or builder, got {type(networks).__name__}")
    if not items:
        raise ValueError("networks must not be empty")
    out: dict[str, Builder] = {}
    for label, spec in items:
        if not isinstance(label, str) or not label:
            raise TypeError(f"network names must be non-empty strings, got {label!r}")
        if label in out:
            raise ValueError(f"network names must be different, {label!r} appears twice")
        if isinstance(spec, str):
            if spec not in _models.MODEL_NAMES:
                raise ValueError(f"model name must be one of {', '.join(_models.MODEL_NAMES)};"
                                 f" got {spec!r}")
            out[label] = (lambda name: lambda shape, k: _models.build_model(name, shape, k))(spec)
        elif callable(spec):
            out[label] = spec
        else:
            raise TypeError(f"network {label!r} must be a model name or a callable "
                            f"(input_shape, num_classes) -> keras.Model, got "
                            f"{type(spec).__name__}")
    return out


def compare_architectures(networks: Sequence[str] | Mapping[str, str | Builder], data: object,
                          recipe: _recipes.Recipe, seed: int = 0,
                          train: Collection[str] | None = None, timing_steps: int = 2,
                          timing_batch: int | None = None, verbose: bool = True
                          ) -> list[ArchitectureResult]:
    """Cost and (within the budget) accuracy of several networks, all on the same terms.

    For every network: build it for the data's image shape (H, W, C) and classes K and
    count its parameters and multiply-adds per image. The networks in ``train`` are then
    trained from scratch with :func:`~cnn_course.recipes.run_recipe` -- the same ``recipe``
    (preprocessing, augmentation, optimiser, schedule, epochs, batch size) and the same
    ``seed`` for all -- which measures their test and training accuracy and seconds per
    epoch. The others are only timed: ``timing_steps`` training steps of ``timing_batch``
    images (after one untimed warm-up step) on the counted copy, scaled linearly to
    ``recipe.batch_size`` images per step, and an epoch estimated from them. With
    ``timing_steps=0`` they are counted only (no step is run: tracing a large network
    for its first step alone costs many CPU-seconds).

    Parameters
    ----------
    networks : list of str, or dict name -> (str or callable)
        The course's networks by name (:data:`cnn_course.models.MODEL_NAMES`), or a dict
        from a label to a model name or to a builder ``(input_shape, num_classes) ->
        keras.Model`` (uncompiled, ending in a softmax), e.g.
        ``lambda s, k: cc.build_cifar_resnet(2, input_shape=s, num_classes=k)``.
    data : ((x_train, y_train), (x_test, y_test))
        Raw images (N, H, W, C) in 0..255 and integer labels (N,), as
        :func:`cnn_course.load_dataset` returns them.
    recipe : Recipe
        How every trained network is trained (its budget: ``epochs``, ``batch_size``).
    seed : int >= 0
        The same seed for every network's weights, shuffling and augmentation.
    train : collection of str, optional
        The labels to train (default: all); the others are counted and timed only.
    timing_steps : int, 0..100
        Timed steps per untrained network (more: a steadier figure, a slower run; 0:
        not timed, ``seconds_per_step`` is None).
    timing_batch : int, 1..recipe.batch_size, optional
        Images per timed step (default ``recipe.batch_size``). Fewer images time a large
        network faster; the per-image cost is then scaled up, which over-estimates a
        small network whose step is mostly fixed overhead.
    verbose : bool
        Print one line per network as it finishes.

    Returns
    -------
    list of ArchitectureResult, in the order of ``networks``.

    Raises
    ------
    TypeError, ValueError
        An unknown model name or label in ``train``, a builder that is not callable,
        malformed ``data``, bad ``recipe`` or counts -- before anything is trained.

    See Also
    --------
    architecture_table : the results as a table.
    plot_architectures : accuracy against multiply-adds and time.
    cnn_course.recipes.compare_recipes : one network, several recipes.

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image
       recognition", CVPR 2016, arXiv:1512.03385.
    .. [2] J. T. Springenberg et al., "Striving for simplicity: the all convolutional net",
       ICLR 2015 workshop, arXiv:1412.6806.
    """
    builders = _builders(networks)
    if not isinstance(recipe, _recipes.Recipe):
        raise TypeError(f"recipe must be a cnn_course.recipes.Recipe, got "
                        f"{type(recipe).__name__}")
    x_train, y_train, x_test, y_test = _recipes._check_data(data)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    if train is None:
        to_train = set(builders)
    else:
        if isinstance(train, str) or not isinstance(train, Collection):
            raise TypeError(f"train must be a collection of network names, got {train!r}")
        unknown = sorted(set(train) - set(builders))
        if unknown:
            raise ValueError(f"train names {unknown} are not among the networks "
                             f"{list(builders)}")
        to_train = set(train)
    timing_steps = check_int("timing_steps", timing_steps, 0, 100)
    timing_batch = check_int("timing_batch", recipe.batch_size if timing_batch is None
                             else timing_batch, 1, recipe.batch_size)
    if not isinstance(verbose, bool):
        raise TypeError(f"verbose must be a bool, got {type(verbose).__name__}")

    shape = tuple(int(d) for d in x_train.shape[1:])
    num_classes = max(int(max(y_train.max(), y_test.max())) + 1, 2)
    n_fit = int(math.floor(len(x_train) * (1.0 - recipe.validation_split)))
    batch = min(recipe.batch_size, n_fit)
    steps_per_epoch = math.ceil(n_fit / batch)
    timing_batch = min(timing_batch, batch)
    x_time = np.asarray(x_train[:timing_batch], dtype=np.float32) / np.float32(255.0)
    y_time = y_train[:timing_batch]
    results = []
    for label, build in builders.items():
        keras.utils.set_random_seed(seed)
        model = build(shape, num_classes)
        if not isinstance(model, keras.Model):
            raise TypeError(f"the builder of {label!r} must return a keras.Model, got "
                            f"{type(model).__name__}")
        params = int(model.count_params())
        macs = _inspection.multiply_adds(model)
        if label in to_train:
            del model
            res = _recipes.run_recipe(recipe, data, build=build, seed=seed, name=label)
            row = ArchitectureResult(
                name=label, params=params, multiply_adds=macs,
                seconds_per_step=res.seconds_per_epoch / steps_per_epoch,
                seconds_per_epoch=res.seconds_per_epoch, trained=True,
                test_accuracy=res.test_accuracy, train_accuracy=res.train_accuracy,
                epochs_run=res.epochs_run, load_average=res.load_average, recipe_result=res)
        elif timing_steps == 0:
            del model
            row = ArchitectureResult(
                name=label, params=params, multiply_adds=macs, seconds_per_step=None,
                seconds_per_epoch=None, trained=False, load_average=os.getloadavg()[0])
        else:
            load = os.getloadavg()[0]
            step = _training.seconds_per_step(model, x_time, y_time, batch_size=timing_batch,
                                              steps=timing_steps) * (batch / timing_batch)
            del model
            row = ArchitectureResult(
                name=label, params=params, multiply_adds=macs, seconds_per_step=step,
                seconds_per_epoch=step * steps_per_epoch, trained=False,
                load_average=(load + os.getloadavg()[0]) / 2)
        results.append(row)
        if verbose:
            what = (f"test accuracy {row.test_accuracy:.3f} after {row.epochs_run} epoch(s), "
                    f"{row.seconds_per_epoch:.1f} s/epoch" if row.trained else
                    "counted only (not trained, not timed)" if row.seconds_per_step is None else
                    f"timed only: {row.seconds_per_step:.2f} s/step of {batch} (timed on "
                    f"{timing_batch}), about {row.seconds_per_epoch:.0f} s/epoch")
            print(f"{label:<14} {params:>11,} params {macs / 1e6:9.1f} M mult-adds | {what} "
                  f"(load {row.load_average:.1f})", flush=True)
    return results


def _check_results(results: object) -> list[ArchitectureResult]:
    if (not isinstance(results, (list, tuple)) or not results
            or not all(isinstance(r, ArchitectureResult) for r in results)):
        raise TypeError("results must be a non-empty list of ArchitectureResult (from "
                        "compare_architectures)")
    return list(results)


def architecture_table(results: Sequence[ArchitectureResult],
                       quoted: Mapping[str, float] | None = None, source: str = "") -> str:
    """The comparison as a plain-text table, one row per network.

    Columns: parameters, millions of multiply-adds per image, multiply-adds per parameter,
    seconds per step and per epoch (``~``: estimated from the timed steps, the network was
    not trained; ``-``: not timed), test and training accuracy (``-``: not trained here).

    Parameters
    ----------
    results : list of ArchitectureResult
    quoted : dict name -> float, optional
        Test accuracies measured elsewhere for networks not trained here; shown in
        brackets, ``(0.442)``, and never mixed up with the measured ones.
    source : str
        Where the quoted figures come from (required with ``quoted``): printed under the
        table.

    Returns
    -------
    str

    See Also
    --------
    compare_architectures : makes the results.
    """
    rows = _check_results(results)
    quoted = dict(quoted or {})
    if quoted and (not isinstance(source, str) or not source.strip()):
        raise ValueError("source must say where the quoted accuracies come from")
    for k, v in quoted.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise ValueError(f"quoted accuracy of {k!r} must be in [0, 1], got {v!r}")
    width = max(7, *(len(r.name) for r in rows))
    head = (f"{'network':<{width}}  {'params':>11}  {'M mult-adds':>11}  {'MACs/param':>10}  "
            f"{'s/step':>7}  {'s/epoch':>8}  {'test acc':>8}  {'train acc':>9}")
    lines = [head, "-" * len(head)]
    for r in rows:
        if r.seconds_per_epoch is None:
            step, epoch = "-", "-"
        else:
            step = f"{r.seconds_per_step:.3f}"
            epoch = f"{r.seconds_per_epoch:.1f}" if r.trained else f"~{r.seconds_per_epoch:.0f}"
        if r.trained:
            test, train = f"{r.test_accuracy:.3f}", f"{r.train_accuracy:.3f}"
        else:
            test = f"({quoted[r.name]:.3f})" if r.name in quoted else "-"
            train = "-"
        lines.append(f"{r.name:<{width}}  {r.params:>11,}  {r.multiply_adds / 1e6:>11.1f}  "
                     f"{r.multiply_adds_per_param:>10.0f}  {step:>7}  "
                     f"{epoch:>8}  {test:>8}  {train:>9}")
    notes = ["s/step, s/epoch: on this machine, with the recipe's batch size; ~: estimated "
             "from timed steps (not trained here); -: not measured by this run."]
    if quoted:
        notes.append(f"(in brackets): quoted, not measured by this run: {source}")
    return "\n".join(lines + notes)


def plot_architectures(results: Sequence[ArchitectureResult]) -> Figure:
    """Test accuracy against multiply-adds per image, and seconds per epoch, per network.

    Left: one point per trained network (x: multiply-adds, log scale; y: test accuracy),
    its area proportional to the parameters. Right: seconds per epoch of every timed
    network (log scale), hatched where estimated from timed steps.

    Returns
    -------
    matplotlib.figure.Figure with two axes.

    See Also
    --------
    architecture_table : the same numbers as text.
    """
    import matplotlib.pyplot as plt

    rows = _check_results(results)
    fig, (ax_acc, ax_time) = plt.subplots(1, 2, figsize=(12, 4.2))
    trained = [r for r in rows if r.trained]
    biggest = max(r.params for r in rows)
    for r in trained:
        ax_acc.scatter(r.multiply_adds, r.test_accuracy, s=30 + 600 * r.params / biggest,
                       alpha=0.6)
        ax_acc.annotate(r.name, (r.multiply_adds, r.test_accuracy), fontsize=8,
                        xytext=(4, 4), textcoords="offset points")
    ax_acc.set_xscale("log")
    ax_acc.set(title="Trained here: test accuracy against cost (area: parameters)",
               xlabel="multiply-adds per image", ylabel="test accuracy")
    timed = [r for r in rows if r.seconds_per_epoch is not None]
    bars = ax_time.barh([r.name for r in timed], [r.seconds_per_epoch for r in timed],
                        color="tab:blue")
    for bar, r in zip(bars, timed):
        if not r.trained:
            bar.set_hatch("//")
            bar.set_alpha(0.5)
    ax_time.set_xscale("log")
    ax_time.invert_yaxis()
    ax_time.set(title="Seconds per epoch on this machine (hatched: estimated)",
                xlabel="seconds per epoch")
    fig.tight_layout()
    return fig
