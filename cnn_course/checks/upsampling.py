"""Checks of the exercise on upsampling and segmentation (lesson 24).

- ``conv2d_transpose(x, kernel, stride, padding)``: one-channel transposed convolution,
  ``x`` (H, W), ``kernel`` (kh, kw), ``padding`` ``"valid"`` or ``"same"`` (Keras'
  ``Conv2DTranspose`` sizes); every input pixel scatters ``x[i, j] * kernel`` to
  ``(i*stride, j*stride)``, then the full scatter is cropped.
- ``iou(y_true, y_pred)``: intersection over union of two binary masks (1.0 when both are
  empty).
- the question ``q_transposed_size``: the output side of ``Conv2DTranspose(kernel_size=3,
  strides=2, padding="valid")`` on a 7x7 map, predicted before running it.

Like every check: :data:`CASES` draws the inputs (plain data), :data:`JUDGES` decide in the
grader's process and name a recognised mistake (copies not spaced by the stride, the wrong
crop for ``"same"``, a flipped kernel; IoU over the sum instead of the union, Dice, recall,
precision, pixel accuracy, ...), :data:`HINTS` help without giving the code. Registered in
:mod:`cnn_course.checks.registry` and :data:`cnn_course.checks.probe.PROBES`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .questions import Question, judge_question

if TYPE_CHECKING:  # the judges import .judging when they run: the probe process never does
    from .judging import Verdict

__all__ = ["CASES", "JUDGES", "FORBIDDEN", "HINTS", "QUESTIONS", "check_conv2d_transpose",
           "check_iou", "check_transposed_size", "reference_conv2d_transpose", "reference_iou"]


def _rng(seed: int, check_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, sum(map(ord, check_id)), 24])


def _case(*args: Any, label: str | None = None, **kwargs: Any) -> dict:
    out: dict = {"args": list(args), "kwargs": kwargs}
    if label is not None:
        out["label"] = label
    return out


# --------------------------------------------------------------------------- references
def _scatter(x: np.ndarray, kernel: np.ndarray, stride: int) -> np.ndarray:
    (h, w), (kh, kw) = x.shape, kernel.shape
    full = np.zeros(((h - 1) * stride + kh, (w - 1) * stride + kw))
    for i in range(h):
        for j in range(w):
            full[i * stride:i * stride + kh, j * stride:j * stride + kw] += x[i, j] * kernel
    return full


def _cropped(full: np.ndarray, n: tuple[int, int], top: tuple[int, int]) -> np.ndarray:
    """``full[top:top + n]`` on both axes, zero-padded at the end where ``full`` is shorter."""
    out = np.zeros(n)
    part = full[top[0]:top[0] + n[0], top[1]:top[1] + n[1]]
    out[:part.shape[0], :part.shape[1]] = part
    return out


def reference_conv2d_transpose(x: np.ndarray, kernel: np.ndarray, stride: int,
                               padding: str) -> np.ndarray:
    """The library's transposed convolution (``cnn_course.upsampling.conv2d_transpose``)."""
    from ..upsampling import conv2d_transpose
    return conv2d_transpose(np.asarray(x, float), np.asarray(kernel, float), stride=stride,
                            padding=padding)


def reference_iou(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The library's IoU (``cnn_course.segmentation.iou``)."""
    from ..segmentation import iou
    return iou(y_true, y_pred)


# --------------------------------------------------------------------------- cases
def conv2d_transpose_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "conv2d_transpose")
    cases = []
    for (h, w), (kh, kw), s, p, label in [
            ((2, 2), (3, 3), 2, "valid", "stride 2: copies 2 apart, overlapping on one row"),
            ((3, 3), (3, 3), 2, "same", "'same', stride 2: output 2 * 3"),
            ((2, 3), (2, 2), 1, "valid", "stride 1"),
            ((3, 2), (4, 4), 2, "same", "'same', kernel 4, stride 2: one row cropped each side"),
            ((2, 2), (4, 4), 1, "same", "'same', 3 rows to crop: 1 at the top, 2 at the bottom"),
            ((2, 2), (1, 2), 3, "valid", "kernel narrower than the stride: gaps of zeros")]:
        cases.append(_case(rng.integers(-3, 4, (h, w)).astype(float),
                           rng.integers(-2, 3, (kh, kw)).astype(float), s, p, label=label))
    for _ in range(3):
        h, w = (int(v) for v in rng.integers(1, 5, 2))
        kh, kw = (int(v) for v in rng.integers(1, 5, 2))
        cases.append(_case(rng.normal(0, 1, (h, w)).round(2), rng.normal(0, 1, (kh, kw)).round(2),
                           int(rng.integers(1, 4)), str(rng.choice(["valid", "same"]))))
    return cases


def iou_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "iou")
    t = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]])
    p = np.array([[1, 0, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0]])
    cases = [_case(t, p, label="overlapping masks"),
             _case(t, t.copy(), label="identical masks"),
             _case(t, 1 - t, label="no pixel in common"),
             _case(t, np.zeros_like(t), label="all background predicted"),
             _case(np.zeros((3, 3), int), np.zeros((3, 3), int),
                   label="both masks empty: nothing to find and nothing found")]
    for _ in range(3):
        shape = (int(rng.integers(2, 4)), *(int(v) for v in rng.integers(3, 8, 2)))
        cases.append(_case((rng.random(shape) < 0.3).astype(int),
                           (rng.random(shape) < 0.4).astype(int), label="a batch of masks"))
    return cases


# --------------------------------------------------------------------------- judges
def judge_conv2d_transpose(cases: list[dict], results: list) -> "Verdict":
    from .judging import Shape, array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        x, k, s, padding = case["args"]
        x, k = np.asarray(x, float), np.asarray(k, float)
        expected = reference_conv2d_transpose(x, k, s, padding)
        n = expected.shape
        full = _scatter(x, k, s)
        total = (max(k.shape[0] - s, 0), max(k.shape[1] - s, 0))
        same = padding == "same"
        wrong = [
            ("the kernel copies are not spaced by the stride: the copy of pixel (i, j) starts "
             "at (i * stride, j * stride)",
             reference_conv2d_transpose(x, k, 1, padding) if s > 1 else None),
            ("the kernel was flipped: the scatter adds x[i, j] * kernel as it is (the flip "
             "belongs to the 'gather' view of the same operation)",
             reference_conv2d_transpose(x, k[::-1, ::-1], s, padding)),
            ("'same' keeps exactly stride * n rows and columns: crop the full scatter "
             "((n - 1) * stride + k long)", Shape(full.shape) if same else None),
            ("'same' crops the odd extra row/column at the bottom/right: crop "
             "max(k - stride, 0) // 2 at the top/left",
             _cropped(full, n, tuple(t - t // 2 for t in total))
             if same and any(t % 2 for t in total) else None),
            ("'same' crops on both sides: max(k - stride, 0) // 2 at the top/left, the rest "
             "at the bottom/right", _cropped(full, n, (0, 0))
             if same and any(t // 2 for t in total) else None),
            ("with a kernel smaller than the stride, 'valid' still gives n * stride: the copies "
             "leave gaps, and the last one is followed by zeros",
             Shape(full.shape) if not same and full.shape != n else None),
        ]
        if not isinstance(value, np.ndarray):
            return f"returned {type(value).__name__}, expected an array of shape {n}", []
        return array_difference(value, expected), keep_distinct(expected, wrong)

    return judge_cases("conv2d_transpose", cases, results, check)


def judge_iou(cases: list[dict], results: list) -> "Verdict":
    from .judging import judge_cases

    def check(case: dict, value: Any):
        t, p = (np.asarray(a).astype(bool) for a in case["args"])
        expected = reference_iou(t, p)
        i, u = int((t & p).sum()), int((t | p).sum())
        nt, npred = int(t.sum()), int(p.sum())

        def ratio(a: int, b: int) -> np.ndarray | None:
            return np.array(a / b) if b else None

        wrong = [
            ("the intersection was divided by the sum |T| + |P|, which counts the shared pixels "
             "twice: divide by the union |T| + |P| - |T and P|", ratio(i, nt + npred)),
            ("that is the Dice coefficient 2 |T and P| / (|T| + |P|), not IoU",
             ratio(2 * i, nt + npred)),
            ("the intersection was divided by the true mask only (that is recall): divide by the "
             "union", ratio(i, nt)),
            ("the intersection was divided by the predicted mask only (that is precision): "
             "divide by the union", ratio(i, npred)),
            ("that is pixel accuracy (every pixel that agrees, background included): IoU counts "
             "only the pixels labelled 1", np.array(float(np.mean(t == p)))),
            ("the IoU of the background was computed: use the pixels labelled 1",
             ratio(int((~t & ~p).sum()), int((~t | ~p).sum()))),
            ("when both masks are empty the union is 0: return 1.0 (nothing to find, nothing "
             "found)", np.array(0.0) if u == 0 else None),
        ]
        wrong = [(text, pred) for text, pred in wrong if pred is not None]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"returned {type(value).__name__}, expected a number", []
        if not np.isfinite(value) or not np.isclose(value, expected, atol=1e-9):
            return f"returned {value!r}, expected {expected:.6g}", wrong
        return None, wrong

    def fallback(case: dict, value: Any) -> str | None:
        if isinstance(value, float) and not np.isfinite(value):
            return ("when both masks are empty the union is 0: return 1.0 instead of dividing "
                    "by 0")
        return None

    # numbers are compared to tolerance: 0-d arrays for the shared matcher, floats for check
    return judge_cases("iou", cases, [_as_array(r) for r in results], _unwrap(check),
                       fallback_hint=_unwrap(fallback))


def _as_array(record: Any) -> Any:
    """A number result as a 0-d array, so mistakes match to tolerance (``judging.matches``)."""
    if isinstance(record, dict) and "value" in record and isinstance(record["value"], (int, float)) \
            and not isinstance(record["value"], bool):
        return {**record, "value": np.array(float(record["value"]))}
    return record


def _unwrap(check: Callable) -> Callable:
    def inner(case: dict, value: Any):
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = float(value)
        return check(case, value)
    return inner


# --------------------------------------------------------------------------- the question
def _transposed_size() -> int:
    from ..upsampling import transposed_output_size
    return transposed_output_size(7, 3, stride=2, padding="valid")


QUESTIONS: dict[str, Question] = {q.id: q for q in [
    Question("q_transposed_size", "number", _transposed_size,
             "the 7 kernel copies start 2 pixels apart, the last at (7 - 1) * 2 = 12, and it is "
             "3 wide: (7 - 1) * 2 + 3 = 15; 'valid' keeps the whole scatter",
             tolerance=0.0,
             mistakes=((14, "that is 'same' (stride * 7): 'valid' keeps the whole scatter"),
                       (3, "that is the convolution's output size: the transposed convolution "
                           "goes the other way, from small to large"),
                       (17, "the last copy starts at (7 - 1) * 2, not at 7 * 2"),
                       (13, "nothing is cropped with 'valid'"))),
]}


# --------------------------------------------------------------------------- registry parts
def _one_case(seed: int) -> list[dict]:
    return [{"args": [], "kwargs": {}, "label": "your answer"}]


def _question_judge(question: Question) -> Callable[[list[dict], list], "Verdict"]:
    def judge(cases: list[dict], results: list) -> "Verdict":
        return judge_question(question, cases, results)
    judge.__name__ = f"judge_{question.id}"
    return judge


CASES: dict[str, Callable[[int], list[dict]]] = {
    "conv2d_transpose": conv2d_transpose_cases, "iou": iou_cases,
    **{qid: _one_case for qid in QUESTIONS}}
JUDGES: dict[str, Callable[[list[dict], list], "Verdict"]] = {
    "conv2d_transpose": judge_conv2d_transpose, "iou": judge_iou,
    **{qid: _question_judge(q) for qid, q in QUESTIONS.items()}}
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "conv2d_transpose": ("cnn_course.conv2d_transpose", "cnn_course.upsampling",
                         "cnn_course.backprop", "cnn_course.conv2d_backward", "tf.nn",
                         "keras.layers.Conv2DTranspose"),
    "iou": ("cnn_course.iou", "cnn_course.segmentation", "sklearn", "keras.metrics"),
}

HINTS: dict[str, tuple[str, ...]] = {
    "conv2d_transpose": (
        "Every input pixel adds one copy of the kernel to the output, scaled by that pixel's "
        "value; where two copies overlap, they add up. Is your kernel copied as it is?",
        "Copies of neighbouring input pixels start one stride apart. Before any "
        "crop, how far from the start does the copy of the last pixel end? Compare your "
        "output's shape with the Keras layer's on a 2x2 input.",
        "'same' must give exactly n * stride rows and columns: find how many extra rows the "
        "full scatter has and split them as Keras does, the smaller part at the top and left.",
    ),
    "iou": (
        "Count pixels, not probabilities: the masks hold 0s and 1s; work with the pixels "
        "that are 1.",
        "The intersection is the pixels that are 1 in both masks, the union those that are 1 "
        "in either: the union is |T| + |P| minus the intersection.",
        "If the union is empty, no pixel is 1 anywhere: the answer is defined as 1.0.",
    ),
    "q_transposed_size": (
        "Where does the copy of the last input pixel start, and how wide is it?",
        "With 'valid' nothing is cropped: the output ends where the last copy ends.",
    ),
}


# --------------------------------------------------------------------------- student side
def check_conv2d_transpose(conv2d_transpose: Callable) -> None:
    """Check ``conv2d_transpose(x, kernel, stride, padding)`` on (H, W) maps and (kh, kw) kernels.

    Every ``x[i, j] * kernel`` is added at ``(i * stride, j * stride)``; ``"valid"`` keeps
    ``max((n - 1)*stride + k, n*stride)`` rows, ``"same"`` ``n*stride`` rows from
    ``max(k - stride, 0) // 2`` (Keras' ``Conv2DTranspose``).
    """
    from . import run_check

    run_check("conv2d_transpose", {"conv2d_transpose": conv2d_transpose})


def check_iou(iou: Callable) -> None:
    """Check ``iou(y_true, y_pred)``: ``|T and P| / |T or P|`` of binary masks, 1.0 if both empty."""
    from . import run_check

    run_check("iou", {"iou": iou})


def check_transposed_size(answer: Any) -> None:
    """Check the predicted output side of ``Conv2DTranspose(3, strides=2, padding="valid")`` on 7x7."""
    from . import run_check

    run_check("q_transposed_size", {"transposed_size": answer})
