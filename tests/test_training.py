"""Training toolkit: train / resume, evaluate, predictions, confusion matrix, weights export."""
from __future__ import annotations


import numpy as np
import pytest

keras = pytest.importorskip("keras")

import cnn_course as cc  # noqa: E402
from cnn_course import training  # noqa: E402


@pytest.fixture(scope="module")
def fashion():
    """600 real training and 200 real test images of Fashion-MNIST, floats in [0, 1]."""
    (x, y), (xt, yt) = cc.load_dataset("fashion_mnist")
    return ((x[:600] / 255.0).astype("float32"), y[:600].astype(np.int64),
            (xt[:200] / 255.0).astype("float32"), yt[:200].astype(np.int64))


def _small_model():
    keras.utils.set_random_seed(0)
    return cc.build_model("fashion_dense")


class _RaiseAfterEpoch(keras.callbacks.Callback):
    """Simulates an interruption (e.g. the kernel dies) at the end of epoch ``epoch``."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch
        self.weights = None

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            self.weights = [w.copy() for w in self.model.get_weights()]
            raise KeyboardInterrupt(f"interrupted after epoch {epoch}")


class _Recorder(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.start_weights = [w.copy() for w in self.model.get_weights()]
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_train_compiles_validates_on_training_data_and_learns(fashion, monkeypatch, capsys):
    x, y, _, _ = fashion
    model = _small_model()
    seen = {}
    real_fit = model.fit

    def spy_fit(*args, **kwargs):
        seen.update(kwargs)
        seen["n"] = len(args[0])
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(model, "fit", spy_fit)
    history = cc.train(model, x, y, epochs=3, batch_size=32, validation_split=0.2)
    # never the test set: only a split of the training data
    assert "validation_data" not in seen and seen["validation_split"] == 0.2 and seen["n"] == 600
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert isinstance(history, keras.callbacks.History)
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.5
    out = capsys.readouterr().out
    assert "480 images" in out and "last 120 (20%)" in out
    assert "Epoch 3/3" in out  # Keras' progress display


def test_train_keeps_an_existing_compilation_and_adds_the_channel_axis(fashion):
    x, y, _, _ = fashion
    keras.utils.set_random_seed(0)
    model = cc.build_model("fashion_cnn")
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = cc.train(model, x[:128], y[:128], epochs=1, batch_size=64, verbose=0)
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert len(history.history["loss"]) == 1  # (N, 28, 28) input reshaped to (N, 28, 28, 1)


def test_train_rejects_bad_input(fashion):
    x, y, _, _ = fashion
    model = _small_model()
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        cc.train(model, x, y, epochs=0)
    with pytest.raises(ValueError, match="validation_split must be in"):
        cc.train(model, x, y, validation_split=1.0)
    with pytest.raises(ValueError, match="labels but x has"):
        cc.train(model, x, y[:10])
    with pytest.raises(ValueError, match="must be < 10"):
        cc.train(model, x, y + 10)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 28, 28, 1\)"):
        cc.train(model, x[:, :20, :20], y)
    with pytest.raises(TypeError, match="keras.Model"):
        cc.train("fashion_dense", x, y)
    with pytest.warns(UserWarning, match="uint8"):
        cc.train(model, (x[:64] * 255).astype(np.uint8), y[:64], epochs=1, verbose=0)


def test_checkpoint_resume_after_interruption(fashion, tmp_path):
    x, y, _, _ = fashion
    ckpt = tmp_path / "ckpt"
    model = _small_model()
    boom = _RaiseAfterEpoch(1)
    with pytest.raises(KeyboardInterrupt):
        cc.train(model, x, y, epochs=4, batch_size=64, checkpoint_dir=ckpt, verbose=0,
                 callbacks=[boom])
    assert (ckpt / training.BEST_WEIGHTS_FILE).is_file()
    assert (ckpt / training.BACKUP_DIR).is_dir()
    assert not [p.name for p in ckpt.rglob("*") if "tmp" in p.name]  # atomic writes

    # a fresh process would rebuild the model: different initial weights
    keras.utils.set_random_seed(1)
    fresh = cc.build_model("fashion_dense")
    assert not np.array_equal(fresh.get_weights()[0], boom.weights[0])
    rec = _Recorder()
    history = cc.train(fresh, x, y, epochs=4, batch_size=64, checkpoint_dir=ckpt, verbose=0,
                       callbacks=[rec])
    assert rec.epochs == [2, 3]  # continues at the first unfinished epoch
    for saved, restored in zip(boom.weights, rec.start_weights):
        np.testing.assert_array_equal(saved, restored)
    # the returned history covers the whole run, the interrupted part included
    assert history.epoch == [0, 1, 2, 3]
    assert all(len(v) == 4 for v in history.history.values())
    assert not (ckpt / training.BACKUP_DIR).exists()  # Keras removes it when done
    best = cc.build_model("fashion_dense")
    best.load_weights(ckpt / training.BEST_WEIGHTS_FILE)
    # the best weights are those of the epoch with the lowest validation loss
    best_loss = min(history.history["val_loss"])
    best.compile(loss="sparse_categorical_crossentropy")
    val_loss = best.evaluate(x[540:], y[540:], verbose=0, batch_size=64)
    assert val_loss == pytest.approx(best_loss, rel=1e-4)

    # a later train() of the same model starts at epoch 0 again (no stale restart epoch)
    again = cc.train(fresh, x, y, epochs=1, verbose=0)
    assert again.epoch == [0]


def test_evaluate_and_predict_labels_agree(fashion):
    x, y, xt, yt = fashion
    model = _small_model()
    cc.train(model, x, y, epochs=2, verbose=0)
    scores = cc.evaluate(model, xt, yt)
    assert set(scores) == {"loss", "accuracy"}
    pred = cc.predict_labels(model, xt)
    assert pred.shape == (200,) and pred.dtype.kind == "i"
    assert scores["accuracy"] == pytest.approx(np.mean(pred == yt), abs=1e-6)
    names = cc.class_names("fashion_mnist")
    named = cc.predict_labels(model, xt[:5], class_names=names)
    assert list(named) == [names[i] for i in pred[:5]]
    with pytest.raises(ValueError, match="3 names but the model predicts 10"):
        cc.predict_labels(model, xt, class_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="for one image use"):
        cc.predict_labels(model, xt[0][..., None])
    # evaluate compiles an uncompiled model itself
    assert 0.0 <= cc.evaluate(_small_model(), xt, yt[:, None])["accuracy"] <= 1.0


def test_confusion_matrix_hand_computed():
    y_true = [0, 0, 1, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 2, 2, 0, 2]
    expected = np.array([[1, 1, 0],
                         [0, 2, 1],
                         [1, 0, 3]])
    cm = cc.confusion_matrix(y_true, y_pred)
    np.testing.assert_array_equal(cm, expected)
    assert cm.dtype.kind == "i" and cm.sum() == 9
    big = cc.confusion_matrix(np.array(y_true)[:, None], y_pred, num_classes=4)
    assert big.shape == (4, 4) and big[3].sum() == 0 and big[:, 3].sum() == 0
    with pytest.raises(ValueError, match="same length"):
        cc.confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match="y_pred must be < num_classes=2"):
        cc.confusion_matrix([0, 1], [0, 2], num_classes=2)
    with pytest.raises(ValueError, match="y_true must be >= 0"):
        cc.confusion_matrix([-1, 1], [0, 1])
    with pytest.raises(ValueError, match="integer"):
        cc.confusion_matrix([0.5, 1], [0, 1])


def test_per_class_accuracy():
    cm = np.array([[1, 1, 0],
                   [0, 2, 1],
                   [1, 0, 3],
                   [0, 0, 0]])[:, :3]
    with pytest.raises(ValueError, match="square"):
        cc.per_class_accuracy(cm)
    acc = cc.per_class_accuracy(np.array([[1, 1, 0, 0], [0, 2, 1, 0], [1, 0, 3, 0], [0, 0, 0, 0]]))
    np.testing.assert_allclose(acc[:3], [1 / 2, 2 / 3, 3 / 4])
    assert np.isnan(acc[3])  # no sample of class 3
    with pytest.raises(ValueError, match=">= 0"):
        cc.per_class_accuracy(-np.eye(2))


def test_export_weights_writes_names_shapes_and_all_values(tmp_path):
    keras.utils.set_random_seed(0)
    model = cc.build_model("cifar_baseline")
    path = cc.export_weights(model, tmp_path / "weights.txt", precision=8)
    text = path.read_text()
    variables = model.trainable_variables
    assert len(variables) == 8  # conv kernel/bias, BN gamma/beta, 2 Dense kernel/bias
    assert "..." not in text  # every value is written
    assert "moving_mean" not in text  # only trainable variables
    for v in variables:
        assert f"{v.path}\nshape: {tuple(v.shape)}\n" in text
    # the values can be read back, row by row along the last axis
    def block(name, shape):
        body = text.split(f"{name}\nshape: {shape}\n")[1].split("\n\n")[0]
        return np.array([[float(v) for v in line.split()] for line in body.splitlines()])

    bias = block("predictions/bias", (10,))
    np.testing.assert_allclose(bias[0], model.get_layer("predictions").bias.numpy(), atol=1e-7)
    kernel = model.get_layer("block1_conv").kernel.numpy()
    conv = block("block1_conv/kernel", (5, 5, 3, 6))
    assert conv.shape == (5 * 5 * 3, 6)
    np.testing.assert_allclose(conv.reshape(5, 5, 3, 6), kernel, rtol=1e-6)
    assert not [p for p in tmp_path.iterdir() if p.name != "weights.txt"]  # no temp file left
    with pytest.raises(ValueError, match="does not exist"):
        cc.export_weights(model, tmp_path / "missing" / "w.txt")


def test_nan_images_and_out_of_range_test_labels_are_rejected_by_name():
    import keras

    import cnn_course as cc

    keras.utils.set_random_seed(0)
    model = cc.build_model("fashion_dense")
    x = np.zeros((8, 28, 28, 1), np.float32)
    bad = x.copy()
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="x contains NaN"):
        cc.train(model, bad, np.zeros(8, int), epochs=1, verbose=0, validation_split=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with pytest.raises(ValueError, match=r"y_test must be < 10"):
        cc.evaluate(model, x, np.full(8, 10))


def test_bad_split_and_checkpoint_dir_are_caught_before_keras(tmp_path, monkeypatch):
    model = _small_model()
    x = np.zeros((8, 28, 28, 1), np.float32)
    y = np.arange(8) % 10
    monkeypatch.setattr(model, "fit", lambda *a, **k: pytest.fail("fit must not be reached"))
    # Keras keeps floor(8 * 0.01) = 0 images for training
    with pytest.raises(ValueError, match=r"validation_split=0.99 leaves no training image out of 8"):
        cc.train(model, x, y, validation_split=0.99, verbose=0)
    with pytest.raises(ValueError, match=r"validation_split=1e-18 leaves no validation image"):
        cc.train(model, x, y, validation_split=1e-18, verbose=0)  # 1 - 1e-18 == 1.0
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    for bad in (a_file, a_file / "inside"):
        with pytest.raises(ValueError, match="checkpoint_dir must be a folder, but .*notes.txt "
                                             "is an existing file"):
            cc.train(model, x, y, validation_split=0.5, checkpoint_dir=bad, verbose=0)
    with pytest.raises(TypeError, match="checkpoint_dir must be a folder path"):
        cc.train(model, x, y, validation_split=0.5, checkpoint_dir=3, verbose=0)
    assert not (tmp_path / "notes.txt").is_dir()


@pytest.mark.parametrize("n, split", [(8, 0.5), (600, 0.2), (10, 0.7), (7, 0.3), (1000, 0.1)])
def test_split_sizes_follow_keras(n, split):
    """The sizes train() prints are the ones Keras' own split gives."""
    from keras.src.trainers.data_adapters.array_slicing import train_validation_split

    x = np.arange(n)
    (tr,), (va,) = train_validation_split((x,), validation_split=split)
    assert training._split_sizes(n, split) == (len(tr), len(va))


def test_checkpointing_uses_keras_public_callbacks(fashion, tmp_path, monkeypatch):
    x, y, _, _ = fashion
    model = _small_model()
    seen = {}
    real_fit = model.fit

    def spy_fit(*args, **kwargs):
        seen["callbacks"] = kwargs["callbacks"]
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(model, "fit", spy_fit)
    cc.train(model, x[:64], y[:64], epochs=1, checkpoint_dir=tmp_path / "c", verbose=0)
    kinds = [type(cb) for cb in seen["callbacks"]]
    # the step timer, the history log, then Keras' own checkpointing: exactly Keras' classes
    assert kinds == [keras.callbacks.LambdaCallback, keras.callbacks.LambdaCallback,
                     keras.callbacks.ModelCheckpoint, keras.callbacks.BackupAndRestore]
    best, backup = seen["callbacks"][2], seen["callbacks"][3]
    assert best.save_best_only and best.save_weights_only and best.monitor == "val_loss"
    assert backup.double_checkpoint


def test_seconds_per_step_times_real_training_steps(fashion, monkeypatch):
    x, y, _, _ = fashion
    model = _small_model()
    calls = []
    real_step = model.train_on_batch

    def spy(xb, yb):
        calls.append(len(xb))
        return real_step(xb, yb)

    monkeypatch.setattr(model, "train_on_batch", spy)
    before = [w.copy() for w in model.get_weights()]
    seconds = cc.seconds_per_step(model, x, y, batch_size=16, steps=2)
    assert isinstance(seconds, float) and 0 < seconds < 60
    assert calls == [16, 16, 16]  # one warm-up step (not timed) and two timed steps
    assert model.optimizer is not None  # compiled with the train() defaults
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_train_times_every_step_of_the_run(fashion):
    x, y, _, _ = fashion
    model = _small_model()
    # 200 images, 10% held out -> 180 training images = 6 steps of 32 (the last of 20) per epoch
    history = cc.train(model, x[:200], y[:200], epochs=2, batch_size=32, verbose=0)
    assert len(history.step_seconds) == 12
    assert all(isinstance(t, float) and 0 < t < 60 for t in history.step_seconds)
    assert history.seconds_per_step == float(np.median(history.step_seconds[1:]))
    one = cc.train(_small_model(), x[:40], y[:40], epochs=1, batch_size=64, verbose=0)
    assert len(one.step_seconds) == 1 and np.isnan(one.seconds_per_step)  # only the tracing step


@pytest.mark.parametrize("times, message", [
    ([], "at least 2 steps"),
    ([3.0], "at least 2 steps"),
    ([1.0, float("nan")], "finite times >= 0"),
    ([1.0, -0.5], "finite times >= 0"),
])
def test_typical_step_seconds_rejects_what_is_not_two_times(times, message):
    with pytest.raises(ValueError, match=message):
        training.typical_step_seconds(times)


def test_typical_step_seconds_leaves_out_the_tracing_step():
    assert training.typical_step_seconds([30.0, 1.0]) == 1.0
    assert training.typical_step_seconds([30.0, 1.0, 2.0, 100.0]) == 2.0  # median, not mean


def test_seconds_per_step_rejects_bad_input(fashion):
    x, y, _, _ = fashion
    model = _small_model()
    with pytest.raises(ValueError, match="x has 8 images, fewer than batch_size=32"):
        cc.seconds_per_step(model, x[:8], y[:8])
    with pytest.raises(ValueError, match="steps must be >= 1"):
        cc.seconds_per_step(model, x, y, steps=0)
    with pytest.raises(ValueError, match="labels but x has"):
        cc.seconds_per_step(model, x, y[:10])
    with pytest.raises(TypeError, match="keras.Model"):
        cc.seconds_per_step("fashion_dense", x, y)


# ----------------------------------------------------------------------------- progress display
class _Stream:
    def __init__(self, tty):
        self.tty = tty

    def isatty(self):
        return self.tty

    def write(self, text):
        return len(text)

    def flush(self):
        pass


def test_progress_verbosity_is_a_bar_where_someone_watches(monkeypatch):
    """Issue 19: a progress bar (Keras verbose=1) in a Jupyter kernel or a terminal, one
    line per epoch (verbose=2) in a log."""
    import sys
    import types

    fake_ipython = types.SimpleNamespace(get_ipython=lambda: None)
    monkeypatch.setitem(sys.modules, "IPython", fake_ipython)
    monkeypatch.setattr(sys, "stdout", _Stream(tty=False))
    assert training.progress_verbosity() == 2
    monkeypatch.setattr(sys, "stdout", _Stream(tty=True))
    assert training.progress_verbosity() == 1
    monkeypatch.setattr(sys, "stdout", _Stream(tty=False))
    fake_ipython.get_ipython = lambda: object()   # a running kernel (JupyterLab)
    assert training.progress_verbosity() == 1


def test_train_auto_verbosity_follows_progress_verbosity(fashion, monkeypatch, capsys):
    x, y, _, _ = fashion
    model = _small_model()
    seen = []
    real_fit = model.fit

    def spy_fit(*args, **kwargs):
        seen.append(kwargs["verbose"])
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(model, "fit", spy_fit)
    monkeypatch.setattr(training, "progress_verbosity", lambda: 2)
    cc.train(model, x[:64], y[:64], epochs=2, batch_size=32, validation_split=0.0)
    out = capsys.readouterr().out
    assert seen == [2] and "\r" not in out and "\b" not in out   # a log stays short
    assert out.count("Epoch ") == 2
    monkeypatch.setattr(training, "progress_verbosity", lambda: 1)
    cc.train(model, x[:64], y[:64], epochs=1, batch_size=32, validation_split=0.0)
    assert seen == [2, 1] and "\r" in capsys.readouterr().out   # the bar redraws in place
    cc.train(model, x[:64], y[:64], epochs=1, batch_size=32, validation_split=0.0, verbose=0)
    assert seen == [2, 1, 0] and capsys.readouterr().out == ""


def test_clearly_above_chance_is_three_standard_errors_above_guessing():
    assert cc.clearly_above_chance(1017) == pytest.approx(0.1 + 3 * (0.09 / 1017) ** 0.5)
    assert cc.clearly_above_chance(100, num_classes=2, standard_errors=2) == pytest.approx(0.6)
    for bad in ({"n": 0}, {"n": 10, "num_classes": 1}, {"n": 10, "standard_errors": 0}):
        with pytest.raises(ValueError):
            cc.clearly_above_chance(**bad)


def _count_traces(model):
    """Wrap ``model.train_step``: every trace of Keras' training function calls it once."""
    calls = []
    step = model.train_step

    def counted(data):
        calls.append(1)
        return step(data)

    model.train_step = counted
    return calls


@pytest.mark.parametrize("prebuild, traces", [(True, 1), (False, 2)])
def test_training_state_built_first_means_one_trace(fashion, prebuild, traces):
    """Keras' TensorFlow trainer creates optimizer and metric variables inside its first
    trace, which makes TensorFlow trace the step twice; built first, it is traced once.
    The (False, 2) case records Keras' own behaviour (Keras 3.15): if a release fixes it,
    that case fails and ``_build_training_state`` has no work left to do."""
    x, y, _, _ = fashion
    model = _small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    calls = _count_traces(model)
    if prebuild:
        assert training._build_training_state(model, x[:32], y[:32])
        assert model.optimizer.built
    model.fit(x[:64], y[:64], batch_size=32, epochs=2, verbose=0)
    assert len(calls) == traces


def test_train_builds_the_state_before_fitting(fashion):
    x, y, xt, yt = fashion
    model = _small_model()
    calls = _count_traces(model)
    cc.train(model, x[:64], y[:64], epochs=2, batch_size=32, validation_split=0, verbose=0)
    assert len(calls) == 1
    uncompiled = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    assert not training._build_training_state(uncompiled, np.zeros((1, 2)), np.zeros(1))


def test_building_the_state_first_trains_the_same_weights(fashion):
    x, y, _, _ = fashion
    weights = []
    for prebuild in (False, True):
        model = _small_model()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        if prebuild:
            training._build_training_state(model, x[:32], y[:32])
        keras.utils.set_random_seed(1)
        model.fit(x[:96], y[:96], batch_size=32, epochs=2, verbose=0, shuffle=True)
        weights.append(model.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*weights))
