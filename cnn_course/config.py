"""Notebook set-up: run mode, seeds, versions, device and data sources.

The first code cell of every lesson is::

    import cnn_course as cc
    cfg = cc.setup()

``setup`` prints a short report (mode, versions, device, where each dataset would be
loaded from), seeds Python, NumPy and TensorFlow, and returns a :class:`Config` whose
helpers shrink the work in *quick* mode and say so in the output::

    x, y = cfg.subset(x_train, y_train, quick=2000)   # "quick mode: using 2,000 of 60,000 samples"
    model.fit(x, y, epochs=cfg.epochs(10))              # "quick mode: 1 epoch (full mode: 10)"

Modes
-----
``full`` (the default on a student's machine) runs everything as written. ``quick`` (the
default when the ``CI`` environment variable is set) shrinks data and epochs so each
notebook runs in well under a minute on 2 CPU cores. Choose explicitly with
``CNN_COURSE_MODE=quick`` or ``CNN_COURSE_MODE=full``, or ``setup(mode="quick")``.

Budgets
-------
Full mode of a heavy lesson (VGG-16, ResNet-18, the training-recipe ablation) takes hours
on a laptop CPU. Such a lesson offers a *CPU-sized variant* that shows the same point in
about ten minutes on 2 cores, and keeps the whole run as its *GPU path*.
``cfg.budget`` says which one runs: ``'quick'`` (quick mode), ``'cpu'`` (full mode, no GPU
found) or ``'full'`` (full mode with a GPU, or ``setup(cpu_sized=False)`` to run the whole
lesson on a CPU anyway). The helpers take the CPU-sized value as ``cpu=``::

    epochs = cfg.epochs(20, quick=1, cpu=3)   # "full mode, CPU-sized: 3 epochs (GPU path: 20)"

TensorFlow
----------
``setup()`` imports TensorFlow by default (``tensorflow=True``): it is needed to seed
TensorFlow's random generators, to list GPUs and to enable GPU memory growth, and every
Keras lesson needs it anyway. Importing TensorFlow takes about 5 s on a 2-core machine
(NumPy alone: about 0.2 s), so the pure-NumPy lessons (convolution, filters, pooling,
activations) call ``cc.setup(tensorflow=False)``: Python and NumPy are still seeded, and
the report shows the installed TensorFlow/Keras versions read from package metadata
without importing them. Importing this module never imports TensorFlow.
"""
from __future__ import annotations

import os
import platform
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

import numpy as np

from . import __version__
from ._lazy import keras, quiet_native_stderr, tf
from ._kernel import register as register_kernel
from ._validation import check_int
from .data import DATASETS, locate, shown_path

__all__ = ["Config", "setup", "resolve_mode", "MODES", "MODE_ENV"]

MODES = ("quick", "full")
MODE_ENV = "CNN_COURSE_MODE"
_FALSE_WORDS = ("", "0", "false", "no", "off")

T = TypeVar("T")


def _ci_is_set() -> bool:
    """``True`` when the ``CI`` variable is set to anything but an empty/false-like value."""
    return os.environ.get("CI", "").strip().lower() not in _FALSE_WORDS


def resolve_mode(mode: str | None = None) -> str:
    """Return the run mode, ``'quick'`` or ``'full'``.

    Order: the ``mode`` argument; else the ``CNN_COURSE_MODE`` environment variable;
    else ``'quick'`` when ``CI`` is set (to anything but ``''``, ``0``, ``false``, ``no``,
    ``off``) and ``'full'`` otherwise.

    Raises
    ------
    ValueError
        If ``mode`` or ``CNN_COURSE_MODE`` is not ``'quick'`` or ``'full'``.
    """
    if mode is not None:
        if not isinstance(mode, str) or mode.strip().lower() not in MODES:
            raise ValueError(f"mode must be 'quick', 'full' or None; got {mode!r}")
        return mode.strip().lower()
    env = os.environ.get(MODE_ENV)
    if env is not None and env.strip():
        value = env.strip().lower()
        if value not in MODES:
            raise ValueError(f"environment variable {MODE_ENV} must be 'quick' or 'full'; "
                             f"got {env!r}")
        return value
    return "quick" if _ci_is_set() else "full"


def _mode_reason(mode_arg: str | None) -> str:
    if mode_arg is not None:
        return "setup(mode=...)"
    env = os.environ.get(MODE_ENV, "").strip()
    if env:
        return f"{MODE_ENV}={env}"
    return "CI is set" if _ci_is_set() else f"default; set {MODE_ENV}=quick to shrink"


def _fmt(n: int) -> str:
    return f"{n:,}"


@dataclass(frozen=True)
class Config:
    """What a notebook runs with, returned by :func:`setup`.

    Attributes
    ----------
    mode : {'quick', 'full'}
        ``'quick'`` shrinks data and epochs (CI); ``'full'`` runs everything.
    seed : int
        The seed given to Python, NumPy and (if imported) TensorFlow.
    verbose : bool
        Whether the helpers print what they chose.
    tensorflow : bool
        Whether TensorFlow was imported and seeded by :func:`setup`.
    gpus : tuple of str
        Names of the GPUs TensorFlow found (empty: CPU only, or TensorFlow not imported).
    cpu_sized : bool
        In full mode, run the CPU-sized variant of heavy lessons (see :attr:`budget`).
        :func:`setup` sets it when no GPU is found.
    """

    mode: str
    seed: int = 0
    verbose: bool = True
    tensorflow: bool = False
    gpus: tuple[str, ...] = field(default_factory=tuple)
    cpu_sized: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be 'quick' or 'full'; got {self.mode!r}")
        check_int("seed", self.seed, 0, 2**32 - 1)
        if not isinstance(self.cpu_sized, bool):
            raise TypeError(f"cpu_sized must be a bool, got {type(self.cpu_sized).__name__}")

    @property
    def quick(self) -> bool:
        """``True`` in quick mode."""
        return self.mode == "quick"

    @property
    def budget(self) -> str:
        """What a heavy lesson runs: ``'quick'``, ``'cpu'`` or ``'full'``.

        ``'quick'`` in quick mode; in full mode ``'cpu'`` for the CPU-sized variant
        (``cpu_sized``, which :func:`setup` sets when it finds no GPU) and ``'full'`` for the
        whole lesson (the GPU path).
        :meth:`subset`, :meth:`epochs` and :meth:`pick` use their ``cpu=`` value under
        ``'cpu'``.

        Examples
        --------
        >>> Config(mode="full", cpu_sized=True).budget, Config(mode="quick").budget
        ('cpu', 'quick')
        """
        if self.quick:
            return "quick"
        return "cpu" if self.cpu_sized else "full"

    def _say(self, text: str) -> None:
        if self.verbose:
            print(text)

    def rng(self, offset: int = 0) -> np.random.Generator:
        """A fresh NumPy ``Generator`` seeded with ``seed + offset`` (same numbers every run)."""
        offset = check_int("offset", offset, 0)
        return np.random.default_rng(self.seed + offset)

    def subset(self, x: Any, y: Any = None, quick: int = 2000, cpu: int | None = None):
        """Shrink ``x`` (and ``y`` alike) to ``quick`` samples in quick mode (``cpu`` when CPU-sized).

        In quick mode a seeded random choice of ``quick`` sample indices is taken (sorted,
        so the original order is kept and every class stays represented); the same indices
        are used for ``x`` and ``y``. In full mode the inputs are returned unchanged, or,
        under the CPU-sized budget (:attr:`budget` ``'cpu'``) when ``cpu`` is given, shrunk
        the same way to ``cpu`` samples. When there are no more samples than asked for, the
        inputs are returned unchanged. The choice is printed.

        Parameters
        ----------
        x : array-like, shape (N, ...)
            Samples along the first axis, e.g. images (N, H, W) or (N, H, W, C).
        y : array-like, shape (N,) or (N, 1), optional
            Labels for ``x``.
        quick : int
            Number of samples kept in quick mode (>= 1).
        cpu : int or None
            Number of samples kept by a lesson's CPU-sized variant (>= 1); None keeps them all.

        Returns
        -------
        x_subset, or (x_subset, y_subset) when ``y`` is given.

        Examples
        --------
        >>> cfg = Config(mode="quick", verbose=False)
        >>> x, y = cfg.subset(np.zeros((10, 2)), np.arange(10), quick=3)
        >>> x.shape, y.shape
        ((3, 2), (3,))
        >>> Config(mode="full", verbose=False, cpu_sized=True).subset(np.zeros((10, 2)), cpu=5).shape
        (5, 2)
        """
        quick = check_int("quick", quick, 1)
        if cpu is not None:
            cpu = check_int("cpu", cpu, 1)
        xs, ys = _paired_samples(x, y)
        n = len(xs)
        cpu_sized = self._uses_cpu_value(cpu)
        keep = self._choose(None, quick, cpu)   # None: every sample
        word = "quick mode" if self.quick else ("full mode, CPU-sized" if cpu_sized else "full mode")
        if keep is None:
            self._say(f"{word}: using all {_fmt(n)} samples")
            return (x, y) if y is not None else x
        if n <= keep:
            self._say(f"{word}: using all {_fmt(n)} samples (no more than {_fmt(keep)})")
            return (x, y) if y is not None else x
        idx = np.sort(self.rng().choice(n, size=keep, replace=False))
        gpu = "; GPU path: all" if cpu_sized else ""
        self._say(f"{word}: using {_fmt(keep)} of {_fmt(n)} samples "
                  f"(random subset, seed {self.seed}{gpu})")
        return (xs[idx], ys[idx]) if ys is not None else xs[idx]

    def classes(self, x: Any, y: Any, quick: Sequence[int], names: Sequence[str] | None = None
                ) -> tuple[Any, Any]:
        """Keep only the classes ``quick`` in quick mode; everything in full mode.

        For a network too big to learn ten classes in the few steps quick mode can afford
        (VGG-16, ResNet-18 on a 2-core CPU): a task it *can* learn in them. The labels keep
        their values (the network still has all its outputs); guessing is then right
        ``1 / len(quick)`` of the time. The choice is printed.

        Parameters
        ----------
        x : array-like, shape (N, ...)
        y : array-like of int, shape (N,) or (N, 1)
        quick : sequence of int, at least 2 distinct labels
            The classes kept in quick mode, e.g. ``(6, 8)`` (frog and ship in CIFAR-10).
        names : sequence of str, optional
            Class names, to print the kept classes by name.

        Returns
        -------
        (x_kept, y_kept) : arrays, ``y_kept`` the same shape as ``y``.

        See Also
        --------
        subset : fewer samples of every class.
        cnn_course.training.clearly_above_chance : its ``num_classes`` is ``len(quick)``
            here in quick mode.

        Examples
        --------
        >>> cfg = Config(mode="quick", verbose=False)
        >>> x, y = cfg.classes(np.zeros((6, 2)), np.array([0, 1, 2, 0, 1, 2]), quick=(0, 2))
        >>> y.tolist()
        [0, 2, 0, 2]
        """
        if isinstance(quick, (str, bytes)) or not isinstance(quick, Sequence):
            raise TypeError(f"quick must be a sequence of class labels, got {quick!r}")
        kept = [check_int("quick", c, 0) for c in quick]
        if len(set(kept)) != len(kept) or len(kept) < 2:
            raise ValueError(f"quick must hold at least 2 distinct class labels, got {quick!r}")
        xs, ys = _paired_samples(x, y)
        if ys is None:
            raise TypeError("y must be an array of labels, got None")
        if names is not None and max(kept) >= len(names):
            raise ValueError(f"quick holds label {max(kept)}, but names has only "
                             f"{len(names)} entries")
        if not self.quick:
            self._say("full mode: every class")
            return x, y
        mask = np.isin(np.asarray(ys).reshape(len(ys), -1)[:, 0], kept)
        if not mask.any():
            raise ValueError(f"no sample has a label in {kept}")
        shown = ", ".join(names[c] for c in kept) if names is not None else str(kept)[1:-1]
        self._say(f"quick mode: {len(kept)} classes ({shown}), {_fmt(int(mask.sum()))} of "
                  f"{_fmt(len(xs))} samples (full mode: every class)")
        return xs[mask], ys[mask]

    def epochs(self, full: int, quick: int = 1, cpu: int | None = None) -> int:
        """Number of training epochs: ``full`` in full mode, ``quick`` in quick mode (printed).

        Parameters
        ----------
        full : int
            Epochs of the whole lesson (>= 1): full mode with a GPU, the GPU path.
        quick : int
            Epochs in quick mode (>= 1).
        cpu : int or None
            Epochs of the lesson's CPU-sized variant (:attr:`budget` ``'cpu'``, >= 1);
            None: as ``full``.

        Returns
        -------
        int

        Examples
        --------
        >>> Config(mode="full", verbose=False, cpu_sized=True).epochs(20, quick=1, cpu=3)
        3
        """
        full = check_int("full", full, 1)
        quick = check_int("quick", quick, 1)
        if cpu is not None:
            cpu = check_int("cpu", cpu, 1)
        n = self._choose(full, quick, cpu)
        word = "epoch" if n == 1 else "epochs"
        self._say(self._choice_text(f"{n} {word}", full, cpu))
        return n

    def pick(self, full: T, quick: T, what: str | None = None, cpu: T | None = None) -> T:
        """Return ``full`` in full mode and ``quick`` in quick mode.

        Parameters
        ----------
        full, quick : object
            The value for full mode (the whole lesson, its GPU path) and for quick mode.
        what : str or None
            A name for the value (e.g. ``"images per class"``): the choice is printed.
        cpu : object or None
            The value for the lesson's CPU-sized variant (:attr:`budget` ``'cpu'``);
            None: as ``full``.

        Examples
        --------
        >>> Config(mode="full", verbose=False, cpu_sized=True).pick(40, 12, cpu=20)
        20
        """
        if what is not None and not isinstance(what, str):
            raise TypeError(f"what must be a str or None, got {type(what).__name__}")
        value = self._choose(full, quick, cpu)
        if what:
            self._say(self._choice_text(f"{what} = {value!r}", full, cpu, shown=repr))
        return value

    def _uses_cpu_value(self, cpu: object) -> bool:
        """True when a lesson's CPU-sized value ``cpu`` is the one that runs."""
        return self.budget == "cpu" and cpu is not None

    def _choose(self, full: T, quick: T, cpu: T | None) -> T:
        if self.quick:
            return quick
        return cpu if self._uses_cpu_value(cpu) else full

    def _choice_text(self, chosen: str, full: Any, cpu: Any, shown: Any = str) -> str:
        if self.quick and self.cpu_sized and cpu is not None:
            return (f"quick mode: {chosen} (full mode: {shown(cpu)} CPU-sized on this machine, "
                    f"{shown(full)} on the GPU path)")
        if self.quick:
            return f"quick mode: {chosen} (full mode: {shown(full)})"
        if self._uses_cpu_value(cpu):
            return f"full mode, CPU-sized: {chosen} (GPU path: {shown(full)})"
        return f"full mode: {chosen}"


def _paired_samples(x: Any, y: Any) -> tuple[Any, Any]:
    """``x`` and ``y`` (None allowed) as sample arrays, checked to have the same length."""
    xs = _as_samples("x", x)
    if y is None:
        return xs, None
    ys = _as_samples("y", y)
    if len(ys) != len(xs):
        raise ValueError(f"x and y must have the same number of samples; "
                         f"got {len(xs)} and {len(ys)}")
    return xs, ys


def _as_samples(name: str, value: Any) -> Any:
    """Return ``value`` as something indexable by an index array, with at least 1 dimension."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of samples, got {type(value).__name__}")
    arr = value if isinstance(value, np.ndarray) else np.asarray(value)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have a first (sample) axis, got a scalar")
    return arr


def _package_version(dist: str) -> str | None:
    """The installed version of ``dist`` from package metadata (nothing is imported)."""
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _init_tensorflow(seed: int) -> tuple[str, str, tuple[str, ...]]:
    """Import TensorFlow/Keras, seed them, enable GPU memory growth. Returns versions, GPUs.

    The first use of the :mod:`cnn_course._lazy` proxies imports TensorFlow with its native
    start-up noise filtered; listing the devices (which may log CUDA errors) is filtered
    the same way.
    """
    with quiet_native_stderr():
        gpus = tf.config.list_physical_devices("GPU")
    names = []
    for gpu in gpus:
        try:  # must happen before the GPU is first used; harmless to skip afterwards
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError):
            pass
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except Exception:  # pragma: no cover - depends on the driver
            details = {}
        names.append(str(details.get("device_name") or gpu.name))
    # Seeds Python's random, NumPy's global generator and TensorFlow's global seed.
    keras.utils.set_random_seed(seed)
    return tf.version.VERSION, keras.version(), tuple(names)


def _data_lines() -> list[str]:
    """One line per dataset: where it would be loaded from (files are not read)."""
    lines = []
    for name in DATASETS:
        try:
            found = locate(name)
        except Exception as exc:  # never let a report line break set-up
            lines.append(f"  {name:<13} ? ({type(exc).__name__}: {exc})")
            continue
        if found is None:
            lines.append(f"  {name:<13} not found offline (Keras download on first use; "
                         f"see `cnn-course data`)")
        else:
            kind, path = found
            lines.append(f"  {name:<13} {kind}: {shown_path(path)}")
    return ["data:"] + lines


def setup(seed: int = 0, mode: str | None = None, verbose: bool = True,
          tensorflow: bool = True, cpu_sized: bool | None = None) -> Config:
    """Prepare a notebook: choose the mode, seed everything and print a short report.

    Parameters
    ----------
    seed : int
        Seed for Python's ``random``, NumPy's global generator and, when ``tensorflow``
        is true, TensorFlow (via ``keras.utils.set_random_seed``). 0 <= seed < 2**32.
    mode : {'quick', 'full'} or None
        None reads ``CNN_COURSE_MODE``; if unset, ``'quick'`` when ``CI`` is set, else
        ``'full'``.
    verbose : bool
        Print the report, and let the :class:`Config` helpers print their choices.
    tensorflow : bool
        Import and seed TensorFlow, list GPUs and enable GPU memory growth (default).
        Pure-NumPy lessons pass ``False`` to skip the ~5 s TensorFlow import.
    cpu_sized : bool or None
        In full mode, run the CPU-sized variant of the heavy lessons (about ten minutes on
        2 cores) instead of the whole lesson (their GPU path). None (default): ``True``
        when no GPU is found (always with ``tensorflow=False``, which does not look for
        GPUs). ``False`` on a CPU runs the whole lesson (hours for some).

    Returns
    -------
    Config
    """
    seed = check_int("seed", seed, 0, 2**32 - 1)
    if not isinstance(verbose, bool):
        raise TypeError(f"verbose must be a bool, got {type(verbose).__name__}")
    if not isinstance(tensorflow, bool):
        raise TypeError(f"tensorflow must be a bool, got {type(tensorflow).__name__}")
    if cpu_sized is not None and not isinstance(cpu_sized, bool):
        raise TypeError(f"cpu_sized must be a bool or None, got {type(cpu_sized).__name__}")
    chosen = resolve_mode(mode)
    register_kernel()  # in Jupyter: a stub or a failing check shows a message, Run All goes on

    random.seed(seed)
    np.random.seed(seed)
    gpus: tuple[str, ...] = ()
    if tensorflow:
        tf_version, keras_version, gpus = _init_tensorflow(seed)
        tf_text = f"TensorFlow {tf_version} | Keras {keras_version}"
        device = ("GPU: " + ", ".join(gpus)) if gpus else "CPU only (no GPU found)"
    else:
        tf_v = _package_version("tensorflow") or "not installed"
        k_v = _package_version("keras") or "not installed"
        tf_text = f"TensorFlow {tf_v} | Keras {k_v} (not imported: setup(tensorflow=False))"
        device = "CPU (NumPy; GPUs not checked because TensorFlow is not imported)"
    if cpu_sized is None:
        cpu_sized = not gpus
    cfg = Config(mode=chosen, seed=seed, verbose=verbose, tensorflow=tensorflow, gpus=gpus,
                 cpu_sized=cpu_sized)

    if verbose:
        lines = [
            f"cnn-course {__version__} | mode: {chosen} ({_mode_reason(mode)}) | seed: {seed}",
            f"Python {platform.python_version()} | NumPy {np.__version__} | {tf_text}",
            f"device: {device}",
        ]
        if tensorflow and cfg.budget == "cpu":
            lines.append("heavy lessons: CPU-sized variants (about 10 min on 2 cores); "
                         "cc.setup(cpu_sized=False) runs them whole")
        elif tensorflow and cfg.budget == "full" and not gpus:
            lines.append("heavy lessons: run whole on the CPU (setup(cpu_sized=False)): hours for some")
        lines += _data_lines()
        print("\n".join(lines))
    return cfg
