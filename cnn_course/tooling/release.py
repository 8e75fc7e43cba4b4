"""``cnn-course release OUT``: the student edition of the course (what a class repository gets).

It holds the lessons (``notebooks/``), the exercise notebooks (``exercises/``, the stubs), the
data and set-up documents a student needs, and no solution: ``solutions/`` is never copied,
and every written notebook is checked to hold no ``### BEGIN SOLUTION`` region. The grader's
side (the pristine exercises it grades against, and the checks that compute the expected
values) stays with the teacher: it ships inside the installed package, not in this folder.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from .exercises import BEGIN, compare_exercises

COURSE_ROOT = Path(__file__).resolve().parents[2]
#: What a class repository gets, relative to the course checkout.
# .gitignore keeps the student's my-work/ (bash course.sh lab) out of the class repository
STUDENT_FILES = ("README.md", "course.sh", "pyproject.toml", "environment.yml", "LICENSE",
                 ".gitignore")
STUDENT_FOLDERS = ("notebooks", "exercises", "cnn_course")
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")


def release(out_dir: str | Path, course_root: str | Path = COURSE_ROOT,
            force: bool = False) -> list[Path]:
    """Write the student edition of the course checkout ``course_root`` into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        A new (or, with ``force``, an existing) folder; must not be inside ``course_root``.
    course_root : path
        The course checkout (with ``notebooks/``, ``exercises/``, ``solutions/``).
    force : bool
        Replace an existing non-empty ``out_dir``.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ValueError
        When ``out_dir`` exists and is not empty (without ``force``), lies inside the course,
        ``exercises/`` is out of date with ``solutions/``, or a written file holds a solution.
    """
    course_root, out_dir = Path(course_root).resolve(), Path(out_dir).resolve()
    if not (course_root / "exercises").is_dir() or not (course_root / "notebooks").is_dir():
        raise ValueError(f"course_root: {course_root} is not a course checkout (needs "
                         "notebooks/ and exercises/)")
    if out_dir == course_root or course_root in out_dir.parents:
        raise ValueError(f"out_dir: {out_dir} lies inside the course checkout")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not force:
            raise ValueError(f"out_dir: {out_dir} is not empty (use --force to replace it)")
        shutil.rmtree(out_dir)
    if (course_root / "solutions").is_dir():
        stale = {k: v for k, v in compare_exercises(course_root / "solutions",
                                                     course_root / "exercises").items() if v}
        if stale:
            raise ValueError(f"exercises/ is out of date with solutions/ ({stale}): run "
                             "`cnn-course build-exercises` first")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in STUDENT_FILES:
        if (course_root / name).is_file():
            shutil.copy2(course_root / name, out_dir / name)
    for name in STUDENT_FOLDERS:
        ignore = _SKIP
        if name == "cnn_course":  # the library, without the grader's copy of the exercises
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "reference")
        shutil.copytree(course_root / name, out_dir / name, ignore=ignore)
    workflow = Path(__file__).resolve().parents[2] / "docs" / "class-ci" / "grade.yml"
    if workflow.is_file():
        (out_dir / ".github" / "workflows").mkdir(parents=True)
        shutil.copy2(workflow, out_dir / ".github" / "workflows" / "grade.yml")
    written = sorted(p for p in out_dir.rglob("*") if p.is_file())
    for path in written:
        if path.suffix == ".ipynb" and BEGIN in path.read_text(encoding="utf-8"):
            shutil.rmtree(out_dir)
            raise ValueError(f"{path.relative_to(out_dir)} holds a solution region; nothing "
                             "was released")
    return written


def release_main(out: str | Path, force: bool = False) -> int:
    """``cnn-course release OUT``; returns the exit status."""
    try:
        written = release(out, force=force)
    except ValueError as exc:
        print(f"cnn-course release: {exc}")
        return 2
    print(f"wrote the student edition to {out} ({len(written)} files: notebooks/, exercises/, "
          "the library; no solutions)")
    return 0
