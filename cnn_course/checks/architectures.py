"""Checks of the architecture-comparison exercise (lesson 23): what a network costs.

One function and three questions:

- ``conv_multiply_adds(height, width, in_channels, filters, kernel_size, stride, padding)``:
  the multiply-adds of one 2-D convolution on one (height, width, in_channels) image,
  ``kh * kw * C_in * F`` per output position times ``H' * W'`` output positions, with
  ``H' = ceil(H / s)`` ("same") or ``floor((H - kh) / s) + 1`` ("valid"); the number
  :func:`cnn_course.inspection.multiply_adds` adds up over a network.
- ``q_macs_per_param`` (choice, predict then run): which of the course's networks uses each
  parameter most often per image (the most multiply-adds per parameter);
- ``q_conv_layer_macs`` (number): the multiply-adds of one given convolution;
- ``q_stride_saving`` (number): how many times fewer multiply-adds a stride-2 convolution
  needs than the same convolution at stride 1 followed by 2x2 max pooling.

Like every check: :data:`CASES` draws the inputs (plain data), :data:`JUDGES` decide in the
grader's process with the course's reference functions and name a recognised mistake, and
:data:`HINTS` help without giving the code. Registered in :mod:`cnn_course.checks.registry`
and :data:`cnn_course.checks.probe.PROBES`.
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:  # the judges import .judging when they run: the probe process never does
    from .judging import Verdict

__all__ = ["CASES", "JUDGES", "FORBIDDEN", "HINTS", "MACS_NETWORKS", "check_conv_multiply_adds",
           "check_architecture_answer", "reference_conv_multiply_adds"]


def _rng(seed: int, check_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, sum(map(ord, check_id)), 23])


def _case(*args: Any, label: str | None = None, **kwargs: Any) -> dict:
    out: dict = {"args": list(args), "kwargs": kwargs}
    if label is not None:
        out["label"] = label
    return out


# --------------------------------------------------------------------------- references
def reference_conv_multiply_adds(height: int, width: int, in_channels: int, filters: int,
                                 kernel_size: int, stride: int, padding: str) -> int:
    """``kh * kw * C_in * F * H' * W'`` with the course's :func:`~cnn_course.padding.output_size`."""
    from ..padding import output_size

    out_h = output_size(height, kernel_size, stride, padding)
    out_w = output_size(width, kernel_size, stride, padding)
    return kernel_size * kernel_size * in_channels * filters * out_h * out_w


#: The options of ``q_macs_per_param``: letter -> a network of :func:`cnn_course.build_model`.
MACS_NETWORKS = {"A": "lenet5", "B": "alexnet8", "C": "vgg16", "D": "resnet18",
                 "E": "inception10"}


@lru_cache(maxsize=1)
def _macs_per_param() -> dict[str, float]:
    from ..inspection import multiply_adds
    from ..models import build_model

    out = {}
    for letter, name in MACS_NETWORKS.items():
        model = build_model(name)
        out[letter] = multiply_adds(model) / model.count_params()
    return out


def _most_reuse() -> str:
    ratios = _macs_per_param()
    return max(ratios, key=ratios.get)


def _biggest() -> str:
    from ..models import list_models

    params = {m["name"]: m["params"] for m in list_models()}
    return max(MACS_NETWORKS, key=lambda letter: params[MACS_NETWORKS[letter]])


def _conv_layer_macs() -> int:
    return reference_conv_multiply_adds(16, 16, 64, 128, 3, 1, "same")


def _stride_saving() -> float:
    pooled = reference_conv_multiply_adds(32, 32, 64, 64, 3, 1, "same")
    strided = reference_conv_multiply_adds(32, 32, 64, 64, 3, 2, "same")
    return pooled / strided


def _question(check_id: str) -> Any:
    """The :class:`~.questions.Question` ``check_id`` (built on demand: the first one builds
    five networks to count their multiply-adds)."""
    from .questions import Question

    if check_id == "q_macs_per_param":
        ratio_text = ", ".join(f"{name} {_macs_per_param()[letter]:.0f}"
                               for letter, name in MACS_NETWORKS.items())
        return Question("q_macs_per_param", "choice", _most_reuse,
                 "E: a convolution reuses each kernel weight at every output position, a "
                 "dense weight is used once per image. Inception-10 is convolutions and a "
                 "global average pooling with one small dense layer, so every one of its "
                 "parameters works at many positions; VGG-16 and AlexNet keep most of their "
                 "parameters in dense layers. Multiply-adds per parameter: " + ratio_text,
                 options=tuple(MACS_NETWORKS),
                 mistakes=((_biggest(), "the network with the most parameters is not the "
                                        "one that reuses each of them most"),
                           ("A", "LeNet-5 is small in both: most of its parameters sit in "
                                 "dense layers, used once per image"),
                           ("D", "ResNet-18 reuses its weights a lot (all convolutions), but "
                                 "its 11 million parameters are many to share the work")))
    if check_id == "q_conv_layer_macs":
        return Question("q_conv_layer_macs", "number", _conv_layer_macs,
                 "a 'same' 3x3 convolution keeps the 16x16 map, so it has 16 * 16 = 256 "
                 "output positions; at each of them each of the 128 filters computes "
                 "3 * 3 * 64 = 576 products: 576 * 128 * 256 = 18,874,368 multiply-adds",
                 tolerance=0,
                 mistakes=((3 * 3 * 64 * 128, "that is the number of weights: multiply by "
                                              "the output positions, where each is used"),
                           (3 * 3 * 64 * 128 + 128, "that is the parameter count: the "
                                                    "weights work at every output position"),
                           (3 * 3 * 64 * 128 * 14 * 14, "that is 'valid' padding (14x14 "
                                                         "outputs); 'same' keeps 16x16"),
                           (3 * 3 * 128 * 16 * 16, "each filter spans all 64 input "
                                                   "channels")))
    return Question("q_stride_saving", "number", _stride_saving,
                 "pooling has no multiply-adds, but the convolution in front of it runs at "
                 "all 32 * 32 positions; with stride 2 it runs at 16 * 16, a quarter of "
                 "them. Same weights, 4 times fewer multiply-adds",
                 rel_tolerance=1e-6,
                 mistakes=((2.0, "the stride skips positions along both axes: 2 * 2"),
                           (1.0, "the pooling layer costs no multiply-adds, but the "
                                 "convolution before it works at every position of the "
                                 "full-size map"),
                           (0.25, "the ratio asked is pooled / strided: the strided one is "
                                  "the cheaper"),
                           (9.0, "the kernel size is the same in both; count the output "
                                 "positions")))


# --------------------------------------------------------------------------- cases
def conv_multiply_adds_cases(seed: int) -> list[dict]:
    rng = _rng(seed, "conv_multiply_adds")
    fixed = [(32, 32, 3, 64, 3, 1, "same", "VGG's first layer"),
             (28, 28, 1, 16, 5, 1, "valid", "'valid' padding: the map shrinks"),
             (32, 32, 64, 64, 3, 2, "same", "stride 2"),
             (15, 15, 32, 48, 3, 2, "same", "stride 2 on an odd size: 'same' rounds up"),
             (17, 13, 8, 16, 3, 2, "valid", "'valid', stride 2, non-square"),
             (8, 8, 256, 128, 1, 1, "same", "a 1x1 convolution")]
    cases = [_case(h, w, c, f, k, s, p, label=label) for h, w, c, f, k, s, p, label in fixed]
    for _ in range(3):
        k = int(rng.choice([1, 3, 5, 7]))
        h, w = (int(v) for v in rng.integers(k + 1, 40, 2))
        cases.append(_case(h, w, int(rng.integers(1, 130)), int(rng.integers(1, 130)), k,
                           int(rng.integers(1, 4)), str(rng.choice(["same", "valid"]))))
    return cases


# --------------------------------------------------------------------------- judges
def judge_conv_multiply_adds(cases: list[dict], results: list) -> Verdict:
    from ..padding import output_size
    from .judging import judge_cases, keep_distinct, short

    def check(case: dict, value: Any):
        h, w, c, f, k, s, p = case["args"]
        expected = reference_conv_multiply_adds(h, w, c, f, k, s, p)
        other = "valid" if p == "same" else "same"
        wrong = [
            ("the stride was ignored: a stride-s convolution is computed only at every s-th "
             "position along each axis", reference_conv_multiply_adds(h, w, c, f, k, 1, p)),
            ("the stride was applied along one axis only: it skips positions along the "
             "height and the width", expected * output_size(h, k, 1, p) //
             max(output_size(h, k, s, p), 1) if s > 1 else None),
            (f"that is the count for padding='{other}'", reference_conv_multiply_adds(
                h, w, c, f, k, s, other) if min(h, w) >= k else None),
            ("that counts the weights only: each weight is used once per output position",
             k * k * c * f),
            ("each filter spans all input channels: kh * kw * C_in products per position and "
             "filter", expected // c),
            ("the output positions are counted on the input (H * W): count them on the "
             "output map, after padding and stride", k * k * c * f * h * w),
            ("the output channels are missing: every filter computes its own sums",
             expected // f),
        ]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must return a number, got {short(value)}", []
        problem = None if value == expected else f"returned {value}, expected {expected}"
        return problem, keep_distinct(expected, [(t, v) for t, v in wrong if v != expected])

    return judge_cases("conv_multiply_adds", cases, results, check,
                       call=lambda case: "conv_multiply_adds(height={}, width={}, "
                                         "in_channels={}, filters={}, kernel_size={}, "
                                         "stride={}, padding={!r})".format(*case["args"]))


def _question_judges() -> dict[str, Callable[[list[dict], list], "Verdict"]]:
    def judge_for(check_id: str) -> Callable[[list[dict], list], "Verdict"]:
        def judge(cases: list[dict], results: list) -> "Verdict":
            from .questions import judge_question
            return judge_question(_question(check_id), cases, results)
        judge.__name__ = f"judge_{check_id}"
        return judge
    return {check_id: judge_for(check_id)
            for check_id in ("q_macs_per_param", "q_conv_layer_macs", "q_stride_saving")}


def _one_case(seed: int) -> list[dict]:
    return [{"args": [], "kwargs": {}, "label": "your answer"}]


# --------------------------------------------------------------------------- registry parts
CASES: dict[str, Callable[[int], list[dict]]] = {
    "conv_multiply_adds": conv_multiply_adds_cases, "q_macs_per_param": _one_case,
    "q_conv_layer_macs": _one_case, "q_stride_saving": _one_case}
JUDGES: dict[str, Callable[[list[dict], list], "Verdict"]] = {
    "conv_multiply_adds": judge_conv_multiply_adds, **_question_judges()}
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "conv_multiply_adds": ("cnn_course.multiply_adds", "cnn_course.inspection.multiply_adds",
                           "cnn_course.comparison"),
}

#: Hints on request (``cc.hint("<check id>")``): the idea, a method in words, an example with
#: other numbers; never the code.
HINTS: dict[str, tuple[str, ...]] = {
    "conv_multiply_adds": (
        "Count the work at one output position first, then count the output positions.",
        "At one position every filter multiplies its whole kernel (height times width times "
        "input channels) with the window under it. The number of positions is the output "
        "map's height times width, which padding and stride decide (lesson 03).",
        "A 3x3 convolution from 2 to 4 channels on a 6x6 map, 'valid', stride 1: 18 "
        "products per filter and position, 4 filters, 4x4 positions: 18 * 4 * 16 = 1152.",
    ),
    "q_macs_per_param": (
        "A weight of a convolution is used at every position of its output map; a weight of "
        "a dense layer once per image.",
        "Look at where each network keeps its parameters: in convolutions on large maps, or "
        "in big dense layers at the end?",
    ),
    "q_conv_layer_macs": (
        "Work at one position times the number of positions.",
        "'same' padding with stride 1 keeps the map size; each position costs one kernel's "
        "worth of products per filter.",
    ),
    "q_stride_saving": (
        "Max pooling compares numbers, it multiplies nothing: where are the multiply-adds?",
        "Count the output positions of the convolution with stride 1 and with stride 2, on "
        "both axes.",
    ),
}


# --------------------------------------------------------------------------- student side
def check_conv_multiply_adds(conv_multiply_adds: Callable) -> None:
    """Check ``conv_multiply_adds(height, width, in_channels, filters, kernel_size, stride, padding)``.

    ``kh * kw * C_in * F`` multiply-adds per output position, times ``H' * W'`` positions.
    """
    from . import run_check

    run_check("conv_multiply_adds", {"conv_multiply_adds": conv_multiply_adds})


def check_architecture_answer(check_id: str, answer: Any) -> None:
    """Check the answer to one of the questions of lesson 23's exercise.

    ``check_id`` is ``"q_macs_per_param"``, ``"q_conv_layer_macs"`` or ``"q_stride_saving"``;
    ``None`` (not answered yet) fails with "answer missing".
    """
    from . import run_check
    from .probe import PROBES

    valid = ("q_macs_per_param", "q_conv_layer_macs", "q_stride_saving")
    if check_id not in valid:
        raise ValueError(f"check_id must be one of {valid}, got {check_id!r}")
    run_check(check_id, {PROBES[check_id].answers[0]: answer})
