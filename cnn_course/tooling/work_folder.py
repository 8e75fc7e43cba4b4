"""The student's work folder: their own copies of the lessons, safe from course updates.

``bash course.sh lab`` (``cnn-course lab``) opens JupyterLab in ``my-work/`` (git-ignored),
never in the course's tracked ``notebooks/`` and ``exercises/``. So running and saving a
lesson changes no file git tracks, and ``git pull`` of a course update can neither
conflict with a student's work nor overwrite it.

:func:`sync_work_folder` runs on every start and fills the folder from the course:

- a course file the work folder lacks is copied in (first start; a new lesson after a
  ``git pull``; a copy the student deleted to start that lesson afresh);
- a copy the student never changed follows the course: when the course's version changed,
  the copy is replaced by the new version;
- a copy the student changed is never touched; when the course's version changed too, the
  report says so, and ``cnn-course work --reset PATH`` takes the new version after moving the
  student's copy aside (``NAME.mine-YYYYmmdd-HHMMSS.ipynb``).

A copied notebook gets the ``language_info`` of this environment's kernel (the only
difference to the course's file), so that JupyterLab has nothing to rewrite when it opens
and an untouched lesson is never marked as modified.

What "changed" means is recorded in ``my-work/.cnn-course-copies.json``: for each copied
file, the SHA-256 of the course version it was copied from and of the copy as written.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

WORK_DIR_NAME = "my-work"
MANIFEST = ".cnn-course-copies.json"
# what a student opens: the lessons with the course map, and the graded exercises
COURSE_FILES = ("notebooks/*.ipynb", "notebooks/*.md", "exercises/*.ipynb")
COURSE_MAP = "notebooks/index.md"


@dataclass
class SyncReport:
    """What :func:`sync_work_folder` did, as paths relative to the work folder."""

    copied: list[str] = field(default_factory=list)      # new in the work folder
    updated: list[str] = field(default_factory=list)     # untouched copies, course changed
    kept: list[str] = field(default_factory=list)        # student changed it; course changed too
    unchanged: int = 0                                   # nothing to do

    def lines(self, work: Path) -> list[str]:
        """The report a student reads when the lab starts (empty when nothing happened)."""
        out = []
        if self.copied:
            out.append(f"copied {len(self.copied)} course file(s) into {work}/: "
                       + _short(self.copied))
        if self.updated:
            out.append(f"updated {len(self.updated)} file(s) you had not changed to the "
                       f"course's new version: " + _short(self.updated))
        for rel in self.kept:
            out.append(f"the course changed {rel}; your copy is kept as it is. To take the new "
                       f"version (yours is moved aside, not deleted): "
                       f"cnn-course work --reset {rel}")
        return out


def _short(names: list[str], limit: int = 6) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit
                                       else "")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def course_root() -> Path:
    """The course checkout this package belongs to (the folder holding ``notebooks/``).

    Raises
    ------
    ValueError
        When the package is not inside a course checkout (a wheel install has no lessons).
    """
    root = Path(__file__).resolve().parents[2]
    if not (root / COURSE_MAP).is_file():
        raise ValueError(f"no course checkout around the installed package (looked for "
                         f"{root / COURSE_MAP}); pass the course folder explicitly")
    return root


def course_files(course: Path) -> list[str]:
    """The files a work folder holds copies of, relative to ``course``, sorted."""
    return sorted({p.relative_to(course).as_posix()
                   for pattern in COURSE_FILES for p in course.glob(pattern) if p.is_file()})


def copy_bytes(source: Path, language_info: dict | None = None) -> bytes:
    """What the work folder's copy of the course file ``source`` holds: the file itself, a
    notebook with ``language_info`` (default: this kernel's) in its metadata."""
    data = source.read_bytes()
    if source.suffix != ".ipynb":
        return data
    nb = json.loads(data)
    if language_info is None:
        from .clean_notebooks import kernel_language_info

        language_info = kernel_language_info()
    nb.setdefault("metadata", {})["language_info"] = language_info
    return (json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _read_manifest(work: Path) -> dict[str, dict[str, str]]:
    path = work / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}                         # a broken record: every copy counts as the student's
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, dict)}


def _write_manifest(work: Path, manifest: dict[str, dict[str, str]]) -> None:
    (work / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n",
                                 encoding="utf-8")


def _check_folders(course: Path, work: Path) -> tuple[Path, Path]:
    course, work = Path(course).resolve(), Path(work).resolve()
    if not (course / COURSE_MAP).is_file():
        raise ValueError(f"course must be the course folder (holding {COURSE_MAP}), "
                         f"got {str(course)!r}")
    if work == course or course.is_relative_to(work):
        raise ValueError(f"work must be a folder apart from the course's own files, "
                         f"got {str(work)!r}")
    for folder in ("notebooks", "exercises", "solutions"):
        if work.is_relative_to(course / folder):
            raise ValueError(f"work must not be inside the course's tracked {folder}/, "
                             f"got {str(work)!r}")
    return course, work


def sync_work_folder(course: str | Path, work: str | Path) -> SyncReport:
    """Bring the work folder ``work`` up to date with the course at ``course`` without ever
    overwriting a file the student changed (see the module docstring for the rules).

    Parameters
    ----------
    course : path
        The course checkout (holds ``notebooks/index.md``).
    work : path
        The student's folder (created when missing); not inside ``course``'s tracked folders.

    Returns
    -------
    SyncReport
        The relative paths copied, updated, and kept although the course changed them.
    """
    course, work = _check_folders(course, work)
    work.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(work)
    report = SyncReport()
    language_info = None
    for rel in course_files(course):
        source, target = course / rel, work / rel
        course_sha = _sha256(source)
        record = manifest.get(rel)
        if target.exists():
            mine = _sha256(target)
            if record is None:                 # not copied by us: the student's own file;
                manifest[rel] = {"course": course_sha, "copy": ""}   # report later changes
                report.unchanged += 1
                continue
            if mine != record.get("copy"):     # the student changed (or saved) it
                if record.get("course") != course_sha:
                    report.kept.append(rel)    # the course changed it too: theirs wins
                else:
                    report.unchanged += 1
                continue
            if record.get("course") == course_sha:
                report.unchanged += 1
                continue
        if rel.endswith(".ipynb") and language_info is None:
            from .clean_notebooks import kernel_language_info

            language_info = kernel_language_info()
        data = copy_bytes(source, language_info)
        existed = target.exists()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        manifest[rel] = {"course": course_sha, "copy": hashlib.sha256(data).hexdigest()}
        (report.updated if existed else report.copied).append(rel)
    _write_manifest(work, manifest)
    return report


def reset_file(course: str | Path, work: str | Path, rel: str) -> Path | None:
    """Replace the work folder's copy of ``rel`` by the course's version.

    The student's copy is moved aside to ``NAME.mine-YYYYmmdd-HHMMSS.SUFFIX`` (returned), never
    deleted; ``None`` when there was no copy.
    """
    course, work = _check_folders(course, work)
    rel = Path(rel).as_posix().removeprefix(f"{WORK_DIR_NAME}/")
    if rel not in course_files(course):
        raise ValueError(f"path must be one of the course's files (e.g. {COURSE_MAP} or "
                         f"notebooks/02_convolution_by_hand.ipynb), got {rel!r}")
    source, target = course / rel, work / rel
    kept = None
    if target.exists():
        stamp = time.strftime("%Y%m%d-%H%M%S")
        kept = target.with_name(f"{target.stem}.mine-{stamp}{target.suffix}")
        target.rename(kept)
    data = copy_bytes(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    manifest = _read_manifest(work)
    manifest[rel] = {"course": _sha256(source), "copy": hashlib.sha256(data).hexdigest()}
    _write_manifest(work, manifest)
    return kept


def work_main(course: str | Path | None = None, work: str | Path | None = None,
              reset: list[str] | None = None) -> int:
    """``cnn-course work``: bring the work folder up to date (or ``--reset`` files) and say
    what changed. Returns the exit status (0, or 2 for a bad argument)."""
    try:
        course = Path(course) if course is not None else course_root()
        work = Path(work) if work is not None else course / WORK_DIR_NAME
        if reset:
            for rel in reset:
                kept = reset_file(course, work, rel)
                print(f"{work / rel}: the course's version"
                      + (f"; yours is now {kept.name}" if kept else ""))
            return 0
        report = sync_work_folder(course, work)
    except ValueError as exc:
        print(f"cnn-course work: {exc}")
        return 2
    for line in report.lines(work):
        print(line)
    print(f"your work folder: {work} (git ignores it: a course update never touches your work)")
    return 0
