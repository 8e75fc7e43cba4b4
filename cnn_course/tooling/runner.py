"""Grade one student: assemble, run in the sandbox with nbval, judge in the grader's process.

For each pristine exercise notebook:

1. The student's notebook is read (a regular file inside the submission folder, size-capped).
2. The *graded notebook* is assembled: the student's code and markdown cells, minus every
   cell that is, or claims to be, a check cell; in place of each pristine check cell, a
   *probe cell* that only calls the student's answers on the check's inputs and saves what
   they return as plain data. Check ids and points come from the pristine exercise only.
3. All the student's graded notebooks run under ``pytest --nbval-lax`` in ONE sandbox
   (:mod:`cnn_course.tooling.sandbox`), each in a fresh kernel whose kernelspec lives in the
   student's scratch folder.
4. Back in the grader's process, where no student code ever ran, each check's results file is
   read (a regular file, size-capped, strict plain data) and judged against the inputs the
   grader drew (``CheckSpec.judge``). The JUnit file nbval wrote is read only to say *why* a
   check did not run (kernel died in cell N, timeout in cell N), never for a score.
"""
from __future__ import annotations

import copy
import hashlib
import os
import random
import re
import secrets
import shutil
import stat
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import nbformat

from . import scan
from .exercises import check_metadata, is_check_cell
from .gradebook import CheckResult, NotebookResult, StudentResult
from .sandbox import (Limits, isolation, isolation_note, python, run_sandboxed, scratch_env,
                      write_kernelspec)

MAX_NOTEBOOK_BYTES = 20 << 20
MAX_RESULTS_BYTES = 64 << 20
MAX_JUNIT_BYTES = 4 << 20
KERNEL_NAME = "cnn-course-grader"
_LOAD_DATASET = re.compile(r"load_dataset\(\s*[\"'](\w+)[\"']")
_ANSI = re.compile(r"(\x1b|#x1B)\[[0-9;]*m")
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit|Failed)):?(.*)$")
#: How a check whose judge raised begins its message (the grader grades that student again).
JUDGE_RAISED = "not graded: the grader's check raised"
_JUDGE_LOCK = threading.Lock()  # cases and judges may build Keras models: one at a time


@dataclass(frozen=True)
class Suite:
    """The checks the grader uses: specs by id, the plain-data format and the probe cell.

    ``specs[id]`` has ``answers``, ``cases(seed)``, ``probe``, ``judge(cases, results)`` and
    optionally ``forbidden`` (dotted names an answer may not use) and ``datasets`` (data sets
    the check needs on the grading machine).
    """

    specs: Mapping[str, Any]
    dumps: Callable[[Any], bytes]
    loads: Callable[[bytes, int], Any]
    cell_source: Callable[[str, str, str], str]


def course_suite() -> Suite:
    """The course's own checks (:mod:`cnn_course.checks`)."""
    from ..checks import probe, registry, serialize

    return Suite(registry.SPECS, serialize.dumps,
                 lambda data, max_bytes: serialize.loads(data, max_bytes=max_bytes),
                 probe.cell_source)


@dataclass
class PristineCheck:
    cell_id: str
    check_id: str
    points: float


@dataclass
class Reference:
    """A pristine exercise notebook and what is graded in it."""

    name: str
    notebook: Any
    checks: list[PristineCheck]
    datasets: list[str]
    digest: str


def load_references(folder: str | Path) -> dict[str, Reference]:
    """Read every pristine exercise notebook of ``folder`` (check metadata validated)."""
    folder = Path(folder)
    refs: dict[str, Reference] = {}
    for path in sorted(folder.glob("*.ipynb")):
        raw = path.read_bytes()
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        checks, seen = [], set()
        for index, cell in enumerate(nb.cells):
            info = check_metadata(cell, f"{path}, cell {index}")
            if info is None:
                continue
            if info[0] in seen:
                raise ValueError(f"{path}: duplicate check id {info[0]!r}")
            seen.add(info[0])
            checks.append(PristineCheck(cell.get("id") or f"cell-{index}", info[0], float(info[1])))
        datasets = sorted({m for c in nb.cells if c.cell_type == "code"
                           for m in _LOAD_DATASET.findall(c.source)})
        refs[path.name] = Reference(path.name, nb, checks, datasets,
                                    hashlib.sha256(raw).hexdigest())
    return refs


@dataclass
class Options:
    """How a class is graded."""

    cell_timeout: int = 120
    limits: Limits = field(default_factory=Limits)
    wall_s: float | None = None          # per student; default from the cells and cell_timeout
    level: str | None = None             # "bubblewrap" | "processes"; default: isolation()
    data_paths: tuple[str, ...] = ()     # read-only folders of data sets
    missing_datasets: Mapping[str, str] = field(default_factory=dict)  # name -> why
    one_kernel: bool = True              # all of a student's notebooks in one kernel
    threads: int | None = None           # CPU threads of a student's kernel (NumPy, TensorFlow)
    model_cache: str | None = None       # read-only trained-network cache (warm_model_cache)


# ---- reading a submission ---------------------------------------------------------------

def read_submitted(path: Path, folder: Path) -> tuple[Any | None, str]:
    """Read a student's notebook; ``(None, why)`` when it is refused or unreadable.

    Refused: a symlink, anything that is not a regular file, a path that leads out of the
    submission ``folder``, a file over :data:`MAX_NOTEBOOK_BYTES`.
    """
    try:
        st = os.lstat(path)
    except OSError as exc:
        return None, f"cannot read the notebook: {exc.strerror}"
    if stat.S_ISLNK(st.st_mode):
        return None, "the notebook is a symbolic link: submit the file itself"
    if not stat.S_ISREG(st.st_mode):
        return None, "the notebook is not a regular file"
    real, base = os.path.realpath(path), os.path.realpath(folder)
    if os.path.commonpath([real, base]) != base:
        return None, "the notebook lies outside the submission folder"
    if st.st_size > MAX_NOTEBOOK_BYTES:
        return None, f"the notebook is larger than {MAX_NOTEBOOK_BYTES >> 20} MB"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            raw = f.read(MAX_NOTEBOOK_BYTES + 1)
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("no list of cells")
        for cell in nb.cells:
            if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
                raise ValueError("a cell is not a code, markdown or raw cell")
            if not isinstance(cell.get("source", ""), str):
                raise ValueError("a cell's source is not text")
    except Exception as exc:  # malformed JSON or notebook: this notebook scores 0
        return None, f"cannot read the notebook: {type(exc).__name__}: {str(exc)[:200]}"
    return nb, ""


# ---- assembling the graded notebook ------------------------------------------------------

@dataclass
class Assembled:
    notebook: Any
    origin: list[str]                    # per code cell: "check <id>" or "cell N (id X)"
    probe_index: dict[str, int]          # check id -> index among code cells
    answer_sources: list[str]            # the student's code cells
    notes: list[str]


def assemble(student: Any, ref: Reference, probe_sources: Mapping[str, str]) -> Assembled:
    """The student's cells with a probe cell in place of every pristine check cell.

    Student cells that are, or claim to be, check cells are dropped (noted when edited,
    missing, or not one of the course's). Each probe cell goes after the cell it follows in
    the pristine notebook (matched by cell id), or at the end when that cell is gone.
    """
    pristine_ids = {c.cell_id: c for c in ref.checks}
    pristine_src = {c.get("id"): c.source for c in ref.notebook.cells if is_check_cell(c)}
    kept, notes, seen = [], [], set()
    for number, cell in enumerate(student.cells, start=1):
        cid = cell.get("id")
        if cid in pristine_ids:
            seen.add(cid)
            if cell.get("source") != pristine_src.get(cid):
                notes.append(f"check cell {cid} was edited; the course's check was used instead")
            continue
        if is_check_cell(cell):
            meta = cell.get("metadata", {}).get("cnn_course", {})
            notes.append(f"cell {number} claims to be check {str(meta.get('check'))[:40]!r} "
                         "that is not in the course's exercise: ignored, and its code not run")
            continue
        if cell.get("cell_type") not in ("code", "markdown"):
            continue
        clean = nbformat.v4.new_code_cell(cell.source) if cell.cell_type == "code" else \
            nbformat.v4.new_markdown_cell(cell.source)
        clean["id"] = cid if isinstance(cid, str) and re.fullmatch(r"[\w-]{1,64}", cid) else \
            f"student-{number}"
        clean["metadata"] = {"cnn_course_origin": number}
        kept.append(clean)
    for check in ref.checks:
        if check.cell_id not in seen:
            notes.append(f"check cell {check.cell_id} was missing; the course's check was used")

    anchors: list[tuple[str | None, PristineCheck]] = []
    last_plain: str | None = None
    by_cell = {c.cell_id: c for c in ref.checks}
    for cell in ref.notebook.cells:
        if cell.get("id") in by_cell:
            anchors.append((last_plain, by_cell[cell.get("id")]))
        else:
            last_plain = cell.get("id")
    cells = list(kept)
    for anchor, check in anchors:
        probe = nbformat.v4.new_code_cell(probe_sources[check.check_id])
        probe["id"] = f"probe-{check.check_id}"[:64]
        probe["metadata"] = {"cnn_course_probe": check.check_id}
        positions = [i for i, c in enumerate(cells) if c.get("id") == anchor]
        if positions:
            at = positions[0] + 1
            while at < len(cells) and "cnn_course_probe" in cells[at].metadata:
                at += 1
            cells.insert(at, probe)
        else:
            cells.append(probe)

    graded = nbformat.v4.new_notebook()
    graded.metadata = {"kernelspec": {"name": KERNEL_NAME, "display_name": "cnn-course grader",
                                      "language": "python"},
                       "language_info": {"name": "python"}}
    graded.cells = cells
    origin, probe_index, answers = [], {}, []
    for cell in cells:
        if cell.cell_type != "code":
            continue
        if "cnn_course_probe" in cell.metadata:
            probe_index[cell.metadata["cnn_course_probe"]] = len(origin)
            origin.append(f"the check cell of {cell.metadata['cnn_course_probe']}")
        else:
            origin.append(f"cell {cell.metadata['cnn_course_origin']}")
            answers.append(cell.source)
    return Assembled(graded, origin, probe_index, answers, notes)


# ---- reading what came back --------------------------------------------------------------

def read_regular(path: Path, inside: Path, max_bytes: int) -> bytes:
    """Bytes of ``path``, a regular file (no symlink anywhere) inside ``inside``, capped."""
    real = os.path.realpath(path)
    if real != os.path.abspath(path) or os.path.commonpath([real, str(inside)]) != str(inside):
        raise ValueError("not a plain file of the scratch folder (a link?)")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise ValueError("not a regular file")
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"larger than {max_bytes} bytes")
    return data


def _message(text: str) -> str:
    text = _ANSI.sub("", text or "")
    if re.search(r"kernel died|DeadKernel|Failed to interrupt kernel", text, re.I):
        return "kernel died"  # nbval reports a dead kernel as a cell that cannot be interrupted
    if re.search(r"Timeout of [\d.]+ seconds exceeded", text):
        return "timeout"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in reversed(lines):
        if _EXC_LINE.match(line) and not line.startswith("Traceback"):
            return line[:300]
    return (lines[-1][:300] if lines else "failed")


def cell_outcomes(junit: Path, scratch: Path) -> dict[str, dict[int, str | None]]:
    """``{notebook file name: {code cell index: None (ran) or why it failed}}`` from nbval's
    JUnit file. Untrusted: used only to explain a check that did not run."""
    out: dict[str, dict[int, str | None]] = {}
    try:
        root = ET.fromstring(read_regular(junit, scratch, MAX_JUNIT_BYTES))
    except Exception:
        return out
    for case in root.iter("testcase"):
        match = re.search(r"Cell (\d+)", case.get("name", ""))
        nb = re.search(r"([\w.-]+\.ipynb)", (case.get("classname", "") + " " + case.get("file", "")))
        if not match or not nb:
            continue
        bad = case.find("failure")
        bad = bad if bad is not None else case.find("error")
        if case.find("skipped") is not None:
            outcome: str | None = "skipped"
        elif bad is not None:
            outcome = _message((bad.get("message") or "") + "\n" + (bad.text or ""))
        else:
            outcome = None
        out.setdefault(nb.group(1), {})[int(match.group(1))] = outcome
    return out


@dataclass
class View:
    """Where one notebook's cells sit in the notebook nbval ran, and what nbval said of them."""

    outcomes: dict[int, str | None]   # code cell index in the run notebook -> None | why
    origin: list[str]                 # code cell index -> "03_x.ipynb cell 4" etc.
    offset: int                       # index of this notebook's first code cell
    timed_out: bool = False


def why_not_run(view: View, assembled: Assembled, check_id: str) -> str:
    """The reason a check's results are missing, in the teacher's terms."""
    index = view.offset + assembled.probe_index[check_id]
    outcomes, origin = view.outcomes, view.origin
    if outcomes:
        own = outcomes.get(index)
        if own == "timeout":
            return "check did not run: timeout in the check cell"
        for i in range(index, -1, -1):
            if outcomes.get(i) == "kernel died":
                return f"check did not run: the kernel died (or stopped answering) in {origin[i]}"
        for i in range(index - 1, -1, -1):
            if outcomes.get(i) == "timeout":
                return f"check did not run: timeout in {origin[i]}"
        if own not in (None, "skipped"):
            return f"check did not run: {own}"
    if view.timed_out:
        last = max((i for i in outcomes), default=None)
        where = f" after {origin[last]}" if last is not None else ""
        return f"check did not run: the notebooks ran past the time limit{where}"
    return "check did not run: the kernel died or the check cell was never reached"


@dataclass
class Plan:
    ref: Reference
    result: NotebookResult
    assembled: Assembled
    cases: dict[str, Any]
    seed: int = 0


MERGED = "all-notebooks.ipynb"


def merge(plans: Sequence[Plan]) -> tuple[Any, list[str], list[int]]:
    """One notebook of all a student's graded notebooks, run in ONE kernel (TensorFlow is
    imported once): between two notebooks a cell runs ``%reset -f`` (the student's names are
    forgotten, as in a fresh kernel). Returns the notebook, the origin of each code cell and
    the offset of each notebook's first code cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = copy.deepcopy(plans[0].assembled.notebook.metadata)
    origin: list[str] = []
    offsets: list[int] = []
    for i, plan in enumerate(plans):
        if i:
            sep = nbformat.v4.new_code_cell("%reset -f")  # it also runs gc.collect()
            sep["id"] = f"reset-{i}"
            nb.cells.append(sep)
            origin.append(f"the reset before {plan.ref.name}")
        offsets.append(len(origin))
        for cell in plan.assembled.notebook.cells:
            cell = copy.deepcopy(cell)
            cell["id"] = f"n{i}-{cell['id']}"[:64]
            nb.cells.append(cell)
        origin += [f"{plan.ref.name} {o}" for o in plan.assembled.origin]
    return nb, origin, offsets


# ---- one student ---------------------------------------------------------------------------

def _seed_for(seed: int, notebook: str, check_id: str) -> int:
    return random.Random(f"{seed}:{notebook}:{check_id}").randrange(2 ** 31)


def grade_student(student: str, folder: Path, files: Mapping[str, Path | None],
                  refs: Mapping[str, Reference], suite: Suite, options: Options,
                  workdir: Path, seed: int | None = None) -> StudentResult:
    """Grade one student's notebooks; never raises for anything the student did.

    Parameters
    ----------
    student : str
        The student's name (report file names).
    folder : Path
        The submission folder: notebooks must be regular files inside it.
    files : mapping
        Pristine notebook name -> the student's file, or ``None`` when not submitted.
    refs, suite, options
        Pristine exercises, the checks, and the grading options.
    workdir : Path
        A folder of the grader's; the student's scratch folder is made inside it and removed.
    seed : int, optional
        Seed of the check inputs (fresh from ``secrets`` by default), recorded in the report.
    """
    start = time.monotonic()
    seed = secrets.randbits(31) if seed is None else seed
    level = options.level or isolation()
    result = StudentResult(student, str(folder), seed=seed, isolation=level)
    if level != "bubblewrap":
        result.notes.append(isolation_note(level))
    root = Path(workdir).resolve() / f"student-{secrets.token_hex(6)}"
    scratch = root / "scratch"
    (scratch / "work").mkdir(parents=True)
    (scratch / "cases").mkdir()
    (scratch / "results").mkdir()
    plans: list[Plan] = []
    try:
        for name, ref in refs.items():
            if name not in files:
                continue
            nbres = NotebookResult(name, str(files[name]) if files[name] else None)
            result.notebooks.append(nbres)
            missing_data = [d for d in ref.datasets if d in options.missing_datasets]
            if missing_data:
                nbres.notes.append("data set(s) " + ", ".join(missing_data) + " missing on the "
                                   "grading machine: cells that load them fail (not charged)")
            path = files[name]
            if path is None:
                nbres.problem = "notebook not submitted"
                nbres.checks = [CheckResult(c.check_id, 0.0, c.points, "failed",
                                            "notebook not submitted") for c in ref.checks]
                continue
            nb, why = read_submitted(path, folder)
            if nb is None:
                nbres.problem = why
                nbres.checks = [CheckResult(c.check_id, 0.0, c.points, "failed", why)
                                for c in ref.checks]
                continue
            stem = Path(name).stem
            cases: dict[str, Any] = {}
            probes: dict[str, str] = {}
            for c in ref.checks:
                spec = suite.specs.get(c.check_id)
                if spec is None:
                    continue
                with _JUDGE_LOCK:  # the checks' code runs one thread at a time
                    cases[c.check_id] = spec.cases(_seed_for(seed, name, c.check_id))
                case_path = scratch / "cases" / stem / f"{c.check_id}.npz"
                case_path.parent.mkdir(parents=True, exist_ok=True)
                case_path.write_bytes(suite.dumps(cases[c.check_id]))
                result_path = scratch / "results" / stem / f"{c.check_id}.npz"
                result_path.parent.mkdir(parents=True, exist_ok=True)
                probes[c.check_id] = suite.cell_source(c.check_id, str(case_path), str(result_path))
            probes.update({c.check_id: "raise RuntimeError('this check is not in the course')"
                           for c in ref.checks if c.check_id not in probes})
            assembled = assemble(nb, ref, probes)
            nbres.notes += assembled.notes
            nbres.notes += scan.reaching_notes(assembled.answer_sources)
            nbformat.write(assembled.notebook, scratch / "work" / name)
            plans.append(Plan(ref, nbres, assembled, cases, seed))

        views = _execute(scratch, plans, options, level, result) if plans else {}
        for plan in plans:
            view = views[plan.ref.name]
            for i, why in sorted(view.outcomes.items()):
                if why in ("timeout", "kernel died") and i >= view.offset and \
                        i < view.offset + len(plan.assembled.origin):
                    plan.result.notes.append(f"{why} in {view.origin[i]}")
            for c in plan.ref.checks:
                plan.result.checks.append(_judge_one(c, plan, suite, options, scratch, view))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result.seconds = round(time.monotonic() - start, 2)
    return result


def sandbox_wall(options: Options, plans: Sequence[Plan]) -> float:
    """Seconds one student's notebooks may run: ``options.wall_s``, else from the cell count."""
    if options.wall_s:
        return float(options.wall_s)
    cells = sum(len(p.assembled.origin) for p in plans)
    return float(min(options.cell_timeout * max(cells, 1),
                     60 * len(plans) + 4 * options.cell_timeout) + 60)


def _execute(scratch: Path, plans: list[Plan], options: Options, level: str,
             result: StudentResult) -> dict[str, View]:
    """Run the student's graded notebooks in the sandbox; a :class:`View` per notebook.

    With ``options.one_kernel`` all notebooks run in one kernel (:func:`merge`). When that
    kernel dies or the time runs out, the notebooks after the failure run again, one kernel
    each, so a crash in one notebook does not cost the marks of the next ones.
    """
    views: dict[str, View] = {}
    todo = list(plans)
    if options.one_kernel and len(plans) > 1:
        merged, origin, offsets = merge(plans)
        nbformat.write(merged, scratch / "work" / MERGED)
        run = _run(scratch, [scratch / "work" / MERGED], sandbox_wall(options, plans), options,
                   level, result)
        outcomes = cell_outcomes(scratch / "junit.xml", scratch).get(MERGED, {})
        broken = [i for i, why in outcomes.items() if why == "kernel died"]
        stop = min(broken) if broken else (max(outcomes, default=-1) if run.timed_out else None)
        todo = []
        for plan, offset in zip(plans, offsets):
            views[plan.ref.name] = View(outcomes, origin, offset, run.timed_out)
            if stop is not None and offset > stop:  # the broken notebook keeps its outcomes
                todo.append(plan)
        if todo:
            result.notes.append(f"the kernel stopped in {origin[stop] if stop >= 0 else 'its start'}"
                                f"; {len(todo)} notebook(s) from there were run again, one "
                                "kernel each")
            (scratch / "junit.xml").unlink(missing_ok=True)
    if todo:
        names = [p.ref.name for p in todo]
        run = _run(scratch, [scratch / "work" / n for n in names], sandbox_wall(options, todo),
                   options, level, result)
        outcomes_by_nb = cell_outcomes(scratch / "junit.xml", scratch)
        for plan in todo:
            views[plan.ref.name] = View(outcomes_by_nb.get(plan.ref.name, {}),
                                        plan.assembled.origin, 0, run.timed_out)
        if run.timed_out:
            result.notes.append(f"the notebooks ran past the time limit of "
                                f"{sandbox_wall(options, todo):.0f} s and were stopped")
    return views


#: How the sandbox starts pytest: ``python -c PYTEST_MAIN <args>``. nbval imports nbformat,
#: whose jsonschema imports ``rfc3987_syntax`` when installed; that module compiles a Lark
#: grammar at import (about 3.5 CPU seconds, per student) for URI formats notebooks never
#: use. Marking it absent makes jsonschema skip those two format checkers, nothing else.
PYTEST_MAIN = ("import sys; sys.modules['rfc3987_syntax'] = None; import pytest; "
               "sys.exit(pytest.main(sys.argv[1:]))")


def _run(scratch: Path, notebooks: list[Path], wall: float, options: Options, level: str,
         result: StudentResult | None = None, extra_env: Mapping[str, str] | None = None):
    write_kernelspec(scratch, KERNEL_NAME)
    env = scratch_env(scratch)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only nbval: no plugin a student could plant
    if options.model_cache:  # the networks the pristine exercises trained: loaded, not retrained
        env["CNN_COURSE_CACHE"] = options.model_cache
    if options.threads:  # --jobs N on C cores: C // N threads each, no oversubscription
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "TF_NUM_INTRAOP_THREADS"):
            env[name] = str(options.threads)
        env["TF_NUM_INTEROP_THREADS"] = "1" if options.threads < 4 else "2"
    env.update(extra_env or {})
    cmd = [python(), "-c", PYTEST_MAIN, "-p", "nbval.plugin", "-p", "no:cacheprovider",
           "--noconftest", "-q", "-o", "addopts=", "-p", "no:warnings",
           "--nbval-lax", f"--nbval-cell-timeout={options.cell_timeout}",
           f"--nbval-kernel-name={KERNEL_NAME}", f"--junitxml={scratch / 'junit.xml'}",
           "--rootdir", str(scratch / "work")] + [str(p) for p in notebooks]
    lim = options.limits
    limits = Limits(wall_s=wall, cpu_s=lim.cpu_s, memory_bytes=lim.memory_bytes,
                    processes=lim.processes, file_bytes=lim.file_bytes)
    read_only = options.data_paths + ((options.model_cache,) if options.model_cache else ())
    run = run_sandboxed(cmd, scratch, limits, read_only=read_only, level=level, env=env)
    if result is not None and run.cpu_s is not None:
        result.cpu_seconds = round(result.cpu_seconds + run.cpu_s, 2)
    return run


def _judge_one(c: PristineCheck, plan: Plan, suite: Suite, options: Options, scratch: Path,
               view: View) -> CheckResult:
    """Score one check from its results file, judged here (never in the student's process)."""
    ref, assembled, cases = plan.ref, plan.assembled, plan.cases
    spec = suite.specs.get(c.check_id)
    if spec is None:
        return CheckResult(c.check_id, 0.0, c.points, "not graded",
                           f"the grader has no check {c.check_id!r} (course version mismatch?)")
    missing = [d for d in getattr(spec, "datasets", ()) if d in options.missing_datasets]
    if missing:
        return CheckResult(c.check_id, 0.0, c.points, "not graded",
                           "not graded: data set " + ", ".join(missing) + " is missing on the "
                           "grading machine (" + "; ".join(options.missing_datasets[d]
                                                           for d in missing) + ")")
    used = scan.uses_any(assembled.answer_sources, getattr(spec, "forbidden", ()))
    if used:
        return CheckResult(c.check_id, 0.0, c.points, "failed",
                           f"uses the library's {', '.join(used)}: this exercise asks for your "
                           "own code")
    path = scratch / "results" / Path(ref.name).stem / f"{c.check_id}.npz"
    try:
        results = suite.loads(read_regular(path, scratch, MAX_RESULTS_BYTES), MAX_RESULTS_BYTES)
    except FileNotFoundError:
        return CheckResult(c.check_id, 0.0, c.points, "not run",
                           why_not_run(view, assembled, c.check_id))
    except Exception as exc:
        return CheckResult(c.check_id, 0.0, c.points, "failed",
                           f"the check's results are unreadable ({type(exc).__name__}: "
                           f"{str(exc)[:200]})")
    try:
        with _JUDGE_LOCK:
            verdict = spec.judge(cases[c.check_id], results)
        passed, message = bool(verdict.passed is True), str(verdict.message)[:2000]
    except Exception as exc:
        # A judge that raises is the grader's fault, never the student's (it happened for a
        # few seeds, on correct answers): not graded, the run incomplete, the teacher told.
        return CheckResult(c.check_id, 0.0, c.points, "not graded",
                           f"{JUDGE_RAISED} {type(exc).__name__}: {str(exc)[:200]} (seed "
                           f"{plan.seed}); please report it to the course")
    return CheckResult(c.check_id, c.points if passed else 0.0, c.points,
                       "passed" if passed else "failed", "" if passed else message)


#: Calls in an exercise that train a network (cached by :mod:`cnn_course.model_cache`).
_TRAINS = re.compile(r"\b(trained_model|cached_training)\(")


def warm_model_cache(refs: Mapping[str, Reference], options: Options, folder: Path,
                     level: str | None = None) -> Path | None:
    """Train, once, the networks the pristine exercises train; ``folder/cache`` or ``None``.

    The pristine exercise notebooks (the course's own code, not a student's) that call
    ``trained_model`` / ``cached_training`` run in a sandbox whose scratch folder holds the
    model cache; their cells that call a stub fail, as they do for a student, after the
    training. The grader then shows that cache READ-ONLY to every student's sandbox
    (``CNN_COURSE_CACHE``), so each student loads the network instead of training it
    (about a minute of CPU per student on 2 cores): nothing a student writes reaches a
    classmate. ``None`` when no exercise trains a network.
    """
    names = [n for n, ref in refs.items() if any(
        c.cell_type == "code" and _TRAINS.search(c.source) for c in ref.notebook.cells)]
    if not names:
        return None
    scratch = Path(folder).resolve() / "warm-up"
    (scratch / "work").mkdir(parents=True)
    cache = scratch / "cache"
    cache.mkdir()
    for name in names:
        nb = copy.deepcopy(refs[name].notebook)
        nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "cnn-course grader",
                                     "language": "python"}
        nbformat.write(nb, scratch / "work" / name)
    warm = Options(**{**options.__dict__, "model_cache": None})
    write_kernelspec(scratch, KERNEL_NAME)
    _run(scratch, [scratch / "work" / n for n in names], 120.0 + 300.0 * len(names),
         warm, level or options.level or isolation(), extra_env={"CNN_COURSE_CACHE": str(cache)})
    return cache if any(cache.iterdir()) else None


def submission_hash(files: Mapping[str, Path | None], refs: Mapping[str, Reference],
                    options: Options, extra: str = "") -> str:
    """A digest of everything a grade depends on: submitted bytes, pristine exercises, options,
    the grader's and the checks' code."""
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0")
        path = files[name]
        try:
            h.update(path.read_bytes() if path is not None and not path.is_symlink() else b"-")
        except OSError:
            h.update(b"?")
        h.update(refs[name].digest.encode() if name in refs else b"")
    h.update(f"{options.cell_timeout}|{os.environ.get('CNN_COURSE_MODE', 'quick')}|{extra}".encode())
    here = Path(__file__).resolve().parent
    for src in sorted(list(here.glob("*.py")) + list((here.parent / "checks").glob("*.py"))):
        h.update(src.read_bytes())
    return h.hexdigest()
