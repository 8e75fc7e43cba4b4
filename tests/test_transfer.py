"""cnn_course.transfer (lesson 22) and its checks (cnn_course/checks/transfer.py).

Library: class subsets, cutting a model, the new head, unfreezing the top blocks with BN kept
frozen, counting trainable parameters, the offline detection of ImageNet weights, argument
validation. Checks: the right answers pass, each usual slip is fed as a wrong answer and its
message asserted, the stubs say "answer missing". Only tiny models are built; nothing trains
except one two-step fit that shows a frozen base does not change.
"""
from __future__ import annotations

import urllib.request

import numpy as np
import pytest

import cnn_course as cc
from cnn_course import transfer
from cnn_course._lazy import keras
from cnn_course.checks import serialize
from cnn_course.checks.registry import SPECS
from cnn_course.recipes import compact_cnn

L = keras.layers


def source_model(widths=(4, 6, 8), input_shape=(16, 16, 3), classes=5):
    keras.utils.set_random_seed(0)
    return compact_cnn(input_shape, classes, widths=widths, convs_per_stage=1, name="source")


# ----------------------------------------------------------------------------- library
def test_class_subset_relabels_in_the_order_given():
    x = np.arange(8)[:, None, None, None] * np.ones((8, 2, 2, 3))
    y = np.array([0, 1, 2, 0, 1, 2, 2, 0]).reshape(-1, 1)
    xs, ys = transfer.class_subset(x, y, ["c", "a"], ["a", "b", "c"], per_class=2)
    assert ys.tolist() == [1, 0, 1, 0]                 # images 0, 2, 3, 5 in their order
    assert xs[:, 0, 0, 0].tolist() == [0, 2, 3, 5]


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(classes=["a"]), ValueError, "at least 2"),
    (dict(classes=["a", "z"]), ValueError, "unknown"),
    (dict(classes=["a", "a"]), ValueError, "repeat"),
    (dict(per_class=0), ValueError, "per_class must be >= 1"),
    (dict(y=np.zeros(3, dtype=int)), ValueError, "y must be 4 integer labels"),
])
def test_class_subset_rejects_bad_arguments(kwargs, error, text):
    args = dict(x=np.zeros((4, 2, 2, 3)), y=np.array([0, 1, 2, 0]), classes=["a", "b"],
                class_names=["a", "b", "c"])
    args.update(kwargs)
    with pytest.raises(error, match=text):
        transfer.class_subset(**args)


def test_feature_extractor_shares_the_layers_and_names_bad_layers():
    source = source_model()
    base = transfer.feature_extractor(source, up_to="source_gap")
    assert tuple(base.output.shape) == (None, 8)
    assert base.get_layer("source_s1c1_conv") is source.get_layer("source_s1c1_conv")
    with pytest.raises(ValueError, match="up_to must be the name of a layer"):
        transfer.feature_extractor(source, up_to="nope")
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        transfer.feature_extractor("source", up_to="source_gap")


def test_with_new_head_freezes_the_base_and_trains_only_the_head():
    source = source_model()
    base = transfer.feature_extractor(source, up_to="source_gap")
    model = transfer.with_new_head(base, 3)
    summary = transfer.trainable_summary(model)
    assert summary["trainable_params"] == 8 * 3 + 3
    assert summary["trainable_params"] + summary["frozen_params"] == model.count_params()
    assert [r["name"] for r in summary["layers"] if r["trainable"]] == ["head"]
    # a frozen base does not change while the head trains (BatchNorm statistics included)
    before = [w.copy() for w in base.get_weights()]
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    model.fit(rng.random((16, 16, 16, 3), dtype=np.float32), rng.integers(0, 3, 16),
              epochs=1, batch_size=8, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, base.get_weights()))
    unfrozen = transfer.with_new_head(transfer.feature_extractor(source_model(), "source_gap"),
                                      3, freeze=False)
    assert transfer.trainable_summary(unfrozen)["trainable_params"] > 27


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(num_classes=1), ValueError, "num_classes must be >= 2"),
    (dict(freeze="yes"), TypeError, "freeze must be a bool"),
    (dict(dropout=1.0), ValueError, r"dropout must be a float in \[0, 1\)"),
])
def test_with_new_head_rejects_bad_arguments(kwargs, error, text):
    base = transfer.feature_extractor(source_model(), "source_gap")
    args = dict(num_classes=3)
    args.update(kwargs)
    with pytest.raises(error, match=text):
        transfer.with_new_head(base, **args)


@pytest.mark.parametrize("blocks, opened", [(1, ["source_s3c1_conv"]),
                                            (2, ["source_s2c1_conv", "source_s3c1_conv"])])
def test_unfreeze_top_opens_the_top_blocks_and_keeps_batchnorm_frozen(blocks, opened):
    model = transfer.with_new_head(transfer.feature_extractor(source_model(), "source_gap"), 3)
    assert transfer.unfreeze_top(model, blocks=blocks) == opened
    rows = {r["name"]: r for r in transfer.trainable_summary(model)["layers"]}
    assert sorted(n for n, r in rows.items() if r["trainable"]) == sorted(opened + ["head"])
    assert not any(r["trainable"] for r in rows.values() if r["class"] == "BatchNormalization")
    with pytest.raises(ValueError, match="blocks must be <= 3"):
        transfer.unfreeze_top(model, blocks=4)


def test_imagenet_weights_found_in_the_keras_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / transfer.IMAGENET_BASES["mobilenet_v2"][2].format(size=96)
     ).write_bytes(b"x")
    ok, reason = transfer.imagenet_weights_available()
    assert ok and "found in Keras' cache" in reason


def test_imagenet_weights_offline_is_a_reason_not_an_exception(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv(transfer.OFFLINE_ENV, raising=False)

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    ok, reason = transfer.imagenet_weights_available(timeout=0.5)
    assert not ok and reason.startswith("offline:") and "Name or service not known" in reason
    with pytest.raises(RuntimeError, match="ImageNet weights of mobilenet_v2 not available"):
        transfer.pretrained_base((32, 32, 3), timeout=0.5)
    monkeypatch.setenv(transfer.OFFLINE_ENV, "1")
    ok, reason = transfer.imagenet_weights_available()
    assert not ok and transfer.OFFLINE_ENV in reason


@pytest.mark.parametrize("kwargs, text", [(dict(name="vgg99"), "name must be one of"),
                                          (dict(size=100), "size must be one of"),
                                          (dict(timeout=0), "timeout must be")])
def test_imagenet_weights_available_rejects_bad_arguments(kwargs, text):
    with pytest.raises(ValueError, match=text):
        transfer.imagenet_weights_available(**kwargs)


def test_pretrained_cnn_validates_before_loading_data():
    cfg = cc.setup(mode="quick", verbose=False, tensorflow=False)
    with pytest.raises(TypeError, match="cfg must be the Config"):
        transfer.pretrained_cnn("quick", ["cat", "dog"])
    with pytest.raises(ValueError, match="learning_rate must be"):
        transfer.pretrained_cnn(cfg, ["cat", "dog"], learning_rate=0)


def test_public_names():
    for name in ("feature_extractor", "with_new_head", "unfreeze_top", "trainable_summary",
                 "pretrained_cnn", "pretrained_base", "imagenet_weights_available"):
        assert getattr(cc, name) is getattr(transfer, name)


# ----------------------------------------------------------------------------- checks
def verdict(check_id, answer, seed=3):
    spec = SPECS[check_id]
    cases = serialize.loads(serialize.dumps(spec.cases(seed)))
    results = serialize.loads(serialize.dumps(spec.probe({spec.answers[0]: answer}, cases)))
    return spec.judge(cases, results)


def stub(*args, **kwargs):
    raise NotImplementedError("Write your answer here")


def head(freeze_base=True, freeze_head=False, bias=True, activation="softmax", extra=False,
         fresh_base=False, units=None):
    """A transfer_model answer: the defaults are right, each argument plants one slip."""
    def transfer_model(base, num_classes):
        if fresh_base:
            base = keras.models.clone_model(base)
        base.trainable = not freeze_base
        inputs = keras.Input(shape=base.inputs[0].shape[1:])
        x = base(inputs, training=False)
        if extra:
            x = L.Dense(8, activation="relu")(x)
        dense = L.Dense(units or num_classes, activation=activation, use_bias=bias)
        out = dense(x)
        dense.trainable = not freeze_head
        return keras.Model(inputs, out)
    return transfer_model


def test_transfer_head_right_answer_passes():
    v = verdict("transfer_head", head())
    assert v.passed, v.message


@pytest.mark.parametrize("answer, text", [
    (head(freeze_base=False), "the base is not frozen"),
    (head(freeze_head=True), "nothing learns: the new head is frozen too"),
    (head(bias=False), "the head has no bias"),
    (head(activation=None), "the last layer's activation is 'linear'"),
    (head(extra=True), "one Dense layer on the features, nothing more"),
    (head(fresh_base=True), "does not use the base it was given"),
    (head(units=7), "the new head has one unit per class"),
    (stub, "answer missing"),
    (lambda base, k: None, "forget the `return`"),
])
def test_transfer_head_slips_are_named(answer, text):
    v = verdict("transfer_head", answer)
    assert not v.passed and text in v.message, v.message


def fine_tune(bn=False, everything=False, bottom=False, head_frozen=False, nothing=False):
    """A prepare_fine_tuning answer: the defaults are right, each argument plants one slip."""
    def prepare_fine_tuning(model, blocks):
        base = next(layer for layer in model.layers if isinstance(layer, keras.Model))
        base.trainable = not nothing
        pools = [i for i, layer in enumerate(base.layers) if isinstance(layer, L.MaxPooling2D)]
        if nothing:
            return model
        if bottom:
            lo, hi = 0, pools[blocks - 1]
        else:
            lo, hi = (pools[-blocks - 1] + 1 if blocks < len(pools) else 0), len(base.layers)
        for i, layer in enumerate(base.layers):
            inside = everything or lo <= i <= hi
            layer.trainable = inside and (bn or not isinstance(layer, L.BatchNormalization))
        if head_frozen:
            model.get_layer("head").trainable = False
        return model
    return prepare_fine_tuning


def test_fine_tune_right_answer_passes():
    v = verdict("fine_tune", fine_tune())
    assert v.passed, v.message


@pytest.mark.parametrize("answer, text", [
    (fine_tune(bn=True), "BatchNormalization layers are trainable"),
    (fine_tune(everything=True), "every block of the base is trainable"),
    (fine_tune(bottom=True), "count the blocks from the top"),
    (fine_tune(head_frozen=True), "the head is frozen"),
    (fine_tune(nothing=True), "no convolution is trainable"),
    (lambda model, blocks: keras.Sequential([keras.Input((2,)), L.Dense(2)]),
     "not the one given"),
    (stub, "answer missing"),
])
def test_fine_tune_slips_are_named(answer, text):
    v = verdict("fine_tune", answer)
    assert not v.passed and text in v.message, v.message


@pytest.mark.parametrize("answer, passed, text", [
    (645, True, "Right"), (640, False, "biases of the head are missing"),
    (133, False, "multiply, they do not add"), (None, False, "answer missing"),
])
def test_head_params_question(answer, passed, text):
    v = verdict("q_head_params", answer)
    assert v.passed is passed and text in v.message, v.message


@pytest.mark.parametrize("answer, passed, text", [
    ("b", True, "Prediction recorded (B"), ("C)", True, "Prediction recorded (C"),
    ("E", False, "not one of the options"), (None, False, "answer missing"),
])
def test_transfer_prediction_is_graded_on_being_made(answer, passed, text):
    v = verdict("q_transfer_prediction", answer)
    assert v.passed is passed and text in v.message, v.message


def test_every_check_has_hints():
    from cnn_course.checks.hints import all_hints
    hints = all_hints()
    for check_id in ("transfer_head", "fine_tune", "q_head_params", "q_transfer_prediction"):
        assert len(hints[check_id]) >= 2


def test_transfer_probes_import_no_judge(tmp_path):
    """The probe builds and inspects the student's model in its own process without importing
    the judges, the case generators or the registry."""
    import subprocess
    import sys
    import textwrap

    cases_path, results_path = tmp_path / "cases.npz", tmp_path / "results.npz"
    serialize.dump(cases_path, SPECS["transfer_head"].cases(0)[:1])
    script = textwrap.dedent(f"""
        import sys
        import keras
        def transfer_model(base, num_classes):               # base left trainable: a slip
            inputs = keras.Input(shape=base.inputs[0].shape[1:])
            return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(
                base(inputs)))
        import cnn_course.checks.probe as p
        p.run("transfer_head", {{"transfer_model": transfer_model}}, {str(cases_path)!r},
              {str(results_path)!r})
        bad = [m for m in ("cnn_course.checks.registry", "cnn_course.checks.transfer",
                           "cnn_course.checks.judging", "cnn_course.checks.cases")
               if m in sys.modules]
        print("IMPORTED", bad)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "IMPORTED []" in out.stdout, out.stdout
    verdict = SPECS["transfer_head"].judge(serialize.load(cases_path),
                                           serialize.load(results_path))
    assert not verdict.passed and "the base is not frozen" in verdict.message, verdict.message
