"""Training, evaluating and analysing a Keras classifier: the steps every lesson repeats.

- :func:`train` compiles (if needed), fits with a validation split *of the
  training data*, shows Keras' progress bar and can checkpoint / resume with
  Keras' own ``ModelCheckpoint`` and ``BackupAndRestore`` callbacks.
- :func:`evaluate` gives the honest test-set loss and accuracy.
- :func:`predict_labels` turns softmax outputs into class indices or names
  (``argmax``; Keras 3 has no ``predict_classes``).
- :func:`train` also times every step of the run (``history.seconds_per_step``,
  :func:`typical_step_seconds`); :func:`seconds_per_step` times extra steps of any
  model (what an epoch of a big network would cost).
- :func:`confusion_matrix` and :func:`per_class_accuracy` (NumPy only) show
  which classes the network confuses.
- :func:`export_weights` writes every trainable variable to a text file.

Keras is reached through the lazy proxy of :mod:`cnn_course._lazy`: importing this module
does not import TensorFlow.

References
----------
.. [1] D. P. Kingma and J. Ba, "Adam: a method for stochastic optimization", ICLR 2015,
   arXiv:1412.6980 (the default optimizer of :func:`train`).
.. [2] I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning*, MIT Press, 2016,
   Sec. 5.3 (validation sets), 7.8 (early stopping: keeping the best weights) and
   Ch. 11 (practical methodology: confusion matrices, per-class performance).
"""
from __future__ import annotations

import json
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._lazy import keras
from ._validation import check_array, check_int, check_model

__all__ = ["clearly_above_chance", 
    "train",
    "progress_verbosity",
    "evaluate",
    "predict_labels",
    "seconds_per_step",
    "typical_step_seconds",
    "confusion_matrix",
    "per_class_accuracy",
    "export_weights",
    "import_weights",
    "BEST_WEIGHTS_FILE",
    "BACKUP_DIR",
    "HISTORY_FILE",
]

#: File names inside ``checkpoint_dir``.
BEST_WEIGHTS_FILE = "best.weights.h5"
BACKUP_DIR = "backup"
HISTORY_FILE = "history.json"


# --------------------------------------------------------------------------- helpers
def _prepare_x(model: Any, x: object, name: str = "x") -> np.ndarray:
    """Check a batch ``x`` against the model's input; add a missing channel axis.

    ``(N, H, W)`` grayscale images become ``(N, H, W, 1)`` when the model takes
    ``(H, W, 1)`` (a view, no copy); any other mismatch raises ``ValueError``.
    """
    arr = check_array(name, x)
    want = tuple(model.input_shape[1:])
    spec = "(N, " + ", ".join("?" if d is None else str(d) for d in want) + ")"

    def fits(shape: tuple[int, ...]) -> bool:
        return len(shape) == len(want) and all(w is None or w == g for w, g in zip(want, shape))

    grayscale_without_channel = (arr.ndim == len(want) and len(want) == 3 and want[-1] == 1
                                 and fits(arr.shape[1:] + (1,)))
    if grayscale_without_channel:
        arr = arr[..., None]
    elif not (arr.ndim == len(want) + 1 and fits(arr.shape[1:])):
        hint = f"; for one image use {name}[None]" if fits(arr.shape) else ""
        raise ValueError(f"{name} must have shape {spec} for model {model.name!r}, "
                         f"got {arr.shape}{hint}")
    if len(arr) == 0:
        raise ValueError(f"{name} must contain at least one image, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values "
                         f"({int((~np.isfinite(arr)).sum()):,} of {arr.size:,}); "
                         f"a network cannot learn from them")
    if arr.dtype == np.uint8:
        warnings.warn(f"{name} has dtype uint8 (pixel values 0..255); networks train much "
                      f"better on floats in [0, 1]: use {name} / 255.0", stacklevel=3)
    return arr


def _labels_1d(name: str, y: object, n: int | None = None) -> np.ndarray:
    """Integer class labels of shape (N,): Keras' CIFAR-10 (N, 1) labels are flattened.

    Floats holding whole numbers are accepted; NaN, fractions and negative labels are
    rejected, and so is a length other than ``n`` (the number of images) when given.
    """
    arr = check_array(name, y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name} must be integer class labels of shape (N,) or (N, 1), "
                         f"got shape {np.shape(y)}")
    if n is not None and len(arr) != n:
        raise ValueError(f"{name} has {len(arr)} labels but x has {n} images")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be >= 0, got {arr.min()}")
    return arr


def _check_label_range(model: Any, y: np.ndarray, name: str) -> None:
    """Labels must be class indices the model has an output for: 0 <= y < K."""
    n_classes = model.output_shape[-1]
    if y.max() >= n_classes:
        raise ValueError(f"{name} must be < {n_classes} (the model's number of classes), "
                         f"got {y.max()}")


def _ensure_compiled(model: Any) -> None:
    """Compile with Adam, sparse categorical cross-entropy and accuracy unless compiled."""
    if getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None:
        return
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])


def _build_training_state(model: Any, x_batch: np.ndarray, y_batch: np.ndarray) -> bool:
    """Create the optimizer's and the metrics' variables before Keras traces a training step.

    Keras' TensorFlow trainer creates them *inside* the first trace of its training step;
    a ``tf.function`` that creates variables is then traced a second time, and for a big
    network that second trace is over a third of the first step's time (2-core CPU, first
    ``fit`` of one batch, traced twice -> once: ResNet-18 15.8 s -> 10.0 s, VGG-16 16.9 s
    -> 9.8 s, the later steps about 2.5 s; ``benchmarks/bench_first_step.py``).
    Keras' own ``Model._symbolic_build`` (what Keras runs first under a distribution
    strategy) creates them from the batch's shapes alone, without computing anything.
    It is a private Keras method: where it is missing or fails, ``fit`` builds what is
    left itself, as before, and only the first step is slower.

    Parameters
    ----------
    model : keras.Model
        Compiled.
    x_batch : array, shape (B, H, W, C)
        One batch of training images (only shapes and dtypes are read).
    y_batch : array, shape (B,) or (B, K)
        Its labels, as ``fit`` will get them.

    Returns
    -------
    bool
        True if ``_symbolic_build`` ran (it builds only what is not built yet).

    See Also
    --------
    train : calls it before ``fit``.
    seconds_per_step : before its warm-up step.
    cnn_course.recipes.run_recipe : before ``fit``.
    """
    build = getattr(model, "_symbolic_build", None)
    if build is None or getattr(model, "optimizer", None) is None:
        return False
    try:
        build(data_batch=(np.asarray(x_batch[:1]), np.asarray(y_batch[:1])))
    except Exception:  # a speed-up only: fit() builds the same state itself
        return False
    return True


def _check_fraction(name: str, value: object) -> float:
    """A float in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a float in [0, 1), got {value!r}")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return float(value)


def _split_sizes(n: int, validation_split: float) -> tuple[int, int]:
    """``(n_train, n_val)`` exactly as Keras splits: ``n_train = floor(n * (1 - split))``."""
    n_train = int(np.floor(n * (1.0 - validation_split))) if validation_split else n
    n_val = n - n_train
    if validation_split and n_val == 0:
        raise ValueError(f"validation_split={validation_split} leaves no validation image "
                         f"out of {n:,}; use more images or validation_split=0")
    if n_train == 0:
        raise ValueError(f"validation_split={validation_split} leaves no training image "
                         f"out of {n:,} (Keras keeps floor({n} * (1 - {validation_split})) = 0 "
                         f"for training); use a smaller validation_split or more images")
    return n_train, n_val


def _check_checkpoint_dir(checkpoint_dir: object) -> Path:
    """A folder that exists or can be created (an existing *file* is refused by name)."""
    if not isinstance(checkpoint_dir, (str, os.PathLike)):
        raise TypeError(f"checkpoint_dir must be a folder path (str or pathlib.Path) or None, "
                        f"got {type(checkpoint_dir).__name__}")
    folder = Path(checkpoint_dir)
    for part in (folder, *folder.parents):
        if part.exists() and not part.is_dir():
            raise ValueError(f"checkpoint_dir must be a folder, but {part} is an existing file; "
                             f"choose another name, e.g. {folder.with_suffix('')}_checkpoints")
    return folder


def _atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class _HistoryLog:
    """The per-epoch logs of a checkpointed run, kept in ``history.json``.

    A resumed ``fit`` only reports the epochs it ran itself; this log lets :func:`train`
    return *all* epochs of the run. At the first epoch of a run, entries for that epoch
    and later ones (left by an interrupted run that got further than its last backup)
    are dropped; a fresh run (first epoch 0) therefore starts an empty history. It also
    carries the "best so far" of the ``ModelCheckpoint`` over the restart, so a worse
    epoch after the restart cannot overwrite the best weights of the earlier run.
    :meth:`callback` wraps it in a public ``keras.callbacks.LambdaCallback``.
    """

    def __init__(self, path: Path, checkpoint: Any = None) -> None:
        self.path = Path(path)
        self.checkpoint = checkpoint
        self.epochs: list[int] = []
        self.logs: dict[str, list[float]] = {}
        self._first = True

    def callback(self) -> keras.callbacks.Callback:
        return keras.callbacks.LambdaCallback(on_train_begin=self.on_train_begin,
                                              on_epoch_begin=self.on_epoch_begin,
                                              on_epoch_end=self.on_epoch_end)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._first = True
        self.epochs, self.logs = [], {}
        if self.path.exists():
            try:
                saved = json.loads(self.path.read_text(encoding="utf-8"))
                self.epochs = [int(e) for e in saved["epoch"]]
                self.logs = {k: [float(v) for v in vs] for k, vs in saved["history"].items()}
            except (ValueError, KeyError, TypeError):
                self.epochs, self.logs = [], {}

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if not self._first:
            return
        self._first = False
        keep = [i for i, e in enumerate(self.epochs) if e < epoch]
        self.epochs = [self.epochs[i] for i in keep]
        self.logs = {k: [v[i] for i in keep] for k, v in self.logs.items()}
        if self.checkpoint is not None and self.logs.get(self.checkpoint.monitor):
            self.checkpoint.best = min(self.logs[self.checkpoint.monitor])

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epochs.append(int(epoch))
        for k, v in (logs or {}).items():
            self.logs.setdefault(k, []).append(float(v))
        _atomic_write_text(self.path, json.dumps({"epoch": self.epochs,
                                                  "history": self.logs}, indent=1))


# --------------------------------------------------------------------------- training
def progress_verbosity() -> int:
    """Keras' ``verbose`` for a long fit: a progress bar wherever someone watches it.

    Returns 1 (Keras' progress bar, redrawn in place with ``\\r``, which JupyterLab and a
    terminal render as one moving bar with the step count, time left and running loss) in a
    Jupyter/IPython kernel or when standard output is a terminal; 2 (one line per epoch)
    when the output goes to a file or a pipe, e.g. a CI log, which then stays short.
    :func:`train` (``verbose="auto"``) and :func:`cnn_course.trained_model` use it, so a
    30-45 s epoch shows signs of life.

    Returns
    -------
    int
        1 or 2, for ``model.fit(..., verbose=progress_verbosity())``.

    See Also
    --------
    train : fits with this verbosity by default.

    References
    ----------
    .. [1] Keras API reference, ``Model.fit`` (``verbose``: 0 silent, 1 progress bar, 2 one
       line per epoch) and ``keras.utils.Progbar``.
    """
    import sys

    ipython = sys.modules.get("IPython")
    if ipython is not None:
        try:
            if ipython.get_ipython() is not None:
                return 1
        except Exception:
            pass
    stream = sys.stdout
    try:
        return 1 if stream is not None and stream.isatty() else 2
    except (AttributeError, ValueError):  # a closed or unusual stream
        return 2


def train(model: keras.Model, x: object, y: object, epochs: int = 5, batch_size: int = 64,
          validation_split: float = 0.1, checkpoint_dir: str | os.PathLike | None = None,
          verbose: str | int = "auto", callbacks: Sequence[Any] | None = None
          ) -> keras.callbacks.History:
    """Fit ``model`` on ``(x, y)``, validating on a held-out part of the *training* data.

    Compiles the model first if it is not compiled (Adam, sparse categorical
    cross-entropy, accuracy). The validation images are the **last**
    ``N - floor(N * (1 - validation_split))`` images of ``x`` (Keras' rule, applied
    before shuffling); the test set is never used here -- keep it for :func:`evaluate`.
    Every argument is checked before any work starts. The optimizer's and the metrics'
    variables are created before ``fit``, so that Keras traces the training step once
    instead of twice (about 6 s less for ResNet-18's first step on 2 CPU cores;
    ``benchmarks/bench_first_step.py``).

    Parameters
    ----------
    model : keras.Model
    x : array, shape (N, H, W, C), or (N, H, W) for a model taking (H, W, 1)
        Training images, preferably floats in [0, 1] (uint8 input triggers a warning).
    y : int array, shape (N,) or (N, 1)
        Class labels ``0..K-1``.
    epochs : int >= 1
        Total number of epochs (a resumed run counts the epochs already done).
    batch_size : int >= 1
    validation_split : float in [0, 1)
        0 disables validation; it must leave at least one image on each side.
    checkpoint_dir : path, optional
        Folder (created if needed; an existing *file* is refused) for
        ``best.weights.h5`` (best weights so far by validation loss, or by training
        loss without validation: Keras ``ModelCheckpoint(save_best_only=True,
        save_weights_only=True)``), ``backup/`` (the latest weights, optimizer state
        and epoch: Keras ``BackupAndRestore(double_checkpoint=True)``, which keeps the
        previous backup too and falls back on it if the latest cannot be read; removed
        when training finishes) and ``history.json`` (the per-epoch logs, written to a
        temporary name and moved into place). Calling ``train`` again after an
        interruption resumes at the first unfinished epoch with the saved weights and
        optimizer state. Load the best weights afterwards with
        ``model.load_weights(Path(checkpoint_dir) / BEST_WEIGHTS_FILE)``.
    verbose : "auto", 0, 1 or 2
        Keras' progress display: 0 silent, 1 a progress bar, 2 one line per epoch;
        "auto" (default) is :func:`progress_verbosity`: the bar in a notebook or a
        terminal, one line per epoch in a log.
    callbacks : list of keras.callbacks.Callback, optional
        Extra callbacks, run after the checkpointing ones.

    Returns
    -------
    keras.callbacks.History
        ``history.history[metric]`` is a list with one value per epoch
        (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``) and
        ``history.epoch`` the 0-based epoch numbers. After a resume both cover
        *all* epochs of the run, those before the interruption included
        (read back from ``history.json``), so ``plot_history`` draws the whole
        curve. ``history.step_seconds`` lists the wall-clock seconds of every
        training step of this call, and ``history.seconds_per_step`` is their
        :func:`typical_step_seconds` (the median after the first, tracing, step;
        NaN after a single step): what a step costs on this machine, measured on the
        run itself rather than by extra steps.

    Raises
    ------
    TypeError
        ``model`` is not a ``keras.Model``, or a callback is not a Keras callback.
    ValueError
        Images or labels of the wrong shape, NaN images, labels outside ``0..K-1``,
        a ``validation_split`` leaving no training or no validation image, or a
        ``checkpoint_dir`` that is an existing file.

    See Also
    --------
    evaluate : the test-set score, once training is over.
    seconds_per_step : what one step of this model costs on this machine.
    cnn_course.plots.plot_history : the learning curves of the returned history.

    References
    ----------
    .. [1] D. P. Kingma and J. Ba, "Adam: a method for stochastic optimization",
       ICLR 2015, arXiv:1412.6980.
    .. [2] L. Prechelt, "Early stopping -- but when?", in *Neural Networks: Tricks of
       the Trade*, Springer, 1998 (keeping the weights of the best validation epoch).
    """
    check_model(model)
    epochs = check_int("epochs", epochs, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    validation_split = _check_fraction("validation_split", validation_split)
    if verbose not in ("auto", 0, 1, 2):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    if verbose == "auto":
        verbose = progress_verbosity()
    folder = None if checkpoint_dir is None else _check_checkpoint_dir(checkpoint_dir)
    extra = list(callbacks or [])
    for cb in extra:
        if not isinstance(cb, keras.callbacks.Callback):
            raise TypeError(f"callbacks must be keras.callbacks.Callback objects, "
                            f"got {type(cb).__name__}")
    xs = _prepare_x(model, x)
    ys = _labels_1d("y", y, len(xs))
    _check_label_range(model, ys, "y")
    n_train, n_val = _split_sizes(len(xs), validation_split)
    _ensure_compiled(model)
    if verbose != 0:
        where = (f"validating on the last {n_val:,} ({validation_split:.0%})"
                 if n_val else "no validation")
        print(f"Training {model.name} on {n_train:,} images, {where}; "
              f"batch size {batch_size}, {epochs} epoch(s)")

    own: list[Any] = []
    log = None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        best = keras.callbacks.ModelCheckpoint(
            filepath=str(folder / BEST_WEIGHTS_FILE), monitor="val_loss" if n_val else "loss",
            mode="min", save_best_only=True, save_weights_only=True)
        log = _HistoryLog(folder / HISTORY_FILE, checkpoint=best)
        backup = keras.callbacks.BackupAndRestore(backup_dir=str(folder / BACKUP_DIR),
                                                  double_checkpoint=True)
        # Order matters at each epoch end: history and best weights are saved before the
        # backup records the epoch as done, so a resume never misses an epoch's logs or
        # best weights; the user's callbacks run last.
        own = [log.callback(), best, backup]
        meta = folder / BACKUP_DIR / "training_metadata.json"
        if verbose != 0 and meta.exists():
            print(f"Resuming from {folder / BACKUP_DIR} after epoch "
                  f"{json.loads(meta.read_text()).get('epoch')}")
    _build_training_state(model, xs[:batch_size], ys[:batch_size])
    timer, step_seconds = _step_timer()
    try:
        history = model.fit(xs, ys, epochs=epochs, batch_size=batch_size,
                            validation_split=validation_split, shuffle=True,
                            callbacks=[timer] + own + extra, verbose=verbose)
    finally:
        if folder is not None:
            # BackupAndRestore tells fit() where to restart by setting the model's
            # _initial_epoch, and Keras never clears it (no public way exists): without
            # this line the next fit() of this model would silently skip those epochs.
            model._initial_epoch = None
    if log is not None:
        history.epoch = list(log.epochs)
        history.history = {k: list(v) for k, v in log.logs.items()}
    history.step_seconds = step_seconds
    history.seconds_per_step = (typical_step_seconds(step_seconds) if len(step_seconds) >= 2
                                else float("nan"))
    return history


def _step_timer() -> tuple[Any, list[float]]:
    """A Keras callback that appends the wall-clock seconds of every training step to a list."""
    seconds: list[float] = []
    clock = {"t": 0.0}

    def begin(batch: int, logs: dict | None = None) -> None:
        clock["t"] = time.perf_counter()

    def end(batch: int, logs: dict | None = None) -> None:
        seconds.append(time.perf_counter() - clock["t"])

    return keras.callbacks.LambdaCallback(on_train_batch_begin=begin,
                                          on_train_batch_end=end), seconds


def typical_step_seconds(step_seconds: Sequence[float]) -> float:
    """The median wall-clock seconds of a training step, leaving out the first step.

    The first step of a run traces the model into a graph (seconds for a big network on
    a CPU) and says nothing about the steps after it; the median also ignores the one
    smaller last batch of an epoch and the odd step slowed by another program.

    Parameters
    ----------
    step_seconds : sequence of float >= 0, length >= 2
        Seconds of each step, in order: ``history.step_seconds`` after :func:`train`.

    Returns
    -------
    float
        ``median(step_seconds[1:])``.

    Raises
    ------
    ValueError
        Fewer than two steps (the only step includes the tracing), or a negative or
        non-finite time.

    See Also
    --------
    train : records ``history.step_seconds`` and sets ``history.seconds_per_step``.
    seconds_per_step : times extra steps of a model that was not trained with :func:`train`.

    Examples
    --------
    >>> typical_step_seconds([9.0, 0.5, 0.4, 0.6, 0.2])
    0.45
    """
    times = np.asarray(list(step_seconds), dtype=float)
    if times.ndim != 1 or len(times) < 2:
        raise ValueError(f"step_seconds needs at least 2 steps (the first traces the graph), "
                         f"got {times.size}")
    if not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValueError("step_seconds must be finite times >= 0")
    return float(np.median(times[1:]))


def seconds_per_step(model: keras.Model, x: object, y: object, batch_size: int = 32,
                     steps: int = 3) -> float:
    """Wall-clock seconds of one training step on this machine (forward, backward, update).

    One warm-up step is run first and not counted (the first call may trace the model
    into a graph), then ``steps`` steps on the first ``batch_size`` images are timed with
    ``time.perf_counter`` and averaged. Multiply by the steps per epoch,
    ``ceil(N / batch_size)``, for what a full epoch costs here (1,563 steps of 32 for
    CIFAR-10's 50,000 images).

    These are real training steps: they **change the model's weights** (and compile
    an uncompiled model with the :func:`train` defaults). Time a model you have trained
    already, or one you will not use afterwards.

    Parameters
    ----------
    model : keras.Model
    x : array, shape (N, H, W, C), or (N, H, W) for a model taking (H, W, 1)
        N >= ``batch_size``.
    y : int array, shape (N,) or (N, 1)
        Class labels ``0..K-1``.
    batch_size : int >= 1
    steps : int, 1..1000
        Timed steps (more steps: a steadier average).

    Returns
    -------
    float
        Mean seconds per step, > 0.

    See Also
    --------
    train : where the time is spent.
    cnn_course.inspection.explain_params : the parameters each step updates.

    References
    ----------
    .. [1] Python documentation, ``time.perf_counter``: a monotonic clock with the
       highest available resolution, for measuring short durations.
    """
    check_model(model)
    batch_size = check_int("batch_size", batch_size, 1)
    steps = check_int("steps", steps, 1, 1000)
    xs = _prepare_x(model, x)
    ys = _labels_1d("y", y, len(xs))
    _check_label_range(model, ys, "y")
    if len(xs) < batch_size:
        raise ValueError(f"x has {len(xs)} images, fewer than batch_size={batch_size}; "
                         f"pass more images or a smaller batch_size")
    _ensure_compiled(model)
    xb, yb = xs[:batch_size], ys[:batch_size]
    _build_training_state(model, xb, yb)
    model.train_on_batch(xb, yb)  # warm-up: the first call may trace a graph
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(xb, yb)
    return (time.perf_counter() - start) / steps



def clearly_above_chance(n: int, num_classes: int = 10, standard_errors: float = 3.0) -> float:
    """The accuracy a trained network must beat to be *clearly* better than guessing.

    A network that guesses among ``num_classes`` classes is right with probability
    ``p = 1 / num_classes``; on ``n`` test images its accuracy has standard error
    ``sqrt(p (1 - p) / n)``. The threshold is ``p + standard_errors * sqrt(p (1 - p) / n)``.

    Parameters
    ----------
    n : int >= 1
        Number of test images the accuracy was measured on.
    num_classes : int >= 2
    standard_errors : float > 0

    Returns
    -------
    float

    See Also
    --------
    evaluate : measures the accuracy to compare with it.

    References
    ----------
    .. [1] L. Wasserman, *All of Statistics*, Springer, 2004, Sec. 6.3 (standard error of a
       proportion).

    Examples
    --------
    >>> round(clearly_above_chance(1017), 3)
    0.128
    """
    n = check_int("n", n, 1)
    num_classes = check_int("num_classes", num_classes, 2)
    if isinstance(standard_errors, bool) or not isinstance(standard_errors, (int, float)) \
            or not standard_errors > 0:
        raise ValueError(f"standard_errors must be a number > 0, got {standard_errors!r}")
    p = 1.0 / num_classes
    return float(p + standard_errors * np.sqrt(p * (1 - p) / n))

def evaluate(model: keras.Model, x_test: object, y_test: object, batch_size: int = 256
             ) -> dict[str, float]:
    """Loss and accuracy of ``model`` on held-out data (the honest test score).

    Parameters
    ----------
    model : keras.Model
        Compiled here with the :func:`train` defaults if it is not compiled.
    x_test : array, shape (N, H, W, C) or (N, H, W)
    y_test : int array, shape (N,) or (N, 1)
    batch_size : int >= 1

    Returns
    -------
    dict
        ``{"loss": mean cross-entropy, "accuracy": fraction correct}`` as floats.

    See Also
    --------
    train : fit the model first (on the training data only).
    predict_labels : the predicted class of each image.
    confusion_matrix : which classes are mistaken for which.

    References
    ----------
    .. [1] I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning*, MIT Press, 2016,
       Sec. 5.3: the test set estimates the generalisation error only if it was never
       used to choose the model.
    """
    check_model(model)
    batch_size = check_int("batch_size", batch_size, 1)
    xs = _prepare_x(model, x_test, "x_test")
    ys = _labels_1d("y_test", y_test, len(xs))
    _check_label_range(model, ys, "y_test")
    _ensure_compiled(model)
    result = model.evaluate(xs, ys, batch_size=batch_size, verbose=0, return_dict=True)
    out = {"loss": float(result["loss"])}
    acc = [k for k in result if k.endswith("accuracy")]
    if acc:
        out["accuracy"] = float(result[acc[0]])
    else:  # compiled by the student without an accuracy metric
        pred = np.argmax(model.predict(xs, batch_size=batch_size, verbose=0), axis=-1)
        out["accuracy"] = float(np.mean(pred == ys))
    return out


def predict_labels(model: keras.Model, x: object, class_names: Sequence[str] | None = None,
                   batch_size: int = 256) -> np.ndarray:
    """Predicted class of each image: ``argmax`` of the softmax output.

    Parameters
    ----------
    model : keras.Model
    x : array, shape (N, H, W, C) or (N, H, W)
    class_names : sequence of K str, optional
        When given, names are returned instead of indices.
    batch_size : int >= 1

    Returns
    -------
    ndarray, shape (N,)
        Integer class indices, or the class names (dtype str) when
        ``class_names`` is given.

    See Also
    --------
    evaluate : the accuracy of these predictions against true labels.
    confusion_matrix : count predictions per (true, predicted) pair.
    cnn_course.data.class_names : the names of a dataset's classes.
    """
    check_model(model)
    batch_size = check_int("batch_size", batch_size, 1)
    k = model.output_shape[-1]
    if class_names is not None:
        if isinstance(class_names, str) or not all(isinstance(c, str) for c in class_names):
            raise TypeError("class_names must be a list of str, e.g. cnn_course.class_names("
                            "'cifar10')")
        if len(class_names) != k:
            raise ValueError(f"class_names has {len(class_names)} names but the model "
                             f"predicts {k} classes")
    xs = _prepare_x(model, x)
    probs = model.predict(xs, batch_size=batch_size, verbose=0)
    labels = np.argmax(probs, axis=-1)
    if class_names is None:
        return labels
    return np.asarray(class_names)[labels]


# --------------------------------------------------------------------------- analysis
def confusion_matrix(y_true: object, y_pred: object, num_classes: int | None = None
                     ) -> np.ndarray:
    """Count how often each true class is predicted as each class.

    ``cm[i, j]`` = number of samples with true class ``i`` predicted as ``j``
    (rows true, columns predicted; the diagonal holds the correct ones).

    Parameters
    ----------
    y_true, y_pred : int array, shape (N,) or (N, 1)
        Labels ``0..K-1`` (e.g. from :func:`predict_labels`).
    num_classes : int >= 1, optional
        K; defaults to ``max(y_true.max(), y_pred.max()) + 1``.

    Returns
    -------
    ndarray of int64, shape (K, K)
        ``cm.sum() == N``.

    See Also
    --------
    per_class_accuracy : the diagonal divided by the row sums.
    cnn_course.plots.plot_confusion_matrix : draw it.

    References
    ----------
    .. [1] I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning*, MIT Press, 2016,
       Ch. 11 (practical methodology: performance metrics).

    Examples
    --------
    >>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2])
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    t = _labels_1d("y_true", y_true)
    p = _labels_1d("y_pred", y_pred)
    if len(t) != len(p):
        raise ValueError(f"y_true and y_pred must have the same length, got {len(t)} and {len(p)}")
    if num_classes is None:
        if len(t) == 0:
            raise ValueError("num_classes is required when y_true is empty")
        k = int(max(t.max(), p.max())) + 1
    else:
        k = check_int("num_classes", num_classes, 1)
        for name, arr in (("y_true", t), ("y_pred", p)):
            if arr.size and arr.max() >= k:
                raise ValueError(f"{name} must be < num_classes={k}, got {arr.max()}")
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


def per_class_accuracy(cm: object) -> np.ndarray:
    """Accuracy of each true class (recall): ``cm[i, i] / cm[i, :].sum()``.

    Parameters
    ----------
    cm : int array, shape (K, K)
        A confusion matrix, rows true, columns predicted.

    Returns
    -------
    ndarray of float, shape (K,)
        ``nan`` for a class with no sample.

    See Also
    --------
    confusion_matrix : what ``cm`` is.

    Examples
    --------
    >>> per_class_accuracy([[3, 1], [0, 2]])
    array([0.75, 1.  ])
    """
    m = check_array("cm", cm, ndims=(2,))
    if m.shape[0] != m.shape[1] or m.shape[0] == 0:
        raise ValueError(f"cm must be a square (K, K) matrix, got shape {m.shape}")
    if np.any(m < 0):
        raise ValueError("cm must hold counts >= 0")
    totals = m.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(m) / np.where(totals > 0, totals, 1), np.nan)


def export_weights(model: keras.Model, path: str | os.PathLike, precision: int = 7) -> Path:
    """Write every trainable variable's name, shape and values to a text file.

    One block per variable, in ``model.trainable_variables`` order::

        conv1/kernel
        shape: (3, 3, 1, 64)
        0.05102 -0.02133 ... (64 values: kernel[0, 0, 0, :])
        ...                  (one line per index of the leading axes, 9 lines here)
        <blank line>

    The values are written row by row along the **last** axis (C order), so a
    Dense kernel ``(n_in, n_out)`` gives ``n_in`` lines of ``n_out`` numbers and
    a bias one line. All values are written (no ``...``): a large model gives a
    large file. The file is written to a temporary name and moved into place.

    Parameters
    ----------
    model : keras.Model
    path : str or PathLike
    precision : int, 1..17
        Significant digits of each value (``%.<precision>g``).

    Returns
    -------
    pathlib.Path
        The file written.

    See Also
    --------
    cnn_course.inspection.explain_params : how many values each variable holds.
    cnn_course.inspection.plot_kernels : the first layer's kernels as images.
    """
    check_model(model)
    precision = check_int("precision", precision, 1, 17)
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"path must be a file name, got the folder {path}")
    if not path.parent.exists():
        raise ValueError(f"path's folder {path.parent} does not exist")
    variables = model.trainable_variables
    total = sum(int(np.prod(v.shape)) for v in variables)
    parts = [f"# trainable variables of model {model.name!r}: {len(variables)} variables, "
             f"{total:,} values; each line is one row along the last axis\n\n"]
    fmt = f"%.{precision}g"
    for v in variables:
        values = np.asarray(v.numpy(), dtype=np.float64)
        rows = values.reshape(-1, values.shape[-1] if values.ndim else 1)
        line = " ".join([fmt] * rows.shape[1])
        text = "\n".join(line % tuple(row) for row in rows.tolist())
        parts.append(f"{getattr(v, 'path', v.name)}\nshape: {tuple(values.shape)}\n{text}\n\n")
    _atomic_write_text(path, "".join(parts))
    return path


def import_weights(model: keras.Model, path: str | os.PathLike) -> keras.Model:
    """Read a file written by :func:`export_weights` back into ``model``'s variables.

    Every block (variable name, ``shape: (...)``, the values row by row) must name one of
    ``model.trainable_variables`` with the same shape, and every trainable variable must
    have a block: a file from another architecture is refused, nothing is half-loaded
    (all blocks are read and checked before any variable is assigned). The values come
    back rounded to the file's ``precision`` significant digits, so the rebuilt model's
    predictions differ from the original's by about that rounding, no more.

    Only trainable variables are in the file: the moving mean and variance of a
    ``BatchNormalization`` layer are not, so a model with BatchNorm does not come back
    exactly from such a file (use ``model.save_weights`` for that).

    Parameters
    ----------
    model : keras.Model
        A model of the same architecture (e.g. freshly built by the same function).
    path : str or PathLike
        A file written by :func:`export_weights`.

    Returns
    -------
    keras.Model
        ``model``, its trainable variables now holding the file's values.

    Raises
    ------
    TypeError
        ``model`` is not a ``keras.Model``.
    ValueError
        The file is missing or malformed, names an unknown variable, has a shape or value
        count that does not match, or lacks one of the model's variables.

    See Also
    --------
    export_weights : the writer, with the file's format.

    References
    ----------
    .. [1] F. Chollet et al., "Keras: saving and serialization",
       https://keras.io/guides/serialization_and_saving/ (the binary formats this text
       file stands in for).
    """
    check_model(model)
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path must be a file written by export_weights, got {path}")
    wanted = {getattr(v, "path", v.name): v for v in model.trainable_variables}
    blocks = [b for b in path.read_text().split("\n\n") if b.strip() and not b.startswith("#")]
    values: dict[str, np.ndarray] = {}
    for block in blocks:
        lines = block.strip("\n").split("\n")
        name = lines[0]
        if len(lines) < 2 or not lines[1].startswith("shape: "):
            raise ValueError(f"{path}: block {name!r} has no 'shape: (...)' line")
        if name not in wanted:
            raise ValueError(f"{path}: variable {name!r} is not a trainable variable of "
                             f"model {model.name!r} (its variables: {sorted(wanted)})")
        shape = tuple(int(d) for d in lines[1][len("shape: "):].strip("()").split(",") if d.strip())
        if shape != tuple(wanted[name].shape):
            raise ValueError(f"{path}: variable {name!r} has shape {shape} in the file and "
                             f"{tuple(wanted[name].shape)} in the model")
        flat = np.array(" ".join(lines[2:]).split(), dtype=np.float64)
        if flat.size != int(np.prod(shape)):
            raise ValueError(f"{path}: variable {name!r} has {flat.size} values, its shape "
                             f"{shape} needs {int(np.prod(shape))}")
        values[name] = flat.reshape(shape)
    missing = sorted(set(wanted) - set(values))
    if missing:
        raise ValueError(f"{path} lacks the model's variables {missing}")
    for name, value in values.items():
        wanted[name].assign(value.astype(wanted[name].dtype))
    return model
