"""Judges of the NumPy and counting exercises (lessons 03, 04, 05, 07, 08, 11).

Each ``judge_<check>(cases, results) -> Verdict`` runs in the grader's process: it computes the
expected value of every case with the course's reference implementation and compares it with
the plain result the probe recorded, naming the typical mistake a wrong answer matches.

See also
--------
cnn_course.checks.judging : the shared comparison and diagnosis.
cnn_course.checks.judge_blocks : the judges of the Keras blocks.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .judging import Shape, Verdict, array_difference, judge_cases, keep_distinct, short

__all__ = ["judge_pad2d", "judge_output_size", "judge_conv2d", "judge_gaussian_kernel",
           "judge_log_kernel", "judge_gradient_magnitude", "judge_max_pool2d", "judge_avg_pool2d",
           "judge_conv_params", "judge_dense_params", "judge_bn_params", "judge_receptive_field",
           "judge_worst_class", "judge_most_confused"]

RETURNED_NONE = "returned None: did you forget the `return` statement?"


def _array_check(expected: np.ndarray, value: Any, mistakes: list) -> tuple[str | None, list]:
    if not isinstance(value, np.ndarray):
        return f"returned {short(value)}, expected an array", []
    return array_difference(value, expected), keep_distinct(expected, mistakes)


# --------------------------------------------------------------------------- lesson 03
def judge_pad2d(cases: list[dict], results: list) -> Verdict:
    from ..padding import pad2d as reference

    def check(case: dict, value: Any):
        x, pad = case["args"]
        pad = pad if isinstance(pad, int) else tuple(tuple(p) for p in pad)
        expected = reference(x, pad)
        (t, b), (l, r) = ((pad, pad), (pad, pad)) if isinstance(pad, int) else pad
        h, w = x.shape[:2]
        mistakes: list = [
            ("rows and columns swapped: pad is ((top, bottom), (left, right))",
             Shape((h + l + r, w + t + b) + x.shape[2:])),
            ("before/after swapped: the first number of each pair goes before (top, left), the "
             "second after (bottom, right)", reference(x, ((b, t), (r, l)))),
            ("pad with zeros, not ones", reference(x, pad, value=1)),
        ]
        if x.ndim == 3:
            for extra in {t + b, l + r} - {0}:
                mistakes.append(("the channel axis was padded too: pad only the two spatial axes "
                                 "(np.pad needs (0, 0) for the channels)",
                                 Shape((h + t + b, w + l + r, x.shape[2] + extra))))
        return _array_check(expected, value, mistakes)

    def fallback(case: dict, value: Any) -> str | None:
        x, pad = case["args"]
        (t, _), (l, _) = ((pad, pad), (pad, pad)) if isinstance(pad, int) else pad
        inside = value[t:t + x.shape[0], l:l + x.shape[1]]
        if inside.shape == x.shape and not np.allclose(inside, x):
            return "the original image must sit unchanged inside the border"
        return None

    return judge_cases("pad2d", cases, results, check, fallback_hint=fallback)


def _output_size_mistakes(n: int, k: int, s: int, p: Any, d: int) -> list[tuple[str, Any]]:
    """What typical wrong formulas return for one input."""
    span = d * (k - 1) + 1
    if p == "same":
        return [("with 'same' padding and a stride, the output is ceil(n / stride), not n", n),
                ("'same' padding keeps ceil(n / stride) outputs, whatever the kernel size",
                 (n - span) // s + 1),
                ("round up: 'same' gives ceil(n / stride), not floor", n // s)]
    pad = 0 if p == "valid" else p
    return [
        ("is the stride applied? divide by the stride (and floor) before adding 1",
         n + 2 * pad - span + 1),
        ("padding p adds p pixels on both sides: use n + 2 * p", (n + pad - span) // s + 1),
        ("is the padding applied? use n + 2 * p", (n - span) // s + 1),
        ("count the first window too: the formula ends with + 1", (n + 2 * pad - span) // s),
        ("round down (floor): a window that would hang over the border is not computed",
         math.ceil((n + 2 * pad - span) / s) + 1),
        ("the dilated kernel spans d * (k - 1) + 1 pixels", (n + 2 * pad - k) // s + 1),
    ]


def _number_problem(value: Any, expected: int, what: str = "expected") -> str | None:
    """What is wrong with a returned count/size ``value`` (``None`` when it is right)."""
    if isinstance(value, bool):
        return f"returned the bool {value}, expected the int {expected}"
    if isinstance(value, float):
        if value == expected:
            return f"returned the float {value!r}: return an int (use // or int())"
        return f"returned {value!r}, {what} {expected}"
    if value != expected:
        return f"returned {value}, {what} {expected}"
    return None


def judge_output_size(cases: list[dict], results: list) -> Verdict:
    from ..padding import output_size as reference

    def check(case: dict, value: Any):
        (n, k), kw = case["args"], case["kwargs"]
        expected = reference(n, k, **kw)
        mistakes = _output_size_mistakes(n, k, kw["stride"], kw["padding"], kw["dilation"])
        return _number_problem(value, expected), keep_distinct(expected, mistakes)

    return judge_cases("output_size", cases, results, check)


def judge_conv2d(cases: list[dict], results: list) -> Verdict:
    from ..conv import conv2d as reference
    from ..padding import output_size

    def check(case: dict, value: Any):
        (x, kernel), kw = case["args"], case["kwargs"]
        s, p = kw["stride"], kw["padding"]
        (h, w, c), (kh, kw_, _, f) = x.shape, kernel.shape
        expected = reference(x, kernel, stride=s, padding=p)

        def sizes(rows: int, cols: int, stride: int, pad: int, chans: int) -> Shape | None:
            """The output shape of that mistake, or None where it has no output at all."""
            try:
                return Shape((output_size(h, rows, stride, pad), output_size(w, cols, stride, pad),
                              chans))
            except ValueError:  # e.g. a swapped kernel wider than the padded image
                return None

        def shape(stride: int, pad: int, chans: int = f) -> Shape | None:
            return sizes(kh, kw_, stride, pad, chans)

        h_out, w_out = expected.shape[:2]
        mistakes = [
            ("the output has one channel per filter (F = kernel.shape[3]), not one per input "
             "channel", shape(s, p, c)),
            ("is the padding applied? add `padding` zeros on each side first", shape(s, 0)),
            ("is the stride applied? move the window by `stride` pixels", shape(1, p)),
            ("are stride and padding applied?", shape(1, 0)),
            ("keep the filter axis: the output is (H', W', F), even for F = 1",
             Shape(expected.shape[:2])),
            ("kernel height and width swapped: the kernel is (kh, kw, C, F)",
             sizes(kw_, kh, s, p, f)),
            ("did you flip the kernel? Keras layers (and this course) compute the "
             "cross-correlation: sum(x_patch * kernel), no flip",
             reference(x, kernel[::-1, ::-1], stride=s, padding=p)),
            ("sum over all input channels, not only the first",
             reference(x, np.where(np.arange(c)[None, None, :, None] == 0, kernel, 0), stride=s,
                       padding=p) if c > 1 else None),
            ("the output size is right, but the window of output (i, j) must start at row "
             "i * stride and column j * stride of the padded image, not at (i, j)",
             reference(x, kernel, stride=1, padding=p)[:h_out, :w_out] if s > 1 else None),
        ]
        return _array_check(expected, value, mistakes)

    return judge_cases("conv2d", cases, results, check, call=_conv_call)


def _conv_call(case: dict) -> str:
    (x, kernel), kw = case["args"], case["kwargs"]
    return (f"conv2d(x of shape {x.shape}, kernel of shape {kernel.shape}, "
            f"stride={kw['stride']}, padding={kw['padding']})")


# --------------------------------------------------------------------------- lesson 04
def _kernel_shapes(size: int) -> list[tuple[str, Any]]:
    return [("return a 2-D (size, size) kernel, not a 1-D profile", Shape((size,))),
            ("the grid must have exactly `size` points per axis", Shape((size + 1, size + 1))),
            ("the grid must have exactly `size` points per axis", Shape((size - 1, size - 1)))]


def _kernel_call(name: str):
    return lambda case: f"{name}({case['args'][0]}, sigma={case['args'][1]})"


def judge_gaussian_kernel(cases: list[dict], results: list) -> Verdict:
    from ..filters import gaussian

    def check(case: dict, value: Any):
        size, sigma = case["args"]
        expected = gaussian(size, sigma)
        coords = np.arange(size) - size // 2
        r2 = coords[:, None] ** 2 + coords[None, :] ** 2
        unnormalised = np.exp(-r2 / (2 * sigma ** 2))
        off = np.arange(size)
        off_centre = np.exp(-(off[:, None] ** 2 + off[None, :] ** 2) / (2 * sigma ** 2))
        no_two = np.exp(-r2 / sigma ** 2)
        mistakes = _kernel_shapes(size) + [
            ("normalise: divide by the sum so the weights add up to 1 (a blur must not change "
             "the brightness)", unnormalised),
            ("the continuous 1/(2 pi sigma^2) factor does not make the sampled weights sum to 1: "
             "divide by their sum instead", unnormalised / (2 * np.pi * sigma ** 2)),
            ("centre the grid: coordinates run from -(size // 2) to size // 2, so the peak is in "
             "the middle", off_centre / off_centre.sum()),
            ("the exponent is -(x^2 + y^2) / (2 sigma^2): the 2 is missing", no_two / no_two.sum()),
        ]
        return _array_check(expected, value, mistakes)

    return judge_cases("gaussian_kernel", cases, results, check,
                       call=_kernel_call("gaussian_kernel"))


def judge_log_kernel(cases: list[dict], results: list) -> Verdict:
    from ..filters import log

    def check(case: dict, value: Any):
        size, sigma = case["args"]
        expected = log(size, sigma)
        mistakes: list = list(_kernel_shapes(size))
        if isinstance(value, np.ndarray) and value.shape == expected.shape:
            arr = value.astype(float)
            mistakes.append((f"the weights sum to {arr.sum():.4g}, expected 0: subtract the mean "
                             f"so a flat region gives 0",
                             value if (abs(arr.sum()) > 1e-6 * max(1.0, np.abs(arr).sum()) and
                                       np.allclose(arr - arr.mean(), expected, atol=1e-6))
                             else None))
            mistakes.append(("the sign is flipped: the centre of the LoG is negative, use "
                             "(u^2 + v^2 - 2 sigma^2), not (2 sigma^2 - u^2 - v^2)", -expected))
            ratio = arr.ravel() @ expected.ravel() / max(expected.ravel() @ expected.ravel(),
                                                         1e-300)
            if ratio > 0 and not np.isclose(ratio, 1.0):
                mistakes.append(("right shape, wrong scale: multiply the normalised Gaussian "
                                 "(sum 1) by (u^2 + v^2 - 2 sigma^2) / sigma^4 and do not rescale "
                                 "further", ratio * expected))
        return _array_check(expected, value, mistakes)

    return judge_cases("log_kernel", cases, results, check, call=_kernel_call("log_kernel"))


def judge_gradient_magnitude(cases: list[dict], results: list) -> Verdict:
    from .. import filters

    def check(case: dict, value: Any):
        image = case["args"][0]
        expected = filters.gradient_magnitude(image, operator="sobel")
        gx = filters.apply_filter(image, filters.sobel_x())
        gy = filters.apply_filter(image, filters.sobel_y())
        h, w = image.shape
        inner = (slice(1, h - 1), slice(1, w - 1))
        if not isinstance(value, np.ndarray):
            return f"returned {short(value)}, expected an array", []
        problem = array_difference(value, expected, inner if value.shape == expected.shape
                                   else None)
        mistakes = [("keep the image's shape: use 'same' padding", Shape((h - 2, w - 2))),
                    ("rows and columns swapped", Shape(image.shape[::-1]))]
        for text, wrong in [
                ("that is |Gx| only: combine both directions, sqrt(Gx^2 + Gy^2)", np.abs(gx)),
                ("that is |Gy| only: combine both directions, sqrt(Gx^2 + Gy^2)", np.abs(gy)),
                ("that is Gx only: combine both directions, sqrt(Gx^2 + Gy^2)", gx),
                ("that is Gy only: combine both directions, sqrt(Gx^2 + Gy^2)", gy),
                ("use sqrt(Gx^2 + Gy^2), not |Gx| + |Gy|", np.abs(gx) + np.abs(gy)),
                ("take the square root: sqrt(Gx^2 + Gy^2)", gx ** 2 + gy ** 2),
                ("those are the Prewitt kernels: Sobel weights the centre row/column by 2",
                 filters.gradient_magnitude(image, operator="prewitt"))]:
            if np.allclose(wrong[inner], expected[inner], atol=1e-6):
                continue
            # Only the interior counts: a mistake predicts the student's interior.
            if value.shape == wrong.shape and np.allclose(value[inner], wrong[inner], atol=1e-6):
                mistakes.append((text, value))
            else:
                mistakes.append((text, wrong))
        return problem, mistakes

    return judge_cases("gradient_magnitude", cases, results, check,
                       call=lambda case: f"gradient_magnitude({case.get('label', 'an image')} of "
                                         f"shape {case['args'][0].shape})")


# --------------------------------------------------------------------------- lesson 05
def _pool_call(name: str):
    def call(case: dict) -> str:
        x, k = case["args"]
        s = case["kwargs"].get("stride")
        return f"{name}(x of shape {x.shape}, pool_size={k}" + (
            f", stride={s})" if s is not None else ")")
    return call


def _judge_pool(name: str, mode: str, cases: list[dict], results: list) -> Verdict:
    from ..padding import output_size
    from ..pooling import pool2d

    def check(case: dict, value: Any):
        x, k = case["args"]
        s = case["kwargs"].get("stride")
        stride = k if s is None else s
        h, w, c = x.shape
        expected = pool2d(x, k, stride, mode=mode)
        mistakes: list = []
        if stride != k:
            mistakes.append(("is the stride applied? it looks like the stride is hard-coded to "
                             "the pool size",
                             Shape((output_size(h, k, k), output_size(w, k, k), c))))
        mistakes += [
            ("is the stride applied? move the window by `stride` pixels",
             Shape((output_size(h, k, 1), output_size(w, k, 1), c))),
            ("pool each channel separately and keep the channel axis: (H', W', C)",
             Shape((output_size(h, k, stride), output_size(w, k, stride)))),
            ("no padding: only windows that fit completely inside the image count",
             Shape((-(-h // stride), -(-w // stride), c))),
        ]
        other = "avg" if mode == "max" else "max"
        mistakes.append((f"that is {other} pooling, the exercise asks for {mode} pooling",
                         pool2d(x, k, stride, mode=other)))
        if mode == "max":
            mistakes.append(("start the maximum at -inf (or the first value), not at 0: windows "
                             "can be all negative", np.maximum(expected, 0)))
        else:
            mistakes.append(("that is the sum of each window: divide it by the number of pixels "
                             "in the window, k * k", expected * k * k))
            mistakes.append(("divide by the number of pixels in the window, k * k, not by k",
                             expected * k))
        if s is None:
            mistakes.append(("stride=None means stride = pool_size", pool2d(x, k, 1, mode=mode)))
        return _array_check(expected, value, mistakes)

    return judge_cases(name, cases, results, check, call=_pool_call(name))


def judge_max_pool2d(cases: list[dict], results: list) -> Verdict:
    return _judge_pool("max_pool2d", "max", cases, results)


def judge_avg_pool2d(cases: list[dict], results: list) -> Verdict:
    return _judge_pool("avg_pool2d", "avg", cases, results)


# --------------------------------------------------------------------------- lesson 07
def _count_problem(value: Any, expected: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must return a number, got {short(value)}"
    if value != expected:
        return f"returned {value}, Keras counts {expected}"
    return None


def _count_mistakes(value: Any, expected: int, wrong: list[tuple[str, int]]) -> list:
    return keep_distinct(expected, [(t, v) for t, v in wrong])


def judge_conv_params(cases: list[dict], results: list) -> Verdict:
    from .._lazy import keras

    def check(case: dict, value: Any):
        (kh, kw, c, f), bias = case["args"], case["kwargs"]["bias"]
        layer = keras.layers.Conv2D(f, (kh, kw), use_bias=bias)
        layer.build((None, 16, 16, c))
        expected = layer.count_params()
        w = kh * kw * c * f
        wrong = [("bias=False means no biases" if not bias else
                  "add one bias per filter (+ filters)", w + f if not bias else w),
                 ("each filter spans all c_in input channels: kh * kw * c_in weights per filter",
                  kh * kw * f + f * bias),
                 ("count the weights of every filter: multiply by filters", kh * kw * c + bias),
                 ("one bias per filter, not one per weight", w + w * bias),
                 ("one bias per filter (output channel), not per input channel", w + c * bias)]
        return _count_problem(value, expected), _count_mistakes(value, expected, wrong)

    return judge_cases("count_conv_params", cases, results, check,
                       call=lambda case: "count_conv_params({}, {}, c_in={}, filters={}, "
                                         "bias={})".format(*case["args"],
                                                           case["kwargs"]["bias"]))


def judge_dense_params(cases: list[dict], results: list) -> Verdict:
    from .._lazy import keras

    def check(case: dict, value: Any):
        (n_in, units), bias = case["args"], case["kwargs"]["bias"]
        layer = keras.layers.Dense(units, use_bias=bias)
        layer.build((None, n_in))
        expected = layer.count_params()
        wrong = [("add one bias per unit (+ units)", n_in * units),
                 ("bias=False means no biases", n_in * units + units),
                 ("one bias per unit (output), not per input", n_in * units + n_in * bias),
                 ("only the outputs have biases: (n_in + 1) * units", (n_in + 1) * (units + 1))]
        return _count_problem(value, expected), _count_mistakes(value, expected, wrong)

    return judge_cases("count_dense_params", cases, results, check,
                       call=lambda case: "count_dense_params({}, units={}, bias={})".format(
                           *case["args"], case["kwargs"]["bias"]))


def judge_bn_params(cases: list[dict], results: list) -> Verdict:
    from .._lazy import keras

    def check(case: dict, value: Any):
        channels = case["args"][0]
        layer = keras.layers.BatchNormalization()
        layer.build((None, 8, 8, channels))
        expected = layer.count_params()
        wrong = [("gamma and beta are the trainable ones; Keras also counts the non-trainable "
                  "moving mean and moving variance: 4 per channel", 2 * channels),
                 ("BatchNormalization has parameters per channel", 2),
                 ("BatchNormalization has 4 parameters per channel", 4),
                 ("4 per channel: gamma, beta, moving mean, moving variance", 3 * channels)]
        return _count_problem(value, expected), _count_mistakes(value, expected, wrong)

    return judge_cases("count_bn_params", cases, results, check)


# --------------------------------------------------------------------------- lesson 08
def judge_receptive_field(cases: list[dict], results: list) -> Verdict:
    from ..receptive_field import receptive_field

    def check(case: dict, value: Any):
        layers = [tuple(layer) for layer in case["args"][0]]
        expected = [int(r["size"]) for r in receptive_field(layers)]
        if not isinstance(value, list):
            return f"must return a list with one size per layer, got {short(value)}", []
        if len(value) != len(expected):
            return (f"returned {len(value)} values, expected one per layer ({len(expected)}): "
                    f"{expected}"), []
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
        mistakes = keep_distinct(expected, [
            ("the strides are ignored: multiply (k - 1) by the jump, the product of the strides "
             "of the layers before this one", no_jump),
            ("use the jump of the layers *before* this one: a layer's own stride only affects "
             "the layers after it", with_own)])
        if [float(v) for v in value] == [float(e) for e in expected]:
            return None, mistakes
        return f"returned {value}, expected {expected}", mistakes

    def fallback(case: dict, value: Any) -> str | None:
        layers = case["args"][0]
        expected = [int(r["size"]) for r in receptive_field([tuple(l) for l in layers])]
        layer = next(i for i, (g, e) in enumerate(zip(value, expected)) if g != e)
        return (f"the first wrong value is after layer {layer + 1} (kernel {layers[layer][0]}, "
                f"stride {layers[layer][1]})")

    return judge_cases("receptive_field_sizes", cases, results, check, fallback_hint=fallback,
                       call=lambda case: "receptive_field_sizes([{}])".format(
                           ", ".join(f"({k}, {s})" for k, s in case["args"][0])))


# --------------------------------------------------------------------------- lesson 11
def _matrix_call(name: str):
    return lambda case: f"{name}({case.get('label', 'a confusion matrix')} {case['args'][0].tolist()})"


def judge_worst_class(cases: list[dict], results: list) -> Verdict:
    def check(case: dict, value: Any):
        cm = case["args"][0]
        k = len(cm)
        recall = np.diag(cm) / cm.sum(axis=1)
        expected = int(np.argmin(recall))
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must return a class index (an int), got {short(value)}", []
        if not 0 <= value < k:
            return f"returned {value}, not a class index in 0..{k - 1}", []
        precision = np.diag(cm) / np.maximum(cm.sum(axis=0), 1)
        mistakes = keep_distinct(expected, [
            ("the fewest correct predictions is not the lowest accuracy when classes have "
             "different sizes: divide the diagonal by the row sums", int(np.argmin(np.diag(cm)))),
            ("that is the lowest precision (columns); per-class accuracy divides by the row sums "
             "(rows are the true classes)", int(np.argmin(precision))),
            ("that is the best class (the highest recall): look for the lowest",
             int(np.argmax(recall))),
            ("that is the class with the fewest samples, not the lowest recall",
             int(np.argmin(cm.sum(axis=1)))),
        ])
        if value == expected:
            return None, mistakes
        return f"returned {value}, expected {expected}", mistakes

    def fallback(case: dict, value: Any) -> str:
        cm = case["args"][0]
        return f"per-class recall is {np.round(np.diag(cm) / cm.sum(axis=1), 3).tolist()}"

    return judge_cases("worst_class", cases, results, check, call=_matrix_call("worst_class"),
                       fallback_hint=fallback)


def judge_most_confused(cases: list[dict], results: list) -> Verdict:
    def check(case: dict, value: Any):
        cm = case["args"][0]
        off = cm.astype(float).copy()
        np.fill_diagonal(off, -1)
        expected = [int(i) for i in np.unravel_index(np.argmax(off), off.shape)]
        if not isinstance(value, list) or len(value) != 2 or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            return (f"must return a pair of ints (true_class, predicted_class), got "
                    f"{short(value)}"), []
        mistakes = keep_distinct(expected, [
            ("exclude the diagonal: those are the correct predictions",
             [int(i) for i in np.unravel_index(np.argmax(cm), cm.shape)]),
            ("rows are the true classes, columns the predictions: (row, column)", expected[::-1]),
        ])
        if value == expected:
            return None, mistakes
        if not all(0 <= v < len(cm) for v in value):
            return f"returned {tuple(value)}, not a pair of class indices", []
        if value[0] == value[1]:
            mistakes.append(("exclude the diagonal: those are the correct predictions", value))
        return f"returned {tuple(value)}, expected {tuple(expected)}", mistakes

    def fallback(case: dict, value: Any) -> str | None:
        cm = case["args"][0]
        off = cm.astype(float).copy()
        np.fill_diagonal(off, -1)
        t, p = (int(i) for i in np.unravel_index(np.argmax(off), off.shape))
        return f"cm[{value[0]}, {value[1]}] = {cm[value[0], value[1]]}, but cm[{t}, {p}] = " \
               f"{cm[t, p]} is larger"

    return judge_cases("most_confused", cases, results, check,
                       call=_matrix_call("most_confused"), fallback_hint=fallback)
