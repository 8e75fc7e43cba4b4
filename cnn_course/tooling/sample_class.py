"""A generated class of submissions, with the total each student deserves.

For trying ``cnn-course grade`` before a real class, for its tests and for its benchmark
(``benchmarks/bench_grading.py``): :func:`write_class` writes one folder per student, cycling
through the kinds of submission a teacher meets:

``solved``     every exercise solved (the solution notebooks);
``stub``       the untouched exercise stubs;
``half``       every other exercise solved (the 1st, 3rd, ...), the rest stubs;
``attack``     the stubs, with a first cell that silences every error of the kernel
               (``set_custom_exc``: in the old, single-kernel grader this made every check pass);
``malformed``  like ``half``, but the 2nd notebook is broken JSON (scores 0 for that notebook);
``missing``    like ``half``, but the unsolved notebooks are not submitted at all.

The expected total of a student is the sum of the points of the notebooks it solved, taken
from the pristine exercises' check cells, never from the submitted files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import nbformat

KINDS = ("solved", "stub", "half", "attack", "malformed", "missing")
#: The attack of the ``attack`` kind (issue 13: it made all 38 points pass in the old grader).
ATTACK = "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)"


def notebook_points(notebook: Any) -> float:
    """Points of a pristine exercise notebook: the sum of its check cells' ``points``."""
    total = 0.0
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("cnn_course")
        if isinstance(meta, dict) and "check" in meta:
            total += float(meta["points"])
    return total


def write_class(folder: str | Path, n: int, exercises: Mapping[str, Any],
                solutions: Mapping[str, Any]) -> dict[str, float]:
    """Write ``n`` students into ``folder`` (``s00-solved``, ``s01-stub``, ...).

    Parameters
    ----------
    folder : path
        The class folder; created if missing. Each student is a sub-folder.
    n : int
        Number of students (>= 1); the kinds of :data:`KINDS` repeat in turn.
    exercises, solutions : mapping
        Notebook file name -> ``nbformat`` notebook: the pristine stubs and their solutions
        (same names; the order of ``exercises`` decides "every other exercise").

    Returns
    -------
    dict
        Student folder name -> the total points that student deserves.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    names = list(exercises)
    if not names or set(names) != set(solutions):
        raise ValueError(f"solutions must name the same notebooks as exercises, got "
                         f"{sorted(solutions)} for {names}")
    points = {name: notebook_points(exercises[name]) for name in names}
    folder = Path(folder)
    expected: dict[str, float] = {}
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        student = folder / f"s{i:02d}-{kind}"
        student.mkdir(parents=True, exist_ok=True)
        total = 0.0
        for j, name in enumerate(names):
            solved = kind == "solved" or (kind in ("half", "missing", "malformed") and j % 2 == 0)
            if kind == "missing" and not solved:
                continue
            if kind == "malformed" and j == 1:
                (student / name).write_text('{"cells": [', encoding="utf-8")
                continue
            nb = nbformat.from_dict(dict(solutions[name] if solved else exercises[name]))
            if kind == "attack":
                cell = nbformat.v4.new_code_cell(ATTACK)
                cell["id"] = "attack"
                nb.cells.insert(0, cell)
            nbformat.write(nb, student / name)
            total += points[name] if solved else 0.0
        expected[student.name] = total
    return expected
