"""Grade student exercise notebooks with nbval: ``cnn-course grade PATH...``.

How a notebook is graded
------------------------
1. The student's notebook is matched by file name to the pristine exercise notebook of the
   course (``exercises/`` by default, ``--reference`` to choose another folder).
2. A *graded copy* is assembled: every cell of the student's notebook except check cells,
   with every check cell of the pristine notebook put back in its place. A check cell is
   recognised by its metadata ``{"cnn_course": {"check": id, "points": n}}`` *and* by the
   id of the pristine cell, so deleting a check, editing it to ``assert True`` or stripping
   its metadata changes nothing: the course's own check runs.
3. The graded copy runs under ``pytest --nbval-lax`` in a fresh kernel of the current
   environment, with a per-cell timeout. A cell that hangs is interrupted after the timeout
   and counts as failed; the remaining cells still run. Each notebook runs in its own
   process, so a kernel crash affects that notebook only.
4. Each check scores its points when its cell runs without error, else 0 with the failure
   message (the check's own explanation of what is wrong). A pristine notebook with no
   student submission scores 0 with a message.

Reports: a table on stdout, a JSON file and a JUnit XML file for CI systems. The exit status
is 1 when any check fails (``--exit-zero`` for reporting-only runs).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

import nbformat

COURSE_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = COURSE_ROOT / "exercises"
# Terminal colour codes, raw or as pytest's JUnit XML escapes them ("#x1B[31m").
_ANSI = re.compile(r"(\x1b|#x1B)\[[0-9;]*m")
# Lines like "AssertionError: output shape (5, 5), expected (4, 4)" in a traceback.
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)):?(.*)$")


@dataclass
class CheckResult:
    """The outcome of one check cell."""

    id: str
    points: float
    max_points: float
    passed: bool
    message: str = ""


@dataclass
class NotebookResult:
    """The outcome of one notebook: its checks and an optional notebook-level problem."""

    name: str
    path: str | None
    checks: list[CheckResult] = field(default_factory=list)
    problem: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.checks)


def check_info(cell: nbformat.NotebookNode) -> tuple[str, float] | None:
    """Return ``(check_id, points)`` of a check cell, or ``None`` for any other cell."""
    meta = cell.get("metadata", {}).get("cnn_course", {})
    if cell.get("cell_type") == "code" and isinstance(meta, dict) and "check" in meta:
        return str(meta["check"]), float(meta.get("points", 1))
    return None


# Put in front of every restored check cell: a fresh copy of the checkers, so an answer cell
# that rebinds one (``cnn_course.checks.check_pad2d = ...``) changes nothing.
CHECK_GUARD = ("import importlib as _importlib, cnn_course.checks as _checks; "
               "_importlib.reload(_checks)  # added by cnn-course grade\n")


def assemble_graded_notebook(student: nbformat.NotebookNode, reference: nbformat.NotebookNode
                             ) -> tuple[nbformat.NotebookNode, dict[int, tuple[str, float]], list[str]]:
    """Build the notebook that is run: the student's cells plus the pristine check cells.

    Parameters
    ----------
    student, reference : NotebookNode
        The submitted notebook and the pristine exercise notebook.

    Returns
    -------
    notebook : NotebookNode
        A copy of ``reference``'s metadata with the student's non-check cells, in the
        student's order, and each pristine check cell inserted after the cell it follows in
        the pristine notebook (found by cell id; at the end when that cell is gone).
    checks_by_code_index : dict
        ``{index among code cells: (check_id, points)}``; nbval names cells ``Cell <index>``.
    notes : list of str
        One line per check cell that the student had edited or removed (the pristine one was
        run instead), for the teacher.
    """
    ref_check_ids = {c.get("id") for c in reference.cells if check_info(c)}
    ref_check_keys = {check_info(c)[0] for c in reference.cells if check_info(c)}
    pristine = {c.get("id"): c.source for c in reference.cells if check_info(c)}
    kept, notes, seen = [], [], set()
    for c in student.cells:
        replaced = c.get("id") in ref_check_ids or (check_info(c) and check_info(c)[0] in ref_check_keys)
        if not replaced:
            kept.append(copy.deepcopy(c))
            continue
        seen.add(c.get("id"))
        if c.get("id") in pristine and c.source != pristine[c.get("id")]:
            notes.append(f"cell {c.get('id')} (a check) was edited; the course's check was run "
                         "instead, and anything else written in that cell was not")
    for cell_id in pristine:
        if cell_id not in seen:
            notes.append(f"check cell {cell_id} was missing; the course's check was put back")

    # For each pristine check: the id of the nearest non-check cell before it.
    anchors: list[tuple[str | None, nbformat.NotebookNode]] = []
    last_plain: str | None = None
    for cell in reference.cells:
        if check_info(cell):
            anchors.append((last_plain, copy.deepcopy(cell)))
        else:
            last_plain = cell.get("id")

    cells = list(kept)
    position = {c.get("id"): i for i, c in enumerate(cells)}
    inserted_after: dict[str | None, int] = {}
    for _, check in anchors:
        check.source = CHECK_GUARD + check.source
    for anchor, check in anchors:
        if anchor in position:
            base = position[anchor]
            offset = inserted_after.get(anchor, 0)
            cells.insert(base + 1 + offset, check)
            inserted_after[anchor] = offset + 1
            position = {c.get("id"): i for i, c in enumerate(cells)}
        else:
            cells.append(check)
            position = {c.get("id"): i for i, c in enumerate(cells)}

    for cell in cells:  # nbval compares outputs only of run reference cells: run none
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    graded = nbformat.v4.new_notebook(metadata=copy.deepcopy(reference.metadata))
    graded.cells = cells
    checks: dict[int, tuple[str, float]] = {}
    code_index = 0
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        info = check_info(cell)
        if info:
            checks[code_index] = info
        code_index += 1
    return graded, checks, notes


def _failure_message(text: str) -> str:
    """The most useful line of an nbval failure: the exception line, else the summary."""
    text = _ANSI.sub("", text or "")
    if "Timeout of" in text and "exceeded" in text:
        found = re.search(r"Timeout of [\d.]+ seconds exceeded[^\n]*", text)
        return found.group(0) if found else "cell timed out"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in reversed(lines):
        match = _EXC_LINE.match(line)
        if match and not line.startswith("Traceback"):
            return line
    return lines[-1] if lines else "failed"


def run_nbval(notebook: Path, timeout: int, junit: Path) -> tuple[dict[int, str | None], str]:
    """Run ``pytest --nbval-lax`` on one notebook in a subprocess.

    Returns ``({cell index: None if passed else failure message}, problem)`` where
    ``problem`` describes a failure of the run as a whole (kernel crash, overall timeout).
    """
    env = dict(os.environ)
    env.setdefault("CNN_COURSE_MODE", "quick")
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    cells = sum(1 for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", f"--nbval-cell-timeout={timeout}",
           "-p", "no:cacheprovider", "-p", "no:randomly", "-q", "-o", "addopts=",
           "--rootdir", str(notebook.parent), f"--junitxml={junit}", str(notebook)]
    problem = ""
    try:
        proc = subprocess.run(cmd, cwd=notebook.parent, env=env, capture_output=True,
                              text=True, timeout=timeout * (cells + 1) + 120)
        output = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired:
        return {}, f"the notebook did not finish within {timeout * (cells + 1) + 120} s"
    results: dict[int, str | None] = {}
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            match = re.search(r"Cell (\d+)", case.get("name", ""))
            if not match:
                continue
            bad = case.find("failure")
            if bad is None:
                bad = case.find("error")
            if case.find("skipped") is not None:
                results[int(match.group(1))] = "skipped"
            elif bad is not None:
                results[int(match.group(1))] = _failure_message(
                    (bad.get("message") or "") + "\n" + (bad.text or ""))
            else:
                results[int(match.group(1))] = None
    if not results:
        problem = "nbval did not run the notebook: " + _failure_message(output)
    elif "Kernel died" in output or "kernel died" in output.lower():
        problem = "the kernel crashed while running this notebook"
    return results, problem


def grade_notebook(student_path: Path | None, reference_path: Path, timeout: int = 120,
                   workdir: Path | None = None) -> NotebookResult:
    """Grade one submission against its pristine exercise notebook."""
    reference = nbformat.read(reference_path, as_version=4)
    ref_checks = [check_info(c) for c in reference.cells if check_info(c)]
    result = NotebookResult(name=reference_path.name,
                            path=str(student_path) if student_path else None)
    if student_path is None:
        result.problem = "notebook not submitted"
        result.checks = [CheckResult(i, 0.0, p, False, "notebook not submitted")
                         for i, p in ref_checks]
        return result
    try:
        student = nbformat.read(student_path, as_version=4)
    except Exception as exc:  # unreadable JSON: every check scores 0
        result.problem = f"cannot read the notebook: {exc}"
        result.checks = [CheckResult(i, 0.0, p, False, result.problem) for i, p in ref_checks]
        return result
    graded, checks, result.notes = assemble_graded_notebook(student, reference)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        graded_path = Path(tmp) / reference_path.name
        nbformat.write(graded, graded_path)
        outcomes, problem = run_nbval(graded_path, timeout, Path(tmp) / "junit.xml")
    result.problem = problem
    for index, (check_id, points) in sorted(checks.items()):
        outcome = outcomes.get(index, problem or "the check did not run")
        passed = outcome is None
        result.checks.append(CheckResult(check_id, points if passed else 0.0, points, passed,
                                         "" if passed else str(outcome)))
    return result


def collect_notebooks(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """Expand files and folders into ``(found, missing)`` lists of ``.ipynb`` paths.

    ``missing`` holds notebook paths that were named but do not exist (graded as not
    submitted). Anything that is neither a notebook path nor a folder raises ``ValueError``.
    """
    found: list[Path] = []
    missing: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for p in path.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.suffix == ".ipynb":
            (found if path.is_file() else missing).append(path)
        else:
            raise ValueError(f"paths: {path} is not a notebook (.ipynb) or a folder of notebooks")
    return found, missing


def grade(paths: Iterable[str | Path], reference_dir: str | Path | None = None,
          timeout: int = 120) -> list[NotebookResult]:
    """Grade notebooks (files or folders) against the pristine exercises.

    When a folder is given, every pristine exercise notebook missing from it is reported as
    not submitted (0 points). A submitted notebook with no pristine twin is reported as a
    problem with no checks.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        raise ValueError(f"timeout must be an int >= 1 (seconds per cell), got {timeout!r}")
    reference_dir = Path(reference_dir) if reference_dir else DEFAULT_REFERENCE
    if not reference_dir.is_dir():
        raise FileNotFoundError(f"reference: no folder of pristine exercises at {reference_dir}")
    references = {p.name: p for p in sorted(reference_dir.glob("*.ipynb"))}
    paths = list(paths)
    submitted, missing = collect_notebooks(paths)
    results: list[NotebookResult] = []
    by_name = {p.name: p for p in submitted + missing}
    for path in submitted:
        if path.name not in references:
            results.append(NotebookResult(path.name, str(path),
                                          problem="no exercise of this name in the course"))
            continue
        results.append(grade_notebook(path, references[path.name], timeout))
    for path in missing:
        if path.name in references:
            result = grade_notebook(None, references[path.name], timeout)
            result.problem = f"notebook not submitted ({path} does not exist)"
        else:
            result = NotebookResult(path.name, str(path), problem=f"{path} does not exist")
        results.append(result)
    if any(Path(p).is_dir() for p in paths):
        for name, ref in references.items():
            if name not in by_name:
                results.append(grade_notebook(None, ref, timeout))
    return results


def format_table(results: list[NotebookResult]) -> str:
    """A plain-text report: one line per check, a subtotal per notebook, the total."""
    lines = []
    for nb in results:
        lines.append(f"{nb.name}  {nb.score:g}/{nb.max_score:g}"
                     + (f"  [{nb.problem}]" if nb.problem else ""))
        lines += [f"  note: {note}" for note in nb.notes]
        for c in nb.checks:
            mark = "PASS" if c.passed else "FAIL"
            lines.append(f"  {mark}  {c.id:<28} {c.points:g}/{c.max_points:g}"
                         + ("" if c.passed else f"  {c.message}"))
    total = sum(nb.score for nb in results)
    most = sum(nb.max_score for nb in results)
    lines.append(f"TOTAL  {total:g}/{most:g}")
    return "\n".join(lines)


def write_json(results: list[NotebookResult], path: Path) -> None:
    data = {
        "total": sum(nb.score for nb in results),
        "max_total": sum(nb.max_score for nb in results),
        "notebooks": [dict(asdict(nb), score=nb.score, max_score=nb.max_score) for nb in results],
    }
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def write_junit(results: list[NotebookResult], path: Path) -> None:
    suites = ET.Element("testsuites", name="cnn-course grade")
    for nb in results:
        failures = sum(not c.passed for c in nb.checks) + (1 if nb.problem and not nb.checks else 0)
        suite = ET.SubElement(suites, "testsuite", name=nb.name, tests=str(max(len(nb.checks), 1)),
                              failures=str(failures))
        if not nb.checks:
            case = ET.SubElement(suite, "testcase", classname=nb.name, name="notebook")
            if nb.problem:
                ET.SubElement(case, "failure", message=nb.problem)
        for c in nb.checks:
            case = ET.SubElement(suite, "testcase", classname=nb.name,
                                 name=f"{c.id} ({c.max_points:g} points)")
            if not c.passed:
                ET.SubElement(case, "failure", message=c.message)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def grade_main(args: argparse.Namespace) -> int:
    """Entry point of ``cnn-course grade`` (arguments parsed in :mod:`cnn_course.cli`)."""
    try:
        results = grade(args.paths, args.reference, args.timeout)
    except (FileNotFoundError, ValueError) as exc:  # bad arguments: no reports to write
        print(f"cnn-course grade: {exc}", file=sys.stderr)
        return 2
    print(format_table(results))
    write_json(results, Path(args.json_path))
    write_junit(results, Path(args.junit_path))
    print(f"reports: {args.json_path}, {args.junit_path}")
    failed = any(not c.passed for nb in results for c in nb.checks) or any(
        nb.problem for nb in results)
    return 0 if args.exit_zero or not failed else 1
