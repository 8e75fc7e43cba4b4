"""The model cache: trained once, reused; keyed by everything the network depends on."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from cnn_course import model_cache as mc

KEY_ARGS = dict(model_name="tiny", dataset="toy", train_size=32, epochs=1, seed=0)


def _tiny_train_fn(calls: list):
    from cnn_course._lazy import keras

    def train_fn():
        calls.append(1)
        rng = np.random.default_rng(0)
        x = rng.random((32, 6, 6, 1)).astype("float32")
        y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("int64")
        inputs = keras.Input((6, 6, 1))
        h = keras.layers.Conv2D(2, 3, activation="relu", name="conv")(inputs)
        h = keras.layers.Flatten()(h)
        outputs = keras.layers.Dense(2, activation="softmax")(h)
        model = keras.Model(inputs, outputs, name="tiny")
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
        return model, history

    return train_fn


def test_key_changes_when_any_part_changes(monkeypatch):
    base = mc.cache_key(**KEY_ARGS, settings={"batch_size": 16})
    digest = mc.entry_path(base, "/tmp/c").name
    assert digest.startswith("tiny-") and len(digest) == len("tiny-") + 16
    changed = [dict(KEY_ARGS, model_name="tiny2"), dict(KEY_ARGS, dataset="toy2"),
               dict(KEY_ARGS, train_size=33), dict(KEY_ARGS, epochs=2), dict(KEY_ARGS, seed=1)]
    names = {mc.entry_path(mc.cache_key(**args, settings={"batch_size": 16}), "/tmp/c").name
             for args in changed}
    names.add(mc.entry_path(mc.cache_key(**KEY_ARGS, settings={"batch_size": 32}), "/tmp/c").name)
    assert digest not in names and len(names) == 6
    # same parts -> same entry
    assert mc.entry_path(mc.cache_key(**KEY_ARGS, settings={"batch_size": 16}), "/tmp/c").name \
        == digest
    # every library version is part of the key
    for lib in ("cnn_course", "keras", "tensorflow", "numpy"):
        real = mc.library_versions()
        monkeypatch.setattr(mc, "library_versions", lambda real=real, lib=lib: {**real, lib: "0.0"})
        other = mc.entry_path(mc.cache_key(**KEY_ARGS, settings={"batch_size": 16}), "/tmp/c")
        assert other.name != digest, lib
        monkeypatch.undo()


def test_key_rejects_bad_parts():
    with pytest.raises(ValueError, match="model_name"):
        mc.cache_key("../evil", "toy", 1, 1, 0)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        mc.cache_key("tiny", "toy", 1, 0, 0)
    with pytest.raises(TypeError, match="train_size must be an int"):
        mc.cache_key("tiny", "toy", 1.5, 1, 0)
    with pytest.raises(TypeError, match="settings"):
        mc.cache_key("tiny", "toy", 1, 1, 0, settings={"fn": print})


def test_cache_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(mc.CACHE_ENV, str(tmp_path / "x"))
    assert mc.cache_dir() == tmp_path / "x"
    monkeypatch.delenv(mc.CACHE_ENV)
    assert mc.cache_dir().parts[-3:] == (".cache", "cnn-course", "models")
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="cache_dir must be a folder"):
        mc.cache_dir(tmp_path / "file")


def test_second_call_loads_instead_of_training(tmp_path, capsys):
    calls: list = []
    model, history = mc.cached_training(**KEY_ARGS, train_fn=_tiny_train_fn(calls),
                                        cache=tmp_path)
    out = capsys.readouterr().out
    assert calls == [1]
    entry = mc.entry_path(mc.cache_key(**KEY_ARGS), tmp_path)
    assert f"saved to {entry}" in out
    assert {p.name for p in entry.iterdir()} == {"model.keras", "history.json", "key.json"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folder left"

    def must_not_train():
        raise AssertionError("the training function was called although the entry exists")

    again, history2 = mc.cached_training(**KEY_ARGS, train_fn=must_not_train, cache=tmp_path)
    out = capsys.readouterr().out
    assert f"loaded tiny (32 toy images, 1 epoch, seed 0) from the cache: {entry}" in out
    x = np.random.default_rng(1).random((4, 6, 6, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(model(x)), rtol=1e-6)
    assert history2.history == history.history and history2.epoch == [0]
    # a different key trains again
    other_calls: list = []
    mc.cached_training(**dict(KEY_ARGS, epochs=2), train_fn=_tiny_train_fn(other_calls),
                       cache=tmp_path, verbose=False)
    assert other_calls == [1]
    assert len(mc.cache_info(tmp_path)) == 2


def test_corrupt_entry_retrains_with_a_message(tmp_path, capsys):
    calls: list = []
    mc.cached_training(**KEY_ARGS, train_fn=_tiny_train_fn(calls), cache=tmp_path, verbose=False)
    entry = mc.entry_path(mc.cache_key(**KEY_ARGS), tmp_path)
    (entry / "model.keras").write_bytes(b"not a zip file")
    model, _ = mc.cached_training(**KEY_ARGS, train_fn=_tiny_train_fn(calls), cache=tmp_path)
    out = capsys.readouterr().out
    assert calls == [1, 1], "a damaged entry must be trained again"
    assert f"cache entry {entry} could not be read" in out and "training again" in out
    assert (entry / "model.keras").stat().st_size > 100
    # a key.json that does not match is damage too
    record = json.loads((entry / "key.json").read_text())
    record["key"]["epochs"] = 7
    (entry / "key.json").write_text(json.dumps(record))
    mc.cached_training(**KEY_ARGS, train_fn=_tiny_train_fn(calls), cache=tmp_path)
    assert calls == [1, 1, 1]
    assert "does not match" in capsys.readouterr().out


def test_train_fn_must_return_model_and_history(tmp_path):
    with pytest.raises(TypeError, match="train_fn must be callable"):
        mc.cached_training(**KEY_ARGS, train_fn=None, cache=tmp_path)
    with pytest.raises(TypeError, match="train_fn must return"):
        mc.cached_training(**KEY_ARGS, train_fn=lambda: ("model", {}), cache=tmp_path)
    assert mc.cache_info(tmp_path) == []


def test_info_clear_and_command(tmp_path, capsys):
    calls: list = []
    for name in ("tiny", "other"):
        mc.cached_training(**dict(KEY_ARGS, model_name=name), train_fn=_tiny_train_fn(calls),
                           cache=tmp_path, verbose=False)
    (tmp_path / ".tiny-x.tmp").mkdir()            # left over by an interrupted save
    info = mc.cache_info(tmp_path)
    assert [e["key"]["model"] for e in sorted(info, key=lambda e: e["name"])] == ["other", "tiny"]
    assert all(e["bytes"] > 1000 and e["created"] for e in info)

    assert mc.cache_main(argparse.Namespace(clear=False, name=None, dir=str(tmp_path))) == 0
    out = capsys.readouterr().out
    assert f"model cache: {tmp_path}" in out and "2 entries" in out and "32 toy" in out

    removed = mc.clear_cache("tiny", tmp_path)
    assert [p.name.split("-")[0] for p in removed] == ["tiny"]
    assert [e["key"]["model"] for e in mc.cache_info(tmp_path)] == ["other"]

    assert mc.cache_main(argparse.Namespace(clear=True, name=None, dir=str(tmp_path))) == 0
    assert "removed 2 cached networks" in capsys.readouterr().out   # "other" + the .tmp folder
    assert list(tmp_path.iterdir()) == []
    assert mc.cache_info(tmp_path / "missing") == []
    assert "(empty)" in mc.format_cache_info([], tmp_path)
    with pytest.raises(ValueError, match="name"):
        mc.clear_cache("a/b", tmp_path)


def test_import_does_not_load_tensorflow():
    import subprocess
    import sys

    code = ("import sys, cnn_course.model_cache as m; m.cache_key('a', 'b', 1, 1, 0); "
            "m.cache_info('/nonexistent'); print('tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
