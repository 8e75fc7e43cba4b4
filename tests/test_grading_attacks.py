"""Issue 13's attacks, each a student of ONE class graded in one run with the course's real checks.

The class is graded on a light copy of exercises 03 and 05 (tests/light_course.py: the
exercises' own answer and check cells with their real probes, cases and judges, without the
set-up and demo cells), so each student's sandbox costs a kernel start, not a lesson. In the
same run: every attacker (on the untouched stubs of 03, nothing solved, or solved with the
library the exercise forbids) must score 0; a generated class of solved, stub, half-solved,
attacking, malformed and partly missing submissions (:mod:`cnn_course.tooling.sample_class`)
must get exactly the totals it deserves; a blank classmate 0 and a solved one full marks, in
the same run and in a later run. Attacks that write to the course or to other students' files
are run only inside bubblewrap (in the "processes" fallback they would really change this
checkout: the report says that level is weaker).
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest

import light_course as lc
from cnn_course.tooling import grading, sample_class, sandbox
from cnn_course.tooling.exercises import is_check_cell
from cnn_course.tooling.gradebook import format_table

ROOT = Path(__file__).resolve().parents[1]
NB = lc.NB03
FULL = sum(lc.POINTS.values())
BWRAP = sandbox.isolation() == "bubblewrap"
pytestmark = pytest.mark.skipif(not lc.available(), reason="exercises 03 and 05 not present")

SOLUTION = str(ROOT / "solutions" / NB)
GENERATED = 6  # one of each kind of sample_class.KINDS

# name -> code put in a cell before the first answer (the stubs stay as they are), or
# {answer cell id: new source} to replace answers.
ATTACKS: dict[str, str | dict[str, str]] = {
    # patching the kernel so failing checks look passed
    "custom_exc": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
    "showtraceback": "ip = get_ipython()\nip._showtraceback = lambda *a, **k: None\n"
                     "ip.showtraceback = lambda *a, **k: None",
    "input_transformer": "get_ipython().input_transformers_cleanup.append(\n"
                         "    lambda lines: [] if any('cnn_course' in l for l in lines) else lines)",
    "ast_transformer": "import ast\nclass Empty(ast.NodeTransformer):\n"
                       "    def visit_Module(self, node):\n        node.body = []\n        return node\n"
                       "get_ipython().ast_transformers.append(Empty())",
    "reload_noop": "import importlib, cnn_course.checks as c\nimportlib.reload = lambda m: m\n"
                   "for n in dir(c):\n    if n.startswith('check_'):\n"
                   "        setattr(c, n, lambda *a, **k: print('ok'))",
    "import_hook": "import builtins, types\n_real = builtins.__import__\n"
                   "fake = types.ModuleType('cnn_course.checks')\n"
                   "fake.__getattr__ = lambda name: (lambda *a, **k: None)\n"
                   "def hook(name, *a, **k):\n"
                   "    return fake if name.startswith('cnn_course.checks') else _real(name, *a, **k)\n"
                   "builtins.__import__ = hook",
    "probe_patched": "import cnn_course.checks.probe as p\np.run = lambda *a, **k: None",
    # answers that need no patching
    "frame_reader": {"answer-pad2d": (
        "import sys\nclass Sneaky:\n"
        "    def __array__(self, *a, **k):\n"
        "        f = sys._getframe(1)\n"
        "        while f:\n"
        "            for v in list(f.f_locals.values()):\n"
        "                if type(v).__name__ == 'ndarray':\n"
        "                    return v\n"
        "            f = f.f_back\n"
        "    def __eq__(self, other):\n        return True\n"
        "    def __iter__(self):\n        return iter([])\n"
        "def pad2d(x, pad):\n    return Sneaky()")},
    "always_equal_int": {"answer-output-size": (
        "class Yes(int):\n    def __eq__(self, other):\n        return True\n"
        "    __hash__ = int.__hash__\n"
        "def output_size(n, kernel_size, stride=1, padding=0, dilation=1):\n    return Yes(0)")},
    "lookup_table": {"answer-output-size": (
        "TABLE = {(28, 3, 1, 0, 1): 26, (26, 2, 2, 0, 1): 13, (13, 3, 1, 0, 1): 11,\n"
        "         (11, 2, 2, 0, 1): 5, (5, 3, 1, 0, 1): 3, (4, 2, 2, 0, 1): 2}\n"
        "def output_size(n, kernel_size, stride=1, padding=0, dilation=1):\n"
        "    return TABLE.get((n, kernel_size, stride, padding, dilation), 1)")},
    "allclose_patched": "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
                        "np.array_equal = lambda *a, **k: True\n"
                        "np.testing.assert_allclose = lambda *a, **k: None",
    "reference_replaced": "import cnn_course, cnn_course.conv as cv, cnn_course.padding as pd\n"
                          "cv.conv2d = lambda *a, **k: 0\npd.pad2d = lambda *a, **k: 0\n"
                          "pd.output_size = lambda *a, **k: 0",
    # copying
    "code_object_copy": {"answer-conv2d": (
        "import types, cnn_course.conv as cv\n"
        "conv2d = types.FunctionType(cv.conv2d.__code__, cv.conv2d.__globals__)")},
    "getsource_copy": {"answer-pad2d": (
        "import inspect, cnn_course.padding\n"
        "exec(inspect.getsource(cnn_course.padding.pad2d))")},
    "library_import": {"answer-output-size": "from cnn_course import output_size",
                       "answer-pad2d": "import cnn_course as cc\npad2d = cc.pad2d"},
    "scipy_correlate": {"answer-conv2d": (
        "import numpy as np\nfrom scipy import signal\n"
        "def conv2d(x, kernel, stride=1, padding=0):\n"
        "    x = np.pad(x, ((padding, padding), (padding, padding), (0, 0)))\n"
        "    out = np.stack([sum(signal.correlate(x[:, :, c], kernel[:, :, c, f], mode='valid')\n"
        "                        for c in range(x.shape[2])) for f in range(kernel.shape[3])], -1)\n"
        "    return out[::stride, ::stride]")},
    # forged reports and injected checks
    "forged_junit": ("import os, glob\n"
                     "for d in ['.', '..', os.environ.get('TMPDIR', '.')]:\n"
                     "    for p in glob.glob(d + '/*.xml') + [d + '/junit.xml']:\n"
                     "        open(p, 'w').write('<testsuites><testsuite tests=\"1\"><testcase "
                     "name=\"Cell 4\"/></testsuite></testsuites>')\n"
                     "os.kill(os.getppid(), 9)"),
    "detached_rewriter": ("import subprocess, sys, os\n"
                          "code = ('import time, glob\\ntime.sleep(8)\\n'\n"
                          "        'for p in [q for n in range(1, 6) for q in glob.glob(\"/tmp/\" + \"*/\" * n + \"gradebook.csv\")]:\\n'\n"
                          "        '    open(p, \"a\").write(\"attacker,38\\\\n\")')\n"
                          "subprocess.Popen([sys.executable, '-c', code], start_new_session=True)"),
}
# Attacks on the course's files and on classmates: only inside bubblewrap.
FILE_ATTACKS: dict[str, str] = {
    "run_solutions": ("import json\nnb = json.load(open(%r))\n"
                      "for c in nb['cells']:\n"
                      "    src = ''.join(c['source'])\n"
                      "    if c['cell_type'] == 'code' and 'def ' in src:\n"
                      "        exec(src, globals())") % SOLUTION,
    "poison_checks": ("import cnn_course, pathlib\n"
                      "root = pathlib.Path(cnn_course.__file__).parent\n"
                      "for p in [root / 'checks' / '__init__.py', root / 'checks' / 'probe.py']:\n"
                      "    try:\n        open(p, 'a').write('\\nraise SystemExit')\n"
                      "    except OSError: pass"),
    "startup_files": ("import os, pathlib, site, sys\n"
                      "for d in [pathlib.Path.home() / '.ipython/profile_default/startup',\n"
                      "          pathlib.Path(site.getsitepackages()[0]),\n"
                      "          pathlib.Path(os.environ.get('TMPDIR', '/tmp'))]:\n"
                      "    for name in ['00-pwn.py', 'sitecustomize.py', 'conftest.py']:\n"
                      "        try:\n            d.mkdir(parents=True, exist_ok=True)\n"
                      "            (d / name).write_text('import builtins\\nbuiltins.PWNED = 1')\n"
                      "        except OSError: pass"),
    "kernelspec": ("import glob, json, os\nfrom jupyter_core.paths import jupyter_path\n"
                   "for p in [q for d in jupyter_path('kernels') for q in "
                   "glob.glob(d + '/*/kernel.json')]:\n"
                   "    try:\n        s = json.load(open(p))\n"
                   "        s['argv'] = ['/bin/false']\n        json.dump(s, open(p, 'w'))\n"
                   "    except Exception: pass"),
    "swap_classmate": ("import glob, os, shutil\n"
                       "for p in [q for n in range(1, 7) for q in "
                       f"glob.glob('/tmp/' + '*/' * n + '{NB}')]:\n"
                       "    try:\n        os.remove(p)\n    except OSError: pass\n"
                       "os.system('pkill -9 -f cnn-course; pkill -9 -f pytest')"),
}


def _attack_notebook(attack: str | dict[str, str]):
    nb = lc.light(NB)
    if isinstance(attack, str):
        at = [c.get("id") for c in nb.cells].index("imports") + 1
        cell = nbformat.v4.new_code_cell(attack)
        cell["id"] = "attack"
        nb.cells.insert(at, cell)
    else:
        for cell in nb.cells:
            if cell.get("id") in attack:
                cell.source = attack[cell["id"]]
    return nb


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """The whole class graded in ONE run (--jobs 2), then two classmates again in a later run."""
    base = tmp_path_factory.mktemp("attacks")
    ref = lc.write_reference(base / "reference")
    sub = base / "class"
    expected = sample_class.write_class(sub, GENERATED, lc.exercises(), lc.solutions())
    attacks = dict(ATTACKS)
    if BWRAP:
        attacks.update(FILE_ATTACKS)
    for name, attack in attacks.items():
        (sub / name).mkdir(parents=True)
        nbformat.write(_attack_notebook(attack), sub / name / NB)
    # the injected checks: points of every kind
    for name, points in (("inject_100", 100), ("inject_inf", float("inf")),
                         ("inject_nan", float("nan")), ("inject_str", "lots")):
        nb = lc.light(NB)
        cell = nbformat.v4.new_code_cell("print('bonus')",
                                         metadata={"cnn_course": {"check": "bonus",
                                                                  "points": points}})
        nb.cells.append(cell)
        (sub / name).mkdir(parents=True)
        (sub / name / NB).write_text(json.dumps(nb, allow_nan=True))
    (sub / "symlinked").mkdir()
    os.symlink(ROOT / "solutions" / NB, sub / "symlinked" / NB)
    for name, solved in (("blank_classmate", False), ("zz_blank_after", False),
                         ("solved_classmate", True)):
        (sub / name).mkdir()
        for nb_name in lc.NAMES:
            nbformat.write(lc.light(nb_name, solved), sub / name / nb_name)
    out = base / "grades"
    results = grading.grade_class([sub], out, ref, jobs=2, cell_timeout=60, progress=False)
    gradebook = (out / "gradebook.csv").read_text()
    # a later run: blank and solved classmates graded again from scratch
    later = grading.grade_class([sub / "blank_classmate", sub / "solved_classmate"],
                                base / "later", ref, cell_timeout=60, progress=False)
    return ({r.student: r for r in results}, out, gradebook, {r.student: r for r in later},
            expected)


ALL = list(ATTACKS) + ["inject_100", "inject_inf", "inject_nan", "inject_str", "symlinked"]


@pytest.mark.parametrize("name", ALL + (list(FILE_ATTACKS) if BWRAP else []))
def test_attack_scores_zero(attacked, name):
    results, *_ = attacked
    result = results[name]
    assert result.score == 0, format_table([result])
    assert result.max_score == FULL


@pytest.mark.parametrize("name", ["inject_100", "inject_inf", "inject_nan", "inject_str"])
def test_injected_checks_are_ignored_and_noted(attacked, name):
    results, *_ = attacked
    [nb] = [n for n in results[name].notebooks if n.name == NB]
    reference = nbformat.read(ROOT / "exercises" / NB, as_version=4)
    assert [c.id for c in nb.checks] == [c.metadata["cnn_course"]["check"]
                                         for c in reference.cells if is_check_cell(c)]
    assert any("bonus" in n and "ignored" in n for n in nb.notes), nb.notes


def test_classmates_are_unaffected_in_the_same_run_and_later(attacked):
    results, out, gradebook, later, _ = attacked
    for res in (results, later):
        assert res["blank_classmate"].score == 0
        assert res["solved_classmate"].score == FULL, format_table([res["solved_classmate"]])
    assert results["zz_blank_after"].score == 0


def test_reports_cannot_be_forged_after_the_grader_exits(attacked):
    results, out, gradebook, *_ = attacked
    time.sleep(10)  # the detached rewriter waits 8 s
    assert (out / "gradebook.csv").read_text() == gradebook
    rows = {r["student"]: r for r in csv.DictReader(gradebook.splitlines())}
    assert "attacker" not in rows and rows["detached_rewriter"]["total"] == "0"
    assert json.loads((out / "students" / "forged_junit.json").read_text())["score"] == 0


def test_reaching_for_the_kernel_is_flagged_for_the_teacher(attacked):
    results, *_ = attacked
    for name in ("custom_exc", "showtraceback", "frame_reader", "import_hook", "reload_noop",
                 "probe_patched", "forged_junit"):
        [nb] = [n for n in results[name].notebooks if n.name == NB]
        notes = nb.notes
        assert any(n.startswith("reaches for the kernel") for n in notes), (name, notes)


def test_library_shortcuts_say_so(attacked):
    results, *_ = attacked
    messages = {c.id: c.message for _, c in results["scipy_correlate"].checks}
    assert "uses the library's scipy.signal" in messages["conv2d"], messages
    messages = {c.id: c.message for _, c in results["library_import"].checks}
    assert "uses the library's" in messages["output_size"], messages


def test_the_whole_class_gets_exactly_the_totals_it_deserves(attacked):
    """One command (--jobs 2) for the whole class: the generated students (solved, stub,
    half solved, attack, malformed, partly missing) get what they solved, every attacker 0,
    the blank classmates 0 and the solved one full marks; the gradebook says the same."""
    results, out, gradebook, _, expected = attacked
    assert sorted(expected.values()) == [0.0, 0.0, *[lc.POINTS[lc.NB03]] * 3, FULL]
    expected = {**{name: 0.0 for name in results}, **expected, "solved_classmate": FULL}
    got = {name: r.score for name, r in results.items()}
    assert got == expected, format_table([results[n] for n in got if got[n] != expected[n]])
    rows = {r["student"]: r for r in csv.DictReader(gradebook.splitlines())}
    assert {name: float(row["total"]) for name, row in rows.items()} == expected
    assert all(row["max_total"] == f"{FULL:g}" for row in rows.values())
    [malformed] = [nb for nb in results["s04-malformed"].notebooks if nb.name == lc.NB05]
    assert malformed.problem.startswith("cannot read the notebook")
    [missing] = [nb for nb in results["s05-missing"].notebooks if nb.name == lc.NB05]
    assert missing.problem == "notebook not submitted"
