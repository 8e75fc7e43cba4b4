"""Checks of the upsampling exercise (lesson 24): right answers pass, each named mistake is named."""
from __future__ import annotations

import numpy as np
import pytest

from cnn_course.checks import CheckFailed, serialize
from cnn_course.checks.registry import SPECS
from cnn_course.checks.upsampling import check_iou, check_transposed_size


def _judge(check_id, answer, seed=3):
    spec = SPECS[check_id]
    cases = serialize.loads(serialize.dumps(spec.cases(seed)))
    results = serialize.loads(serialize.dumps(spec.probe({spec.answers[0]: answer}, cases)))
    return spec.judge(cases, results)


# --------------------------------------------------------------------------- transposed conv
def _scatter(x, k, s, flip=False):
    k = k[::-1, ::-1] if flip else k
    (h, w), (kh, kw) = x.shape, k.shape
    full = np.zeros(((h - 1) * s + kh, (w - 1) * s + kw))
    for i in range(h):
        for j in range(w):
            full[i * s:i * s + kh, j * s:j * s + kw] += x[i, j] * k
    return full


def _crop(full, n, top):
    out = np.zeros(n)
    part = full[top[0]:top[0] + n[0], top[1]:top[1] + n[1]]
    out[:part.shape[0], :part.shape[1]] = part
    return out


def transpose(x, kernel, stride, padding, *, spacing=None, flip=False, crop="right",
              pad_valid=True):
    s = stride if spacing is None else spacing
    full = _scatter(np.asarray(x, float), np.asarray(kernel, float), s, flip)
    (h, w), (kh, kw) = x.shape, kernel.shape
    if padding == "valid":
        n = (h * s + max(kh - s, 0), w * s + max(kw - s, 0))
        return _crop(full, n, (0, 0)) if pad_valid else full
    if crop == "none":
        return full
    n, total = (h * s, w * s), (max(kh - s, 0), max(kw - s, 0))
    top = {"right": tuple(t // 2 for t in total), "extra_top": tuple(t - t // 2 for t in total),
           "bottom_only": (0, 0)}[crop]
    return _crop(full, n, top)


def test_right_answers_pass():
    for seed in (0, 1, 2, 99):
        assert _judge("conv2d_transpose", transpose, seed).passed
        assert _judge("iou", right_iou, seed).passed


TRANSPOSE_MISTAKES = [
    (lambda x, k, s, p: transpose(x, k, s, p, spacing=1), "not spaced by the stride"),
    (lambda x, k, s, p: transpose(x, k, s, p, flip=True), "kernel was flipped"),
    (lambda x, k, s, p: transpose(x, k, s, p, crop="none"), "'same' keeps exactly stride * n"),
    (lambda x, k, s, p: transpose(x, k, s, p, crop="extra_top"), "odd extra row"),
    (lambda x, k, s, p: transpose(x, k, s, p, crop="bottom_only"), "crops on both sides"),
    (lambda x, k, s, p: transpose(x, k, s, p, pad_valid=False), "kernel smaller than the stride"),
]


@pytest.mark.parametrize("answer, message", TRANSPOSE_MISTAKES,
                         ids=[m for _, m in TRANSPOSE_MISTAKES])
def test_transpose_mistakes_are_named(answer, message):
    verdict = _judge("conv2d_transpose", answer)
    assert not verdict.passed
    assert message in verdict.message, verdict.message


def test_library_answer_is_refused():
    import cnn_course as cc
    verdict = _judge("conv2d_transpose",
                     lambda x, k, s, p: cc.conv2d_transpose(x, k, stride=s, padding=p))
    assert not verdict.passed


# --------------------------------------------------------------------------- IoU
def _counts(t, p):
    t, p = np.asarray(t, bool), np.asarray(p, bool)
    return int((t & p).sum()), int((t | p).sum()), int(t.sum()), int(p.sum())


def right_iou(t, p):
    i, u, _, _ = _counts(t, p)
    return i / u if u else 1.0


IOU_MISTAKES = [
    (lambda t, p: (lambda i, u, a, b: i / (a + b) if a + b else 1.0)(*_counts(t, p)),
     "divided by the sum |T| + |P|"),
    (lambda t, p: (lambda i, u, a, b: 2 * i / (a + b) if a + b else 1.0)(*_counts(t, p)),
     "Dice coefficient"),
    (lambda t, p: (lambda i, u, a, b: i / a if a else 1.0)(*_counts(t, p)), "recall"),
    (lambda t, p: (lambda i, u, a, b: i / b if b else 1.0)(*_counts(t, p)), "precision"),
    (lambda t, p: float(np.mean(np.asarray(t) == np.asarray(p))), "pixel accuracy"),
    (lambda t, p: right_iou(1 - np.asarray(t), 1 - np.asarray(p)), "IoU of the background"),
    (lambda t, p: (lambda i, u, a, b: i / u if u else 0.0)(*_counts(t, p)), "return 1.0"),
    (lambda t, p: (lambda i, u, a, b: i / u if u else float("nan"))(*_counts(t, p)),
     "instead of dividing by 0"),
]


@pytest.mark.parametrize("answer, message", IOU_MISTAKES, ids=[m for _, m in IOU_MISTAKES])
def test_iou_mistakes_are_named(answer, message):
    verdict = _judge("iou", answer)
    assert not verdict.passed
    assert message in verdict.message, verdict.message


def test_stubs_say_answer_missing_and_check_functions_raise(capsys):
    def stub(*args):
        raise NotImplementedError("write it")
    for check_id in ("conv2d_transpose", "iou"):
        verdict = _judge(check_id, stub)
        assert not verdict.passed and "answer missing" in verdict.message
    with pytest.raises(CheckFailed, match="Dice"):
        check_iou(lambda t, p: (lambda i, u, a, b: 2 * i / (a + b) if a + b else 1.0)(*_counts(t, p)))
    check_iou(right_iou)
    assert "passed" in capsys.readouterr().out


# --------------------------------------------------------------------------- the question
@pytest.mark.parametrize("answer, message", [
    (14, "that is 'same'"), (3, "the convolution's output size"), (17, "not at 7 * 2"),
    (13, "nothing is cropped"), (16, "is not right")])
def test_question_wrong_answers_are_explained(answer, message):
    verdict = _judge("q_transposed_size", answer)
    assert not verdict.passed and message in verdict.message, verdict.message


def test_question_right_and_missing(capsys):
    assert _judge("q_transposed_size", 15).passed
    assert "answer missing" in _judge("q_transposed_size", None).message
    check_transposed_size(15)
    assert "Right" in capsys.readouterr().out


def test_hints_exist_without_code():
    from cnn_course.checks.hints import all_hints
    hints = all_hints()
    for check_id in ("conv2d_transpose", "iou", "q_transposed_size"):
        assert len(hints[check_id]) >= 2
        assert not any("def " in h or "np." in h for h in hints[check_id])
