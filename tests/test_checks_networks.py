"""The network exercises' checks (cnn_course/checks/networks.py): the right answers pass, each
usual slip is fed as a wrong answer and its message asserted, the stubs say "answer missing".

Models are only built here (no training), except the find-the-bug and budget checks, whose
probes train for a few seconds; their judges are also tested on hand-written numbers."""
from __future__ import annotations

import numpy as np
import pytest

from cnn_course._lazy import keras
from cnn_course.checks import serialize
from cnn_course.checks.networks import (BUDGET_ACCURACY, BUDGET_PARAMS, operations,
                                        reference_vgg_block)
from cnn_course.checks.registry import SPECS

L = keras.layers


def verdict(check_id, answer, seed=3, cases=None):
    spec = SPECS[check_id]
    cases = serialize.loads(serialize.dumps(cases if cases is not None else spec.cases(seed)))
    results = serialize.loads(serialize.dumps(spec.probe({spec.answers[0]: answer}, cases)))
    return spec.judge(cases, results)


def stub(*args, **kwargs):
    raise NotImplementedError("Write your answer here")


# ----------------------------------------------------------------------------- LeNet-5
def lenet(input_shape=(32, 32, 3), num_classes=10, padding="valid", act="sigmoid",
          pool=L.MaxPooling2D, order="alternate", dense=(120, 84), flatten=True,
          softmax="dense", split_activation=False, sequential=False):
    """A configurable LeNet-5: the defaults are right, each argument plants one slip."""
    def conv(filters):
        if split_activation:
            return [L.Conv2D(filters, 5, padding=padding), L.Activation(act)]
        return [L.Conv2D(filters, 5, padding=padding, activation=act)]

    if order == "alternate":
        body = conv(6) + [pool(2, strides=2)] + conv(16) + [pool(2, strides=2)]
    else:
        body = conv(6) + conv(16) + [pool(2, strides=2), pool(2, strides=2)]
    body += [L.Flatten()] if flatten else []
    body += [L.Dense(units, activation=act) for units in dense]
    out_act = "softmax" if softmax in ("dense", "twice") else None
    body.append(L.Dense(num_classes, activation=out_act))
    if softmax == "twice":
        body.append(L.Activation("softmax"))
    if sequential:
        return keras.Sequential([keras.Input(shape=input_shape)] + body)
    x = inputs = keras.Input(shape=input_shape)
    for layer in body:
        x = layer(x)
    return keras.Model(inputs, x)


def test_lenet5_right_answers_pass():
    assert verdict("lenet5_model", lenet).passed
    assert verdict("lenet5_model", lambda s, n: lenet(s, n, split_activation=True)).passed
    v = verdict("lenet5_model", lambda s, n: lenet(s, n, sequential=True))
    assert v.passed, v.message


@pytest.mark.parametrize("slip, message", [
    (dict(padding="same"), "padding='same', so its feature maps are 32x32x6, expected 28x28x6"),
    (dict(act=None), "has no activation (linear)"),
    (dict(act="relu"), "activation='relu', expected 'sigmoid'"),
    (dict(pool=L.AveragePooling2D), "the pooling layers average (AveragePooling2D)"),
    (dict(order="convs_first"), "both convolutions come before the first pooling"),
    (dict(dense=(128, 84)), "dense1 (F5) has 128 units, expected 120"),
    (dict(dense=(120,)), "expected 8"),
    (dict(flatten=False), "no Flatten before the dense layers"),
    (dict(softmax=None), "the output layer has no activation (linear)"),
    (dict(softmax="twice"), "softmax is applied twice"),
])
def test_lenet5_slips_are_named(slip, message):
    v = verdict("lenet5_model", lambda s, n: lenet(s, n, **slip))
    assert not v.passed and message in v.message, v.message
    assert "lenet5(input_shape=(32, 32, 3), num_classes=10)" in v.message


def test_lenet5_hard_coded_shapes_and_stub():
    v = verdict("lenet5_model", lambda s, n: lenet((32, 32, 3), 10))
    assert not v.passed and "the model's input has shape (32, 32, 3), expected (28, 28, 1)" in \
        v.message, v.message
    v = verdict("lenet5_model", lambda s, n: lenet(s, 10), cases=[
        {"input_shape": [32, 32, 3], "num_classes": 5, "label": "5 classes"}])
    assert not v.passed and "the output layer has 10 units for num_classes=5" in v.message
    v = verdict("lenet5_model", stub)
    assert not v.passed and v.message.startswith("lenet5(") and "answer missing" in v.message
    v = verdict("lenet5_model", lambda s, n: "a model")
    assert not v.passed and "expected a keras.Model" in v.message


# ----------------------------------------------------------------------------- VGG block
def vgg(x, filters, convs, padding="same", bn=True, act="relu", pool=L.MaxPooling2D,
        pool_every=False, relu_first=False, kernel=3, pool_padding="same", n=None):
    for _ in range(convs if n is None else n):
        if relu_first:
            x = L.Conv2D(filters, kernel, padding=padding, activation="relu")(x)
            x = L.BatchNormalization()(x)
        else:
            x = L.Conv2D(filters, kernel, padding=padding)(x)
            if bn:
                x = L.BatchNormalization()(x)
            if act:
                x = L.Activation(act)(x)
        if pool_every:
            x = pool(2, strides=2, padding=pool_padding)(x)
    if not pool_every:
        x = pool(2, strides=2, padding=pool_padding)(x)
    return x


def test_reference_vgg_block_is_the_course_vgg16_stage():
    """Each stage of build_model("vgg16") is reference_vgg_block (+ its Dropout)."""
    from cnn_course.checks.describe import describe_model
    from cnn_course.checks.judge_blocks import Block
    from cnn_course.models import build_model

    model = describe_model(build_model("vgg16"))  # a chain: its layers are in order
    ops = [op for op in operations(model["layers"]) if op["op"] != "dropout"]
    stages = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
    x = inputs = keras.Input(shape=(32, 32, 3))
    for filters, convs in stages:
        x = reference_vgg_block(x, filters, convs)
    ref = Block(describe_model(keras.Model(inputs, x)))
    ref_ops = operations(ref.chain(ref.outputs[0]))
    strip = lambda op: {k: v for k, v in op.items() if k != "layer"}  # noqa: E731
    assert [strip(op) for op in ops[:len(ref_ops)]] == [strip(op) for op in ref_ops]
    assert [op["layer"]["output_shape"] for op in ops[:len(ref_ops)]] == \
        [op["layer"]["output_shape"] for op in ref_ops]


def test_vgg_block_right_answer_passes():
    v = verdict("vgg_block", vgg)
    assert v.passed, v.message


@pytest.mark.parametrize("slip, message", [
    (dict(padding="valid"), "padding='valid', so its output is 30x30x8, expected 32x32x8"),
    (dict(act=None), "0 ReLU activations for 2 convolutions"),
    (dict(pool=L.AveragePooling2D), "AveragePooling2D: VGG uses max-pooling"),
    (dict(pool_every=True), "a pooling layer inside the convolution stack"),
    (dict(bn=False), "0 BatchNormalization layers for 2 convolutions"),
    (dict(relu_first=True), "activation='relu' before its BatchNormalization"),
    (dict(kernel=5), "kernel_size=(5, 5): VGG uses only 3x3"),
    (dict(n=2), "2 convolutions, expected convs=3"),
    (dict(pool_padding="valid"), "padding='valid', so it gives 3x3x4, expected 4x4x4"),
])
def test_vgg_block_slips_are_named(slip, message):
    v = verdict("vgg_block", lambda x, f, c: vgg(x, f, c, **slip))
    assert not v.passed and message in v.message, v.message


def test_vgg_block_ablation():
    assert verdict("vgg_block_no_bn", lambda x, f, c: vgg(x, f, c, bn=False)).passed
    v = verdict("vgg_block_no_bn", vgg)
    assert not v.passed and "still has BatchNormalization" in v.message
    v = verdict("vgg_block_no_bn", lambda x, f, c: vgg(x, f, c, bn=False, act=None))
    assert not v.passed and "keep the ReLU" in v.message, v.message
    v = verdict("vgg_block_no_bn", lambda x, f, c: vgg(x, f, c, bn=False,
                                                        pool=L.AveragePooling2D))
    assert not v.passed and "removes only BatchNormalization" in v.message
    for check_id in ("vgg_block", "vgg_block_no_bn"):
        v = verdict(check_id, stub)
        assert not v.passed and "answer missing" in v.message


# ----------------------------------------------------------------------------- questions
def test_prediction_is_graded_on_being_made():
    for answer in ("A", "b", "C)"):
        v = verdict("q_no_bn_prediction", answer)
        assert v.passed and "Prediction recorded" in v.message
    v = verdict("q_no_bn_prediction", None)
    assert not v.passed and "answer missing" in v.message
    v = verdict("q_no_bn_prediction", "Z")
    assert not v.passed and "not one of the options" in v.message


@pytest.mark.parametrize("check_id, right, wrong, why", [
    ("bug_1_named", "A", "D", "validates on x_val"),
    ("bug_2_named", "B", "C", "Rescaling(1 / 255)"),
    ("bug_3_named", "D", "A", "same order"),
    ("bug_4_named", "C", "E", "no BatchNormalization layer"),
    ("bug_4_named", "C", "B", "one softmax"),
    ("bug_5_named", "E", "C", "Rescaling(1 / 255)"),
    ("bug_5_named", "E", "D", "validates on x_val"),
])
def test_bug_names(check_id, right, wrong, why):
    assert verdict(check_id, right).passed
    v = verdict(check_id, wrong)
    assert not v.passed and why in v.message and "Why:" in v.message, v.message
    v = verdict(check_id, None)
    assert not v.passed and "answer missing" in v.message


# ----------------------------------------------------------------------------- judges on numbers
def _fixed_result(val_acc=0.7, top=0.7, sum_error=0.0, train_acc=0.75, reported=None,
                  losses=(1.5, 0.8), bn_layers=1, bn_moved=0.3):
    """Numbers of a run; ``reported`` is the data set whose loss the history reports."""
    history = {"loss": list(losses), "accuracy": [0.5, 0.7]}
    val = {"accuracy": val_acc, "loss": 0.812345, "sum_error": sum_error, "top_probability": top}
    train = {"accuracy": train_acc, "loss": 0.701234, "sum_error": 0.0, "top_probability": top}
    source = {None: val, "train": train, "other": {"accuracy": 0.3, "loss": 2.0},
              "reported_good": {"accuracy": 0.72, "loss": 0.8}}.get(reported)
    if source is not None:
        history.update(val_loss=[1.0, source["loss"]], val_accuracy=[0.6, source["accuracy"]])
    return [{"value": {"history": history, "bn_layers": bn_layers, "bn_moved": bn_moved, "val": val,
                       "train": train}}]


CASE = [{"label": "1000 training images"}]


@pytest.mark.parametrize("check_id, result, message", [
    ("bug_1_fixed", _fixed_result(val_acc=0.11), "chance is 0.10"),
    ("bug_2_fixed", _fixed_result(top=0.2), "still squashed towards uniform"),
    ("bug_2_fixed", _fixed_result(sum_error=3.0), "do not sum to 1"),
    ("bug_3_fixed", _fixed_result(reported="train"), "are those of the training images"),
    ("bug_3_fixed", _fixed_result(reported="other"), "is not the loss on x_val"),
    ("bug_3_fixed", _fixed_result(reported="none"), "no val_loss/val_accuracy"),
    ("bug_4_fixed", _fixed_result(val_acc=0.1, losses=(3749.2, 2.3)), "the run still diverges"),
    ("bug_4_fixed", _fixed_result(val_acc=0.1, losses=(float("nan"), float("nan"))),
     "not finite"),
    ("bug_4_fixed", _fixed_result(val_acc=0.1, reported="reported_good"),
     "scaled outside the model"),
    ("bug_4_fixed", _fixed_result(val_acc=0.2), "the bug is still there"),
    ("bug_5_fixed", _fixed_result(bn_moved=0.0), "still runs in inference mode"),
    ("bug_5_fixed", _fixed_result(bn_layers=0, bn_moved=0.0), "removing the layer hides"),
])
def test_fixed_script_judges_name_the_remaining_bug(check_id, result, message):
    v = SPECS[check_id].judge(CASE, result)
    assert not v.passed and message in v.message, v.message
    assert SPECS[check_id].judge(CASE, _fixed_result()).passed


def _budget_result(params=30_000, convs=2, acc=0.8, shape=(None, 10), sum_error=0.0):
    return [{"value": {"params": params, "conv_layers": convs, "output_shape": list(shape),
                       "test": {"accuracy": acc, "sum_error": sum_error,
                                "top_probability": 0.8}}}]


@pytest.mark.parametrize("result, message", [
    (_budget_result(params=BUDGET_PARAMS + 1), "the parameter limit failed"),
    (_budget_result(acc=BUDGET_ACCURACY - 0.01), "the accuracy target failed"),
    (_budget_result(convs=0), "no Conv2D layer"),
    (_budget_result(shape=(None, 5)), "expected (None, 10)"),
    (_budget_result(sum_error=2.0), "end with a softmax"),
])
def test_budget_judge_says_which_limit_failed(result, message):
    v = SPECS["budget_cnn"].judge(CASE, result)
    assert not v.passed and message in v.message, v.message
    assert SPECS["budget_cnn"].judge(CASE, _budget_result()).passed


# ----------------------------------------------------------------------------- probes that train
def tiny_data(n_train=200, n_val=100, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n_train + n_val)
    x = rng.integers(0, 60, (n_train + n_val, 28, 28, 1))
    for k in range(10):  # a learnable pattern: class k lights up row block k
        x[y == k, 2 * k:2 * k + 3, :, 0] += 180
    x = x.astype(np.uint8)
    return {"x_train": x[:n_train], "y_train": y[:n_train], "x_val": x[n_train:],
            "y_val": y[n_train:]}


def make_model(double_softmax=False):
    inputs = keras.Input((28, 28, 1))
    x = L.Rescaling(1 / 255)(inputs)
    x = L.Conv2D(4, 3, activation="relu")(x)
    x = L.MaxPooling2D(4)(x)
    x = L.Flatten()(x)
    x = L.Dense(10, activation="softmax")(x)
    if double_softmax:
        x = L.Activation("softmax")(x)
    return keras.Model(inputs, x)


def train(x_train, y_train, x_val, y_val, epochs=2, seed=0, shuffle_apart=False,
          double_softmax=False, on_train=False):
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x_train))
    x_train = x_train[order]
    y_train = y_train[rng.permutation(len(y_train)) if shuffle_apart else order]
    model = make_model(double_softmax)
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    validation = (x_train, y_train) if on_train else (x_val, y_val)
    history = model.fit(x_train, y_train, validation_data=validation, epochs=epochs,
                        batch_size=32, verbose=0)
    return model, history


@pytest.mark.parametrize("check_id, bug, message", [
    ("bug_1_fixed", dict(shuffle_apart=True), "chance is 0.10"),
    ("bug_2_fixed", dict(double_softmax=True), "still squashed"),
    ("bug_3_fixed", dict(on_train=True), "those of the training images"),
])
def test_fixed_script_probes_measure_the_run(check_id, bug, message):
    case = dict(tiny_data(), epochs=3, seed=0, label="tiny")
    v = verdict(check_id, train, cases=[case])
    assert v.passed, v.message
    v = verdict(check_id, lambda *a, **k: train(*a, **k, **bug), cases=[case])
    assert not v.passed and message in v.message, v.message
    v = verdict(check_id, stub, cases=[case])
    assert not v.passed and "answer missing" in v.message


def make_model_bn(rescale=True, bn=True):
    inputs = keras.Input((28, 28, 1))
    x = L.Rescaling(1 / 255)(inputs) if rescale else inputs
    x = L.Conv2D(4, 3, use_bias=not bn)(x)
    if bn:
        x = L.BatchNormalization(momentum=0.9)(x)
    x = L.ReLU()(x)
    x = L.MaxPooling2D(4)(x)
    x = L.Flatten()(x)
    return keras.Model(inputs, L.Dense(10, activation="softmax")(x))


def train_sgd(x_train, y_train, x_val, y_val, epochs=2, seed=0, rescale=True, bn=False,
              frozen=False):
    """Scripts 4 and 5 in small: SGD with momentum (which diverges on raw pixels)."""
    order = np.random.default_rng(seed).permutation(len(x_train))
    x_train, y_train = x_train[order], y_train[order]
    model = make_model_bn(rescale, bn)
    for layer in model.layers:
        if isinstance(layer, L.BatchNormalization):
            layer.trainable = not frozen
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
                        batch_size=32, verbose=0)
    return model, history


@pytest.mark.parametrize("check_id, right, bug, message", [
    ("bug_4_fixed", dict(), dict(rescale=False), "the run still diverges"),
    ("bug_5_fixed", dict(bn=True), dict(bn=True, frozen=True), "still runs in inference mode"),
    ("bug_5_fixed", dict(bn=True), dict(bn=False), "removing the layer hides"),
])
def test_scaling_and_batchnorm_fixes_are_judged_on_the_run(check_id, right, bug, message):
    case = dict(tiny_data(), epochs=3, seed=0, label="tiny")
    v = verdict(check_id, lambda *a, **k: train_sgd(*a, **k, **right), cases=[case])
    assert v.passed, v.message
    v = verdict(check_id, lambda *a, **k: train_sgd(*a, **k, **bug), cases=[case])
    assert not v.passed and message in v.message, v.message


def test_budget_probe_trains_the_builder_with_the_fixed_recipe():
    data = tiny_data(300, 100)
    case = {"input_shape": [28, 28, 1], "num_classes": 10, "epochs": 2, "seed": 0,
            "learning_rate": 3e-3,
            "x_train": data["x_train"], "y_train": data["y_train"], "x_test": data["x_val"],
            "y_test": data["y_val"], "label": "tiny"}
    spec = SPECS["budget_cnn"]
    builder = lambda s, n: make_model()  # noqa: E731
    record = spec.probe({"small_cnn": builder}, serialize.loads(serialize.dumps([case])))[0]
    assert record["value"]["params"] == make_model().count_params()
    assert record["value"]["conv_layers"] == 1 and 0 <= record["value"]["test"]["accuracy"] <= 1

    def big(s, n):
        inputs = keras.Input(s)
        x = L.Conv2D(8, 3)(inputs)
        x = L.Flatten()(x)
        return keras.Model(inputs, L.Dense(n, activation="softmax")(x))

    v = verdict("budget_cnn", big, cases=[case])
    assert not v.passed and "over the budget of 50,000" in v.message
    v = verdict("budget_cnn", stub, cases=[case])
    assert not v.passed and "answer missing" in v.message


# ----------------------------------------------------------------------------- boundaries
def test_budget_notebook_states_the_limits_the_check_uses():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "solutions" /
            "10_cnn_under_a_budget.ipynb").read_text(encoding="utf-8")
    assert f"{BUDGET_PARAMS:,}" in text and f"at least {BUDGET_ACCURACY:.2f}" in text


def test_network_probes_import_no_judge(tmp_path):
    """The probe side builds the student's model in its process without importing any judge,
    case generator or reference network (networks.py itself imports them only inside its
    judges)."""
    import subprocess
    import sys
    import textwrap

    cases_path, results_path = tmp_path / "cases.npz", tmp_path / "results.npz"
    serialize.dump(cases_path, SPECS["lenet5_model"].cases(0)[:1])
    script = textwrap.dedent(f"""
        import sys
        import keras
        from keras import layers
        def lenet5(input_shape, num_classes):
            inputs = keras.Input(shape=input_shape)
            x = layers.Conv2D(6, 5, activation="sigmoid")(inputs)
            x = layers.Flatten()(x)
            return keras.Model(inputs, layers.Dense(num_classes, activation="softmax")(x))
        import cnn_course.checks.probe as p
        p.run("lenet5_model", {{"lenet5": lenet5}}, {str(cases_path)!r}, {str(results_path)!r})
        bad = [m for m in ("cnn_course.checks.registry", "cnn_course.checks.judges",
                           "cnn_course.checks.judge_blocks", "cnn_course.checks.judging",
                           "cnn_course.checks.cases", "cnn_course.models")
               if m in sys.modules]
        print("IMPORTED", bad)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "IMPORTED []" in out.stdout, out.stdout
    v = SPECS["lenet5_model"].judge(serialize.load(cases_path), serialize.load(results_path))
    assert not v.passed and "layer" in v.message, v.message
