"""The examples in the library's docstrings run and print what they show (doctest)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cnn_course

MODULES = sorted(m.name for m in pkgutil.iter_modules(cnn_course.__path__) if not m.name.startswith("_"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"cnn_course.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) of cnn_course.{name} failed"
