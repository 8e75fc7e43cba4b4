"""Repository-wide pytest set-up, shared by the unit tests and the nbval notebook runs.

- Points ``CNN_COURSE_DATA`` at the real dataset samples beside the checkout
  (``../shared/datasets``) when it is unset and that folder exists.
- Runs notebooks in quick mode unless ``CNN_COURSE_MODE`` says otherwise.
- Prints the slowest notebooks at the end of the run (the quick-mode budget is 60 s each).
"""
from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent
_shared = ROOT.parent / "shared" / "datasets"
if "CNN_COURSE_DATA" not in os.environ and _shared.is_dir():
    os.environ["CNN_COURSE_DATA"] = str(_shared)
os.environ.setdefault("CNN_COURSE_MODE", "quick")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

NOTEBOOK_BUDGET_S = 60.0


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Add up the time of every cell per notebook and list the slowest notebooks."""
    per_notebook: dict[str, float] = defaultdict(float)
    for reports in terminalreporter.stats.values():
        for rep in reports:
            nodeid = getattr(rep, "nodeid", "")
            if ".ipynb::" not in nodeid or getattr(rep, "when", "call") != "call":
                continue
            per_notebook[nodeid.split("::")[0]] += float(getattr(rep, "duration", 0.0))
    if not per_notebook:
        return
    terminalreporter.section("notebooks, slowest first (quick-mode budget 60 s each)")
    for path, secs in sorted(per_notebook.items(), key=lambda kv: -kv[1]):
        flag = "  OVER BUDGET" if secs > NOTEBOOK_BUDGET_S else ""
        terminalreporter.write_line(f"{secs:7.1f} s  {path}{flag}")
    total = sum(per_notebook.values())
    terminalreporter.write_line(f"{total:7.1f} s  all {len(per_notebook)} notebooks (cell time, summed)")
