"""Small input checks shared by every public function.

Each helper raises a ``TypeError`` or ``ValueError`` whose message names the
argument and the valid range, so a student sees *what* to fix, e.g.::

    ValueError: stride must be an int >= 1 or a pair of them, got 0

Size limit
----------
:data:`MAX_ELEMENTS` (``2**28``: at most 268,435,456 values, about 2 GiB of float64
or 1 GiB of float32) caps every array that a NumPy operation of the course *creates*
from its arguments: a padded image, an im2col window matrix, a kernel, an output.
:func:`check_size` checks the shape *before* anything is allocated, so a typo such as
``padding=10**5`` gives a ``ValueError`` naming the argument at once instead of a
``MemoryError: Unable to allocate 298. GiB`` from deep inside NumPy (or a frozen
machine). Inputs the caller already holds are never limited.
"""
from __future__ import annotations

import math
import numbers
from typing import Iterable, Sequence

import numpy as np

from ._lazy import is_imported, keras

__all__ = ["MAX_ELEMENTS", "check_int", "check_pair", "check_choice", "check_array",
           "check_real_array", "check_size", "check_model"]

MAX_ELEMENTS: int = 2**28
"""Most values an array created by the course's NumPy operations may hold (268,435,456:
about 2 GiB of float64). Read at call time, so it can be changed for a bigger machine."""


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


def check_real_array(name: str, x: object, ndims: Sequence[int] | None = None,
                     allow_empty: bool = False) -> np.ndarray:
    """Return ``x`` as a real (integer or floating) NumPy array.

    Like :func:`check_array`, and also rejects complex arrays (``TypeError``) and, unless
    ``allow_empty``, arrays with a zero-length axis (``ValueError``).

    Examples
    --------
    >>> check_real_array("x", [[1, 2]]).shape
    (1, 2)
    >>> check_real_array("x", [1j])
    Traceback (most recent call last):
    TypeError: x must be a real (int or float) array, got dtype complex128
    >>> check_real_array("x", np.zeros((0, 3)))
    Traceback (most recent call last):
    ValueError: x must not be empty; got shape (0, 3)
    """
    arr = check_array(name, x, ndims)
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be a real (int or float) array, got dtype {arr.dtype}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    return arr


def check_size(name: str, shape: Sequence[int], what: str, hint: str = "") -> None:
    """Raise a ``ValueError`` naming ``name`` if an array of ``shape`` would be too big.

    "Too big" means more than :data:`MAX_ELEMENTS` values. Call it *before* allocating;
    the product is computed with Python ints, so it never overflows.

    Parameters
    ----------
    name : str
        The argument that makes the array this big (named in the message).
    shape : sequence of int
        Shape of the array about to be created.
    what : str
        What the array is, e.g. ``"the padded input"``.
    hint : str
        What to do instead (appended to the message).

    Examples
    --------
    >>> check_size("padding", (1, 100, 100, 3), "the padded input")
    >>> check_size("padding", (1, 200_000, 200_000, 1), "the padded input")
    Traceback (most recent call last):
    ValueError: padding too large: the padded input would have shape (1, 200000, 200000, 1) = 40,000,000,000 values (298.0 GiB of float64), more than the limit of 268,435,456 values (cnn_course._validation.MAX_ELEMENTS, 2.0 GiB of float64)
    """
    shape = tuple(int(n) for n in shape)
    n = math.prod(shape)
    limit = MAX_ELEMENTS
    if n <= limit:
        return
    gib = 8 / 2**30
    message = (f"{name} too large: {what} would have shape {shape} = {n:,} values "
               f"({n * gib:.1f} GiB of float64), more than the limit of {limit:,} values "
               f"(cnn_course._validation.MAX_ELEMENTS, {limit * gib:.1f} GiB of float64)")
    raise ValueError(message + (f"; {hint}" if hint else ""))


def check_model(model: object, name: str = "model") -> None:
    """Raise a ``TypeError`` unless ``model`` is a ``keras.Model``.

    The check never imports Keras: while Keras is not imported no ``keras.Model`` can
    exist, so a wrong argument (e.g. a model *name*) is reported without TensorFlow's
    start-up.
    """
    if not is_imported("keras") or not isinstance(model, keras.Model):
        raise TypeError(f"{name} must be a keras.Model (e.g. cnn_course.build_model(...)), "
                        f"got {type(model).__name__}")
