"""Questions answered in a variable (cnn_course/checks/questions.py): the probe reads the value
strictly, the grader knows the answer; None is "answer missing" without the answer, a wrong
answer gets what it means and the explanation, a right one passes."""
from __future__ import annotations

import numpy as np
import pytest

from cnn_course.checks import CheckFailed, check_answer, probe, serialize
from cnn_course.checks.questions import QUESTIONS, normalise_choice
from cnn_course.checks.registry import SPECS


def verdict(check_id, value):
    spec = SPECS[check_id]
    cases = serialize.loads(serialize.dumps(spec.cases(0)))
    results = serialize.loads(serialize.dumps(spec.probe({spec.answers[0]: value}, cases)))
    return spec.judge(cases, results)


RIGHT = {"q_image_numbers": 3072, "q_keras_flip": "b", "q_sigmoid_chain": 0.00098,
         "q_gd_step": 0.6, "q_learning_rate": "B)", "q_untrained_loss": 2.3,
         "q_majority_accuracy": 0.1135, "q_im2col_shape": (676, 144), "q_speedup": " c ",
         "q_folder_split": 90, "q_augment_gap": "B", "q_flip_digits": "b"}


def test_every_question_is_registered_as_a_value_probe():
    assert set(RIGHT) <= set(QUESTIONS)   # the lessons' facts: tests/test_lesson_questions.py
    for qid in QUESTIONS:
        assert probe.PROBES[qid].kind == "value" and qid in SPECS


@pytest.mark.parametrize("qid", sorted(RIGHT))
def test_right_answer_passes(qid):
    v = verdict(qid, RIGHT[qid])
    assert v.passed and v.message.startswith("Right"), v.message


@pytest.mark.parametrize("qid", sorted(RIGHT))
def test_none_is_answer_missing_without_the_answer(qid):
    v = verdict(qid, None)
    assert not v.passed and v.message.startswith("answer missing")
    assert "Why" not in v.message and str(QUESTIONS[qid].answer()) not in v.message


def test_undefined_variable():
    spec = SPECS["q_gd_step"]
    results = spec.probe({}, spec.cases(0))
    assert results[0]["kind"] == "undefined"


@pytest.mark.parametrize("qid, value, meaning", [
    ("q_image_numbers", 1024, "number of pixels"),
    ("q_keras_flip", "A", "does not flip"),
    ("q_sigmoid_chain", 0.25, "one layer"),
    ("q_sigmoid_chain", 1.25, "do not add"),
    ("q_gd_step", -0.6, "uphill"),
    ("q_gd_step", 0.3, "factor 2"),
    ("q_learning_rate", "a", "falls slowly"),
    ("q_untrained_loss", 0.1, "minus its natural log"),
    ("q_untrained_loss", 1.0, "log10"),
    ("q_majority_accuracy", 0.1, "equally frequent"),
    ("q_majority_accuracy", 11.35, "fraction"),
    ("q_im2col_shape", (144, 676), "swapped"),
    ("q_im2col_shape", [784, 144], "'same' padding"),
    ("q_speedup", "B", "factor 10"),
    ("q_folder_split", 120, "what is left"),
    ("q_folder_split", 30, "the validation set"),
    ("q_augment_gap", "A", "harder, not easier"),
    ("q_augment_gap", "D", "training images only"),
    ("q_flip_digits", "A", "no longer the digit"),
])
def test_wrong_answer_names_the_mistake_and_explains(qid, value, meaning):
    v = verdict(qid, value)
    assert not v.passed
    assert meaning in v.message and "Why:" in v.message, v.message


@pytest.mark.parametrize("qid, value, text", [
    ("q_gd_step", "0.6", "one number"),
    ("q_gd_step", True, "one number"),
    ("q_keras_flip", 2, "letter"),
    ("q_keras_flip", "E", "not one of the options"),
    ("q_im2col_shape", 676, "tuple of ints"),
])
def test_malformed_answers(qid, value, text):
    v = verdict(qid, value)
    assert not v.passed and text in v.message, v.message


class Liar(float):
    def __eq__(self, other):
        return True


def test_value_probe_is_strict():
    spec = SPECS["q_gd_step"]
    for value in (Liar(0.6), np.array([0.6]).view(type("Sub", (np.ndarray,), {})), object()):
        results = spec.probe({"w_after_step": value}, spec.cases(0))
        assert results[0]["kind"] == "type", results
    assert verdict("q_gd_step", np.float64(0.6)).passed


def test_normalise_choice():
    assert [normalise_choice(t) for t in ("b", " B) ", "(c)", "d.")] == ["B", "B", "C", "D"]


def test_check_answer_in_the_notebook():
    check_answer("q_gd_step", 0.6)
    with pytest.raises(CheckFailed, match="answer missing"):
        check_answer("q_gd_step", None)
    with pytest.raises(CheckFailed, match=r"factor 2[\s\S]*cc.hint\('q_gd_step'\)"):
        check_answer("q_gd_step", 0.3)
    with pytest.raises(ValueError, match="question_id"):
        check_answer("nope", 1)
