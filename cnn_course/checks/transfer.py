"""Checks of the transfer-learning exercise (lesson 22): a frozen base with a new head, set up
for fine-tuning, the head's parameter count, and a prediction made before the run.

- ``transfer_head``: ``transfer_model(base, num_classes) -> keras.Model``: ``base`` frozen,
  one new ``Dense(num_classes, softmax)`` on its features. Judged on what learns: exactly the
  head's ``F * num_classes + num_classes`` parameters for ``F`` features, the base's
  parameters all frozen and used. Named slips: the base not frozen, the head frozen too, the
  head's size, a missing softmax, a new base instead of the given one.
- ``fine_tune``: ``prepare_fine_tuning(model, blocks) -> keras.Model``: the top ``blocks``
  stages of the base's convolutions trainable, the head still trainable, every
  BatchNormalization layer and the lower stages frozen. Named slips: BatchNormalization
  trainable, everything unfrozen, the bottom blocks opened instead of the top, the head
  frozen, nothing opened.
- ``q_head_params`` (a number) and ``q_transfer_prediction`` (predict-then-run, graded on
  being made).

The probes are in :mod:`.transfer_probes` (kinds ``"transfer_head"``, ``"fine_tune"``);
registered like :mod:`.networks` in :mod:`.registry` and :data:`.probe.PROBES`.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:  # the judges import .judging when they run: the probe process never does
    from .judging import Verdict

__all__ = ["CASES", "JUDGES", "FORBIDDEN", "HINTS", "PROBE_KINDS", "PREDICTION_OPTIONS",
           "head_params", "check_transfer_model", "check_fine_tuning", "check_transfer_answer"]

#: check id -> (answer name, probe kind): merged into :data:`cnn_course.checks.probe.PROBES`.
PROBE_KINDS = {"transfer_head": ("transfer_model", "transfer_head"),
               "fine_tune": ("prepare_fine_tuning", "fine_tune"),
               "q_head_params": ("head_parameters", "value"),
               "q_transfer_prediction": ("transfer_prediction", "value")}

PREDICTION_OPTIONS = {
    "A": "training from scratch: it is not tied to features learnt on other classes",
    "B": "the frozen pretrained features with a new head",
    "C": "no clear difference (within 0.03 test accuracy)",
}


def _rng(seed: int, check_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, sum(map(ord, check_id)), 22])


def head_params(features: int, num_classes: int) -> int:
    """Parameters of ``Dense(num_classes)`` on ``features`` inputs: ``F * K + K``."""
    return features * num_classes + num_classes


# --------------------------------------------------------------------------- cases
def transfer_head_cases(seed: int) -> list[dict]:
    """The lesson's 3 classes on CIFAR-sized input, then drawn bases and class counts."""
    rng = _rng(seed, "transfer_head")
    cases = [{"input_shape": [32, 32, 3], "widths": [8, 16], "num_classes": 3, "seed": 0,
              "label": "3 classes on a 16-feature base"}]
    for _ in range(2):
        cases.append({"input_shape": [16, 16, int(rng.choice([1, 3]))],
                      "widths": [int(rng.integers(2, 6)), int(rng.integers(6, 20))],
                      "num_classes": int(rng.integers(2, 9)), "seed": int(rng.integers(0, 1000))})
    return cases


def fine_tune_cases(seed: int) -> list[dict]:
    """A three-stage base, one block and two blocks opened (and a drawn one)."""
    rng = _rng(seed, "fine_tune")
    cases = [{"input_shape": [16, 16, 3], "widths": [4, 8, 12], "num_classes": 3, "blocks": 1,
              "seed": 0, "label": "the top block of three"},
             {"input_shape": [16, 16, 3], "widths": [4, 6, 8], "num_classes": 4, "blocks": 2,
              "seed": 1, "label": "the top two blocks of three"}]
    cases.append({"input_shape": [16, 16, 1], "widths": [3, 5, 7], "num_classes":
                  int(rng.integers(2, 6)), "blocks": int(rng.integers(1, 3)),
                  "seed": int(rng.integers(0, 1000))})
    return cases


def _one_case(seed: int) -> list[dict]:
    return [{"args": [], "kwargs": {}, "label": "your answer"}]


# --------------------------------------------------------------------------- judges
def _record(results: list, i: int) -> tuple[str | None, Any]:
    record = results[i] if isinstance(results, list) and i < len(results) else None
    if not isinstance(record, dict):
        return "the check did not produce a result", None
    if "__error__" in record:
        return str(record["__error__"]), None
    return None, record.get("value")


def _case_text(case: dict) -> str:
    return (f"a base with {case['widths'][-1]} features (input {tuple(case['input_shape'])}), "
            f"num_classes={case['num_classes']}")


def head_problem(case: dict, value: dict) -> str | None:
    """What is wrong with one ``transfer_head`` record (None: right)."""
    k, features = int(case["num_classes"]), int(case["widths"][-1])
    expected = head_params(features, k)
    if not isinstance(value, dict):
        return "unreadable result"
    if value["output_shape"][1:] != [k]:
        return (f"the output has shape {tuple(value['output_shape'])}, expected (None, {k}): "
                f"the new head has one unit per class of the new task")
    if not value["uses_base"]:
        return ("the model does not use the base it was given: build the new model on "
                "base's output (or call base on the new input), so its pretrained weights "
                "are reused")
    if value["base_trainable_weights"] and value["trainable_params"] >= value["base_params"]:
        return (f"the base is not frozen: {value['trainable_params']:,} parameters would learn, "
                f"expected only the head's {expected:,}. Set base.trainable = False so the "
                f"pretrained features are kept")
    if value["trainable_params"] == 0:
        return (f"nothing learns: the new head is frozen too. Freeze only the base (before "
                f"adding the head); the head's {expected:,} parameters must stay trainable")
    if value["base_trainable_weights"]:
        return ("part of the base is still trainable: freeze all of it "
                "(base.trainable = False) for feature extraction")
    if value["trainable_params"] == features * k:
        return f"the head has no bias: {features} * {k} weights plus {k} biases = {expected}"
    if value["trainable_params"] != expected:
        return (f"{value['trainable_params']:,} parameters learn, expected {expected:,} = "
                f"{features} features * {k} classes + {k} biases: one Dense layer on the "
                f"features, nothing more")
    if value["activation"] != "softmax":
        return (f"the last layer's activation is {value['activation']!r}: the head outputs "
                f"class probabilities (softmax), as the loss of the lesson expects")
    return None


def judge_transfer_head(cases: list[dict], results: list) -> "Verdict":
    from .judging import Verdict

    for i, case in enumerate(cases):
        error, value = _record(results, i)
        problem = error or head_problem(case, value)
        if problem:
            return Verdict(False, f"transfer_model on {_case_text(case)}: {problem}")
    return Verdict(True, f"transfer_model passed on {len(cases)} bases: the base frozen, only "
                         f"the new head learns.")


_STAGE = re.compile(r"^base_s(\d+)c\d+_(conv|bn)$")


def fine_tune_problem(case: dict, value: dict) -> str | None:
    """What is wrong with one ``fine_tune`` record (None: right)."""
    if not isinstance(value, dict) or not isinstance(value.get("layers"), list):
        return "unreadable result"
    stages, blocks = len(case["widths"]), int(case["blocks"])
    convs, bns, head = {}, [], None
    for row in value["layers"]:
        match = _STAGE.match(str(row["name"]))
        if row["name"] == "head":
            head = bool(row["trainable"])
        elif match and match.group(2) == "conv":
            convs[int(match.group(1))] = bool(row["trainable"])
        elif match:
            bns.append(bool(row["trainable"]))
    if head is None or len(convs) != stages:
        return ("the returned model is not the one given (its base or its head is missing): "
                "change the trainable flags of that model and return it")
    opened = sorted(s for s, t in convs.items() if t)
    want = list(range(stages - blocks + 1, stages + 1))
    if any(bns):
        return ("BatchNormalization layers are trainable: keep them frozen while fine-tuning "
                "(inference mode), or a few small batches of new images overwrite the "
                "statistics the pretrained weights were learnt with")
    if not head:
        return "the head is frozen: the new head must keep learning while the top blocks tune"
    if not opened:
        return ("no convolution is trainable: make the base trainable first "
                "(base.trainable = True), then freeze what must stay frozen")
    if opened == list(range(1, stages + 1)) and blocks < stages:
        return (f"every block of the base is trainable: open only the top {blocks} (the "
                f"early blocks compute generic features; keep them as they are)")
    if opened == list(range(1, blocks + 1)) and opened != want:
        return (f"the bottom {blocks} block(s) were opened: count the blocks from the top "
                f"(the output side), where the features are specific to the old classes")
    if opened != want:
        return (f"the convolutions of stages {opened} are trainable, expected those of the "
                f"top {blocks} block(s): stages {want} of {stages}")
    return None


def judge_fine_tune(cases: list[dict], results: list) -> "Verdict":
    from .judging import Verdict

    for i, case in enumerate(cases):
        error, value = _record(results, i)
        problem = error or fine_tune_problem(case, value)
        if problem:
            return Verdict(False, f"prepare_fine_tuning(model, blocks={case['blocks']}) on a "
                                  f"base of {len(case['widths'])} blocks: {problem}")
    return Verdict(True, f"prepare_fine_tuning passed on {len(cases)} models: the top blocks "
                         f"learn, BatchNormalization and the lower blocks stay frozen.")


def _questions() -> dict[str, Callable[[list[dict], list], "Verdict"]]:
    from .questions import Question, judge_question

    question = Question(
        "q_head_params", "number", lambda: head_params(128, 5),
        "a Dense layer on F = 128 features with K = 5 units has one weight per feature and "
        "unit and one bias per unit: 128 * 5 + 5 = 645 parameters, all trainable; the "
        "frozen base adds none to the count that learns",
        tolerance=0,
        mistakes=((640, "the 5 biases of the head are missing"),
                  (133, "the features and the classes multiply, they do not add"),
                  (0, "the head is new and learns: only the base is frozen")))

    def judge_head(cases: list[dict], results: list) -> "Verdict":
        return judge_question(question, cases, results)
    return {"q_head_params": judge_head, "q_transfer_prediction": judge_prediction}


def judge_prediction(cases: list[dict], results: list) -> "Verdict":
    """A prediction is graded on being made (one of the options), not on being right."""
    from .judging import Verdict
    from .questions import normalise_choice

    error, value = _record(results, 0)
    if error:
        return Verdict(False, error)
    if not isinstance(value, str) or normalise_choice(value) not in PREDICTION_OPTIONS:
        return Verdict(False, f"transfer_prediction: {value!r} is not one of the options "
                              f"{', '.join(PREDICTION_OPTIONS)}: answer with a letter")
    letter = normalise_choice(value)
    return Verdict(True, f"Prediction recorded ({letter}: {PREDICTION_OPTIONS[letter]}). Now "
                         f"run the experiment below and compare.")


# --------------------------------------------------------------------------- registry parts
CASES: dict[str, Callable[[int], list[dict]]] = {
    "transfer_head": transfer_head_cases, "fine_tune": fine_tune_cases,
    "q_head_params": _one_case, "q_transfer_prediction": _one_case}
JUDGES: dict[str, Callable[[list[dict], list], "Verdict"]] = {
    "transfer_head": judge_transfer_head, "fine_tune": judge_fine_tune, **_questions()}
_LIBRARY = ("cnn_course.transfer", "cnn_course.with_new_head", "cnn_course.unfreeze_top")
FORBIDDEN: dict[str, tuple[str, ...]] = {"transfer_head": _LIBRARY, "fine_tune": _LIBRARY}

HINTS: dict[str, tuple[str, ...]] = {
    "transfer_head": (
        "Two things happen: the pretrained part stops learning, and a new classifier for the "
        "new classes goes on top of its features.",
        "A Keras model (and so a whole base) has a trainable flag; a frozen base can still be "
        "called on a new input like a layer. Only the new layer should own trainable weights.",
        "On a base giving 16 features and 3 classes, the finished model trains 16 * 3 + 3 = 51 "
        "parameters and keeps every parameter of the base frozen.",
    ),
    "fine_tune": (
        "Fine-tuning opens only the top of the base; the early blocks keep their generic "
        "features, and the new head keeps learning.",
        "Make the base trainable as a whole first, then go through its layers and freeze "
        "those below the top blocks, and every normalisation layer wherever it is.",
        "With three blocks and blocks=1, only the last stage's convolution and the head learn; "
        "the three BatchNormalization layers stay frozen.",
    ),
    "q_head_params": (
        "Only the new layer learns; count its parameters as in lesson 10's dense layers.",
        "A dense layer has one weight for every (input, unit) pair, plus one bias per unit.",
    ),
    "q_transfer_prediction": (
        "Any of the three letters counts: the point is to commit before you see the numbers.",
        "Think about what a network trained from scratch must learn from 20 photos per class, "
        "and what the pretrained features already bring.",
    ),
}


# --------------------------------------------------------------------------- student side
def check_transfer_model(transfer_model: Callable) -> None:
    """Check ``transfer_model(base, num_classes)``: base frozen, one new softmax head."""
    from . import run_check
    run_check("transfer_head", {"transfer_model": transfer_model})


def check_fine_tuning(prepare_fine_tuning: Callable) -> None:
    """Check ``prepare_fine_tuning(model, blocks)``: the top blocks trainable, BN frozen."""
    from . import run_check
    run_check("fine_tune", {"prepare_fine_tuning": prepare_fine_tuning})


def check_transfer_answer(check_id: str, answer: Any) -> None:
    """Check the answer to ``"q_head_params"`` or ``"q_transfer_prediction"``.

    ``None`` (not answered yet) fails with "answer missing".
    """
    from . import run_check

    valid = ("q_head_params", "q_transfer_prediction")
    if check_id not in valid:
        raise ValueError(f"check_id must be one of {valid}, got {check_id!r}")
    run_check(check_id, {PROBE_KINDS[check_id][0]: answer})
