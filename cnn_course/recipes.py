"""Training recipes and honest comparisons: switch one technique on, train, measure.

A :class:`Recipe` says *how* to train: per-channel standardisation, the standard
augmentation, weight decay, a learning-rate schedule, label smoothing, early stopping, the
budget (epochs, batch size). :func:`run_recipe` trains one network with one recipe on one
dataset and returns a :class:`RecipeResult` (test accuracy, history, seconds per epoch and
what each technique changes: the train/validation gap, the size of the weights, the
network's confidence). :func:`ablation` builds the list "baseline, then switch on one more
technique at a time", :func:`compare_recipes` runs such a list on the same data, network,
seed and budget, and :func:`results_table` / :func:`plot_results` show them side by side.

Everything is built from Keras' own parts: preprocessing layers
(:func:`cnn_course.augmentation.standard_augmentation`), ``keras.optimizers.AdamW``
(decoupled weight decay), ``keras.optimizers.schedules.CosineDecay``
(:mod:`cnn_course.schedules`), ``keras.losses.CategoricalCrossentropy(label_smoothing=...)``
and ``keras.callbacks.EarlyStopping(restore_best_weights=True)``. Keras is reached through
:mod:`cnn_course._lazy`: importing this module does not import TensorFlow.

References
----------
.. [1] T. He et al., "Bag of tricks for image classification with convolutional neural
   networks", CVPR 2019, arXiv:1812.01187 (cosine schedule, warm-up, label smoothing,
   measured one at a time).
.. [2] I. Loshchilov and F. Hutter, "Decoupled weight decay regularization", ICLR 2019,
   arXiv:1711.05101 (AdamW).
.. [3] C. Szegedy et al., "Rethinking the Inception architecture for computer vision",
   CVPR 2016, arXiv:1512.00567, Sec. 7 (label smoothing).
.. [4] L. Prechelt, "Early stopping -- but when?", in *Neural Networks: Tricks of the
   Trade*, Springer, 1998.
"""
from __future__ import annotations

import dataclasses
import math
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from . import augmentation as _aug
from . import schedules as _schedules
from . import training as _training
from ._lazy import keras, quiet_retracing_warning
from ._validation import check_int

if TYPE_CHECKING:  # pragma: no cover
    import keras as _keras
    from matplotlib.figure import Figure

__all__ = ["Recipe", "RecipeResult", "compact_cnn", "run_recipe", "ablation",
           "compare_recipes", "results_table", "plot_results", "lesson_recipe", "SCHEDULES",
           "CPU_LADDER_IMAGES"]

SCHEDULES = ("constant", "cosine", "one_cycle")
#: Variables never decayed: biases and batch-normalisation scales and shifts.
NO_DECAY = ["bias", "gamma", "beta"]


# --------------------------------------------------------------------------- the network
def compact_cnn(input_shape: Sequence[int], num_classes: int = 10,
                widths: Sequence[int] = (32, 64, 128), convs_per_stage: int = 2,
                dropout: float = 0.0, dense: int = 0,
                name: str = "compact_cnn") -> _keras.Model:
    """A small VGG-style network sized for a 2-core CPU: the network the recipes train.

    ``len(widths)`` stages of ``convs_per_stage`` x (3x3 convolution without bias, batch
    normalisation, ReLU) followed by 2x2 max pooling; then either global average pooling
    (``dense=0``) or, with ``dense > 0``, flattening and a hidden layer of ``dense`` units
    (dense without bias, batch normalisation, ReLU); optional dropout and a softmax layer.
    The batch-norm moving averages use momentum 0.9 (Keras' default 0.99 needs hundreds
    of steps before the statistics used at test time are right; a short CPU run has only
    a few dozen).

    Global average pooling keeps the network small and indifferent to *where* a feature
    is; the flattened head keeps the position of every feature (Fashion-MNIST's centred
    garments reward that) at the price of ``H' * W' * widths[-1] * dense`` weights.

    Parameters
    ----------
    input_shape : (H, W, C)
    num_classes : int >= 2
    widths : sequence of int >= 1
        Filters of each stage; every stage halves H and W (H, W >= 2 ** len(widths)).
    convs_per_stage : int >= 1
    dropout : float in [0, 1)
        Dropout rate before the softmax layer (0: none).
    dense : int >= 0
        Units of the hidden layer of a flattened head; 0: global average pooling.
    name : str

    Returns
    -------
    keras.Model, uncompiled, mapping (N, H, W, C) to class probabilities (N, num_classes)

    See Also
    --------
    cnn_course.models.conv_bn_relu : the same unit with a conv bias and BN momentum 0.99.

    Examples
    --------
    >>> compact_cnn((28, 28, 1), 10, widths=(32, 64), convs_per_stage=1,
    ...             dense=256).count_params()  # 3,136 x 256 of them in the hidden layer
    825514
    """
    if (not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3):
        raise ValueError(f"input_shape must be (H, W, C), got {input_shape!r}")
    shape = tuple(check_int("input_shape", d, 1) for d in input_shape)
    num_classes = check_int("num_classes", num_classes, 2)
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or not widths:
        raise ValueError(f"widths must be a non-empty sequence of ints, got {widths!r}")
    widths = [check_int("widths", w, 1) for w in widths]
    if min(shape[:2]) < 2 ** len(widths):
        raise ValueError(f"input_shape {shape} is too small for {len(widths)} stages: each "
                         f"halves H and W, so H and W must be >= {2 ** len(widths)}")
    convs_per_stage = check_int("convs_per_stage", convs_per_stage, 1)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
            or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be a float in [0, 1), got {dropout!r}")
    dense = check_int("dense", dense, 0)
    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    for s, w in enumerate(widths, start=1):
        for c in range(1, convs_per_stage + 1):
            p = f"{name}_s{s}c{c}"
            x = keras.layers.Conv2D(w, 3, padding="same", use_bias=False, name=f"{p}_conv")(x)
            x = keras.layers.BatchNormalization(momentum=0.9, name=f"{p}_bn")(x)
            x = keras.layers.Activation("relu", name=f"{p}_relu")(x)
        x = keras.layers.MaxPooling2D(2, name=f"{name}_pool{s}")(x)
    if dense:
        x = keras.layers.Flatten(name=f"{name}_flatten")(x)
        x = keras.layers.Dense(dense, use_bias=False, name=f"{name}_dense")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"{name}_dense_bn")(x)
        x = keras.layers.Activation("relu", name=f"{name}_dense_relu")(x)
    else:
        x = keras.layers.GlobalAveragePooling2D(name=f"{name}_gap")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name=f"{name}_softmax")(x)
    return keras.Model(inputs, outputs, name=name)


# --------------------------------------------------------------------------- recipes

# The complete recipes of lesson 15 (all techniques on) and their budgets. One home for
# them: the lesson and ``benchmarks/bench_recipes_full.py`` read them from here.
# kind -> budget -> (compact_cnn arguments, Recipe fields)
#: Training images of lesson 15's CPU-sized ablation (the ``"cpu"`` budget of the CIFAR-10 recipe).
CPU_LADDER_IMAGES = 2000

_LESSON_RECIPES: dict[str, dict[str, tuple[dict[str, Any], dict[str, Any]]]] = {
    "cifar": {
        "full": (dict(widths=(32, 64, 128)),
                 dict(epochs=30, learning_rate=2e-3, schedule="cosine", early_stopping=6)),
        # cpu: the ablation ladder sized for a 2-core CPU without a GPU (lesson 15 trains it
        # on CPU_LADDER_IMAGES of the sample's images): ~120 steps per run, so the decay is stronger
        # than full mode's 0.05 over ~1,100 steps for the same total pull (eta * lambda * steps).
        "cpu": (dict(widths=(32, 64, 128)),
                dict(epochs=8, learning_rate=2e-3, schedule="cosine", early_stopping=3,
                     weight_decay=0.5)),
        # quick: few images (lesson 15: 600) and enough epochs for the un-augmented network to
        # over-fit (so augmentation has a gap to narrow). 29 % of the multiply-adds of
        # 16-32-64, batches of 64: a run is ~3 s on 2 cores, a third of it tracing the steps.
        # Only 48 steps, so a stronger weight decay again. 20 % held out (120 images) and
        # patience 3: on fewer validation images the gap and the early stop were noise
        # (the runs are in BENCHMARKS.md).
        "quick": (dict(widths=(8, 16, 32)),
                  dict(epochs=6, learning_rate=2e-3, schedule="cosine", early_stopping=3,
                       weight_decay=1.0, batch_size=64, validation_split=0.2)),
    },
    # Fashion-MNIST: a flattened head keeps where each feature is (the garments are centred)
    # and no augmentation: five epochs on 57,000 images are too few for shifts to pay off.
    # Five, not four: four ended at 0.929 on seeds 1 and 2 (BENCHMARKS.md), five at >= 0.931.
    # 5 % held out for validation: the recipe does not early-stop, it only reports the gap.
    "fashion": {
        "full": (dict(widths=(32, 64), dense=256),
                 dict(epochs=5, learning_rate=4e-3, schedule="one_cycle", augment=None,
                      validation_split=0.05)),
        "quick": (dict(widths=(16, 32), dense=64),
                  dict(epochs=3, learning_rate=4e-3, schedule="one_cycle", augment=None)),
    },
}


def lesson_recipe(kind: str, budget: str = "full"
                  ) -> tuple[Recipe, Callable[[tuple[int, ...], int], Any]]:
    """The complete recipe of lesson 15 for one data set, and the network it trains.

    Every technique on: per-channel standardisation, the standard augmentation of that
    data set (none for Fashion-MNIST, whose 3-5 epochs are too few for it to pay off),
    weight decay 0.05 (stronger in CIFAR-10's shorter budgets, whose few steps would not
    show 0.05), a schedule (cosine for CIFAR-10, one-cycle for Fashion-MNIST), label
    smoothing 0.1 (and early stopping for CIFAR-10), batch size 128 (64 in CIFAR-10's
    quick budget), on :func:`compact_cnn` with one convolution per stage.

    The budgets (widths; head: GAP = global average pooling, a number = the hidden layer
    of a flattened head; epochs; weight decay; held out for validation):

    - ``cifar``, ``full``: 32-64-128, GAP, 30 epochs with early stopping, 0.05, 10 %;
    - ``cifar``, ``cpu``: 32-64-128, GAP, 8 epochs with early stopping, 0.5, 10 %;
    - ``cifar``, ``quick``: 8-16-32, GAP, 6 epochs with early stopping, 1.0, 20 %;
    - ``fashion``, ``full``: 32-64, 256, 5 epochs, 0.05, 5 %;
    - ``fashion``, ``quick``: 16-32, 64, 3 epochs, 0.05, 10 %.

    The ``cpu`` budget trains on :data:`CPU_LADDER_IMAGES` images in lesson 15.

    Parameters
    ----------
    kind : {"cifar", "fashion"}
    budget : {"full", "cpu", "quick"}
        ``"full"``: the issue-17 targets (Fashion-MNIST >= 0.93 test accuracy in about
        5 min, the CIFAR-10 sample >= 0.60 in <= 10 min on 2 CPU cores); ``"cpu"``
        (CIFAR-10 only): the ablation ladder's budget in lesson 15's CPU-sized full mode;
        ``"quick"``: quick mode.

    Returns
    -------
    recipe : Recipe
    build : callable (input_shape, num_classes) -> keras.Model
        For :func:`run_recipe`'s ``build``.

    See Also
    --------
    run_recipe : trains it.

    Examples
    --------
    >>> recipe, build = lesson_recipe("fashion")
    >>> recipe.schedule, recipe.augment, recipe.epochs
    ('one_cycle', None, 5)
    >>> lesson_recipe("cifar", "cpu")[0].epochs
    8
    """
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a str, one of {sorted(_LESSON_RECIPES)}, got "
                        f"{type(kind).__name__}")
    if kind not in _LESSON_RECIPES:
        raise ValueError(f"kind must be one of {sorted(_LESSON_RECIPES)}, got {kind!r}")
    if not isinstance(budget, str):
        raise TypeError(f"budget must be a str, one of {sorted(_LESSON_RECIPES[kind])}, got "
                        f"{type(budget).__name__}")
    if budget not in _LESSON_RECIPES[kind]:
        raise ValueError(f"budget must be one of {sorted(_LESSON_RECIPES[kind])} for kind "
                         f"{kind!r}, got {budget!r}")
    network, fields = _LESSON_RECIPES[kind][budget]
    recipe = Recipe(**{**dict(standardize=True, augment=kind, weight_decay=0.05,
                              label_smoothing=0.1, batch_size=128), **fields})

    def build(shape: tuple[int, ...], num_classes: int) -> Any:
        return compact_cnn(shape, num_classes, convs_per_stage=1, **network)

    return recipe, build


def _fraction(name: str, value: object, lo: float, hi: float, hi_open: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a float, got {type(value).__name__}")
    ok = lo <= value < hi if hi_open else lo <= value <= hi
    if not (math.isfinite(value) and ok):
        raise ValueError(f"{name} must be in [{lo}, {hi}{')' if hi_open else ']'}, got {value}")
    return float(value)


@dataclass(frozen=True)
class Recipe:
    """How to train: every technique of the "training well" lesson is one field.

    Attributes
    ----------
    standardize : bool
        Per-channel standardisation with training-set statistics
        (:func:`~cnn_course.augmentation.standardize_per_channel`); False: ``x / 255``.
    augment : {None, "cifar", "fashion"}
        :func:`~cnn_course.augmentation.standard_augmentation` of that kind, in front of
        the network (active during training only).
    weight_decay : float >= 0
        Decoupled weight decay of ``keras.optimizers.AdamW`` (biases and batch-norm
        parameters are not decayed); 0 is plain Adam.
    schedule : {"constant", "cosine", "one_cycle"}
        Learning rate over the run: constant, :func:`~cnn_course.schedules.cosine_schedule`
        (one epoch of linear warm-up when there are at least 3 epochs) or
        :func:`~cnn_course.schedules.one_cycle_schedule` (peak ``learning_rate``).
    label_smoothing : float in [0, 1)
        Of ``keras.losses.CategoricalCrossentropy``: the target is ``1 - ls`` on the true
        class plus ``ls / K`` everywhere.
    early_stopping : int >= 1 or None
        Patience (epochs) of ``keras.callbacks.EarlyStopping(monitor="val_accuracy",
        restore_best_weights=True)``; None: train all epochs and keep the last weights.
    learning_rate : float > 0
        The constant rate, or the peak of a schedule.
    epochs, batch_size : int >= 1
        The budget.
    validation_split : float in (0, 1)
        The last fraction of the training images, held out for validation.
    """

    standardize: bool = False
    augment: str | None = None
    weight_decay: float = 0.0
    schedule: str = "constant"
    label_smoothing: float = 0.0
    early_stopping: int | None = None
    learning_rate: float = 1e-3
    epochs: int = 10
    batch_size: int = 128
    validation_split: float = 0.1

    def __post_init__(self) -> None:
        if not isinstance(self.standardize, bool):
            raise TypeError(f"standardize must be a bool, got {type(self.standardize).__name__}")
        if self.augment is not None and self.augment not in _aug.STANDARD_AUGMENTATION:
            raise ValueError(f"augment must be None or one of "
                             f"{', '.join(map(repr, _aug.STANDARD_AUGMENTATION))}; "
                             f"got {self.augment!r}")
        _fraction("weight_decay", self.weight_decay, 0.0, 1.0, hi_open=False)
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(map(repr, SCHEDULES))}; "
                             f"got {self.schedule!r}")
        _fraction("label_smoothing", self.label_smoothing, 0.0, 1.0)
        if self.early_stopping is not None:
            check_int("early_stopping", self.early_stopping, 1)
        if isinstance(self.learning_rate, bool) or not isinstance(self.learning_rate,
                                                                  (int, float)):
            raise TypeError(f"learning_rate must be a float, got "
                            f"{type(self.learning_rate).__name__}")
        if not (math.isfinite(self.learning_rate) and 0 < self.learning_rate <= 10):
            raise ValueError(f"learning_rate must be in (0, 10], got {self.learning_rate}")
        check_int("epochs", self.epochs, 1)
        check_int("batch_size", self.batch_size, 1)
        v = _fraction("validation_split", self.validation_split, 0.0, 1.0)
        if v == 0.0:
            raise ValueError("validation_split must be > 0: early stopping and the "
                             "train/validation gap need validation images")

    def but(self, **changes: Any) -> Recipe:
        """A copy with some fields changed (checked again): ``base.but(weight_decay=0.05)``."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"unknown Recipe field(s) {sorted(unknown)}; fields are "
                             f"{[f.name for f in dataclasses.fields(self)]}")
        return dataclasses.replace(self, **changes)


@dataclass
class RecipeResult:
    """What :func:`run_recipe` measured.

    Attributes
    ----------
    name : str
    recipe : Recipe
    test_accuracy : float
        Fraction of test images classified correctly (weights kept at the end of the run:
        the best validation epoch's with early stopping, the last otherwise).
    test_nll : float
        Mean cross-entropy ``-log p(true class)`` on the test images (no smoothing).
    confidence : float
        Mean probability of the predicted class on the test images.
    train_accuracy : float
        Accuracy on (up to 5,000 of) the training images, *without* augmentation, with
        the final weights.
    val_accuracy : float
        Accuracy on the validation images with the final weights.
    gap : float
        ``train_accuracy - val_accuracy``: the over-fitting.
    weight_norm : float
        ``sqrt(sum of squares)`` of all convolution and dense kernels.
    history : dict of lists
        Keras' per-epoch logs (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``,
        ``learning_rate``).
    epochs_run : int
        Epochs trained (fewer than ``recipe.epochs`` if early stopping stopped the run).
    best_epoch : int
        1-based epoch of the highest validation accuracy.
    seconds_per_epoch : float
        Mean wall-clock seconds of the epochs after the first (the first also traces the
        graph); the first epoch's if only one ran.
    seconds_total : float
        Wall-clock seconds of the whole run: building, training and evaluating.
    load_average : float
        Mean of the 1-minute load average (``os.getloadavg``) at the start and the end of
        the run: above the number of cores, other programs were competing for the CPU and
        the times are inflated.
    params : int
        Parameters of the network.
    epoch_seconds : list of float
        Wall-clock seconds of each epoch.
    cpu_seconds_per_epoch : float
        Mean CPU time (``time.process_time``, all threads of this process) of the epochs
        after the first. On a busy machine wall-clock time is inflated by waiting for a
        core; CPU time is not: ``cpu_seconds_per_epoch / cores`` estimates the wall-clock
        time of an epoch on an idle machine with that many cores (a lower bound: it
        assumes every core is kept busy).
    """

    name: str
    recipe: Recipe
    test_accuracy: float
    test_nll: float
    confidence: float
    train_accuracy: float
    val_accuracy: float
    gap: float
    weight_norm: float
    history: dict[str, list[float]]
    epochs_run: int
    best_epoch: int
    seconds_per_epoch: float
    seconds_total: float
    load_average: float
    params: int
    epoch_seconds: list[float] = field(default_factory=list)
    cpu_seconds_per_epoch: float = 0.0


# --------------------------------------------------------------------------- running
def _check_data(data: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    try:
        (x_train, y_train), (x_test, y_test) = data  # type: ignore[misc]
    except (TypeError, ValueError):
        raise TypeError("data must be ((x_train, y_train), (x_test, y_test)), as returned "
                        "by cnn_course.load_dataset") from None
    out = []
    for name, x, y in (("x_train", x_train, y_train), ("x_test", x_test, y_test)):
        x = np.asarray(x)
        if x.ndim not in (3, 4) or not np.issubdtype(x.dtype, np.number) or x.dtype == bool:
            raise ValueError(f"{name} must be images (N, H, W) or (N, H, W, C) of numbers, "
                             f"got shape {x.shape} dtype {x.dtype}")
        if x.ndim == 3:
            x = x[..., None]
        if np.issubdtype(x.dtype, np.floating) and (not np.isfinite(x).all() or x.max() > 255
                                                    or x.min() < 0):
            raise ValueError(f"{name} must hold raw pixel values in [0, 255] (the recipe "
                             f"scales or standardises them itself)")
        yname = "y" + name[1:]
        y = np.asarray(y).reshape(-1) if np.ndim(y) == 2 and np.shape(y)[1] == 1 \
            else np.asarray(y)
        if y.ndim != 1 or len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"{yname} must be integer labels of shape ({len(x)},) or "
                             f"({len(x)}, 1), got shape {np.shape(y)} dtype {y.dtype}")
        if len(y) and y.min() < 0:
            raise ValueError(f"{yname} must be >= 0, got {int(y.min())}")
        out += [x, y.astype(np.int64)]
    if out[0].shape[1:] != out[2].shape[1:]:
        raise ValueError(f"x_train images {out[0].shape[1:]} and x_test images "
                         f"{out[2].shape[1:]} must have the same shape")
    return out[0], out[1], out[2], out[3]


def _kernel_norm(model: Any) -> float:
    total = 0.0
    for v in model.trainable_weights:
        if getattr(v, "path", v.name).endswith("kernel"):
            total += float(np.sum(np.square(keras.ops.convert_to_numpy(v), dtype=np.float64)))
    return math.sqrt(total)


def _scores(p: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(accuracy, mean negative log-likelihood, mean confidence) of probabilities p (N, K)."""
    pred = p.argmax(axis=1)
    nll = -np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1.0))
    return float(np.mean(pred == y)), float(nll.mean()), float(p.max(axis=1).mean())


def _predict_parts(model: Any, parts: Sequence[np.ndarray], batch_size: int = 512
                   ) -> list[np.ndarray]:
    """``model.predict`` on several arrays in ONE call, split back into one result each.

    One call traces the prediction step once; three calls with three different last-batch
    shapes would trace it up to three times (seconds each on a 2-core CPU).
    """
    p = np.asarray(model.predict(np.concatenate(parts), batch_size=batch_size, verbose=0),
                   dtype=np.float64)
    return np.split(p, np.cumsum([len(a) for a in parts])[:-1])


def run_recipe(recipe: Recipe, data: object,
               build: Callable[[tuple[int, ...], int], Any] | None = None,
               seed: int = 0, name: str = "run", verbose: int = 0) -> RecipeResult:
    """Train a fresh network with ``recipe`` on ``data``; measure it on the test images.

    Steps: hold out the last ``validation_split`` of the training images; scale them
    (``x / 255``) or standardise them per channel with the statistics of the remaining
    training images only; put the augmentation (if any) in front of a fresh network from
    ``build``; compile with AdamW (weight decay ``recipe.weight_decay``, 0 = Adam), the
    learning-rate schedule and the label-smoothed cross-entropy; fit with the validation
    images (and early stopping); evaluate on the test images once.

    Parameters
    ----------
    recipe : Recipe
    data : ((x_train, y_train), (x_test, y_test))
        Raw images (uint8 or floats in 0..255), shape (N, H, W) or (N, H, W, C), and
        integer labels (N,) or (N, 1): what :func:`cnn_course.load_dataset` returns.
    build : callable (input_shape, num_classes) -> keras.Model, optional
        Makes a fresh, uncompiled network ending in a softmax; default
        :func:`compact_cnn`.
    seed : int >= 0
        Seeds weights, shuffling, dropout and augmentation (``keras.utils.set_random_seed``):
        the same seed gives the same run.
    name : str
        Label of the run in tables and plots.
    verbose : 0, 1 or 2
        Keras' progress display.

    Returns
    -------
    RecipeResult

    Raises
    ------
    TypeError, ValueError
        Bad ``recipe``, ``data`` (shapes, labels, values outside 0..255) or arguments,
        before any training.

    See Also
    --------
    compare_recipes : several recipes on the same data and seed.
    """
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a cnn_course.recipes.Recipe, got "
                        f"{type(recipe).__name__}")
    x_train, y_train, x_test, y_test = _check_data(data)
    seed = check_int("seed", seed, 0, 2**32 - 1)
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    build = compact_cnn if build is None else build
    if not callable(build):
        raise TypeError(f"build must be a callable (input_shape, num_classes) -> keras.Model, "
                        f"got {type(build).__name__}")
    n = len(x_train)
    n_fit = int(math.floor(n * (1.0 - recipe.validation_split)))
    if n_fit < 1 or n_fit == n:
        raise ValueError(f"validation_split={recipe.validation_split} of {n} training images "
                         f"leaves no image on one side")
    num_classes = int(max(y_train.max(), y_test.max())) + 1
    num_classes = max(num_classes, 2)

    load_start = os.getloadavg()[0]
    start = time.perf_counter()
    x_fit, x_val = x_train[:n_fit], x_train[n_fit:]
    y_fit, y_val = y_train[:n_fit], y_train[n_fit:]
    if recipe.standardize:
        x_fit, x_test_s, x_val = _aug.standardize_per_channel(x_fit, x_test, x_val)
    else:
        x_fit, x_test_s, x_val = (np.asarray(a, dtype=np.float32) / np.float32(255.0)
                                  for a in (x_fit, x_test, x_val))

    keras.utils.set_random_seed(seed)
    shape = tuple(int(d) for d in x_fit.shape[1:])
    network = build(shape, num_classes)
    if not isinstance(network, keras.Model):
        raise TypeError(f"build must return a keras.Model, got {type(network).__name__}")
    if recipe.augment is None:
        model = network
    else:
        inputs = keras.Input(shape=shape, name="image")
        augmented = _aug.standard_augmentation(recipe.augment, image_size=shape[0],
                                               seed=seed)(inputs)
        model = keras.Model(inputs, network(augmented), name=f"{network.name}_augmented")

    steps = _schedules.steps_per_epoch(n_fit, recipe.batch_size)
    total = recipe.epochs * steps
    lr: Any = float(recipe.learning_rate)
    if recipe.schedule == "cosine":
        lr = _schedules.cosine_schedule(lr, total, warmup_steps=steps if recipe.epochs >= 3
                                        else 0)
    elif recipe.schedule == "one_cycle":
        lr = _schedules.one_cycle_schedule(lr, max(total, 2))
    optimizer = keras.optimizers.AdamW(learning_rate=lr, weight_decay=recipe.weight_decay)
    optimizer.exclude_from_weight_decay(var_names=NO_DECAY)
    model.compile(optimizer=optimizer,
                  loss=keras.losses.CategoricalCrossentropy(
                      label_smoothing=recipe.label_smoothing),
                  metrics=["accuracy"])

    times: list[float] = []
    cpu_times: list[float] = []
    rates: list[float] = []  # learning rate at the end of each epoch
    clock: dict[str, float] = {}

    def epoch_begin(epoch: int, logs: dict | None = None) -> None:
        clock["t"], clock["cpu"] = time.perf_counter(), time.process_time()

    def epoch_end(epoch: int, logs: dict | None = None) -> None:
        times.append(time.perf_counter() - clock["t"])
        cpu_times.append(time.process_time() - clock["cpu"])
        rates.append(float(keras.ops.convert_to_numpy(optimizer.learning_rate)))

    callbacks: list[Any] = [keras.callbacks.LambdaCallback(on_epoch_begin=epoch_begin,
                                                           on_epoch_end=epoch_end)]
    if recipe.early_stopping is not None:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_accuracy", mode="max", patience=recipe.early_stopping,
            restore_best_weights=True))
    eye = np.eye(num_classes, dtype=np.float32)
    _training._build_training_state(model, x_fit[:1], eye[y_fit[:1]])
    history = model.fit(x_fit, eye[y_fit], validation_data=(x_val, eye[y_val]),
                        epochs=recipe.epochs, batch_size=recipe.batch_size, shuffle=True,
                        callbacks=callbacks, verbose=verbose)
    logs = {k: [float(v) for v in vs] for k, vs in history.history.items()}
    logs["learning_rate"] = rates

    k = min(len(x_fit), 5000)
    with quiet_retracing_warning():  # a fresh network traces its own predict step (a false alarm)
        p_test, p_train, p_val = _predict_parts(model, [x_test_s, x_fit[:k], x_val])
    test_acc, test_nll, confidence = _scores(p_test, y_test)
    train_acc = _scores(p_train, y_fit[:k])[0]
    val_acc = _scores(p_val, y_val)[0]
    seconds_total = time.perf_counter() - start
    load = (load_start + os.getloadavg()[0]) / 2
    per_epoch = float(np.mean(times[1:])) if len(times) > 1 else float(times[0])
    cpu_per_epoch = float(np.mean(cpu_times[1:])) if len(times) > 1 else float(cpu_times[0])
    return RecipeResult(
        name=name, recipe=recipe, test_accuracy=test_acc, test_nll=test_nll,
        confidence=confidence, train_accuracy=train_acc, val_accuracy=val_acc,
        gap=train_acc - val_acc, weight_norm=_kernel_norm(network), history=logs,
        epochs_run=len(logs["loss"]), best_epoch=int(np.argmax(logs["val_accuracy"])) + 1,
        seconds_per_epoch=per_epoch, seconds_total=seconds_total, load_average=load,
        params=int(network.count_params()), epoch_seconds=[float(t) for t in times],
        cpu_seconds_per_epoch=cpu_per_epoch)


def ablation(base: Recipe, steps: Sequence[tuple[str, Mapping[str, Any]]],
             base_name: str = "baseline") -> list[tuple[str, Recipe]]:
    """The baseline, then one more technique switched on at each step (cumulatively).

    Parameters
    ----------
    base : Recipe
    steps : sequence of (name, changes)
        ``changes`` is a dict of :class:`Recipe` fields applied on top of the previous
        step's recipe, e.g. ``[("+ standardise", {"standardize": True}), ...]``.
    base_name : str

    Returns
    -------
    list of (name, Recipe), ``len(steps) + 1`` entries, the baseline first.

    Examples
    --------
    >>> [n for n, _ in ablation(Recipe(), [("+ wd", {"weight_decay": 0.05})])]
    ['baseline', '+ wd']
    """
    if not isinstance(base, Recipe):
        raise TypeError(f"base must be a Recipe, got {type(base).__name__}")
    out = [(base_name, base)]
    current = base
    for item in steps:
        if not (isinstance(item, (tuple, list)) and len(item) == 2
                and isinstance(item[0], str) and isinstance(item[1], Mapping)):
            raise TypeError(f"steps must be (name, dict of Recipe fields) pairs, got {item!r}")
        current = current.but(**item[1])
        out.append((item[0], current))
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise ValueError(f"step names must be different, got {names}")
    return out


def compare_recipes(recipes: Sequence[tuple[str, Recipe]] | Mapping[str, Recipe],
                    data: object, build: Callable[[tuple[int, ...], int], Any] | None = None,
                    seed: int = 0, verbose: bool = True) -> list[RecipeResult]:
    """Run several recipes on the same data, network builder and seed; one result each.

    Parameters
    ----------
    recipes : list of (name, Recipe) or dict name -> Recipe
        E.g. from :func:`ablation`.
    data, build, seed
        As in :func:`run_recipe`.
    verbose : bool
        Print one line per finished run (test accuracy, seconds per epoch, load).

    Returns
    -------
    list of RecipeResult, in the order given.
    """
    items = list(recipes.items()) if isinstance(recipes, Mapping) else list(recipes)
    if not items:
        raise ValueError("recipes must not be empty")
    for item in items:
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str)
                and isinstance(item[1], Recipe)):
            raise TypeError(f"recipes must be (name, Recipe) pairs, got {item!r}")
    _check_data(data)
    results = []
    for name, recipe in items:
        result = run_recipe(recipe, data, build=build, seed=seed, name=name)
        results.append(result)
        if verbose:
            print(f"{name:<22} test accuracy {result.test_accuracy:.3f} | "
                  f"{result.epochs_run} epoch(s), {result.seconds_per_epoch:.1f} s/epoch "
                  f"(load average {result.load_average:.1f})", flush=True)
    return results


def results_table(results: Sequence[RecipeResult]) -> str:
    """A plain-text table of results: one row per run, the change from the row above.

    Columns: test accuracy, its change from the previous row, training accuracy (without
    augmentation), validation accuracy, the gap between the two, test NLL, mean confidence,
    kernel norm, epochs run and seconds per epoch.
    """
    if not results or not all(isinstance(r, RecipeResult) for r in results):
        raise TypeError("results must be a non-empty list of RecipeResult")
    width = max(6, *(len(r.name) for r in results))
    head = (f"{'recipe':<{width}}  test acc  change  train acc  val acc    gap  test NLL  "
            f"confid.  |W|  epochs  s/epoch")
    lines = [head, "-" * len(head)]
    prev = None
    for r in results:
        change = "" if prev is None else f"{r.test_accuracy - prev:+.3f}"
        lines.append(f"{r.name:<{width}}  {r.test_accuracy:8.3f}  {change:>6}  "
                     f"{r.train_accuracy:9.3f}  {r.val_accuracy:7.3f}  {r.gap:5.3f}  "
                     f"{r.test_nll:8.3f}  {r.confidence:7.3f}  {r.weight_norm:4.0f}  "
                     f"{r.epochs_run:6d}  {r.seconds_per_epoch:7.1f}")
        prev = r.test_accuracy
    return "\n".join(lines)


def plot_results(results: Sequence[RecipeResult]) -> Figure:
    """Validation accuracy and training loss per epoch of each run, one line per recipe.

    Returns
    -------
    matplotlib.figure.Figure with two axes ("Validation accuracy", "Training loss").
    """
    import matplotlib.pyplot as plt

    if not results or not all(isinstance(r, RecipeResult) for r in results):
        raise TypeError("results must be a non-empty list of RecipeResult")
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(12, 4))
    for r in results:
        epochs = np.arange(1, r.epochs_run + 1)
        ax_acc.plot(epochs, r.history["val_accuracy"], "o-", ms=3, label=r.name)
        ax_loss.plot(epochs, r.history["loss"], "o-", ms=3, label=r.name)
    ax_acc.set(title="Validation accuracy", xlabel="epoch", ylabel="accuracy")
    ax_loss.set(title="Training loss (as optimised: smoothed, augmented)", xlabel="epoch",
                ylabel="loss")
    ax_acc.legend(fontsize=8)
    fig.tight_layout()
    return fig
