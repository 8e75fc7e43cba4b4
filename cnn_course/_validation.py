"""Small input checks shared by every public function.

Each helper raises a ``TypeError`` or ``ValueError`` whose message names the
argument and the valid range, so a student sees *what* to fix, e.g.::

    ValueError: stride must be an int >= 1 or a pair of them, got 0
"""
from __future__ import annotations

import numbers
from typing import Iterable, Sequence

import numpy as np


def check_int(name: str, value: object, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` after checking its type and range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_pair(name: str, value: object, minimum: int | None = 1) -> tuple[int, int]:
    """Return an ``(int, int)`` pair from an int or a pair of ints, each >= ``minimum``."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        a, b = value
    else:
        a = b = value
    where = f" >= {minimum}" if minimum is not None else ""
    try:
        return (check_int(name, a, minimum), check_int(name, b, minimum))
    except TypeError:
        raise TypeError(f"{name} must be an int{where} or a pair of them, got {value!r}") from None
    except ValueError:
        raise ValueError(f"{name} must be an int{where} or a pair of them, got {value!r}") from None


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Check that ``value`` is one of the strings in ``choices``."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_array(name: str, x: object, ndims: Sequence[int] | None = None) -> np.ndarray:
    """Return ``x`` as a numeric NumPy array, checking its number of dimensions.

    Booleans, strings and objects are rejected with a ``TypeError``.
    """
    arr = np.asarray(x)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number)):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if ndims is not None and arr.ndim not in ndims:
        want = " or ".join(str(n) for n in ndims)
        raise ValueError(f"{name} must have {want} dimensions, got shape {arr.shape}")
    return arr
