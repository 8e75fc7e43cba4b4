"""Static checks of the committed notebooks (no kernel needed).

The notebooks run under ``pytest --nbval-lax`` in the main test stage; these tests check what
nbval cannot: that the stored reference outputs exist and are lean, and that every lesson
follows the course's form.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from conftest import load_tool

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
EXECUTED = LESSONS + SOLUTIONS
ALL = EXECUTED + EXERCISES
EMBEDDED = ("image/png", "image/jpeg", "image/svg+xml", "application/pdf")
NAME = re.compile(r"^\d\d_[a-z0-9]+(_[a-z0-9]+)*\.ipynb$")


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def _code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


LAST_LESSON = 24


def test_there_are_lessons_solutions_and_exercises():
    numbers = sorted(int(p.name[:2]) for p in LESSONS)
    assert numbers == list(range(LAST_LESSON + 1)), (
        f"one lesson per number 00-{LAST_LESSON} expected, found {numbers}")
    assert [p.name for p in EXERCISES] == [p.name for p in SOLUTIONS], (
        "every solution notebook has its exercise twin (cnn-course build-exercises)")


def test_every_lesson_has_graded_work():
    """Issue 15: graded work in every lesson from 01 to the last (00 checks the set-up)."""
    graded = {int(p.name[:2]) for p in EXERCISES}
    missing = sorted(set(range(1, LAST_LESSON + 1)) - graded)
    assert not missing, f"lessons without an exercise notebook: {missing}"


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_name_and_no_embedded_images(path):
    assert NAME.match(path.name), f"{path.name}: notebooks are named NN_topic.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata, f"{path.name}: widget state is stored; strip it"
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            embedded = [k for k in out.get("data", {}) if k in EMBEDDED]
            assert not embedded, (f"{path.name} cell {index} embeds {embedded}: run "
                                  "tools/clean_notebooks.py")


@pytest.mark.parametrize("path", EXECUTED, ids=_ids(EXECUTED))
def test_first_cell_sets_up_the_course(path):
    """Notebooks ship clean (tests/test_clean_notebooks.py); each starts with cc.setup()."""
    first = _code_cells(path)[0]
    assert "import cnn_course as cc" in first.source and "cfg = cc.setup(" in first.source, (
        f"{path.name}: the first code cell must import the library and call cc.setup()")
    for index, cell in enumerate(_code_cells(path)):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{path.name}: code cell {index} stored an error: {errors[0].get('ename')}"


@pytest.mark.parametrize("path", EXECUTED, ids=_ids(EXECUTED))
def test_checked_cells_have_reference_output(path):
    """A cell marked NBVAL_CHECK_OUTPUT with no stored output would check nothing."""
    for index, cell in enumerate(_code_cells(path)):
        if "# NBVAL_CHECK_OUTPUT" in cell.source:
            texts = [o for o in cell.outputs if o.output_type in ("stream", "execute_result")]
            assert texts, f"{path.name}: code cell {index} is marked NBVAL_CHECK_OUTPUT but has no output"
            streams = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
            assert not streams, (f"{path.name}: code cell {index} is checked but writes to stderr "
                                 "(log lines differ between machines)")


@pytest.mark.parametrize("path", [p for p in LESSONS if p.name[:2] != "00"],
                         ids=_ids([p for p in LESSONS if p.name[:2] != "00"]))
def test_lessons_end_with_checks(path):
    nb = nbformat.read(path, as_version=4)
    headings = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert any("check your understanding" in h.lower() for h in headings), (
        f"{path.name}: a lesson ends with a 'Check your understanding' section")
    last = _code_cells(path)[-1].source
    assert "assert" in last, f"{path.name}: the last code cell must hold the closing asserts"


@pytest.mark.parametrize("path", EXERCISES, ids=_ids(EXERCISES))
def test_exercises_are_not_executed(path):
    for index, cell in enumerate(_code_cells(path)):
        assert not cell.outputs and cell.execution_count is None, (
            f"{path.name}: exercise cell {index} has outputs; run `cnn-course build-exercises`")


def test_course_map_lists_every_lesson():
    index = (ROOT / "notebooks" / "index.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for path in LESSONS:
        assert path.name in index, f"notebooks/index.md does not link {path.name}"
        assert path.name in readme, f"README.md's course map does not link {path.name}"


_CPU_SIZED = re.compile(r"cfg\.budget|\bcpu=")   # in code, comments removed


def _without_comments(source):
    return "\n".join(line.split("#", 1)[0] for line in source.splitlines())


def test_full_mode_fits_ten_minutes_on_a_cpu_or_is_cpu_sized():
    # The course standard: a full mode over 10 minutes on a CPU offers a CPU-sized variant
    # (cfg.budget, cfg.subset/epochs/pick(cpu=...)); the course map's time is that variant's.
    cells = load_tool("course_map").read_column((ROOT / "README.md").read_text(), "full")
    assert len(cells) == len(LESSONS)
    for name, cell in cells.items():
        time_text = cell.split(";")[0].strip()
        match = re.fullmatch(r"(\d+(?:\.\d+)?) (s|min|h)", time_text)
        if match is None:
            assert time_text == "not measured yet", f"README full time of {name}: {cell!r}"
            continue
        minutes = float(match.group(1)) * {"s": 1 / 60, "min": 1, "h": 60}[match.group(2)]
        assert minutes <= 10, (f"{name}: full mode takes {time_text} on the CPU: over 10 minutes, "
                               "give it a (smaller) CPU-sized variant")
        if "CPU-sized" in cell:
            source = "\n".join(_without_comments(c.source) for c in _code_cells(ROOT / "notebooks" / name))
            assert _CPU_SIZED.search(source), (
                f"README says {name} runs a CPU-sized variant, but no code cell uses cfg.budget or cpu=")
