"""The exercise machinery: exercises/ is generated from solutions/, stubs keep signatures and
hints, check cells are kept for grading, and every generated exercise fails on its stubs."""
from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cnn_course.tooling import cli
from cnn_course.tooling.exercises import (GENERIC_HINT, build_exercises, build_exercises_main,
                                  compare_exercises, list_checks, render_exercise,
                                  strip_solutions)

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

ANSWER = '''def area(w, h):
    """Area of a (h, w) rectangle."""
    ### BEGIN SOLUTION
    ### HINT: multiply the two sides.
    return w * h
    ### END SOLUTION'''


def make_solution(path: Path, answer: str = ANSWER, checks=(("area", 2),)) -> Path:
    cells = [new_markdown_cell("# Title\n\nExercise: write `area`.", id="intro"),
             new_code_cell("import math", id="setup")]
    answer_cell = new_code_cell(answer, id="answer")
    answer_cell.outputs = [new_output("stream", name="stdout", text="hello\n")]
    answer_cell.execution_count = 3
    cells.append(answer_cell)
    for i, (check_id, points) in enumerate(checks):
        cell = new_code_cell(f"assert area(2, 3) == 6, 'area is wrong'  # {check_id}",
                             id=f"check-{i}")
        cell.metadata["cnn_course"] = {"check": check_id, "points": points}
        cell.outputs = [new_output("stream", name="stdout", text="ok\n")]
        cell.execution_count = 4
        cells.append(cell)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nbformat.write(nb, str(path))
    return path


# --------------------------------------------------------------------------- committed tree
def test_committed_exercises_match_solutions():
    assert sorted(SOLUTIONS.glob("*.ipynb")), "no solution notebooks"
    report = compare_exercises(SOLUTIONS, EXERCISES)
    assert report == {"differ": [], "missing": [], "extra": []}, (
        f"exercises/ is out of date, run `cnn-course build-exercises`: {report}")
    assert cli.main(["build-exercises", "--check", "--solutions", str(SOLUTIONS),
                     "--exercises", str(EXERCISES)]) == 0


def test_course_has_enough_checks_with_unique_ids():
    all_ids = []
    for path in sorted(EXERCISES.glob("*.ipynb")):
        checks = list_checks(path)
        assert checks, f"{path.name} has no check cell"
        assert list_checks(SOLUTIONS / path.name) == checks
        all_ids += [check_id for check_id, _ in checks]
    assert len(all_ids) >= 12
    assert len(set(all_ids)) == len(all_ids), "check ids must be unique across the course"


def test_committed_exercises_hold_no_solution():
    for path in sorted(EXERCISES.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        text = path.read_text(encoding="utf-8")
        assert "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text
        assert "NotImplementedError(" in text, path.name
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name


# --------------------------------------------------------------------------- the builder
def test_stub_keeps_signature_docstring_and_hint(tmp_path):
    (tmp_path / "sol").mkdir()
    make_solution(tmp_path / "sol" / "01_x.ipynb")
    written = build_exercises(tmp_path / "sol", tmp_path / "ex")
    assert [p.name for p in written] == ["01_x.ipynb"]
    nb = nbformat.read(str(written[0]), as_version=4)
    answer = next(c for c in nb.cells if c.get("id") == "answer")
    assert answer.source == ('def area(w, h):\n    """Area of a (h, w) rectangle."""\n'
                             '    raise NotImplementedError("multiply the two sides.")')
    assert answer.outputs == [] and answer.execution_count is None
    solution = nbformat.read(str(tmp_path / "sol" / "01_x.ipynb"), as_version=4)
    check = next(c for c in nb.cells if c.get("id") == "check-0")
    original = next(c for c in solution.cells if c.get("id") == "check-0")
    assert check.source == original.source and check.metadata == original.metadata
    assert check.outputs == []
    assert [c.get("id") for c in nb.cells] == [c.get("id") for c in solution.cells]
    assert nb.cells[0].source == solution.cells[0].source
    assert list_checks(written[0]) == [("area", 2)]
    # byte-stable: a second build writes the same text
    first = written[0].read_text(encoding="utf-8")
    build_exercises(tmp_path / "sol", tmp_path / "ex")
    assert written[0].read_text(encoding="utf-8") == first == render_exercise(
        tmp_path / "sol" / "01_x.ipynb")


def test_generic_hint_whole_cell_and_markdown_regions():
    assert strip_solutions("### BEGIN SOLUTION\nx = 1\n### END SOLUTION") == (
        f'raise NotImplementedError("{GENERIC_HINT}")')
    src = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\ny = 2"
    assert strip_solutions(src) == (f'def f():\n    raise NotImplementedError("{GENERIC_HINT}")'
                                    f'\ny = 2')
    assert strip_solutions('x = 1\n### BEGIN SOLUTION\n### HINT: say "hi"\n### END SOLUTION') \
        == "x = 1\nraise NotImplementedError('say \"hi\"')"
    assert strip_solutions("Why?\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                           markdown=True) == "Why?\n*Write your answer here.*"
    exec(compile(strip_solutions(ANSWER), "<stub>", "exec"), ns := {})
    with pytest.raises(NotImplementedError, match="multiply the two sides"):
        ns["area"](2, 3)


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "has no '### END SOLUTION'"),
    ("x = 1\n### END SOLUTION", "without a '### BEGIN SOLUTION'"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "cannot nest"),
    ("x = 1  ### BEGIN SOLUTION\n", "not alone on its line"),
])
def test_bad_markers_name_notebook_and_cell(tmp_path, source, message):
    (tmp_path / "sol").mkdir()
    make_solution(tmp_path / "sol" / "02_bad.ipynb", answer=source)
    with pytest.raises(ValueError, match=message) as info:
        build_exercises(tmp_path / "sol", tmp_path / "ex")
    assert "02_bad.ipynb" in str(info.value) and "cell 2" in str(info.value)
    assert not (tmp_path / "ex").exists(), "nothing is written when a notebook is malformed"
    assert build_exercises_main(tmp_path / "sol", tmp_path / "ex") == 1


def test_duplicate_check_ids_and_bad_points(tmp_path):
    (tmp_path / "sol").mkdir()
    make_solution(tmp_path / "sol" / "03_dup.ipynb", checks=(("area", 1), ("area", 2)))
    with pytest.raises(ValueError, match="duplicate check id 'area'"):
        build_exercises(tmp_path / "sol", tmp_path / "ex")
    with pytest.raises(ValueError, match="duplicate check id"):
        list_checks(tmp_path / "sol" / "03_dup.ipynb")
    make_solution(tmp_path / "sol" / "03_dup.ipynb", checks=(("area", 0),))
    with pytest.raises(ValueError, match="points of check 'area' must be a finite number > 0"):
        build_exercises(tmp_path / "sol", tmp_path / "ex")


def test_duplicate_cell_ids_are_refused(tmp_path):
    (tmp_path / "sol").mkdir()
    path = make_solution(tmp_path / "sol" / "04_ids.ipynb")
    path.write_text(path.read_text().replace('"id": "setup"', '"id": "intro"'))
    with pytest.raises(ValueError, match="04_ids.ipynb: duplicate cell id 'intro'"):
        build_exercises(tmp_path / "sol", tmp_path / "ex")


def test_check_mode_reports_and_writes_nothing(tmp_path, capsys):
    sol, ex = tmp_path / "sol", tmp_path / "ex"
    sol.mkdir()
    make_solution(sol / "01_a.ipynb")
    make_solution(sol / "02_b.ipynb")
    assert build_exercises_main(sol, ex, check=True) == 1           # both missing
    assert not ex.exists()
    assert build_exercises_main(sol, ex) == 0
    assert build_exercises_main(sol, ex, check=True) == 0
    (ex / "02_b.ipynb").write_text((ex / "02_b.ipynb").read_text().replace("Title", "Edited"))
    make_solution(ex / "09_stale.ipynb")
    capsys.readouterr()
    assert build_exercises_main(sol, ex, check=True) == 1
    out = capsys.readouterr().out
    assert "differ" in out and "02_b.ipynb" in out and "extra" in out and "09_stale" in out
    assert "Edited" in (ex / "02_b.ipynb").read_text(), "--check must not write"
    build_exercises(sol, ex)                                          # repairs and prunes
    assert sorted(p.name for p in ex.glob("*.ipynb")) == ["01_a.ipynb", "02_b.ipynb"]
    assert compare_exercises(sol, ex) == {"differ": [], "missing": [], "extra": []}


# --------------------------------------------------------------------------- nbval
def test_every_exercise_check_fails_on_its_stubs(tmp_path):
    """One nbval run over exercises/: every check cell of every notebook fails, and says
    the answer is still the stub (not a missing file or a crash elsewhere)."""
    env = dict(os.environ, CNN_COURSE_MODE="quick", MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2")
    shared = ROOT.parent / "shared" / "datasets"
    if not env.get("CNN_COURSE_DATA") and shared.is_dir():
        env["CNN_COURSE_DATA"] = str(shared)
    report = tmp_path / "exercises.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q", "-rf",
         "--nbval-cell-timeout=300", f"--junitxml={report}", "-o", "addopts=", str(EXERCISES)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert report.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    assert proc.returncode == 1, f"nbval should fail on the exercises:\n{proc.stdout[-3000:]}"
    results: dict[tuple[str, str], str | None] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        notebook = case.attrib["classname"].split(".", 1)[1]        # "exercises.<name>.ipynb"
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        results[(notebook, case.attrib["name"])] = (
            None if failure is None else (failure.text or "") + failure.attrib.get("message", ""))
    for path in sorted(EXERCISES.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        check_cells = [i for i, c in enumerate(code_cells)
                       if "check" in c.metadata.get("cnn_course", {})]
        assert results.get((path.name, "Cell 0"), "missing") is None, (
            f"{path.name}: the set-up cell must run: {results.get((path.name, 'Cell 0'))}")
        for index in check_cells:
            text = results.get((path.name, f"Cell {index}"), "missing")
            assert text is not None, f"{path.name}: check cell {index} passed on a stub"
            assert "answer missing" in text, (  # a stub function, or a question's None
                f"{path.name}: check cell {index}: {text[-1500:]}")
