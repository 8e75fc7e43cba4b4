"""Plain data between the student's process and the grader: strict conversion and a safe file format.

A check's inputs (cases) and the student's answers to them (results) cross the boundary between
the process where student code runs and the process that decides pass/fail. Only *plain data*
crosses it:

- leaves: ``None``, ``bool``, ``int``, ``float`` (``nan``/``inf`` included), ``str`` (at most
  :data:`MAX_STR` characters) and NumPy arrays of bool, int, uint or float dtype (at most
  :data:`MAX_ARRAY_SIZE` elements);
- containers: ``list`` (a ``tuple`` becomes a list) and ``dict`` with ``str`` keys.

:func:`to_plain` converts with *exact* type checks (``type(x) is int``, ``type(x) is
np.ndarray``): it never calls a foreign object's ``__array__``, ``__iter__``, ``__int__``,
``__float__`` or ``__eq__``, so an object that pretends to be a number or an array cannot run
code in the grader, nor read anything there. Subclasses (an ``int`` whose ``__eq__`` always
says equal, an ``ndarray`` subclass) are rejected as "not plain data".

:func:`dump` writes an ``.npz`` file (no pickles): one entry per array and a JSON entry holding
the structure; :func:`load` reads it back with ``allow_pickle=False`` and validates every leaf,
the depth and the sizes, so a tampered file raises ``ValueError`` instead of delivering objects.

See also
--------
cnn_course.checks.probe : calls the student's answers and dumps their results.
cnn_course.checks.registry : the judges that read them in the grader's process.
"""
from __future__ import annotations

import io
import json
import math
import os
from typing import IO, Any

import numpy as np

__all__ = ["NotPlain", "to_plain", "plain_number", "plain_array", "describe_type", "dump", "dumps",
           "load", "loads", "MAX_STR", "a_type", "nested_numbers", "MAX_ARRAY_SIZE", "MAX_FILE_BYTES", "MAX_DEPTH"]

MAX_STR = 2000                    # characters per string
MAX_ARRAY_SIZE = 2_000_000        # elements per array
MAX_FILE_BYTES = 64 * 2 ** 20     # bytes per file
MAX_DEPTH = 12                    # nesting of lists/dicts
MAX_ITEMS = 100_000               # elements of one list or dict

_ARRAY_KINDS = "biuf"             # bool, int, uint, float
_INT_TYPES = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
              np.intp, np.uintp)
_FLOAT_TYPES = (np.float16, np.float32, np.float64)
_JSON_KEY = "__structure__"


class NotPlain(TypeError):
    """A value that is not plain data (its type name is in the message)."""


def describe_type(value: Any) -> str:
    """The name of ``value``'s class, read without calling anything the object defines."""
    cls = type(value)  # type() ignores a faked __class__
    module = cls.__module__ if isinstance(cls.__module__, str) else ""
    name = cls.__qualname__ if isinstance(cls.__qualname__, str) else "object"
    if module in ("builtins", "numpy", "__main__") or not module:
        return name
    return f"{module}.{name}"


def a_type(value: Any) -> str:
    """``"a Foo"`` / ``"an Int"``: the article and the class name of ``value``."""
    name = describe_type(value)
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def plain_number(value: Any) -> int | float | bool:
    """``value`` as a Python ``bool``, ``int`` or ``float`` if it is exactly one of those (or an
    exact NumPy scalar of such a dtype); raises :class:`NotPlain` otherwise."""
    cls = type(value)
    if cls is bool or cls is np.bool_:
        return bool(value)
    if cls is int:
        return int.__index__(value)
    if cls is float:
        return float.__float__(value)
    if cls in _INT_TYPES:
        return int(value)
    if cls in _FLOAT_TYPES:
        return float(value)
    raise NotPlain(f"{a_type(value)}, not a number")


def plain_array(value: Any, max_size: int = MAX_ARRAY_SIZE) -> np.ndarray:
    """A fresh copy of ``value`` if it is exactly an ``np.ndarray`` of bool/int/uint/float dtype.

    Raises
    ------
    NotPlain
        For anything else (a subclass, an object with ``__array__``, an object array, ...).
    ValueError
        When the array has more than ``max_size`` elements.
    """
    if type(value) is not np.ndarray:
        raise NotPlain(f"{a_type(value)}, not a NumPy array")
    dtype = value.dtype  # an exact ndarray: no attribute of the student's runs
    if dtype.kind not in _ARRAY_KINDS:
        raise NotPlain(f"an array of dtype {dtype}, not of numbers")
    if value.size > max_size:
        raise ValueError(f"an array of {value.size} elements (at most {max_size})")
    return np.array(value, dtype=dtype, copy=True)


def nested_numbers(value: Any, depth: int = 0) -> list | int | float | bool:
    """A list (or nested lists) of exact Python/NumPy numbers, copied as plain data."""
    if depth > MAX_DEPTH:
        raise NotPlain("too deeply nested lists")
    cls = type(value)
    if cls is list or cls is tuple:
        items = list.__iter__(value) if cls is list else tuple.__iter__(value)
        out = [nested_numbers(v, depth + 1) for v in items]
        if len(out) > MAX_ITEMS:
            raise ValueError(f"a list of {len(out)} items (at most {MAX_ITEMS})")
        return out
    return plain_number(value)


def to_plain(value: Any, depth: int = 0) -> Any:
    """Convert ``value`` to plain data (see the module docstring), strictly.

    ``tuple`` becomes ``list``; NumPy scalars become Python numbers; arrays are copied.

    Raises
    ------
    NotPlain
        Naming the first value that is not plain data.
    ValueError
        When a size limit is exceeded.
    """
    if depth > MAX_DEPTH:
        raise NotPlain("data nested too deeply")
    cls = type(value)
    if value is None:
        return None
    if cls is str:
        if len(value) > MAX_STR:
            return str.__getitem__(value, slice(0, MAX_STR - 3)) + "..."
        return str(str.__str__(value))
    if cls is np.ndarray:
        return plain_array(value)
    if cls is list or cls is tuple:
        items = list(list.__iter__(value) if cls is list else tuple.__iter__(value))
        if len(items) > MAX_ITEMS:
            raise ValueError(f"a list of {len(items)} items (at most {MAX_ITEMS})")
        return [to_plain(v, depth + 1) for v in items]
    if cls is dict:
        out = {}
        for key, item in dict.items(value):
            if type(key) is not str:
                raise NotPlain(f"a dict key of type {describe_type(key)}")
            out[str.__str__(key)] = to_plain(item, depth + 1)
        return out
    return plain_number(value)


# --------------------------------------------------------------------------- file format
def _split(value: Any, arrays: list[np.ndarray]) -> Any:
    """The JSON-able structure of plain ``value``, arrays replaced by ``{"__array__": i}``."""
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return {"__array__": len(arrays) - 1}
    if isinstance(value, list):
        return [_split(v, arrays) for v in value]
    if isinstance(value, dict):
        if "__array__" in value:
            raise ValueError("the key '__array__' is reserved")
        return {k: _split(v, arrays) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    return value


def dumps(obj: Any) -> bytes:
    """The bytes of the ``.npz`` file :func:`dump` writes."""
    plain = to_plain(obj)
    arrays: list[np.ndarray] = []
    structure = json.dumps(_split(plain, arrays), allow_nan=False)
    entries = {f"a{i}": a for i, a in enumerate(arrays)}
    entries[_JSON_KEY] = np.array(structure)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **entries)
    data = buffer.getvalue()
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{len(data)} bytes of data (at most {MAX_FILE_BYTES})")
    return data


def dump(path: str | os.PathLike | IO[bytes], obj: Any) -> None:
    """Write plain ``obj`` to ``path`` (an ``.npz`` file: arrays plus a JSON structure).

    Raises :class:`NotPlain` if ``obj`` is not plain data; nothing is written then.
    """
    data = dumps(obj)
    if hasattr(path, "write"):
        path.write(data)
        return
    with open(path, "wb") as handle:
        handle.write(data)


def _join(value: Any, arrays: dict[str, np.ndarray], used: set[str], depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError("data nested too deeply")
    if value is None or type(value) in (bool, int):
        return value
    if type(value) is float:
        return value
    if type(value) is str:
        if len(value) > MAX_STR:
            raise ValueError(f"a string of {len(value)} characters (at most {MAX_STR})")
        return value
    if type(value) is list:
        if len(value) > MAX_ITEMS:
            raise ValueError(f"a list of {len(value)} items (at most {MAX_ITEMS})")
        return [_join(v, arrays, used, depth + 1) for v in value]
    if type(value) is dict:
        if set(value) == {"__array__"}:
            key = f"a{value['__array__']}"
            if type(value["__array__"]) is not int or key not in arrays:
                raise ValueError(f"reference to a missing array {value['__array__']!r}")
            used.add(key)
            return arrays[key]
        if set(value) == {"__float__"}:
            if value["__float__"] not in ("nan", "inf", "-inf"):
                raise ValueError(f"bad float {value['__float__']!r}")
            return float(value["__float__"])
        return {k: _join(v, arrays, used, depth + 1) for k, v in value.items()}
    raise ValueError(f"unexpected {type(value).__name__} in the structure")


def loads(data: bytes, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Read the bytes of a file written by :func:`dump`; see :func:`load`."""
    if len(data) > max_bytes:
        raise ValueError(f"{len(data)} bytes of data (at most {max_bytes})")
    try:
        npz = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:
        raise ValueError(f"not a plain-data file: {type(exc).__name__}: {exc}") from None
    with npz:
        arrays: dict[str, np.ndarray] = {}
        structure = None
        for name in npz.files:
            try:
                value = npz[name]
            except Exception as exc:  # pickled object arrays are refused by allow_pickle=False
                raise ValueError(f"entry {name!r}: {type(exc).__name__}: {exc}") from None
            if name == _JSON_KEY:
                if value.dtype.kind != "U" or value.ndim != 0:
                    raise ValueError("the structure entry is not a string")
                structure = str(value)
                continue
            if value.dtype.kind not in _ARRAY_KINDS:
                raise ValueError(f"entry {name!r} has dtype {value.dtype}, not numbers")
            if value.size > MAX_ARRAY_SIZE:
                raise ValueError(f"entry {name!r} has {value.size} elements "
                                 f"(at most {MAX_ARRAY_SIZE})")
            arrays[name] = value
    if structure is None:
        raise ValueError("no structure entry: not a file written by cnn_course.checks.serialize")

    def no_constants(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    try:
        tree = json.loads(structure, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        raise ValueError(f"bad structure: {exc}") from None
    used: set[str] = set()
    return _join(tree, arrays, used)


def load(path: str | os.PathLike | IO[bytes], max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Read a file written by :func:`dump`, validating every leaf.

    Parameters
    ----------
    path : path or binary file
    max_bytes : int
        Files larger than this are refused before they are read.

    Raises
    ------
    ValueError
        If the file is larger than ``max_bytes``, is not an ``.npz`` written by :func:`dump`,
        holds a pickle, an array of a non-numeric dtype, or a structure that is not plain data.
    """
    if hasattr(path, "read"):
        data = path.read(max_bytes + 1)
    else:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise ValueError(f"{path}: {size} bytes (at most {max_bytes})")
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    return loads(data, max_bytes)
