"""Checks of the first lessons' exercises: images as arrays, one step of the sliding window,
the convolution's flip, activation derivatives and the cross-entropy by hand.

Every answer is a NumPy function of plain arrays and ints (probe kinds ``"array"`` and
``"number"`` of :mod:`.probe`):

- lesson 01: ``colour_histogram(image, bins)`` -> (3, bins) counts of each channel of a uint8
  RGB image over ``[0, 256)``; ``grayscale(image)`` -> (H, W), ``0.299 R + 0.587 G + 0.114 B``;
- lesson 02: ``window_value(image, kernel, i, j)`` -> the output at (i, j) of the sliding window
  (cross-correlation, window's top-left corner at (i, j)); ``convolve2d(image, kernel)`` -> the
  mathematical convolution ("valid"): the kernel rotated by 180 degrees, then slid;
- lesson 06: ``sigmoid_derivative(z)``; ``softmax_jvp(z, v)`` -> ``J(z) v`` row by row, with
  ``J = diag(s) - s s^T`` the Jacobian of the softmax ``s`` of a row;
- lesson 07: ``cross_entropy(probs, labels)`` -> ``-(1/N) sum_n ln probs[n, labels[n]]``.

Registered like :mod:`.backprop`: :data:`CASES`, :data:`JUDGES`, :data:`FORBIDDEN` here, the
probes in :data:`cnn_course.checks.probe.PROBES`. Each judge names the typical mistakes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:  # the judges import .judging when they run: the probe process never does
    from .judging import Verdict

__all__ = ["CASES", "JUDGES", "FORBIDDEN", "check_colour_histogram", "check_grayscale",
           "check_window_value", "check_convolve2d", "check_sigmoid_derivative",
           "check_softmax_jvp", "check_cross_entropy"]

LUMA = np.array([0.299, 0.587, 0.114])


def _rng(seed: int, check_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, sum(map(ord, check_id)), 1])


def _case(*args: Any, label: str | None = None, **kwargs: Any) -> dict:
    """One case as plain data (also used by :mod:`.training_steps`)."""
    out: dict = {"args": list(args), "kwargs": kwargs}
    if label is not None:
        out["label"] = label
    return out


def _not_array(value: Any) -> str | None:
    """Why a result is not an ndarray, or None (also used by :mod:`.training_steps`)."""
    return None if isinstance(value, np.ndarray) else \
        f"returned {type(value).__name__}, expected a NumPy array"


def _windows(image: np.ndarray, kh: int, kw: int) -> np.ndarray:
    return np.lib.stride_tricks.sliding_window_view(image, (kh, kw))


# --------------------------------------------------------------------------- lesson 01
def colour_histogram_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "colour_histogram")
    cases = [_case(rng.integers(0, 256, (6, 5, 3)).astype(np.uint8), 8, label="8 bins"),
             _case(rng.integers(50, 200, (4, 7, 3)).astype(np.uint8), 4,
                   label="values 50-199 only (the bins still span 0-255)"),
             _case(rng.integers(0, 256, (5, 5, 3)).astype(np.uint8), 5,
                   label="5 bins (256 is not a multiple of 5)")]
    image = rng.integers(0, 256, (3, 4, 3)).astype(np.uint8)
    image[0, 0] = 255
    cases.append(_case(image, 16, label="a pixel at 255"))
    return cases


def _histograms(image: np.ndarray, bins: int, value_range: tuple | None = (0, 256)) -> np.ndarray:
    return np.stack([np.histogram(image[..., c], bins=bins, range=value_range)[0]
                     for c in range(3)]).astype(float)


def judge_colour_histogram(cases: list[dict], results: list) -> "Verdict":
    from .judging import Shape, array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        image, bins = np.asarray(case["args"][0]), int(case["args"][1])
        expected = _histograms(image, bins)
        if (problem := _not_array(value)):
            return problem, []
        wrong = [
            ("the bins follow the image's own minimum and maximum: they must span the 256 "
             "possible values 0..255 whatever the image holds (a range of (0, 256))",
             _histograms(image, bins, None)),
            ("the bins end at 255, not 256: there are 256 possible values, so every bin is "
             "256 / bins wide", _histograms(image, bins, (0, 255))),
            ("the three channels are counted together: one histogram per channel (red, green, "
             "blue), one row each", Shape((bins,))),
            ("the result is (bins, 3): one *row* per channel, shape (3, bins)",
             Shape((bins, 3))),
            ("the counts are normalised: return how many pixels fall in each bin",
             expected / (image.shape[0] * image.shape[1])),
        ]
        return array_difference(value, expected), keep_distinct(expected, wrong)

    return judge_cases("colour_histogram", cases, results, check)


def grayscale_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "grayscale")
    return [_case(rng.integers(0, 256, shape).astype(np.uint8), label=label)
            for shape, label in [((4, 5, 3), None), ((1, 1, 3), "one pixel"),
                                 ((3, 7, 3), "non-square"), ((6, 6, 3), None)]] + \
        [_case(np.full((2, 3, 3), 200, np.uint8), label="bright pixels (uint8 arithmetic)")]


def judge_grayscale(cases: list[dict], results: list) -> "Verdict":
    from .judging import Shape, array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        image = np.asarray(case["args"][0])
        rgb = image.astype(float)
        expected = rgb @ LUMA
        if (problem := _not_array(value)):
            return problem, []
        wrong = [
            ("the channels are averaged with equal weights: the eye is most sensitive to green, "
             "so the weights are 0.299 (R), 0.587 (G), 0.114 (B)", rgb.mean(axis=2)),
            ("the weights are in the order B, G, R: channel 0 is red here (RGB, as Keras and "
             "matplotlib), it gets 0.299", rgb @ LUMA[::-1]),
            ("the sum is taken in uint8 and wraps around past 255: convert to float first",
             ((image.astype(np.int64).sum(axis=2) % 256) / 3.0)),
            ("the result keeps a channel axis of size 1: a grey image is (H, W)",
             Shape(image.shape[:2] + (1,))),
            ("the result is rounded to whole numbers: keep the float values",
             np.floor(expected)),
        ]
        return array_difference(value, expected), keep_distinct(expected, wrong)

    return judge_cases("grayscale", cases, results, check)


# --------------------------------------------------------------------------- lesson 02
def window_value_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "window_value")
    cases = []
    for shape, kshape, i, j, label in [((5, 6), (3, 3), 1, 2, "3x3 kernel"),
                                       ((6, 5), (2, 3), 3, 0, "2x3 kernel, i != j"),
                                       ((7, 7), (3, 3), 4, 2, None),
                                       ((4, 8), (3, 2), 0, 5, "first row")]:
        image = rng.integers(-5, 10, shape).astype(float)
        kernel = rng.integers(-3, 4, kshape).astype(float)
        kernel[0, 0] = 5.0  # never symmetric, so a flip shows
        cases.append(_case(image, kernel, i, j, label=label))
    return cases


def _window_at(image: np.ndarray, kernel: np.ndarray, r: int, c: int) -> float | None:
    kh, kw = kernel.shape
    if r < 0 or c < 0 or r + kh > image.shape[0] or c + kw > image.shape[1]:
        return None
    return float(np.sum(image[r:r + kh, c:c + kw] * kernel))


def judge_window_value(cases: list[dict], results: list) -> "Verdict":
    from .judging import judge_cases, keep_distinct

    def check(case: dict, value: Any):
        image, kernel = (np.asarray(a, dtype=float) for a in case["args"][:2])
        i, j = int(case["args"][2]), int(case["args"][3])
        kh, kw = kernel.shape
        expected = _window_at(image, kernel, i, j)
        if type(value) not in (int, float):
            return f"returned {type(value).__name__}, expected one number", []
        wrong = [
            ("the kernel is flipped: the sliding window of a CNN (cross-correlation) multiplies "
             "each pixel by the kernel entry at the same place in the window",
             _window_at(image, kernel[::-1, ::-1], i, j)),
            ("the window is centred on (i, j): here (i, j) is the window's top-left corner",
             _window_at(image, kernel, i - kh // 2, j - kw // 2)),
            ("i and j are swapped: i counts rows (down), j counts columns (across)",
             _window_at(image, kernel, j, i)),
            ("the products are averaged: the output is their sum",
             expected / (kh * kw)),
        ]
        problem = None if np.isclose(value, expected, atol=1e-6) else \
            f"returned {value:.6g}, expected {expected:.6g}"
        return problem, keep_distinct(expected, wrong)

    return judge_cases("window_value", cases, results, check)


def convolve2d_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "convolve2d")
    cases = []
    for shape, kshape, label in [((5, 5), (3, 3), "3x3 kernel"), ((6, 7), (2, 3), "2x3 kernel"),
                                 ((7, 5), (3, 2), "3x2 kernel"), ((6, 6), (3, 3), None)]:
        kernel = rng.integers(-3, 4, kshape).astype(float)
        kernel[0, 0], kernel[-1, -1] = 4.0, -2.0  # no symmetry: every flip shows
        if kshape[0] == kshape[1]:
            kernel[0, -1] = 7.0  # nor a transpose symmetry
        cases.append(_case(rng.integers(-4, 9, shape).astype(float), kernel, label=label))
    return cases


def _correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    return np.einsum("ijuv,uv->ij", _windows(image, *kernel.shape), kernel)


def judge_convolve2d(cases: list[dict], results: list) -> "Verdict":
    from .judging import Shape, array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        image, kernel = (np.asarray(a, dtype=float) for a in case["args"])
        expected = _correlate(image, kernel[::-1, ::-1])
        (h, w), (kh, kw) = image.shape, kernel.shape
        if (problem := _not_array(value)):
            return problem, []
        wrong = [
            ("the kernel is not flipped: that is the cross-correlation of a CNN layer; the "
             "mathematical convolution first rotates the kernel by 180 degrees",
             _correlate(image, kernel)),
            ("the kernel is flipped upside down only: a 180-degree rotation flips both the "
             "rows and the columns", _correlate(image, kernel[::-1, :])),
            ("the kernel is flipped left-right only: a 180-degree rotation flips both the "
             "rows and the columns", _correlate(image, kernel[:, ::-1])),
            ("the kernel is transposed, not rotated: a transpose mirrors along the diagonal, "
             "the convolution needs the 180-degree rotation",
             _correlate(image, kernel.T) if kh == kw else None),
            ("the output has the image's size: 'valid' keeps only the windows that fit "
             "(H - kh + 1, W - kw + 1)", Shape((h, w))),
            ("the output is the 'full' size: only the windows that fit inside the image",
             Shape((h + kh - 1, w + kw - 1))),
        ]
        return array_difference(value, expected), keep_distinct(expected, wrong)

    return judge_cases("convolve2d", cases, results, check)


# --------------------------------------------------------------------------- lesson 06
def sigmoid_derivative_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "sigmoid_derivative")
    return [_case(np.array([-2.0, -0.5, 0.0, 0.5, 2.0]), label="around 0"),
            _case(rng.normal(0, 3, (3, 4)).round(3), label="a 2-D array"),
            _case(rng.normal(0, 6, (2, 2, 3)).round(3), label="a 3-D array"),
            _case(np.array([-800.0, -50.0, 50.0, 800.0]),
                  label="large |z| (saturation, overflow of exp)")]


def judge_sigmoid_derivative(cases: list[dict], results: list) -> "Verdict":
    from ..activations import sigmoid, sigmoid_derivative
    from .judging import array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        z = np.asarray(case["args"][0], dtype=float)
        expected = sigmoid_derivative(z)
        s = sigmoid(z)
        if (problem := _not_array(value)):
            return problem, []
        wrong = [
            ("the derivative is s(1 - s) with s = sigmoid(z): it was applied to z itself",
             z * (1 - z)),
            ("that is sigmoid(z), not its derivative", s),
            ("the square of the denominator is missing: d/dz 1/(1 + e^-z) = e^-z / "
             "(1 + e^-z)^2", 1 - s),
        ]
        return array_difference(value, expected), keep_distinct(expected, wrong)

    def fallback(case: dict, value: Any) -> str | None:
        if isinstance(value, np.ndarray) and not np.isfinite(value).all():
            return ("not finite for large |z|: exp overflows; compute s = sigmoid(z) first "
                    "(it is between 0 and 1) and write the derivative with s")
        return None

    return judge_cases("sigmoid_derivative", cases, results, check, fallback_hint=fallback)


def softmax_jvp_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "softmax_jvp")
    cases = []
    for n, k, scale, label in [(4, 5, 1.0, "4 rows of 5"), (1, 3, 1.0, "one row of 3"),
                               (2, 4, 2.0, None), (3, 3, 300.0, "large logits (stability)")]:
        cases.append(_case(rng.normal(0, scale, (n, k)).round(3),
                           rng.normal(0, 1, (n, k)).round(3), label=label))
    return cases


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def judge_softmax_jvp(cases: list[dict], results: list) -> "Verdict":
    from .judging import array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        z, v = (np.asarray(a, dtype=float) for a in case["args"])
        s = _softmax(z)
        dot = (s * v).sum(axis=1, keepdims=True)
        expected = s * (v - dot)
        if (problem := _not_array(value)):
            return problem, []
        wrong = [
            ("only the diagonal of the Jacobian is used: every output s_i depends on every "
             "input z_j (dS_i/dz_j = s_i (delta_ij - s_j)), so the off-diagonal terms "
             "-s_i s_j count too", s * (1 - s) * v),
            ("the term that comes from the normalisation is missing: J v = s * (v - s.v), "
             "with s.v the dot product of the row", s * v),
            ("the dot product s.v is summed over the batch (axis 0): it belongs to each row",
             s * (v - (s * v).sum(axis=0, keepdims=True)) if len(z) > 1 else None),
            ("the sign is flipped: J v = s * (v - s.v)", -expected),
        ]
        return array_difference(value, expected), keep_distinct(expected, wrong)

    def fallback(case: dict, value: Any) -> str | None:
        if isinstance(value, np.ndarray) and not np.isfinite(value).all():
            return "not finite for large logits: subtract the row maximum before exp"
        return None

    return judge_cases("softmax_jvp", cases, results, check, fallback_hint=fallback)


# --------------------------------------------------------------------------- lesson 07
def cross_entropy_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "cross_entropy")
    cases = []
    for n, k, label in [(1, 3, "one example"), (4, 3, "4 examples"), (6, 10, "10 classes"),
                        (3, 4, None)]:
        probs = _softmax(rng.normal(0, 1.5, (n, k))).round(6)
        probs /= probs.sum(axis=1, keepdims=True)
        labels = rng.integers(0, k, n)
        labels[0] = (int(np.argmax(probs[0])) + 1) % k   # the true class is not the predicted
        cases.append(_case(probs, labels, label=label))
    return cases


def judge_cross_entropy(cases: list[dict], results: list) -> "Verdict":
    from .judging import judge_cases, keep_distinct

    def check(case: dict, value: Any):
        p = np.asarray(case["args"][0], dtype=float)
        y = np.asarray(case["args"][1]).astype(int)
        n = len(y)
        picked = p[np.arange(n), y]
        expected = float(-np.mean(np.log(picked)))
        if type(value) not in (int, float):
            return f"returned {type(value).__name__}, expected one number (a float)", []
        wrong = [
            ("the losses are summed: the cross-entropy of a batch is their mean",
             expected * n if n > 1 else None),
            ("the minus sign is missing: ln p < 0 for p < 1, and a loss is >= 0", -expected),
            ("log10 is used: the cross-entropy uses the natural log (np.log)",
             float(-np.mean(np.log10(picked)))),
            ("the probability of the predicted class (the largest) is used: the loss looks at "
             "the probability given to the *true* class, labels[n]",
             float(-np.mean(np.log(p.max(axis=1))))),
            ("the mean is over all N*K entries: only the true class's entry counts in each row",
             float(-np.mean(np.log(p)))),
        ]
        problem = None if np.isclose(value, expected, atol=1e-6, rtol=1e-6) else \
            f"returned {value:.6g}, expected {expected:.6g}"
        return problem, keep_distinct(expected, wrong)

    return judge_cases("cross_entropy", cases, results, check)


# --------------------------------------------------------------------------- registry parts
CASES: dict[str, Callable[[int], list[dict]]] = {
    "colour_histogram": colour_histogram_cases, "grayscale": grayscale_cases,
    "window_value": window_value_cases, "convolve2d": convolve2d_cases,
    "sigmoid_derivative": sigmoid_derivative_cases, "softmax_jvp": softmax_jvp_cases,
    "cross_entropy": cross_entropy_cases,
}
JUDGES: dict[str, Callable[[list[dict], list], "Verdict"]] = {
    "colour_histogram": judge_colour_histogram, "grayscale": judge_grayscale,
    "window_value": judge_window_value, "convolve2d": judge_convolve2d,
    "sigmoid_derivative": judge_sigmoid_derivative, "softmax_jvp": judge_softmax_jvp,
    "cross_entropy": judge_cross_entropy,
}
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "grayscale": ("cnn_course.images", "skimage", "cv2", "PIL"),
    "window_value": ("cnn_course.conv", "cnn_course.conv2d", "scipy"),
    "convolve2d": ("cnn_course.conv", "cnn_course.conv2d", "scipy", "numpy.convolve",
                   "tf.nn"),
    "sigmoid_derivative": ("cnn_course.activations", "scipy.special"),
    "softmax_jvp": ("cnn_course.activations", "tf.GradientTape", "scipy.special"),
    "cross_entropy": ("cnn_course.losses", "cnn_course.cross_entropy", "keras.losses"),
}


# --------------------------------------------------------------------------- student side
def _run(check_id: str, func: Callable, extra: list[dict] = ()) -> None:
    """In-notebook feedback for a check whose answer is named like the check."""
    from . import run_check

    run_check(check_id, {check_id: func}, list(extra))


def check_colour_histogram(colour_histogram: Callable) -> None:
    """Check ``colour_histogram(image, bins)`` -> (3, bins) counts over [0, 256)."""
    _run("colour_histogram", colour_histogram)


def check_grayscale(grayscale: Callable) -> None:
    """Check ``grayscale(image)`` -> (H, W) float, ``0.299 R + 0.587 G + 0.114 B``."""
    _run("grayscale", grayscale)


def check_window_value(window_value: Callable) -> None:
    """Check ``window_value(image, kernel, i, j)`` -> the sliding window's output at (i, j)."""
    _run("window_value", window_value)


def check_convolve2d(convolve2d: Callable) -> None:
    """Check ``convolve2d(image, kernel)`` -> the "valid" mathematical convolution (flipped)."""
    _run("convolve2d", convolve2d)


def check_sigmoid_derivative(sigmoid_derivative: Callable) -> None:
    """Check ``sigmoid_derivative(z)`` -> ``s (1 - s)`` elementwise, finite for any z."""
    _run("sigmoid_derivative", sigmoid_derivative)


def check_softmax_jvp(softmax_jvp: Callable) -> None:
    """Check ``softmax_jvp(z, v)`` -> ``J(z) v`` for every row, shape (N, K)."""
    _run("softmax_jvp", softmax_jvp)


def check_cross_entropy(cross_entropy: Callable) -> None:
    """Check ``cross_entropy(probs, labels)`` -> ``-mean(ln probs[n, labels[n]])``."""
    _run("cross_entropy", cross_entropy)
