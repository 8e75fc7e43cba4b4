"""Checks of the network exercises: write LeNet-5 and a VGG block, find the bug, an ablation,
a CNN under a parameter budget (lessons 10, 15, 16, 17).

The answers are Keras builders and training functions, so the probe builds or trains them in
the student's process and sends back plain descriptions and numbers
(:mod:`.network_probes`, :mod:`.describe`); the judges here compare them, in the grader's
process, with the course's networks (:func:`cnn_course.build_model`) and with the numbers a
fixed run must reach:

- ``lenet5_model``: ``lenet5(input_shape, num_classes) -> keras.Model``, layer by layer
  against ``build_model("lenet5")``: layer types and order, kernel sizes, strides, padding,
  activations, pooling kind, dense sizes, output shape, parameter count;
- ``vgg_block``: ``vgg_block(x, filters, convs)``, against one stage of
  ``build_model("vgg16")`` (its convolutions, BatchNormalization, ReLU and max-pooling);
- ``vgg_block_no_bn`` and the question ``q_no_bn_prediction``: the ablation of that block
  (BatchNormalization removed), graded on its structure and on the prediction being made;
- ``bug_1_named`` ... ``bug_5_fixed``: five training scripts with one planted bug each (the
  five bugs of :data:`BUGS`); the bug's name (a question) and the fixed script, judged by what
  its run does on a validation set disjoint from the training images (accuracy above chance,
  probabilities that can reach 1, validation numbers that are those of the validation images,
  a training loss that does not diverge on raw pixels, BatchNormalization statistics that
  move);
- ``budget_cnn``: a builder whose model has at most :data:`BUDGET_PARAMS` parameters and
  reaches :data:`BUDGET_ACCURACY` test accuracy on Fashion-MNIST with a fixed quick recipe.

Keras layers are compared as *operations*: an ``Activation``/``ReLU``/``Softmax`` layer that
follows a linear ``Conv2D`` or ``Dense`` is folded into it, so ``Conv2D(6, 5,
activation="sigmoid")`` and ``Conv2D(6, 5)`` + ``Activation("sigmoid")`` are the same answer.
Registered like :mod:`.interpret`: :data:`CASES`, :data:`JUDGES`, :data:`FORBIDDEN` here, the
probes in :data:`cnn_course.checks.probe.PROBES`.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .._lazy import keras

if TYPE_CHECKING:  # the judges import .judging when they run: the probe process never does
    from keras import KerasTensor

    from .judging import Verdict

__all__ = ["CASES", "JUDGES", "FORBIDDEN", "HINTS", "BUGS", "BUDGET_PARAMS", "BUDGET_ACCURACY",
           "BUG_TRAIN", "BUG_VAL", "BUG_EPOCHS", "BUG_DIVERGED_LOSS", "BUG_BN_MOVED", "BUDGET_TRAIN", "BUDGET_TEST", "BUDGET_EPOCHS",
           "BUDGET_LEARNING_RATE",
           "reference_vgg_block", "operations", "check_lenet5", "check_vgg_block",
           "check_vgg_block_no_bn", "check_fixed_script", "check_small_cnn",
           "check_network_answer"]

# --------------------------------------------------------------------------- settings
#: The five bugs of the find-the-bug exercise (the options of its questions).
BUGS: dict[str, str] = {
    "A": "the labels are shuffled apart from the images",
    "B": "softmax is applied twice",
    "C": "the inputs are not scaled",
    "D": "the validation data are the training data",
    "E": "BatchNormalization is frozen in inference mode",
}
BUG_TRAIN, BUG_VAL, BUG_EPOCHS = 1000, 500, 2          # the fixed scripts' run in the check
BUG_MIN_ACCURACY = 0.45                                  # chance is 0.10
#: A training loss above this (or not finite) means the run diverged (ln 10 = 2.30 at the start).
BUG_DIVERGED_LOSS = 20.0
#: How far (at least) the moving mean/variance of a BatchNormalization layer that trains must
#: leave their initial 0 and 1 (a frozen layer's stay exactly there).
BUG_BN_MOVED = 0.01
BUDGET_PARAMS = 50_000
BUDGET_TRAIN, BUDGET_TEST, BUDGET_EPOCHS = 2000, 1000, 2
#: Test accuracy the budget CNN must reach with the fixed recipe (Adam 3e-3, batch 32, 2 epochs
#: on 2,000 images). Measured on three seeds (data subset and initialisation): Conv 32 -> pool
#: -> Conv 64 -> pool -> softmax (34,826 parameters) 0.737-0.796; Conv 16 -> pool -> Conv 32 ->
#: pool -> softmax (12,810) 0.721-0.761; about 6-8 s of CPU time each.
BUDGET_ACCURACY = 0.70
BUDGET_LEARNING_RATE = 3e-3


def _rng(seed: int, check_id: str) -> np.random.Generator:
    return np.random.default_rng([seed, sum(map(ord, check_id)), 16])


# --------------------------------------------------------------------------- operations
_ACTIVATION_LAYERS = {"ReLU": "relu", "Softmax": "softmax"}
_FOLDABLE = ("Conv2D", "Dense")


def _pair(value: Any) -> tuple:
    return tuple(value) if isinstance(value, list) else (value, value)


def _activation_of(layer: dict) -> str | None:
    if layer["class"] == "Activation":
        return str(layer["config"].get("activation"))
    return _ACTIVATION_LAYERS.get(layer["class"])


def operations(layers: list[dict]) -> list[dict]:
    """A chain of described layers as operations: ``{"op", "layer", ...settings}``.

    ``op`` is ``conv``, ``dense``, ``bn``, ``act``, ``maxpool``, ``avgpool``, ``flatten``,
    ``gap``, ``dropout``, ``rescaling`` or the Keras class name; an activation layer right
    after a linear ``Conv2D``/``Dense`` sets that operation's ``activation`` instead of
    being an operation of its own.
    """
    ops: list[dict] = []
    for layer in layers:
        cls, cfg = layer["class"], layer["config"]
        act = _activation_of(layer)
        if act is not None:
            if ops and ops[-1]["op"] in ("conv", "dense") and ops[-1]["activation"] == "linear":
                ops[-1]["activation"] = act
                continue
            ops.append({"op": "act", "activation": act, "layer": layer})
            continue
        if cls == "Conv2D":
            ops.append({"op": "conv", "layer": layer, "filters": cfg.get("filters"),
                        "kernel": _pair(cfg.get("kernel_size")),
                        "strides": _pair(cfg.get("strides")),
                        "padding": cfg.get("padding"), "activation": cfg.get("activation"),
                        "use_bias": cfg.get("use_bias")})
        elif cls == "Dense":
            ops.append({"op": "dense", "layer": layer, "units": cfg.get("units"),
                        "activation": cfg.get("activation")})
        elif cls in ("MaxPooling2D", "AveragePooling2D"):
            ops.append({"op": "maxpool" if cls.startswith("Max") else "avgpool", "layer": layer,
                        "pool": _pair(cfg.get("pool_size")), "strides": _pair(cfg.get("strides")),
                        "padding": cfg.get("padding")})
        else:
            op = {"BatchNormalization": "bn", "Flatten": "flatten", "Dropout": "dropout",
                  "GlobalAveragePooling2D": "gap", "Rescaling": "rescaling",
                  "InputLayer": "input"}.get(cls, cls)
            if op != "input":
                ops.append({"op": op, "layer": layer})
    return ops


_OP_NAMES = {"conv": "Conv2D", "dense": "Dense", "bn": "BatchNormalization", "act": "Activation",
             "maxpool": "MaxPooling2D", "avgpool": "AveragePooling2D", "flatten": "Flatten",
             "gap": "GlobalAveragePooling2D", "dropout": "Dropout", "rescaling": "Rescaling"}


def _op_text(op: dict) -> str:
    name = _OP_NAMES.get(op["op"], op["op"])
    if op["op"] == "conv":
        return f"{op['kernel'][0]}x{op['kernel'][1]} Conv2D {op['filters']}"
    if op["op"] == "dense":
        return f"Dense {op['units']}"
    if op["op"] == "act":
        return f"Activation({op['activation']!r})"
    return name


def _chain_text(ops: list[dict]) -> str:
    return " -> ".join(_op_text(op) for op in ops)


def _size(op: dict) -> str:
    shape = op["layer"].get("output_shape") or []
    return "x".join(str(d) for d in shape[1:]) if shape else "?"


def _params(layers: list[dict]) -> int:
    return sum(math.prod(shape) for layer in layers for shape in layer["weights"])


def _model_chain(description: dict) -> list[dict] | None:
    """The layers of a single-input single-output chain, input first (``None`` if it branches)."""
    from .judge_blocks import Block

    block = Block(description)
    return block.chain(block.outputs[0])


def _describe_reference(model: Any) -> dict:
    from .describe import describe_model
    return describe_model(model)


def _custom(layers: list[dict]) -> str | None:
    custom = [layer["class"][len("custom "):] for layer in layers
              if layer["class"].startswith("custom")]
    if custom:
        return (f"uses the layer {custom[0]}, which is not one of Keras' layers: build it from "
                f"keras.layers")
    return None


def _record_problem(record: Any) -> tuple[str | None, Any]:
    """``(message, None)`` for an error record, ``(None, value)`` for a value."""
    from .judging import error_message

    if not isinstance(record, dict) or ("value" not in record and "__error__" not in record):
        return "the check's result is unreadable", None
    if "__error__" in record:
        return error_message("", record).strip(), None
    return None, record["value"]


# --------------------------------------------------------------------------- LeNet-5
def lenet5_model_cases(seed: int) -> list[dict]:
    """The lesson's 32x32x3 CIFAR input, 28x28x1 digits, and one drawn input/class count."""
    rng = _rng(seed, "lenet5_model")
    side = int(rng.choice([28, 32, 36]))
    return [{"input_shape": [32, 32, 3], "num_classes": 10, "label": "CIFAR-10 images"},
            {"input_shape": [28, 28, 1], "num_classes": 10, "label": "28x28 grey digits"},
            {"input_shape": [side, side, int(rng.integers(1, 4))],
             "num_classes": int(rng.integers(3, 8)), "label": "another input and class count"}]


def _softmax_problem(ops: list[dict]) -> str | None:
    last = ops[-1]
    if last["op"] == "act" and last["activation"] == "softmax" and len(ops) > 1 and \
            ops[-2].get("activation") == "softmax":
        return ("softmax is applied twice (the last Dense already has activation='softmax', "
                "then another softmax follows): a softmax of probabilities squashes them "
                "towards uniform; apply it once")
    if last.get("activation") != "softmax":
        what = "no activation (linear)" if last.get("activation") == "linear" else \
            f"activation={last.get('activation')!r}"
        return (f"the output layer has {what}: the network must output class probabilities, "
                f"so the last Dense uses a softmax")
    return None


def _compare_lenet(case: dict, got_ops: list[dict], ref_ops: list[dict]) -> str | None:
    if not got_ops:
        return "the model has no layers"
    if (problem := _softmax_problem(got_ops)) is not None:
        return problem
    kinds = [op["op"] for op in got_ops]
    ref_kinds = [op["op"] for op in ref_ops]
    order = _chain_text(ref_ops)
    if "flatten" not in kinds and "gap" not in kinds and "dense" in kinds:
        return ("no Flatten before the dense layers: a Dense on a (height, width, channels) "
                "map acts on each position separately, so the output still has a height and "
                "width; flatten the feature maps into one vector first")
    if "avgpool" in kinds and "maxpool" not in kinds:
        return ("the pooling layers average (AveragePooling2D): the course's LeNet-5 uses "
                "max-pooling (MaxPooling2D, 2x2, stride 2) in place of the original's "
                "trainable sub-sampling")
    if kinds != ref_kinds:
        convs = [i for i, k in enumerate(kinds) if k == "conv"]
        pools = [i for i, k in enumerate(kinds) if k in ("maxpool", "avgpool")]
        if kinds.count("conv") == 2 and len(pools) == 2 and convs[1] < pools[0]:
            return ("both convolutions come before the first pooling: LeNet-5 alternates, "
                    "convolution then pooling, twice (C1, S2, C3, S4)")
        extra = [op for op in got_ops if op["op"] not in ref_kinds]
        if extra:
            return (f"the network has a {_op_text(extra[0])} layer the course's LeNet-5 does "
                    f"not have; it is {order}")
        for i, (g, e) in enumerate(zip(got_ops, ref_ops)):
            if g["op"] != e["op"]:
                return (f"layer {i + 1} is {_op_text(g)}, expected {_OP_NAMES[e['op']]}; the "
                        f"network is {order}")
        return (f"{len(got_ops)} layers ({_chain_text(got_ops)}), expected {len(ref_ops)}: "
                f"{order}")
    names = {0: "conv1 (C1)", 2: "conv2 (C3)", 1: "pool1 (S2)", 3: "pool2 (S4)",
             5: "dense1 (F5)", 6: "dense2 (F6)", 7: "the output layer"}
    for i, (g, e) in enumerate(zip(got_ops, ref_ops)):
        where = names.get(i, f"layer {i + 1}")
        if g["op"] == "conv":
            if g["padding"] != e["padding"]:
                return (f"{where} has padding={g['padding']!r}, so its feature maps are "
                        f"{_size(g)}, expected {_size(e)}: LeNet-5's 5x5 convolutions are "
                        f"'valid' and shrink the image by 4 pixels")
            for key, what in (("kernel", "kernel_size"), ("strides", "strides"),
                              ("filters", "filters")):
                if g[key] != e[key]:
                    shown = (lambda v: v if key == "filters" else tuple(v))
                    return f"{where} has {what}={shown(g[key])}, expected {shown(e[key])}"
        if g["op"] in ("conv", "dense") and g["activation"] != e["activation"]:
            if g["activation"] == "linear":
                return (f"{where} has no activation (linear): without a non-linearity two "
                        f"layers collapse into one linear map; LeNet-5 uses "
                        f"{e['activation']!r} here")
            return (f"{where} has activation={g['activation']!r}, expected "
                    f"{e['activation']!r} (the course's LeNet-5 keeps the 1998 network's "
                    f"sigmoid units)")
        if g["op"] == "maxpool":
            for key, what in (("pool", "pool_size"), ("strides", "strides"),
                              ("padding", "padding")):
                if g[key] != e[key]:
                    return (f"{where} has {what}={g[key] if key == 'padding' else tuple(g[key])}"
                            f", expected {e[key] if key == 'padding' else tuple(e[key])}: 2x2 "
                            f"windows, stride 2, halve the feature maps")
        if g["op"] == "dense" and g["units"] != e["units"]:
            if i == len(ref_ops) - 1:
                return (f"the output layer has {g['units']} units for num_classes="
                        f"{case['num_classes']}: one unit per class")
            return f"{where} has {g['units']} units, expected {e['units']}"
    return None


def judge_lenet5_model(cases: list[dict], results: list) -> Verdict:
    from ..models import build_model
    from .judging import Verdict

    if type(results) is not list or len(results) != len(cases):
        return Verdict(False, "the check did not produce one result per input")
    for case, record in zip(cases, results):
        shape = tuple(int(v) for v in case["input_shape"])
        call = f"lenet5(input_shape={shape}, num_classes={case['num_classes']}) [{case['label']}]"
        problem, value = _record_problem(record)
        if problem is not None:
            return Verdict(False, f"{call}: {problem}")
        try:
            layers = list(value["model"]["layers"])
            got_chain = _model_chain(value["model"])
            input_shape = tuple(value["input_shape"])
        except (KeyError, TypeError, IndexError):
            return Verdict(False, f"{call}: the model's description is unreadable")
        if (problem := _custom(layers)) is not None:
            return Verdict(False, f"{call}: {problem}")
        if input_shape != shape:
            return Verdict(False, f"{call}: the model's input has shape {input_shape}, expected "
                                  f"{shape}: use input_shape for keras.Input")
        if got_chain is None:
            return Verdict(False, f"{call}: LeNet-5 is one chain of layers from the input to "
                                  f"the output, without branches")
        ref = _describe_reference(build_model("lenet5", shape, int(case["num_classes"])))
        ref_chain = _model_chain(ref)
        problem = _compare_lenet(case, operations(got_chain), operations(ref_chain))
        out = tuple(value["model"]["output_shape"])
        if problem is None and out != tuple(ref["output_shape"]):
            problem = f"output shape {out}, expected {tuple(ref['output_shape'])}"
        if problem is None and _params(layers) != _params(ref["layers"]):
            problem = (f"{_params(layers)} parameters, expected {_params(ref['layers'])} "
                       f"(every Conv2D and Dense has a bias)")
        if problem is not None:
            return Verdict(False, f"{call}: {problem}")
    return Verdict(True, f"All {len(cases)} tests passed.")


# --------------------------------------------------------------------------- VGG block
def reference_vgg_block(x: "KerasTensor", filters: int, convs: int, batch_norm: bool = True
                        ) -> "KerasTensor":
    """One stage of the course's VGG-16 (:func:`cnn_course.build_model` ``"vgg16"``).

    ``convs`` times: ``Conv2D(filters, 3, padding="same")`` -> ``BatchNormalization`` ->
    ReLU; then ``MaxPooling2D(2, strides=2, padding="same")``: (N, H, W, C) ->
    (N, ceil(H / 2), ceil(W / 2), filters). (The model adds a Dropout after each stage.)
    ``batch_norm=False`` is the ablation without BatchNormalization.
    """

    for _ in range(convs):
        x = keras.layers.Conv2D(filters, 3, padding="same")(x)
        if batch_norm:
            x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Activation("relu")(x)
    return keras.layers.MaxPooling2D(2, strides=2, padding="same")(x)


def vgg_block_cases(seed: int) -> list[dict]:
    """Two convolutions on CIFAR-sized input, three on an odd size (the pool rounds up), one
    on a small deep map; one drawn case."""
    rng = _rng(seed, "vgg_block")
    cases = [{"input_shape": [32, 32, 3], "args": [8, 2], "kwargs": {}, "label": "stage 1 style"},
             {"input_shape": [7, 7, 6], "args": [4, 3], "kwargs": {}, "label": "odd size 7x7"},
             {"input_shape": [8, 8, 16], "args": [12, 1], "kwargs": {}, "label": "one convolution"}]
    side = int(rng.integers(5, 17))
    cases.append({"input_shape": [side, side + 1, int(rng.integers(1, 5))],
                  "args": [int(rng.integers(2, 9)), int(rng.integers(1, 4))], "kwargs": {}})
    return cases


def _compare_vgg(case: dict, got_ops: list[dict], ref_ops: list[dict], batch_norm: bool
                 ) -> str | None:
    filters, convs = (int(v) for v in case["args"])
    unit = ("Conv2D -> BatchNormalization -> ReLU" if batch_norm else "Conv2D -> ReLU")
    order = f"{convs} x ({unit}), then one 2x2 max-pooling"
    kinds = [op["op"] for op in got_ops]
    pools = [i for i, k in enumerate(kinds) if k in ("maxpool", "avgpool")]
    if not pools:
        return f"no pooling layer: the block ends with a 2x2 max-pooling; it is {order}"
    if len(pools) > 1 or pools[-1] != len(kinds) - 1:
        return ("a pooling layer inside the convolution stack: a VGG block pools once, after "
                f"its last convolution (each pooling halves the map); it is {order}")
    if kinds[-1] == "avgpool":
        return ("the block ends with AveragePooling2D: VGG uses max-pooling (MaxPooling2D)"
                + (" - the ablation removes only BatchNormalization" if not batch_norm else ""))
    n_convs = kinds.count("conv")
    if n_convs != convs:
        return (f"{n_convs} convolutions, expected convs={convs}: the block repeats its unit "
                f"`convs` times")
    if not batch_norm and "bn" in kinds:
        return ("the ablated block still has BatchNormalization: remove it, keep everything "
                "else (convolutions, ReLU, pooling)")
    if batch_norm and kinds.count("bn") < convs:
        return (f"{kinds.count('bn')} BatchNormalization layers for {convs} convolutions: every "
                f"convolution is followed by BatchNormalization, then ReLU")
    for i, op in enumerate(got_ops):
        if op["op"] == "conv" and op["activation"] not in ("linear", "relu"):
            return (f"convolution {kinds[:i + 1].count('conv')} has activation="
                    f"{op['activation']!r}, expected ReLU")
        if op["op"] == "act" and op["activation"] != "relu":
            return f"an Activation({op['activation']!r}): VGG uses ReLU"
    unit_ops = [k for k in kinds[:-1]]
    ref_unit = [op["op"] for op in ref_ops[:-1]]
    if unit_ops != ref_unit or any(g.get("activation") != e.get("activation")
                                   for g, e in zip(got_ops, ref_ops)):
        if batch_norm:
            for i, op in enumerate(got_ops):
                if op["op"] == "conv" and op["activation"] == "relu" and i + 1 < len(got_ops) \
                        and got_ops[i + 1]["op"] == "bn":
                    return ("a convolution has activation='relu' before its "
                            "BatchNormalization: keep the convolution linear, normalise, then "
                            "apply the ReLU")
        relus = sum(op.get("activation") == "relu" for op in got_ops)
        if relus < convs:
            return (f"{relus} ReLU activations for {convs} convolutions: a convolution without "
                    f"its activation is missing the non-linearity; each unit is {unit}"
                    + (" (the ablation removes only BatchNormalization, keep the ReLU)"
                       if not batch_norm else ""))
        return f"the block is {_chain_text(got_ops)}; expected {order}"
    for i, (g, e) in enumerate(zip(got_ops, ref_ops)):
        if g["op"] != "conv":
            continue
        n = kinds[:i + 1].count("conv")
        if g["padding"] != e["padding"]:
            return (f"convolution {n} has padding={g['padding']!r}, so its output is "
                    f"{_size(g)}, expected {_size(e)}: VGG's 3x3 convolutions keep the size "
                    f"(padding='same'); only the pooling shrinks the map")
        if g["kernel"] != e["kernel"]:
            return (f"convolution {n} has kernel_size={tuple(g['kernel'])}: VGG uses only 3x3 "
                    f"kernels")
        if g["filters"] != filters:
            return f"convolution {n} has {g['filters']} filters, expected filters={filters}"
        if g["strides"] != e["strides"]:
            return (f"convolution {n} has strides={tuple(g['strides'])}: the convolutions keep "
                    f"stride 1, the pooling halves the map")
        if g["use_bias"] != e["use_bias"]:
            return (f"convolution {n} has use_bias={g['use_bias']}: the course's VGG keeps the "
                    f"Keras default (use_bias=True)")
    g, e = got_ops[-1], ref_ops[-1]
    if g["pool"] != e["pool"] or g["strides"] != e["strides"]:
        return (f"the max-pooling has pool_size={tuple(g['pool'])}, strides="
                f"{tuple(g['strides'])}: VGG pools 2x2 windows with stride 2")
    if g["padding"] != e["padding"] and _size(g) != _size(e):  # same size: harmless here
        return (f"the max-pooling has padding={g['padding']!r}, so it gives {_size(g)}, "
                f"expected {_size(e)}: use padding='same' so odd sizes round up (7 -> 4), as "
                f"the course's VGG-16 does")
    return None


def _judge_vgg(name: str, batch_norm: bool, cases: list[dict], results: list) -> Verdict:
    from .judging import Verdict

    if type(results) is not list or len(results) != len(cases):
        return Verdict(False, "the check did not produce one result per input")
    for case, record in zip(cases, results):
        filters, convs = (int(v) for v in case["args"])
        shape = tuple(int(v) for v in case["input_shape"])
        call = f"{name}(x of shape {(None,) + shape}, filters={filters}, convs={convs})"
        if "label" in case:
            call += f" [{case['label']}]"
        problem, value = _record_problem(record)
        if problem is not None:
            return Verdict(False, f"{call}: {problem}")
        try:
            layers = list(value["layers"])
            chain = _model_chain(value)
        except (KeyError, TypeError, IndexError):
            return Verdict(False, f"{call}: the block's description is unreadable")
        if (problem := _custom(layers)) is not None:
            return Verdict(False, f"{call}: {problem}")
        if chain is None:
            return Verdict(False, f"{call}: a VGG block is one chain of layers from x to the "
                                  f"output, without branches")
        inputs = keras.Input(shape=shape)
        ref = _describe_reference(keras.Model(inputs, reference_vgg_block(
            inputs, filters, convs, batch_norm)))
        got_ops, ref_ops = operations(chain), operations(_model_chain(ref))
        problem = _compare_vgg(case, got_ops, ref_ops, batch_norm)
        out = tuple(value["output_shape"])
        if problem is None and out != tuple(ref["output_shape"]):
            problem = f"output shape {out}, expected {tuple(ref['output_shape'])}"
        if problem is None and _params(layers) != _params(ref["layers"]):
            problem = f"{_params(layers)} parameters, expected {_params(ref['layers'])}"
        if problem is not None:
            return Verdict(False, f"{call}: {problem}")
    return Verdict(True, f"All {len(cases)} tests passed.")


def judge_vgg_block(cases: list[dict], results: list) -> Verdict:
    return _judge_vgg("vgg_block", True, cases, results)


def judge_vgg_block_no_bn(cases: list[dict], results: list) -> Verdict:
    return _judge_vgg("vgg_block_no_bn", False, cases, results)


# --------------------------------------------------------------------------- questions
NO_BN_OPTIONS = {  # after the same short training, the network without BatchNormalization has
    "A": "a clearly lower training loss without BatchNormalization (it learns faster)",
    "B": "a clearly higher training loss without BatchNormalization (it learns slower)",
    "C": "about the same training loss with and without BatchNormalization (within 10%)",
}


def _one_case(seed: int) -> list[dict]:
    return [{"args": [], "kwargs": {}, "label": "your answer"}]


def judge_no_bn_prediction(cases: list[dict], results: list) -> Verdict:
    """A prediction is graded on being made (one of the options), not on being right."""
    from .judging import Verdict
    from .questions import normalise_choice

    problem, value = _record_problem(results[0] if isinstance(results, list) and results
                                     else None)
    if problem is not None:
        return Verdict(False, problem)
    if not isinstance(value, str) or normalise_choice(value) not in NO_BN_OPTIONS:
        return Verdict(False, f"no_bn_prediction: {value!r} is not one of the options "
                              f"{', '.join(NO_BN_OPTIONS)}: answer with a letter")
    letter = normalise_choice(value)
    return Verdict(True, f"Prediction recorded ({letter}: {NO_BN_OPTIONS[letter]}). Now run "
                         f"the experiment below and compare.")


def _bug_question(check_id: str, letter: str, explanation: str) -> Any:
    from .questions import Question

    refuted = {
        "A": "this script shuffles the images and the labels with the same order (or not at all)",
        "B": "this model applies one softmax, in its last layer",
        "C": "this model scales the pixels itself, with its Rescaling(1 / 255) layer",
        "D": "this script validates on x_val, y_val, images the training never sees",
        "E": "this model has no BatchNormalization layer",
    }
    return Question(check_id, "choice", lambda: letter, explanation,
                    options=tuple(BUGS),
                    mistakes=tuple((other, text) for other, text in refuted.items()
                                   if other != letter))


_BUG_EXPLANATIONS = {
    "bug_1_named": ("A", "A: the images and the labels are shuffled with two different "
                         "permutations, so every image gets another image's label; nothing "
                         "can be learnt and the validation accuracy stays at chance (0.10 for "
                         "10 classes). Shuffle them with one permutation"),
    "bug_2_named": ("B", "B: the last Dense already ends in a softmax and another softmax "
                         "follows; the softmax of numbers between 0 and 1 is close to "
                         "uniform, the top probability cannot exceed e / (e + 9) = 0.23, so "
                         "the loss cannot fall below -ln 0.23 = 1.46. Apply softmax once"),
    "bug_3_named": ("D", "D: fit is given validation_data=(x_train, y_train), so the "
                         "'validation' numbers measure the images the model learns from and "
                         "say nothing about new images. Validate on x_val, y_val"),
    "bug_4_named": ("C", "C: make_model_4 has no Rescaling layer, so the first convolution "
                         "sees pixels of 0-255; its pre-activations and gradients are hundreds "
                         "of times larger than with inputs in [0, 1], plain SGD overshoots, the "
                         "loss explodes in the first steps and the network ends up predicting "
                         "one class (accuracy near 0.10). Scale the pixels inside the model"),
    "bug_5_named": ("E", "E: the BatchNormalization layer is set trainable = False before "
                         "training, which in Keras 3 also runs it in inference mode: it "
                         "normalises with its moving mean and variance, which stay 0 and 1, "
                         "so it normalises nothing (and its scale and shift never learn). Let "
                         "the layer train"),
}


# --------------------------------------------------------------------------- find the bug
def _fashion(seed: int, n_train: int, n_test: int, key: str) -> dict:
    """Disjoint Fashion-MNIST subsets: ``n_train`` training and ``n_test`` test images,
    uint8 (N, 28, 28, 1), int labels."""
    from ..data import load_dataset

    (x_train, y_train), (x_test, y_test) = load_dataset("fashion_mnist")
    rng = _rng(seed, key)
    tr = np.sort(rng.choice(len(x_train), n_train, replace=False))
    te = np.sort(rng.choice(len(x_test), n_test, replace=False))
    return {"x_train": np.asarray(x_train[tr], np.uint8)[..., None],
            "y_train": np.asarray(y_train[tr], np.int64),
            "x_val": np.asarray(x_test[te], np.uint8)[..., None],
            "y_val": np.asarray(y_test[te], np.int64)}


def _bug_fixed_cases(check_id: str) -> Callable[[int], list[dict]]:
    def cases(seed: int) -> list[dict]:
        case = _fashion(seed, BUG_TRAIN, BUG_VAL, check_id)
        case.update({"epochs": BUG_EPOCHS, "seed": int(seed % 1000),
                     "label": f"{BUG_TRAIN} training images, {BUG_VAL} validation images "
                              f"(other images), {BUG_EPOCHS} epochs"})
        return [case]
    cases.__name__ = f"{check_id}_cases"
    return cases


def _close(a: float, b: float) -> bool:
    return math.isfinite(a) and abs(a - b) <= 1e-3 * (1 + abs(b))


def _validation_problem(history: dict, val: dict, train: dict) -> str | None:
    """Whether the history's last validation numbers are those of the validation images.

    The loss is compared (a continuous number: a coincidence with another data set is
    practically impossible), the accuracy too."""
    losses, accuracies = history.get("val_loss"), history.get("val_accuracy")
    if not losses or not accuracies:
        return ("the history has no val_loss/val_accuracy: train with validation data and "
                "metrics=['accuracy']")
    loss, acc = float(losses[-1]), float(accuracies[-1])
    if _close(loss, float(val["loss"])) and abs(acc - float(val["accuracy"])) <= 0.003:
        return None
    if _close(loss, float(train["loss"])):
        return (f"the reported validation loss ({loss:.4f}) and accuracy ({acc:.3f}) are those "
                f"of the training images: validate on the validation images the function is "
                f"given")
    return (f"the reported validation loss ({loss:.4f}) is not the loss on x_val, y_val "
            f"({float(val['loss']):.4f}): validate on exactly the validation images the "
            f"function is given")


def _scaling_problem(history: dict, val_acc: float) -> str | None:
    """Whether the run of a model that should scale its own inputs diverged, or scaled them
    outside the model (the returned model then fails on raw pixels)."""
    losses = [float(v) for v in history.get("loss", [])]
    worst = max(losses, default=0.0)
    if not all(math.isfinite(v) for v in losses) or worst > BUG_DIVERGED_LOSS:
        shown = "not finite" if not math.isfinite(worst) else f"{worst:.4g}"
        return (f"the training loss reached {shown} (an untrained network starts near "
                f"ln 10 = 2.30): the run still diverges, the first layer still sees pixels "
                f"of 0-255")
    reported = [float(v) for v in history.get("val_accuracy", [])]
    if reported and reported[-1] >= BUG_MIN_ACCURACY and val_acc < BUG_MIN_ACCURACY:
        return (f"the run reported {reported[-1]:.3f} validation accuracy, but the model it "
                f"returns reaches {val_acc:.3f} on raw images (0-255): the pixels were scaled "
                f"outside the model; scale them inside it, so the model takes raw images like "
                f"the others")
    return None


def _batchnorm_problem(value: dict) -> str | None:
    """Whether the returned model still has a BatchNormalization layer that learnt the
    statistics of its inputs (its moving mean and variance left 0 and 1)."""
    try:
        layers, moved = int(value["bn_layers"]), float(value["bn_moved"])
    except (KeyError, TypeError, ValueError):
        return "the run's BatchNormalization numbers are unreadable"
    if layers == 0:
        return ("the model has no BatchNormalization layer any more: removing the layer hides "
                "the bug instead of fixing it; keep it and let it train")
    if not math.isfinite(moved) or moved < BUG_BN_MOVED:
        return (f"after training, the BatchNormalization moving mean and variance are still "
                f"0 and 1 (moved by at most {moved:.2g}): the layer still runs in inference "
                f"mode and normalises nothing; let it train")
    return None


def _judge_fixed(check_id: str, cases: list[dict], results: list) -> Verdict:
    from .judging import Verdict

    name = "train_fixed_" + check_id.split("_")[1]
    if type(results) is not list or len(results) != len(cases) or not cases:
        return Verdict(False, "the check did not produce one result per input")
    case = cases[0]
    call = f"{name}(...) on {case['label']}"
    problem, value = _record_problem(results[0])
    if problem is not None:
        return Verdict(False, f"{call}: {problem}")
    try:
        val, train, history = value["val"], value["train"], value["history"]
        val_acc, sum_error, top = (float(val["accuracy"]), float(val["sum_error"]),
                                   float(val["top_probability"]))
    except (KeyError, TypeError, ValueError):
        return Verdict(False, f"{call}: the run's numbers are unreadable")
    if not math.isfinite(sum_error) or sum_error > 1e-3:
        return Verdict(False, f"{call}: the model's outputs do not sum to 1 (off by up to "
                              f"{sum_error:.3g}): keep exactly one softmax at the end, so it "
                              f"outputs class probabilities")
    if check_id == "bug_2_fixed" and top <= 0.3:
        return Verdict(False, f"{call}: the mean top probability on the validation images is "
                              f"{top:.3f}: the outputs are still squashed towards uniform "
                              f"(with two softmaxes it can never exceed 0.23)")
    if check_id == "bug_3_fixed":
        problem = _validation_problem(history, val, train)
        if problem is not None:
            return Verdict(False, f"{call}: {problem}")
    if check_id == "bug_4_fixed":
        problem = _scaling_problem(history, val_acc)
        if problem is not None:
            return Verdict(False, f"{call}: {problem}")
    if check_id == "bug_5_fixed":
        problem = _batchnorm_problem(value)
        if problem is not None:
            return Verdict(False, f"{call}: {problem}")
    if not math.isfinite(val_acc) or val_acc < BUG_MIN_ACCURACY:
        return Verdict(False, f"{call}: the fixed run reaches {val_acc:.3f} accuracy on the "
                              f"validation images, chance is 0.10 and a working run of this "
                              f"script reaches well above {BUG_MIN_ACCURACY}: the bug is still "
                              f"there")
    return Verdict(True, f"Fixed: validation accuracy {val_acc:.3f} on images the training "
                         f"never saw (chance 0.10).")


# --------------------------------------------------------------------------- budget
def budget_cnn_cases(seed: int) -> list[dict]:
    case = _fashion(seed, BUDGET_TRAIN, BUDGET_TEST, "budget_cnn")
    return [{"input_shape": [28, 28, 1], "num_classes": 10, "epochs": BUDGET_EPOCHS,
             "learning_rate": BUDGET_LEARNING_RATE,
             "seed": int(seed % 1000), "x_train": case["x_train"], "y_train": case["y_train"],
             "x_test": case["x_val"], "y_test": case["y_val"],
             "label": f"Fashion-MNIST, {BUDGET_TRAIN} training images, {BUDGET_EPOCHS} epochs"}]


def judge_budget_cnn(cases: list[dict], results: list) -> Verdict:
    from .judging import Verdict

    if type(results) is not list or len(results) != len(cases) or not cases:
        return Verdict(False, "the check did not produce one result per input")
    case = cases[0]
    call = f"small_cnn(input_shape=(28, 28, 1), num_classes=10) [{case['label']}]"
    problem, value = _record_problem(results[0])
    if problem is not None:
        return Verdict(False, f"{call}: {problem}")
    try:
        params, convs = int(value["params"]), int(value["conv_layers"])
        shape = tuple(value["output_shape"])
    except (KeyError, TypeError, ValueError):
        return Verdict(False, f"{call}: the run's numbers are unreadable")
    if shape[1:] != (10,):
        return Verdict(False, f"{call}: the model's output has shape {shape}, expected "
                              f"(None, 10): one probability per class")
    if params > BUDGET_PARAMS:
        return Verdict(False, f"{call}: {params:,} parameters, over the budget of "
                              f"{BUDGET_PARAMS:,}: the parameter limit failed (most of them "
                              f"are usually in the first Dense after Flatten: shrink the map "
                              f"before it, or use fewer units)")
    if convs < 1:
        return Verdict(False, f"{call}: no Conv2D layer: design a convolutional network")
    try:
        test = value["test"]
        acc, sum_error = float(test["accuracy"]), float(test["sum_error"])
    except (KeyError, TypeError, ValueError):
        return Verdict(False, f"{call}: the run's numbers are unreadable")
    if not math.isfinite(sum_error) or sum_error > 1e-3:
        return Verdict(False, f"{call}: the outputs do not sum to 1: end with a softmax "
                              f"(the fixed recipe's loss expects probabilities)")
    if not math.isfinite(acc) or acc < BUDGET_ACCURACY:
        return Verdict(False, f"{call}: {params:,} parameters (within the budget), but the "
                              f"test accuracy is {acc:.3f}, below the target "
                              f"{BUDGET_ACCURACY}: the accuracy target failed")
    return Verdict(True, f"Within budget: {params:,} parameters (at most {BUDGET_PARAMS:,}), "
                         f"test accuracy {acc:.3f} (target {BUDGET_ACCURACY}).")


# --------------------------------------------------------------------------- registry parts
def _questions() -> dict[str, Callable[[list[dict], list], "Verdict"]]:
    def judge_for(check_id: str) -> Callable[[list[dict], list], "Verdict"]:
        def judge(cases: list[dict], results: list) -> "Verdict":
            from .questions import judge_question
            letter, explanation = _BUG_EXPLANATIONS[check_id]
            return judge_question(_bug_question(check_id, letter, explanation), cases, results)
        judge.__name__ = f"judge_{check_id}"
        return judge
    return {check_id: judge_for(check_id) for check_id in _BUG_EXPLANATIONS}


def _fixed_judge(check_id: str) -> Callable[[list[dict], list], "Verdict"]:
    def judge(cases: list[dict], results: list) -> "Verdict":
        return _judge_fixed(check_id, cases, results)
    judge.__name__ = f"judge_{check_id}"
    return judge


_FIXED = tuple(f"bug_{n}_fixed" for n in range(1, 6))
CASES: dict[str, Callable[[int], list[dict]]] = {
    "lenet5_model": lenet5_model_cases, "vgg_block": vgg_block_cases,
    "vgg_block_no_bn": vgg_block_cases, "q_no_bn_prediction": _one_case,
    "budget_cnn": budget_cnn_cases,
    **{check_id: _one_case for check_id in _BUG_EXPLANATIONS},
    **{check_id: _bug_fixed_cases(check_id) for check_id in _FIXED},
}
JUDGES: dict[str, Callable[[list[dict], list], "Verdict"]] = {
    "lenet5_model": judge_lenet5_model, "vgg_block": judge_vgg_block,
    "vgg_block_no_bn": judge_vgg_block_no_bn, "q_no_bn_prediction": judge_no_bn_prediction,
    "budget_cnn": judge_budget_cnn, **_questions(),
    **{check_id: _fixed_judge(check_id) for check_id in _FIXED},
}
_LIBRARY_MODELS = ("cnn_course.build_model", "cnn_course.models", "keras.applications")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "lenet5_model": _LIBRARY_MODELS, "vgg_block": _LIBRARY_MODELS,
    "vgg_block_no_bn": _LIBRARY_MODELS, "budget_cnn": _LIBRARY_MODELS,
}


#: Hints on request (``cc.hint("<check id>")``, :mod:`.hints`): the idea, a method in words,
#: an example with other numbers; never the code.
HINTS: dict[str, tuple[str, ...]] = {
    "lenet5_model": (
        "Follow the table row by row and write down the size of every feature map before you "
        "write a layer: a 5x5 convolution without padding takes 4 pixels off each side "
        "length, a 2x2 pooling with stride 2 halves it.",
        "Eight layers with weights or pooling: two convolution and pooling pairs, then a "
        "layer that turns the maps into one vector, then three dense layers. Only the last "
        "one uses softmax, and only once.",
        "On a 36x36 input the maps are 32x32x6, 16x16x6, 12x12x16, 6x6x16, so the first "
        "dense layer sees 576 numbers and has 576 * 120 + 120 weights.",
    ),
    "vgg_block": (
        "A VGG block keeps the size through all its convolutions and halves it once, at the "
        "end: only the pooling changes the height and width.",
        "Repeat the unit convolution, normalisation, ReLU as often as the block has "
        "convolutions, each layer applied to what the previous one returned; the "
        "convolution itself stays linear.",
        "With three convolutions on a 7x7 map: 7x7, 7x7, 7x7 after the convolutions, then "
        "4x4 after the pooling, because its same padding rounds up.",
    ),
    "vgg_block_no_bn": (
        "An ablation changes one thing: the block without its normalisation layers, "
        "everything else as before.",
        "Start from your block and take out only the normalisation; the activation after "
        "each convolution stays, and so does the single pooling at the end.",
    ),
    "q_no_bn_prediction": (
        "Any of the three letters counts: the point is to commit before you see the numbers.",
        "Think of what the normalisation does to the scale of every layer's inputs while "
        "the layers below keep changing, and what that allows the learning rate to do.",
    ),
    "bug_1_named": (
        "Look at the accuracy the run reaches, on the training images too: what would it "
        "be if the network learnt nothing at all?",
        "Follow the images and the labels through the script line by line: does image "
        "number i still carry its own label when the model sees it?",
    ),
    "bug_1_fixed": (
        "Change only what the bug needs; the rest of the script stays as it was.",
        "Shuffling is fine, as long as the images and the labels are put in the same new "
        "order: draw one order and apply it to both.",
    ),
    "bug_2_named": (
        "Watch the loss and the confidence: ten classes, and the loss never falls far from "
        "where an untrained network starts.",
        "Count how many times the model turns its scores into probabilities, including in "
        "what it builds on top of the shared model.",
        "A softmax of the probabilities 0.9 and 0.1 gives about 0.69 and 0.31: the second "
        "one flattens them.",
    ),
    "bug_2_fixed": (
        "The model must still output probabilities that sum to 1, so the loss of the script "
        "stays right.",
        "Keep exactly one softmax, the one at the end of the shared model.",
    ),
    "bug_3_named": (
        "Ask which images the validation numbers are measured on, and whether the training "
        "ever saw them.",
        "Read the argument that gives the validation data to the training call.",
    ),
    "bug_3_fixed": (
        "Validation numbers only mean something on images the training never sees.",
        "The function receives validation images and labels: they are what the training "
        "call should validate on.",
    ),
    "bug_4_named": (
        "Watch the training loss in the first epoch: ten classes, and an untrained network "
        "starts near 2.3.",
        "Compare the model of this script with make_model, layer by layer: what does the "
        "first convolution receive here?",
    ),
    "bug_4_fixed": (
        "The returned model is run on raw images (0-255), like every other model here.",
        "Put the scaling inside the model, as its first layer, so it takes raw images and "
        "the optimizer sees inputs between 0 and 1.",
    ),
    "bug_5_named": (
        "Look at the statistics the script prints after training: what should a "
        "normalisation layer's moving mean and variance look like once it has seen data?",
        "Read what the script does to the model between building and training it.",
    ),
    "bug_5_fixed": (
        "Keep the normalisation layer: the fix lets it do its job, it does not remove it.",
        "A normalisation layer that trains uses each batch's statistics and updates its "
        "moving ones; find the line that stops it from training.",
    ),
    "budget_cnn": (
        "Count the parameters before you train: where does a small CNN keep most of them?",
        "The dense layer after flattening costs height times width times channels of the "
        "last map, times its units: pooling before flattening shrinks that product, "
        "convolutions cost the same whatever the image size.",
        "Two 3x3 convolution layers of 16 and 32 filters, each followed by a 2x2 pooling, "
        "leave a 5x5x32 map on a 28x28 image: 800 numbers, so a softmax over 10 classes on "
        "top costs 8,010 parameters.",
    ),
}


# --------------------------------------------------------------------------- student side
def check_lenet5(lenet5: Callable) -> None:
    """Check ``lenet5(input_shape, num_classes) -> keras.Model`` against the course's LeNet-5,
    layer by layer, on three inputs."""
    from . import run_check
    run_check("lenet5_model", {"lenet5": lenet5})


def check_vgg_block(vgg_block: Callable) -> None:
    """Check ``vgg_block(x, filters, convs)``: ``convs`` x (3x3 Conv2D "same", BN, ReLU), then
    a 2x2 max-pooling (stride 2, "same")."""
    from . import run_check
    run_check("vgg_block", {"vgg_block": vgg_block})


def check_vgg_block_no_bn(vgg_block_no_bn: Callable) -> None:
    """Check the ablated block: the VGG block without its BatchNormalization layers."""
    from . import run_check
    run_check("vgg_block_no_bn", {"vgg_block_no_bn": vgg_block_no_bn})


def check_fixed_script(check_id: str, train_fixed: Callable) -> None:
    """Check a fixed training script (``"bug_1_fixed"`` ... ``"bug_5_fixed"``) by what its
    run does on images it never trained on."""
    from . import run_check
    from .probe import PROBES

    if check_id not in _FIXED:
        raise ValueError(f"check_id must be one of {_FIXED}, got {check_id!r}")
    run_check(check_id, {PROBES[check_id].answers[0]: train_fixed})


def check_small_cnn(small_cnn: Callable) -> None:
    """Check ``small_cnn(input_shape, num_classes)``: at most 50,000 parameters and the target
    test accuracy after the fixed quick training recipe."""
    from . import run_check
    run_check("budget_cnn", {"small_cnn": small_cnn})


def check_network_answer(check_id: str, answer: Any) -> None:
    """Check the answer to one of these exercises' questions (a bug's letter, a prediction).

    ``None`` (not answered yet) fails with "answer missing".
    """
    from . import run_check
    from .probe import PROBES

    valid = tuple(_BUG_EXPLANATIONS) + ("q_no_bn_prediction",)
    if check_id not in valid:
        raise ValueError(f"check_id must be one of {valid}, got {check_id!r}")
    run_check(check_id, {PROBES[check_id].answers[0]: answer})
