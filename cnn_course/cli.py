"""The ``cnn-course`` command line.

Subcommands::

    cnn-course data              which datasets are found, where, with record counts
    cnn-course build-exercises   write exercises/ from solutions/ (``--check`` only compares)
    cnn-course grade PATH...     grade student exercise notebooks with nbval
    cnn-course doctor            check the installation and say how to fix each problem

Each subcommand lives in the module that owns the work; this file only parses arguments.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence


def _cmd_data(args: argparse.Namespace) -> int:
    from .data import print_data_report

    return print_data_report()


def _cmd_build_exercises(args: argparse.Namespace) -> int:
    from .exercises import build_exercises_main

    return build_exercises_main(args.solutions, args.exercises, check=args.check)


def _cmd_grade(args: argparse.Namespace) -> int:
    from .grading import grade_main

    return grade_main(args)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import run_doctor

    return run_doctor()


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

    p = sub.add_parser("grade", help="grade exercise notebooks (files or folders) with nbval")
    p.add_argument("paths", nargs="+", help="notebooks or folders of notebooks")
    p.add_argument("--reference", default=None,
                   help="folder of pristine exercise notebooks (default: the course's exercises/)")
    p.add_argument("--timeout", type=int, default=120, help="seconds allowed per cell")
    p.add_argument("--json", dest="json_path", default="grades.json", help="JSON report path")
    p.add_argument("--junit", dest="junit_path", default="grades.xml", help="JUnit XML report path")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when checks fail")
    p.set_defaults(func=_cmd_grade)

    p = sub.add_parser("doctor", help="check Python, TensorFlow, JupyterLab, widgets, data and GPU")
    p.set_defaults(func=_cmd_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
