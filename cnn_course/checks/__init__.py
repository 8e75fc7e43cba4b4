"""Checks of the course exercises: one ``check_<exercise>`` function per exercise.

In a notebook, ``check_pad2d(pad2d)`` gives *feedback*: it draws fresh inputs (fixed edge cases
plus random ones), runs the student's function on them, judges the results and

- prints ``All N tests passed.`` when everything agrees;
- raises :class:`CheckFailed` with a message that says what is wrong, on which input, and,
  when the answers match a typical mistake, which one ("output shape (5, 5), expected (4, 4):
  is the stride applied?") - shown in Jupyter without a traceback;
- says "answer missing" while the function is still the exercise's stub.

The grade does not come from these functions. ``cnn-course grade`` replaces every check cell by
a *probe* (:mod:`cnn_course.checks.probe`) that only calls the answers on the grader's inputs
and writes the results as plain data (:mod:`cnn_course.checks.serialize`); the grader judges
them in its own process with :data:`cnn_course.checks.registry.SPECS`, where no student code
runs. Nothing here is imported by the probe.

The package: :mod:`.cases` (inputs), :mod:`.probe` and :mod:`.describe` (student side),
:mod:`.serialize` (the plain-data boundary), :mod:`.judging`, :mod:`.judges`,
:mod:`.judge_blocks` (grader side), :mod:`.registry` (all of it by check id).
"""
from __future__ import annotations

import secrets
from typing import Any, Callable

import numpy as np

__all__ = [
    "CheckFailed", "check_pad2d", "check_output_size", "check_conv2d",
    "check_gaussian_kernel", "check_log_kernel", "check_gradient_magnitude",
    "check_max_pool", "check_avg_pool",
    "check_conv_params", "check_dense_params", "check_bn_params",
    "check_receptive_field", "check_cbapd_block", "check_worst_class",
    "check_most_confused", "check_inception_block", "check_residual_block", "run_check",
    # lessons 01, 02, 06, 07, 08, 09, 12, 21 and the questions; hints on request
    "check_colour_histogram", "check_grayscale", "check_window_value", "check_convolve2d",
    "check_sigmoid_derivative", "check_softmax_jvp", "check_cross_entropy",
    "check_numerical_gradient", "check_sgd_update", "check_confusion_matrix",
    "check_confused_pair", "check_im2col", "check_answer", "hint", "reset_hints",
    # lesson 23
    "check_conv_multiply_adds", "check_architecture_answer",
]


class CheckFailed(AssertionError):
    """A check found a mistake; the message says which, on which input.

    In IPython/Jupyter it is shown as ``CheckFailed: <message>`` without the traceback through
    the checks' code, and Run All goes on to the next cell (:mod:`cnn_course._kernel`), so a
    student sees the status of every task. With ``CNN_COURSE_STRICT_CHECKS=1`` (tests, CI)
    the cell stays a failed cell; nbval and the grader see the error in both modes.
    """


def _register_display() -> None:
    """In an IPython kernel, show :class:`CheckFailed` as its message only, without stopping
    Run All unless checks are strict (:func:`cnn_course._kernel.register`)."""
    from .._kernel import register

    register(CheckFailed)


_register_display()


def run_check(check_id: str, answers: dict[str, Any], extra_cases: list[dict] = (),
              seed: int | None = None) -> None:
    """Draw cases, probe ``answers``, judge; print the pass line or raise :class:`CheckFailed`.

    Parameters
    ----------
    check_id : str
        A key of :data:`cnn_course.checks.registry.SPECS`.
    answers : dict
        The student's answers by name (``{"pad2d": pad2d}``).
    extra_cases : list of dict
        Cases tried before the drawn ones (e.g. the lesson's own confusion matrix).
    seed : int, optional
        Seed of the random cases; a fresh one by default.
    """
    from . import serialize
    from .registry import SPECS

    spec = SPECS[check_id]
    seed = secrets.randbits(32) if seed is None else seed
    cases = serialize.loads(serialize.dumps(list(extra_cases) + spec.cases(seed)))
    results = serialize.loads(serialize.dumps(spec.probe(answers, cases)))
    verdict = spec.judge(cases, results)
    if not verdict.passed:
        message = verdict.message
        if not message.startswith("answer missing"):  # the stub's error says only that
            from .hints import hint_pointer
            pointer = hint_pointer(check_id)
            message += f"\n{pointer}" if pointer else ""
        raise CheckFailed(message)
    print(verdict.message)


# --------------------------------------------------------------------------- lesson 03
def check_pad2d(pad2d: Callable) -> None:
    """Check ``pad2d(x, pad)``: zero padding of the two spatial axes.

    ``x`` is (H, W) or (H, W, C); ``pad`` an int (same on all four sides) or
    ``((top, bottom), (left, right))``. The channel axis is never padded.
    """
    run_check("pad2d", {"pad2d": pad2d})


def check_output_size(output_size: Callable) -> None:
    """Check ``output_size(n, kernel_size, stride=1, padding=0, dilation=1)``.

    ``padding`` is an int (pixels added on *each* side), ``"valid"`` or ``"same"``; the answer
    is ``floor((n + 2p - d(k-1) - 1) / s) + 1``, and ``ceil(n / s)`` for "same".
    """
    run_check("output_size", {"output_size": output_size})


def check_conv2d(conv2d: Callable) -> None:
    """Check a naive ``conv2d(x, kernel, stride=1, padding=0)`` (cross-correlation, as Keras).

    ``x`` is (H, W, C), ``kernel`` (kh, kw, C, F), ``padding`` zeros added on each side; the
    result is (H', W', F) with ``H' = floor((H + 2p - kh) / s) + 1``.
    """
    run_check("conv2d", {"conv2d": conv2d})


# --------------------------------------------------------------------------- lesson 04
def check_gaussian_kernel(gaussian_kernel: Callable) -> None:
    """Check ``gaussian_kernel(size, sigma)``: a (size, size) Gaussian that sums to 1, centred."""
    run_check("gaussian_kernel", {"gaussian_kernel": gaussian_kernel})


def check_log_kernel(log_kernel: Callable) -> None:
    """Check ``log_kernel(size, sigma)``: the Laplacian of Gaussian, shifted to sum to 0."""
    run_check("log_kernel", {"log_kernel": log_kernel})


def check_gradient_magnitude(gradient_magnitude: Callable) -> None:
    """Check ``gradient_magnitude(image)``: ``sqrt(Gx^2 + Gy^2)`` with the Sobel kernels.

    Only the interior is compared: the border pixels depend on how the image is padded.
    """
    run_check("gradient_magnitude", {"gradient_magnitude": gradient_magnitude})


# --------------------------------------------------------------------------- lesson 05
def check_max_pool(max_pool2d: Callable) -> None:
    """Check ``max_pool2d(x, pool_size=2, stride=None)`` on (H, W, C) arrays ("valid" windows)."""
    run_check("max_pool2d", {"max_pool2d": max_pool2d})


def check_avg_pool(avg_pool2d: Callable) -> None:
    """Check ``avg_pool2d(x, pool_size=2, stride=None)`` on (H, W, C) arrays ("valid" windows)."""
    run_check("avg_pool2d", {"avg_pool2d": avg_pool2d})


# --------------------------------------------------------------------------- lesson 07
def check_conv_params(count_conv_params: Callable) -> None:
    """Check ``count_conv_params(kh, kw, c_in, filters, bias=True)`` against Keras' Conv2D."""
    run_check("conv_params", {"count_conv_params": count_conv_params})


def check_dense_params(count_dense_params: Callable) -> None:
    """Check ``count_dense_params(n_in, units, bias=True)`` against Keras' Dense."""
    run_check("dense_params", {"count_dense_params": count_dense_params})


def check_bn_params(count_bn_params: Callable) -> None:
    """Check ``count_bn_params(channels)`` against Keras' BatchNormalization."""
    run_check("bn_params", {"count_bn_params": count_bn_params})


# --------------------------------------------------------------------------- lesson 08
def check_receptive_field(receptive_field_sizes: Callable) -> None:
    """Check ``receptive_field_sizes(layers)`` -> one receptive-field size per layer.

    ``r_l = r_{l-1} + (k_l - 1) * j_{l-1}`` with the jump ``j_l = j_{l-1} * s_l``.
    """
    run_check("receptive_field", {"receptive_field_sizes": receptive_field_sizes})


# --------------------------------------------------------------------------- lesson 11
def _lesson_matrix(cm: Any) -> list[dict]:
    """The lesson's own confusion matrix as an extra case (``[]`` for ``None``)."""
    if cm is None:
        return []
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square (K, K) matrix, got shape {cm.shape}")
    if cm.dtype.kind not in "iuf" or (cm < 0).any():
        raise ValueError("cm must hold counts (numbers >= 0)")
    if (cm.sum(axis=1) == 0).any():  # a class without samples has no recall
        return []
    return [{"args": [np.array(cm)], "kwargs": {}, "label": "the lesson's confusion matrix"}]


def check_worst_class(worst_class: Callable, cm: Any = None) -> None:
    """Check ``worst_class(cm)``: the index of the class with the lowest recall.

    ``cm`` (optional) is the lesson's confusion matrix, tried first.
    """
    run_check("worst_class", {"worst_class": worst_class}, _lesson_matrix(cm))


def check_most_confused(most_confused: Callable, cm: Any = None) -> None:
    """Check ``most_confused(cm)`` -> ``(true_class, predicted_class)`` of the largest
    off-diagonal entry (the most frequent mistake)."""
    extra = _lesson_matrix(cm)
    if extra:
        off = extra[0]["args"][0].astype(float)
        np.fill_diagonal(off, -np.inf)
        if np.sum(off == off.max()) > 1:  # a tie: no single most frequent mistake
            extra = []
    run_check("most_confused", {"most_confused": most_confused}, extra)


# --------------------------------------------------------------------------- Keras blocks
def check_cbapd_block(cbapd_block: Callable) -> None:
    """Check ``cbapd_block(x, filters=6, kernel_size=5, pool_size=2, dropout=0.2)``:
    Conv2D ("same", linear) -> BatchNormalization -> ReLU -> MaxPooling2D -> Dropout."""
    run_check("cbapd_block", {"cbapd_block": cbapd_block})


def check_inception_block(inception_block: Callable) -> None:
    """Check ``inception_block(x, filters, strides=1)`` against the course's block, layer by
    layer on each branch (kernel sizes, where the stride sits, padding, filters, axis)."""
    run_check("inception_block", {"inception_block": inception_block})


def check_residual_block(residual_block: Callable) -> None:
    """Check ``residual_block(x, filters, strides=1)``: ``relu(F(x) + shortcut(x))``."""
    run_check("residual_block", {"residual_block": residual_block})


from .interpret import check_grad_cam_weights, check_occlusion_map  # noqa: E402,F401
from .architectures import (check_architecture_answer,  # noqa: E402,F401
                            check_conv_multiply_adds)
from .hints import hint, reset_hints  # noqa: E402,F401
from .numpy_basics import (check_colour_histogram, check_convolve2d,  # noqa: E402,F401
                           check_cross_entropy, check_grayscale, check_sigmoid_derivative,
                           check_softmax_jvp, check_window_value)
from .questions import check_answer  # noqa: E402,F401
from .training_steps import (check_confused_pair, check_confusion_matrix,  # noqa: E402,F401
                             check_im2col, check_numerical_gradient, check_sgd_update)
from .networks import (check_fixed_script, check_lenet5, check_network_answer,  # noqa: E402,F401
                       check_small_cnn, check_vgg_block, check_vgg_block_no_bn)
