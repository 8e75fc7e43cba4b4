"""Running the student's answers on a check's cases: the only part of a check that runs student code.

The probe calls the student's function on each case and turns what it returns into plain data
(:mod:`cnn_course.checks.serialize`), strictly: an ``ndarray`` (exactly) of numbers, an ``int``
(exactly), a ``list``/``tuple`` of such, or the plain description of a Keras block
(:mod:`cnn_course.checks.describe`). Anything else is recorded as an error ("returned a Foo,
expected an array"), never compared. The probe decides nothing: it knows no expected value and
imports no judge or reference implementation (a test asserts it); the grader judges the
results in its own process.

One result per case, each a dict:

- ``{"value": <plain data>}``: what the answer returned;
- ``{"__error__": "<message>", "kind": <kind>}``: no usable value, ``kind`` one of
  ``"missing"`` (the stub's ``NotImplementedError``), ``"undefined"`` (no such name),
  ``"not_callable"``, ``"library"`` (the answer is cnn_course's own function), ``"exception"``
  (the answer raised), ``"type"`` (it returned something that is not the expected plain data).

In a graded notebook each check cell is replaced by :func:`cell_source`, which calls :func:`run`.
"""
from __future__ import annotations

import importlib
import types
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from . import serialize
from .serialize import NotPlain, a_type

__all__ = ["ProbeSpec", "PROBES", "run", "cell_source", "probe_cases", "missing_message"]


@dataclass(frozen=True)
class ProbeSpec:
    """What a check calls: the answer's name(s) in the notebook, and how to read its result.

    ``kind`` is ``"array"``, ``"number"``, ``"sequence"``, ``"keras"``, ``"plain"`` (any
    plain data: a dict of arrays, ...) or ``"value"``: the answer is not a function but a
    *variable* holding the student's answer to a question (a prediction, a number, a chosen
    letter); the probe reads it and serialises it strictly, calling nothing
    (:mod:`cnn_course.checks.questions`).
    """

    answers: tuple[str, ...]
    kind: str
    outer_list: bool = False  # pass the first argument as a list (of tuples), not a tuple


PROBES: dict[str, ProbeSpec] = {
    "pad2d": ProbeSpec(("pad2d",), "array"),
    "output_size": ProbeSpec(("output_size",), "number"),
    "conv2d": ProbeSpec(("conv2d",), "array"),
    "gaussian_kernel": ProbeSpec(("gaussian_kernel",), "array"),
    "log_kernel": ProbeSpec(("log_kernel",), "array"),
    "gradient_magnitude": ProbeSpec(("gradient_magnitude",), "array"),
    "max_pool2d": ProbeSpec(("max_pool2d",), "array"),
    "avg_pool2d": ProbeSpec(("avg_pool2d",), "array"),
    "conv_params": ProbeSpec(("count_conv_params",), "number"),
    "dense_params": ProbeSpec(("count_dense_params",), "number"),
    "bn_params": ProbeSpec(("count_bn_params",), "number"),
    "receptive_field": ProbeSpec(("receptive_field_sizes",), "sequence", outer_list=True),
    "cbapd_block": ProbeSpec(("cbapd_block",), "keras"),
    "worst_class": ProbeSpec(("worst_class",), "number"),
    "most_confused": ProbeSpec(("most_confused",), "sequence"),
    "inception_block": ProbeSpec(("inception_block",), "keras"),
    "residual_block": ProbeSpec(("residual_block",), "keras"),
    "grad_cam_weights": ProbeSpec(("grad_cam_weights",), "array"),  # checks/interpret.py
    "occlusion_map": ProbeSpec(("occlusion_map",), "array"),        # checks/interpret.py
    "conv2d_backward_dx": ProbeSpec(("conv2d_backward_dx",), "array"),  # checks/backprop.py
    "conv2d_backward_dkernel": ProbeSpec(("conv2d_backward_dkernel",), "array"),  # checks/backprop.py
    "conv2d_backward_dbias": ProbeSpec(("conv2d_backward_dbias",), "array"),  # checks/backprop.py
    "max_pool_backward": ProbeSpec(("max_pool_backward",), "array"),  # checks/backprop.py
    "softmax_cross_entropy_gradient": ProbeSpec(("softmax_cross_entropy_gradient",), "array"),  # checks/backprop.py
    "adam_update": ProbeSpec(("adam_update",), "array"),  # checks/backprop.py
}
# Lessons 01, 02, 06, 07, 08 (numerical gradient), 09, 12, 21: checks/lesson_checks.py and
# the questions of checks/questions.py (kind "value": a variable, not a function).
PROBES.update({
    "colour_histogram": ProbeSpec(("colour_histogram",), "array"),
    "grayscale": ProbeSpec(("grayscale",), "array"),
    "window_value": ProbeSpec(("window_value",), "number"),
    "convolve2d": ProbeSpec(("convolve2d",), "array"),
    "sigmoid_derivative": ProbeSpec(("sigmoid_derivative",), "array"),
    "softmax_jvp": ProbeSpec(("softmax_jvp",), "array"),
    "cross_entropy": ProbeSpec(("cross_entropy",), "number"),
    "numerical_gradient": ProbeSpec(("numerical_gradient",), "array"),
    "sgd_update": ProbeSpec(("sgd_update",), "plain"),
    "confusion_matrix": ProbeSpec(("confusion_matrix",), "array"),
    "confused_pair": ProbeSpec(("confused_pair",), "sequence"),
    "im2col": ProbeSpec(("im2col",), "array"),
    "q_image_numbers": ProbeSpec(("image_numbers",), "value"),
    "q_keras_flip": ProbeSpec(("keras_computes",), "value"),
    "q_sigmoid_chain": ProbeSpec(("gradient_left",), "value"),
    "q_gd_step": ProbeSpec(("w_after_step",), "value"),
    "q_learning_rate": ProbeSpec(("learning_rate_diagnosis",), "value"),
    "q_folder_split": ProbeSpec(("training_images",), "value"),
    "q_augment_gap": ProbeSpec(("augmentation_effect",), "value"),
    "q_flip_digits": ProbeSpec(("flip_for_digits",), "value"),
    "q_untrained_loss": ProbeSpec(("untrained_loss",), "value"),
    "q_majority_accuracy": ProbeSpec(("majority_accuracy",), "value"),
    "q_im2col_shape": ProbeSpec(("im2col_shape",), "value"),
    "q_speedup": ProbeSpec(("speedup_order",), "value"),
    # lesson facts asked as questions (issue 15): checks/questions.py
    "q_uint8_wrap": ProbeSpec(("wrapped_value",), "value"),
    "q_joint_cells": ProbeSpec(("joint_cells",), "value"),
    "q_shuffle_histogram": ProbeSpec(("shuffled_histogram",), "value"),
    "q_valid_side": ProbeSpec(("camera_output_shape",), "value"),
    "q_step_nonzero": ProbeSpec(("nonzero_outputs",), "value"),
    "q_stride_fit": ProbeSpec(("strided_side",), "value"),
    "q_same_even": ProbeSpec(("even_same_padding",), "value"),
    "q_dilated_side": ProbeSpec(("dilated_side",), "value"),
    "q_kernel_sums": ProbeSpec(("kernel_sums",), "value"),
    "q_sobel_peak": ProbeSpec(("sobel_peak",), "value"),
    "q_overlap_pool": ProbeSpec(("pooled_side",), "value"),
    "q_pool_order": ProbeSpec(("pooling_order",), "value"),
    "q_softmax_shift": ProbeSpec(("softmax_shift",), "value"),
    "q_leaky_value": ProbeSpec(("leaky_value",), "value"),
    "q_kernel_shape": ProbeSpec(("conv1_kernel_shape",), "value"),
    "q_rf_after_pool": ProbeSpec(("rf_after_conv2",), "value"),
    "q_pool2_shape": ProbeSpec(("pool2_shape",), "value"),
    "q_dense_params": ProbeSpec(("dense_params",), "value"),
    "q_augment_params": ProbeSpec(("augmentation_params",), "value"),
    "q_class_order": ProbeSpec(("label_zero",), "value"),
    "q_dropout_scale": ProbeSpec(("kept_value",), "value"),
    "q_bn_frozen": ProbeSpec(("bn_frozen",), "value"),
    "q_bn_inference": ProbeSpec(("bn_at_inference",), "value"),
    "q_fgsm_change": ProbeSpec(("fgsm_change",), "value"),
    "q_gradcam_layer": ProbeSpec(("gradcam_layer",), "value"),
    "q_conv_macs": ProbeSpec(("conv_macs_count",), "value"),
})

# Lessons 10, 15, 16, 17: the network exercises of checks/networks.py (probes of kinds
# "model", "train", "budget" in checks/network_probes.py; bug names and predictions "value").
PROBES.update({
    "lenet5_model": ProbeSpec(("lenet5",), "model"),
    "vgg_block": ProbeSpec(("vgg_block",), "keras"),
    "q_no_bn_prediction": ProbeSpec(("no_bn_prediction",), "value"),
    "vgg_block_no_bn": ProbeSpec(("vgg_block_no_bn",), "keras"),
    "bug_1_named": ProbeSpec(("bug_1",), "value"),
    "bug_1_fixed": ProbeSpec(("train_fixed_1",), "train"),
    "bug_2_named": ProbeSpec(("bug_2",), "value"),
    "bug_2_fixed": ProbeSpec(("train_fixed_2",), "train"),
    "bug_3_named": ProbeSpec(("bug_3",), "value"),
    "bug_3_fixed": ProbeSpec(("train_fixed_3",), "train"),
    "bug_4_named": ProbeSpec(("bug_4",), "value"),
    "bug_4_fixed": ProbeSpec(("train_fixed_4",), "train"),
    "bug_5_named": ProbeSpec(("bug_5",), "value"),
    "bug_5_fixed": ProbeSpec(("train_fixed_5",), "train"),
    "budget_cnn": ProbeSpec(("small_cnn",), "budget"),
})

# Lesson 24: checks/upsampling.py (a transposed convolution, IoU, one question).
PROBES.update({
    "conv2d_transpose": ProbeSpec(("conv2d_transpose",), "array"),
    "iou": ProbeSpec(("iou",), "number"),
    "q_transposed_size": ProbeSpec(("transposed_size",), "value"),
})

# Lesson 23: checks/architectures.py (a function of ints; three questions, kind "value").
PROBES.update({
    "conv_multiply_adds": ProbeSpec(("conv_multiply_adds",), "number"),
    "q_macs_per_param": ProbeSpec(("most_reuse",), "value"),
    "q_conv_layer_macs": ProbeSpec(("conv_layer_macs",), "value"),
    "q_stride_saving": ProbeSpec(("stride_saving",), "value"),
})

# Lesson 22: checks/transfer.py (probes of kinds "transfer_head", "fine_tune" in
# checks/transfer_probes.py; a number and a prediction, kind "value").
PROBES.update({
    "transfer_head": ProbeSpec(("transfer_model",), "transfer_head"),
    "fine_tune": ProbeSpec(("prepare_fine_tuning",), "fine_tune"),
    "q_head_params": ProbeSpec(("head_parameters",), "value"),
    "q_transfer_prediction": ProbeSpec(("transfer_prediction",), "value"),
})

# The library functions each exercise asks the student to write. An answer that *is* one of
# them is refused; while the student's function runs they are switched off (in-notebook
# feedback; the grade does not rely on it: the grader also scans the answer's source).
OWN_WORK: dict[str, list[tuple[str, str]]] = {
    "pad2d": [("padding", "pad2d")],
    "output_size": [("padding", "output_size"), ("padding", "same_padding")],
    "conv2d": [("conv", "conv2d"), ("conv", "conv2d_naive")],
    "gaussian_kernel": [("filters", "gaussian")],
    "log_kernel": [("filters", "log")],
    "gradient_magnitude": [("filters", "gradient_magnitude")],
    "max_pool2d": [("pooling", "pool2d")],
    "avg_pool2d": [("pooling", "pool2d")],
    "receptive_field_sizes": [("receptive_field", "receptive_field"),
                              ("receptive_field", "receptive_field_size")],
    "count_conv_params": [("inspection", "conv_params"), ("inspection", "keras_conv_params")],
    "cbapd_block": [("models", "cbapd_block")],
    "inception_block": [("models", "inception_block")],
    "residual_block": [("models", "residual_block")],
    "grad_cam_weights": [("gradcam", "grad_cam_weights")],
    "grayscale": [("images", "to_grey")],
    "sigmoid_derivative": [("activations", "sigmoid_derivative")],
    "cross_entropy": [("losses", "cross_entropy")],
    "numerical_gradient": [("gradient_check", "numerical_gradient")],
    "sgd_update": [("optimizers", "sgd_step")],
    "confusion_matrix": [("training", "confusion_matrix")],
    "im2col": [("conv", "conv2d_im2col")],
}
OWN_WORK.update({  # lesson 24
    "conv2d_transpose": [("upsampling", "conv2d_transpose"),
                         ("upsampling", "conv2d_transpose_naive")],
    "iou": [("segmentation", "iou")],
})


def missing_message(name: str) -> str:
    """The message for an answer that is still the exercise's stub."""
    return (f"answer missing: `{name}` still raises NotImplementedError. Write your answer in "
            f"its place, run that cell, then run this check again.")


def missing_value_message(name: str) -> str:
    """The message for a question whose answer variable is still ``None``."""
    return (f"answer missing: `{name}` is still None. Replace None by your answer, run that "
            f"cell, then run this check again.")


def _library_twins(name: str) -> list[Callable]:
    return [getattr(importlib.import_module(f"cnn_course.{module}"), attr)
            for module, attr in OWN_WORK.get(name, [])]


class _SwitchedOff:
    """Within ``with``: calling any of ``functions`` raises an AssertionError naming ``name``.

    The functions' code objects are swapped, so every reference to them is covered
    (``cc.pad2d``, ``from cnn_course import pad2d``, ``cnn_course.padding.pad2d``); the
    originals come back on exit.
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


_NO_RETURN = "returned None: did you forget the `return` statement?"


def _error(kind: str, message: str) -> dict:
    return {"__error__": message, "kind": kind}


def _each_case(cases: list[dict], record: Callable[[dict], dict],
               same_for_all: tuple[str, ...] = ("missing",)) -> list[dict]:
    """``record(case)`` for every case, in order; once a record's kind is in ``same_for_all``
    (the answer fails that way on any input), the other cases get copies of it: the answer is
    not called again."""
    results: list[dict] = []
    for case in cases:
        result = record(case)
        results.append(result)
        if result.get("kind") in same_for_all:
            results.extend(dict(result) for _ in cases[len(results):])
            break
    return results


def _exception_text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # an exception whose __str__ fails
        text = ""
    if type(text) is not str:
        text = ""
    text = text if len(text) <= 600 else text[:597] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _tuplify(value: Any) -> Any:
    """Case data as the student's function expects it: lists become tuples, arrays are copied."""
    if isinstance(value, list):
        return tuple(_tuplify(v) for v in value)
    if isinstance(value, dict):  # a fresh dict: an answer that updates it in place changes no case
        return {k: _tuplify(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def _call(name: str, func: Any, args: list, kwargs: dict) -> tuple[bool, Any]:
    """Call the student's ``func``; ``(True, result)`` or ``(False, error record)``."""
    twins = _library_twins(name)
    if name in OWN_WORK and (any(func is twin for twin in twins) or
                             str(getattr(type(func), "__module__", "")).startswith("cnn_course")
                             or _is_library_function(func)):
        return False, _error("library", f"`{name}` is cnn_course's own function, not yours: the "
                                        f"exercise asks you to write it yourself")
    try:
        with _SwitchedOff(twins, name):
            return True, func(*args, **kwargs)
    except NotImplementedError:
        return False, _error("missing", missing_message(name))
    except Exception as exc:
        return False, _error("exception", _exception_text(exc))


def _is_library_function(func: Any) -> bool:
    module = func.__module__ if type(func) is types.FunctionType else None
    return isinstance(module, str) and module.startswith("cnn_course")


def _expected_what(kind: str) -> str:
    return {"array": "a NumPy array", "number": "a number (an int)",
            "sequence": "a list (or tuple) of ints", "keras": "a Keras tensor",
            "plain": "numbers, arrays, lists or dicts of them"}[kind]


def _plain_result(kind: str, got: Any) -> dict:
    """The plain-data record of what the answer returned (see the module docstring)."""
    if got is None:
        return _error("type", _NO_RETURN)
    try:
        if kind == "array":
            if type(got) in (list, tuple):
                value = np.array(serialize.nested_numbers(got), dtype=float)
            else:
                value = serialize.plain_array(got)
        elif kind == "number":
            value = serialize.plain_number(got)
        elif kind == "plain":
            value = serialize.to_plain(got)
        elif kind == "sequence":
            if type(got) is np.ndarray:
                array = serialize.plain_array(got)
                if array.ndim != 1:
                    raise NotPlain(f"an array of shape {array.shape}, not a flat sequence")
                value = array.tolist()
            elif issubclass(type(got), (list, tuple)):
                # Read through the base classes' methods: a subclass's overrides are not called.
                items = list(list.__iter__(got) if issubclass(type(got), list)
                             else tuple.__iter__(got))
                value = [serialize.plain_number(v) for v in items]
            else:
                raise NotPlain(a_type(got))
        else:
            raise ValueError(f"unknown result kind {kind!r}")
    except NotPlain as exc:
        what = str(exc).split(",")[0]
        return _error("type", f"returned {what}, expected {_expected_what(kind)}")
    except ValueError as exc:
        return _error("type", f"returned {exc}")
    return {"value": value}


def _keras_result(name: str, func: Any, case: dict) -> dict:
    from .._lazy import keras
    from .describe import describe_model

    inputs = keras.Input(shape=tuple(int(v) for v in case["input_shape"]))
    ok, out = _call(name, func, [inputs] + [_tuplify(a) for a in case.get("args", [])],
                    {k: _tuplify(v) for k, v in case.get("kwargs", {}).items()})
    if not ok:
        return out
    if out is None:
        return _error("type", "returned None: return the output tensor of the block")
    if type(out) is not keras.KerasTensor:
        return _error("type", f"returned {a_type(out)}, expected the Keras tensor that "
                              f"comes out of the block (apply each layer to the previous "
                              f"tensor)")
    try:
        model = keras.Model(inputs, out)
    except Exception as exc:  # e.g. the output does not depend on the input
        return _error("exception", f"cannot build a model from x to the returned tensor "
                                   f"({_exception_text(exc)}); is the block connected to x?")
    try:
        return {"value": serialize.to_plain(describe_model(model))}
    except Exception as exc:
        return _error("type", f"the block cannot be described: {_exception_text(exc)}")


def _value_result(name: str, value: Any) -> dict:
    """The plain record of a question's answer variable; calls nothing the value defines."""
    if value is None:
        return _error("missing", missing_value_message(name))
    try:
        return {"value": serialize.to_plain(value)}
    except NotPlain as exc:
        what = str(exc).split(",")[0]
        return _error("type", f"`{name}` holds {what}: answer with a number, a str or a tuple "
                              f"of numbers")
    except ValueError as exc:
        return _error("type", f"`{name}` holds {exc}")


def probe_cases(check_id: str, answers: dict[str, Any], cases: list[dict]) -> list[dict]:
    """Call the student's answer on every case; one plain result record per case.

    Never raises for the student's mistakes: a missing name, a stub, an exception or a
    non-plain return value becomes that case's error record.
    """
    spec = PROBES[check_id]
    name = spec.answers[0]
    if name not in answers:
        return [_error("undefined", f"answer `{name}` is not defined: run the cell that "
                                    f"defines it first") for _ in cases]
    if spec.kind == "value":
        return [_value_result(name, answers[name]) for _ in cases]
    func = answers[name]
    if not callable(func):
        return [_error("not_callable", f"`{name}` is {a_type(func)}, not a function: "
                                       f"pass the function itself, without calling it")
                for _ in cases]
    if spec.kind in ("model", "train", "budget"):  # checks/networks.py
        from . import network_probes
        return network_probes.probe_cases(check_id, spec.kind, name, answers, cases)
    if spec.kind in ("transfer_head", "fine_tune"):  # checks/transfer.py
        from . import transfer_probes
        return transfer_probes.probe_cases(check_id, spec.kind, name, answers, cases)

    def record(case: dict) -> dict:
        if spec.kind == "keras":
            return _keras_result(name, func, case)
        args = [_tuplify(a) for a in case.get("args", [])]
        if "function" in case:  # a function described by plain data, built here
            from .scalar_functions import build_function
            args.insert(0, build_function(case["function"]))
        if spec.outer_list and args:
            args[0] = list(args[0])
        ok, got = _call(name, func, args,
                        {k: _tuplify(v) for k, v in case.get("kwargs", {}).items()})
        return _plain_result(spec.kind, got) if ok else got

    return _each_case(cases, record, same_for_all=("missing", "library"))


def run(check_id: str, namespace: dict, cases_path: str, results_path: str) -> None:
    """Probe one check inside the student's kernel: read the cases, call the answer, dump results.

    Parameters
    ----------
    check_id : str
        A key of :data:`PROBES` (the ``check`` of the cell's metadata).
    namespace : dict
        The notebook's globals, where the answers are looked up by name.
    cases_path, results_path : str
        Files written / to be written by :mod:`cnn_course.checks.serialize`.

    The student's errors never propagate; if even the results cannot be written, an error
    record per case is written instead.
    """
    cases = serialize.load(cases_path)
    spec = PROBES[check_id]
    answers = {name: namespace[name] for name in spec.answers if name in namespace}
    try:
        results = probe_cases(check_id, answers, cases)
        serialize.dump(results_path, results)
    except Exception as exc:
        serialize.dump(results_path, [_error("exception", f"the probe failed: "
                                                          f"{_exception_text(exc)}")
                                      for _ in cases])


def cell_source(check_id: str, cases_path: str, results_path: str) -> str:
    """The code of the cell the grader puts in place of the check cell ``check_id``."""
    if check_id not in PROBES:
        raise ValueError(f"unknown check id {check_id!r}; known: {sorted(PROBES)}")
    return ("import cnn_course.checks.probe as _cnn_course_probe\n"
            f"_cnn_course_probe.run({check_id!r}, globals(), {str(cases_path)!r}, "
            f"{str(results_path)!r})\n"
            "del _cnn_course_probe\n")
