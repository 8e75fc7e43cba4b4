"""Training recipes: one run measured, ablations, tables; determinism; bad input rejected."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import cnn_course as cc  # noqa: E402
from cnn_course import recipes  # noqa: E402
from cnn_course.recipes import Recipe  # noqa: E402


@pytest.fixture(scope="module")
def tiny():
    """240 real Fashion-MNIST training and 100 test images (raw uint8)."""
    (x, y), (xt, yt) = cc.load_dataset("fashion_mnist")
    return (x[:240], y[:240]), (xt[:100], yt[:100])


def _build(shape, k):
    return recipes.compact_cnn(shape, k, widths=(4, 8), convs_per_stage=1)


def test_run_recipe_measures_everything(tiny):
    r = recipes.run_recipe(Recipe(epochs=2, batch_size=64), tiny, build=_build, name="plain")
    assert r.name == "plain" and r.epochs_run == 2 and len(r.epoch_seconds) == 2
    assert set(r.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    for value in (r.test_accuracy, r.train_accuracy, r.val_accuracy, r.confidence):
        assert 0.0 <= value <= 1.0
    assert r.gap == pytest.approx(r.train_accuracy - r.val_accuracy)
    assert r.test_nll > 0 and r.weight_norm > 0 and r.seconds_per_epoch > 0
    assert r.seconds_total >= sum(r.epoch_seconds) and r.load_average >= 0
    assert r.params == _build((28, 28, 1), 10).count_params()
    assert 1 <= r.best_epoch <= 2


def test_same_seed_same_run(tiny):
    rec = Recipe(epochs=1, batch_size=64, augment="fashion", standardize=True)
    a = recipes.run_recipe(rec, tiny, build=_build, seed=3)
    b = recipes.run_recipe(rec, tiny, build=_build, seed=3)
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-4)
    assert a.test_accuracy == pytest.approx(b.test_accuracy, abs=0.011)


def test_every_switch_reaches_keras(tiny):
    rec = Recipe(standardize=True, augment="fashion", weight_decay=0.5, schedule="cosine",
                 label_smoothing=0.2, early_stopping=1, epochs=3, batch_size=64,
                 learning_rate=3e-3)
    r = recipes.run_recipe(rec, tiny, build=_build)
    lr = r.history["learning_rate"]
    assert lr[-1] < lr[0] or lr[0] < 3e-3, "the cosine schedule changes the learning rate"
    assert r.epochs_run <= 3
    # weight decay shrinks the kernels compared with the same run without it
    r0 = recipes.run_recipe(rec.but(weight_decay=0.0), tiny, build=_build)
    assert r.weight_norm < r0.weight_norm


def test_ablation_is_cumulative():
    steps = recipes.ablation(Recipe(), [("+ std", {"standardize": True}),
                                        ("+ wd", {"weight_decay": 0.05})])
    assert [n for n, _ in steps] == ["baseline", "+ std", "+ wd"]
    assert steps[2][1].standardize and steps[2][1].weight_decay == 0.05
    assert not steps[0][1].standardize
    with pytest.raises(ValueError, match="step names must be different"):
        recipes.ablation(Recipe(), [("baseline", {"epochs": 2})])
    with pytest.raises(ValueError, match="unknown Recipe field"):
        recipes.ablation(Recipe(), [("x", {"dropout": 0.5})])
    with pytest.raises(TypeError, match="steps must be"):
        recipes.ablation(Recipe(), [("x", 3)])


def test_compare_table_and_plot(tiny, capsys):
    import matplotlib.pyplot as plt

    rs = recipes.compare_recipes({"a": Recipe(epochs=1), "b": Recipe(epochs=1, standardize=True)},
                                 tiny, build=_build)
    assert [r.name for r in rs] == ["a", "b"]
    assert "test accuracy" in capsys.readouterr().out
    table = recipes.results_table(rs)
    lines = table.splitlines()
    assert lines[0].startswith("recipe") and len(lines) == 4
    assert f"{rs[1].test_accuracy - rs[0].test_accuracy:+.3f}" in lines[3]
    fig = recipes.plot_results(rs)
    assert [ax.get_title() for ax in fig.axes][0] == "Validation accuracy"
    assert len(fig.axes[0].lines) == 2
    plt.close("all")


def test_compact_cnn_shapes():
    m = recipes.compact_cnn((32, 32, 3), 10)
    assert m.output_shape == (None, 10)
    # convs 9*(3*32+32*32+32*64+64*64+64*128+128*128) (no bias), BN 4*448, dense 1,290
    assert m.count_params() == 289_642
    assert m.get_layer("compact_cnn_s1c1_bn").momentum == 0.9
    with pytest.raises(ValueError, match="too small for 3 stages"):
        recipes.compact_cnn((4, 4, 1), 10)
    with pytest.raises(ValueError, match="input_shape must be"):
        recipes.compact_cnn((32, 32), 10)
    with pytest.raises(ValueError, match="dropout"):
        recipes.compact_cnn((32, 32, 3), 10, dropout=1.0)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"augment": "imagenet"}, ValueError, "augment must be None or one of"),
    ({"schedule": "step"}, ValueError, "schedule must be one of"),
    ({"weight_decay": -1}, ValueError, "weight_decay must be in"),
    ({"label_smoothing": 1.0}, ValueError, "label_smoothing must be in"),
    ({"early_stopping": 0}, ValueError, "early_stopping must be >= 1"),
    ({"learning_rate": 0}, ValueError, "learning_rate must be in"),
    ({"epochs": 0}, ValueError, "epochs must be >= 1"),
    ({"validation_split": 0.0}, ValueError, "validation_split must be > 0"),
    ({"standardize": 1}, TypeError, "standardize must be a bool"),
])
def test_recipe_rejects_bad_fields(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        Recipe(**kwargs)


@pytest.mark.parametrize("data, exc, match", [
    (np.zeros((3, 28, 28)), TypeError, "data must be"),
    (((np.zeros((4, 28, 28)), np.zeros(4, int)), (np.zeros((2, 28, 27)), np.zeros(2, int))),
     ValueError, "must have the same shape"),
    (((np.zeros((4, 28, 28)), np.zeros(3, int)), (np.zeros((2, 28, 28)), np.zeros(2, int))),
     ValueError, "y_train must be integer labels"),
    (((np.full((4, 28, 28), 300.0), np.zeros(4, int)), (np.zeros((2, 28, 28)), np.zeros(2, int))),
     ValueError, "raw pixel values"),
    (((np.zeros((4, 28, 28)), -np.ones(4, int)), (np.zeros((2, 28, 28)), np.zeros(2, int))),
     ValueError, "y_train must be >= 0"),
])
def test_run_recipe_rejects_bad_data(data, exc, match):
    with pytest.raises(exc, match=match):
        recipes.run_recipe(Recipe(epochs=1), data)


def test_run_recipe_rejects_bad_arguments(tiny):
    with pytest.raises(TypeError, match="recipe must be"):
        recipes.run_recipe({"epochs": 1}, tiny)
    with pytest.raises(TypeError, match="build must be a callable"):
        recipes.run_recipe(Recipe(epochs=1), tiny, build=3)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        recipes.run_recipe(Recipe(epochs=1), tiny, seed=-1)
    with pytest.raises(TypeError, match="build must return a keras.Model"):
        recipes.run_recipe(Recipe(epochs=1), tiny, build=lambda s, k: None)


def test_compact_cnn_flattened_head():
    m = recipes.compact_cnn((28, 28, 1), 10, widths=(32, 64), convs_per_stage=1, dense=128)
    # convs 9*(1*32 + 32*64), BN 4*(32+64), dense 7*7*64*128 (no bias), BN 4*128, softmax 128*10+10
    assert m.count_params() == 18_720 + 384 + 401_408 + 512 + 1_290
    assert m.get_layer("compact_cnn_dense_bn").momentum == 0.9
    assert "compact_cnn_gap" not in [layer.name for layer in m.layers]
    with pytest.raises(ValueError, match="dense must be >= 0"):
        recipes.compact_cnn((28, 28, 1), 10, dense=-1)
    with pytest.raises(TypeError, match="dense must be an int"):
        recipes.compact_cnn((28, 28, 1), 10, dense=1.5)


@pytest.mark.parametrize("kind, budget", [("cifar", "full"), ("cifar", "cpu"), ("cifar", "quick"),
                                          ("fashion", "full"), ("fashion", "quick")])
def test_lesson_recipe_budgets(kind, budget):
    recipe, build = recipes.lesson_recipe(kind, budget)
    assert recipe.standardize and recipe.label_smoothing == 0.1 and recipe.weight_decay > 0
    shape = (32, 32, 3) if kind == "cifar" else (28, 28, 1)
    assert build(shape, 10).output_shape == (None, 10)
    if kind == "cifar":
        assert recipe.augment == "cifar" and recipe.early_stopping is not None
    full, _ = recipes.lesson_recipe(kind, "full")
    if budget != "full":  # a smaller budget: fewer epochs
        assert recipe.epochs < full.epochs
    if kind == "cifar" and budget != "full":  # ...and a decay whose shrinking still shows
        assert recipe.weight_decay > full.weight_decay


def test_lesson_recipe_rejects_unknown_budgets():
    with pytest.raises(ValueError, match="kind must be one of"):
        recipes.lesson_recipe("mnist")
    with pytest.raises(ValueError, match=r"budget must be one of \['full', 'quick'\] for kind 'fashion'"):
        recipes.lesson_recipe("fashion", "cpu")
    with pytest.raises(TypeError, match="budget must be a str"):
        recipes.lesson_recipe("cifar", True)
    with pytest.raises(TypeError, match="budget must be a str"):
        recipes.lesson_recipe("cifar", ["full"])
    with pytest.raises(TypeError, match="kind must be a str"):
        recipes.lesson_recipe(["cifar"])


def test_lesson_recipe_docstring_lists_every_budget_as_built():
    """The budget list in lesson_recipe's docstring is what the code builds (no drift)."""
    import re

    rows = re.findall(r"- ``(\w+)``, ``(\w+)``: ([\d-]+), (GAP|\d+), (\d+) epochs[^,]*, ([\d.]+), (\d+) %",
                      recipes.lesson_recipe.__doc__)
    assert len(rows) == 5
    for kind, budget, widths, head, epochs, decay, held_out in rows:
        recipe, build = recipes.lesson_recipe(kind, budget)
        assert (recipe.epochs, recipe.weight_decay, recipe.validation_split) == \
            (int(epochs), float(decay), int(held_out) / 100), (kind, budget)
        m = build((32, 32, 3) if kind == "cifar" else (28, 28, 1), 10)
        convs = [layer.filters for layer in m.layers if layer.name.endswith("_conv")]
        assert "-".join(map(str, convs)) == widths, (kind, budget)
        dense = [layer.units for layer in m.layers if layer.name.endswith("_dense")]
        assert dense == ([] if head == "GAP" else [int(head)]), (kind, budget)
    full, build = recipes.lesson_recipe("fashion", "full")
    assert build((28, 28, 1), 10).count_params() == 825_514  # the count BENCHMARKS.md quotes
