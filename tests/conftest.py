"""Shared test set-up: point CNN_COURSE_DATA at the shared real samples when it is unset."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT.parent / "shared" / "datasets").resolve()

if not os.environ.get("CNN_COURSE_DATA") and SHARED_DATA.is_dir():
    os.environ["CNN_COURSE_DATA"] = str(SHARED_DATA)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
# A failing check or a stub stays a failed cell in every kernel the tests start (in a
# student's Jupyter, Run All goes on past them: cnn_course/_kernel.py).
os.environ.setdefault("CNN_COURSE_STRICT_CHECKS", "1")


def load_tool(name: str) -> ModuleType:
    """``tools/<name>.py`` imported as a module (``tools`` is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def shared_data() -> Path:
    """The shared MNIST/CIFAR-10 samples (skips the test where they are absent)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared dataset samples not found at {SHARED_DATA}")
    return SHARED_DATA
