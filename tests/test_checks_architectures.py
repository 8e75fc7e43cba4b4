"""Checks of lesson 23's exercise: right answers pass, each named mistake is named."""
from __future__ import annotations

import math

import pytest

from cnn_course.checks import (CheckFailed, check_architecture_answer, check_conv_multiply_adds,
                               serialize)
from cnn_course.checks.hints import all_hints
from cnn_course.checks.registry import SPECS


def _judge(check_id, answer, seed=3):
    spec = SPECS[check_id]
    cases = serialize.loads(serialize.dumps(spec.cases(seed)))
    results = serialize.loads(serialize.dumps(spec.probe({spec.answers[0]: answer}, cases)))
    return spec.judge(cases, results)


def right(h, w, c, f, k, s, p):
    oh = math.ceil(h / s) if p == "same" else (h - k) // s + 1
    ow = math.ceil(w / s) if p == "same" else (w - k) // s + 1
    return k * k * c * f * oh * ow


@pytest.mark.parametrize("seed", [0, 1, 2, 12345])
def test_right_function_passes(seed):
    assert _judge("conv_multiply_adds", right, seed).passed


MISTAKES = [
    (lambda h, w, c, f, k, s, p: right(h, w, c, f, k, 1, p), "stride was ignored"),
    (lambda h, w, c, f, k, s, p: k * k * c * f, "counts the weights only"),
    (lambda h, w, c, f, k, s, p: k * k * c * f * h * w, "counted on the input"),
    (lambda h, w, c, f, k, s, p: right(h, w, c, f, k, s, "valid" if p == "same" else "same"),
     "that is the count for padding='valid'"),
    (lambda h, w, c, f, k, s, p: right(h, w, c, f, k, s, p) // c, "spans all input channels"),
    (lambda h, w, c, f, k, s, p: right(h, w, c, f, k, s, p) // f, "output channels are missing"),
    (lambda h, w, c, f, k, s, p: k * k * c * f * math.ceil(h / s) * (w if s > 1 else w)
     if p == "same" else right(h, w, c, f, k, s, p), "one axis only"),
]


@pytest.mark.parametrize("answer, message", MISTAKES, ids=[m for _, m in MISTAKES])
def test_function_mistakes_are_named(answer, message):
    verdict = _judge("conv_multiply_adds", answer)
    assert not verdict.passed
    assert message in verdict.message, verdict.message
    assert verdict.message.startswith("conv_multiply_adds(height=")


def test_function_stub_library_and_type():
    def stub(*args):
        raise NotImplementedError

    assert "answer missing" in _judge("conv_multiply_adds", stub).message
    from cnn_course.inspection import multiply_adds

    assert not _judge("conv_multiply_adds", lambda *a: "many").passed
    assert "multiply_adds" in str(SPECS["conv_multiply_adds"].forbidden)
    assert multiply_adds  # the library function exists and is the forbidden shortcut


QUESTIONS = [
    ("q_conv_layer_macs", 18_874_368, [(73_728, "number of weights"),
                                       (73_856, "parameter count"),
                                       (14_450_688, "'valid' padding"),
                                       (294_912, "all 64 input channels"),
                                       (1, None)]),
    ("q_stride_saving", 4.0, [(2, "both axes"), (1.0, "costs no multiply-adds"),
                              (0.25, "pooled / strided"), (9, "count the output positions"),
                              (3, None)]),
]


@pytest.mark.parametrize("check_id, right_answer, wrong", QUESTIONS, ids=[q[0] for q in QUESTIONS])
def test_number_questions(check_id, right_answer, wrong):
    assert _judge(check_id, right_answer).passed
    assert "answer missing" in _judge(check_id, None).message
    for value, meaning in wrong:
        verdict = _judge(check_id, value)
        assert not verdict.passed and "Why:" in verdict.message
        if meaning:
            assert meaning in verdict.message, verdict.message


def test_macs_per_param_question():
    # Inception-10 reuses each parameter most (many positions, one small dense layer)
    assert _judge("q_macs_per_param", "e)").passed
    verdict = _judge("q_macs_per_param", "C")
    assert not verdict.passed and "most parameters is not" in verdict.message
    assert "inception10 1" in verdict.message          # the counted ratios are in the why
    assert "not one of the options" in _judge("q_macs_per_param", "F").message
    assert "LeNet-5" in _judge("q_macs_per_param", "A").message


def test_student_side_and_hints(capsys):
    check_conv_multiply_adds(right)
    check_architecture_answer("q_stride_saving", 4)
    assert capsys.readouterr().out.count("passed") + 1 >= 2
    with pytest.raises(CheckFailed, match="stride was ignored"):
        check_conv_multiply_adds(lambda h, w, c, f, k, s, p: right(h, w, c, f, k, 1, p))
    with pytest.raises(ValueError, match="check_id must be one of"):
        check_architecture_answer("q_gd_step", 1)
    hints = all_hints()
    for check_id in ("conv_multiply_adds", "q_macs_per_param", "q_conv_layer_macs",
                     "q_stride_saving"):
        assert len(hints[check_id]) >= 2
        assert not any("def " in h or "return" in h for h in hints[check_id])
