"""Run one student's code where it cannot reach the grader, the course or other students.

Two levels, chosen once per machine by :func:`isolation`:

``bubblewrap``
    Debian's ``bwrap`` (the sandbox Flatpak uses). The command sees a new mount namespace
    holding only: the system folders (``/usr``, ``/etc``, ...), the Python installation and the
    ``cnn_course`` package (read-only), the data sets (read-only), a private ``/tmp`` and the
    student's scratch folder (the only writable place). Every other namespace is new
    (``--unshare-all``: no network, own PIDs, IPC, hostname), the user inside is ``nobody``
    (a user namespace), the process gets a new session and dies with the grader.
``processes``
    The fallback where ``bwrap`` is missing or refused: a new session (own process group),
    scratch ``HOME``/``TMPDIR``/``IPYTHONDIR``/``JUPYTER_*`` folders, resource limits, and the
    whole process group killed at the end. The student's code can still read and write
    whatever the grader's user can: the report says so.

Both levels apply the same limits (``resource.setrlimit`` before ``exec``): address space
(memory), CPU seconds and, where the kernel enforces it, the number of processes; plus a
wall-clock limit after which the whole process group is killed. Where the machine allows it
(root with a writable ``pids`` cgroup), the process count is capped by a cgroup too, since
``RLIMIT_NPROC`` does not bind processes that root owns.
"""
from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

BWRAP = "bwrap"
NOBODY = 65534
SYSTEM_DIRS = ("/usr", "/etc", "/opt")
MERGED_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_PIDS_CGROUP = Path("/sys/fs/cgroup/pids")
_CPUACCT_CGROUP = Path("/sys/fs/cgroup/cpuacct")
TOKEN_VAR = "CNN_COURSE_SANDBOX"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run.

    Attributes
    ----------
    wall_s : float
        Seconds before the whole process group is killed.
    cpu_s : int
        CPU seconds of each process (``RLIMIT_CPU``).
    memory_bytes : int
        Address space of each process (``RLIMIT_AS``). TensorFlow reserves a lot of virtual
        memory: keep it at several GiB.
    processes : int
        Processes and threads (``RLIMIT_NPROC`` and the ``pids`` cgroup where available).
    file_bytes : int
        Largest file a process may write (``RLIMIT_FSIZE``).
    """

    wall_s: float = 600.0
    cpu_s: int = 1200
    memory_bytes: int = 16 << 30
    processes: int = 512
    file_bytes: int = 512 << 20

    def __post_init__(self) -> None:
        for name in ("wall_s", "cpu_s", "memory_bytes", "processes", "file_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"Limits.{name} must be a number > 0, got {value!r}")


@dataclass
class SandboxResult:
    """What came back from a sandboxed command (the grader trusts none of its content)."""

    returncode: int | None
    timed_out: bool
    seconds: float
    output: str
    isolation: str
    notes: list[str] = field(default_factory=list)
    cpu_s: float | None = None  # CPU seconds of all its processes, where a cgroup measured it


def python() -> str:
    """This interpreter's path without ``..`` (the sandbox sees only the bound folders)."""
    return os.path.abspath(sys.executable)


@functools.lru_cache(maxsize=1)
def isolation() -> str:
    """``"bubblewrap"`` when ``bwrap`` runs a full sandbox on this machine, else ``"processes"``.

    The probe runs the current Python inside the same sandbox the grader uses, so a machine
    where ``bwrap`` exists but user namespaces are forbidden falls back cleanly.
    """
    if shutil.which(BWRAP) is None:
        return "processes"
    scratch = Path(os.environ.get("TMPDIR", "/tmp")) / f"cnn-course-probe-{uuid.uuid4().hex}"
    scratch.mkdir(parents=True)
    try:
        cmd = _bwrap_prefix(scratch, ()) + [python(), "-c", "import cnn_course"]
        proc = subprocess.run(cmd, capture_output=True, timeout=60, cwd=scratch)
        return "bubblewrap" if proc.returncode == 0 else "processes"
    except (OSError, subprocess.SubprocessError):
        return "processes"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def isolation_note(level: str) -> str:
    """The sentence the report carries about how the students' code was isolated."""
    if level == "bubblewrap":
        return ("isolation: bubblewrap (own mount/user/PID/network namespaces, read-only course, "
                "no network) with memory, CPU, process and time limits")
    return ("isolation: processes only (bubblewrap is not available here): own session and "
            "scratch folders with memory, CPU and time limits, but the student's code could read "
            "and write the grader's files; grade on a machine with bubblewrap "
            "(apt-get install bubblewrap) for a sandbox")


def read_only_paths(extra: Sequence[str | Path] = ()) -> list[Path]:
    """Folders the sandbox sees read-only: Python, the course package, ``extra`` (data sets)."""
    import cnn_course

    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(python()).parent.parent,
             Path(cnn_course.__file__).resolve().parent}
    for raw in extra:
        paths.add(Path(raw).resolve())
    # Inside a bound folder already: no second bind needed.
    ordered = sorted(p for p in paths if p.exists())
    return [p for p in ordered if not any(q != p and q in p.parents for q in ordered)]


def _bwrap_prefix(scratch: Path, extra_ro: Sequence[str | Path]) -> list[str]:
    cmd = [BWRAP, "--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
           "--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev",
           "--tmpfs", "/tmp"]
    for name in MERGED_DIRS:
        path = Path(name)
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), name]
        elif path.is_dir():
            cmd += ["--ro-bind", name, name]
    for name in SYSTEM_DIRS:
        if Path(name).is_dir():
            cmd += ["--ro-bind", name, name]
    for path in read_only_paths(extra_ro):
        if not any(str(path) == d or str(path).startswith(d + "/") for d in SYSTEM_DIRS):
            cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--bind", str(scratch), str(scratch), "--chdir", str(scratch)]
    return cmd


def scratch_env(scratch: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a sandboxed run: every per-user folder points into ``scratch``.

    Only a short list of variables passes from the grader (``PATH``, locale, the course's
    mode and data variables); the rest, credentials included, never reaches the student.
    """
    base = dict(os.environ if base is None else base)
    keep = ("PATH", "LANG", "LC_ALL", "CNN_COURSE_MODE", "CNN_COURSE_DATA", "KERAS_HOME",
            "TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND", "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES",
            "PYTHONHASHSEED")
    env = {k: base[k] for k in keep if k in base}
    env.setdefault("PATH", "/usr/bin:/bin")
    home = scratch / "home"
    dirs = {"HOME": home, "TMPDIR": scratch / "tmp", "IPYTHONDIR": home / ".ipython",
            "JUPYTER_CONFIG_DIR": home / ".jupyter", "JUPYTER_DATA_DIR": home / ".jupyter-data",
            "JUPYTER_RUNTIME_DIR": home / ".jupyter-runtime", "MPLCONFIGDIR": home / ".matplotlib",
            "XDG_CACHE_HOME": home / ".cache", "XDG_CONFIG_HOME": home / ".config"}
    for name, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["JUPYTER_PATH"] = str(scratch / "jupyter")  # the grader's kernelspec, first in the path
    import cnn_course  # the kernel imports the very package the grader runs, wherever it lies

    env["PYTHONPATH"] = str(Path(cnn_course.__file__).resolve().parent.parent)
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("CNN_COURSE_MODE", "quick")
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def write_kernelspec(scratch: Path, name: str = "cnn-course-grader") -> str:
    """Write ``scratch/jupyter/kernels/<name>/kernel.json`` running this Python; return ``name``.

    The kernelspec lives in the student's own scratch folder, so no student can change the
    kernel another student's notebook runs in.
    """
    import json

    folder = scratch / "jupyter" / "kernels" / name
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [python(), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "cnn-course grader", "language": "python",
            "env": {"PYTHONNOUSERSITE": "1"}}
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return name


class _Cgroups:
    """Cgroups (v1) of one run, where root may create them: ``pids`` caps the processes,
    ``cpuacct`` measures the CPU seconds of every process the run started (the report's
    ``cpu_s``; the rusage of children that die in a PID namespace is lost to the grader)."""

    def __init__(self, limit: int) -> None:
        self.paths: dict[str, Path] = {}
        if os.geteuid() != 0:
            return
        name = f"cnn-course-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        for kind, root in (("pids", _PIDS_CGROUP), ("cpuacct", _CPUACCT_CGROUP)):
            root = _own_cgroup(kind, root)  # nested in the grader's own: its totals include it
            if root is None or not (root / "cgroup.procs").exists():
                continue
            path = root / name
            try:
                path.mkdir()
                if kind == "pids":
                    (path / "pids.max").write_text(str(limit))
                self.paths[kind] = path
            except OSError:
                _rmdir(path)

    def join(self) -> None:  # called in the child, before exec
        for path in self.paths.values():
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def cpu_seconds(self) -> float | None:
        """CPU seconds (user + system) used by the run so far, or ``None`` when not measured."""
        path = self.paths.get("cpuacct")
        try:
            return int((path / "cpuacct.usage").read_text()) / 1e9 if path else None
        except (OSError, ValueError):
            return None

    def kill_all_and_remove(self) -> None:
        for path in self.paths.values():
            for _ in range(50):
                try:
                    pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
                except OSError:
                    pids = []
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.05)
            _rmdir(path)


def _own_cgroup(kind: str, mount: Path) -> Path | None:
    """The folder of this process's cgroup in the v1 hierarchy ``kind`` mounted at ``mount``."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if kind in controllers.split(","):
            return mount / path.lstrip("/")
    return None


def _rmdir(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass


def _preexec(limits: Limits, cgroup: _Cgroups):
    def apply() -> None:
        cgroup.join()
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def run_sandboxed(command: Sequence[str], scratch: str | Path, limits: Limits = Limits(),
                  read_only: Sequence[str | Path] = (), level: str | None = None,
                  env: dict[str, str] | None = None) -> SandboxResult:
    """Run ``command`` in the sandbox with ``scratch`` as its only writable folder.

    Parameters
    ----------
    command : sequence of str
        The program and its arguments (paths as seen inside: the same as outside).
    scratch : path
        An existing folder owned by this run; it becomes the working directory.
    limits : Limits
        Memory, CPU, process and wall-clock limits.
    read_only : sequence of paths
        Extra folders to show read-only (data sets).
    level : {"bubblewrap", "processes"}, optional
        Force an isolation level; by default :func:`isolation` chooses.
    env : dict, optional
        The environment; by default :func:`scratch_env`.

    Returns
    -------
    SandboxResult
        Exit status, whether the wall-clock limit killed it, its combined output (capped).
        Every process the command started is dead when this returns.
    """
    scratch = Path(scratch).resolve()
    if not scratch.is_dir():
        raise ValueError(f"scratch must be an existing folder, got {str(scratch)!r}")
    level = level or isolation()
    if level not in ("bubblewrap", "processes"):
        raise ValueError(f"level must be 'bubblewrap' or 'processes', got {level!r}")
    env = scratch_env(scratch) if env is None else dict(env)
    token = uuid.uuid4().hex
    env[TOKEN_VAR] = token  # finds escaped processes in the fallback (see _kill_marked)
    full = list(command)
    if level == "bubblewrap":
        full = _bwrap_prefix(scratch, read_only) + full
    log_path = scratch.parent / f".{scratch.name}.log"  # outside the scratch: not replaceable
    cgroup = _Cgroups(limits.processes)
    start = time.monotonic()
    timed_out = False
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(full, cwd=scratch, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_preexec(limits, cgroup))
        try:
            proc.wait(timeout=limits.wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc.pid)
            cpu_s = cgroup.cpu_seconds()
            cgroup.kill_all_and_remove()
            _kill_marked(token)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - unkillable process
                pass
    seconds = time.monotonic() - start
    with open(log_path, "rb") as log:
        log.seek(0, os.SEEK_END)
        size = log.tell()
        log.seek(max(0, size - 200_000))
        output = log.read().decode("utf-8", "replace")
    log_path.unlink(missing_ok=True)
    return SandboxResult(None if timed_out else proc.returncode, timed_out, seconds, output, level,
                         cpu_s=cpu_s)


def _kill_group(pgid: int) -> None:
    """SIGKILL the process group ``pgid`` (the sandbox's session), ignoring one that is gone."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_marked(token: str) -> None:
    """SIGKILL every process whose environment carries this run's token.

    Catches children that left the process group with ``setsid()`` in the fallback level
    (with bubblewrap the PID namespace already ends them all). A process that also cleared
    its environment escapes this; the ``pids`` cgroup, where available, does not.
    """
    marker = f"{TOKEN_VAR}={token}".encode()
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            continue
