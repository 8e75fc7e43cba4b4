"""Grading results and the reports made of them: table, gradebook.csv, per-student JSON and JUnit.

Only the grader process writes reports, never a sandbox, and every file is written
atomically (a temporary file in the same folder, then ``os.replace``): a report is either the
old one or the new one, never half written, and a folder the sandbox never sees holds them.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Check outcomes. "not graded": the grading machine lacked something (a data set); the
#: student is not charged and the run is reported incomplete.
STATUSES = ("passed", "failed", "not run", "not graded")


@dataclass
class CheckResult:
    """The outcome of one check: points from the pristine exercise only."""

    id: str
    points: float
    max_points: float
    status: str
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass
class NotebookResult:
    """The outcome of one exercise notebook of one student."""

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


@dataclass
class StudentResult:
    """Everything graded for one student (one submission folder)."""

    student: str
    folder: str
    notebooks: list[NotebookResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seed: int | None = None
    isolation: str = ""
    seconds: float = 0.0
    content_hash: str = ""
    cpu_seconds: float = 0.0  # CPU seconds of the student's sandboxes (0: not measured here)
    reused: bool = False

    @property
    def score(self) -> float:
        return sum(nb.score for nb in self.notebooks)

    @property
    def max_score(self) -> float:
        return sum(nb.max_score for nb in self.notebooks)

    @property
    def checks(self) -> list[tuple[str, CheckResult]]:
        return [(nb.name, c) for nb in self.notebooks for c in nb.checks]

    @property
    def incomplete(self) -> bool:
        return any(c.status == "not graded" for _, c in self.checks)

    @property
    def failed(self) -> bool:
        return (any(c.status in ("failed", "not run") for _, c in self.checks)
                or any(nb.problem for nb in self.notebooks))

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("reused")
        data.update(score=self.score, max_score=self.max_score, incomplete=self.incomplete)
        for nb, raw in zip(self.notebooks, data["notebooks"]):
            raw.update(score=nb.score, max_score=nb.max_score)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "StudentResult":
        notebooks = []
        for raw in data["notebooks"]:
            checks = [CheckResult(c["id"], float(c["points"]), float(c["max_points"]),
                                  c["status"], c.get("message", "")) for c in raw["checks"]]
            notebooks.append(NotebookResult(raw["name"], raw.get("path"), checks,
                                            raw.get("problem", ""), list(raw.get("notes", []))))
        return cls(data["student"], data["folder"], notebooks, list(data.get("notes", [])),
                   data.get("seed"), data.get("isolation", ""), float(data.get("seconds", 0.0)),
                   data.get("content_hash", ""), float(data.get("cpu_seconds", 0.0)))


def atomic_write(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part.

    The folder is created when missing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _number(value: float) -> str:
    return f"{value:g}"


def format_student(result: StudentResult) -> str:
    """A plain-text report of one student: a line per check, subtotals, the total."""
    lines = [f"== {result.student}  {_number(result.score)}/{_number(result.max_score)}"
             + ("  (reused: files unchanged)" if result.reused else "")]
    lines += [f"  note: {note}" for note in result.notes]
    for nb in result.notebooks:
        lines.append(f"  {nb.name}  {_number(nb.score)}/{_number(nb.max_score)}"
                     + (f"  [{nb.problem}]" if nb.problem else ""))
        lines += [f"    note: {note}" for note in nb.notes]
        for c in nb.checks:
            mark = {"passed": "PASS", "failed": "FAIL", "not run": "FAIL",
                    "not graded": "N/G "}[c.status]
            lines.append(f"    {mark}  {c.id:<24} {_number(c.points)}/{_number(c.max_points)}"
                         + ("" if c.passed else f"  {c.message}"))
    return "\n".join(lines)


def format_table(results: list[StudentResult]) -> str:
    """Every student's report, then one line per student with the total."""
    parts = [format_student(r) for r in results]
    parts.append("TOTALS")
    parts += [f"  {r.student:<24} {_number(r.score)}/{_number(r.max_score)}"
              + ("  INCOMPLETE" if r.incomplete else "") for r in results]
    return "\n".join(parts)


def _cell(value: object) -> str:
    """A CSV field a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def gradebook_columns(reference_checks: list[tuple[str, str, float]]) -> list[str]:
    """Column names: ``student``, one ``<notebook>:<check>`` per pristine check, totals, notes."""
    return (["student"] + [f"{Path(nb).stem}:{check}" for nb, check, _ in reference_checks]
            + ["total", "max_total", "status", "notes"])


def gradebook_csv(results: list[StudentResult],
                  reference_checks: list[tuple[str, str, float]]) -> str:
    """The class gradebook: one row per student, points per check (empty: not graded)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(gradebook_columns(reference_checks))
    most = sum(p for _, _, p in reference_checks)
    for r in sorted(results, key=lambda r: r.student):
        points = {(nb, c.id): c for nb, c in r.checks}
        row: list[object] = [_cell(r.student)]
        for nb, check, _ in reference_checks:
            c = points.get((nb, check))
            row.append("" if c is None or c.status == "not graded" else _number(c.points))
        notes = list(r.notes) + [f"{nb.name}: {n}" for nb in r.notebooks for n in nb.notes]
        notes += [f"{nb.name}: {nb.problem}" for nb in r.notebooks if nb.problem]
        status = "incomplete" if r.incomplete else "graded"
        row += [_number(r.score), _number(most), status, _cell(" | ".join(notes))]
        writer.writerow(row)
    return out.getvalue()


def student_json(result: StudentResult) -> str:
    data = result.to_dict()
    text = json.dumps(data, indent=2, allow_nan=False, sort_keys=True)
    return text + "\n"


def student_junit(result: StudentResult) -> str:
    """JUnit XML of one student: a test suite per notebook, a test case per check."""
    suites = ET.Element("testsuites", name=f"cnn-course grade {result.student}")
    for nb in result.notebooks:
        bad = sum(c.status in ("failed", "not run") for c in nb.checks)
        skipped = sum(c.status == "not graded" for c in nb.checks)
        suite = ET.SubElement(suites, "testsuite", name=f"{result.student}/{nb.name}",
                              tests=str(max(len(nb.checks), 1)), failures=str(bad),
                              skipped=str(skipped))
        if not nb.checks:
            case = ET.SubElement(suite, "testcase", classname=nb.name, name="notebook")
            if nb.problem:
                ET.SubElement(case, "failure", message=nb.problem)
        for c in nb.checks:
            case = ET.SubElement(suite, "testcase", classname=f"{result.student}.{nb.name}",
                                 name=f"{c.id} ({_number(c.max_points)} points)")
            if c.status == "not graded":
                ET.SubElement(case, "skipped", message=c.message)
            elif not c.passed:
                ET.SubElement(case, "failure", message=c.message)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_student_reports(result: StudentResult, out_dir: str | Path) -> list[Path]:
    """Write ``students/<name>.json`` and ``students/<name>.xml`` under ``out_dir``, atomically."""
    written = []
    for suffix, text in ((".json", student_json(result)), (".xml", student_junit(result))):
        path = Path(out_dir) / "students" / f"{result.student}{suffix}"
        atomic_write(path, text)
        written.append(path)
    return written


def write_reports(results: list[StudentResult], out_dir: str | Path,
                  reference_checks: list[tuple[str, str, float]]) -> list[Path]:
    """Write every student's reports and ``gradebook.csv`` under ``out_dir``, atomically."""
    out_dir = Path(out_dir)
    written = []
    for r in results:
        written += write_student_reports(r, out_dir)
    path = out_dir / "gradebook.csv"
    atomic_write(path, gradebook_csv(results, reference_checks))
    written.append(path)
    return written


def load_previous(out_dir: str | Path, student: str) -> StudentResult | None:
    """The report of ``student`` written by an earlier run, or ``None``."""
    path = Path(out_dir) / "students" / f"{student}.json"
    try:
        return StudentResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None

