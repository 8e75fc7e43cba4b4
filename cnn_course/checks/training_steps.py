"""Checks of the exercises on gradients, training steps, evaluation and im2col.

- lesson 08: ``numerical_gradient(f, x)`` -> the gradient of a scalar function by central
  differences, for ``x`` of any shape. The probe cannot receive a function, so each case
  describes ``f`` by plain data (:mod:`.scalar_functions` builds it in the student's
  process); the judge compares with the analytic gradient and recognises one-sided
  differences (an error proportional to the step and to ``f''``) and a wrong step scaling;
- lesson 09: ``sgd_update(params, grads, lr)`` -> a dict of the updated parameters of the
  NumPy CNN (``p - lr * g`` for every name);
- lesson 12: ``confusion_matrix(y_true, y_pred, num_classes)`` -> (K, K) counts, rows the
  true class, columns the predicted one; ``confused_pair(cm)`` -> ``(a, b)``, ``a < b``, the
  two classes most often mistaken for each other in either direction
  (``cm[a, b] + cm[b, a]`` largest);
- lesson 21: ``im2col(x, kh, kw)`` -> for one image (H, W, C), the (H'W', kh*kw*C) matrix of
  its "valid" windows, one row per window (row-major positions), each unrolled in the order
  of ``kernel.reshape(-1, F)`` (rows of the window, then columns, then channels).

Registered like :mod:`.backprop`: :data:`CASES`, :data:`JUDGES`, :data:`FORBIDDEN` here, the
probes in :data:`cnn_course.checks.probe.PROBES`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

# the shared helpers of these topic modules: case building, the "not an array" message and the
# in-notebook feedback
from .numpy_basics import _case, _not_array, _run

if TYPE_CHECKING:
    from .judging import Verdict

__all__ = ["CASES", "JUDGES", "FORBIDDEN", "check_numerical_gradient", "check_sgd_update",
           "check_confusion_matrix", "check_confused_pair", "check_im2col",
           "analytic_gradient"]

GRAD_ATOL, GRAD_RTOL = 1e-7, 1e-7   # central differences with eps ~1e-5 are far closer


def _rng(seed: int, check_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, sum(map(ord, check_id)), 2])


# --------------------------------------------------------------------------- lesson 08
def numerical_gradient_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "numerical_gradient")

    def quadratic(n: int) -> dict:
        m = rng.normal(0, 1, (n, n))
        a = (m + m.T) / 2 + np.diag(rng.uniform(2, 5, n))   # a clear curvature on the diagonal
        return {"name": "quadratic", "A": a.round(4), "b": rng.normal(0, 1, n).round(4)}

    cases = []
    for shape, spec, label in [
            ((3,), quadratic(3), "f(x) = x.Ax/2 + b.x, x of shape (3,)"),
            ((2, 3), quadratic(6), "a quadratic of x of shape (2, 3)"),
            ((4,), None, "f(x) = sum(w * sin(x))"),
            ((5,), {"name": "logsumexp"}, "f(x) = log(sum(exp(x)))")]:
        if spec is None:
            spec = {"name": "sin", "w": rng.uniform(1, 3, shape).round(4)}
        case = _case(rng.normal(0, 1, shape).round(4), label=label)
        case["function"] = spec
        cases.append(case)
    return cases


def analytic_gradient(spec: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of the function ``spec`` describes at ``x``, and the diagonal of its
    Hessian (both of ``x``'s shape); see :mod:`.scalar_functions`."""
    x = np.asarray(x, dtype=float)
    v = x.ravel()
    if spec["name"] == "quadratic":
        a, b = np.asarray(spec["A"], float), np.asarray(spec["b"], float)
        return (a @ v + b).reshape(x.shape), np.diag(a).reshape(x.shape)
    if spec["name"] == "sin":
        w = np.asarray(spec["w"], float)
        return w * np.cos(x), -w * np.sin(x)
    s = np.exp(v - v.max())
    s /= s.sum()
    return s.reshape(x.shape), (s * (1 - s)).reshape(x.shape)


def _grad_difference(value: np.ndarray, expected: np.ndarray) -> str | None:
    if value.shape != expected.shape:
        return f"output shape {value.shape}, expected {expected.shape} (the shape of x)"
    bad = ~np.isclose(value, expected, atol=GRAD_ATOL, rtol=GRAD_RTOL) | ~np.isfinite(value)
    if not bad.any():
        return None
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return (f"values differ at [{', '.join(map(str, index))}]: got {float(value[index]):.10g}, "
            f"expected {float(expected[index]):.10g}")


def judge_numerical_gradient(cases: list[dict], results: list) -> "Verdict":
    from .judging import Shape, judge_cases, keep_distinct

    def call(case: dict) -> str:
        shape = np.asarray(case["args"][0]).shape
        return f"numerical_gradient(f, x of shape {shape}) with {case.get('label', 'f')}"

    def check(case: dict, value: Any):
        x = np.asarray(case["args"][0], dtype=float)
        expected, _ = analytic_gradient(case["function"], x)
        if (problem := _not_array(value)):
            return problem, []
        wrong = [
            ("the difference is divided by eps, not 2 * eps: the central difference spans "
             "from x - eps to x + eps", 2 * expected),
            ("the gradient has the shape of x: one partial derivative per entry of x, "
             "whatever its shape", Shape((x.size,))),
        ]
        return _grad_difference(value, expected), keep_distinct(expected, wrong)

    def fallback(case: dict, value: Any) -> str | None:
        """Recognise one-sided differences (error ~ eps/2 f'') and a halved central step."""
        if not isinstance(value, np.ndarray) or not np.isfinite(value).all():
            return None
        x = np.asarray(case["args"][0], dtype=float)
        expected, curvature = analytic_gradient(case["function"], x)
        if value.shape != expected.shape:
            return None
        for scale, text in [(0.5, "divided by 2 * eps")]:
            diff = value - scale * expected
            c = float(diff.ravel() @ curvature.ravel() / (curvature.ravel() @ curvature.ravel()))
            if np.allclose(diff, c * curvature, atol=1e-9, rtol=0.05):
                return ("a one-sided difference " + text + ": (f(x + eps) - f(x)) covers one "
                        "step of eps, the central difference (f(x + eps) - f(x - eps)) / "
                        "(2 * eps) covers two")
        diff = value - expected
        c = float(diff.ravel() @ curvature.ravel() / (curvature.ravel() @ curvature.ravel()))
        if abs(c) > 1e-12 and np.allclose(diff, c * curvature, atol=1e-9, rtol=0.05):
            side = "forward, f(x + eps) - f(x)" if c > 0 else "backward, f(x) - f(x - eps)"
            return (f"a one-sided difference ({side}): its error is about eps/2 * f'' "
                    f"(here a step of about {2 * abs(c):.0e}), proportional to the step; the "
                    f"central difference (f(x + eps) - f(x - eps)) / (2 * eps) cancels that "
                    f"term, its error is of order eps^2")
        return ("is x restored after each nudge? every partial derivative must be measured "
                "at the same point x")

    return judge_cases("numerical_gradient", cases, results, check, call=call,
                       fallback_hint=fallback)


# --------------------------------------------------------------------------- lesson 09
def sgd_update_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "sgd_update")
    shapes = {"conv1/kernel": (3, 3, 1, 4), "conv1/bias": (4,), "conv2/kernel": (3, 3, 4, 2),
              "conv2/bias": (2,), "dense/kernel": (8, 3), "dense/bias": (3,)}
    cases = []
    for lr, label in [(0.1, "the NumPy CNN's parameters, lr 0.1"), (0.01, "lr 0.01"),
                      (0.5, None), (round(float(rng.uniform(0.001, 1)), 4), None)]:
        params = {k: rng.normal(0, 1, s).round(4) for k, s in shapes.items()}
        grads = {k: rng.normal(0, 1, s).round(4) for k, s in shapes.items()}
        cases.append(_case(params, grads, lr, label=label))
    return cases


def judge_sgd_update(cases: list[dict], results: list) -> "Verdict":
    from .judging import judge_cases

    def call(case: dict) -> str:
        return f"sgd_update(params, grads, lr={case['args'][2]})"

    def check(case: dict, value: Any):
        params, grads, lr = case["args"]
        if not isinstance(value, dict):
            return (f"returned {type(value).__name__}, expected a dict of the updated "
                    f"parameters, with the same names as params"), []
        missing = [k for k in params if k not in value]
        if missing:
            return (f"the result has no entry {missing[0]!r}: return every parameter, "
                    f"biases too"), []
        extra = [k for k in value if k not in params]
        if extra:
            return f"the result has an entry {extra[0]!r} that params does not have", []
        for name in params:
            p, g = np.asarray(params[name], float), np.asarray(grads[name], float)
            got = value[name]
            if not isinstance(got, np.ndarray) or got.shape != p.shape:
                shape = got.shape if isinstance(got, np.ndarray) else type(got).__name__
                return f"{name!r}: got {shape}, expected an array of shape {p.shape}", []
            expected = p - lr * g
            if np.allclose(got, expected, atol=1e-9, rtol=1e-9):
                continue
            for prediction, text in [
                    (p + lr * g, "the step goes along the gradient: subtract lr * gradient "
                                 "(downhill)"),
                    (p - g, "the learning rate is missing: the step is lr * gradient"),
                    (p, "this parameter is not updated: every parameter takes a step"),
                    (-lr * g, "that is the step alone: add it to the parameter"),
                    (g, "that is the gradient: return the updated parameter")]:
                if np.allclose(got, prediction, atol=1e-9, rtol=1e-9):
                    return f"{name!r} is wrong: {text}", []
            return f"{name!r} is wrong: expected params - lr * grads", []
        return None, []

    return judge_cases("sgd_update", cases, results, check, call=call)


# --------------------------------------------------------------------------- lesson 12
def confusion_matrix_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "confusion_matrix")
    cases = [_case(np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 1, 1]), 3,
                   label="3 classes, a 1 taken for a 2"),
             _case(np.array([0, 0, 1, 1, 1]), np.array([1, 1, 1, 0, 1]), 4,
                   label="classes 2 and 3 never occur (the size comes from num_classes)")]
    for n, k in [(30, 5), (50, 10)]:
        y = rng.integers(0, k, n)
        pred = np.where(rng.random(n) < 0.6, y, rng.integers(0, k, n))
        cases.append(_case(y, pred, k))
    return cases


def _confusion(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    cm = np.zeros((k, k))
    np.add.at(cm, (y, pred), 1)
    return cm


def judge_confusion_matrix(cases: list[dict], results: list) -> "Verdict":
    from .judging import Shape, array_difference, judge_cases, keep_distinct

    def call(case: dict) -> str:
        return f"confusion_matrix(y_true, y_pred, num_classes={case['args'][2]})"

    def check(case: dict, value: Any):
        y, pred = (np.asarray(a).astype(int) for a in case["args"][:2])
        k = int(case["args"][2])
        expected = _confusion(y, pred, k)
        if (problem := _not_array(value)):
            return problem, []
        top = int(max(y.max(), pred.max())) + 1
        rows = expected.sum(axis=1, keepdims=True)
        wrong = [
            ("rows and columns are swapped: row = true class, column = predicted class "
             "(cm[t, p] counts the images of class t predicted as p)", expected.T),
            ("the size comes from the labels seen: use num_classes, so a class that never "
             "occurs still has its row and column", Shape((top, top)) if top < k else None),
            ("the rows are normalised: count the images (a confusion matrix holds counts)",
             np.divide(expected, rows, out=np.zeros_like(expected), where=rows > 0)),
        ]
        return array_difference(value, expected), keep_distinct(expected, wrong)

    return judge_cases("confusion_matrix", cases, results, check, call=call)


def confused_pair_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "confused_pair")
    cm = np.diag([50, 40, 45, 60, 30, 55, 48, 52, 41, 47]).astype(int)
    cm[2, 5] = 9            # the largest single entry, but one way only
    cm[3, 8], cm[8, 3] = 6, 6   # the most confused pair: 12 in both directions together
    cm[7, 1], cm[1, 7] = 4, 3
    cases = [_case(cm, label="the largest entry is one-way; another pair is larger in total")]
    cm2 = np.array([[20, 1, 7], [2, 25, 0], [5, 0, 18]])
    cases.append(_case(cm2, label="3 classes, the pair (0, 2) confused both ways"))
    while len(cases) < 4:
        k = int(rng.integers(4, 9))
        m = rng.integers(0, 6, (k, k)) + np.diag(rng.integers(30, 60, k))
        both = (m + m.T).astype(float)
        np.fill_diagonal(both, -1)
        if np.sum(both == both.max()) == 2:   # one pair (counted twice, as (a, b) and (b, a))
            cases.append(_case(m))
    return cases


def judge_confused_pair(cases: list[dict], results: list) -> "Verdict":
    from .judging import judge_cases, keep_distinct

    def check(case: dict, value: Any):
        cm = np.asarray(case["args"][0], dtype=float)
        both = cm + cm.T
        np.fill_diagonal(both, -1)
        a, b = (int(i) for i in np.unravel_index(np.argmax(both), both.shape))
        expected = [min(a, b), max(a, b)]
        off = cm.copy()
        np.fill_diagonal(off, -1)
        r, c = (int(i) for i in np.unravel_index(np.argmax(off), off.shape))
        d = int(np.argmax(np.diag(cm)))
        if not isinstance(value, list) or len(value) != 2:
            return "expected a pair (a, b) of class indices", []
        wrong = [
            ("that is the largest single entry, a mistake made one way: count both "
             "directions, cm[a, b] + cm[b, a]", sorted([r, c])),
            ("that pair includes the diagonal, which counts the *right* answers: leave it out",
             [d, d]),
            ("return the smaller class index first: (a, b) with a < b", expected[::-1]),
        ]
        problem = None if list(value) == expected else f"returned {tuple(value)}, expected " \
            f"a different pair"
        return problem, keep_distinct(expected, wrong)

    return judge_cases("confused_pair", cases, results, check)


# --------------------------------------------------------------------------- lesson 21
def im2col_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "im2col")
    return [_case(rng.integers(0, 9, shape).astype(float), kh, kw, label=label)
            for shape, kh, kw, label in [((4, 4, 1), 2, 2, "one channel, 2x2 windows"),
                                         ((5, 4, 3), 3, 2, "3 channels, 3x2 windows"),
                                         ((4, 6, 2), 2, 3, "non-square image"),
                                         ((6, 5, 4), 3, 3, None)]]


def _im2col(x: np.ndarray, kh: int, kw: int, order: tuple = (0, 1, 3, 4, 2)) -> np.ndarray:
    view = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(0, 1))  # (H',W',C,kh,kw)
    patches = view.transpose(order)
    return patches.reshape(patches.shape[0] * patches.shape[1], -1)


def judge_im2col(cases: list[dict], results: list) -> "Verdict":
    from .judging import Shape, array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        x = np.asarray(case["args"][0], dtype=float)
        kh, kw = int(case["args"][1]), int(case["args"][2])
        expected = _im2col(x, kh, kw)
        if (problem := _not_array(value)):
            return problem, []
        c = x.shape[2]
        wrong = [
            ("each window is unrolled channel first: unroll it in the order of "
             "kernel.reshape(-1, F), rows of the window, then columns, then channels",
             _im2col(x, kh, kw, (0, 1, 2, 3, 4)) if c > 1 else None),
            ("the windows are listed column by column: list them row by row (window (i, j) "
             "is row i * W' + j)", _im2col(x, kh, kw, (1, 0, 3, 4, 2))),
            ("rows and columns are swapped: one *row* per window", Shape(expected.shape[::-1])),
            ("the result keeps the window positions as two axes: flatten them to one row per "
             "window, a 2-D matrix",
             Shape((x.shape[0] - kh + 1, x.shape[1] - kw + 1, kh * kw * c))),
        ]
        return array_difference(value, expected), keep_distinct(expected, wrong)

    return judge_cases("im2col", cases, results, check)


# --------------------------------------------------------------------------- registry parts
CASES: dict[str, Callable[[int], list[dict]]] = {
    "numerical_gradient": numerical_gradient_cases, "sgd_update": sgd_update_cases,
    "confusion_matrix": confusion_matrix_cases, "confused_pair": confused_pair_cases,
    "im2col": im2col_cases,
}
JUDGES: dict[str, Callable[[list[dict], list], "Verdict"]] = {
    "numerical_gradient": judge_numerical_gradient, "sgd_update": judge_sgd_update,
    "confusion_matrix": judge_confusion_matrix, "confused_pair": judge_confused_pair,
    "im2col": judge_im2col,
}
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "numerical_gradient": ("cnn_course.numerical_gradient", "cnn_course.gradient_check",
                           "scipy.optimize", "tf.GradientTape"),
    "sgd_update": ("cnn_course.sgd_step", "cnn_course.optimizers", "keras.optimizers"),
    "confusion_matrix": ("cnn_course.confusion_matrix", "cnn_course.training.confusion_matrix",
                         "sklearn", "tf.math.confusion_matrix"),
    "im2col": ("cnn_course.conv", "cnn_course.conv2d"),
}


# --------------------------------------------------------------------------- student side
def check_numerical_gradient(numerical_gradient: Callable) -> None:
    """Check ``numerical_gradient(f, x)`` (central differences, x of any shape)."""
    _run("numerical_gradient", numerical_gradient)


def check_sgd_update(sgd_update: Callable) -> None:
    """Check ``sgd_update(params, grads, lr)`` -> ``{name: params[name] - lr * grads[name]}``."""
    _run("sgd_update", sgd_update)


def check_confusion_matrix(confusion_matrix: Callable) -> None:
    """Check ``confusion_matrix(y_true, y_pred, num_classes)`` -> (K, K) counts."""
    _run("confusion_matrix", confusion_matrix)


def check_confused_pair(confused_pair: Callable) -> None:
    """Check ``confused_pair(cm)`` -> ``(a, b)``, a < b, with ``cm[a, b] + cm[b, a]`` largest."""
    _run("confused_pair", confused_pair)


def check_im2col(im2col: Callable) -> None:
    """Check ``im2col(x, kh, kw)`` -> (H'W', kh*kw*C), one row per "valid" window."""
    _run("im2col", im2col)
