"""Every committed notebook opens clean (issue 19): no outputs from the machine that last ran
it (only the text of ``# NBVAL_CHECK_OUTPUT`` cells), no widget state, the course's kernel;
and the cleaner (``tools/clean_notebooks.py``) does exactly that, idempotently."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cnn_course.tooling.clean_notebooks import (KERNELSPEC, LANGUAGE_INFO, clean_file,
                                                clean_notebook, problems, render)
from cnn_course.tooling.exercises import make_exercise

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = sorted(p for folder in ("notebooks", "solutions", "exercises")
                   for p in (ROOT / folder).glob("*.ipynb"))


def _dirty_notebook() -> dict:
    code = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Lesson", metadata={"jp-MarkdownHeadingCollapsed": True}),
        code("import cnn_course as cc\ncfg = cc.setup()", execution_count=1, outputs=[
            nbformat.v4.new_output("stream", name="stdout",
                                   text="data: /home/someone/datasets/mnist\n")],
             metadata={"execution": {"iopub.status.busy": "2026"}, "scrolled": True}),
        code("# NBVAL_CHECK_OUTPUT\nprint(2 + 2)\n2 + 2", execution_count=2, outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="4\n"),
            nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
            nbformat.v4.new_output("execute_result", execution_count=2,
                                   data={"text/plain": "4", "text/html": "<b>4</b>"})]),
        code("w = cc.widgets.conv_explorer()\nw", execution_count=3, outputs=[
            nbformat.v4.new_output("display_data", data={
                "application/vnd.jupyter.widget-view+json": {"model_id": "x"},
                "text/plain": "ConvExplorer(children=(HBox(..."})],
             metadata={"cnn_course": {"check": "c1", "points": 1}, "tags": ["t"]}),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"},
                 "language_info": {"name": "python", "version": "3.11.7"},
                 "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}},
                 "cnn_course": {"generated_from": "solutions/x.ipynb"}})
    return json.loads(nbformat.writes(nb))


def test_clean_keeps_only_checked_text_and_course_metadata():
    nb = _dirty_notebook()
    found = problems(nb)
    assert any("kernelspec" in p for p in found) and any("widget" in p for p in found)
    clean = clean_notebook(nb)
    assert nb["cells"][1]["outputs"], "the input is not changed"
    assert clean["metadata"] == {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO,
                                 "cnn_course": {"generated_from": "solutions/x.ipynb"}}
    md, setup, checked, widget = clean["cells"]
    assert md["metadata"] == {} and setup["metadata"] == {}
    assert setup["outputs"] == [] and setup["execution_count"] is None
    assert checked["outputs"] == [                 # as stored: text split into lines
        {"name": "stdout", "output_type": "stream", "text": ["4\n"]},
        {"data": {"text/plain": ["4"]}, "execution_count": 1, "metadata": {},
         "output_type": "execute_result"}]
    assert checked["execution_count"] == 1, "nbval needs a count on a cell with outputs"
    assert widget["outputs"] == [] and widget["metadata"] == {
        "cnn_course": {"check": "c1", "points": 1}, "tags": ["t"]}
    assert problems(clean) == []
    nbformat.validate(nbformat.from_dict(clean))
    assert clean_notebook(clean) == clean


def test_clean_file_is_idempotent_and_check_changes_nothing(tmp_path):
    path = tmp_path / "x.ipynb"
    nb = _dirty_notebook()
    path.write_text(json.dumps(nb))
    before = path.read_text()
    assert clean_file(path, check=True) and path.read_text() == before
    assert clean_file(path)
    assert clean_file(path) == [] and path.read_text() == render(clean_notebook(nb))
    with pytest.raises(ValueError, match="path must be an existing .ipynb file"):
        clean_file(tmp_path / "missing.ipynb")
    with pytest.raises(TypeError, match="nb must be a notebook"):
        clean_notebook([])


def test_the_tool_cleans_copies_and_reports(tmp_path):
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(_dirty_notebook()))
    tool = [sys.executable, str(ROOT / "tools" / "clean_notebooks.py")]
    check = subprocess.run([*tool, "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 1 and "not clean" in check.stdout
    assert subprocess.run([*tool, str(path)], capture_output=True).returncode == 0
    assert subprocess.run([*tool, "--check", str(path)], capture_output=True).returncode == 0


def test_built_exercises_are_clean():
    solution = ROOT / "solutions" / "02_sliding_window_and_flip.ipynb"
    nb = json.loads(nbformat.writes(make_exercise(nbformat.read(solution, as_version=4),
                                                  str(solution))))
    assert problems(nb) == []


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_notebook_is_clean(path):
    found = clean_file(path, check=True)
    assert not found, (f"{path.relative_to(ROOT)} is not clean: " + "; ".join(found[:5])
                       + "\nrun: .venv/bin/python tools/clean_notebooks.py")
