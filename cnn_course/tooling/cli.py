"""The ``cnn-course`` command line.

Subcommands::

    cnn-course data              which datasets are found, where, with record counts
    cnn-course build-exercises   write exercises/ from solutions/ (``--check`` only compares)
    cnn-course grade PATH...     grade a class folder, student folders or notebooks (sandboxed)
    cnn-course release OUT       write the student edition (lessons and exercises, no solutions)
    cnn-course doctor            check the installation and say how to fix each problem
    cnn-course cache             list the trained networks the lessons cached (``--clear`` removes)

Each subcommand lives in the module that owns the work; this file only parses arguments.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence


def _cmd_data(args: argparse.Namespace) -> int:
    from ..data import print_data_report

    return print_data_report()


def _cmd_build_exercises(args: argparse.Namespace) -> int:
    from .exercises import build_exercises_main

    return build_exercises_main(args.solutions, args.exercises, check=args.check)


def _cmd_grade(args: argparse.Namespace) -> int:
    from .grading import grade_main

    return grade_main(args)


def _cmd_release(args: argparse.Namespace) -> int:
    from .release import release_main

    return release_main(args.out, force=args.force)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import run_doctor

    return run_doctor()


def _cmd_cache(args: argparse.Namespace) -> int:
    from ..model_cache import cache_main

    return cache_main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnn-course", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("data", help="report which datasets are available offline and where")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("build-exercises", help="write exercises/ from the solution notebooks")
    p.add_argument("--solutions", default="solutions", help="folder of solution notebooks")
    p.add_argument("--exercises", default="exercises", help="folder to write the exercises to")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if exercises/ differs from what would be written")
    p.set_defaults(func=_cmd_build_exercises)

    p = sub.add_parser("grade", help="grade a class (one sub-folder per student), student "
                                     "folders or notebook files")
    p.add_argument("paths", nargs="+", help="a class folder, student folders or notebooks")
    p.add_argument("--out", default="grades",
                   help="folder for gradebook.csv and students/<name>.json|.xml (default: grades)")
    p.add_argument("--reference", default=None,
                   help="folder of pristine exercise notebooks (default: those installed with "
                        "the course)")
    p.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell")
    p.add_argument("--jobs", type=int, default=1, help="students graded at the same time")
    p.add_argument("--force", action="store_true",
                   help="grade again students whose files have not changed since the last run")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--exit-zero", action="store_true",
                   help="exit 0 even when checks fail (still 3 when the run is incomplete)")
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser("release", help="write the student edition of the course (no solutions)")
    p.add_argument("out", help="a new folder for the class repository")
    p.add_argument("--force", action="store_true", help="replace the folder when it exists")
    p.set_defaults(func=_cmd_release)

    p = sub.add_parser("doctor", help="check Python, TensorFlow, JupyterLab, widgets, data and GPU")
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("cache", help="list the trained networks cached by the lessons, or clear them")
    p.add_argument("--clear", action="store_true", help="remove the cached networks")
    p.add_argument("--name", default=None, help="only this model (e.g. fashion_cnn) or entry")
    p.add_argument("--dir", default=None,
                   help="cache folder (default: $CNN_COURSE_CACHE or ~/.cache/cnn-course/models)")
    p.set_defaults(func=_cmd_cache)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
