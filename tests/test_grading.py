"""Tests of ``cnn-course grade``: scores, helpful messages, tamper-proof checks, time-outs.

The mechanics are tested on a small exercise written here; the course's real exercises are
graded at the end (stubs score 0, a solved notebook scores full marks, one wrong answer fails
exactly its check).
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from cnn_course import grading
from cnn_course.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]


def _check(source: str, check_id: str, points: int, cell_id: str):
    cell = nbformat.v4.new_code_cell(source, metadata={"cnn_course": {"check": check_id, "points": points}})
    cell["id"] = cell_id
    return cell


def _code(source: str, cell_id: str):
    cell = nbformat.v4.new_code_cell(source)
    cell["id"] = cell_id
    return cell


def _exercise(add_body: str = "    raise NotImplementedError('add a and b')",
              mul_body: str = "    raise NotImplementedError('multiply a and b')"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny exercise"),
        _code(f"def add(a, b):\n{add_body}", "answer-add"),
        _check("assert add(2, 3) == 5, f'add(2, 3) returned {add(2, 3)}, expected 5'", "add", 2, "check-add"),
        _code(f"def mul(a, b):\n{mul_body}", "answer-mul"),
        _check("assert mul(2, 3) == 6, f'mul(2, 3) returned {mul(2, 3)}, expected 6: multiply, do not add'",
               "mul", 3, "check-mul"),
    ]
    nb.cells[0]["id"] = "intro"
    return nb


@pytest.fixture()
def course(tmp_path):
    """A reference folder holding the pristine tiny exercise, and a folder for submissions."""
    ref = tmp_path / "reference"
    sub = tmp_path / "submitted"
    ref.mkdir()
    sub.mkdir()
    nbformat.write(_exercise(), ref / "tiny.ipynb")
    return ref, sub


def _grade(ref: Path, nb, sub: Path, timeout: int = 60):
    path = sub / "tiny.ipynb"
    nbformat.write(nb, path)
    [result] = grading.grade([path], ref, timeout=timeout)
    return result


def _scores(result):
    return {c.id: (c.points, c.passed) for c in result.checks}


def test_stubs_score_zero_and_solution_full_marks(course):
    ref, sub = course
    stub = _grade(ref, _exercise(), sub)
    assert stub.score == 0 and stub.max_score == 5
    assert all("NotImplementedError" in c.message for c in stub.checks), stub.checks
    solved = _grade(ref, _exercise("    return a + b", "    return a * b"), sub)
    assert _scores(solved) == {"add": (2, True), "mul": (3, True)}


def test_one_wrong_answer_fails_exactly_that_check_with_its_message(course):
    ref, sub = course
    result = _grade(ref, _exercise("    return a + b", "    return a + b"), sub)
    assert _scores(result) == {"add": (2, True), "mul": (0, False)}
    [mul] = [c for c in result.checks if c.id == "mul"]
    assert "mul(2, 3) returned 5, expected 6: multiply, do not add" in mul.message


@pytest.mark.parametrize("tamper", ["assert_true", "deleted", "metadata_stripped", "edited"])
def test_tampered_checks_get_the_untampered_grade(course, tamper):
    ref, sub = course
    nb = _exercise("    return a + b", "    return a + b")  # mul is wrong: 2 of 5
    check = nb.cells[4]
    if tamper == "assert_true":
        check.source = "assert True"
    elif tamper == "deleted":
        del nb.cells[4]
    elif tamper == "metadata_stripped":
        check.metadata = {}
        check.source = "pass"
    elif tamper == "edited":
        check.source = "assert mul(2, 3) == 5"
    result = _grade(ref, nb, sub)
    assert _scores(result) == {"add": (2, True), "mul": (0, False)}, tamper


def test_hanging_cell_times_out_and_the_rest_is_graded(course):
    ref, sub = course
    nb = _exercise("    return a + b", "    return a * b")
    hang = _code("import time\nwhile True:\n    time.sleep(0.1)", "student-hang")
    nb.cells.insert(3, hang)  # between the add check and the mul answer
    result = _grade(ref, nb, sub, timeout=5)
    assert _scores(result) == {"add": (2, True), "mul": (3, True)}


def test_missing_notebook_and_missing_answer_score_zero_with_a_message(course):
    ref, sub = course
    results = grading.grade([sub], ref, timeout=60)  # empty folder: nothing submitted
    assert [(r.name, r.score, r.problem) for r in results] == [("tiny.ipynb", 0, "notebook not submitted")]
    nb = _exercise("    return a + b")
    del nb.cells[3]  # the mul answer cell is gone
    result = _grade(ref, nb, sub)
    [mul] = [c for c in result.checks if c.id == "mul"]
    assert not mul.passed and "NameError" in mul.message


def test_cli_writes_json_and_junit_and_sets_exit_status(course, tmp_path, capsys):
    ref, sub = course
    nbformat.write(_exercise("    return a + b", "    return a + b"), sub / "tiny.ipynb")
    js, xml = tmp_path / "g.json", tmp_path / "g.xml"
    args = ["grade", str(sub), "--reference", str(ref), "--json", str(js), "--junit", str(xml)]
    assert cli_main(args) == 1
    out = capsys.readouterr().out
    assert "FAIL  mul" in out and "TOTAL  2/5" in out
    data = json.loads(js.read_text())
    assert data["total"] == 2 and data["max_total"] == 5
    cases = list(ET.parse(xml).getroot().iter("testcase"))
    assert len(cases) == 2 and sum(c.find("failure") is not None for c in cases) == 1
    assert cli_main(args + ["--exit-zero"]) == 0


def test_bad_arguments_are_rejected(course, tmp_path):
    ref, sub = course
    with pytest.raises(ValueError, match="timeout"):
        grading.grade([sub], ref, timeout=0)
    with pytest.raises(ValueError, match="not a notebook"):
        grading.grade([tmp_path / "nope.txt"], ref)


def test_a_named_notebook_that_does_not_exist_scores_zero_and_the_rest_is_graded(course):
    ref, sub = course
    [result] = grading.grade([sub / "tiny.ipynb"], ref)  # named, never written
    assert result.score == 0 and result.max_score == 5
    assert "not submitted" in result.problem and "does not exist" in result.problem


def test_edited_and_missing_checks_are_noted_for_the_teacher(course):
    ref, sub = course
    nb = _exercise("    return a + b", "    return a * b")
    nb.cells[2].source = "assert True"
    del nb.cells[4]
    result = _grade(ref, nb, sub)
    assert result.score == 5  # the course's checks ran, and the answers are right
    assert any("check-add" in n and "edited" in n for n in result.notes), result.notes
    assert any("check-mul" in n and "missing" in n for n in result.notes), result.notes


# ---- the course's real exercises -------------------------------------------------------

EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))


@pytest.mark.skipif(not EXERCISES, reason="no exercises generated yet")
def test_real_exercises_stubs_score_zero_and_a_solution_scores_full_marks():
    nb_path = EXERCISES[0]
    [stub] = grading.grade([nb_path], ROOT / "exercises", timeout=120)
    assert stub.max_score > 0 and stub.score == 0, grading.format_table([stub])
    solution = ROOT / "solutions" / nb_path.name
    [solved] = grading.grade([solution], ROOT / "exercises", timeout=120)
    assert solved.score == solved.max_score, grading.format_table([solved])


@pytest.mark.skipif(not (ROOT / "solutions" / "03_padding_and_output_size.ipynb").exists(),
                    reason="exercise notebook 03 not present")
def test_real_solution_with_one_wrong_answer_fails_exactly_that_check(tmp_path):
    name = "03_padding_and_output_size.ipynb"
    nb = nbformat.read(ROOT / "solutions" / name, as_version=4)
    [answer] = [c for c in nb.cells if c.get("id") == "answer-conv2d"]
    # A classic mistake: true convolution (flipped kernel) where CNNs correlate.
    assert "* kernel, axis=(0, 1, 2)" in answer.source
    answer.source = answer.source.replace("* kernel, axis=(0, 1, 2)",
                                          "* kernel[::-1, ::-1], axis=(0, 1, 2)")
    nbformat.write(nb, tmp_path / name)
    [result] = grading.grade([tmp_path / name], ROOT / "exercises", timeout=120)
    failed = [c for c in result.checks if not c.passed]
    assert [c.id for c in failed] == ["conv2d"], grading.format_table([result])
    assert failed[0].message.startswith("AssertionError: conv2d("), failed[0].message
    assert "flip" in failed[0].message, failed[0].message


@pytest.mark.skipif(not (ROOT / "solutions" / "03_padding_and_output_size.ipynb").exists(),
                    reason="exercise notebook 03 not present")
def test_answers_that_hand_the_work_to_the_library_or_rebind_a_checker_score_zero(tmp_path):
    """pad2d: rebinds the checker; output_size: is the library's; conv2d: wraps the library's."""
    name = "03_padding_and_output_size.ipynb"
    nb = nbformat.read(ROOT / "exercises" / name, as_version=4)
    answers = {
        "pad2d": "import cnn_course.checks as c\nc.check_pad2d = lambda f: print('ok')\npad2d = None",
        "output_size": "from cnn_course import output_size",
        "conv2d": ("import cnn_course as cc\n"
                   "def conv2d(x, kernel, stride=1, padding=0):\n"
                   "    return cc.conv2d(x, kernel, stride=stride, padding=padding)"),
    }
    for cell in nb.cells:
        for key, source in answers.items():
            if cell.cell_type == "code" and f"def {key}(" in cell.source and not grading.check_info(cell):
                cell.source = source
    nbformat.write(nb, tmp_path / name)
    [result] = grading.grade([tmp_path / name], ROOT / "exercises", timeout=120)
    assert result.score == 0, grading.format_table([result])
    messages = {c.id: c.message for c in result.checks}
    assert "own function, not yours" in messages["output_size"], messages
    assert "calls cnn_course's conv2d" in messages["conv2d"], messages
