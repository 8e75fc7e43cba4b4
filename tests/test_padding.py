"""cnn_course.padding: the output-size formula, "same" padding, padding arguments, pad2d.

The sizes are checked against what the operations actually produce: ``output_size`` must
equal the length of a real ``conv2d`` / ``pool2d`` output for every padding form, and
``same_padding`` must give ``ceil(n / s)`` outputs (TensorFlow's rule).
"""
from __future__ import annotations

import re
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnn_course as cc
from cnn_course import _validation, conv, padding
from cnn_course.conv import conv2d
from cnn_course.padding import (check_window_fits, from_nhwc, output_size, pad2d, parse_padding,
                                resolve_padding, same_padding, to_nhwc, valid_counts)
from cnn_course.pooling import pool2d

one_axis_padding = st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 4),
                             st.tuples(st.integers(0, 4), st.integers(0, 4)))


# ----------------------------------------------------------------------------- output_size
@settings(max_examples=150, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.integers(1, 6), st.integers(1, 4),
       st.integers(1, 3), one_axis_padding, one_axis_padding)
def test_output_size_is_the_length_of_the_real_conv2d_output(h, w, k, s, d, pad_h, pad_w):
    (pt, pb), (pl, pr) = resolve_padding(pad_h, h, k, s, d), resolve_padding(pad_w, w, k, s, d)
    span = d * (k - 1) + 1
    if span > h + pt + pb or span > w + pl + pr:
        with pytest.raises(ValueError, match="larger than the padded input"):
            output_size(h, k, s, pad_h, d) if span > h + pt + pb else output_size(w, k, s, pad_w, d)
        return
    out = conv2d(np.zeros((h, w)), np.ones((k, k)), stride=s, padding=((pt, pb), (pl, pr)),
                 dilation=d)
    assert out.shape == (output_size(h, k, s, pad_h, d), output_size(w, k, s, pad_w, d))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 30), st.integers(1, 5), st.integers(1, 5), st.sampled_from(["valid", "same"]))
def test_output_size_is_the_length_of_the_real_pool2d_output(n, k, s, pad):
    if pad == "valid" and k > n:
        return
    assert pool2d(np.zeros((n, n)), k, s, pad).shape == (output_size(n, k, s, pad),) * 2


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 80), st.integers(1, 9), st.integers(1, 6), st.integers(1, 4))
def test_same_padding_gives_ceil_n_over_s(n, k, s, d):
    before, after = same_padding(n, k, s, d)
    assert 0 <= before <= after <= before + 1          # the extra cell goes at the end
    assert output_size(n, k, s, (before, after), d) == -(-n // s)
    assert output_size(n, k, s, "same", d) == -(-n // s)
    # minimal: one cell of padding less and the last window no longer fits
    if before + after:
        span, padded = d * (k - 1) + 1, n + before + after - 1
        assert padded < span or (padded - span) // s + 1 < -(-n // s)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60), st.integers(1, 8), st.integers(1, 5), st.integers(1, 4))
def test_valid_and_int_padding_follow_the_formula(n, k, s, d):
    if d * (k - 1) + 1 <= n:
        assert output_size(n, k, s, "valid", d) == (n - d * (k - 1) - 1) // s + 1
        assert output_size(n, k, s, 0, d) == output_size(n, k, s, "valid", d)
    assert output_size(n, k, s, 2 + d * k, d) == (n + 4 + 2 * d * k - d * (k - 1) - 1) // s + 1


def test_documented_examples():
    assert output_size(28, 3) == 26
    assert output_size(28, 3, padding=1) == 28
    assert output_size(32, 5, stride=2, padding="same") == 16
    assert output_size(7, 3, dilation=2) == 3
    assert output_size(5, 2, stride=2, padding=(0, 1)) == 3
    assert same_padding(5, 2) == (0, 1)
    assert same_padding(6, 4, stride=2) == (1, 1)
    assert same_padding(10, 1, stride=3) == (0, 0)


# ----------------------------------------------------------------------------- parse / resolve
two_axis_padding = st.one_of(
    st.sampled_from(["valid", "same"]), st.integers(0, 9),
    st.tuples(st.integers(0, 9), st.integers(0, 9)),
    st.tuples(st.tuples(st.integers(0, 9), st.integers(0, 9)),
              st.tuples(st.integers(0, 9), st.integers(0, 9))))


@settings(max_examples=200, deadline=None)
@given(two_axis_padding)
def test_parse_padding_round_trips(pad):
    spec = parse_padding(pad)
    assert parse_padding(spec) == spec                      # idempotent
    if isinstance(pad, str):
        assert spec == pad
        return
    (t, b), (l, r) = spec
    assert parse_padding([[t, b], [l, r]]) == spec          # lists and arrays too
    assert parse_padding(np.array(spec)) == spec
    if isinstance(pad, int):
        assert spec == ((pad, pad), (pad, pad))
    elif isinstance(pad[0], int):
        assert spec == ((pad[0], pad[0]), (pad[1], pad[1]))
    else:
        assert spec == pad
    # each axis resolves to its own pair, whatever the sizes
    assert resolve_padding((t, b), 7, 3) == (t, b) and resolve_padding((l, r), 7, 3) == (l, r)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 4), st.integers(1, 3), st.integers(0, 9))
def test_resolve_padding_forms(n, k, s, d, p):
    assert resolve_padding("valid", n, k, s, d) == (0, 0)
    assert resolve_padding("same", n, k, s, d) == same_padding(n, k, s, d)
    assert resolve_padding(p, n, k, s, d) == (p, p)
    assert resolve_padding([p, p + 1], n, k, s, d) == (p, p + 1)


def test_conv_reexports_the_padding_functions():
    for name in ("output_size", "same_padding", "pad2d"):
        assert getattr(conv, name) is getattr(padding, name) is getattr(cc, name)


# ----------------------------------------------------------------------------- window helpers
def test_check_window_fits_messages():
    check_window_fits("kernel", 5, 3)
    check_window_fits("kernel", 1, 3, 1, 1)
    with pytest.raises(ValueError, match=re.escape(
            "kernel width 3 with dilation 2 spans 5 pixels, larger than the padded input width "
            "3 + 1 = 4; it must be <= 4")):
        check_window_fits("kernel", 3, 3, 0, 1, dilation=2, axis="width")
    with pytest.raises(ValueError, match=re.escape("pool_size 4 is larger than the padded input "
                                                   "2 + 1 = 3")):
        check_window_fits("pool_size", 2, 4, 1, 0)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 20), st.integers(1, 6), st.integers(1, 4), st.sampled_from(["valid", "same"]))
def test_valid_counts_by_brute_force(n, k, s, pad):
    if pad == "valid" and k > n:
        return
    before, _ = resolve_padding(pad, n, k, s)
    out = output_size(n, k, s, pad)
    expected = [sum(0 <= i * s - before + t < n for t in range(k)) for i in range(out)]
    assert valid_counts(n, k, s, before, out).tolist() == expected


def test_to_nhwc_and_from_nhwc_round_trip():
    for shape in ((5, 6), (5, 6, 3), (2, 5, 6, 3)):
        x = np.arange(np.prod(shape)).reshape(shape)
        x4 = to_nhwc(x)
        assert x4.ndim == 4 and np.shares_memory(x4, x)
        np.testing.assert_array_equal(from_nhwc(x4, x.ndim), x)


# ----------------------------------------------------------------------------- pad2d
def test_pad2d_modes_and_layouts():
    x = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(pad2d(x, 1), np.pad(x, 1))
    np.testing.assert_array_equal(pad2d(x, 1, value=7), np.pad(x, 1, constant_values=7))
    np.testing.assert_array_equal(pad2d(x, ((0, 1), (2, 0)), mode="edge"),
                                  np.pad(x, ((0, 1), (2, 0)), mode="edge"))
    np.testing.assert_array_equal(pad2d(x, (1, 2), mode="reflect"),
                                  np.pad(x, ((1, 1), (2, 2)), mode="reflect"))
    assert pad2d(x, 1).dtype == x.dtype
    b = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    out = pad2d(b, ((1, 2), (3, 4)), mode="reflect")
    assert out.shape == (2, 6, 11, 5)
    np.testing.assert_array_equal(out[1, :, :, 2], np.pad(b[1, :, :, 2], ((1, 2), (3, 4)), "reflect"))
    assert pad2d(b[0], 2, mode="edge").shape == (7, 8, 5)
    assert pad2d(np.ones((2, 2)), 1, value=-np.inf)[0, 0] == -np.inf
    # a single row cannot be mirrored: reflect falls back to repeating it
    np.testing.assert_array_equal(pad2d(np.array([[1, 2, 3]]), 1, mode="reflect"),
                                  [[2, 1, 2, 3, 2]] * 3)


@pytest.mark.parametrize("value", [300, -1, 0.5])
def test_pad2d_rejects_fill_values_an_integer_image_cannot_hold(value):
    with pytest.raises(ValueError, match=r"value must be an integer in \[0, 255\]"):
        pad2d(np.ones((2, 2), np.uint8), 1, value=value)


def test_pad2d_rejects_nan_and_bool_fill_values():
    with pytest.raises(ValueError, match="NaN"):
        pad2d(np.ones((2, 2)), 1, value=float("nan"))
    with pytest.raises(TypeError, match="value"):
        pad2d(np.ones((2, 2)), 1, value=True)
    assert pad2d(np.ones((2, 2), np.uint8), 1, value=7)[0, 0] == 7


def test_huge_padding_is_refused_before_allocating(monkeypatch):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"pad too large: the padded array would have shape "
                                         r"\(200028, 200028\).*MAX_ELEMENTS"):
        pad2d(np.zeros((28, 28)), 10**5)
    assert time.perf_counter() - t0 < 1.0
    # the limit is on the padded result, inclusive
    monkeypatch.setattr(_validation, "MAX_ELEMENTS", 100)
    assert pad2d(np.zeros((2, 2)), 4).shape == (10, 10)
    with pytest.raises(ValueError, match=r"pad too large: the padded array would have shape "
                                         r"\(10, 11\)"):
        pad2d(np.zeros((2, 2)), ((4, 4), (4, 5)))


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, exc, message", [
    (lambda: output_size(0, 3), ValueError, "n must be >= 1"),
    (lambda: output_size(5, 0), ValueError, "kernel_size must be >= 1"),
    (lambda: output_size(5, 3, stride=0), ValueError, "stride must be >= 1"),
    (lambda: output_size(5, 3, dilation=0), ValueError, "dilation must be >= 1"),
    (lambda: output_size(5, 3, padding=-1), ValueError, "padding must be >= 0"),
    (lambda: output_size(5, 3, padding=(1, -1)), ValueError, "padding must be an int >= 0"),
    (lambda: output_size(5, 3, padding="full"), ValueError, "padding must be one of"),
    (lambda: output_size(2, 4), ValueError,
     "kernel_size 4 with dilation 1 spans 4 pixels, larger than the padded input 2 + 0 = 2"),
    (lambda: output_size(5, 3.0), TypeError, "kernel_size must be an int"),
    (lambda: same_padding(5, 3, stride=0), ValueError, "stride must be >= 1"),
    (lambda: resolve_padding("full", 5, 3, name="pad"), ValueError, "pad must be one of"),
    (lambda: parse_padding(1.5), TypeError, "padding must be \"valid\", \"same\", an int >= 0"),
    (lambda: parse_padding(True), TypeError, "padding must be"),
    (lambda: parse_padding((1, 2, 3)), ValueError, "padding must be"),
    (lambda: parse_padding((1, (2, 3))), ValueError, "padding must be"),
    (lambda: parse_padding(((1, 2), (3, -4))), ValueError, "padding must be an int >= 0"),
    (lambda: pad2d(np.zeros(3), 1), ValueError, "x must have 2 or 3 or 4 dimensions"),
    (lambda: pad2d(np.zeros((0, 3)), 1), ValueError, "x must not be empty"),
    (lambda: pad2d(np.zeros((3, 3), complex), 1), TypeError, "x must be a real"),
    (lambda: pad2d(np.zeros((3, 3)), -1), ValueError, "pad must be >= 0"),
    (lambda: pad2d(np.zeros((3, 3)), "same"), TypeError, "pad must be an int >= 0"),
    (lambda: pad2d(np.zeros((3, 3)), 1, mode="wrap"), ValueError, "mode must be one of"),
    (lambda: pad2d(np.zeros((3, 3)), 1, value="x"), TypeError, "value must be a real number"),
])
def test_errors(call, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        call()
