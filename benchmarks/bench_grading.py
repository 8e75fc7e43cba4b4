"""Seconds per student of ``cnn-course grade`` on a generated class, at --jobs 1 and 2.

The class mixes every kind of submission (:mod:`cnn_course.tooling.sample_class`): solved,
stubs, half solved, an attack on the stubs, a malformed notebook, notebooks missing. The script checks that every student gets
exactly the total their notebooks deserve (exit status 1 otherwise), then prints the seconds
per student for each ``--jobs``. Run it on the 2-core reference machine:

    CNN_COURSE_DATA=/work/shared/datasets .venv/bin/python benchmarks/bench_grading.py

Options: ``--students N`` (default 20), ``--jobs 1,2``, ``--notebooks 03,05`` (prefixes;
default every exercise), ``--keep DIR`` to keep the class and the reports. Besides the wall
time it prints the CPU seconds of the students' sandboxes (where a cpuacct cgroup measures
them, i.e. as root) and the load average, since the machine is often shared.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("CNN_COURSE_MODE", "quick")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import nbformat  # noqa: E402

from cnn_course.tooling import grading, sample_class, sandbox  # noqa: E402
from cnn_course.tooling.runner import load_references  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--notebooks", default="")
    parser.add_argument("--keep", default="")
    args = parser.parse_args()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-grading-"))
    refs_all = load_references(ROOT / "exercises")
    prefixes = [p for p in args.notebooks.split(",") if p]
    names = [n for n in refs_all if not prefixes or any(n.startswith(p) for p in prefixes)]
    reference = base / "reference"
    reference.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(ROOT / "exercises" / name, reference / name)
    read = lambda folder, n: nbformat.read(ROOT / folder / n, as_version=4)  # noqa: E731
    expected = sample_class.write_class(base / "class", args.students,
                                        {n: read("exercises", n) for n in names},
                                        {n: read("solutions", n) for n in names})
    points = {n: sample_class.notebook_points(refs_all[n].notebook) for n in names}
    print(f"class of {args.students} students x {len(names)} notebooks "
          f"({sum(points.values()):g} points each); isolation: {sandbox.isolation()}; "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    ok = True
    for jobs in [int(j) for j in args.jobs.split(",")]:
        start = time.monotonic()
        results = grading.grade_class([base / "class"], base / f"grades-jobs{jobs}", reference,
                                      jobs=jobs, force=True, progress=False)
        seconds = time.monotonic() - start
        got = {r.student: r.score for r in results}
        wrong = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
        ok &= not wrong
        cpu = sum(r.cpu_seconds for r in results)
        print(f"--jobs {jobs}: {seconds:.0f} s for {len(results)} students = "
              f"{seconds / len(results):.1f} s per student ({cpu / len(results):.1f} CPU s per "
              f"student in the sandboxes); totals "
              + ("all right" if not wrong else f"WRONG (got, expected): {wrong}")
              + f"; load average {os.getloadavg()[0]:.1f}")
        for r in results:  # say why a total is wrong
            if r.student in wrong:
                for nb, c in r.checks:
                    if not c.passed and "answer missing" not in c.message:
                        print(f"    {r.student} {nb} {c.id}: {c.status}: {c.message[:300]}")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
