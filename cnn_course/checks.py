"""Checkers for the course exercises: one ``check_<exercise>`` function per exercise.

Each checker takes the student's function (or answer), runs it on the cases a wrong answer
gets wrong (stride different from the pool size, even kernels, non-square images, several
channels, uneven padding, ...), compares the result with the library's reference
implementation and

- prints ``All N tests passed.`` when everything agrees;
- raises ``AssertionError`` with a message that says what is wrong and, when the result
  matches a typical mistake, which one ("output shape (5, 5), expected (4, 4): is the
  stride applied?", "values differ at [1, 2]: got 3, expected 4 - did you flip the
  kernel?");
- says "not done yet" when the function still raises ``NotImplementedError``.

The reference modules (``conv``, ``pooling``, ``filters``, ``models``, ``receptive_field``,
Keras) are imported inside the checkers, so importing this module is instant.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np

__all__ = [
    "check_pad2d", "check_output_size", "check_conv2d",
    "check_gaussian_kernel", "check_log_kernel", "check_gradient_magnitude",
    "check_max_pool", "check_avg_pool",
    "check_conv_params", "check_dense_params", "check_bn_params",
    "check_receptive_field", "check_cbapd_block", "check_worst_class",
    "check_most_confused", "check_inception_block", "check_residual_block",
]


# --------------------------------------------------------------------------- helpers
def _fail(message: str) -> None:
    raise AssertionError(message)


def _short(value: Any) -> str:
    """A short description of an argument for messages: arrays by shape, the rest by repr."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"tensor of shape {tuple(value.shape)}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _signature(name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> str:
    parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _require_callable(name: str, func: Any) -> None:
    if not callable(func):
        _fail(f"pass the function itself, e.g. check(...)(my_function) without calling it; "
              f"got {type(func).__name__} {_short(func)} for {name}")


# The library functions each exercise asks the student to write: while the student's function
# runs, these are switched off, so an answer that hands the work to the library fails its check.
_OWN_WORK = {
    "pad2d": [("conv", "pad2d")],
    "output_size": [("conv", "output_size"), ("conv", "same_padding")],
    "conv2d": [("conv", "conv2d"), ("conv", "conv2d_naive")],
    "gaussian_kernel": [("filters", "gaussian")],
    "log_kernel": [("filters", "log")],
    "gradient_magnitude": [("filters", "gradient_magnitude")],
    "max_pool2d": [("pooling", "pool2d")],
    "avg_pool2d": [("pooling", "pool2d")],
    "receptive_field_sizes": [("receptive_field", "receptive_field"),
                              ("receptive_field", "receptive_field_size")],
    "cbapd_block": [("models", "cbapd_block")],
    "inception_block": [("models", "inception_block")],
    "residual_block": [("models", "residual_block")],
}


def _library_twins(name: str) -> list[Callable]:
    import importlib

    return [getattr(importlib.import_module(f"cnn_course.{module}"), attr)
            for module, attr in _OWN_WORK.get(name, [])]


class _SwitchedOff:
    """Within ``with``: calling any of ``functions`` raises an AssertionError naming ``name``.

    The functions' code objects are swapped, so every reference to them is covered (``cc.pad2d``,
    ``from cnn_course import pad2d``, ``cnn_course.conv.pad2d``); the originals come back on exit.
    """

    def __init__(self, functions: list[Callable], name: str):
        self.functions, self.name = functions, name
        self.saved: list[tuple[Callable, Any]] = []

    def __enter__(self) -> None:
        namespace: dict[str, Any] = {}
        for func in self.functions:
            message = (f"{self.name} calls cnn_course's {func.__name__}: the exercise asks you to "
                       f"write this yourself (NumPy is fine)")
            exec(f"def blocked(*args, **kwargs):\n    raise AssertionError({message!r})", namespace)
            self.saved.append((func, func.__code__))
            func.__code__ = namespace["blocked"].__code__

    def __exit__(self, *exc: Any) -> None:
        for func, code in self.saved:
            func.__code__ = code
        self.saved.clear()


def _call(name: str, func: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call the student's function; turn a stub or a crash into a helpful AssertionError.

    The student's function must be their own: cnn_course's function of the same job is
    rejected, and switched off while the student's function runs.
    """
    _require_callable(name, func)
    twins = _library_twins(name)
    if name in _OWN_WORK and (any(func is twin for twin in twins) or
                              str(getattr(func, "__module__", "")).startswith("cnn_course")):
        _fail(f"{name} is cnn_course's own function, not yours: the exercise asks you to write "
              f"it yourself")
    try:
        with _SwitchedOff(twins, name):
            return func(*args, **kwargs)
    except NotImplementedError:
        raise AssertionError(
            f"{name} is not done yet: replace the `raise NotImplementedError(...)` line with "
            f"your code, run that cell, then run this check again.") from None
    except AssertionError:
        raise
    except Exception as exc:
        raise AssertionError(f"{_signature(name, args, kwargs)} raised {type(exc).__name__}: "
                             f"{exc}") from exc


def _as_array(call: str, got: Any) -> np.ndarray:
    if got is None:
        _fail(f"{call} returned None: did you forget the `return` statement?")
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        _fail(f"{call} must return a NumPy array of numbers, got {type(got).__name__}")
    return arr


def _matches(got: np.ndarray, candidate: np.ndarray | None, atol: float = 1e-6) -> bool:
    if candidate is None:
        return False
    candidate = np.asarray(candidate, dtype=float)
    return candidate.shape == got.shape and np.allclose(got, candidate, atol=atol, rtol=1e-5)


def _format_index(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _compare(call: str, got: Any, expected: np.ndarray, *, shape_hints: dict | None = None,
             mistakes: Iterable[tuple[Any, str]] = (), atol: float = 1e-6,
             region: tuple[slice, ...] | None = None) -> None:
    """Compare an array result with the reference; explain shape or value differences.

    ``shape_hints`` maps a wrong shape to the likely mistake; ``mistakes`` lists
    ``(wrong_result, explanation)`` pairs: when the result equals a wrong result, the
    explanation is added. ``region`` restricts the value comparison (e.g. the interior).
    """
    arr = _as_array(call, got)
    expected = np.asarray(expected, dtype=float)
    if arr.shape != expected.shape:
        hint = (shape_hints or {}).get(arr.shape)
        _fail(f"{call}: output shape {arr.shape}, expected {expected.shape}"
              + (f": {hint}" if hint else ""))
    a = arr if region is None else arr[region]
    e = expected if region is None else expected[region]
    if np.allclose(a, e, atol=atol, rtol=1e-5) and np.all(np.isfinite(a)):
        return
    hint = next((text for wrong, text in mistakes if wrong is not None and _matches(
        a, np.asarray(wrong, dtype=float) if region is None else np.asarray(wrong)[region],
        atol)), None)
    bad = ~np.isclose(a, e, atol=atol, rtol=1e-5) | ~np.isfinite(a)
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    if region is not None:
        index = tuple(i + (s.start or 0) for i, s in zip(index, region))
    _fail(f"{call}: values differ at {_format_index(index)}: got {arr[index]:.6g}, expected "
          f"{expected[index]:.6g}" + (f" - {hint}" if hint else ""))


def _passed(n: int) -> None:
    print(f"All {n} tests passed.")


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- lesson 03
def check_pad2d(pad2d: Callable) -> None:
    """Check ``pad2d(x, pad)``: zero padding of the two spatial axes.

    ``x`` is (H, W) or (H, W, C); ``pad`` an int (same on all four sides) or
    ``((top, bottom), (left, right))``. The channel axis is never padded.
    """
    from .conv import pad2d as reference

    rng = _rng(1)
    cases = [
        (rng.integers(1, 10, (4, 5)).astype(float), 1),
        (rng.integers(1, 10, (3, 4)).astype(float), ((1, 2), (0, 4))),
        (rng.integers(1, 10, (5, 2)).astype(float), ((2, 0), (3, 1))),
        (rng.integers(1, 10, (3, 4, 3)).astype(float), ((2, 1), (1, 2))),
        (rng.integers(1, 10, (2, 3, 2)).astype(float), 2),
        (rng.integers(1, 10, (3, 3)).astype(float), 0),
    ]
    for x, pad in cases:
        call = f"pad2d(array of shape {x.shape}, pad={pad!r})"
        got = _call("pad2d", pad2d, x.copy(), pad)
        expected = reference(x, pad)
        (t, b), (l, r) = ((pad, pad), (pad, pad)) if isinstance(pad, int) else pad
        spatial = x.shape[:2]
        hints = {
            (spatial[0] + l + r, spatial[1] + t + b) + x.shape[2:]:
                "rows and columns swapped: pad is ((top, bottom), (left, right))",
        }
        if x.ndim == 3:
            for extra in {t + b, l + r, 2 * (t if isinstance(pad, int) else 0)} - {0}:
                hints[(spatial[0] + t + b, spatial[1] + l + r, x.shape[2] + extra)] = (
                    "the channel axis was padded too: pad only the two spatial axes "
                    "(np.pad needs (0, 0) for the channels)")
        swapped = reference(x, ((b, t), (r, l)))
        mistakes = [(swapped, "before/after swapped: the first number of each pair goes "
                              "before (top, left), the second after (bottom, right)"),
                    (reference(x, pad, value=1), "pad with zeros, not ones")]
        _compare(call, got, expected, shape_hints=hints, mistakes=mistakes)
        if not np.allclose(np.asarray(got)[t:t + spatial[0], l:l + spatial[1]], x):
            _fail(f"{call}: the original image must sit unchanged inside the border")
    _passed(len(cases))


def _output_size_mistakes(n: int, k: int, s: int, p: Any, d: int) -> dict[int, str]:
    """Results of typical wrong formulas -> the explanation(s) of the mistake."""
    import math

    if p == "same":
        pairs = [(n, "with 'same' padding and a stride, the output is ceil(n / stride), not n"),
                 ((n - d * (k - 1) - 1) // s + 1, "'same' padding keeps ceil(n / stride) "
                                                   "outputs, whatever the kernel size"),
                 (n // s, "round up: 'same' gives ceil(n / stride), not floor")]
    else:
        pad = 0 if p == "valid" else p
        span = d * (k - 1) + 1
        pairs = [
            (n + 2 * pad - span + 1, "is the stride applied? divide by the stride (and floor) "
                                     "before adding 1"),
            ((n + pad - span) // s + 1, "padding p adds p pixels on both sides: use n + 2 * p"),
            ((n - span) // s + 1, "is the padding applied? use n + 2 * p"),
            ((n + 2 * pad - span) // s, "count the first window too: the formula ends with + 1"),
            (math.ceil((n + 2 * pad - span) / s) + 1, "round down (floor): a window that would "
                                                      "hang over the border is not computed"),
            ((n + 2 * pad - k) // s + 1, "the dilated kernel spans d * (k - 1) + 1 pixels"),
        ]
    hints: dict[int, list[str]] = {}
    for value, text in pairs:
        hints.setdefault(value, []).append(text)
    return {value: "; or ".join(texts) for value, texts in hints.items()}


def check_output_size(output_size: Callable) -> None:
    """Check ``output_size(n, kernel_size, stride=1, padding=0, dilation=1)``.

    ``padding`` is an int (pixels added on *each* side), ``"valid"`` or ``"same"``;
    the answer is ``floor((n + 2p - d(k-1) - 1) / s) + 1``, and ``ceil(n / s)`` for "same".
    """
    from .conv import output_size as reference

    cases = [
        (7, 3, 1, 0, 1), (7, 3, 2, 0, 1), (8, 3, 2, 1, 1), (6, 4, 1, 0, 1), (5, 2, 2, 0, 1),
        (10, 3, 3, 1, 1), (28, 5, 1, 2, 1), (9, 3, 1, 0, 2), (11, 3, 2, 2, 2),
        (8, 4, 3, "valid", 1), (7, 3, 1, "same", 1), (7, 3, 2, "same", 1), (6, 4, 2, "same", 1),
        (32, 5, 3, "same", 1), (4, 5, 1, 1, 1),
    ]
    for n, k, s, p, d in cases:
        call = f"output_size({n}, kernel_size={k}, stride={s}, padding={p!r}, dilation={d})"
        got = _call("output_size", output_size, n, k, stride=s, padding=p, dilation=d)
        expected = reference(n, k, stride=s, padding=p, dilation=d)
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
            if isinstance(got, (float, np.floating)) and float(got) == expected:
                _fail(f"{call} returned the float {got!r}: return an int (use // or int())")
            if got is None:
                _fail(f"{call} returned None: did you forget the `return` statement?")
            if not isinstance(got, (float, np.floating)):
                _fail(f"{call} must return an int, got {type(got).__name__} {got!r}")
        if got != expected:
            hint = _output_size_mistakes(n, k, s, p, d).get(int(got) if got == int(got) else None)
            if hint is None and d > 1:
                hint = "the dilated kernel spans d * (k - 1) + 1 pixels"
            _fail(f"{call} returned {got}, expected {expected}" + (f": {hint}" if hint else ""))
    _passed(len(cases))


def check_conv2d(conv2d: Callable) -> None:
    """Check a naive ``conv2d(x, kernel, stride=1, padding=0)`` (cross-correlation, as Keras).

    ``x`` is (H, W, C), ``kernel`` (kh, kw, C, F), ``padding`` zeros added on each side;
    the result is (H', W', F) with ``H' = floor((H + 2p - kh) / s) + 1``.
    """
    from .conv import conv2d as reference
    from .conv import output_size

    rng = _rng(2)
    cases = [  # (H, W, C), (kh, kw, F), stride, padding
        ((5, 5, 1), (3, 3, 1), 1, 0),
        ((6, 7, 1), (2, 2, 1), 1, 0),    # even kernel, non-square image
        ((7, 6, 1), (3, 3, 1), 2, 0),    # stride
        ((5, 6, 1), (3, 3, 1), 1, 1),    # padding
        ((6, 5, 3), (3, 2, 2), 2, 1),    # channels in and out, non-square kernel
        ((9, 8, 2), (4, 4, 3), 3, 2),    # even kernel, stride 3, padding 2
    ]
    for (h, w, c), (kh, kw, f), s, p in cases:
        x = rng.integers(-3, 4, (h, w, c)).astype(float)
        kernel = rng.integers(-2, 3, (kh, kw, c, f)).astype(float)
        kernel[0, 0] += 5  # make sure the kernel is not symmetric, so a flip shows
        call = (f"conv2d(x of shape {x.shape}, kernel of shape {kernel.shape}, stride={s}, "
                f"padding={p})")
        got = _call("conv2d", conv2d, x.copy(), kernel.copy(), stride=s, padding=p)
        expected = reference(x, kernel, stride=s, padding=p)

        def shape(stride: int, pad: int, chans: int = f) -> tuple[int, int, int]:
            return (output_size(h, kh, stride, pad), output_size(w, kw, stride, pad), chans)

        hints = {}
        for wrong, text in [
            (shape(s, p, c), "the output has one channel per filter (F = kernel.shape[3]), not "
                             "one per input channel"),
            (shape(s, 0), "is the padding applied? add `padding` zeros on each side first"),
            (shape(1, p), "is the stride applied? move the window by `stride` pixels"),
            (shape(1, 0), "are stride and padding applied?"),
            (shape(s, p)[:2], "keep the filter axis: the output is (H', W', F), even for F = 1"),
            ((output_size(h, kw, s, p), output_size(w, kh, s, p), f),
             "kernel height and width swapped: the kernel is (kh, kw, C, F)"),
        ]:
            if wrong != expected.shape:
                hints.setdefault(wrong, text)
        mistakes = [
            (reference(x, kernel[::-1, ::-1], stride=s, padding=p),
             "did you flip the kernel? Keras layers (and this course) compute the "
             "cross-correlation: sum(x_patch * kernel), no flip"),
            (reference(x, np.where(np.arange(c)[None, None, :, None] == 0, kernel, 0), stride=s,
                       padding=p) if c > 1 else None,
             "sum over all input channels, not only the first"),
        ]
        _compare(call, got, expected, shape_hints=hints, mistakes=mistakes)
    _passed(len(cases))


# --------------------------------------------------------------------------- lesson 04
def _kernel_shape_hint(size: int) -> dict:
    return {(size,): "return a 2-D (size, size) kernel, not a 1-D profile",
            (size + 1, size + 1): "the grid must have exactly `size` points per axis",
            (size - 1, size - 1): "the grid must have exactly `size` points per axis"}


def check_gaussian_kernel(gaussian_kernel: Callable) -> None:
    """Check ``gaussian_kernel(size, sigma)``: a (size, size) Gaussian that sums to 1.

    ``G[i, j] = exp(-(u_i^2 + v_j^2) / (2 sigma^2)) / Z`` with coordinates centred on the
    middle of the grid, ``u_i = i - size // 2`` (``size`` odd), and ``Z`` making the weights
    sum to 1.
    """
    from . import filters

    cases = [(3, 1.0), (5, 1.0), (7, 2.0), (5, 0.5), (9, 1.5), (1, 1.0)]
    for size, sigma in cases:
        call = f"gaussian_kernel({size}, sigma={sigma})"
        got = _call("gaussian_kernel", gaussian_kernel, size, sigma)
        expected = filters.gaussian(size, sigma)
        coords = np.arange(size) - size // 2
        r2 = coords[:, None] ** 2 + coords[None, :] ** 2
        unnormalised = np.exp(-r2 / (2 * sigma ** 2))
        off = np.arange(size)
        r2_off = off[:, None] ** 2 + off[None, :] ** 2
        no_two = np.exp(-r2 / sigma ** 2)
        mistakes = [
            (unnormalised, "normalise: divide by the sum so the weights add up to 1 (a blur "
                           "must not change the brightness)"),
            (unnormalised / (2 * np.pi * sigma ** 2), "the continuous 1/(2 pi sigma^2) factor "
                                                       "does not make the sampled weights sum "
                                                       "to 1: divide by their sum instead"),
            (np.exp(-r2_off / (2 * sigma ** 2)) / np.exp(-r2_off / (2 * sigma ** 2)).sum(),
             "centre the grid: coordinates run from -(size // 2) to size // 2, so the peak is "
             "in the middle"),
            (no_two / no_two.sum(), "the exponent is -(x^2 + y^2) / (2 sigma^2): the 2 is "
                                    "missing"),
        ]
        _compare(call, got, expected, shape_hints=_kernel_shape_hint(size), mistakes=mistakes)
    _passed(len(cases))


def check_log_kernel(log_kernel: Callable) -> None:
    """Check ``log_kernel(size, sigma)``: the Laplacian of Gaussian, shifted to sum to 0.

    ``L[u, v] = G[u, v] * (u^2 + v^2 - 2 sigma^2) / sigma^4`` with ``G`` the normalised
    Gaussian kernel (sum 1) on the centred grid, then the mean subtracted so that a flat
    region gives 0. The centre is negative ("Mexican hat" upside down).
    """
    from . import filters

    cases = [(5, 1.0), (7, 1.0), (9, 1.4), (3, 0.8), (11, 2.0)]
    for size, sigma in cases:
        call = f"log_kernel({size}, sigma={sigma})"
        got = _call("log_kernel", log_kernel, size, sigma)
        expected = filters.log(size, sigma)
        arr = _as_array(call, got)
        if arr.shape == expected.shape and not np.allclose(arr, expected, atol=1e-6):
            if abs(arr.sum()) > 1e-6 * max(1.0, np.abs(arr).sum()) and np.allclose(
                    arr - arr.mean(), expected, atol=1e-6):
                _fail(f"{call}: the weights sum to {arr.sum():.4g}, expected 0: subtract the "
                      f"mean so a flat region gives 0")
            if np.allclose(-arr, expected, atol=1e-6):
                _fail(f"{call}: the sign is flipped: the centre of the LoG is negative, "
                      f"use (u^2 + v^2 - 2 sigma^2), not (2 sigma^2 - u^2 - v^2)")
            ratio = arr.ravel() @ expected.ravel() / max(expected.ravel() @ expected.ravel(),
                                                         1e-300)
            if ratio > 0 and np.allclose(arr, ratio * expected, atol=1e-6):
                _fail(f"{call}: right shape, wrong scale (by a factor of {ratio:.4g}): multiply "
                      f"the normalised Gaussian (sum 1) by (u^2 + v^2 - 2 sigma^2) / sigma^4 "
                      f"and do not rescale further")
        _compare(call, got, expected, shape_hints=_kernel_shape_hint(size))
    _passed(len(cases))


def _test_images() -> list[tuple[str, np.ndarray]]:
    rng = _rng(4)
    step = np.zeros((8, 10))
    step[:, 5:] = 1.0
    ramp = np.tile(np.arange(9.0), (7, 1)).T  # brightness grows downwards
    yy, xx = np.mgrid[:9, :12]
    diagonal = (xx > yy).astype(float)
    return [("a vertical edge", step), ("a vertical ramp", ramp),
            ("a diagonal edge", diagonal), ("a random 11x7 image", rng.random((11, 7)))]


def check_gradient_magnitude(gradient_magnitude: Callable) -> None:
    """Check ``gradient_magnitude(image)``: ``sqrt(Gx^2 + Gy^2)`` with the Sobel kernels.

    ``image`` is (H, W); the result has the image's shape ("same" padding). Only the
    interior is compared: the border pixels depend on how the image is padded.
    """
    from . import filters

    images = _test_images()
    for what, image in images:
        call = f"gradient_magnitude({what} of shape {image.shape})"
        got = _call("gradient_magnitude", gradient_magnitude, image.copy())
        expected = filters.gradient_magnitude(image, operator="sobel")
        gx = filters.apply_filter(image, filters.sobel_x())
        gy = filters.apply_filter(image, filters.sobel_y())
        h, w = image.shape
        hints = {(h - 2, w - 2): "keep the image's shape: use 'same' padding",
                 image.shape[::-1]: "rows and columns swapped"}
        mistakes = [(np.abs(gx), "that is |Gx| only: combine both directions, "
                                 "sqrt(Gx^2 + Gy^2)"),
                    (np.abs(gy), "that is |Gy| only: combine both directions, "
                                 "sqrt(Gx^2 + Gy^2)"),
                    (gx, "that is Gx only: combine both directions, sqrt(Gx^2 + Gy^2)"),
                    (gy, "that is Gy only: combine both directions, sqrt(Gx^2 + Gy^2)"),
                    (np.abs(gx) + np.abs(gy), "use sqrt(Gx^2 + Gy^2), not |Gx| + |Gy|"),
                    (gx ** 2 + gy ** 2, "take the square root: sqrt(Gx^2 + Gy^2)"),
                    (filters.gradient_magnitude(image, operator="prewitt"),
                     "those are the Prewitt kernels: Sobel weights the centre row/column by 2")]
        _compare(call, got, expected, shape_hints=hints, mistakes=mistakes,
                 region=(slice(1, h - 1), slice(1, w - 1)))
    _passed(len(images))


# --------------------------------------------------------------------------- lesson 05
def _check_pool(name: str, func: Callable, mode: str) -> None:
    from .conv import output_size
    from .pooling import pool2d

    rng = _rng(5)
    cases = [  # shape, pool_size, stride
        ((4, 4, 1), 2, None),
        ((5, 7, 2), 2, 1),      # overlapping windows, non-square, 2 channels
        ((7, 6, 3), 3, 2),      # overlapping 3x3 / stride 2 (AlexNet)
        ((8, 9, 1), 2, 3),      # stride larger than the window: gaps
        ((5, 5, 2), 2, None),   # odd size: the last row/column is dropped
        ((6, 4, 3), 3, 1),
    ]
    for (h, w, c), k, s in cases:
        x = rng.normal(size=(h, w, c)).round(2)
        if mode == "max" and c == 1 and h == 8:
            x = -np.abs(x) - 1  # all negative: a running maximum must not start at 0
        kwargs = {} if s is None else {"stride": s}
        call = f"{name}(x of shape {x.shape}, pool_size={k}" + (
            f", stride={s})" if s is not None else ")")
        got = _call(name, func, x.copy(), k, **kwargs)
        stride = k if s is None else s
        expected = pool2d(x, k, stride, mode=mode)
        hints = {}
        if stride != k:
            hints[(output_size(h, k, k), output_size(w, k, k), c)] = (
                "is the stride applied? it looks like the stride is hard-coded to the pool size")
        hints[(output_size(h, k, 1), output_size(w, k, 1), c)] = (
            "is the stride applied? move the window by `stride` pixels")
        hints[(output_size(h, k, stride), output_size(w, k, stride))] = (
            "pool each channel separately and keep the channel axis: (H', W', C)")
        hints[(-(-h // stride), -(-w // stride), c)] = (
            "no padding: only windows that fit completely inside the image count")
        hints.pop(expected.shape, None)
        other = "avg" if mode == "max" else "max"
        mistakes = [(pool2d(x, k, stride, mode=other),
                     f"that is {other} pooling, the exercise asks for {mode} pooling"),
                    (np.maximum(pool2d(x, k, stride, mode="max"), 0) if mode == "max" else None,
                     "start the maximum at -inf (or the first value), not at 0: windows can be "
                     "all negative")]
        if s is None:
            mistakes.append((pool2d(x, k, 1, mode=mode), "stride=None means stride = pool_size"))
        _compare(call, got, expected, shape_hints=hints, mistakes=mistakes)
    _passed(len(cases))


def check_max_pool(max_pool2d: Callable) -> None:
    """Check ``max_pool2d(x, pool_size=2, stride=None)`` on (H, W, C) arrays ("valid" windows).

    ``stride=None`` means ``stride = pool_size``; the output is
    ``(floor((H - k) / s) + 1, floor((W - k) / s) + 1, C)``.
    """
    _check_pool("max_pool2d", max_pool2d, "max")


def check_avg_pool(avg_pool2d: Callable) -> None:
    """Check ``avg_pool2d(x, pool_size=2, stride=None)`` on (H, W, C) arrays ("valid" windows)."""
    _check_pool("avg_pool2d", avg_pool2d, "avg")


# --------------------------------------------------------------------------- lesson 07
def _keras():
    import keras

    return keras


def _check_count(call: str, got: Any, expected: int, wrong: dict[int, str]) -> None:
    if got is None:
        _fail(f"{call} returned None: did you forget the `return` statement?")
    if isinstance(got, bool) or not isinstance(got, (int, np.integer, float, np.floating)):
        _fail(f"{call} must return a number, got {type(got).__name__} {got!r}")
    if got != expected:
        hint = wrong.get(int(got)) if float(got) == int(got) else None
        _fail(f"{call} returned {got}, Keras counts {expected}" + (f": {hint}" if hint else ""))


def check_conv_params(count_conv_params: Callable) -> None:
    """Check ``count_conv_params(kh, kw, c_in, filters, bias=True)`` against Keras' Conv2D.

    Each filter has ``kh * kw * c_in`` weights and (with ``bias``) one bias.
    """
    keras = _keras()
    cases = [(3, 3, 1, 32, True), (5, 5, 3, 6, True), (3, 2, 16, 8, True), (1, 1, 64, 16, False),
             (3, 3, 64, 64, True), (7, 7, 3, 64, False)]
    for kh, kw, c, f, bias in cases:
        layer = keras.layers.Conv2D(f, (kh, kw), use_bias=bias)
        layer.build((None, 16, 16, c))
        expected = layer.count_params()
        call = f"count_conv_params({kh}, {kw}, c_in={c}, filters={f}, bias={bias})"
        got = _call("count_conv_params", count_conv_params, kh, kw, c, f, bias=bias)
        w = kh * kw * c * f
        wrong = {w + f if not bias else w: ("bias=False means no biases" if not bias else
                                            "add one bias per filter (+ filters)"),
                 kh * kw * f + f * bias: "each filter spans all c_in input channels: "
                                         "kh * kw * c_in weights per filter",
                 kh * kw * c + bias: "count the weights of every filter: multiply by filters",
                 w + kh * kw * c * f * bias: "one bias per filter, not one per weight",
                 w + c * bias: "one bias per filter (output channel), not per input channel"}
        wrong.pop(expected, None)
        _check_count(call, got, expected, wrong)
    _passed(len(cases))


def check_dense_params(count_dense_params: Callable) -> None:
    """Check ``count_dense_params(n_in, units, bias=True)`` against Keras' Dense."""
    keras = _keras()
    cases = [(784, 128, True), (128, 10, True), (3136, 64, False), (1, 1, True), (400, 120, True)]
    for n_in, units, bias in cases:
        layer = keras.layers.Dense(units, use_bias=bias)
        layer.build((None, n_in))
        expected = layer.count_params()
        call = f"count_dense_params({n_in}, units={units}, bias={bias})"
        got = _call("count_dense_params", count_dense_params, n_in, units, bias=bias)
        wrong = {n_in * units: "add one bias per unit (+ units)",
                 n_in * units + units: "bias=False means no biases",
                 n_in * units + n_in * bias: "one bias per unit (output), not per input",
                 (n_in + 1) * (units + 1): "only the outputs have biases: (n_in + 1) * units"}
        wrong.pop(expected, None)
        _check_count(call, got, expected, wrong)
    _passed(len(cases))


def check_bn_params(count_bn_params: Callable) -> None:
    """Check ``count_bn_params(channels)`` against Keras' BatchNormalization.count_params()."""
    keras = _keras()
    cases = [6, 32, 1, 64]
    for channels in cases:
        layer = keras.layers.BatchNormalization()
        layer.build((None, 8, 8, channels))
        expected = layer.count_params()
        call = f"count_bn_params({channels})"
        got = _call("count_bn_params", count_bn_params, channels)
        wrong = {2 * channels: "gamma and beta are the trainable ones; Keras also counts the "
                               "non-trainable moving mean and moving variance: 4 per channel",
                 2: "BatchNormalization has parameters per channel",
                 4: "BatchNormalization has 4 parameters per channel",
                 3 * channels: "4 per channel: gamma, beta, moving mean, moving variance"}
        wrong.pop(expected, None)
        _check_count(call, got, expected, wrong)
    _passed(len(cases))


# --------------------------------------------------------------------------- lesson 08
def check_receptive_field(receptive_field_sizes: Callable) -> None:
    """Check ``receptive_field_sizes(layers)`` -> one receptive-field size per layer.

    ``layers`` is a list of ``(kernel_size, stride)``; ``r_l = r_{l-1} + (k_l - 1) * j_{l-1}``
    with the jump ``j_l = j_{l-1} * s_l`` (``r_0 = j_0 = 1``).
    """
    from .receptive_field import receptive_field

    cases = [
        [(3, 1)],
        [(3, 1), (3, 1), (3, 1)],
        [(3, 1), (2, 2), (3, 1)],
        [(5, 1), (2, 2), (5, 1), (2, 2)],                    # LeNet-5
        [(3, 1), (2, 2), (3, 1), (2, 2)],                    # the Fashion-MNIST CNN
        [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1)],           # AlexNet-like
        [(7, 2), (3, 2), (3, 1), (3, 1), (3, 2), (3, 1)],    # ResNet stem and stages
    ]
    for layers in cases:
        call = f"receptive_field_sizes({layers})"
        got = _call("receptive_field_sizes", receptive_field_sizes, list(layers))
        expected = [r["size"] for r in receptive_field(layers)]
        if got is None:
            _fail(f"{call} returned None: did you forget the `return` statement?")
        try:
            got_list = [g for g in got]
        except TypeError:
            _fail(f"{call} must return a list with one size per layer, got "
                  f"{type(got).__name__} {got!r}")
        if len(got_list) != len(expected):
            _fail(f"{call} returned {len(got_list)} values, expected one per layer "
                  f"({len(expected)}): {expected}")
        if [float(g) for g in got_list] != [float(e) for e in expected]:
            no_jump, with_own = [], []
            r = 1
            for k, s in layers:
                r += k - 1
                no_jump.append(r)
            r, j = 1, 1
            for k, s in layers:
                j *= s
                r += (k - 1) * j
                with_own.append(r)
            if [float(g) for g in got_list] == [float(v) for v in no_jump]:
                hint = ("the strides are ignored: multiply (k - 1) by the jump, the product of "
                        "the strides of the layers before this one")
            elif [float(g) for g in got_list] == [float(v) for v in with_own]:
                hint = ("use the jump of the layers *before* this one: a layer's own stride "
                        "only affects the layers after it")
            else:
                layer = next(i for i, (g, e) in enumerate(zip(got_list, expected)) if g != e)
                hint = (f"the first wrong value is after layer {layer + 1} "
                        f"(kernel {layers[layer][0]}, stride {layers[layer][1]})")
            _fail(f"{call} returned {got_list}, expected {expected}: {hint}")
    _passed(len(cases))


# --------------------------------------------------------------------------- lesson 11
_KIND = {"Conv2D": "Conv2D", "BatchNormalization": "BatchNormalization", "Activation": "Activation",
         "ReLU": "Activation", "MaxPooling2D": "MaxPooling2D", "AveragePooling2D": "AveragePooling2D",
         "Dropout": "Dropout"}


def _build_block(name: str, block: Callable, input_shape: tuple[int, ...], *args: Any,
                 **kwargs: Any):
    """Apply a student's block function to a fresh Input and wrap it in a Model."""
    keras = _keras()
    inputs = keras.Input(shape=input_shape)
    out = _call(name, block, inputs, *args, **kwargs)
    if out is None:
        _fail(f"{name} returned None: return the output tensor of the block")
    if not isinstance(out, keras.KerasTensor):
        _fail(f"{name} must return the Keras tensor that comes out of the block (apply the "
              f"layers to x: y = layers.Conv2D(...)(x)), got {type(out).__name__}")
    try:
        return keras.Model(inputs, out)
    except Exception as exc:  # e.g. the output does not depend on the input
        raise AssertionError(f"{name}: cannot build a model from its input to its output "
                             f"({type(exc).__name__}: {exc}); is the block connected to x?")


def _block_layers(model) -> list:
    return [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]


def check_cbapd_block(cbapd_block: Callable) -> None:
    """Check ``cbapd_block(x, filters=6, kernel_size=5, pool_size=2, dropout=0.2)``.

    The block is Conv2D ("same" padding, no activation) -> BatchNormalization ->
    Activation("relu") -> MaxPooling2D (strides = pool size, "same" padding) -> Dropout.
    Compared with :func:`cnn_course.models.cbapd_block`: layer order, layer settings,
    output shape and parameter count.
    """
    from .models import cbapd_block as reference

    cases = [((32, 32, 3), {}), ((28, 28, 1), dict(filters=16, kernel_size=3, pool_size=2,
                                                     dropout=0.3)),
             ((15, 9, 2), dict(filters=4, kernel_size=(3, 5), pool_size=3, dropout=0.5))]
    for shape, kwargs in cases:
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        call = f"cbapd_block(x of shape {(None,) + shape}{', ' + args if args else ''})"
        model = _build_block("cbapd_block", cbapd_block, shape, **kwargs)
        ref = _build_block("reference", reference, shape, **kwargs)
        got_layers, ref_layers = _block_layers(model), _block_layers(ref)
        got_kinds = [_KIND.get(type(l).__name__, type(l).__name__) for l in got_layers]
        ref_kinds = [_KIND[type(l).__name__] for l in ref_layers]
        order = " -> ".join(ref_kinds)
        for i, (g, e) in enumerate(zip(got_kinds, ref_kinds)):
            if g != e:
                extra = ""
                if g == "Activation" and e == "BatchNormalization":
                    extra = " (normalise first, then apply the non-linearity)"
                _fail(f"{call}: layer {i + 1} is {g}, expected {e}{extra}; the block is {order}")
        if len(got_kinds) != len(ref_kinds):
            _fail(f"{call}: {len(got_kinds)} layers ({' -> '.join(got_kinds)}), expected "
                  f"{len(ref_kinds)}: {order}")
        conv, ref_conv = got_layers[0], ref_layers[0]
        if conv.get_config()["activation"] != "linear":
            _fail(f"{call}: the Conv2D has activation={conv.get_config()['activation']!r}: "
                  f"leave it linear, the ReLU comes after BatchNormalization")
        for key in ("filters", "kernel_size", "padding", "strides", "use_bias"):
            if conv.get_config()[key] != ref_conv.get_config()[key]:
                _fail(f"{call}: Conv2D {key}={conv.get_config()[key]!r}, expected "
                      f"{ref_conv.get_config()[key]!r}")
        act = got_layers[2]
        act_name = act.get_config().get("activation", "relu")
        if type(act).__name__ == "Activation" and act_name != "relu":
            _fail(f"{call}: the activation is {act_name!r}, expected 'relu'")
        pool, ref_pool = got_layers[3], ref_layers[3]
        for key in ("pool_size", "strides", "padding"):
            if pool.get_config()[key] != ref_pool.get_config()[key]:
                why = (": the pooling windows do not overlap, strides = pool_size"
                       if key == "strides" else "")
                _fail(f"{call}: MaxPooling2D {key}={pool.get_config()[key]!r}, expected "
                      f"{ref_pool.get_config()[key]!r}{why}")
        if abs(got_layers[4].rate - ref_layers[4].rate) > 1e-9:
            _fail(f"{call}: Dropout rate {got_layers[4].rate}, expected {ref_layers[4].rate}")
        if tuple(model.output.shape) != tuple(ref.output.shape):
            _fail(f"{call}: output shape {tuple(model.output.shape)}, expected "
                  f"{tuple(ref.output.shape)}")
        if model.count_params() != ref.count_params():
            _fail(f"{call}: {model.count_params()} parameters, expected {ref.count_params()}")
    _passed(len(cases))


def _check_label(call: str, got: Any, expected: int, num_classes: int) -> int:
    if got is None:
        _fail(f"{call} returned None: did you forget the `return` statement?")
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
        _fail(f"{call} must return a class index (an int), got {type(got).__name__} {got!r}")
    if not 0 <= int(got) < num_classes:
        _fail(f"{call} returned {got}, not a class index in 0..{num_classes - 1}")
    return int(got)


def _matrix_cases(cm: np.ndarray | None) -> list[tuple[str, np.ndarray]]:
    cases = []
    cm = _check_cm(cm)
    if cm is not None:
        cases.append(("the lesson's confusion matrix", cm))
    # Class 0 has the fewest correct predictions but also few samples: its recall is fine.
    cases.append(("an imbalanced matrix", np.array([[9, 0, 1], [1, 60, 39], [0, 40, 95]])))
    # Column sums differ from row sums: the worst recall (row) is not the worst precision.
    cases.append(("a matrix whose worst column is not its worst row",
                  np.array([[50, 0, 0, 0], [0, 30, 20, 0], [0, 0, 40, 10], [30, 0, 0, 20]])))
    return cases


def _check_cm(cm: Any) -> np.ndarray | None:
    """``cm`` as an array, checked to be a square (K, K) matrix; ``None`` stays ``None``."""
    if cm is None:
        return None
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (K, K) matrix, got shape {cm.shape}")
    return cm


def check_worst_class(worst_class: Callable, cm: Any = None) -> None:
    """Check ``worst_class(cm)``: the index of the class with the lowest recall.

    ``cm`` is a (K, K) confusion matrix, rows = true class, columns = predicted class; the
    recall (per-class accuracy) of class k is ``cm[k, k] / cm[k].sum()``.
    """
    cases = _matrix_cases(cm)
    for what, matrix in cases:
        call = f"worst_class({what})"
        got = _call("worst_class", worst_class, matrix.copy())
        recall = np.diag(matrix) / matrix.sum(axis=1)
        expected = int(np.argmin(recall))
        got = _check_label(call, got, expected, len(matrix))
        if got != expected:
            precision = np.diag(matrix) / np.maximum(matrix.sum(axis=0), 1)
            if got == int(np.argmin(np.diag(matrix))):
                hint = ("the fewest correct predictions is not the lowest accuracy when classes "
                        "have different sizes: divide the diagonal by the row sums")
            elif got == int(np.argmin(precision)):
                hint = ("that is the lowest precision (columns); per-class accuracy divides by "
                        "the row sums (rows are the true classes)")
            elif got == int(np.argmax(recall)):
                hint = "that is the best class: look for the smallest recall"
            else:
                hint = f"per-class recall is {np.round(recall, 3).tolist()}"
            _fail(f"{call} returned {got}, expected {expected}: {hint}")
    _passed(len(cases))


def check_most_confused(most_confused: Callable, cm: Any = None) -> None:
    """Check ``most_confused(cm)`` -> ``(true_class, predicted_class)`` of the largest
    off-diagonal entry of the confusion matrix (the most frequent mistake)."""
    cases = _matrix_cases(cm)
    for what, matrix in cases:
        call = f"most_confused({what})"
        got = _call("most_confused", most_confused, matrix.copy())
        off = matrix.astype(float).copy()
        np.fill_diagonal(off, -1)
        expected = tuple(int(i) for i in np.unravel_index(np.argmax(off), off.shape))
        if got is None:
            _fail(f"{call} returned None: did you forget the `return` statement?")
        try:
            pair = tuple(int(v) for v in got)
        except (TypeError, ValueError):
            _fail(f"{call} must return a pair (true_class, predicted_class), got {got!r}")
        if len(pair) != 2:
            _fail(f"{call} must return a pair (true_class, predicted_class), got {got!r}")
        if pair != expected:
            if pair[0] == pair[1]:
                hint = "exclude the diagonal: those are the correct predictions"
            elif pair == expected[::-1]:
                hint = "rows are the true classes, columns the predictions: (row, column)"
            else:
                hint = (f"cm{list(pair)} = {matrix[pair]}, but cm{list(expected)} = "
                        f"{matrix[expected]} is larger")
            _fail(f"{call} returned {pair}, expected {expected}: {hint}")
    _passed(len(cases))


# --------------------------------------------------------------------------- lesson 14
def check_inception_block(inception_block: Callable) -> None:
    """Check ``inception_block(x, filters, strides=1)`` against the course's block.

    Four branches of ``filters`` channels each (1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3
    max-pool then 1x1), every convolution followed by BatchNormalization and ReLU, the
    stride on each branch's first convolution, the branches concatenated on the channel
    axis: output ``(ceil(H / s), ceil(W / s), 4 * filters)``.
    """
    from .models import inception_block as reference

    cases = [((16, 16, 8), 4, 1), ((16, 12, 8), 6, 2), ((9, 9, 3), 2, 2)]
    for shape, filters, strides in cases:
        call = f"inception_block(x of shape {(None,) + shape}, filters={filters}, strides={strides})"
        model = _build_block("inception_block", inception_block, shape, filters, strides=strides)
        ref = _build_block("reference", reference, shape, filters, strides=strides)
        got_shape, exp_shape = tuple(model.output.shape), tuple(ref.output.shape)
        if got_shape != exp_shape:
            if got_shape[1:3] == exp_shape[1:3]:
                hint = (f"the output has {got_shape[-1]} channels: concatenate the four branches "
                        f"of `filters` channels each on the channel axis (4 * {filters} = "
                        f"{4 * filters})")
            elif got_shape[1:3] == shape[:2]:
                hint = "is the stride applied? put it on the first convolution of every branch"
            else:
                hint = "use padding='same' everywhere so the branches keep the same size"
            _fail(f"{call}: output shape {got_shape}, expected {exp_shape}: {hint}")
        kinds = [type(l).__name__ for l in model.layers]
        if "Concatenate" not in kinds:
            _fail(f"{call}: no Concatenate layer: join the branches with "
                  f"layers.Concatenate(axis=-1)([b1, b2, b3, b4])")
        got_n, exp_n = model.count_params(), ref.count_params()
        if got_n != exp_n:
            n_bn = kinds.count("BatchNormalization")
            n_conv = kinds.count("Conv2D")
            if n_conv != 6:
                hint = f"{n_conv} Conv2D layers, expected 6 (1 + 2 + 2 + 1 over the four branches)"
            elif n_bn != 6:
                hint = (f"{n_bn} BatchNormalization layers, expected 6: one after every "
                        f"convolution")
            else:
                hint = ("check the kernel sizes (1x1, 1x1+3x3, 1x1+5x5, pool+1x1) and that "
                        "every convolution has `filters` filters")
            _fail(f"{call}: {got_n} parameters, expected {exp_n}: {hint}")
    _passed(len(cases))


# --------------------------------------------------------------------------- lesson 15
def _graph(model) -> dict[str, list[str]]:
    """Map layer name -> names of the layers feeding it, from the model's config."""
    config = model.get_config()

    def names(node: Any, out: list[str]) -> list[str]:
        if isinstance(node, dict):
            history = node.get("config", {}).get("keras_history") if isinstance(
                node.get("config"), dict) else None
            if history:
                out.append(history[0])
            else:
                for value in node.values():
                    names(value, out)
        elif isinstance(node, (list, tuple)):
            if (len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int)
                    and isinstance(node[2], int)):
                out.append(node[0])
            else:
                for value in node:
                    names(value, out)
        return out

    return {layer["name"]: names(layer.get("inbound_nodes", []), [])
            for layer in config["layers"]}


def _is_relu(layer) -> bool:
    kind = type(layer).__name__
    if kind == "ReLU":
        return True
    if kind == "Activation":
        return layer.get_config().get("activation") == "relu"
    return False


def check_residual_block(residual_block: Callable) -> None:
    """Check ``residual_block(x, filters, strides=1)``: ``relu(F(x) + shortcut(x))``.

    ``F`` is conv3x3 (stride ``strides``) -> BN -> ReLU -> conv3x3 -> BN (convolutions
    without bias); the shortcut is ``x`` itself when the shape is unchanged, else a
    projection: 1x1 conv with stride ``strides`` (no bias) -> BN. Checked: output shapes,
    parameter count, and that the Add feeds the final ReLU (the shortcut is added *before*
    the last activation).
    """
    from .models import residual_block as reference

    cases = [((8, 8, 16), 16, 1, "identity shortcut"), ((8, 8, 16), 32, 2, "projection, stride 2"),
             ((7, 9, 8), 16, 1, "projection, more channels"), ((9, 9, 4), 4, 2,
                                                               "projection, stride 2")]
    for shape, filters, strides, what in cases:
        call = (f"residual_block(x of shape {(None,) + shape}, filters={filters}, "
                f"strides={strides}) [{what}]")
        try:
            model = _build_block("residual_block", residual_block, shape, filters,
                                 strides=strides)
        except AssertionError as exc:
            if "Inputs have incompatible shapes" in str(exc) or "shape" in str(exc).lower():
                raise AssertionError(
                    f"{exc}\nHint: the two inputs of Add must have the same shape; when the "
                    f"stride is not 1 or the number of channels changes, the shortcut needs a "
                    f"projection: a 1x1 Conv2D with `strides`, then BatchNormalization") from None
            raise
        ref = _build_block("reference", reference, shape, filters, strides=strides)
        got_shape, exp_shape = tuple(model.output.shape), tuple(ref.output.shape)
        if got_shape != exp_shape:
            hint = ("is the stride applied? put it on the first 3x3 convolution and on the "
                    "projection" if got_shape[1:3] != exp_shape[1:3] else
                    "the block's output has `filters` channels")
            _fail(f"{call}: output shape {got_shape}, expected {exp_shape}: {hint}")
        by_name = {l.name: l for l in model.layers}
        graph = _graph(model)
        adds = [l for l in model.layers if type(l).__name__ == "Add"]
        if len(adds) != 1:
            _fail(f"{call}: {len(adds)} Add layers, expected 1: add the shortcut with "
                  f"layers.Add()([y, shortcut])")
        add = adds[0]
        last = model.layers[-1]
        if last is add:
            _fail(f"{call}: the block ends with the Add: apply the final ReLU after adding the "
                  f"shortcut, out = relu(F(x) + shortcut(x))")
        if not _is_relu(last) or graph.get(last.name) != [add.name]:
            _fail(f"{call}: the last layer is {type(last).__name__} fed by "
                  f"{graph.get(last.name)}; expected a ReLU fed by the Add: the shortcut is "
                  f"added before the final activation, out = relu(F(x) + shortcut(x))")
        add_inputs = graph[add.name]
        if len(add_inputs) != 2:
            _fail(f"{call}: the Add has {len(add_inputs)} inputs, expected 2 (F(x), shortcut)")
        branch_kinds = [type(by_name[n]).__name__ for n in add_inputs]
        if any(_is_relu(by_name[n]) for n in add_inputs):
            _fail(f"{call}: a ReLU feeds the Add: the residual branch ends with "
                  f"BatchNormalization, the ReLU comes after the addition")
        input_name = model.layers[0].name
        projection = strides != 1 or shape[-1] != filters
        if not projection and input_name not in add_inputs:
            _fail(f"{call}: the shape does not change, so the shortcut is the identity: add x "
                  f"itself (got {branch_kinds})")
        if projection:
            if input_name in add_inputs:
                _fail(f"{call}: the shortcut must be projected (1x1 Conv2D with strides, "
                      f"then BatchNormalization) when the shape changes")
            proj = [by_name[n] for n in add_inputs
                    if any(type(by_name[m]).__name__ == "Conv2D"
                           and by_name[m].get_config()["kernel_size"] == (1, 1)
                           for m in [n] + graph.get(n, []))]
            if not proj:
                _fail(f"{call}: no 1x1 Conv2D on the shortcut: the projection is a 1x1 "
                      f"convolution with `strides`, then BatchNormalization")
        got_n, exp_n = model.count_params(), ref.count_params()
        if got_n != exp_n:
            biases = [l.name for l in model.layers
                      if type(l).__name__ == "Conv2D" and l.get_config()["use_bias"]]
            hint = (f"the convolutions {biases} have a bias: use use_bias=False, the "
                    f"BatchNormalization after them has its own shift" if biases else
                    "check the kernel sizes (3x3, 3x3, 1x1 projection) and the BatchNorms")
            _fail(f"{call}: {got_n} parameters, expected {exp_n}: {hint}")
    _passed(len(cases))
