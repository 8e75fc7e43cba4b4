"""Learning-rate schedules: values at known steps, and bad arguments rejected."""
from __future__ import annotations

import math

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cnn_course import schedules  # noqa: E402


def test_cosine_without_warmup_matches_formula():
    s = schedules.cosine_schedule(0.1, 100)
    v = schedules.schedule_values(s, [0, 25, 50, 75, 100, 150])
    expected = [0.1 * (1 + math.cos(math.pi * t / 100)) / 2 for t in (0, 25, 50, 75, 100)]
    np.testing.assert_allclose(v[:5], expected, rtol=1e-5, atol=1e-9)
    assert v[5] == pytest.approx(0.0, abs=1e-9), "after the last step: alpha * peak"
    assert isinstance(s, keras.optimizers.schedules.CosineDecay)


def test_cosine_with_warmup_and_alpha():
    s = schedules.cosine_schedule(0.01, 110, warmup_steps=10, alpha=0.1)
    v = schedules.schedule_values(s, [0, 5, 10, 60, 110])
    np.testing.assert_allclose(v, [0.0, 0.005, 0.01, 0.01 * (0.1 + 0.9 * 0.5), 0.001],
                               rtol=1e-5, atol=1e-9)


def test_one_cycle_rises_then_falls():
    s = schedules.one_cycle_schedule(0.01, 100, warmup_fraction=0.3, start_div=25, end_div=1e4)
    v = schedules.schedule_values(s, 101)
    assert v[0] == pytest.approx(0.01 / 25, rel=1e-5)
    assert v[15] == pytest.approx(0.01 / 25 + (0.01 - 0.01 / 25) * 15 / 30, rel=1e-5)
    assert v[30] == pytest.approx(0.01, rel=1e-5) and v.argmax() == 30
    assert v[100] == pytest.approx(1e-6, rel=1e-3)
    assert np.all(np.diff(v[:31]) > 0) and np.all(np.diff(v[30:]) <= 0)


def test_steps_per_epoch_and_constant_values():
    assert schedules.steps_per_epoch(54000, 128) == 422
    assert schedules.steps_per_epoch(128, 128) == 1
    np.testing.assert_array_equal(schedules.schedule_values(0.5, 3), [0.5, 0.5, 0.5])


def test_schedule_drives_an_optimizer():
    s = schedules.cosine_schedule(0.1, 4)
    opt = keras.optimizers.SGD(learning_rate=s)
    w = keras.Variable(1.0)
    seen = []
    for _ in range(4):
        seen.append(float(keras.ops.convert_to_numpy(opt.learning_rate)))
        opt.apply_gradients([(keras.ops.ones(()), w)])
    np.testing.assert_allclose(seen, schedules.schedule_values(s, 4), rtol=1e-5)


def test_plot_schedule():
    import matplotlib.pyplot as plt

    ax = schedules.plot_schedule(schedules.one_cycle_schedule(1e-3, 50), 50, steps_per_epoch=10)
    x, y = ax.lines[0].get_data()
    assert len(x) == 50 and x[-1] == pytest.approx(4.9) and y.argmax() == 15
    assert ax.get_xlabel() == "epoch"
    assert ax.get_legend().get_texts()[0].get_text() == "one_cycle"
    plt.close("all")


@pytest.mark.parametrize("func, kwargs, exc, match", [
    (schedules.cosine_schedule, {"peak": 0, "total_steps": 10}, ValueError, "peak must be > 0"),
    (schedules.cosine_schedule, {"peak": "a", "total_steps": 10}, TypeError, "peak must be"),
    (schedules.cosine_schedule, {"peak": 1e-3, "total_steps": 0}, ValueError, "total_steps"),
    (schedules.cosine_schedule, {"peak": 1e-3, "total_steps": 10, "warmup_steps": 10},
     ValueError, "warmup_steps must be <= 9"),
    (schedules.cosine_schedule, {"peak": 1e-3, "total_steps": 10, "alpha": 2}, ValueError,
     "alpha must be in"),
    (schedules.one_cycle_schedule, {"peak": 1e-3, "total_steps": 1}, ValueError,
     "total_steps must be >= 2"),
    (schedules.one_cycle_schedule, {"peak": 1e-3, "total_steps": 10, "warmup_fraction": 1.0},
     ValueError, "warmup_fraction must be in"),
    (schedules.one_cycle_schedule, {"peak": 1e-3, "total_steps": 10, "end_div": 0.5},
     ValueError, "end_div must be >= 1"),
    (schedules.schedule_values, {"schedule": "fast", "steps": 3}, TypeError,
     "schedule must be a keras LearningRateSchedule"),
    (schedules.schedule_values, {"schedule": 0.1, "steps": [-1, 2]}, ValueError,
     "steps must be >= 0"),
    (schedules.schedule_values, {"schedule": 0.1, "steps": [0.5]}, ValueError, "steps must be"),
    (schedules.steps_per_epoch, {"n_samples": 0, "batch_size": 3}, ValueError, "n_samples"),
])
def test_bad_arguments_rejected(func, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        func(**kwargs)
