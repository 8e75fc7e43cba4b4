"""Strip the course's notebooks to what a student should open: no stale outputs.

    .venv/bin/python tools/clean_notebooks.py            # clean notebooks/, solutions/, exercises/
    .venv/bin/python tools/clean_notebooks.py --check    # only report; exit 1 if any is not clean
    .venv/bin/python tools/clean_notebooks.py notebooks/02_convolution_by_hand.ipynb

What "clean" means (outputs and execution counts removed except the text of
``# NBVAL_CHECK_OUTPUT`` cells, no widget state, the course's ``cnn-course`` kernel, stable
JSON) is defined once, in :mod:`cnn_course.tooling.clean_notebooks`;
``tests/test_clean_notebooks.py`` fails while a committed notebook is not clean. Cleaning
twice changes nothing.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnn_course.tooling.clean_notebooks import clean_file

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "solutions", "exercises")


def course_notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook the course commits: notebooks/, solutions/ and exercises/."""
    return sorted(p for folder in FOLDERS for p in (root / folder).glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path,
                        help="notebooks to clean (default: every notebook of "
                             + ", ".join(f"{f}/" for f in FOLDERS) + ")")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when a notebook is not clean")
    args = parser.parse_args(argv)
    paths = args.paths or course_notebooks()
    dirty = 0
    for path in paths:
        found = clean_file(path, check=args.check)
        if found:
            dirty += 1
            verb = "not clean" if args.check else "cleaned"
            print(f"{verb}: {path}: " + "; ".join(found[:3])
                  + (f"; ... ({len(found)} problems)" if len(found) > 3 else ""))
    print(f"{len(paths)} notebooks, {dirty} {'not clean' if args.check else 'cleaned'}")
    return 1 if args.check and dirty else 0


if __name__ == "__main__":
    sys.exit(main())
