"""Execute course notebooks and time them; never writes to the committed notebooks.

    .venv/bin/python tools/run_notebooks.py notebooks/03_stride_padding_dilation.ipynb [...]
    .venv/bin/python tools/run_notebooks.py --all [--full] [--save-to FOLDER]

Each notebook is run top to bottom in a fresh kernel with ``CNN_COURSE_MODE=quick`` (what CI
uses; ``--full`` for full mode), in its own folder, with failing checks stopping the run
(``CNN_COURSE_STRICT_CHECKS=1``). The time each notebook took is printed, slowest first.
The repository ships notebooks clean (``tools/clean_notebooks.py``), so executed copies go
only to ``--save-to FOLDER`` (image outputs and widget views stripped), to read a run.

``exercises/`` notebooks are not executed here (their stubs raise on purpose); they are
written by ``cnn-course build-exercises``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "application/pdf")
WIDGET_TYPES = ("application/vnd.jupyter.widget-view+json",)


def strip_outputs(nb: nbformat.NotebookNode) -> None:
    """Remove images and widget views from outputs, keeping their text fallbacks."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data:
                continue
            for key in IMAGE_TYPES + WIDGET_TYPES:
                data.pop(key, None)
            if not data:
                data["text/plain"] = "<output not stored>"
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)


def strict_client(nb: nbformat.NotebookNode, path: Path, timeout: int) -> NotebookClient:
    """A client that runs ``nb`` in a fresh kernel in ``path``'s folder, headless, with failing
    checks stopping the run (also used by ``tools/course_map.py``)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["CNN_COURSE_STRICT_CHECKS"] = "1"  # a failing check stops the run (see docs/developing.md)
    return NotebookClient(nb, timeout=timeout, kernel_name="python3",
                          resources={"metadata": {"path": str(path.parent)}})


def run(path: Path, timeout: int = 600, save_to: Path | None = None) -> float:
    nb = nbformat.read(path, as_version=4)
    env_mode = os.environ.setdefault("CNN_COURSE_MODE", "quick")
    client = strict_client(nb, path, timeout)
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    if save_to:
        strip_outputs(nb)
        nbformat.write(nb, save_to / path.name)
    print(f"{elapsed:7.1f} s  {path.relative_to(ROOT)}  (mode {env_mode})", flush=True)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--all", action="store_true", help="notebooks/ and solutions/")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("--full", action="store_true",
                        help="run in full mode to time the lessons; the notebooks are not changed")
    parser.add_argument("--save-to", type=Path, default=None,
                        help="write the executed notebooks into this folder")
    args = parser.parse_args(argv)
    if args.full:
        os.environ["CNN_COURSE_MODE"] = "full"
    paths = [p.resolve() for p in args.notebooks]
    if args.all:
        paths += sorted((ROOT / "notebooks").glob("*.ipynb"))
        paths += sorted((ROOT / "solutions").glob("*.ipynb"))
    if not paths:
        parser.error("name notebooks or use --all")
    times = {}
    failed = []
    for path in paths:
        try:
            times[path] = run(path, args.timeout, save_to=args.save_to)
        except Exception as exc:  # report and go on with the next notebook
            print(f"FAILED {path}: {type(exc).__name__}: {str(exc)[-2000:]}", file=sys.stderr)
            failed.append(path)
    print("\nslowest first:")
    for path, secs in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"{secs:7.1f} s  {path.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
