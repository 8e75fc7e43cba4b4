"""In Jupyter a failing check shows its message, not a traceback through the checks' code,
and the cell still fails (nbval and the grader see an error)."""
from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


def _run(cells: list[str]):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True)
    client.execute()
    return nb


def _error(cell) -> dict:
    errors = [o for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 1, cell.outputs
    return errors[0]


def test_failing_check_shows_only_its_message_and_the_cell_fails():
    nb = _run([
        "import numpy as np\nfrom cnn_course.checks import check_pad2d, check_output_size",
        "def pad2d(x, pad):\n    raise NotImplementedError('Write your answer here')\n"
        "check_pad2d(pad2d)",
        "check_output_size(lambda n, k, stride=1, padding=0, dilation=1: n)",
        "check_output_size(lambda n, k, stride=1, padding=0, dilation=1: "
        "-(-n // stride) if padding == 'same' else "
        "(n + 2 * (0 if padding == 'valid' else padding) - dilation * (k - 1) - 1) // stride + 1)",
    ])
    missing = _error(nb.cells[1])
    assert missing.ename == "CheckFailed" and "answer missing" in missing.evalue
    assert len(missing.traceback) == 1 and "checks" not in missing.traceback[0].replace(
        "CheckFailed", "")
    wrong = _error(nb.cells[2])
    assert wrong.ename == "CheckFailed" and "returned" in wrong.evalue
    assert len(wrong.traceback) == 1 and "File" not in wrong.traceback[0]
    assert "passed" in "".join(o.get("text", "") for o in nb.cells[3].outputs)


def test_the_kernel_reports_the_failed_cell_as_an_error():
    """nbval relies on the execute_reply status: it must be "error" for a failed check."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from cnn_course.checks import check_bn_params\ncheck_bn_params(lambda c: 2 * c)")]
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120)
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="CheckFailed"):
        client.execute()


# ----------------------------------------------------------------------------- Run All goes on
def test_a_student_kernel_runs_every_cell_past_stubs_and_failing_checks(monkeypatch):
    """Issue 19: outside strict mode a failing check and a stub (in a cell, or in a function a
    later cell calls) show "answer missing"/their message as one line, and Run All goes on; any
    other error still stops it."""
    monkeypatch.setenv("CNN_COURSE_STRICT_CHECKS", "0")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in [
        "import cnn_course as cc\ncfg = cc.setup(tensorflow=False, verbose=False)",
        "answer = None   # your answer\nraise NotImplementedError('replace None above by your "
        "answer, then delete this line.')",
        "def pad2d(x, pad):\n    raise NotImplementedError('call np.pad')",
        "print(pad2d(1, 1))",
        "from cnn_course.checks import check_pad2d, check_bn_params\ncheck_pad2d(pad2d)",
        "check_bn_params(lambda c: 2 * c)",
        "print('reached the end')",
    ]]
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120).execute()  # no error raised
    top, call, missing, wrong = (_error(nb.cells[i]) for i in (1, 3, 4, 5))
    assert "answer missing" in top.traceback[0] and "this cell" in top.traceback[0]
    assert "replace None above" in top.traceback[0] and len(top.traceback) == 1
    assert "answer missing" in call.traceback[0] and "`pad2d`" in call.traceback[0]
    assert len(call.traceback) == 1
    assert missing.ename == "CheckFailed" and "answer missing" in missing.evalue
    assert wrong.ename == "CheckFailed" and len(wrong.traceback) == 1
    assert "reached the end" in nb.cells[6].outputs[0].text

    other = nbformat.v4.new_notebook()
    other.cells = [nbformat.v4.new_code_cell("import cnn_course.checks\nraise ValueError('bug')"),
                   nbformat.v4.new_code_cell("print('must not run')")]
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="ValueError"):
        nbclient.NotebookClient(other, kernel_name="python3", timeout=120).execute()
    assert not other.cells[1].outputs


def test_strict_mode_keeps_a_stub_a_failed_cell(monkeypatch):
    monkeypatch.setenv("CNN_COURSE_STRICT_CHECKS", "1")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import cnn_course.checks\nx = None\n"
                                          "raise NotImplementedError('write x')")]
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="NotImplementedError"):
        nbclient.NotebookClient(nb, kernel_name="python3", timeout=120).execute()


def test_run_all_on_an_untouched_exercise_shows_every_task(monkeypatch):
    """An untouched exercise notebook runs to its last cell in a student's kernel, and every
    check cell says "answer missing" (tests/test_exercises.py proves, in strict mode, that
    each of these checks fails)."""
    from pathlib import Path

    monkeypatch.setenv("CNN_COURSE_STRICT_CHECKS", "0")
    monkeypatch.setenv("CNN_COURSE_MODE", "quick")
    root = Path(__file__).resolve().parents[1]
    nb = nbformat.read(str(root / "exercises" / "03_padding_and_output_size.ipynb"), as_version=4)
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(root / "exercises")}}).execute()
    checks = [c for c in nb.cells if "check" in c.metadata.get("cnn_course", {})]
    assert len(checks) >= 5
    for cell in checks:
        assert "answer missing" in _error(cell).evalue, cell.source
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
