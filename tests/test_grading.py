"""``cnn-course grade``: a class graded in one command, each student alone, reports you can trust.

The mechanics run on a tiny exercise with a tiny check suite (tests/fake_checks.py: the
same interface as cnn_course.checks); the course's real exercises and checks are graded at
the end.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

import fake_checks as fc
from cnn_course.tooling import grading
from cnn_course.tooling.cli import main as cli_main
from cnn_course.tooling.gradebook import format_table

ROOT = Path(__file__).resolve().parents[1]
A, B = fc.NAMES
WRONG_MUL = "def mul(a, b):\n    return a + b"


def _solved(**kw):
    return fc.exercise(fc.SOLVED_ADD, fc.SOLVED_MUL, **kw)


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """One class, graded once with --jobs 2: every student shows one behaviour.

    Malformed notebooks, symlinks, injected checks and the attacks are students of the class
    in test_grading_attacks.py (graded with the course's real checks)."""
    base = tmp_path_factory.mktemp("class")
    ref = fc.write_reference(base / "reference")
    sub = base / "submissions"
    for name in fc.NAMES:
        fc.write_student(sub / "solved", _solved(), name)
    fc.write_student(sub / "stub", fc.exercise(), A)
    fc.write_student(sub / "stub", fc.exercise(), B)
    fc.write_student(sub / "wrongmul", fc.exercise(fc.SOLVED_ADD, WRONG_MUL), A)  # B not submitted
    tampered = fc.exercise(fc.SOLVED_ADD, WRONG_MUL)
    tampered.cells[2].source = "assert True"
    del tampered.cells[4]
    fc.write_student(sub / "tampered", tampered, A)
    fc.write_student(sub / "hang", _solved(extra={"answer-add": "import time\nwhile True:\n    "
                                                                "time.sleep(0.1)"}), A)
    fc.write_student(sub / "killer", _solved(extra={"check-add": "import os\nos._exit(1)"}), A)
    fc.write_student(sub / "killer", _solved(), B)
    fc.write_student(sub / "forbidden", fc.exercise(
        fc.SOLVED_ADD, "import operator\ndef mul(a, b):\n    return operator.mul(a, b)"), A)
    out = base / "grades"
    results = grading.grade_class([sub], out, ref, jobs=2, cell_timeout=5, suite=fc.suite(),
                                  progress=False)
    return {r.student: r for r in results}, out


def _scores(result, notebook=A):
    [nb] = [n for n in result.notebooks if n.name == notebook]
    return {c.id: c.points for c in nb.checks}


def _nb(result, notebook=A):
    [nb] = [n for n in result.notebooks if n.name == notebook]
    return nb


def test_each_student_gets_their_own_total(klass):
    results, _ = klass
    totals = {name: (r.score, r.max_score) for name, r in results.items()}
    assert totals == {"solved": (10, 10), "stub": (0, 10), "wrongmul": (2, 10),
                      "tampered": (2, 10), "hang": (5, 10), "killer": (7, 10),
                      "forbidden": (2, 10)}, format_table(list(results.values()))


def test_messages_say_what_is_wrong(klass):
    results, _ = klass
    stub = results["stub"]
    assert all("NotImplementedError" in c.message for _, c in stub.checks)
    [mul] = [c for c in _nb(results["wrongmul"]).checks if c.id == "mul"]
    assert "returned 5, expected 6: multiply, do not add" in mul.message
    assert _nb(results["wrongmul"], B).problem == "notebook not submitted"


def test_edited_deleted_or_stripped_checks_change_nothing_and_are_noted(klass):
    results, _ = klass
    nb = _nb(results["tampered"])
    assert _scores(results["tampered"]) == {"add": 2, "mul": 0}
    assert any("check-add" in n and "edited" in n for n in nb.notes), nb.notes
    assert any("check-mul" in n and "missing" in n for n in nb.notes), nb.notes


def test_a_hanging_cell_times_out_and_the_rest_is_graded(klass):
    results, _ = klass
    assert _scores(results["hang"]) == {"add": 2, "mul": 3}
    assert any(n.startswith("timeout in ") for n in _nb(results["hang"]).notes)


def test_a_dead_kernel_costs_only_what_came_after_it(klass):
    results, _ = klass
    killer = results["killer"]
    assert _scores(killer) == {"add": 2, "mul": 0}
    [mul] = [c for c in _nb(killer).checks if c.id == "mul"]
    assert mul.status == "not run" and "kernel died" in mul.message, mul
    assert _scores(killer, B) == {"add": 2, "mul": 3}  # the next notebook ran again, alone


def test_reports_gradebook_json_and_junit(klass):
    results, out = klass
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert [r["student"] for r in rows] == sorted(results)
    by = {r["student"]: r for r in rows}
    assert by["solved"]["a_tiny:mul"] == "3" and by["solved"]["total"] == "10"
    assert by["wrongmul"]["a_tiny:mul"] == "0" and by["wrongmul"]["total"] == "2"
    data = json.loads((out / "students" / "killer.json").read_text())
    assert data["score"] == 7 and isinstance(data["seed"], int) and data["isolation"]
    cases = list(ET.parse(out / "students" / "wrongmul.xml").getroot().iter("testcase"))
    assert len(cases) == 4 and sum(c.find("failure") is not None for c in cases) == 3


def test_forbidden_shortcuts_score_nothing(klass):
    results, _ = klass
    [mul] = [c for c in _nb(results["forbidden"]).checks if c.id == "mul"]
    assert mul.points == 0 and "uses the library's operator.mul" in mul.message


def test_a_check_whose_judge_raises_is_graded_again_then_not_graded_not_charged(one):
    """A judge that raises is a grader bug (it happened on correct answers for ~2 % of the
    seeds of exercise 03's conv2d: the "15 of 18 at --jobs 2"): the student is graded once
    more with fresh inputs; if it raises again the check costs nothing, the run is incomplete."""
    ref, alice, tmp = one
    seeds = []

    class Flaky(fc.Spec):  # raises for the first inputs it judges only
        def judge(self, cases, results):
            seeds.append(cases[2]["a"])
            if len(set(seeds)) == 1:
                raise ValueError("kernel larger than the padded input")
            return super().judge(cases, results)

    class Broken(fc.Spec):
        def judge(self, cases, results):
            raise ValueError("kernel larger than the padded input")

    flaky = Flaky("add", ("add",), lambda a, b: a + b, "add")
    [res] = grading.grade_class([alice / A], tmp / "out", ref, cell_timeout=30,
                                suite=fc.suite(add=flaky), progress=False)
    assert res.score == 2 and not res.incomplete, format_table([res])
    assert any("graded a second time with fresh inputs" in n for n in res.notes), res.notes
    broken = Broken("add", ("add",), lambda a, b: a + b, "add")
    [res] = grading.grade_class([alice / A], tmp / "out2", ref, cell_timeout=30,
                                suite=fc.suite(add=broken), progress=False)
    [add] = [c for c in res.notebooks[0].checks if c.id == "add"]
    assert add.status == "not graded" and "raised ValueError" in add.message, add
    assert f"seed {res.seed}" in add.message and res.incomplete
    assert any("graded a second time" in n for n in res.notes), res.notes


@pytest.fixture()
def one(tmp_path):
    ref = fc.write_reference(tmp_path / "reference")
    alice = tmp_path / "alice"
    for name in fc.NAMES:
        fc.write_student(alice, fc.exercise(fc.SOLVED_ADD, WRONG_MUL), name)
    return ref, alice, tmp_path


def test_cli_one_student_reruns_skip_unchanged_files_and_force_regrades(one, monkeypatch, capsys):
    ref, alice, tmp = one
    monkeypatch.setattr(grading, "course_suite", fc.suite)
    out = tmp / "out"
    args = ["grade", str(alice), "--reference", str(ref), "--out", str(out), "--timeout", "30",
            "--no-progress"]
    assert cli_main(args) == 1
    text = capsys.readouterr().out
    assert "FAIL  mul" in text and "alice                    4/10" in text
    first = json.loads((out / "students" / "alice.json").read_text())
    assert cli_main(args + ["--exit-zero"]) == 0
    assert "1 unchanged" in capsys.readouterr().out
    assert json.loads((out / "students" / "alice.json").read_text())["seed"] == first["seed"]
    fc.write_student(alice, _solved(), A)  # a changed file is graded again
    assert cli_main(args) == 1
    assert "alice                    7/10" in capsys.readouterr().out
    assert cli_main(args + ["--force"]) == 1
    assert "1 graded, 0 unchanged" in capsys.readouterr().out


def test_students_are_counted_once_and_apart(one):
    ref, alice, tmp = one
    bob = tmp / "bob"
    fc.write_student(bob, _solved(), A)
    subs = grading.collect_submissions([alice, alice, bob / A], list(fc.NAMES))
    assert [(s.student, sorted(n for n, p in s.files.items() if p)) for s in subs] == [
        ("alice", list(fc.NAMES)), ("bob", [A])]


def test_missing_data_sets_make_checks_not_graded_and_the_run_incomplete(one, monkeypatch):
    ref, alice, tmp = one
    needs = fc.Spec("add", ("add",), lambda a, b: a + b, "add", datasets=("no_such_dataset",))
    results = grading.grade_class([alice / A], tmp / "out", ref, cell_timeout=30,
                                  suite=fc.suite(add=needs), progress=False)
    [add] = [c for c in results[0].notebooks[0].checks if c.id == "add"]
    assert add.status == "not graded" and "no_such_dataset" in add.message
    assert results[0].incomplete and grading.exit_status(results, exit_zero=True) == 3
    row = next(csv.DictReader((tmp / "out" / "gradebook.csv").open()))
    assert row["a_tiny:add"] == "" and row["status"] == "incomplete"


def test_bad_arguments_are_refused(one):
    ref, alice, tmp = one
    with pytest.raises(ValueError, match="jobs"):
        grading.grade_class([alice], tmp / "o", ref, jobs=0, suite=fc.suite())
    with pytest.raises(ValueError, match="not a notebook"):
        grading.grade_class([tmp / "nope.txt"], tmp / "o", ref, suite=fc.suite())
    with pytest.raises(ValueError, match="inside the submission"):
        grading.grade_class([alice], alice / "grades", ref, suite=fc.suite())
    assert cli_main(["grade", str(alice), "--reference", str(tmp / "none")]) == 2


def test_the_pristine_exercises_come_with_the_package_or_the_checkout():
    folder = grading.default_reference()
    assert sorted(p.name for p in folder.glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "exercises").glob("*.ipynb"))


# ---- the course's real exercises and checks ------------------------------------------------

NB03 = "03_padding_and_output_size.ipynb"


@pytest.mark.skipif(not (ROOT / "solutions" / NB03).exists(), reason="exercise 03 not present")
def test_real_exercise_solved_and_one_classic_mistake(tmp_path):
    """End to end on the real exercise 03 (set-up, data set and demo cells included); the
    stubs and the attacks are graded on its light copy (test_grading_attacks.py)."""
    ref = tmp_path / "reference"
    ref.mkdir()
    shutil.copy(ROOT / "exercises" / NB03, ref / NB03)
    sub = tmp_path / "class"
    (sub / "solved").mkdir(parents=True)
    (sub / "flipped").mkdir()
    shutil.copy(ROOT / "solutions" / NB03, sub / "solved" / NB03)
    nb = nbformat.read(ROOT / "solutions" / NB03, as_version=4)
    [answer] = [c for c in nb.cells if c.get("id") == "answer-conv2d"]
    assert "* kernel, axis=(0, 1, 2)" in answer.source
    answer.source = answer.source.replace("* kernel, axis=(0, 1, 2)",
                                          "* kernel[::-1, ::-1], axis=(0, 1, 2)")
    nbformat.write(nb, sub / "flipped" / NB03)
    results = {r.student: r for r in grading.grade_class(
        [sub], tmp_path / "out", ref, jobs=2, cell_timeout=120, progress=False)}
    table = format_table(list(results.values()))
    points = sum(c.metadata["cnn_course"].get("points", 0) for c in nb.cells
                 if "check" in c.metadata.get("cnn_course", {}))
    assert results["solved"].score == results["solved"].max_score == points, table
    failed = [c for _, c in results["flipped"].checks if not c.passed]
    assert [c.id for c in failed] == ["conv2d"], table
    assert "flip" in failed[0].message, failed[0].message


def test_release_writes_the_student_edition_without_solutions(tmp_path, capsys):
    out = tmp_path / "class-repo"
    assert cli_main(["release", str(out)]) == 0
    assert (out / "exercises").is_dir() and (out / "notebooks").is_dir()
    assert not (out / "solutions").exists()
    assert (out / ".github" / "workflows" / "grade.yml").is_file()
    assert sorted(p.name for p in (out / "exercises").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "exercises").glob("*.ipynb"))
    assert not any("### BEGIN SOLUTION" in p.read_text() for p in out.rglob("*.ipynb"))
    assert cli_main(["release", str(out)]) == 2            # not empty: refused
    assert "not empty" in capsys.readouterr().out
    assert cli_main(["release", str(ROOT / "build" / "x")]) == 2  # inside the course


def test_the_process_level_fallback_grades_the_same_and_says_so(one):
    ref, alice, tmp = one
    [result] = grading.grade_class([alice / A], tmp / "out", ref, cell_timeout=30,
                                   suite=fc.suite(), level="processes", progress=False)
    assert result.isolation == "processes" and result.score == 2
    assert any("processes only" in n for n in result.notes), result.notes
