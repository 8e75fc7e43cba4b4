"""Packaging: pyproject.toml and environment.yml agree; the NumPy modules stay TensorFlow-free."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli", reason="tomli is needed to read TOML on Python 3.10")

yaml = pytest.importorskip("yaml", reason="pyyaml (in the test extra) reads environment.yml")

# Same package, different name on PyPI and conda-forge (none today; add here if needed).
CONDA_TO_PYPI: dict[str, str] = {}
_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:>=\s*([0-9][^,;\s]*))?"
                  r"\s*(.*)$")


def _parse(requirement: str) -> tuple[str, str | None]:
    """'numpy>=1.26' -> ('numpy', '1.26'); fails on pins or upper bounds (lower bounds only)."""
    m = _REQ.match(requirement)
    assert m, f"cannot parse requirement {requirement!r}"
    name, lower, rest = m.groups()
    assert not rest.strip(), (f"{requirement!r}: use a lower bound only ('name>=x.y'), "
                              f"no pins, upper bounds or markers")
    name = re.sub(r"[-_.]+", "-", name).lower()
    return CONDA_TO_PYPI.get(name, name), lower


def _pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def _environment() -> dict:
    with open(ROOT / "environment.yml") as f:
        return yaml.safe_load(f)


def _pyproject_requirements() -> dict[str, str | None]:
    project = _pyproject()["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    parsed = [_parse(r) for r in reqs]
    names = [n for n, _ in parsed]
    assert len(names) == len(set(names)), f"duplicate requirement in pyproject.toml: {names}"
    return dict(parsed)


def _conda_requirements() -> tuple[dict[str, str | None], str | None]:
    env = _environment()
    assert "conda-forge" in env.get("channels", []), "environment.yml must use conda-forge"
    found: list[tuple[str, str | None]] = []
    python = None
    for item in env["dependencies"]:
        if isinstance(item, dict):
            assert set(item) == {"pip"}, f"unexpected section in environment.yml: {item}"
            found += [_parse(r) for r in item["pip"]]
            continue
        name, lower = _parse(item)
        if name == "python":
            python = lower
        elif name != "pip":
            found.append((name, lower))
    names = [n for n, _ in found]
    assert len(names) == len(set(names)), f"duplicate dependency in environment.yml: {names}"
    return dict(found), python


def test_pyproject_and_environment_list_the_same_dependencies():
    pyproject = _pyproject_requirements()
    conda, _ = _conda_requirements()
    only_pyproject = sorted(set(pyproject) - set(conda))
    only_conda = sorted(set(conda) - set(pyproject))
    assert not only_pyproject and not only_conda, (
        f"pyproject.toml only: {only_pyproject}; environment.yml only: {only_conda}")
    differ = {n: (pyproject[n], conda[n]) for n in pyproject if pyproject[n] != conda[n]}
    assert not differ, f"lower bounds differ (pyproject, environment.yml): {differ}"
    assert all(pyproject.values()), "every dependency needs a lower bound"


def test_python_bounds_agree():
    requires = _pyproject()["project"]["requires-python"]
    _, conda_python = _conda_requirements()
    assert requires.replace(" ", "") == ">=3.10"
    assert conda_python == "3.10", f"environment.yml python>={conda_python}, pyproject {requires}"


def test_parser_catches_disagreement():
    assert _parse("scikit_image>=0.21") == ("scikit-image", "0.21")
    assert _parse("keras") == ("keras", None)
    with pytest.raises(AssertionError, match="lower bound only"):
        _parse("numpy<3")


def test_console_script_and_test_extra():
    project = _pyproject()["project"]
    assert project["scripts"]["cnn-course"] == "cnn_course.cli:main"
    names = {_parse(r)[0] for r in project["optional-dependencies"]["test"]}
    assert {"pytest", "hypothesis", "pyyaml"} <= names


# Modules that must import without TensorFlow (docs/developing.md).
TF_FREE = ["config", "data", "conv", "pooling", "filters", "activations", "receptive_field",
           "widgets"]


@pytest.mark.parametrize("module", TF_FREE)
def test_module_does_not_import_tensorflow(module):
    if importlib.util.find_spec(f"cnn_course.{module}") is None:
        pytest.skip(f"cnn_course.{module} does not exist yet")
    code = (f"import sys, cnn_course; cnn_course.{module}; "
            f"bad = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules); "
            f"assert not bad, 'cnn_course.{module} imported ' + ', '.join(bad)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]


def test_numpy_lesson_start_is_tensorflow_free():
    """A NumPy lesson's first cell and a dataset load never pay for a TensorFlow import."""
    code = ("import sys, cnn_course as cc; cc.setup(tensorflow=False, verbose=False); "
            "cc.class_names('mnist')\n"
            "try:\n    cc.load_dataset('fashion_mnist', download=False)\n"
            "except cc.DatasetNotFoundError:\n    pass\n"
            "assert 'tensorflow' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
