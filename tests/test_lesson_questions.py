"""The facts lessons used to assert in a closing "Check your understanding" cell are graded
questions now (issue 15): each one's right answer passes, a typical wrong answer gets what it
means and the explanation, and no lesson ends with pre-written asserts any more."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnn_course.checks import probe, serialize
from cnn_course.checks.hints import all_hints
from cnn_course.checks.questions import QUESTIONS
from cnn_course.checks.registry import SPECS

ROOT = Path(__file__).resolve().parents[1]


def verdict(check_id, value):
    spec = SPECS[check_id]
    cases = serialize.loads(serialize.dumps(spec.cases(0)))
    results = serialize.loads(serialize.dumps(spec.probe({spec.answers[0]: value}, cases)))
    return spec.judge(cases, results)


# id: (right answer, [(typical wrong answer, words of the message that explain it)])
LESSON_QUESTIONS = {
    "q_uint8_wrap": (44, [(300, "wraps around modulo 256"), (255, "does not clip")]),
    "q_joint_cells": (512, [(24, "per-channel histogram"), (64, "as in the lesson")]),
    "q_shuffle_histogram": ("c", [("A", "same pixel values"), ("B", "another order")]),
    "q_valid_side": ((506, 506), [((512, 512), "the output shrinks"),
                                  ((505, 505), "the windows are one more")]),
    "q_step_nonzero": (2, [(1, "neighbour kernel"), (6, "flat part")]),
    "q_stride_fit": (3, [(4, "the floor drops"), (3.5, "takes the floor")]),
    "q_same_even": ((0, 1), [((1, 0), "at the end"), ((1, 1), "one longer")]),
    "q_dilated_side": (5, [(7, "ignores the dilation"), (3, "stride is still 1")]),
    "q_kernel_sums": ("B)", [("A", "flat regions"), ("D", "black")]),
    "q_sobel_peak": (4, [(1, "add their weights"), (3, "weighs 2")]),
    "q_overlap_pool": (27, [(26, "first window"), (18, "overlap")]),
    "q_pool_order": ("a", [("B", "never below the mean"), ("D", "the same")]),
    "q_softmax_shift": ("A", [("B", "nothing overflows"), ("C", "differences")]),
    "q_leaky_value": (-0.2, [(0, "plain ReLU"), (0.2, "sign stays")]),
    "q_kernel_shape": ((3, 3, 1, 64), [((64, 3, 3, 1), "filters last"),
                                       ((3, 3, 64), "input channels too")]),
    "q_rf_after_pool": (8, [(6, "covers 2 input pixels"), (5, "count the pooling layer")]),
    "q_pool2_shape": ((7, 7, 32), [((5, 5, 32), "keep the size"), ((7, 7, 16), "last convolution")]),
    "q_dense_params": (200832, [(200704, "a bias too"), (1568, "number of inputs")]),
    "q_augment_params": ("B", [("A", "no weights to learn")]),
    "q_class_order": ("b", [("A", "not kept"), ("C", "sorted")]),
    "q_dropout_scale": (1.25, [(1.0, "scales the kept entries up"), (0.8, "not multiplied")]),
    "q_bn_frozen": (12, [(24, "gamma and beta are trainable"), (0, "not learnt by gradients")]),
    "q_bn_inference": ("B", [("A", "other images of its batch"), ("C", "still normalises")]),
    "q_fgsm_change": ("B", [("A", "size is thrown away"), ("C", "gradient's sign")]),
    "q_gradcam_layer": ("B", [("A", "coarsest maps"), ("C", "not the reason")]),
    "q_conv_macs": (194400, [(221184, "30x30"), (24300, "each of the 8 filters")]),
}


def test_every_question_is_tested_here_or_in_test_questions():
    from tests.test_questions import RIGHT
    assert set(LESSON_QUESTIONS) | set(RIGHT) == set(QUESTIONS)
    hints = all_hints()
    for qid in LESSON_QUESTIONS:
        assert probe.PROBES[qid].kind == "value" and qid in hints


@pytest.mark.parametrize("qid", sorted(LESSON_QUESTIONS))
def test_right_answer_passes_and_wrong_ones_are_explained(qid):
    right, wrongs = LESSON_QUESTIONS[qid]
    v = verdict(qid, right)
    assert v.passed and v.message.startswith("Right"), v.message
    missing = verdict(qid, None)
    assert not missing.passed and missing.message.startswith("answer missing")
    for value, meaning in wrongs:
        v = verdict(qid, value)
        assert not v.passed, (qid, value)
        assert meaning in v.message and "Why:" in v.message, v.message


def _lessons():
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _sections(path):
    """(heading, [cells]) for every '## ' section of a notebook."""
    sections, current = [], ("", [])
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and "\n## " in "\n" + text:
            heading = [line for line in text.splitlines() if line.startswith("## ")][-1]
            current = (heading, [cell])
            sections.append(current)
        else:
            current[1].append(cell)
    return sections


@pytest.mark.parametrize("path", _lessons(), ids=lambda p: p.stem)
def test_no_lesson_ends_with_pre_written_asserts(path):
    """'Check your understanding' is markdown that sends the student to the exercises; the
    asserts a lesson keeps are its measured claims, under 'What this run showed'."""
    for heading, cells in _sections(path):
        if "Check your understanding" in heading:
            code = [c for c in cells if c["cell_type"] == "code"]
            assert not code, f"{path.name}: code under {heading!r}: {''.join(code[0]['source'])[:80]}"
            text = "".join("".join(c["source"]) for c in cells)
            assert "exercises/" in text or path.name.startswith("00_"), path.name


@pytest.mark.parametrize("path", [p for p in _lessons() if p.name[:2] not in
                                  ("10", "15", "16", "17", "18", "19")], ids=lambda p: p.stem)
def test_lesson_closes_with_what_this_run_showed(path):
    headings = [h for h, _ in _sections(path)]
    assert "## What this run showed" in headings, path.name
    if not path.name.startswith("00_"):
        assert headings[-1] == "## Check your understanding", path.name
