"""The cnn-course command line.

Students: lab (open the course), work (update the work folder), doctor, data, cache.
Teachers and maintainers: grade, release, build-exercises. ``cnn-course --help`` lists them in
these two groups (:data:`STUDENT_COMMANDS`, :data:`TEACHER_COMMANDS`), each with the one-line
help given to ``add_parser``, which is also the description ``cnn-course COMMAND --help``
starts with.

Each subcommand lives in the module that owns the work; this file only parses arguments.
"""
from __future__ import annotations

import argparse
import sys
import textwrap
from typing import Sequence


def _cmd_data(args: argparse.Namespace) -> int:
    from ..data import print_data_report

    return print_data_report(download=args.download)


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


def _cmd_lab(args: argparse.Namespace) -> int:
    from .lab import lab_main

    return lab_main(args.jupyter_args, course=args.course, work=args.work)


def _cmd_work(args: argparse.Namespace) -> int:
    from .work_folder import work_main

    return work_main(args.course, args.work, reset=args.reset)


def _cmd_cache(args: argparse.Namespace) -> int:
    from ..model_cache import cache_main

    return cache_main(args)


# The order of the groups in ``cnn-course --help``; every subcommand is in exactly one.
STUDENT_COMMANDS = ("lab", "work", "doctor", "data", "cache")
TEACHER_COMMANDS = ("grade", "release", "build-exercises")


def _describe(parser: argparse.ArgumentParser, sub) -> None:
    """List the subcommands in two groups (students', then teachers'), and give each
    subcommand its one-line help as the description of its own ``--help``."""
    helps = {action.dest: action.help for action in sub._choices_actions}
    missing = set(sub.choices) ^ set(STUDENT_COMMANDS + TEACHER_COMMANDS)
    if missing:
        raise RuntimeError(f"subcommands not in exactly one help group: {sorted(missing)}")
    for name, subparser in sub.choices.items():
        if subparser.description is None:
            subparser.description = helps[name][0].upper() + helps[name][1:] + "."
    width = max(map(len, sub.choices)) + 2
    lines = []
    for title, names in (("commands for students", STUDENT_COMMANDS),
                         ("commands for teachers and course maintainers", TEACHER_COMMANDS)):
        lines.append(f"{title}:")
        for name in names:
            lines += textwrap.wrap(helps[name], 88, initial_indent=f"  {name:{width}s}",
                                   subsequent_indent=" " * (width + 2))
        lines.append("")
    lines.append("cnn-course COMMAND --help describes one command and its options.")
    parser.epilog = "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cnn-course", usage="cnn-course COMMAND [options]",
        description="The command line of the CNN course: open it, check the set-up and the\n"
                    "data (students); grade it and release it (teachers).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    # the commands are listed in groups by _describe (the epilog), not by argparse
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                help=argparse.SUPPRESS, prog="cnn-course")

    p = sub.add_parser("lab", help="open the course map in JupyterLab, on your work folder "
                                   "(other options go to JupyterLab)")
    p.add_argument("--course", default=None, help=argparse.SUPPRESS)
    p.add_argument("--work", default=None,
                   help="your work folder (default: my-work/ in the course folder)")
    p.set_defaults(func=_cmd_lab)

    p = sub.add_parser("work", help="copy new lessons into your work folder and report the "
                                    "ones the course changed")
    p.add_argument("--course", default=None, help=argparse.SUPPRESS)
    p.add_argument("--work", default=None,
                   help="your work folder (default: my-work/ in the course folder)")
    p.add_argument("--reset", nargs="+", metavar="PATH", default=None,
                   help="take the course's version of these files (e.g. "
                        "notebooks/02_convolution_by_hand.ipynb); yours are moved aside "
                        "as NAME.mine-DATE.ipynb")
    p.set_defaults(func=_cmd_work)

    p = sub.add_parser("data", help="report which datasets are available offline and where")
    p.add_argument("--download", action="store_true",
                   help="download the datasets not found offline (Keras' URLs, into the "
                        "Keras cache)")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("build-exercises", help="write exercises/ from the solution notebooks")
    p.add_argument("--solutions", default="solutions", help="folder of solution notebooks")
    p.add_argument("--exercises", default="exercises", help="folder to write the exercises to")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if exercises/ differs from what would be "
                        "written")
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
    _describe(parser, sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "lab":
        args.jupyter_args = extra                # e.g. --port 8890, --no-browser
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
