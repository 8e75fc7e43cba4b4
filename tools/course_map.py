"""Run the lessons, time each one, and write the times into the README's course map.

    .venv/bin/python tools/course_map.py                      # every lesson, quick mode
    .venv/bin/python tools/course_map.py --full               # full mode ("full (CPU)" column)
    .venv/bin/python tools/course_map.py notebooks/10_*.ipynb notebooks/11_*.ipynb
    .venv/bin/python tools/course_map.py --seed 1 --save-to /tmp/seed1 --no-write notebooks/10_*.ipynb

Each notebook runs top to bottom in a fresh kernel (``nbclient``) in its own folder, in the
order given (lesson order by default), with ``CNN_COURSE_MODE`` set to ``quick`` or ``full``.
The committed notebooks are never changed. The time of a lesson is the wall-clock time of
executing it, kernel start included. All lessons of one run share a **fresh, empty model
cache** (``CNN_COURSE_CACHE``, a temporary folder), so a lesson that trains a network is timed
training it, and a later lesson that reuses it is timed loading it, as for a student who works
through the course in order; ``--keep-cache`` uses your normal cache instead.

The README's course-map table (the one whose header has the columns ``quick`` and
``full (CPU)``) keeps its structure: only the time cell of the chosen column changes, and only
in the rows whose lesson link names a notebook that was run here. A note after ``;`` in that
cell (``...; GPU advised``) is kept; everything else in it is replaced by the measured time.
The new table is printed to stdout either way; ``--no-write`` leaves README.md alone.

``--seed N`` runs the lessons with ``cc.setup(seed=N)`` (the first ``cc.setup(`` call of each
notebook gets ``seed=N``), to check that a lesson's claim holds for more than one seed; with
``--save-to`` the executed notebooks are kept for reading.

Measure on the reference machine (2 CPU cores, no GPU) for the numbers the README states;
the machine's CPU count and the GPUs TensorFlow would see are printed with the table.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
COLUMNS = {"quick": "quick", "full": "full (CPU)"}
_LINK = re.compile(r"\]\((?:\./)?notebooks/([^)/]+\.ipynb)\)")
_EMPTY_SETUP = re.compile(r"cc\.setup\(\s*\)")


def format_seconds(seconds: float) -> str:
    """A lesson time as the course map writes it: ``"7 s"``, ``"2 min"``, ``"1.5 h"``.

    Under 90 s whole seconds (at least 1 s); under 90 min whole minutes; then hours with one
    decimal.

    Examples
    --------
    >>> format_seconds(0.2), format_seconds(42.4), format_seconds(200), format_seconds(5400)
    ('1 s', '42 s', '3 min', '1.5 h')
    """
    if not isinstance(seconds, (int, float)) or seconds != seconds or seconds < 0:
        raise ValueError(f"seconds must be a number >= 0, got {seconds!r}")
    if seconds < 89.5:
        return f"{max(1, round(seconds))} s"
    if seconds < 89.5 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table row, without the outer pipes (stripped)."""
    body = line.strip()
    if not (body.startswith("|") and body.endswith("|")):
        raise ValueError(f"not a table row: {line!r}")
    return [c.strip() for c in body[1:-1].split("|")]


def _find_table(lines: list[str]) -> tuple[int, list[str]]:
    """Index of the course-map header line and its column names."""
    for i, line in enumerate(lines):
        if line.lstrip().startswith("|") and i + 1 < len(lines):
            names = _cells(line)
            if "quick" in names and COLUMNS["full"] in names and "lesson" in names:
                return i, names
    raise ValueError("README has no course-map table (a header with the columns 'lesson', "
                     "'quick' and 'full (CPU)')")


def update_table(text: str, times: dict[str, float], column: str = "quick"
                 ) -> tuple[str, list[str]]:
    """Write measured lesson times into the course-map table of a README's text.

    Parameters
    ----------
    text : str
        The README's Markdown.
    times : dict str -> float
        Notebook file name (``"10_dense_vs_cnn.ipynb"``) -> seconds.
    column : {'quick', 'full'}
        Which time column to write (``quick`` or ``full (CPU)``).

    Returns
    -------
    new_text : str
        ``text`` with the time cell of ``column`` replaced in every row whose lesson link names
        a notebook of ``times``; a note after ``;`` in the old cell is kept. Everything else,
        other rows and the line endings included, is unchanged.
    updated : list of str
        The notebook names whose rows were written, in table order.

    Raises
    ------
    ValueError
        For an unknown ``column``, a negative time, or a README without the table.
    """
    if column not in COLUMNS:
        raise ValueError(f"column must be 'quick' or 'full', got {column!r}")
    for name, secs in times.items():
        format_seconds(secs)  # validates
    lines = text.splitlines(keepends=True)
    head, names = _find_table(lines)
    col = names.index(COLUMNS[column])
    updated = []
    for i in range(head + 2, len(lines)):
        line = lines[i]
        if not line.lstrip().startswith("|"):
            break
        cells = _cells(line)
        link = _LINK.search(line)
        if link is None or link.group(1) not in times or len(cells) != len(names):
            continue
        old = cells[col]
        note = old.split(";", 1)[1].strip() if ";" in old else ""
        cells[col] = format_seconds(times[link.group(1)]) + (f"; {note}" if note else "")
        ending = line[len(line.rstrip("\r\n")):]
        lines[i] = "| " + " | ".join(cells) + " |" + ending
        updated.append(link.group(1))
    return "".join(lines), updated


def read_column(text: str, column: str = "quick") -> dict[str, str]:
    """One time column of the course-map table in a README's text.

    Parameters
    ----------
    text : str
        The README's Markdown.
    column : {'quick', 'full'}

    Returns
    -------
    dict str -> str
        Notebook file name (``"10_dense_vs_cnn.ipynb"``) -> the cell's text, note included
        (``"7 min; CPU-sized"``), for every row whose lesson link names a notebook.

    Examples
    --------
    >>> table = ("| lesson | quick | full (CPU) |\\n|---|---|---|\\n"
    ...          "| [a](notebooks/01_a.ipynb) | 5 s | 1 min; note |\\n")
    >>> read_column(table, "full")
    {'01_a.ipynb': '1 min; note'}
    """
    if column not in COLUMNS:
        raise ValueError(f"column must be 'quick' or 'full', got {column!r}")
    lines = text.splitlines()
    head, names = _find_table(lines)
    col = names.index(COLUMNS[column])
    cells = {}
    for line in lines[head + 2:]:
        if not line.lstrip().startswith("|"):
            break
        link = _LINK.search(line)
        row = _cells(line)
        if link is not None and len(row) == len(names):
            cells[link.group(1)] = row[col]
    return cells


def table_text(text: str) -> str:
    """The course-map table of a README's text (header to last row)."""
    lines = text.splitlines()
    head, _ = _find_table(lines)
    end = head
    while end < len(lines) and lines[end].lstrip().startswith("|"):
        end += 1
    return "\n".join(lines[head:end])


def with_seed(source: str, seed: int) -> str:
    """``source`` with ``seed=seed`` added to its first ``cc.setup(`` call.

    Examples
    --------
    >>> with_seed("cfg = cc.setup(tensorflow=False)", 2)
    'cfg = cc.setup(seed=2, tensorflow=False)'
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    if "cc.setup(" not in source:
        raise ValueError("source has no cc.setup( call")
    if "seed=" in source.split("cc.setup(", 1)[1].split(")", 1)[0]:
        raise ValueError("the cc.setup call sets a seed already")
    start = source.index("cc.setup(")
    empty = _EMPTY_SETUP.match(source, start)
    if empty:
        return source[:start] + f"cc.setup(seed={seed})" + source[empty.end():]
    return source[:start] + f"cc.setup(seed={seed}, " + source[start + len("cc.setup("):]


def run_notebook(path: Path, mode: str, seed: int | None = None, timeout: int = 1200,
                 save_to: Path | None = None) -> float:
    """Execute one notebook in a fresh kernel and return its wall-clock seconds."""
    import nbformat
    from run_notebooks import strict_client  # tools/ is on sys.path when this script runs

    nb = nbformat.read(path, as_version=4)
    if seed is not None:
        first = next((c for c in nb.cells if c.cell_type == "code" and "cc.setup(" in c.source),
                     None)
        if first is None:
            raise ValueError(f"{path.name}: no cc.setup( call to give the seed to")
        first.source = with_seed(first.source, seed)
    os.environ["CNN_COURSE_MODE"] = mode
    client = strict_client(nb, path, timeout)
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        if save_to is not None:
            save_to.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, save_to / path.name)
    return time.perf_counter() - start


def _device_line() -> str:
    gpus = os.environ.get("CUDA_VISIBLE_DEVICES")
    return (f"{os.cpu_count()} CPU cores"
            + (f"; CUDA_VISIBLE_DEVICES={gpus}" if gpus not in (None, "") else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="lessons to run (default: every notebooks/NN_*.ipynb)")
    parser.add_argument("--full", action="store_true", help="full mode; writes 'full (CPU)'")
    parser.add_argument("--seed", type=int, default=None, help="run with cc.setup(seed=SEED)")
    parser.add_argument("--save-to", type=Path, default=None,
                        help="keep the executed notebooks in this folder")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    parser.add_argument("--keep-cache", action="store_true",
                        help="use the normal model cache instead of a fresh one")
    parser.add_argument("--timeout", type=int, default=1200, help="seconds per cell")
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    mode = "full" if args.full else "quick"
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error("no such notebook: " + ", ".join(missing))
    if args.seed is not None and args.seed < 0:
        parser.error("--seed must be >= 0")
    cache = None
    if not args.keep_cache:
        cache = tempfile.TemporaryDirectory(prefix="cnn-course-map-cache-")
        os.environ["CNN_COURSE_CACHE"] = cache.name
    times: dict[str, float] = {}
    failed = []
    try:
        for path in paths:
            try:
                secs = run_notebook(path, mode, args.seed, args.timeout, args.save_to)
            except Exception as exc:  # report, go on; a failed lesson gets no time
                print(f"FAILED {path.name}: {type(exc).__name__}: {str(exc)[-1500:]}",
                      file=sys.stderr, flush=True)
                failed.append(path.name)
                continue
            times[path.name] = secs
            print(f"{secs:8.1f} s  {path.name}  ({mode} mode"
                  + (f", seed {args.seed}" if args.seed is not None else "") + ")", flush=True)
    finally:
        if cache is not None:
            cache.cleanup()
    text = args.readme.read_text(encoding="utf-8")
    new_text, updated = update_table(text, times, mode)
    print(f"\ncourse map ({mode} column; {_device_line()}; "
          f"{len(updated)} of {len(times)} timed lessons have a row):")
    print(table_text(new_text))
    not_in_table = sorted(set(times) - set(updated))
    if not_in_table:
        print("not in the README table (no row links them): " + ", ".join(not_in_table))
    if not args.no_write and updated and new_text != text:
        args.readme.write_text(new_text, encoding="utf-8")
        print(f"wrote {len(updated)} row(s) of {args.readme}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
