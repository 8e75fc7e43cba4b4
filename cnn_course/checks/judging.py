"""Deciding pass/fail from plain results, and explaining a failure: the shared part of every judge.

A judge runs in the grader's process (or, for in-notebook feedback, after the probe has
finished): it reads the cases and the probe's plain results, computes the expected values
with the course's reference implementations, and returns a :class:`Verdict`.

A failing verdict names the first failing input and says what is wrong ("output shape (5, 5),
expected (4, 4)", "returned 5, expected 3"), then, when the answers match a typical mistake,
which one. A mistake is recognised by what it *predicts*: the judge computes each mistake's
result on every case, and names the mistakes that agree with the student's results on all
cases where they make a prediction (:func:`diagnose`); so one coincidence on one input never
gives a misleading hint, and the random cases separate mistakes that agree on the fixed ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np

__all__ = ["Verdict", "Shape", "diagnose", "array_difference", "error_message", "judge_cases",
           "short", "ATOL", "RTOL"]

ATOL, RTOL = 1e-6, 1e-5


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: ``passed`` and the message shown to the student/teacher."""

    passed: bool
    message: str


@dataclass(frozen=True)
class Shape:
    """A mistake that predicts only the *shape* of the result."""

    shape: tuple


def short(value: Any) -> str:
    """A short description of an argument for messages: arrays by shape, the rest by repr."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    if isinstance(value, list):
        value = _tuples(value)
    text = repr(value)
    return text if len(text) <= 70 else text[:67] + "..."


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def call_text(name: str, case: dict) -> str:
    """``name(arg, kw=value)`` as the check called it, arrays shown by their shape."""
    parts = [short(a) for a in case.get("args", [])]
    parts += [f"{k}={short(v)}" for k, v in case.get("kwargs", {}).items()]
    return f"{name}({', '.join(parts)})"


def matches(value: Any, prediction: Any) -> bool:
    """Whether a result equals what a mistake predicts (arrays: shape and values, to tolerance)."""
    if prediction is None:
        return False
    if isinstance(prediction, Shape):
        return isinstance(value, np.ndarray) and value.shape == tuple(prediction.shape)
    if isinstance(prediction, np.ndarray) or isinstance(value, np.ndarray):
        if not isinstance(value, np.ndarray) or not isinstance(prediction, np.ndarray):
            return False
        return (value.shape == prediction.shape and
                bool(np.allclose(value, prediction, atol=ATOL, rtol=RTOL)))
    if isinstance(value, list) or isinstance(prediction, (list, tuple)):
        return (isinstance(value, list) and isinstance(prediction, (list, tuple)) and
                len(value) == len(prediction) and
                all(matches(v, p) for v, p in zip(value, prediction)))
    try:
        return bool(value == prediction)
    except Exception:
        return False


def diagnose(values: Sequence[Any], failing: int,
             predictions: Sequence[Sequence[tuple[str, Any]]]) -> str | None:
    """The explanation of the mistake behind a wrong result, or ``None``.

    Parameters
    ----------
    values : sequence
        The student's result for every case (``None`` where the case gave no value).
    failing : int
        The index of the case being reported.
    predictions : sequence of lists of (text, prediction)
        For every case, each mistake's explanation and what it would return there (``None``
        where the mistake makes no prediction or is indistinguishable from the right answer).

    A mistake is named when it predicts the failing result and agrees with the results of all
    other cases where it makes a prediction; failing that, when it is the only mistake that
    predicts the failing result.
    """
    matching = [text for text, pred in predictions[failing] if matches(values[failing], pred)]
    matching = list(dict.fromkeys(matching))
    consistent = []
    for text in matching:
        agree = True
        for index, case_predictions in enumerate(predictions):
            if index == failing or values[index] is None:
                continue
            for other_text, pred in case_predictions:
                if other_text == text and pred is not None and not matches(values[index], pred):
                    agree = False
        if agree:
            consistent.append(text)
    if consistent:
        return "; or ".join(consistent)
    return matching[0] if len(matching) == 1 else None


def array_difference(got: np.ndarray, expected: np.ndarray,
                     region: tuple[slice, ...] | None = None) -> str | None:
    """``None`` when ``got`` equals ``expected`` (to tolerance, within ``region``), else what differs."""
    if got.shape != expected.shape:
        return f"output shape {got.shape}, expected {expected.shape}"
    a = got.astype(float) if region is None else got.astype(float)[region]
    e = expected if region is None else expected[region]
    bad = ~np.isclose(a, e, atol=ATOL, rtol=RTOL) | ~np.isfinite(a)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    if region is not None:
        index = tuple(i + (s.start or 0) for i, s in zip(index, region))
    where = "[" + ", ".join(str(i) for i in index) + "]"
    return f"values differ at {where}: got {float(got[index]):.6g}, expected {expected[index]:.6g}"


def error_message(call: str, record: dict) -> str:
    """The message for a case whose probe result is an error record."""
    kind, text = record.get("kind"), str(record.get("__error__", "no result"))
    if kind in ("missing", "undefined", "not_callable", "library"):
        return text
    if kind == "exception":
        return f"{call} raised {text}"
    return f"{call} {text}"


def judge_cases(name: str, cases: list[dict], results: list,
                check: Callable[[dict, Any], tuple[str | None, list[tuple[str, Any]]]],
                *, call: Callable[[dict], str] | None = None,
                error_hint: Callable[[dict, str], str | None] | None = None,
                fallback_hint: Callable[[dict, Any], str | None] | None = None) -> Verdict:
    """Judge every case with ``check`` and explain the first failure.

    ``check(case, value) -> (problem, mistakes)``: ``problem`` is ``None`` when the value is
    right, else what is wrong (without the call); ``mistakes`` are the ``(explanation,
    prediction)`` pairs of typical mistakes for this case (see :func:`diagnose`).
    ``error_hint(case, error_text)`` may explain an exception; ``fallback_hint(case, value)``
    gives a hint when no mistake is recognised.
    """
    call = call or (lambda case: call_text(name, case))
    if type(results) is not list or len(results) != len(cases):
        return Verdict(False, f"the check did not produce one result per input (got "
                              f"{len(results) if isinstance(results, list) else 'none'} for "
                              f"{len(cases)})")
    values: list[Any] = []
    problems: list[str | None] = []
    predictions: list[list[tuple[str, Any]]] = []
    first_error = None
    for index, (case, record) in enumerate(zip(cases, results)):
        if not isinstance(record, dict) or ("value" not in record and "__error__" not in record):
            return Verdict(False, f"{call(case)}: the check's result is unreadable")
        if "__error__" in record:
            values.append(None)
            problems.append("error")
            predictions.append([])
            if first_error is None:
                first_error = index
            continue
        value = record["value"]
        problem, mistakes = check(case, value)
        values.append(value)
        problems.append(problem)
        predictions.append(list(mistakes))
    failing = next((i for i, p in enumerate(problems) if p is not None), None)
    if failing is None:
        return Verdict(True, f"All {len(cases)} tests passed.")
    case = cases[failing]
    if problems[failing] == "error":
        record = results[failing]
        message = error_message(call(case), record)
        if error_hint is not None and record.get("kind") == "exception":
            hint = error_hint(case, str(record.get("__error__", "")))
            if hint:
                message += f"\nHint: {hint}"
        return Verdict(False, message)
    hint = diagnose(values, failing, predictions)
    if hint is None and fallback_hint is not None:
        hint = fallback_hint(case, values[failing])
    message = f"{call(case)}: {problems[failing]}"
    if hint:
        message += (" - " if "values differ" in problems[failing] else ": ") + hint
    return Verdict(False, message)


def keep_distinct(expected: Any, mistakes: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The mistakes that make a prediction on this case.

    Drops those without a prediction and shape-only ones that predict the right shape (they
    cannot tell a wrong value from a right one). Value predictions that happen to equal the
    right answer are kept: a student who answered otherwise there did not make that mistake.
    """
    out = []
    for text, pred in mistakes:
        if pred is None:
            continue
        if isinstance(pred, Shape) and isinstance(expected, np.ndarray) and \
                tuple(pred.shape) == expected.shape:
            continue
        out.append((text, list(pred) if isinstance(pred, tuple) else pred))
    return out
