"""Every check of the course by id: its cases, its probe and its judge (see GRADING in docs).

``SPECS[check_id]`` is a :class:`CheckSpec`; the id is the ``check`` of the check cell's metadata
(``{"cnn_course": {"check": "pad2d", "points": 2}}``).

- ``cases(seed)`` draws the inputs (fixed edge cases + random ones from ``seed``), plain data;
- ``probe(answers, cases)`` runs in the *student's* process: it calls the answer on every case
  and returns plain results (:mod:`.probe`, which imports no judge);
- ``judge(cases, results)`` runs in the *grader's* process, where no student code ran: it
  computes the expected values with the course's reference implementations and returns a
  :class:`~cnn_course.checks.judging.Verdict` whose message says what is wrong, on which input.

``forbidden`` names the library shortcuts an answer must not use (the grader's source scan).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from . import (backprop, interpret, judge_blocks, judges, numpy_basics, questions,
               training_steps)
from .cases import CASES
from .judging import Verdict
from .probe import PROBES, probe_cases

__all__ = ["CheckSpec", "Verdict", "SPECS"]


@dataclass(frozen=True)
class CheckSpec:
    """One check: the names it takes from the notebook, its cases, probe and judge."""

    id: str
    answers: tuple[str, ...]
    cases: Callable[[int], list[dict]]
    probe: Callable[[dict, list[dict]], list]
    judge: Callable[[list[dict], list], Verdict]
    forbidden: tuple[str, ...] = field(default=())


_FORBIDDEN = {
    "pad2d": ("cnn_course.pad2d", "cnn_course.padding.pad2d", "cnn_course.conv.pad2d"),
    "output_size": ("cnn_course.output_size", "cnn_course.padding.output_size",
                    "cnn_course.padding.same_padding", "cnn_course.conv.output_size"),
    "conv2d": ("cnn_course.conv2d", "cnn_course.conv.conv2d", "cnn_course.conv.conv2d_naive",
               "tf.nn.conv2d", "scipy.signal", "scipy.ndimage", "keras.layers.Conv2D"),
    "gaussian_kernel": ("cnn_course.filters.gaussian", "scipy.ndimage", "cv2"),
    "log_kernel": ("cnn_course.filters.log", "scipy.ndimage", "cv2"),
    "gradient_magnitude": ("cnn_course.filters.gradient_magnitude", "scipy.ndimage", "cv2",
                           "skimage"),
    "max_pool2d": ("cnn_course.pool2d", "cnn_course.pooling.pool2d", "tf.nn.max_pool2d",
                   "keras.layers.MaxPooling2D"),
    "avg_pool2d": ("cnn_course.pool2d", "cnn_course.pooling.pool2d", "tf.nn.avg_pool2d",
                   "keras.layers.AveragePooling2D"),
    "receptive_field": ("cnn_course.receptive_field",),
    "cbapd_block": ("cnn_course.cbapd_block", "cnn_course.models.cbapd_block"),
    "inception_block": ("cnn_course.inception_block", "cnn_course.models.inception_block"),
    "residual_block": ("cnn_course.residual_block", "cnn_course.models.residual_block"),
}

_JUDGES = {
    "pad2d": judges.judge_pad2d, "output_size": judges.judge_output_size,
    "conv2d": judges.judge_conv2d, "gaussian_kernel": judges.judge_gaussian_kernel,
    "log_kernel": judges.judge_log_kernel, "gradient_magnitude": judges.judge_gradient_magnitude,
    "max_pool2d": judges.judge_max_pool2d, "avg_pool2d": judges.judge_avg_pool2d,
    "conv_params": judges.judge_conv_params, "dense_params": judges.judge_dense_params,
    "bn_params": judges.judge_bn_params, "receptive_field": judges.judge_receptive_field,
    "cbapd_block": judge_blocks.judge_cbapd_block, "worst_class": judges.judge_worst_class,
    "most_confused": judges.judge_most_confused,
    "inception_block": judge_blocks.judge_inception_block,
    "residual_block": judge_blocks.judge_residual_block,
}

# checks kept in their own module register here
for _part in (interpret, backprop, numpy_basics, training_steps, questions):
    CASES.update(_part.CASES), _JUDGES.update(_part.JUDGES), _FORBIDDEN.update(_part.FORBIDDEN)
from . import networks  # noqa: E402  (lessons 10, 15, 16, 17: checks/networks.py)
CASES.update(networks.CASES), _JUDGES.update(networks.JUDGES), _FORBIDDEN.update(networks.FORBIDDEN)
from . import architectures  # noqa: E402  (lesson 23: checks/architectures.py)
CASES.update(architectures.CASES), _JUDGES.update(architectures.JUDGES)
_FORBIDDEN.update(architectures.FORBIDDEN)
from . import transfer  # noqa: E402  (lesson 22: checks/transfer.py)
CASES.update(transfer.CASES), _JUDGES.update(transfer.JUDGES), _FORBIDDEN.update(transfer.FORBIDDEN)
from . import upsampling  # noqa: E402  (lesson 24: checks/upsampling.py)
CASES.update(upsampling.CASES), _JUDGES.update(upsampling.JUDGES)
_FORBIDDEN.update(upsampling.FORBIDDEN)

SPECS: dict[str, CheckSpec] = {
    check_id: CheckSpec(id=check_id, answers=PROBES[check_id].answers, cases=CASES[check_id],
                        probe=partial(probe_cases, check_id), judge=_JUDGES[check_id],
                        forbidden=_FORBIDDEN.get(check_id, ()))
    for check_id in PROBES
}
