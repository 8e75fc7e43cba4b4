"""`cnn-course doctor` reports every part of the installation and says how to fix problems."""
from __future__ import annotations

import importlib.metadata as metadata

from cnn_course.data import DatasetNotFoundError, dataset_info
from cnn_course.tooling import doctor
from cnn_course.tooling.cli import main as cli_main


def test_doctor_reports_every_part_and_the_record_counts_found_here(capsys):
    status = cli_main(["doctor"])
    out = capsys.readouterr().out
    for part in ("python", "numpy", "tensorflow", "jupyterlab", "widgets",
                 "data: fashion_mnist", "data: mnist", "data: cifar10", "gpu"):
        assert part in out, f"doctor does not report {part!r}:\n{out}"
    for name in ("fashion_mnist", "mnist", "cifar10"):
        try:
            info = dataset_info(name, download=False)
        except DatasetNotFoundError:  # this machine lacks it: the doctor must say FAIL
            assert f"[FAIL] data: {name}" in out, out
            continue
        assert f"{info['n_train']:,} train / {info['n_test']:,} test" in out, out
    assert status == (1 if "[FAIL]" in out else 0), out


def test_missing_widget_extension_fails_with_the_fix(monkeypatch):
    real = metadata.version

    def fake_version(dist):
        if dist == "jupyterlab_widgets":
            raise metadata.PackageNotFoundError(dist)
        return real(dist)

    monkeypatch.setattr(doctor.metadata, "version", fake_version)
    finding = doctor.check_widgets()
    assert finding.status == "fail"
    assert "pip install 'jupyterlab_widgets" in finding.fix


def test_keras_2_is_rejected_with_the_fix(monkeypatch):
    real = metadata.version
    monkeypatch.setattr(doctor.metadata, "version",
                        lambda d: "2.15.0" if d == "keras" else real(d))
    finding = doctor.check_tensorflow()
    assert finding.status == "fail" and "Keras 3" in finding.fix


def test_missing_datasets_fail_with_how_to_get_them(monkeypatch, tmp_path):
    from cnn_course import data

    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "SYSTEM_ROOT", tmp_path / "system")
    data.clear_cache()
    findings = {f.name: f for f in doctor.check_datasets()}
    for name in ("fashion_mnist", "mnist", "cifar10"):
        finding = findings[f"data: {name}"]
        assert finding.status == "fail", finding
        assert "CNN_COURSE_DATA" in finding.fix or "internet" in finding.fix, finding
    assert not (tmp_path / "keras").exists(), "the doctor must not download anything"
    data.clear_cache()


def test_doctor_prints_no_tensorflow_start_up_noise():
    """Issue 19: `cnn-course doctor` starts TensorFlow inside the course's one noise filter,
    so neither the import nor the device search (cuInit) writes its native log lines."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    run = subprocess.run([sys.executable, "-m", "cnn_course.tooling.cli", "doctor"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert "[ok  ] tensorflow" in run.stdout, run.stdout + run.stderr
    noise = [line for line in run.stderr.splitlines()
             if any(n in line for n in ("cuInit", "E0000", "oneDNN", "cuda_", "absl::"))]
    assert not noise, "TensorFlow's start-up noise reached stderr:\n" + "\n".join(noise)


def test_first_keras_operation_through_the_proxy_prints_no_noise():
    """Lesson 03's path (issue 19): Keras through the course's proxy, then a first operation.
    TensorFlow calls cuInit when it first looks for devices, after the import: the proxy
    starts the devices inside the filter too."""
    import os
    import subprocess
    import sys

    code = ("import numpy as np\nfrom cnn_course._lazy import keras\n"
            "print(keras.layers.Conv2D(1, 1)(np.zeros((1, 2, 2, 1), 'float32')).shape)")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert run.returncode == 0 and "(1, 2, 2, 1)" in run.stdout, run.stderr
    noise = [line for line in run.stderr.splitlines()
             if any(n in line for n in ("cuInit", "E0000", "oneDNN", "cuda_", "absl::"))]
    assert not noise, "TensorFlow's start-up noise reached stderr:\n" + "\n".join(noise)
