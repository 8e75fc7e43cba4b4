"""cnn_course.config: mode, seeding, report, and the Config helpers."""
from __future__ import annotations

import logging
import os
import random
import sys
import types

import numpy as np
import pytest

from cnn_course import _lazy, config
from cnn_course.config import Config, resolve_mode, setup


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("CNN_COURSE_MODE", raising=False)
    monkeypatch.delenv("CI", raising=False)
    return monkeypatch


# ----------------------------------------------------------------------------- mode
@pytest.mark.parametrize("env, ci, expected", [
    (None, None, "full"),
    (None, "true", "quick"),
    (None, "1", "quick"),
    (None, "false", "full"),
    (None, "", "full"),
    ("quick", None, "quick"),
    ("full", "true", "full"),          # an explicit mode beats CI
    (" QUICK ", None, "quick"),
])
def test_resolve_mode_from_environment(clean_env, env, ci, expected):
    if env is not None:
        clean_env.setenv("CNN_COURSE_MODE", env)
    if ci is not None:
        clean_env.setenv("CI", ci)
    assert resolve_mode() == expected


def test_mode_argument_beats_environment(clean_env):
    clean_env.setenv("CNN_COURSE_MODE", "quick")
    assert resolve_mode("full") == "full"


def test_bad_mode_variable_names_the_variable(clean_env):
    clean_env.setenv("CNN_COURSE_MODE", "fast")
    with pytest.raises(ValueError, match="CNN_COURSE_MODE.*'fast'"):
        resolve_mode()
    with pytest.raises(ValueError, match="CNN_COURSE_MODE"):
        setup(tensorflow=False, verbose=False)


@pytest.mark.parametrize("bad", ["fast", "", 1])
def test_bad_mode_argument(clean_env, bad):
    with pytest.raises(ValueError, match="mode must be"):
        resolve_mode(bad)


# ----------------------------------------------------------------------------- setup
def test_setup_without_tensorflow_reports_and_seeds(clean_env, capsys):
    clean_env.setenv("CI", "true")
    cfg = setup(seed=3, tensorflow=False)
    out = capsys.readouterr().out
    assert isinstance(cfg, Config)
    assert (cfg.mode, cfg.quick, cfg.seed, cfg.tensorflow) == ("quick", True, 3, False)
    assert "mode: quick (CI is set)" in out
    assert f"NumPy {np.__version__}" in out and "Python 3." in out
    assert "TensorFlow" in out and "not imported" in out
    for name in ("mnist", "fashion_mnist", "cifar10"):
        assert name in out
    assert len(out.strip().splitlines()) <= 8, "the report should stay compact"
    a = (random.random(), np.random.rand())
    random.seed(3)
    np.random.seed(3)
    assert a == (random.random(), np.random.rand())


def test_setup_quiet(clean_env, capsys):
    setup(tensorflow=False, verbose=False, mode="full")
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("kwargs, exc", [
    ({"seed": -1}, ValueError), ({"seed": 2**32}, ValueError), ({"seed": 1.5}, TypeError),
    ({"seed": True}, TypeError), ({"verbose": "yes"}, TypeError),
    ({"tensorflow": 1}, TypeError), ({"mode": "slow"}, ValueError),
])
def test_setup_rejects_bad_arguments(clean_env, kwargs, exc):
    with pytest.raises(exc):
        setup(**{"tensorflow": False, "verbose": False, **kwargs})


def test_setup_with_tensorflow_seeds_tf_and_reports_device(clean_env, capsys):
    tf = pytest.importorskip("tensorflow")
    cfg = setup(seed=5, mode="full")
    out = capsys.readouterr().out
    assert f"TensorFlow {tf.__version__}" in out and "Keras 3." in out
    if not tf.config.list_physical_devices("GPU"):
        assert "device: CPU only (no GPU found)" in out
        assert cfg.gpus == ()
    first = tf.random.uniform((3,)).numpy()
    setup(seed=5, mode="full", verbose=False)
    assert np.array_equal(first, tf.random.uniform((3,)).numpy())


def test_gpu_memory_growth_and_names_with_fake_gpus(clean_env, monkeypatch, capsys):
    tf = pytest.importorskip("tensorflow")
    gpus = [types.SimpleNamespace(name="/physical_device:GPU:0"),
            types.SimpleNamespace(name="/physical_device:GPU:1")]
    grown = []

    def set_memory_growth(gpu, flag):
        if gpu is gpus[1]:  # e.g. already initialised: must not make setup fail
            raise RuntimeError("Physical devices cannot be modified after being initialized")
        grown.append((gpu.name, flag))

    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: gpus if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "set_memory_growth", set_memory_growth)
    monkeypatch.setattr(tf.config.experimental, "get_device_details",
                        lambda gpu: {"device_name": "Fake H100"} if gpu is gpus[0] else {})
    cfg = setup(mode="full")
    out = capsys.readouterr().out
    assert grown == [("/physical_device:GPU:0", True)]
    assert cfg.gpus == ("Fake H100", "/physical_device:GPU:1")
    assert "device: GPU: Fake H100, /physical_device:GPU:1" in out
    assert cfg.budget == "full" and "CPU-sized" not in out   # with a GPU: the whole lesson


def test_budget_cpu_sized_without_a_gpu_unless_asked(clean_env, monkeypatch, capsys):
    tf = pytest.importorskip("tensorflow")
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    cfg = setup(mode="full")
    assert cfg.budget == "cpu" and cfg.cpu_sized
    assert "heavy lessons: CPU-sized variants" in capsys.readouterr().out
    cfg = setup(mode="full", cpu_sized=False)
    assert cfg.budget == "full"
    assert "run whole on the CPU" in capsys.readouterr().out
    assert setup(mode="quick", verbose=False).budget == "quick"
    numpy_only = setup(mode="full", tensorflow=False)   # GPUs not looked for: CPU-sized, said nowhere
    assert numpy_only.budget == "cpu" and "heavy lessons" not in capsys.readouterr().out
    with pytest.raises(TypeError, match="cpu_sized"):
        setup(mode="full", cpu_sized="no", verbose=False)
    with pytest.raises(TypeError, match="cpu_sized"):
        Config(mode="full", cpu_sized=1)


def test_cpu_values_used_only_by_the_cpu_sized_budget(capsys):
    cpu, whole, quick = (Config(mode="full", seed=3, cpu_sized=True), Config(mode="full"),
                         Config(mode="quick"))
    x, y = np.arange(100).repeat(2).reshape(100, 2), np.arange(100)
    assert len(cpu.subset(x, y, quick=10, cpu=30)[1]) == 30
    assert ("full mode, CPU-sized: using 30 of 100 samples (random subset, seed 3; GPU path: all)"
            in capsys.readouterr().out)
    assert whole.subset(x, y, quick=10, cpu=30)[0] is x
    assert len(quick.subset(x, y, quick=10, cpu=30)[1]) == 10
    capsys.readouterr()
    assert cpu.subset(x, y, quick=10)[0] is x     # no cpu= value: everything, as on the GPU path
    assert "full mode: using all 100 samples" in capsys.readouterr().out   # not called CPU-sized
    assert Config(mode="full", cpu_sized=True, verbose=False).subset(x, cpu=500) is x
    capsys.readouterr()
    assert cpu.epochs(20, quick=1, cpu=3) == 3
    assert "full mode, CPU-sized: 3 epochs (GPU path: 20)" in capsys.readouterr().out
    assert cpu.epochs(20) == 20 and whole.epochs(20, cpu=3) == 20 and quick.epochs(20, cpu=3) == 1
    assert "quick mode: 1 epoch (full mode: 20)" in capsys.readouterr().out
    # quick mode on a machine whose full mode would be CPU-sized says what full mode would run there
    assert Config(mode="quick", cpu_sized=True).epochs(20, quick=1, cpu=3) == 1
    assert ("quick mode: 1 epoch (full mode: 3 CPU-sized on this machine, 20 on the GPU path)"
            in capsys.readouterr().out)
    capsys.readouterr()
    assert cpu.pick(40, 12, what="depth", cpu=20) == 20
    assert "full mode, CPU-sized: depth = 20 (GPU path: 40)" in capsys.readouterr().out
    assert whole.pick(40, 12, cpu=20) == 40 and quick.pick(40, 12, cpu=20) == 12
    assert cpu.pick(40, 12) == 40
    with pytest.raises(ValueError, match="cpu must be >= 1"):
        cpu.epochs(5, cpu=0)
    with pytest.raises(TypeError, match="cpu"):
        cpu.subset(x, cpu=2.5)


# ----------------------------------------------------------------------------- Config
def test_config_validates():
    with pytest.raises(ValueError, match="mode"):
        Config(mode="fast")
    with pytest.raises(ValueError, match="seed"):
        Config(mode="full", seed=-2)


def test_subset_quick_mode_same_indices_seeded(capsys):
    cfg = Config(mode="quick", seed=0)
    x = np.arange(60_000).repeat(2).reshape(60_000, 2)
    y = np.arange(60_000)
    xs, ys = cfg.subset(x, y)
    assert "quick mode: using 2,000 of 60,000 samples" in capsys.readouterr().out
    assert xs.shape == (2000, 2) and ys.shape == (2000,)
    assert np.array_equal(xs[:, 0], ys), "x and y must be subset with the same indices"
    assert np.all(np.diff(ys) > 0), "indices are sorted and unique"
    assert ys[-1] > 30_000, "a random subset, not the first samples"
    xs2, ys2 = Config(mode="quick", seed=0, verbose=False).subset(x, y)
    assert np.array_equal(ys, ys2)
    _, ys3 = Config(mode="quick", seed=1, verbose=False).subset(x, y)
    assert not np.array_equal(ys, ys3)


def test_subset_keeps_classes_mixed_on_real_labels():
    from cnn_course.data import load_dataset

    (_, y), _ = load_dataset("fashion_mnist")
    ys = Config(mode="quick", verbose=False).subset(y, quick=500)
    counts = np.bincount(ys, minlength=10)
    assert counts.min() >= 25, counts


def test_subset_full_mode_and_small_inputs(capsys):
    x, y = np.zeros((50, 3)), np.arange(50)
    xs, ys = Config(mode="full").subset(x, y)
    assert xs is x and ys is y
    assert "full mode: using all 50 samples" in capsys.readouterr().out
    xs = Config(mode="quick").subset(x, quick=100)
    assert xs is x
    assert "quick mode: using all 50 samples" in capsys.readouterr().out
    assert Config(mode="quick", verbose=False).subset([[1], [2], [3]], quick=2).shape == (2, 1)


@pytest.mark.parametrize("args, kwargs, exc", [
    ((np.zeros(5), np.zeros(4)), {}, ValueError),
    ((np.zeros(5),), {"quick": 0}, ValueError),
    ((np.zeros(5),), {"cpu": 0}, ValueError),
    ((np.zeros(5),), {"cpu": 2.5}, TypeError),
    ((np.zeros(5),), {"quick": True}, TypeError),
    ((np.float64(3.0),), {}, ValueError),
    (("abc",), {}, TypeError),
])
def test_subset_rejects_bad_input(args, kwargs, exc):
    with pytest.raises(exc):
        Config(mode="quick", verbose=False).subset(*args, **kwargs)


def test_epochs(capsys):
    assert Config(mode="quick").epochs(10) == 1
    assert "quick mode: 1 epoch (full mode: 10)" in capsys.readouterr().out
    assert Config(mode="quick").epochs(10, quick=3) == 3
    assert Config(mode="full").epochs(10, quick=3) == 10
    assert "full mode: 10 epochs" in capsys.readouterr().out
    with pytest.raises(ValueError, match="full must be >= 1"):
        Config(mode="full").epochs(0)
    with pytest.raises(TypeError, match="quick"):
        Config(mode="full").epochs(3, quick=1.5)


def test_pick_and_rng(capsys):
    cfg = Config(mode="quick")
    assert cfg.pick(64, 8, what="images per class") == 8
    assert "quick mode: images per class = 8 (full mode: 64)" in capsys.readouterr().out
    assert Config(mode="full").pick(64, 8) == 64
    assert capsys.readouterr().out == ""
    with pytest.raises(TypeError, match="what"):
        cfg.pick(1, 2, what=3)
    assert np.array_equal(cfg.rng().random(3), cfg.rng().random(3))
    assert not np.array_equal(cfg.rng(1).random(3), cfg.rng().random(3))
    with pytest.raises(ValueError, match="offset"):
        cfg.rng(-1)


def test_native_tensorflow_noise_is_filtered_but_real_errors_kept(capfd):
    # one filter for the whole package: the one of cnn_course._lazy
    assert config.quiet_native_stderr is _lazy.quiet_native_stderr
    assert not hasattr(config, "_filtered_native_stderr") and not hasattr(config, "_NATIVE_NOISE")
    with config.quiet_native_stderr():
        os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on.\n"
                    b"E0000 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)\n"
                    b"F0000 something really broke\n")
    err = capfd.readouterr().err
    assert "something really broke" in err
    assert "oneDNN" not in err and "cuInit" not in err


def test_retracing_warning_is_dropped_only_inside_the_block_and_only_that_one(caplog):
    log = logging.getLogger("tensorflow")
    msg = ("5 out of the last 13 calls to <function one_step_on_data_distributed> triggered "
           "tf.function retracing. Tracing is expensive")
    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        with _lazy.quiet_retracing_warning():
            log.warning(msg)
            log.warning("a real problem")
        log.warning(msg)
    texts = [r.getMessage() for r in caplog.records]
    assert texts == ["a real problem", msg], texts
    assert not any(isinstance(f, _lazy._DropRetracingWarning) for f in log.filters), \
        "the filter is removed when the block ends"


def test_classes_quick_keeps_only_those_labels_and_says_so(capsys):
    cfg = Config(mode="quick")
    y = np.array([[0], [6], [8], [3], [6], [8], [8]])
    x = np.arange(7 * 2).reshape(7, 2)
    xk, yk = cfg.classes(x, y, quick=(6, 8), names=[f"c{i}" for i in range(10)])
    assert yk.shape == (5, 1) and set(yk.ravel()) == {6, 8}
    assert (xk[:, 0] // 2 == np.array([1, 2, 4, 5, 6])).all(), "order and pairing are kept"
    out = capsys.readouterr().out
    assert "2 classes (c6, c8)" in out and "5 of 7" in out


def test_classes_full_mode_returns_everything_unchanged():
    cfg = Config(mode="full", verbose=False)
    x, y = np.zeros((4, 3)), np.array([0, 1, 2, 3])
    xk, yk = cfg.classes(x, y, quick=(0, 1))
    assert xk is x and yk is y


@pytest.mark.parametrize("quick, err", [((6,), ValueError), ((6, 6), ValueError), ("68", TypeError),
                                        ((6, -1), ValueError), (6, TypeError)])
def test_classes_rejects_bad_class_lists(quick, err):
    with pytest.raises(err, match="quick"):
        Config(mode="quick", verbose=False).classes(np.zeros((3, 1)), np.array([6, 8, 1]), quick=quick)


def test_classes_rejects_mismatched_lengths_and_absent_labels():
    cfg = Config(mode="quick", verbose=False)
    with pytest.raises(ValueError, match="same number"):
        cfg.classes(np.zeros((3, 1)), np.array([6, 8]), quick=(6, 8))
    with pytest.raises(ValueError, match="no sample"):
        cfg.classes(np.zeros((3, 1)), np.array([1, 2, 3]), quick=(6, 8))
    with pytest.raises(ValueError, match="names"):
        cfg.classes(np.zeros((3, 1)), np.array([6, 8, 1]), quick=(6, 8), names=["a", "b"])
