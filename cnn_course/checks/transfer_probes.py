"""The student-side part of the transfer-learning checks: build, then report what is trainable.

Runs in the student's process (:mod:`.probe` hands the kinds of :data:`KINDS` over to
:func:`probe_cases`) and decides nothing; the grader judges the plain records in
:mod:`cnn_course.checks.transfer`. Two kinds of answer:

- ``"transfer_head"``: ``transfer_model(base, num_classes) -> keras.Model``. The probe builds a
  small pretrained-like base (:func:`cnn_course.recipes.compact_cnn` cut at its global average
  pooling by :func:`cnn_course.transfer.feature_extractor`), calls the answer and reports the
  output shape, the last layer's activation, trainable and frozen parameter counts, and
  whether the returned model uses that base's weights and leaves them trainable.
- ``"fine_tune"``: ``prepare_fine_tuning(model, blocks) -> keras.Model``. The probe builds a
  frozen transfer model (:func:`cnn_course.transfer.with_new_head` on such a base), calls
  the answer and reports every layer with weights: name, class, trainable.

Nothing here imports a judge or computes an expected answer.
"""
from __future__ import annotations

from typing import Any

from .._lazy import keras
from . import serialize
from .serialize import a_type

__all__ = ["KINDS", "probe_cases", "probe_base"]

KINDS = ("transfer_head", "fine_tune")


def probe_base(case: dict) -> Any:
    """The case's base: a compact CNN (stages ``base_s<i>c1_conv/_bn/_relu``, pooling), cut at
    ``base_gap``; its features are ``case["widths"][-1]`` numbers."""
    from ..recipes import compact_cnn
    from ..transfer import feature_extractor

    keras.utils.set_random_seed(int(case["seed"]))
    source = compact_cnn(tuple(int(v) for v in case["input_shape"]), 5,
                         widths=[int(w) for w in case["widths"]], convs_per_stage=1, name="base")
    return feature_extractor(source, up_to="base_gap")


def _head_record(got: Any, base: Any) -> dict:
    from ..transfer import trainable_summary
    from .probe import _error, _exception_text

    if not isinstance(got, keras.Model):
        return _error("type", f"returned {a_type(got)}, expected a keras.Model (build it with "
                              f"keras.Model(inputs, outputs))")
    try:
        summary = trainable_summary(got)
        model_weights = {id(w) for w in got.weights}
        trainable = {id(w) for w in got.trainable_weights}
        base_weights = [w for w in base.weights]
        last = got.layers[-1]
        value = {
            "output_shape": [None if d is None else int(d) for d in got.outputs[0].shape],
            "activation": str(getattr(last, "get_config", dict)().get("activation", "none")),
            "trainable_params": summary["trainable_params"],
            "frozen_params": summary["frozen_params"],
            "total_params": int(got.count_params()),
            "uses_base": all(id(w) in model_weights for w in base_weights),
            "base_trainable_weights": sum(id(w) in trainable for w in base_weights),
            "base_params": int(base.count_params()),
        }
        return {"value": serialize.to_plain(value)}
    except Exception as exc:
        return _error("exception", f"the model cannot be inspected: {_exception_text(exc)}")


def _fine_tune_record(got: Any) -> dict:
    from ..transfer import trainable_summary
    from .probe import _error, _exception_text

    if not isinstance(got, keras.Model):
        return _error("type", f"returned {a_type(got)}, expected the keras.Model, ready to "
                              f"compile (return the model you were given)")
    try:
        rows = trainable_summary(got)["layers"]
        return {"value": serialize.to_plain(
            {"layers": [{"name": r["name"], "class": r["class"], "trainable": r["trainable"]}
                        for r in rows]})}
    except Exception as exc:
        return _error("exception", f"the model cannot be inspected: {_exception_text(exc)}")


def probe_cases(check_id: str, kind: str, name: str, answers: dict[str, Any],
                cases: list[dict]) -> list[dict]:
    """One plain record per case for the kinds of :data:`KINDS` (see the module docstring);
    the student's errors become error records, never exceptions."""
    from ..transfer import with_new_head
    from .probe import _NO_RETURN, _call, _each_case, _error

    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    func = answers[name]   # probe.probe_cases has checked that it is defined and callable

    def record(case: dict) -> dict:
        base = probe_base(case)
        if kind == "transfer_head":
            ok, got = _call(name, func, [base, int(case["num_classes"])], {})
            result = _head_record(got, base) if ok and got is not None else got
        else:
            model = with_new_head(base, int(case["num_classes"]))
            ok, got = _call(name, func, [model, int(case["blocks"])], {})
            result = _fine_tune_record(got) if ok and got is not None else got
        return _error("type", _NO_RETURN) if ok and got is None else result

    return _each_case(cases, record)
