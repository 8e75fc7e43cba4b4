"""The sandbox a student's notebooks run in: what it hides, what it limits, what it ends.

Tests of the bubblewrap level are skipped where bubblewrap cannot run (the report then says
"processes only"); the process-level guarantees are tested on both levels.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from cnn_course.tooling import sandbox
from cnn_course.tooling.sandbox import Limits, run_sandboxed

LEVELS = ["processes"] + (["bubblewrap"] if sandbox.isolation() == "bubblewrap" else [])
needs_bwrap = pytest.mark.skipif(sandbox.isolation() != "bubblewrap",
                                 reason="bubblewrap is not available here (apt-get install bubblewrap)")


def _py(code: str, scratch: Path, level: str, **limits) -> sandbox.SandboxResult:
    return run_sandboxed([sandbox.python(), "-c", code], scratch, Limits(**limits), level=level)


@pytest.fixture()
def scratch(tmp_path):
    path = tmp_path / "scratch"
    path.mkdir()
    return path


@pytest.mark.parametrize("level", LEVELS)
def test_environment_points_into_the_scratch_folder(scratch, level, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "do-not-leak")
    code = ("import os, json; print(json.dumps({k: os.environ.get(k) for k in "
            "['HOME', 'TMPDIR', 'IPYTHONDIR', 'JUPYTER_PATH', 'JUPYTER_CONFIG_DIR', "
            "'SECRET_TOKEN']}))")
    res = _py(code, scratch, level)
    env = json.loads(res.output.strip().splitlines()[-1])
    assert env.pop("SECRET_TOKEN") is None
    assert all(v.startswith(str(scratch)) for v in env.values()), env


@pytest.mark.parametrize("level", LEVELS)
def test_memory_limit(scratch, level):
    res = _py("b = bytearray(2 << 30); print('allocated')", scratch, level,
              memory_bytes=1 << 30)
    assert "allocated" not in res.output and "MemoryError" in res.output


@pytest.mark.parametrize("level", LEVELS)
def test_wall_clock_limit_kills_everything_started_even_a_new_session(scratch, level):
    marker = scratch / "alive"
    child = ("import time, pathlib\n"
             f"while True: pathlib.Path({str(marker)!r}).write_text(str(time.time())); "
             "time.sleep(0.2)")
    code = ("import time, subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', {child!r}], start_new_session=True)\n"
            "time.sleep(60)\n")
    start = time.monotonic()
    res = _py(code, scratch, level, wall_s=4)
    assert res.timed_out and time.monotonic() - start < 30
    time.sleep(1.0)
    before = marker.read_text() if marker.exists() else ""
    time.sleep(1.0)
    after = marker.read_text() if marker.exists() else ""
    assert before == after, "a process started in the sandbox outlived it"


@needs_bwrap
def test_bubblewrap_hides_the_course_and_other_folders_and_cuts_the_network(scratch, tmp_path):
    secret = tmp_path / "classmate.ipynb"
    secret.write_text("bob's notebook")
    root = Path(__file__).resolve().parents[1]
    code = (
        "import os, socket, json\n"
        "out = {}\n"
        f"out['classmate'] = os.path.exists({str(secret)!r})\n"
        f"out['solutions'] = os.path.exists({str(root / 'solutions')!r})\n"
        "try:\n"
        "    import cnn_course, pathlib\n"
        "    p = pathlib.Path(cnn_course.__file__).parent / 'checks' / 'pwned.py'\n"
        "    p.write_text('x = 1'); out['package_writable'] = True\n"
        "except OSError: out['package_writable'] = False\n"
        "try:\n"
        "    socket.create_connection(('1.1.1.1', 80), timeout=2); out['net'] = True\n"
        "except OSError: out['net'] = False\n"
        "out['uid'] = os.getuid()\n"
        "print(json.dumps(out))\n")
    res = _py(code, scratch, "bubblewrap")
    out = json.loads(res.output.strip().splitlines()[-1])
    assert out == {"classmate": False, "solutions": False, "package_writable": False,
                   "net": False, "uid": sandbox.NOBODY}, res.output


def test_processes_level_is_said_in_the_report():
    assert "processes only" in sandbox.isolation_note("processes")
    assert "bubblewrap" in sandbox.isolation_note("bubblewrap")


def test_bad_arguments(scratch):
    with pytest.raises(ValueError, match="wall_s"):
        Limits(wall_s=0)
    with pytest.raises(ValueError, match="scratch"):
        run_sandboxed(["true"], scratch / "missing")
    with pytest.raises(ValueError, match="level"):
        run_sandboxed(["true"], scratch, level="docker")


def test_kernelspec_runs_this_python_from_the_scratch_folder(scratch):
    name = sandbox.write_kernelspec(scratch)
    spec = json.loads((scratch / "jupyter" / "kernels" / name / "kernel.json").read_text())
    assert spec["argv"][0] == os.path.abspath(sys.executable)


@pytest.mark.parametrize("level", LEVELS)
def test_cpu_seconds_of_everything_the_run_started_are_measured_where_a_cgroup_can(scratch, level):
    child = "sum(i * i for i in range(3 * 10 ** 6))"
    code = ("import subprocess, sys\n"
            f"subprocess.run([sys.executable, '-c', {child!r}])\n" + child)
    res = _py(code, scratch, level)
    cpuacct = Path("/sys/fs/cgroup/cpuacct/cgroup.procs").exists() and os.geteuid() == 0
    if not cpuacct:
        assert res.cpu_s is None
    else:  # two processes of ~0.2 s each at least, both counted
        assert res.cpu_s is not None and res.cpu_s > 0.3, res
