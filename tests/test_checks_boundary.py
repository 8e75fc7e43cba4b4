"""Pass/fail is decided outside the student's process: the plain-data boundary holds.

The probe (student side) only calls answers and serialises what they return, strictly; the judge
(grader side) sees plain data only. Attack objects that read the checker's frames, say they are
equal to anything or pretend to be arrays become errors, never passes; patched NumPy or course
functions in the student's process change nothing in the grader's.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from cnn_course.checks import probe, serialize
from cnn_course.checks.registry import SPECS

CALLED: list[str] = []


class FrameReader:
    """Pretends to be an array; its hooks would read the caller's frames for expected values."""

    def __array__(self, *args, **kwargs):
        CALLED.append("__array__")
        frame = sys._getframe(1)
        while frame is not None:
            if "expected" in frame.f_locals:
                return np.asarray(frame.f_locals["expected"])
            frame = frame.f_back
        return np.zeros(1)

    def __iter__(self):
        CALLED.append("__iter__")
        return iter([])

    def __int__(self):
        CALLED.append("__int__")
        return 0

    def __eq__(self, other):
        CALLED.append("__eq__")
        return True

    __hash__ = object.__hash__


class AlwaysEqual(int):
    def __eq__(self, other):
        CALLED.append("AlwaysEqual.__eq__")
        return True

    __hash__ = int.__hash__


class SneakyArray(np.ndarray):
    def __eq__(self, other):
        CALLED.append("SneakyArray.__eq__")
        return np.ones(np.shape(other), dtype=bool)


class SneakyList(list):
    def __iter__(self):
        CALLED.append("SneakyList.__iter__")
        return iter([1, 2])


@pytest.fixture(autouse=True)
def _clear():
    CALLED.clear()
    yield
    assert CALLED == [], f"a foreign object's hook ran: {CALLED}"


@pytest.mark.parametrize("value", [FrameReader(), AlwaysEqual(3),
                                   np.zeros(3).view(SneakyArray),
                                   np.array([object(), 1], dtype=object), {1: 2}, {"a": object()},
                                   1 + 2j, b"bytes"])
def test_to_plain_rejects_what_is_not_plain_data(value):
    with pytest.raises(serialize.NotPlain):
        serialize.to_plain(value)


def test_to_plain_copies_plain_data():
    arr = np.arange(6.0).reshape(2, 3)
    out = serialize.to_plain({"a": [1, 2.5, None, True, "s", (3, 4)], "b": arr,
                              "c": np.int64(7), "d": np.float32(0.5)})
    assert out["a"] == [1, 2.5, None, True, "s", [3, 4]]
    assert type(out["c"]) is int and type(out["d"]) is float
    assert out["b"] is not arr and np.array_equal(out["b"], arr)


def test_dump_load_round_trip_and_rejections(tmp_path):
    data = [{"value": np.arange(4, dtype=np.uint8)}, {"__error__": "x", "kind": "type"},
            {"value": [float("nan"), float("inf"), -1]}]
    path = tmp_path / "r.npz"
    serialize.dump(path, data)
    back = serialize.load(path)
    assert back[0]["value"].dtype == np.uint8 and back[1] == data[1]
    assert np.isnan(back[2]["value"][0]) and back[2]["value"][1] == float("inf")
    with pytest.raises(ValueError, match="at most"):
        serialize.load(path, max_bytes=10)
    bad = tmp_path / "pickled.npz"  # an object array needs a pickle: refused on load
    np.savez(bad, __structure__=np.array(json.dumps({"__array__": 0})),
             a0=np.array([object()], dtype=object))
    with pytest.raises(ValueError):
        serialize.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(2))
    with pytest.raises(ValueError, match="structure"):
        serialize.load(other)
    with pytest.raises(serialize.NotPlain):
        serialize.dump(io.BytesIO(), [FrameReader()])


def _probe_and_judge(check_id, func, seed=3):
    spec = SPECS[check_id]
    cases = serialize.loads(serialize.dumps(spec.cases(seed)))
    results = serialize.loads(serialize.dumps(spec.probe({spec.answers[0]: func}, cases)))
    return results, spec.judge(cases, results)


@pytest.mark.parametrize("check_id, returned, message", [
    ("pad2d", lambda x, p: FrameReader(), "returned a .*FrameReader, expected a NumPy array"),
    ("conv2d", lambda x, k, stride=1, padding=0: np.zeros(3).view(SneakyArray),
     "SneakyArray, expected a NumPy array"),
    ("output_size", lambda n, k, stride=1, padding=0, dilation=1: AlwaysEqual(1),
     "AlwaysEqual, expected a number"),
    ("worst_class", lambda cm: AlwaysEqual(0), "AlwaysEqual, expected a number"),
    ("receptive_field", lambda layers: SneakyList([1]), "returned \\[1\\], expected"),
    ("most_confused", lambda cm: FrameReader(), "FrameReader, expected a list"),
    ("conv_params", lambda *a, **k: FrameReader(), "FrameReader, expected a number"),
])
def test_attack_objects_become_errors_never_passes(check_id, returned, message):
    import re

    results, verdict = _probe_and_judge(check_id, returned)
    assert not verdict.passed
    assert re.search(message, verdict.message), verdict.message


def test_probe_imports_no_judge_and_patched_library_changes_nothing(tmp_path):
    """The probe runs in another process with np.allclose and the reference conv2d patched;
    its results, judged here, still fail, and that process never imported a judge."""
    cases_path, results_path = tmp_path / "cases.npz", tmp_path / "results.npz"
    serialize.dump(cases_path, SPECS["conv2d"].cases(11))
    script = textwrap.dedent(f"""
        import sys, numpy as np
        np.allclose = lambda *a, **k: True                 # attack: comparisons always agree
        import cnn_course.conv
        def conv2d(x, kernel, stride=1, padding=0):        # a wrong answer (flipped kernel)
            return cnn_course.conv.conv2d.__wrapped_reference__(x, kernel[::-1, ::-1],
                                                                 stride=stride, padding=padding)
        real = cnn_course.conv.conv2d
        conv2d_ref = lambda *a, **k: real(*a, **k)
        cnn_course.conv.conv2d = lambda *a, **k: None      # attack: the reference replaced
        cnn_course.conv.conv2d.__wrapped_reference__ = real
        import cnn_course.checks.probe as p
        p.run("conv2d", {{"conv2d": conv2d}}, {str(cases_path)!r}, {str(results_path)!r})
        bad = [m for m in ("cnn_course.checks.registry", "cnn_course.checks.judges",
                           "cnn_course.checks.judge_blocks", "cnn_course.checks.judging",
                           "cnn_course.checks.cases") if m in sys.modules]
        print("IMPORTED", bad)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "IMPORTED []" in out.stdout, out.stdout
    cases, results = serialize.load(cases_path), serialize.load(results_path)
    verdict = SPECS["conv2d"].judge(cases, results)
    assert not verdict.passed and "flip the kernel" in verdict.message, verdict.message


def test_probe_records_missing_undefined_and_exceptions():
    cases = SPECS["pad2d"].cases(0)

    def stub(x, pad):
        raise NotImplementedError("Write your answer here")

    assert all(r["kind"] == "missing" for r in SPECS["pad2d"].probe({"pad2d": stub}, cases))
    assert all(r["kind"] == "undefined" for r in SPECS["pad2d"].probe({}, cases))
    results = SPECS["pad2d"].probe({"pad2d": lambda x, pad: 1 / 0}, cases)
    assert results[0]["__error__"].startswith("ZeroDivisionError")
    verdict = SPECS["pad2d"].judge(cases, results)
    assert "raised ZeroDivisionError" in verdict.message


def test_cell_source_runs_the_probe(tmp_path):
    cases_path, results_path = tmp_path / "c.npz", tmp_path / "r.npz"
    serialize.dump(cases_path, SPECS["bn_params"].cases(5))
    namespace = {"count_bn_params": lambda c: 4 * c}
    exec(probe.cell_source("bn_params", str(cases_path), str(results_path)), namespace)
    assert "_cnn_course_probe" not in namespace
    verdict = SPECS["bn_params"].judge(serialize.load(cases_path), serialize.load(results_path))
    assert verdict.passed, verdict.message
    with pytest.raises(ValueError, match="unknown check id"):
        probe.cell_source("nope", "a", "b")


def test_every_check_has_a_spec():
    """The registry and the check cells of solutions/ name the same checks, no more, no less."""
    from pathlib import Path

    from cnn_course.checks.cases import CASES
    from cnn_course.tooling.exercises import list_checks

    assert set(SPECS) == set(CASES) == set(probe.PROBES)
    solutions = sorted((Path(__file__).resolve().parents[1] / "solutions").glob("*.ipynb"))
    in_cells = {check_id for path in solutions for check_id, _ in list_checks(path)}
    assert sorted(in_cells - set(SPECS)) == [], "check cells without a spec"
    assert sorted(set(SPECS) - in_cells) == [], "specs without a check cell in solutions/"
