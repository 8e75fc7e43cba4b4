"""``cnn-course doctor``: check the installation and say exactly what to fix.

Each check returns a :class:`Finding` (``ok``, ``warn`` or ``fail``) with what was found and,
when something is wrong, the command or step that fixes it. ``run_doctor`` prints them all
and returns 1 when anything failed (warnings, e.g. no GPU, do not fail).
"""
from __future__ import annotations

import importlib.metadata as metadata
import sys
from dataclasses import dataclass
from typing import Callable

REINSTALL = "run `bash course.sh lab` (or `pip install -e .`) in the course folder"


@dataclass
class Finding:
    """The outcome of one check."""

    name: str
    status: str  # "ok", "warn" or "fail"
    detail: str
    fix: str = ""


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _major(version: str) -> int:
    return int(version.split(".")[0])


def check_python() -> Finding:
    v = sys.version_info
    text = f"Python {v.major}.{v.minor}.{v.micro} at {sys.executable}"
    if v < (3, 10):
        return Finding("python", "fail", text, "install Python 3.10 or newer and recreate .venv "
                       "(`rm -rf .venv && bash course.sh lab`)")
    return Finding("python", "ok", text)


def check_numpy() -> Finding:
    version = _version("numpy")
    if version is None:
        return Finding("numpy", "fail", "NumPy is not installed", REINSTALL)
    return Finding("numpy", "ok", f"NumPy {version}")


def check_tensorflow() -> Finding:
    tf_version, keras_version = _version("tensorflow") or _version("tensorflow-cpu"), _version("keras")
    if tf_version is None:
        return Finding("tensorflow", "fail", "TensorFlow is not installed",
                       "pip install 'tensorflow>=2.16' (or " + REINSTALL + ")")
    if keras_version is None or _major(keras_version) < 3:
        return Finding("tensorflow", "fail", f"TensorFlow {tf_version} with Keras {keras_version}",
                       "the course needs Keras 3: pip install 'tensorflow>=2.16' 'keras>=3'")
    from .._lazy import tf  # imported and started inside the course's native-noise filter

    try:
        tf.config  # noqa: B018 (the first attribute access imports TensorFlow)
    except Exception as exc:  # a broken install: say what Python said
        return Finding("tensorflow", "fail", f"TensorFlow {tf_version} does not import: {exc}",
                       "pip install --force-reinstall 'tensorflow>=2.16'")
    return Finding("tensorflow", "ok", f"TensorFlow {tf_version}, Keras {keras_version}")


def check_jupyterlab() -> Finding:
    version = _version("jupyterlab")
    if version is None:
        return Finding("jupyterlab", "fail", "JupyterLab is not installed", REINSTALL)
    if _major(version) < 4:
        return Finding("jupyterlab", "warn", f"JupyterLab {version} (the course is tested on 4)",
                       "pip install -U 'jupyterlab>=4'")
    return Finding("jupyterlab", "ok", f"JupyterLab {version}")


def check_widgets() -> Finding:
    widgets, lab_ext = _version("ipywidgets"), _version("jupyterlab_widgets")
    if widgets is None:
        return Finding("widgets", "fail", "ipywidgets is not installed", "pip install 'ipywidgets>=8'")
    if _major(widgets) < 8:
        return Finding("widgets", "fail", f"ipywidgets {widgets}", "pip install -U 'ipywidgets>=8'")
    if lab_ext is None:
        return Finding("widgets", "fail", f"ipywidgets {widgets}, but the JupyterLab extension "
                       "jupyterlab_widgets is missing: sliders would show as text",
                       "pip install 'jupyterlab_widgets>=3' and restart JupyterLab")
    return Finding("widgets", "ok", f"ipywidgets {widgets}, JupyterLab extension {lab_ext}")


def check_datasets() -> list[Finding]:
    from ..data import DatasetNotFoundError, dataset_info

    findings = []
    for name in ("fashion_mnist", "mnist", "cifar10"):
        try:
            info = dataset_info(name, download=False)
        except DatasetNotFoundError as exc:
            findings.append(Finding(f"data: {name}", "fail", "not found offline",
                                    str(exc).strip().splitlines()[-1]))
            continue
        except Exception as exc:  # corrupt file etc.: the message names the file
            findings.append(Finding(f"data: {name}", "fail", str(exc),
                                    "delete or replace the file named above"))
            continue
        findings.append(Finding(f"data: {name}", "ok",
                                f"{info['n_train']:,} train / {info['n_test']:,} test "
                                f"from {info['path']} ({info['source']})"))
    return findings


def check_gpu() -> Finding:
    from .._lazy import tf

    try:
        gpus = tf.config.list_physical_devices("GPU")
    except Exception as exc:
        return Finding("gpu", "warn", f"could not ask TensorFlow for GPUs: {exc}")
    if not gpus:
        return Finding("gpu", "warn", "no GPU: every lesson runs on the CPU; in full mode the heavy lessons "
                       "(15-17, 19, 23) run their CPU-sized variant (README: course map)",
                       "for their whole run (the GPU path) use a machine with an NVIDIA GPU and "
                       "`pip install 'tensorflow[and-cuda]'`, or a hosted GPU notebook")
    return Finding("gpu", "ok", ", ".join(g.name for g in gpus))


CHECKS: list[Callable[[], Finding | list[Finding]]] = [
    check_python, check_numpy, check_tensorflow, check_jupyterlab, check_widgets,
    check_datasets, check_gpu,
]


def diagnose() -> list[Finding]:
    """Run every check and return the findings in order."""
    findings: list[Finding] = []
    for check in CHECKS:
        out = check()
        findings.extend(out if isinstance(out, list) else [out])
    return findings


def run_doctor() -> int:
    """Print every finding with its fix; return 1 when any check failed."""
    findings = diagnose()
    marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    for f in findings:
        print(f"[{marks[f.status]}] {f.name:<20} {f.detail}")
        if f.fix and f.status != "ok":
            print(f"       fix: {f.fix}")
    failed = [f for f in findings if f.status == "fail"]
    print(f"\n{len(findings) - len(failed)} of {len(findings)} checks passed"
          + ("" if not failed else "; fix the FAIL lines above"))
    return 1 if failed else 0
