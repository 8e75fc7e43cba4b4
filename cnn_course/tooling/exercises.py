"""Exercise notebooks generated from solution notebooks.

One source of truth: the notebooks in ``solutions/``. In their code cells every answer
region sits between two marker lines::

    def pad2d(x, pad):
        \"\"\"Zero-pad the two spatial axes of ``x`` ...\"\"\"
        ### BEGIN SOLUTION
        ### HINT: np.pad takes one (before, after) pair per axis.
        (top, bottom), (left, right) = ...
        return np.pad(x, ...)
        ### END SOLUTION

``build_exercises`` writes one exercise notebook per solution notebook in which each
region is replaced by ``raise NotImplementedError("<hint>")`` at the region's indentation
(the signature and docstring above it stay), the hint being the text of the region's
optional ``### HINT:`` lines. A region may span a whole cell. Markdown cells may hold
regions too (a written answer); there the region becomes "*Write your answer here.*".

Check cells carry the cell metadata ``{"cnn_course": {"check": "<id>", "points": N}}``; they
are copied unchanged, so the grader (``cnn-course grade``) can match a student's notebook
against the pristine exercise by check id. Exercise notebooks keep the solution's cell ids,
have no outputs or execution counts, name the course's kernel
(:data:`~cnn_course.tooling.clean_notebooks.KERNELSPEC`), and are written as stable JSON
(sorted keys), so ``cnn-course build-exercises --check`` compares them byte for byte.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

from .clean_notebooks import KERNELSPEC, LANGUAGE_INFO

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HINT = "### HINT:"
GENERIC_HINT = "Write your answer here (see the exercise text above)."
MARKDOWN_STUB = "*Write your answer here.*"

_MARKER = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>### (?:BEGIN|END) SOLUTION)\s*$")


def _read(path: Path):
    """Read a notebook, refusing duplicate cell ids (nbformat would replace them at random,
    and the grader matches check cells by id)."""
    import json

    import nbformat

    text = Path(path).read_text(encoding="utf-8")
    seen: dict[str, int] = {}
    for index, cell in enumerate(json.loads(text).get("cells", [])):
        cell_id = cell.get("id")
        if cell_id is None:
            continue
        if cell_id in seen:
            raise ValueError(f"{path}: duplicate cell id {cell_id!r} in cells {seen[cell_id]} "
                             f"and {index}; give every cell its own id")
        seen[cell_id] = index
    return nbformat.reads(text, as_version=4)


def is_check_cell(cell) -> bool:
    """Whether ``cell`` claims to be a check cell (carries ``metadata.cnn_course.check``).

    Says nothing about whether the claim is valid: :func:`check_metadata` decides that. The
    grader uses this on a student's cells, whose metadata is never trusted.
    """
    meta = cell.get("metadata", {}).get("cnn_course")
    return isinstance(meta, dict) and "check" in meta


def check_metadata(cell, where: str = "cell") -> tuple[str, float] | None:
    """The ``(check_id, points)`` of a course check cell, or ``None`` for any other cell.

    The one reader of check-cell metadata (``{"cnn_course": {"check": id, "points": n}}``),
    used by ``build-exercises`` and by the grader on the pristine exercises: the id must be a
    non-empty identifier-like string and ``points`` a finite number > 0 (no default).

    Raises
    ------
    ValueError
        When the cell carries check metadata that breaks these rules, naming ``where``.
    """
    if not is_check_cell(cell):
        return None
    meta = cell["metadata"]["cnn_course"]
    check_id, points = meta.get("check"), meta.get("points")
    if not isinstance(check_id, str) or not re.fullmatch(r"[A-Za-z_][\w.-]{0,63}", check_id):
        raise ValueError(f"{where}: check id must be a non-empty name of letters, digits and "
                         f"_ (at most 64 characters), got {check_id!r}")
    if (isinstance(points, bool) or not isinstance(points, (int, float))
            or not math.isfinite(points) or points <= 0):
        raise ValueError(f"{where}: points of check {check_id!r} must be a finite number > 0, "
                         f"got {points!r}")
    if cell.get("cell_type") != "code":
        raise ValueError(f"{where}: check {check_id!r} must be a code cell")
    return check_id, points


def _validate_checks(nb, where: str) -> list[tuple[str, float]]:
    checks: list[tuple[str, float]] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        info = check_metadata(cell, f"{where}, cell {index}")
        if info is None:
            continue
        check_id, points = info
        if BEGIN in cell.source or END in cell.source:
            raise ValueError(f"{where}, cell {index}: check cell {check_id!r} must not contain "
                             f"solution markers")
        if check_id in seen:
            raise ValueError(f"{where}: duplicate check id {check_id!r} in cells "
                             f"{seen[check_id]} and {index}")
        seen[check_id] = index
        checks.append((check_id, points))
    return checks


def list_checks(path: str | Path) -> list[tuple[str, float]]:
    """Return the ``(check_id, points)`` pairs of a notebook's check cells, in cell order.

    Raises ``ValueError`` on duplicate ids or invalid points.
    """
    path = Path(path)
    return _validate_checks(_read(path), str(path))


def _string_literal(text: str) -> str:
    """A Python string literal for ``text``: double quotes unless the text contains them."""
    if '"' in text or "\\" in text or not text.isprintable():
        return repr(text)
    return f'"{text}"'


def strip_solutions(source: str, where: str = "cell", markdown: bool = False) -> str:
    """Replace every answer region of one cell's ``source`` by its stub.

    Parameters
    ----------
    source : str
        The cell's text.
    where : str
        Names the notebook and cell in error messages.
    markdown : bool
        ``True`` for a markdown cell: the region becomes ``MARKDOWN_STUB``.

    Raises
    ------
    ValueError
        When a ``### BEGIN SOLUTION`` has no matching ``### END SOLUTION``, an end comes
        without a begin, or regions are nested.
    """
    out: list[str] = []
    inside = False
    indent = ""
    hints: list[str] = []
    begin_line = 0
    for number, line in enumerate(source.split("\n"), start=1):
        match = _MARKER.match(line)
        if match and match["marker"] == BEGIN:
            if inside:
                raise ValueError(f"{where}: '{BEGIN}' on line {number} inside the region opened "
                                 f"on line {begin_line} (regions cannot nest)")
            inside, indent, hints, begin_line = True, match["indent"], [], number
        elif match and match["marker"] == END:
            if not inside:
                raise ValueError(f"{where}: '{END}' on line {number} without a '{BEGIN}' "
                                 f"before it")
            inside = False
            if markdown:
                out.append(indent + MARKDOWN_STUB)
            else:
                hint = " ".join(hints) if hints else GENERIC_HINT
                out.append(f"{indent}raise NotImplementedError({_string_literal(hint)})")
        elif inside:
            stripped = line.strip()
            if stripped.startswith(HINT):
                hints.append(stripped[len(HINT):].strip())
        else:
            if BEGIN in line or END in line:
                raise ValueError(f"{where}: line {number} holds a solution marker that is not "
                                 f"alone on its line: {line.strip()!r}")
            out.append(line)
    if inside:
        raise ValueError(f"{where}: '{BEGIN}' on line {begin_line} has no '{END}'")
    return "\n".join(out)


def make_exercise(nb, where: str = "notebook"):
    """Return the exercise version of a solution notebook node (the input is not changed)."""
    import copy

    import nbformat

    _validate_checks(nb, where)
    ex = copy.deepcopy(nb)
    if ex.nbformat_minor < 5:  # give every cell a stable id, derived from its position
        ex.nbformat_minor = 5
        for index, cell in enumerate(ex.cells):
            cell.setdefault("id", f"cell-{index:03d}")
    for index, cell in enumerate(ex.cells):
        cell_where = f"{where}, cell {index}"
        if cell.cell_type == "code":
            if not is_check_cell(cell):
                cell.source = strip_solutions(cell.source, cell_where)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = strip_solutions(cell.source, cell_where, markdown=True)
        for key in ("execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
    # Only what does not change when the solution is re-executed (no versions, no widgets),
    # with the course's kernel: the same metadata as every clean notebook (clean_notebooks).
    ex.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC),
                                      "language_info": dict(LANGUAGE_INFO)})
    ex.metadata["cnn_course"] = {"generated_from": f"solutions/{Path(where).name}",
                                 "note": "generated by `cnn-course build-exercises`; "
                                         "edit the solution notebook instead"}
    nbformat.validate(ex)
    return ex


def render_exercise(solution_path: str | Path) -> str:
    """The exact text ``build_exercises`` writes for one solution notebook."""
    import nbformat

    path = Path(solution_path)
    ex = make_exercise(_read(path), str(path))
    text = nbformat.writes(ex)  # v4 writer: sorted keys, indent 1
    return text if text.endswith("\n") else text + "\n"


def _solution_paths(solutions_dir: Path) -> list[Path]:
    if not solutions_dir.is_dir():
        raise ValueError(f"solutions_dir must be a folder of notebooks, got {str(solutions_dir)!r}")
    return sorted(solutions_dir.glob("*.ipynb"))


def build_exercises(solutions_dir: str | Path, exercises_dir: str | Path) -> list[Path]:
    """Write one exercise notebook per notebook of ``solutions_dir`` into ``exercises_dir``.

    Stale exercise notebooks (no solution of that name) are removed, so the folder matches
    ``solutions_dir`` exactly. Returns the written paths, sorted.
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    sources = _solution_paths(solutions_dir)
    rendered = {exercises_dir / p.name: render_exercise(p) for p in sources}  # all or nothing
    exercises_dir.mkdir(parents=True, exist_ok=True)
    for target, text in rendered.items():
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    for stale in sorted(set(exercises_dir.glob("*.ipynb")) - set(rendered)):
        stale.unlink()
    return sorted(rendered)


def compare_exercises(solutions_dir: str | Path, exercises_dir: str | Path) -> dict[str, list[str]]:
    """Say how ``exercises_dir`` differs from what ``build_exercises`` would write.

    Returns ``{"differ": [...], "missing": [...], "extra": [...]}`` of notebook file names.
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    report: dict[str, list[str]] = {"differ": [], "missing": [], "extra": []}
    expected = {p.name: p for p in _solution_paths(solutions_dir)}
    present = {p.name for p in exercises_dir.glob("*.ipynb")} if exercises_dir.is_dir() else set()
    for name, source in expected.items():
        target = exercises_dir / name
        if name not in present:
            report["missing"].append(name)
        elif target.read_text(encoding="utf-8") != render_exercise(source):
            report["differ"].append(name)
    report["extra"] = sorted(present - set(expected))
    return report


def build_exercises_main(solutions: str | Path, exercises: str | Path, check: bool = False) -> int:
    """``cnn-course build-exercises``: write (or with ``check=True`` only compare) exercises.

    Returns the exit status: 0 when written or up to date, 1 when ``check`` finds differences
    or a solution notebook is malformed.
    """
    try:
        if check:
            report = compare_exercises(solutions, exercises)
            problems = [(kind, name) for kind, names in report.items() for name in names]
            if not problems:
                print(f"{exercises} is up to date with {solutions}.")
                return 0
            for kind, name in problems:
                print(f"{kind:8s} {Path(exercises) / name}")
            print(f"{exercises} is out of date: run `cnn-course build-exercises`.")
            return 1
        written = build_exercises(solutions, exercises)
    except ValueError as exc:
        print(f"error: {exc}")
        return 1
    for path in written:
        checks = list_checks(path)
        print(f"wrote {path}  ({len(checks)} checks, {sum(p for _, p in checks):g} points)")
    return 0

