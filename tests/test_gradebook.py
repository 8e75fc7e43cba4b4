"""The reports: atomic, spreadsheet-safe, valid JSON, and read back for content-hash reruns."""
from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

import pytest

from cnn_course.tooling import gradebook
from cnn_course.tooling.gradebook import CheckResult, NotebookResult, StudentResult

COLUMNS = [("a.ipynb", "add", 2.0), ("a.ipynb", "mul", 3.0)]


def _student(name="alice", mul_status="failed"):
    nb = NotebookResult("a.ipynb", "x/a.ipynb", [
        CheckResult("add", 2.0, 2.0, "passed"),
        CheckResult("mul", 0.0, 3.0, mul_status, "=HYPERLINK(\"http://evil\")")],
        notes=["=cmd|' /C calc'!A0"])
    return StudentResult(name, "x", [nb], seed=7, isolation="bubblewrap", content_hash="abc")


def test_gradebook_rows_and_formula_escaping(tmp_path):
    gradebook.write_reports([_student(), _student("bob", "not graded")], tmp_path, COLUMNS)
    rows = list(csv.DictReader((tmp_path / "gradebook.csv").open()))
    assert [r["student"] for r in rows] == ["alice", "bob"]
    assert rows[0]["a:add"] == "2" and rows[0]["a:mul"] == "0" and rows[0]["total"] == "2"
    assert rows[1]["a:mul"] == "" and rows[1]["status"] == "incomplete"
    assert all(not r["notes"].startswith(("=", "+", "-", "@")) for r in rows)


def test_json_round_trip_and_junit(tmp_path):
    gradebook.write_reports([_student()], tmp_path, COLUMNS)
    data = json.loads((tmp_path / "students" / "alice.json").read_text())
    assert data["score"] == 2 and data["max_score"] == 5 and data["seed"] == 7
    back = gradebook.load_previous(tmp_path, "alice")
    assert back.score == 2 and back.content_hash == "abc"
    root = ET.parse(tmp_path / "students" / "alice.xml").getroot()
    assert [c.find("failure") is not None for c in root.iter("testcase")] == [False, True]
    assert gradebook.load_previous(tmp_path, "nobody") is None


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "sub" / "r.json"
    gradebook.atomic_write(path, "old")
    monkeypatch.setattr(gradebook.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk")))
    with pytest.raises(OSError):
        gradebook.atomic_write(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in path.parent.iterdir()] == ["r.json"]  # no temporary left behind


def test_no_nan_in_json():
    student = _student()
    student.notebooks[0].checks[0].points = float("nan")
    with pytest.raises(ValueError):
        gradebook.student_json(student)
