"""Checks of the exercise on what a CNN looks at: Grad-CAM's channel weights and an occlusion map.

Two answers, both NumPy functions of plain arrays (so the probe only passes arrays and ints):

- ``grad_cam_weights(gradients)``: ``gradients`` (h, w, K) are ``d y_c / d A^k[i, j]``, the
  gradient of the class logit on a conv layer's maps; the answer is
  ``alpha_k = (1 / (h w)) sum_{i,j} gradients[i, j, k]``, shape (K,).
- ``occlusion_map(base_score, occluded_scores, image_shape, patch_size, stride)``:
  ``occluded_scores[r, c]`` is the class probability with the ``p x p`` patch at
  ``(r * s, c * s)`` hidden, ``base_score`` the probability of the intact image; the answer is
  the per-pixel mean of the drops ``base_score - occluded_scores[r, c]`` over the patches
  covering the pixel (0 where no patch covers it), shape ``image_shape`` (H, W).

Like every check: :data:`CASES` draws the inputs (plain data), :data:`JUDGES` decide in the
grader's process and name a recognised mistake (weights summed instead of averaged; the sign
of the drop flipped; the occluded scores not compared with the baseline; ...). They are
registered in :mod:`cnn_course.checks.registry` and :data:`cnn_course.checks.probe.PROBES`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:  # the judges import .judging when they run: the probe process never does
    from .judging import Verdict

__all__ = ["CASES", "JUDGES", "FORBIDDEN", "check_grad_cam_weights", "check_occlusion_map",
           "reference_grad_cam_weights", "reference_occlusion_map"]


def _rng(seed: int, check_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, sum(map(ord, check_id)), 20])


def _case(*args: Any, label: str | None = None, **kwargs: Any) -> dict:
    out: dict = {"args": list(args), "kwargs": kwargs}
    if label is not None:
        out["label"] = label
    return out


# --------------------------------------------------------------------------- references
def reference_grad_cam_weights(gradients: np.ndarray) -> np.ndarray:
    """``alpha_k = mean_{i,j} gradients[i, j, k]``: (h, w, K) -> (K,)."""
    return np.asarray(gradients, dtype=float).mean(axis=(0, 1))


def _coverage(image_shape: tuple[int, int], n_rows: int, n_cols: int, patch: int, stride: int
              ) -> tuple[list[tuple[int, int, slice, slice]], np.ndarray]:
    windows = [(r, c, slice(r * stride, r * stride + patch), slice(c * stride, c * stride + patch))
               for r in range(n_rows) for c in range(n_cols)]
    count = np.zeros(image_shape)
    for _, _, rows, cols in windows:
        count[rows, cols] += 1
    return windows, count


def _spread(values: np.ndarray, image_shape: tuple[int, int], patch: int, stride: int,
            average: bool = True) -> np.ndarray:
    windows, count = _coverage(image_shape, values.shape[0], values.shape[1], patch, stride)
    total = np.zeros(image_shape)
    for r, c, rows, cols in windows:
        total[rows, cols] += values[r, c]
    if not average:
        return total
    return np.divide(total, count, out=np.zeros(image_shape), where=count > 0)


def reference_occlusion_map(base_score: float, occluded_scores: np.ndarray,
                            image_shape: tuple[int, int], patch_size: int, stride: int
                            ) -> np.ndarray:
    """Mean drop ``base_score - occluded_scores[r, c]`` over the patches covering each pixel."""
    drops = base_score - np.asarray(occluded_scores, dtype=float)
    return _spread(drops, tuple(image_shape), patch_size, stride)


# --------------------------------------------------------------------------- cases
def grad_cam_weights_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "grad_cam_weights")
    cases = []
    # mixed signs (ReLU or |.| first is wrong), non-square maps (the axes matter), one channel
    for shape, label in [((4, 4, 3), "square maps, 3 channels"),
                         ((3, 5, 4), "non-square maps"), ((5, 2, 1), "one channel"),
                         ((6, 6, 8), "8 channels")]:
        cases.append(_case(rng.normal(0, 1, shape).round(3), label=label))
    grads = rng.normal(0, 1, (3, 3, 2)).round(3)
    grads[..., 1] = -np.abs(grads[..., 1])              # a channel that only lowers the score
    cases.append(_case(grads, label="a channel with negative gradients only"))
    for _ in range(2):
        shape = tuple(int(v) for v in rng.integers(2, 8, 3))
        cases.append(_case(rng.normal(0, 1, shape).round(3)))
    return cases


def occlusion_map_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "occlusion_map")
    cases = []
    for (h, w), p, s, label in [((6, 6), 2, 2, "patches side by side"),
                                ((7, 5), 3, 1, "overlapping patches, non-square image"),
                                ((8, 8), 4, 2, "overlapping, stride 2"),
                                ((8, 8), 3, 2, "the last row and column not covered")]:
        n_rows, n_cols = (h - p) // s + 1, (w - p) // s + 1
        base = round(float(rng.uniform(0.5, 0.95)), 3)
        scores = np.clip(base - rng.uniform(-0.2, 0.5, (n_rows, n_cols)), 0, 1).round(3)
        cases.append(_case(base, scores, [h, w], p, s, label=label))
    for _ in range(2):
        h, w = (int(v) for v in rng.integers(5, 12, 2))
        p = int(rng.integers(1, min(h, w)))
        s = int(rng.integers(1, p + 1))
        n_rows, n_cols = (h - p) // s + 1, (w - p) // s + 1
        base = round(float(rng.uniform(0.3, 0.99)), 3)
        scores = rng.uniform(0, 1, (n_rows, n_cols)).round(3)
        cases.append(_case(base, scores, [h, w], p, s))
    return cases


# --------------------------------------------------------------------------- judges
def judge_grad_cam_weights(cases: list[dict], results: list) -> Verdict:
    from .judging import Shape, array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        grads = np.asarray(case["args"][0], dtype=float)
        h, w, k = grads.shape
        expected = reference_grad_cam_weights(grads)
        wrong = [
            ("the weights are summed over the positions: Grad-CAM averages the gradient over "
             "the h * w positions of each map (divide by h * w)", grads.sum(axis=(0, 1))),
            ("the average is taken over the wrong axes: average each channel's gradients over "
             "its positions (i, j), keeping one weight per channel", Shape((h, w))),
            ("absolute values were averaged: keep the sign - a negative weight says the channel "
             "lowers the class score", np.abs(grads).mean(axis=(0, 1))),
            ("negative gradients were dropped before averaging: Grad-CAM averages the raw "
             "gradients (the ReLU comes later, on the weighted sum of the maps)",
             np.maximum(grads, 0).mean(axis=(0, 1))),
            ("the weights were ReLU-ed: keep the negative weights (the ReLU comes later, on "
             "the weighted sum of the maps)", np.maximum(expected, 0)),
            ("the largest gradient was taken: Grad-CAM averages over the positions (global "
             "average pooling of the gradients)", grads.max(axis=(0, 1))),
            ("the maps' channel axis is the last one (NHWC, like Keras); average over axes "
             "0 and 1", grads.mean(axis=(1, 2)) if grads.shape[1:] != grads.shape[:2] else None),
        ]
        if not isinstance(value, np.ndarray):
            return f"returned {type(value).__name__}, expected an array of shape ({k},)", []
        return array_difference(value, expected), keep_distinct(expected, wrong)

    return judge_cases("grad_cam_weights", cases, results, check)


def judge_occlusion_map(cases: list[dict], results: list) -> Verdict:
    from .judging import Shape, array_difference, judge_cases, keep_distinct

    def check(case: dict, value: Any):
        base, scores, shape, p, s = case["args"]
        scores = np.asarray(scores, dtype=float)
        shape = tuple(int(v) for v in shape)
        expected = reference_occlusion_map(base, scores, shape, p, s)
        covered = _coverage(shape, scores.shape[0], scores.shape[1], p, s)[1] > 0
        wrong = [
            ("the sign is flipped: the map shows the *drop* p_c(x) - p_c(x occluded), positive "
             "where hiding the patch hurts the prediction", -expected),
            ("the occluded scores are not compared with the baseline: subtract each from "
             "base_score, the probability of the intact image",
             _spread(scores, shape, p, s)),
            ("the drops are divided by base_score: the map is the plain difference "
             "base_score - occluded score, not relative to the baseline",
             expected / base if base else None),
            ("the drops of overlapping patches are summed: average them over the patches that "
             "cover each pixel", _spread(base - scores, shape, p, s, average=False)),
            ("the patch positions themselves were returned: spread the (n_rows, n_cols) drops "
             "back onto the (H, W) pixels", Shape(scores.shape)),
            ("pixels that no patch covers must be 0", np.where(covered, expected, np.nan)
             if not covered.all() else None),
        ]
        if not isinstance(value, np.ndarray):
            return f"returned {type(value).__name__}, expected an array of shape {shape}", []
        return array_difference(value, expected), keep_distinct(expected, wrong)

    def fallback(case: dict, value: Any) -> str | None:
        base, scores, shape, p, s = case["args"]
        if isinstance(value, np.ndarray) and value.shape == tuple(shape) and \
                not np.isfinite(value).all():
            return "pixels that no patch covers must be 0 (no patch there, so no drop)"
        return None

    return judge_cases("occlusion_map", cases, results, check, fallback_hint=fallback,
                       call=lambda case: "occlusion_map(base_score={}, {}, image_shape={}, "
                                         "patch_size={}, stride={})".format(
                           case["args"][0], f"array of shape {np.shape(case['args'][1])}",
                           tuple(case["args"][2]), case["args"][3], case["args"][4]))


# --------------------------------------------------------------------------- registry parts
CASES: dict[str, Callable[[int], list[dict]]] = {
    "grad_cam_weights": grad_cam_weights_cases, "occlusion_map": occlusion_map_cases}
JUDGES: dict[str, Callable[[list[dict], list], "Verdict"]] = {
    "grad_cam_weights": judge_grad_cam_weights, "occlusion_map": judge_occlusion_map}
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "grad_cam_weights": ("cnn_course.grad_cam_weights", "cnn_course.gradcam",
                         "cnn_course.grad_cam", "cnn_course.explain_image"),
    "occlusion_map": ("cnn_course.occlusion_map", "cnn_course.occlusion",
                      "cnn_course.occlusion_sensitivity"),
}


# --------------------------------------------------------------------------- student side
def check_grad_cam_weights(grad_cam_weights: Callable) -> None:
    """Check ``grad_cam_weights(gradients)``: (h, w, K) gradients -> (K,) channel weights.

    ``alpha_k = (1 / (h w)) sum_{i,j} d y_c / d A^k[i, j]``, signs kept.
    """
    from . import run_check

    run_check("grad_cam_weights", {"grad_cam_weights": grad_cam_weights})


def check_occlusion_map(occlusion_map: Callable) -> None:
    """Check ``occlusion_map(base_score, occluded_scores, image_shape, patch_size, stride)``.

    The per-pixel mean of ``base_score - occluded_scores[r, c]`` over the patches covering the
    pixel; 0 where no patch covers it.
    """
    from . import run_check

    run_check("occlusion_map", {"occlusion_map": occlusion_map})
