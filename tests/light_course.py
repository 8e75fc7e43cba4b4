"""A light copy of the course's exercises 03 and 05 for fast grading tests, with the REAL checks.

The light notebooks keep the exercises' own cells that matter to grading (``imports``, the
answer cells and the check cells, with their ids and metadata) and drop the set-up and demo
cells (data sets, figures). They are graded with the course's real check suite (probes,
cases, judges of ``pad2d``, ``output_size``, ``conv2d``, ``max_pool2d``, ``avg_pool2d``):
everything a student's notebook goes through is real, it only runs in a second per kernel.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from cnn_course.tooling.exercises import is_check_cell

ROOT = Path(__file__).resolve().parents[1]
NB03 = "03_padding_and_output_size.ipynb"
NB05 = "05_pooling.ipynb"
NAMES = (NB03, NB05)


def _points(name: str) -> float:
    """The points of the solution's check cells (what full marks are worth)."""
    nb = nbformat.read(ROOT / "solutions" / name, as_version=4)
    return float(sum(c.metadata["cnn_course"].get("points", 0) for c in nb.cells
                     if is_check_cell(c)))


POINTS = {name: _points(name) for name in NAMES
          if (ROOT / "solutions" / name).exists()}


def available() -> bool:
    return all((ROOT / d / n).exists() for d in ("exercises", "solutions") for n in NAMES)


def light(name: str, solved: bool = False):
    """The light exercise ``name``: the stub, or with the solution's answer cells."""
    source = ROOT / ("solutions" if solved else "exercises") / name
    nb = nbformat.read(source, as_version=4)
    keep = [c for c in nb.cells if c.cell_type == "code" and (
        c.get("id") == "imports" or str(c.get("id", "")).startswith("answer-")
        or is_check_cell(c))]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {name} (light)")] + keep
    nb.cells[0]["id"] = "title"
    return nb


def exercises() -> dict:
    return {name: light(name) for name in NAMES}


def solutions() -> dict:
    return {name: light(name, solved=True) for name in NAMES}


def write_reference(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, nb in exercises().items():
        nbformat.write(nb, folder / name)
    return folder
