"""The one way the course imports its heavy libraries: lazily, on first use.

``import cnn_course`` and the NumPy modules must start in a blink, so TensorFlow, Keras and
ipywidgets are imported only when a function first touches them. Every module that needs
them writes, at the top::

    from ._lazy import keras, tf          # module proxies: nothing is imported yet
    from ._lazy import ipywidgets

and then uses ``keras.layers.Conv2D``, ``tf.GradientTape`` or ``ipywidgets.VBox`` as usual.
The first attribute access imports the real module; TensorFlow's native start-up chatter
(``failed call to cuInit``, the oneDNN banner, ...) is filtered out while it loads, so a
student never sees a pink box of irrelevant warnings. Type hints use ``TYPE_CHECKING``
imports, which cost nothing at run time.

Tests assert that importing :mod:`cnn_course`, :mod:`cnn_course.conv`, ... does not import
TensorFlow; a module-level ``import tensorflow`` anywhere else in the package is a bug.
"""
from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
import tempfile
import types
from typing import Any, Iterator

__all__ = ["LazyModule", "keras", "tf", "ipywidgets", "quiet_native_stderr",
           "quiet_retracing_warning", "is_imported"]

# Start-up chatter TensorFlow's C++ code writes straight to file descriptor 2 on import
# (TF_CPP_MIN_LOG_LEVEL does not silence all of it); it alarms students and says nothing useful.
NATIVE_NOISE = ("All log messages before absl::InitializeLog", "oneDNN custom operations",
                "cudart_stub.cc", "Could not find cuda drivers", "failed call to cuInit",
                "Unable to register cu", "computation_placer", "TF-TRT Warning",
                "This TensorFlow binary is optimized", "To enable the following instructions",
                "rebuild TensorFlow with the appropriate compiler flags", "cuda_executor.cc",
                "gpu_device.cc", "cpu_feature_guard.cc")


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Capture what native code writes to file descriptor 2; re-emit lines that are not noise.

    Python's ``sys.stderr`` is left alone; only the C++ writes to fd 2 are filtered through
    :data:`NATIVE_NOISE`. Where fd 2 cannot be duplicated (some embedded consoles) it does
    nothing.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable fd 2: nothing to filter
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", "replace")
            kept = [line for line in text.splitlines()
                    if line.strip() and not any(n in line for n in NATIVE_NOISE)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


class _DropRetracingWarning(logging.Filter):
    """Drop TensorFlow's "N out of the last M calls to <function ...> triggered tf.function
    retracing" record; let every other record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def quiet_retracing_warning() -> Iterator[None]:
    """Silence TensorFlow's retracing warning while a block runs (only that warning).

    Every fresh Keras model traces its own predict step once, but TensorFlow counts the
    traces of Keras' shared Python function across *all* models and, after five, warns about
    "excessive retracing": a false alarm when a comparison trains one new network after
    another (lesson 15's ablation, lesson 23's table), and half a screen of text a student
    can do nothing about. The filter sits on the ``tensorflow`` logger for the block only.
    """
    logger = logging.getLogger("tensorflow")
    dropper = _DropRetracingWarning()
    logger.addFilter(dropper)
    try:
        yield
    finally:
        logger.removeFilter(dropper)


def _import(name: str) -> types.ModuleType:
    """Import ``name``; TensorFlow and Keras quietly (their start-up noise filtered)."""
    if name in sys.modules:
        return sys.modules[name]
    if name.split(".")[0] in ("tensorflow", "keras"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        with quiet_native_stderr():
            module = importlib.import_module(name)
            _start_devices()
        return module
    return importlib.import_module(name)


def _start_devices() -> None:
    """Let TensorFlow look for its devices now, inside the filter: its first operation would
    otherwise call ``cuInit`` later and print ``E0000 ... failed call to cuInit`` unfiltered."""
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is None:  # Keras on another backend
        return
    try:
        tensorflow.config.list_physical_devices()
    except Exception:  # a broken install shows its error on first real use
        pass


class LazyModule(types.ModuleType):
    """A stand-in for a module that imports the real one on first attribute access.

    Parameters
    ----------
    name : str
        The module to import, e.g. ``"keras"`` or ``"tensorflow"``.

    Examples
    --------
    >>> np_lazy = LazyModule("numpy")
    >>> np_lazy.zeros(2).shape
    (2,)
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._target = name

    def _load(self) -> types.ModuleType:
        return _import(self._target)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return getattr(self._load(), attr)

    def __dir__(self) -> list[str]:
        return dir(self._load())

    def __repr__(self) -> str:
        state = "imported" if is_imported(self._target) else "not imported yet"
        return f"<lazy module {self._target!r} ({state})>"


def is_imported(name: str) -> bool:
    """Whether the module ``name`` has been imported in this process (nothing is imported)."""
    return name in sys.modules


keras = LazyModule("keras")
tf = LazyModule("tensorflow")
ipywidgets = LazyModule("ipywidgets")
