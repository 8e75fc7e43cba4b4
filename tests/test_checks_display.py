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
