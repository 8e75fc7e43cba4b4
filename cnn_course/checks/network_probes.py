"""The student-side part of the network exercises' checks: build, train and measure, report numbers.

Runs in the student's process (like :mod:`.probe`, which hands these kinds over to
:func:`probe_cases`) and decides nothing: every result is plain data that the grader judges
in its own process (:mod:`cnn_course.checks.networks`). Three kinds of answer
(the bug names and predictions of these exercises are questions, kind ``"value"`` of
:mod:`.probe`):

- ``"model"``: a function ``builder(input_shape, num_classes) -> keras.Model``; the probe
  builds it and returns the plain description of :func:`~.describe.describe_model` plus the
  model's input shape (a ``Sequential`` model is described through an equivalent
  functional one).
- ``"train"``: a function ``train(x_train, y_train, x_val, y_val, epochs, seed) ->
  (model, history)`` that fits a model taking raw pixels (0-255); the probe returns the
  history and what it measures itself on the returned model: accuracy on the validation
  and training images, how far the outputs are from summing to 1, the mean top probability,
  how far the BatchNormalization layers' moving statistics moved.
- ``"budget"``: a function ``builder(input_shape, num_classes) -> keras.Model``; the probe
  trains the built model with a fixed recipe (pixels scaled to [0, 1], Adam with the case's
  ``learning_rate``, sparse
  categorical cross-entropy, batch 32, the case's epochs and seed) and returns its
  parameter count, number of Conv2D layers, output shape and test accuracy.

Nothing here imports a judge, a case generator or a reference network (a test asserts it).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._lazy import keras
from . import serialize
from .serialize import a_type

__all__ = ["KINDS", "probe_cases", "describe_built_model", "measure_model"]

KINDS = ("model", "train", "budget")


def _as_model(got: Any) -> tuple[Any, str | None]:
    """A functional model equivalent to ``got``, or ``(None, why not)``."""

    if not isinstance(got, keras.Model):
        return None, (f"returned {a_type(got)}, expected a keras.Model (build it with "
                      f"keras.Model(inputs, outputs) or keras.Sequential)")
    if isinstance(got, keras.Sequential):
        try:
            inputs = got.inputs
        except Exception:  # not built
            inputs = None
        if not inputs:
            return None, ("the Sequential model is not built: start it with "
                          "keras.Input(shape=input_shape)")
        got = keras.Model(got.inputs, got.outputs)
    if len(got.inputs) != 1 or len(got.outputs) != 1:
        return None, (f"the model has {len(got.inputs)} inputs and {len(got.outputs)} outputs, "
                      f"expected one of each")
    return got, None


def describe_built_model(got: Any) -> dict:
    """The plain result record of a built model (see the module docstring)."""
    from .describe import describe_model
    from .probe import _error, _exception_text

    model, why = _as_model(got)
    if model is None:
        return _error("type", why)
    try:
        return {"value": serialize.to_plain({
            "model": describe_model(model),
            "input_shape": [None if d is None else int(d) for d in model.inputs[0].shape[1:]]})}
    except Exception as exc:
        return _error("type", f"the model cannot be described: {_exception_text(exc)}")


def measure_model(model: Any, x: np.ndarray, y: np.ndarray) -> dict:
    """Accuracy of ``model`` on ``(x, y)``, its cross-entropy ``mean(-ln p[y])`` (p clipped to
    [1e-7, 1], as Keras does), how far its rows are from summing to 1, the mean top
    probability. ``x`` is given to the model as it is."""
    probs = np.asarray(model.predict(x, batch_size=256, verbose=0), dtype=float)
    if probs.ndim != 2 or probs.shape[0] != len(x):
        raise ValueError(f"the model's output has shape {probs.shape}, expected "
                         f"({len(x)}, number of classes)")
    picked = probs[np.arange(len(y)), np.asarray(y, dtype=int)]
    return {"accuracy": float(np.mean(probs.argmax(axis=1) == y)),
            "loss": float(np.mean(-np.log(np.clip(picked, 1e-7, 1.0)))),
            "sum_error": float(np.max(np.abs(probs.sum(axis=1) - 1.0))),
            "top_probability": float(np.mean(probs.max(axis=1)))}


def _bn_moved(model: Any) -> tuple[int, float]:
    """Number of BatchNormalization layers and how far their moving statistics left (0, 1)."""

    layers = [layer for layer in model._flatten_layers(include_self=False)
              if isinstance(layer, keras.layers.BatchNormalization)]
    moved = 0.0
    for layer in layers:
        mean = np.asarray(layer.moving_mean, dtype=float)
        var = np.asarray(layer.moving_variance, dtype=float)
        moved = max(moved, float(np.max(np.abs(mean))), float(np.max(np.abs(var - 1.0))))
    return len(layers), moved


def _history(history: Any) -> dict[str, list[float]]:

    if isinstance(history, keras.callbacks.History):
        history = history.history
    if not isinstance(history, dict):
        raise TypeError(f"the history is {a_type(history)}, expected what model.fit returns")
    out = {}
    for key, values in history.items():
        if isinstance(key, str) and isinstance(values, (list, tuple)):
            out[key] = [float(v) for v in values][:1000]
    return out


def _train_result(got: Any, case: dict) -> dict:
    from .probe import _error, _exception_text

    if not (isinstance(got, tuple) and len(got) == 2):
        return _error("type", f"returned {a_type(got)}, expected the pair (model, history)")
    model, why = _as_model(got[0])
    if model is None:
        return _error("type", why)
    try:
        history = _history(got[1])
        n_bn, moved = _bn_moved(model)
        x_train, y_train = case["x_train"], case["y_train"]
        x_val, y_val = case["x_val"], case["y_val"]
        value = {"history": history, "val": measure_model(model, x_val, y_val),
                 "train": measure_model(model, x_train, y_train),
                 "bn_layers": n_bn, "bn_moved": moved}
        return {"value": serialize.to_plain(value)}
    except Exception as exc:
        return _error("exception", _exception_text(exc))


def _budget_result(got: Any, case: dict) -> dict:
    from .probe import _error, _exception_text

    model, why = _as_model(got)
    if model is None:
        return _error("type", why)
    convs = sum(isinstance(layer, keras.layers.Conv2D)
                for layer in model._flatten_layers(include_self=False))
    shape = [None if d is None else int(d) for d in model.outputs[0].shape]
    value: dict = {"params": int(model.count_params()), "conv_layers": int(convs),
                   "output_shape": shape}
    if shape[1:] != [int(case["num_classes"])]:
        return {"value": value}
    try:
        keras.utils.set_random_seed(int(case["seed"]))
        model.compile(optimizer=keras.optimizers.Adam(float(case["learning_rate"])),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(case["x_train"] / 255.0, case["y_train"], epochs=int(case["epochs"]),
                  batch_size=32, verbose=0)
        value["test"] = measure_model(model, case["x_test"] / 255.0, case["y_test"])
    except Exception as exc:
        return _error("exception", f"training with the fixed recipe failed: "
                                   f"{_exception_text(exc)}")
    return {"value": serialize.to_plain(value)}


def probe_cases(check_id: str, kind: str, name: str, answers: dict[str, Any],
                cases: list[dict]) -> list[dict]:
    """One plain result record per case for the kinds of :data:`KINDS` (see the module
    docstring); the student's errors become error records, never exceptions."""
    from .probe import _NO_RETURN, _call, _each_case, _error

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    func = answers[name]   # probe.probe_cases has checked that it is defined and callable

    def record(case: dict) -> dict:
        if kind == "model":
            ok, got = _call(name, func, [tuple(case["input_shape"]), int(case["num_classes"])], {})
            result = describe_built_model(got) if ok else got
        elif kind == "budget":
            keras.utils.set_random_seed(int(case["seed"]))
            ok, got = _call(name, func, [tuple(case["input_shape"]), int(case["num_classes"])], {})
            result = _budget_result(got, case) if ok else got
        else:  # train
            keras.utils.set_random_seed(int(case["seed"]))
            ok, got = _call(name, func, [case["x_train"].copy(), case["y_train"].copy(),
                                         case["x_val"].copy(), case["y_val"].copy()],
                            {"epochs": int(case["epochs"]), "seed": int(case["seed"])})
            result = _train_result(got, case) if ok else got
        if result is not None and "__error__" not in result and "value" not in result:
            result = _error("type", "unreadable result")
        return _error("type", _NO_RETURN) if ok and got is None else result

    return _each_case(cases, record)
