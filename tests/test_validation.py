"""The shared input checks of cnn_course._validation, and the size limit that every NumPy
operation applies before allocating (the three cases of issue 12 that used to die with
``MemoryError: Unable to allocate 298. GiB`` now fail at once with a ValueError)."""
from __future__ import annotations

import doctest
import re
import time

import numpy as np
import pytest

from cnn_course import _validation as V
from cnn_course import conv, filters, padding, pooling


# ----------------------------------------------------------------------------- the helpers
def test_docstring_examples():
    assert doctest.testmod(V, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


def test_check_int():
    assert V.check_int("n", np.int64(3), 1, 5) == 3 and type(V.check_int("n", np.int8(3))) is int
    for value, exc, message in [(True, TypeError, "n must be an int, got bool True"),
                                (2.0, TypeError, "n must be an int, got float 2.0"),
                                (0, ValueError, "n must be >= 1, got 0"),
                                (6, ValueError, "n must be <= 5, got 6")]:
        with pytest.raises(exc, match=re.escape(message)):
            V.check_int("n", value, 1, 5)


def test_check_pair_and_choice():
    assert V.check_pair("stride", 2) == (2, 2)
    assert V.check_pair("stride", [1, 3]) == (1, 3)
    assert V.check_pair("pad", (0, 0), minimum=0) == (0, 0)
    with pytest.raises(ValueError, match=re.escape("stride must be an int >= 1 or a pair of them, "
                                                   "got (1, 0)")):
        V.check_pair("stride", (1, 0))
    with pytest.raises(TypeError, match="stride must be an int >= 1 or a pair"):
        V.check_pair("stride", (1, 1.5))
    with pytest.raises(ValueError, match="stride must be an int or a pair of ints"):
        V.check_pair("stride", (1, 2, 3))
    assert V.check_choice("mode", "max", ("max", "avg")) == "max"
    with pytest.raises(ValueError, match="mode must be one of 'max', 'avg'; got 'MAX'"):
        V.check_choice("mode", "MAX", ("max", "avg"))


@pytest.mark.parametrize("value, ndims, allow_empty, exc, message", [
    (np.array([True]), None, False, TypeError, "x must be a numeric array, got dtype bool"),
    (np.array(["a"]), None, False, TypeError, "x must be a numeric array, got dtype <U1"),
    (np.array([None]), None, False, TypeError, "x must be a numeric array, got dtype object"),
    (np.array([1 + 2j]), None, False, TypeError,
     "x must be a real (int or float) array, got dtype complex128"),
    (np.zeros((2, 0)), None, False, ValueError, "x must not be empty; got shape (2, 0)"),
    (np.zeros(3), (2, 4), False, ValueError, "x must have 2 or 4 dimensions, got shape (3,)"),
])
def test_check_real_array_rejects(value, ndims, allow_empty, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        V.check_real_array("x", value, ndims, allow_empty)


def test_check_real_array_accepts():
    for value in ([1, 2], np.uint8(3), 2.5, np.zeros((2, 3), np.float32)):
        assert V.check_real_array("x", value).dtype.kind in "uif"
    assert V.check_real_array("x", np.zeros((0, 3)), allow_empty=True).shape == (0, 3)
    x = np.ones((2, 2))
    assert V.check_real_array("x", x) is x  # no copy


def test_check_size_limit_and_message(monkeypatch):
    V.check_size("x", (V.MAX_ELEMENTS,), "the output")          # exactly the limit is fine
    with pytest.raises(ValueError) as info:
        V.check_size("padding", (V.MAX_ELEMENTS + 1,), "the padded input", "use less padding")
    message = str(info.value)
    assert message.startswith("padding too large: the padded input would have shape")
    assert "more than the limit of 268,435,456 values" in message and "MAX_ELEMENTS" in message
    assert message.endswith("; use less padding")
    assert V.MAX_ELEMENTS == 2**28
    # no overflow for absurd shapes (Python ints)
    with pytest.raises(ValueError, match="too large"):
        V.check_size("x", (2**40, 2**40), "the output")
    # the limit is read at call time
    monkeypatch.setattr(V, "MAX_ELEMENTS", 10)
    with pytest.raises(ValueError, match="limit of 10 values"):
        V.check_size("x", (11,), "the output")


# ----------------------------------------------------------------------------- used before allocating
HUGE = [
    ("conv2d(padding=10**5)", lambda: conv.conv2d(np.zeros((28, 28)), np.ones((3, 3)), padding=10**5),
     "padding too large: the padded input"),
    ("conv2d_naive(padding=10**5)",
     lambda: conv.conv2d_naive(np.zeros((28, 28)), np.ones((3, 3)), padding=10**5),
     "padding too large"),
    ("conv2d(dilation=10**5, 'same')",
     lambda: conv.conv2d(np.zeros((28, 28)), np.ones((3, 3)), dilation=10**5, padding="same"),
     "padding too large"),
    ("conv2d(too many filters)",
     lambda: conv.conv2d(np.zeros((1, 512, 512, 1), np.float32),
                         np.zeros((1, 1, 1, 2048), np.float32)),
     "x and kernel too large: the output"),
    ("pad2d(pad=10**5)", lambda: padding.pad2d(np.zeros((28, 28)), 10**5), "pad too large"),
    ("pool2d(10**5, 'same')", lambda: pooling.pool2d(np.zeros((28, 28)), 10**5, padding="same"),
     "padding too large"),
    ("gaussian(100001)", lambda: filters.gaussian(100001), "size too large: the kernel"),
    ("mean(100001)", lambda: filters.mean(100001), "size too large"),
    ("log(100001)", lambda: filters.log(100001), "size too large"),
    ("identity(100001)", lambda: filters.identity(100001), "size too large"),
    ("apply_filter(size=100001)", lambda: filters.apply_filter(np.zeros((5, 5)), "mean", size=100001),
     "size too large"),
]


@pytest.mark.parametrize("label, call, message", HUGE, ids=[h[0] for h in HUGE])
def test_huge_arguments_fail_fast_with_a_named_limit(label, call, message):
    t0 = time.perf_counter()
    with pytest.raises(ValueError) as info:
        call()
    assert time.perf_counter() - t0 < 1.0
    assert str(info.value).startswith(message)
    assert "268,435,456" in str(info.value) and "MAX_ELEMENTS" in str(info.value)


def test_im2col_matrix_is_checked_too(monkeypatch):
    x = np.zeros((1, 10, 10, 1))
    k = np.zeros((3, 3, 1, 2))      # output 1*8*8*2 = 128 values, window matrix 64*9 = 576
    monkeypatch.setattr(V, "MAX_ELEMENTS", 200)
    with pytest.raises(ValueError, match=r"x and kernel too large: the im2col window matrix would "
                                         r"have shape \(64, 9\)"):
        conv.conv2d(x, k)
    assert conv.conv2d_naive(x, k).shape == (1, 8, 8, 2)   # the loops need no window matrix
