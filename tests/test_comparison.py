"""compare_architectures: same recipe for all, costs counted, untrained rows never get a score."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import cnn_course as cc  # noqa: E402
from cnn_course.comparison import ArchitectureResult, architecture_table  # noqa: E402


def tiny(shape, k):
    inputs = keras.Input(shape)
    x = keras.layers.Conv2D(2, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(k, activation="softmax")(x), name="tiny")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (24, 8, 8, 3)).astype("uint8")
    y = np.arange(24) % 3
    return (x[:20], y[:20]), (x[20:], y[20:])


@pytest.fixture(scope="module")
def rows(data):
    recipe = cc.Recipe(epochs=2, batch_size=8)
    return cc.compare_architectures({"tiny": tiny, "wide": lambda s, k: tiny(s, k)}, data,
                                    recipe, seed=1, train=["tiny"], timing_steps=1,
                                    timing_batch=4, verbose=False)


def test_counted_only_when_timing_steps_is_zero(data):
    (row,) = cc.compare_architectures({"tiny": tiny}, data, cc.Recipe(epochs=1, batch_size=8),
                                      train=[], timing_steps=0, verbose=False)
    assert not row.trained and row.seconds_per_step is None and row.seconds_per_epoch is None
    assert row.params == tiny((8, 8, 3), 3).count_params()
    line = architecture_table([row]).splitlines()[2]
    assert line.split()[-4:] == ["-", "-", "-", "-"]
    assert len(cc.plot_architectures([row]).axes) == 2


def test_trained_and_timed_rows(rows):
    trained, timed = rows
    model = tiny((8, 8, 3), 3)
    for r in rows:
        assert r.params == model.count_params()
        assert r.multiply_adds == cc.multiply_adds(model) == 3 * 3 * 3 * 2 * 64 + 2 * 3
        assert r.seconds_per_step > 0 and r.seconds_per_epoch > 0
    assert trained.trained and trained.epochs_run == 2 and 0 <= trained.test_accuracy <= 1
    assert trained.recipe_result.params == trained.params
    # 18 images to fit (10 % validation), batch 8: 3 steps per epoch
    assert trained.seconds_per_step == pytest.approx(trained.seconds_per_epoch / 3)
    assert not timed.trained and timed.test_accuracy is None and timed.recipe_result is None
    assert timed.seconds_per_epoch == pytest.approx(3 * timed.seconds_per_step)


def test_same_seed_same_result(data, rows):
    again = cc.compare_architectures({"tiny": tiny}, data, cc.Recipe(epochs=2, batch_size=8),
                                     seed=1, verbose=False)
    assert again[0].test_accuracy == rows[0].test_accuracy


def test_table_separates_measured_estimated_and_quoted(rows):
    text = architecture_table(rows, quoted={"wide": 0.5}, source="a paper, GPU")
    lines = text.splitlines()
    tiny_line = next(line for line in lines if line.startswith("tiny"))
    wide_line = next(line for line in lines if line.startswith("wide"))
    assert f"{rows[0].test_accuracy:.3f}" in tiny_line and "~" not in tiny_line
    assert "(0.500)" in wide_line and "~" in wide_line
    assert "quoted, not measured by this run: a paper, GPU" in text
    assert "(" not in architecture_table(rows).splitlines()[3]
    fig = cc.plot_architectures(rows)
    assert len(fig.axes) == 2


def test_bad_arguments(data):
    recipe = cc.Recipe(epochs=1)
    with pytest.raises(ValueError, match="model name must be one of"):
        cc.compare_architectures(["vgg17"], data, recipe)
    with pytest.raises(ValueError, match="networks must not be empty"):
        cc.compare_architectures([], data, recipe)
    with pytest.raises(TypeError, match="must be a model name or a callable"):
        cc.compare_architectures({"x": 3}, data, recipe)
    with pytest.raises(TypeError, match="recipe must be"):
        cc.compare_architectures(["lenet5"], data, {"epochs": 1})
    with pytest.raises(ValueError, match="not among the networks"):
        cc.compare_architectures(["lenet5"], data, recipe, train=["vgg16"])
    with pytest.raises(ValueError, match="timing_steps"):
        cc.compare_architectures(["lenet5"], data, recipe, timing_steps=-1)
    with pytest.raises(ValueError, match="timing_batch"):
        cc.compare_architectures(["lenet5"], data, recipe, timing_batch=0)
    with pytest.raises(ValueError, match="timing_batch"):
        cc.compare_architectures(["lenet5"], data, recipe, timing_batch=recipe.batch_size + 1)
    with pytest.raises(TypeError, match="data must be"):
        cc.compare_architectures(["lenet5"], [1, 2, 3], recipe)
    with pytest.raises(TypeError, match="must return a keras.Model"):
        cc.compare_architectures({"bad": lambda s, k: None}, data, recipe, verbose=False)
    with pytest.raises(TypeError, match="list of ArchitectureResult"):
        architecture_table([])
    row = ArchitectureResult("a", 10, 100, 0.1, 1.0, False)
    with pytest.raises(ValueError, match="source must say"):
        architecture_table([row], quoted={"a": 0.4})
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        architecture_table([row], quoted={"a": 40}, source="x")
    assert row.multiply_adds_per_param == 10
