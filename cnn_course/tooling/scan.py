"""Read a student's code without running it (``ast``): what the teacher should look at.

Two questions, both answered from the source text of the student's code cells:

- :func:`reaching_notes`: does the code reach for the kernel or the interpreter
  (``get_ipython``, ``sys._getframe``, ``__code__``, ``builtins``, ``importlib``, ``/proc``,
  ``fork``, ``ctypes``, ``subprocess``, ...)? Such code is flagged for the teacher; it does
  not change the score (the grade is decided outside the student's process anyway).
- :func:`uses_any`: does the code use one of the library shortcuts an exercise forbids
  (``cnn_course.conv2d``, ``scipy.signal``, ``tf.nn.conv2d``)? Names are resolved through
  ``import ... as`` aliases, so ``import cnn_course as cc; cc.conv2d(...)`` is
  ``cnn_course.conv2d``.

A static scan cannot see code built at run time (``exec`` of a computed string,
``getattr(module, name)`` with a computed name); those constructs are flagged instead.
"""
from __future__ import annotations

import ast
from typing import Iterable

#: Dotted names (or their prefixes) that reach for the kernel or the interpreter.
REACHING = (
    "get_ipython", "sys._getframe", "sys.modules", "sys.settrace", "sys.setprofile",
    "sys.addaudithook", "builtins", "importlib", "inspect", "gc", "ctypes", "subprocess",
    "os.system", "os.fork", "os.forkpty", "os.popen", "os.exec", "os.spawn", "os.kill",
    "os.setsid", "os._exit", "multiprocessing", "signal", "socket", "shutil", "IPython",
    "pty", "threading", "atexit", "site", "runpy", "marshal", "pickle", "types.CodeType",
    "types.FunctionType", "cnn_course.checks", "pytest", "nbval",
)
#: Attributes whose use reads or rewrites the interpreter's internals.
DUNDER = {"__code__", "__globals__", "__builtins__", "__import__", "__closure__",
          "__subclasses__", "__dict__", "__class__", "__bases__", "__mro__", "f_back",
          "f_locals", "f_globals", "gi_frame", "tb_frame", "__array__", "__array_interface__",
          "__array_function__", "__array_ufunc__", "__eq__", "__int__", "__index__",
          "__float__", "__iter__", "__getattr__", "__getattribute__", "__init_subclass__"}
#: Calls that run or look up code chosen at run time.
DYNAMIC = {"exec", "eval", "compile", "__import__", "getattr", "setattr", "delattr", "globals",
           "vars", "open", "breakpoint"}
#: Text that names what no answer needs.
STRINGS = ("/proc", "solutions", "site-packages", "cnn_course/", "kernel.json", ".ipython",
           "startup", "sitecustomize", "conftest", "grades.", "gradebook", "junit")


def dotted_names(tree: ast.AST) -> set[str]:
    """Every dotted name the code uses, with import aliases resolved to module paths."""
    alias: dict[str, str] = {}
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    alias[a.asname] = a.name
                else:
                    root = a.name.split(".")[0]
                    alias[root] = root
                names.add(a.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                alias[a.asname or a.name] = full
                names.add(full)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)):
            parts: list[str] = []
            cur: ast.AST = node
            while isinstance(cur, ast.Attribute):
                parts.append(cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name):
                root = alias.get(cur.id, cur.id)
                names.add(".".join([root] + parts[::-1]))
    # The names as written too (``tf.nn.conv2d``), and one spelling of TensorFlow's Keras.
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts, cur = [], node
            while isinstance(cur, ast.Attribute):
                parts.append(cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name):
                names.add(".".join([cur.id] + parts[::-1]))
    for name in list(names):
        for long, short in (("tensorflow.keras.", "keras."), ("tf.keras.", "keras."),
                            ("tensorflow.", "tf.")):
            if name.startswith(long):
                names.add(short + name[len(long):])
    # a.b.c also uses a.b and a
    for name in list(names):
        pieces = name.split(".")
        names.update(".".join(pieces[:i]) for i in range(1, len(pieces)))
    return names


def _matches(name: str, pattern: str) -> bool:
    return name == pattern or name.startswith(pattern + ".") or (
        pattern.endswith(("exec", "spawn")) and name.startswith(pattern))


def _parse(sources: Iterable[str]) -> tuple[list[ast.AST], list[str]]:
    trees, problems = [], []
    for index, source in enumerate(sources):
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            trees.append(ast.parse("\n".join(lines)))
        except SyntaxError as exc:
            problems.append(f"a code cell does not parse ({exc.msg}, line {exc.lineno})")
        if any(ln.lstrip().startswith(("%", "!")) for ln in source.splitlines()):
            problems.append("a code cell uses IPython magics or shell commands (% or !)")
    return trees, problems


def reaching_notes(sources: Iterable[str]) -> list[str]:
    """Sorted, de-duplicated notes naming what the code reaches for (empty when nothing)."""
    trees, notes = _parse(sources)
    found: set[str] = set()
    for tree in trees:
        names = dotted_names(tree)
        found.update(p for p in REACHING if any(_matches(n, p) for n in names))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in DUNDER:
                found.add(node.attr)
            elif isinstance(node, ast.Name) and node.id in DUNDER:
                found.add(node.id)
            elif isinstance(node, ast.FunctionDef) and node.name in DUNDER:
                found.add(f"defines {node.name}")
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in DYNAMIC):
                found.add(f"{node.func.id}()")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.update(f"the text {s!r}" for s in STRINGS if s in node.value)
    if found:
        notes.append("reaches for the kernel or the interpreter: " + ", ".join(sorted(found)))
    return sorted(set(notes))


def uses_any(sources: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    """The forbidden dotted names (e.g. ``"cnn_course.conv2d"``) the code uses, sorted."""
    forbidden = list(forbidden)
    if not forbidden:
        return []
    trees, _ = _parse(sources)
    used: set[str] = set()
    for tree in trees:
        names = dotted_names(tree)
        used.update(f for f in forbidden if any(_matches(n, f) for n in names))
    return sorted(used)
