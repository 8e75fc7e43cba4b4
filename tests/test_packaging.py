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
    assert project["scripts"]["cnn-course"] == "cnn_course.tooling.cli:main"
    names = {_parse(r)[0] for r in project["optional-dependencies"]["test"]}
    assert {"pytest", "hypothesis", "pyyaml"} <= names


# Importing any module of the package must not import TensorFlow or Keras: they are reached
# only through the lazy proxies of cnn_course._lazy (docs/developing.md, "Layout"). These
# modules must exist; every other module found in the package is checked too.
TF_FREE = ["cnn_course", "cnn_course._lazy", "cnn_course._validation", "cnn_course.padding",
           "cnn_course.conv", "cnn_course.pooling", "cnn_course.filters",
           "cnn_course.activations", "cnn_course.receptive_field", "cnn_course.widgets",
           "cnn_course.images", "cnn_course.config", "cnn_course.data", "cnn_course.plots",
           "cnn_course.models", "cnn_course.training", "cnn_course.inspection"]
# NumPy-only modules from the backprop lessons, checked once they exist.
OPTIONAL_TF_FREE = ["cnn_course.backprop", "cnn_course.losses", "cnn_course.optimizers",
                    "cnn_course.gradient_check"]


TF_FREE_ALL = TF_FREE + [m for m in OPTIONAL_TF_FREE if importlib.util.find_spec(m)]
HEAVY = ("tensorflow", "keras")


def test_the_tensorflow_free_modules_exist():
    missing = [m for m in TF_FREE if importlib.util.find_spec(m) is None]
    assert not missing, f"modules listed in TF_FREE are missing: {missing}"


@pytest.mark.parametrize("module", TF_FREE_ALL)
def test_importing_a_module_does_not_import_tensorflow(module):
    code = (f"import sys, importlib; importlib.import_module({module!r}); "
            f"bad = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules); "
            f"assert not bad, {module!r} + ' imported ' + ', '.join(bad)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]


def _heavy_imports(path: Path, root: Path = ROOT) -> list[str]:
    """``import tensorflow/keras`` statements of a file outside ``if TYPE_CHECKING:`` blocks."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    hints: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hints |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    found = []
    for node in ast.walk(tree):
        if id(node) in hints:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(n.split(".")[0] in HEAVY for n in names):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_keras_and_tensorflow_are_imported_one_way():
    """Only through ``from ._lazy import keras, tf``: no ``import keras`` anywhere else,
    at module level or inside a function (type hints under TYPE_CHECKING excepted)."""
    files = sorted((ROOT / "cnn_course").rglob("*.py"))
    offenders = [hit for f in files if f.name != "_lazy.py" for hit in _heavy_imports(f)]
    assert not offenders, "import them with `from ._lazy import keras, tf`:\n" + "\n".join(offenders)


def test_the_import_scan_finds_a_function_local_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    import keras\n    from tensorflow import nn\n"
                     "if TYPE_CHECKING:\n    import keras\n")
    hits = _heavy_imports(probe, root=tmp_path)
    assert [h.split(": ", 1)[1] for h in hits] == ["import keras", "from tensorflow import nn"]


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
