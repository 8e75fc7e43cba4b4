"""Notebooks that open clean: no stale outputs, the course's kernel, stable metadata.

The lessons, solutions and exercises are committed *without* the outputs of the machine
that last ran them (quick-mode results, that machine's data paths, widget views whose
models no longer exist). A clean notebook:

- has no outputs and no execution counts, except the text a ``# NBVAL_CHECK_OUTPUT``
  cell prints (deterministic, the same on every machine; nbval compares it);
- has no widget state, no timings and no per-cell view state (``collapsed``, ``scrolled``);
- names the course's own kernel, :data:`KERNELSPEC` (``bash course.sh`` and ``cnn-course lab``
  register it), so no other Python is picked and JupyterLab has nothing to
  rewrite when the notebook opens (a rewritten kernel name marks an untouched lesson as
  modified);
- is written as nbformat's stable JSON (sorted keys, indent 1, a final newline), so
  cleaning twice changes nothing.

``tools/clean_notebooks.py`` applies :func:`clean_file` to the course's folders
(``--check`` only reports); ``tests/test_clean_notebooks.py`` keeps every committed
notebook clean; ``cnn-course build-exercises`` writes clean exercises.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

KERNEL_NAME = "cnn-course"
KERNEL_DISPLAY_NAME = "Python (cnn-course)"
KERNELSPEC: dict[str, str] = {"display_name": KERNEL_DISPLAY_NAME, "language": "python",
                              "name": KERNEL_NAME}
# What does not depend on the machine: the Python version JupyterLab also stores in
# language_info would differ from one machine to the next.
LANGUAGE_INFO: dict[str, str] = {"name": "python"}
CHECK_OUTPUT_MARKER = "# NBVAL_CHECK_OUTPUT"
NOTEBOOK_METADATA_KEPT = ("cnn_course",)      # besides kernelspec and language_info
CELL_METADATA_KEPT = ("cnn_course", "tags")   # everything else is view state or timings


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def keeps_output(cell: dict[str, Any]) -> bool:
    """Whether ``cell`` is a code cell whose printed text is part of the lesson (nbval
    compares it): its first line starts with ``# NBVAL_CHECK_OUTPUT``."""
    return (cell.get("cell_type") == "code"
            and _source(cell).lstrip().startswith(CHECK_OUTPUT_MARKER))


def _text_outputs(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The deterministic text of a check-output cell: stdout, and plain-text results."""
    kept = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stdout":
            kept.append({"name": "stdout", "output_type": "stream", "text": out.get("text", "")})
        elif kind == "execute_result" and "text/plain" in out.get("data", {}):
            kept.append({"data": {"text/plain": out["data"]["text/plain"]},
                         "execution_count": None, "metadata": {},
                         "output_type": "execute_result"})
    return kept


def clean_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """Return a clean copy of the notebook ``nb`` (a plain dict as ``json.load`` gives, or an
    ``nbformat.NotebookNode``); ``nb`` is not changed. See the module docstring for what
    clean means."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise TypeError(f"nb must be a notebook (a dict with a 'cells' list), got "
                        f"{type(nb).__name__}")
    out = copy.deepcopy(dict(nb))
    metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    for key in NOTEBOOK_METADATA_KEPT:
        if key in nb.get("metadata", {}):
            metadata[key] = copy.deepcopy(nb["metadata"][key])
    out["metadata"] = metadata
    count = 0   # nbval refuses stored outputs of a cell without an execution count
    for cell in out["cells"]:
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items()
                            if k in CELL_METADATA_KEPT}
        if cell.get("cell_type") == "code":
            cell["outputs"] = _text_outputs(cell.get("outputs", [])) if keeps_output(cell) else []
            cell["execution_count"] = None
            if cell["outputs"]:
                count += 1
                cell["execution_count"] = count
                for kept in cell["outputs"]:
                    if kept["output_type"] == "execute_result":
                        kept["execution_count"] = count
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        if cell.get("cell_type") == "markdown" and not cell.get("attachments"):
            cell.pop("attachments", None)
    return out


def problems(nb: dict[str, Any]) -> list[str]:
    """What keeps ``nb`` from being clean, one line each (empty when it is clean)."""
    found = []
    meta = nb.get("metadata", {})
    if meta.get("kernelspec") != KERNELSPEC:
        found.append(f"kernelspec is {meta.get('kernelspec')!r}, not {KERNELSPEC!r}")
    extra = sorted(set(meta) - {"kernelspec", "language_info", *NOTEBOOK_METADATA_KEPT})
    if extra:
        found.append(f"notebook metadata {extra} (widget state or tool settings)")
    if meta.get("language_info") != LANGUAGE_INFO:
        found.append(f"language_info is {meta.get('language_info')!r}, not {LANGUAGE_INFO!r}")
    cleaned = clean_notebook(nb)
    for index, (cell, want) in enumerate(zip(nb["cells"], cleaned["cells"])):
        if cell.get("cell_type") == "code" and cell.get("execution_count") != want.get(
                "execution_count"):
            found.append(f"cell {index}: execution count {cell.get('execution_count')}")
        if cell.get("outputs", []) != want.get("outputs", []):
            found.append(f"cell {index}: {len(cell.get('outputs', []))} stored output(s)"
                         + ("" if not keeps_output(cell) else " besides the checked text"))
        if cell.get("metadata", {}) != want["metadata"]:
            found.append(f"cell {index}: metadata "
                         f"{sorted(set(cell.get('metadata', {})) - set(want['metadata']))}")
    return found


def kernel_language_info() -> dict[str, Any]:
    """The ``language_info`` the course kernel (this Python's ipykernel) reports.

    JupyterLab writes it into a notebook's metadata when the kernel starts; a notebook that
    holds anything else is then marked as modified although the student changed nothing.
    The committed notebooks cannot hold it (the Python version differs between machines), so
    the work folder's copies get it (:mod:`cnn_course.tooling.work_folder`).
    """
    from ipykernel.ipkernel import IPythonKernel

    return copy.deepcopy(dict(IPythonKernel.language_info))


def render(nb: dict[str, Any]) -> str:
    """The text a clean notebook is stored as: nbformat's writer (sorted keys, indent 1)
    plus a final newline."""
    import nbformat

    text = nbformat.writes(nbformat.from_dict(nb))
    return text if text.endswith("\n") else text + "\n"


def clean_file(path: str | Path, check: bool = False) -> list[str]:
    """Clean the notebook at ``path`` in place (``check=True``: only report).

    Returns the problems found (empty when the file was already clean, byte for byte).
    """
    import json

    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"path must be an existing .ipynb file, got {str(path)!r}")
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    clean_text = render(clean_notebook(nb))
    if text == clean_text:
        return []
    found = problems(nb) or ["not stored as stable JSON (sorted keys, indent 1, final newline)"]
    if not check:
        path.write_text(clean_text, encoding="utf-8")
    return found
