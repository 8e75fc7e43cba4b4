"""How the course's own errors show in a student's Jupyter kernel: a message, and Run All goes on.

Two errors are part of the exercises' normal life, not bugs:

- a check that fails (:class:`cnn_course.checks.CheckFailed`, raised by every ``check_...``
  function and by ``check_answer``);
- an answer that is still the exercise's stub: ``raise NotImplementedError("<hint>")``, in a
  cell or in a function the student has not written yet ("answer missing").

In an IPython kernel both are shown as one red line (``CheckFailed: <message>``,
``answer missing: <hint>``) without the traceback through the course's code. And unless
checks are *strict*, the cell is then reported to the front end as finished, not failed, so
**Run All runs every cell**: a student opening an untouched exercise sees the status of every
task, not only the first stub's. Any other error stops Run All as usual.

Strict mode (environment variable ``CNN_COURSE_STRICT_CHECKS=1``) keeps the failure a failed
cell, for tools that must stop on a failing check: ``course.sh test`` and ``tests/conftest.py``
set it, so nbclient runs of the solutions stop on a failing check. nbval fails a cell on
the error it shows in either mode, and the grader decides grades from its own probes
(:mod:`cnn_course.checks.probe`), so neither depends on this module.

Bottom layer: imports nothing from the package (``checks`` registers its exception type here
when it is imported; :func:`cnn_course.setup` registers the stub handling).
"""
from __future__ import annotations

import linecache
import os
import sys
from typing import Any

__all__ = ["STRICT_ENV", "strict_checks", "is_answer_missing", "is_course_error", "register"]

STRICT_ENV = "CNN_COURSE_STRICT_CHECKS"
_EXCEPTIONS: list[type] = [NotImplementedError]
_CALLBACKS: set[int] = set()   # ids of the shells whose post_run_cell hook is registered


def strict_checks() -> bool:
    """Whether a failing check (or a stub) must stay a failed cell (env ``CNN_COURSE_STRICT_CHECKS``
    set to ``1``, ``true`` or ``yes``)."""
    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes")


def _notebook_frame(tb: Any) -> Any:
    """The innermost frame of ``tb`` when its code was typed in a notebook cell, else None.

    IPython caches the text of each cell in :mod:`linecache` with no modification time; real
    files have one."""
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return None
    filename = tb.tb_frame.f_code.co_filename
    entry = linecache.cache.get(filename)
    if filename.startswith("<") or (entry is not None and entry[1] is None):
        return tb.tb_frame
    return None


def is_answer_missing(exc: BaseException) -> bool:
    """A ``NotImplementedError`` raised by notebook code itself: an exercise's stub."""
    return (isinstance(exc, NotImplementedError) and type(exc) is NotImplementedError
            and _notebook_frame(exc.__traceback__) is not None)


def _check_failed_type() -> type | None:
    checks = sys.modules.get("cnn_course.checks")
    return getattr(checks, "CheckFailed", None)


def is_course_error(exc: BaseException | None) -> bool:
    """A failing check or a stub: shown as a message, and (unless strict) not a failed cell."""
    if exc is None:
        return False
    check_failed = _check_failed_type()
    return (check_failed is not None and isinstance(exc, check_failed)) or is_answer_missing(exc)


def _message(exc: BaseException) -> str:
    if is_answer_missing(exc):
        frame = _notebook_frame(exc.__traceback__)
        where = ("this cell" if frame is None or frame.f_code.co_name == "<module>"
                 else f"`{frame.f_code.co_name}`")
        return (f"\x1b[31manswer missing\x1b[39m: {where} is still the exercise's stub. "
                f"{exc}".rstrip())
    return f"\x1b[31m{type(exc).__name__}\x1b[39m: {exc}"


def _show(shell: Any, etype: type, evalue: BaseException, tb: Any, tb_offset: Any = None) -> None:
    """IPython's custom exception handler: the course's errors as one message, others as usual."""
    if is_course_error(evalue):
        shell._showtraceback(etype, evalue, [_message(evalue)])
    else:
        shell.showtraceback((etype, evalue, tb), tb_offset=tb_offset)


def _after_cell(result: Any) -> None:
    """``post_run_cell``: a failing check or a stub does not stop Run All (unless strict)."""
    if not strict_checks() and is_course_error(getattr(result, "error_in_exec", None)):
        result.error_in_exec = None


def register(exception: type | None = None, shell: Any = None) -> bool:
    """In an IPython kernel, show the course's errors as messages and let Run All go on.

    Parameters
    ----------
    exception : type, optional
        One more exception class to handle (``checks`` passes ``CheckFailed``).
    shell : optional
        The IPython shell; by default the running one. Outside IPython nothing happens.

    Returns
    -------
    bool
        Whether a shell was found and the handlers are in place.
    """
    if exception is not None and exception not in _EXCEPTIONS:
        _EXCEPTIONS.append(exception)
    if shell is None:
        ipython_module = sys.modules.get("IPython")
        if ipython_module is None:
            return False
        try:
            shell = ipython_module.get_ipython()
        except Exception:
            return False
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    shell.set_custom_exc(tuple(_EXCEPTIONS), _show)
    if id(shell) not in _CALLBACKS and hasattr(shell, "events"):
        shell.events.register("post_run_cell", _after_cell)
        _CALLBACKS.add(id(shell))
    return True
