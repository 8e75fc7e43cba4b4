"""``cnn-course grade``: grade a class (or one student) against the course's own checks.

``cnn-course grade submissions/`` where each sub-folder holds one student's exercise notebooks
writes ``grades/gradebook.csv`` and ``grades/students/<student>.json|.xml``. A folder that
holds notebooks itself is one student (``cnn-course grade my-exercises/`` works as before);
notebook files may be named too. How one student is graded: :mod:`cnn_course.tooling.runner`;
the sandbox: :mod:`cnn_course.tooling.sandbox`; the reports: :mod:`cnn_course.tooling.gradebook`.

Exit status: 0 every check passed, 1 a check failed (``--exit-zero``: 0), 2 bad arguments,
3 the run was incomplete (a data set missing on this machine: checks "not graded").
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
import importlib.util
from pathlib import Path
from typing import Iterable, Sequence

from .gradebook import (StudentResult, format_table, load_previous, write_reports,
                        write_student_reports)
from .runner import JUDGE_RAISED, Options, Reference, Suite, course_suite, grade_student, \
    load_references, submission_hash, warm_model_cache
from .sandbox import Limits, isolation

CHECKOUT_EXERCISES = Path(__file__).resolve().parents[2] / "exercises"
_NAME = re.compile(r"[A-Za-z0-9][\w.@+-]{0,99}")
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


def default_reference() -> Path:
    """The pristine exercises: shipped in the package (``cnn_course/tooling/reference``, a copy
    of ``exercises/`` made at build time), else the checkout's ``exercises/``."""
    try:  # a folder of data without __init__.py: a namespace package
        spec = importlib.util.find_spec("cnn_course.tooling.reference")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        if any(Path(location).glob("*.ipynb")):
            return Path(location)
    if any(CHECKOUT_EXERCISES.glob("*.ipynb")):
        return CHECKOUT_EXERCISES
    raise FileNotFoundError("reference: the pristine exercises are neither installed with the "
                            "package nor in a course checkout; pass --reference FOLDER")


@dataclass
class Submission:
    """One student's notebooks: pristine name -> file (``None``: not submitted)."""

    student: str
    folder: Path
    files: dict[str, Path | None]
    notes: list[str] = field(default_factory=list)


def _notebooks_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == ".ipynb" and not p.name.startswith("."))


def collect_submissions(paths: Iterable[str | Path], reference_names: Sequence[str]
                        ) -> list[Submission]:
    """Turn the command line's paths into students.

    - a folder holding notebooks: one student (its name), graded on every pristine exercise
      (missing ones: not submitted);
    - a folder holding folders: a class, one student per sub-folder;
    - notebook files: grouped by folder into students, graded only on the named notebooks.

    The same folder or file named twice counts once. Symlinked student folders are refused
    (noted). Raises ``ValueError`` for a path that is none of these.
    """
    by_folder: dict[Path, Submission] = {}
    order: list[Path] = []

    def student(folder: Path, named_only: bool) -> Submission:
        real = folder.resolve()
        if real not in by_folder:
            by_folder[real] = Submission(folder.name or real.name, folder,
                                         {} if named_only else {n: None for n in reference_names})
            order.append(real)
        elif not named_only:
            by_folder[real].files.update({n: by_folder[real].files.get(n) for n in reference_names})
        return by_folder[real]

    def add_folder(folder: Path) -> None:
        sub = student(folder, named_only=False)
        for nb in _notebooks_in(folder):
            if nb.name in reference_names:
                sub.files[nb.name] = nb
            else:
                sub.notes.append(f"{nb.name} is not an exercise of the course: not graded")

    for raw in paths:
        path = Path(raw)
        if path.is_symlink():
            raise ValueError(f"paths: {path} is a symbolic link; name the folder itself")
        if path.is_dir():
            notebooks = _notebooks_in(path)
            subdirs = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
            if notebooks or not subdirs:
                add_folder(path)
            else:
                for sub in subdirs:
                    if sub.is_symlink():
                        continue
                    add_folder(sub)
                skipped = [p.name for p in subdirs if p.is_symlink()]
                if skipped:
                    print(f"cnn-course grade: skipped symbolic links {skipped}", file=sys.stderr)
        elif path.suffix == ".ipynb":
            sub = student(path.parent if str(path.parent) else Path("."), named_only=True)
            if path.name not in reference_names:
                sub.notes.append(f"{path.name} is not an exercise of the course: not graded")
            else:
                sub.files[path.name] = path if path.exists() or path.is_symlink() else None
                if sub.files[path.name] is None:
                    sub.notes.append(f"{path} does not exist: not submitted")
        else:
            raise ValueError(f"paths: {path} is not a notebook (.ipynb) or a folder")
    subs = [by_folder[r] for r in order]
    seen: dict[str, int] = {}
    for sub in subs:  # unique, file-name-safe student names
        name = sub.student if _NAME.fullmatch(sub.student) else "student"
        if name != sub.student:
            sub.notes.append(f"folder name {sub.student[:60]!r} renamed to {name!r} in reports")
        seen[name] = seen.get(name, 0) + 1
        sub.student = name if seen[name] == 1 else f"{name}-{seen[name]}"
    return subs


def dataset_status(refs: dict[str, Reference], suite: Suite) -> tuple[dict[str, str], list[str]]:
    """Check the data sets the exercises and checks need: ``(missing name -> why, folders)``.

    ``folders`` are the places the sandbox sees read-only (where the data were found).
    """
    from ..data import DATA_ENV, SYSTEM_ROOT, DatasetNotFoundError, dataset_info

    names = {d for ref in refs.values() for d in ref.datasets}
    names |= {d for spec in suite.specs.values() for d in getattr(spec, "datasets", ())}
    missing: dict[str, str] = {}
    for name in sorted(names):
        try:
            dataset_info(name, download=False)
        except DatasetNotFoundError as exc:
            missing[name] = str(exc).strip().splitlines()[-1][:200] if str(exc).strip() else name
        except Exception as exc:
            missing[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
    folders = [p for p in os.environ.get(DATA_ENV, "").split(os.pathsep) if p]
    folders.append(str(SYSTEM_ROOT))
    keras_home = os.environ.get("KERAS_HOME") or os.path.expanduser("~/.keras")
    folders.append(str(Path(keras_home) / "datasets"))
    return missing, [f for f in folders if Path(f).is_dir()]


def grade_class(paths: Iterable[str | Path], out_dir: str | Path = "grades",
                reference: str | Path | None = None, jobs: int = 1, cell_timeout: int = 120,
                force: bool = False, suite: Suite | None = None, level: str | None = None,
                limits: Limits | None = None, progress: bool = True,
                wall_s: float | None = None) -> list[StudentResult]:
    """Grade every student in ``paths`` and write the reports to ``out_dir``.

    Parameters
    ----------
    paths : iterable of paths
        A class folder, student folders or notebook files (see :func:`collect_submissions`).
    out_dir : path
        Where ``gradebook.csv`` and ``students/`` go; created if missing. Must not lie inside
        a submission folder.
    reference : path, optional
        Folder of pristine exercises (default :func:`default_reference`).
    jobs : int
        Students graded at the same time (>= 1).
    cell_timeout : int
        Seconds per notebook cell (>= 1).
    force : bool
        Grade again students whose files have not changed since the last run.
    suite : Suite, optional
        The checks (default: the course's, :func:`cnn_course.tooling.runner.course_suite`).
    level : {"bubblewrap", "processes"}, optional
        Force an isolation level.

    Returns
    -------
    list of StudentResult
        In the order the students were named.
    """
    from tqdm.auto import tqdm

    for name, value in (("jobs", jobs), ("cell_timeout", cell_timeout)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    ref_dir = Path(reference) if reference else default_reference()
    if not ref_dir.is_dir():
        raise FileNotFoundError(f"reference: no folder of pristine exercises at {ref_dir}")
    refs = load_references(ref_dir)
    if not refs:
        raise FileNotFoundError(f"reference: no exercise notebooks in {ref_dir}")
    subs = collect_submissions(paths, list(refs))
    out_dir = Path(out_dir).resolve()
    for sub in subs:
        folder = sub.folder.resolve()
        if out_dir == folder or folder in out_dir.parents:
            raise ValueError(f"out_dir: {out_dir} lies inside the submission {sub.folder}; "
                             "write the reports elsewhere")
    out_dir.mkdir(parents=True, exist_ok=True)
    suite = suite or course_suite()
    missing, data_paths = dataset_status(refs, suite)
    options = Options(cell_timeout=cell_timeout, limits=limits or Limits(), level=level,
                      data_paths=tuple(data_paths), missing_datasets=missing, wall_s=wall_s,
                      threads=max(1, (os.cpu_count() or 1) // jobs))
    if missing:
        print("cnn-course grade: data sets missing on this machine (checks that need them are "
              "not graded): " + ", ".join(f"{k} ({v})" for k, v in missing.items()),
              file=sys.stderr)
    results: dict[int, StudentResult] = {}
    todo: list[tuple[int, Submission, str]] = []
    for i, sub in enumerate(subs):
        digest = submission_hash(sub.files, refs, options, extra=",".join(sorted(missing)))
        previous = None if force else load_previous(out_dir, sub.student)
        if previous is not None and previous.content_hash == digest and not previous.incomplete:
            previous.reused = True
            results[i] = previous
        else:
            todo.append((i, sub, digest))

    def attempt(sub: Submission) -> StudentResult:
        subrefs = {n: refs[n] for n in refs if n in sub.files}
        with tempfile.TemporaryDirectory(prefix="cnn-course-grade-") as work:
            try:
                return grade_student(sub.student, sub.folder, sub.files, subrefs, suite,
                                     options, Path(work))
            except Exception as exc:  # a grader bug: this student only, said plainly
                res = StudentResult(sub.student, str(sub.folder))
                res.notes.append(f"the grader failed on this student: {type(exc).__name__}: "
                                 f"{exc}")
                return res

    def judge_raised(res: StudentResult) -> list[str]:
        return [c.message for _, c in res.checks if c.message.startswith(JUDGE_RAISED)]

    def one(sub: Submission, digest: str) -> StudentResult:
        res = attempt(sub)
        raised = judge_raised(res)
        if raised:  # the grader's bug, not the student's: once more, with fresh inputs
            res = attempt(sub)
            res.notes.append(f"graded a second time with fresh inputs: a check's judge raised "
                             f"with seed {raised[0].rsplit('(seed ', 1)[-1].split(')')[0]}")
        if not res.notebooks and any(n.startswith("the grader failed") for n in res.notes):
            digest = ""  # never reused by a rerun
        res.notes[:0] = sub.notes
        res.content_hash = digest
        return res

    bar = tqdm(total=len(subs), initial=len(subs) - len(todo), unit="student",
               desc="grading", disable=not progress, file=sys.stderr)
    cache_dir = tempfile.TemporaryDirectory(prefix="cnn-course-models-")
    try:
        # Networks the exercises train: once for the class, read-only after (only where
        # bubblewrap makes the cache read-only; in the fallback a student could rewrite it).
        if len(todo) > 1 and (level or isolation()) == "bubblewrap":
            bar.set_postfix_str("training the exercises' networks once")
            cache = warm_model_cache(refs, options, Path(cache_dir.name))
            if cache is not None:
                options.model_cache = str(cache)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(one, sub, digest): i for i, sub, digest in todo}
            for future in as_completed(futures):
                res = future.result()
                results[futures[future]] = res
                write_student_reports(res, out_dir)  # each student's files as soon as graded
                bar.set_postfix_str(f"{res.student} {res.score:g}/{res.max_score:g}")
                bar.update(1)
    finally:
        bar.close()
        cache_dir.cleanup()
    ordered = [results[i] for i in range(len(subs))]
    columns = [(name, c.check_id, c.points) for name, ref in refs.items() for c in ref.checks]
    write_reports(ordered, out_dir, columns)
    return ordered


def exit_status(results: list[StudentResult], exit_zero: bool = False) -> int:
    """3 when incomplete, else 1 when anything failed (0 with ``exit_zero``), else 0."""
    if any(r.incomplete for r in results):
        return EXIT_INCOMPLETE
    if not exit_zero and any(r.failed or not r.notebooks for r in results):
        return EXIT_FAILED
    return EXIT_OK


def grade_main(args: argparse.Namespace) -> int:
    """Entry point of ``cnn-course grade`` (arguments parsed in :mod:`cnn_course.tooling.cli`)."""
    start = time.monotonic()
    try:
        results = grade_class(args.paths, args.out, args.reference, jobs=args.jobs,
                              cell_timeout=args.timeout, force=args.force,
                              progress=not args.no_progress)
    except (FileNotFoundError, ValueError) as exc:  # bad arguments: nothing graded
        print(f"cnn-course grade: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(format_table(results))
    graded = [r for r in results if not r.reused]
    seconds = time.monotonic() - start
    levels = sorted({r.isolation for r in graded if r.isolation})
    print(f"reports: {Path(args.out) / 'gradebook.csv'}, {Path(args.out) / 'students'}/  "
          f"({len(graded)} graded, {len(results) - len(graded)} unchanged, {seconds:.0f} s"
          + (f"; isolation: {', '.join(levels)}" if levels else "") + ")")
    status = exit_status(results, args.exit_zero)
    if status == EXIT_INCOMPLETE:
        print("INCOMPLETE: some checks were not graded (see the N/G lines)", file=sys.stderr)
    return status
