"""A tiny exercise and a tiny check suite to test the grader's mechanics quickly.

The exercise asks for ``add(a, b)`` (2 points) and ``mul(a, b)`` (3 points). The suite follows
the interface of :mod:`cnn_course.checks` (cases from a seed, a probe cell that only calls the
answers and saves what they return as JSON, a judge that runs in the grader's process).
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import nbformat

from cnn_course.tooling.runner import Suite


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str


@dataclass(frozen=True)
class Spec:
    id: str
    answers: tuple[str, ...]
    op: Callable[[int, int], int]
    hint: str
    forbidden: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()

    def cases(self, seed: int) -> list[dict]:
        rng = random.Random(seed)
        return [{"a": 0, "b": 0}, {"a": 2, "b": 3}] + [
            {"a": rng.randint(-10**6, 10**6), "b": rng.randint(-10**6, 10**6)} for _ in range(5)]

    def judge(self, cases: list[dict], results: list) -> Verdict:
        if not isinstance(results, list) or len(results) != len(cases):
            return Verdict(False, "the check's results are incomplete")
        for case, got in zip(cases, results):
            call = f"{self.answers[0]}({case['a']}, {case['b']})"
            if isinstance(got, dict) and "__error__" in got:
                return Verdict(False, f"{call} raised {got['__error__']}")
            want = self.op(case["a"], case["b"])
            if type(got) is not int or got != want:
                return Verdict(False, f"{call} returned {got!r}, expected {want}: {self.hint}")
        return Verdict(True, "")


SPECS = {
    "add": Spec("add", ("add",), lambda a, b: a + b, "add the two numbers"),
    "mul": Spec("mul", ("mul",), lambda a, b: a * b, "multiply, do not add",
                forbidden=("operator.mul", "math.prod", "numpy.multiply")),
}

PROBE = '''import json as _json
def _cnn_probe():
    try:
        with open({cases!r}) as _f:
            _cases = _json.load(_f)
    except Exception:
        return
    _fn = globals().get({name!r})
    _out = []
    for _c in _cases:
        try:
            _v = _fn(_c["a"], _c["b"])
            _out.append(_v if type(_v) is int and abs(_v) < 2 ** 62 else
                        {{"__error__": "not an int: " + type(_v).__name__}})
        except BaseException as _e:
            _out.append({{"__error__": type(_e).__name__ + ": " + str(_e)[:200]}})
    with open({results!r}, "w") as _f:
        _json.dump(_out, _f)
_cnn_probe()
'''


def cell_source(check_id: str, cases_path: str, results_path: str) -> str:
    return PROBE.format(cases=cases_path, results=results_path, name=SPECS[check_id].answers[0])


def loads(data: bytes, max_bytes: int):
    if len(data) > max_bytes:
        raise ValueError("too large")
    return json.loads(data.decode("utf-8"))


def suite(**changes) -> Suite:
    specs = dict(SPECS)
    for key, spec in changes.items():
        specs[key] = spec
    return Suite(specs, lambda obj: json.dumps(obj).encode(), loads, cell_source)


# ---- the exercise ----------------------------------------------------------------------------

def _cell(kind: str, source: str, cell_id: str, check: tuple[str, int] | None = None):
    cell = (nbformat.v4.new_code_cell(source) if kind == "code"
            else nbformat.v4.new_markdown_cell(source))
    cell["id"] = cell_id
    if check:
        cell.metadata["cnn_course"] = {"check": check[0], "points": check[1]}
    return cell


STUB_ADD = "def add(a, b):\n    raise NotImplementedError('add a and b')"
STUB_MUL = "def mul(a, b):\n    raise NotImplementedError('multiply a and b')"
SOLVED_ADD = "def add(a, b):\n    return a + b"
SOLVED_MUL = "def mul(a, b):\n    return a * b"


def exercise(add: str = STUB_ADD, mul: str = STUB_MUL, extra: dict[str, str] | None = None):
    """The tiny exercise notebook; ``extra`` = {cell id after which to insert: source}."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        _cell("markdown", "# Tiny exercise", "intro"),
        _cell("code", add, "answer-add"),
        _cell("code", "from tiny_checks import check_add\ncheck_add(add)", "check-add", ("add", 2)),
        _cell("code", mul, "answer-mul"),
        _cell("code", "from tiny_checks import check_mul\ncheck_mul(mul)", "check-mul", ("mul", 3)),
    ]
    for after, source in (extra or {}).items():
        at = [c.get("id") for c in nb.cells].index(after) + 1
        nb.cells.insert(at, _cell("code", source, f"extra-{at}"))
    return nb


NAMES = ("a_tiny.ipynb", "b_tiny.ipynb")


def write_reference(folder: Path, names: tuple[str, ...] = NAMES) -> Path:
    """Pristine exercises: the tiny exercise under each of ``names``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        nbformat.write(exercise(), folder / name)
    return folder


def write_student(folder: Path, nb=None, name: str = NAMES[0]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb if nb is not None else exercise(), path)
    return path
