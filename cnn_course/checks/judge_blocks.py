"""Judges of the Keras-block exercises (lessons 11, 14, 15): C-B-A-P-D, Inception, residual.

The probe sends the plain description of the student's block (:mod:`.describe`); the judge
builds the course's block from :mod:`cnn_course.models` on the same input in the grader's
process, describes it the same way and compares them *structurally*: which layers, in which
order on which branch, with which settings (kernel size, stride, padding, filters, bias,
concatenation axis), then output shape and parameter count. So a block that has the right
output shape and parameter count but puts the stride on the wrong convolution still fails,
with a message that says where the stride belongs.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable

from .judging import Verdict, error_message

__all__ = ["judge_cbapd_block", "judge_inception_block", "judge_residual_block", "Block"]


class Block:
    """A plain block description with graph helpers."""

    def __init__(self, description: dict):
        self.layers: list[dict] = list(description["layers"])
        self.by_name = {layer["name"]: layer for layer in self.layers}
        self.inputs: list[str] = list(description["inputs"])
        self.outputs: list[str] = list(description["outputs"])
        self.output_shape = description["output_shape"]

    @property
    def output(self) -> dict:
        return self.by_name[self.outputs[0]]

    def of_class(self, name: str) -> list[dict]:
        return [layer for layer in self.layers if layer["class"] == name]

    def params(self) -> int:
        return sum(math.prod(shape) for layer in self.layers for shape in layer["weights"])

    def chain(self, name: str) -> list[dict] | None:
        """The layers from the input (excluded) to ``name`` (included) along single inputs,
        or ``None`` when the path branches or never reaches the input."""
        out: list[dict] = []
        while name not in self.inputs:
            layer = self.by_name.get(name)
            if layer is None or len(layer["inbound"]) != 1 or len(out) > 50:
                return None
            out.append(layer)
            name = layer["inbound"][0]
        return out[::-1]


def kind(layer: dict) -> str:
    """The layer's role: ``Conv2D``, ``BatchNormalization``, ``ReLU``, ``MaxPooling2D``, ..."""
    cls = layer["class"]
    if cls == "Activation":
        act = layer["config"].get("activation")
        return "ReLU" if act == "relu" else f"Activation({act})"
    return cls


def _pair(value: Any) -> tuple:
    return tuple(value) if isinstance(value, list) else (value, value)


def token(layer: dict) -> str:
    """A short human description: ``3x3 Conv2D``, ``BatchNormalization``, ``3x3 max-pool``."""
    k = kind(layer)
    cfg = layer["config"]
    if k == "Conv2D":
        kh, kw = _pair(cfg.get("kernel_size"))
        return f"{kh}x{kw} Conv2D"
    if k == "MaxPooling2D":
        ph, pw = _pair(cfg.get("pool_size"))
        return f"{ph}x{pw} max-pool"
    return k


def stride(layer: dict) -> int:
    s = _pair(layer["config"].get("strides", 1))
    return s[0] if s[0] == s[1] else s


def pretty(chain: list[dict]) -> str:
    return " -> ".join(token(layer) for layer in chain) or "x itself"


def _judge(name: str, cases: list[dict], results: list, reference: Callable,
           compare: Callable[[dict, Block, Block], str | None],
           error_hint: Callable[[dict, str], str | None] | None = None,
           arg_names: tuple[str, ...] = ()) -> Verdict:
    from .._lazy import keras
    from .describe import describe_model

    if type(results) is not list or len(results) != len(cases):
        return Verdict(False, "the check did not produce one result per input")
    for case, record in zip(cases, results):
        args = [tuple(a) if isinstance(a, list) else a for a in case.get("args", [])]
        kwargs = {k: tuple(v) if isinstance(v, list) else v
                  for k, v in case.get("kwargs", {}).items()}
        parts = [f"{n}={a!r}" if n else repr(a)
                 for n, a in zip(list(arg_names) + [""] * len(args), args)]
        parts += [f"{k}={v!r}" for k, v in kwargs.items()]
        call = (f"{name}(x of shape {(None,) + tuple(case['input_shape'])}, {', '.join(parts)})"
                if parts else f"{name}(x of shape {(None,) + tuple(case['input_shape'])})")
        if "label" in case:
            call += f" [{case['label']}]"
        if not isinstance(record, dict) or ("value" not in record and "__error__" not in record):
            return Verdict(False, f"{call}: the check's result is unreadable")
        if "__error__" in record:
            message = error_message(call, record)
            if error_hint is not None and record.get("kind") == "exception":
                hint = error_hint(case, str(record["__error__"]))
                if hint:
                    message += f"\nHint: {hint}"
            return Verdict(False, message)
        try:
            got = Block(record["value"])
        except (KeyError, TypeError, IndexError):
            return Verdict(False, f"{call}: the block's description is unreadable")
        inputs = keras.Input(shape=tuple(case["input_shape"]))
        ref = Block(describe_model(keras.Model(inputs, reference(inputs, *args, **kwargs))))
        custom = [layer["class"][len("custom "):] for layer in got.layers
                  if layer["class"].startswith("custom")]
        if custom:
            return Verdict(False, f"{call}: uses the layer {custom[0]}, which is not one of "
                                  f"Keras' layers: build the block from keras.layers")
        problem = compare(case, got, ref)
        if problem is None and tuple(got.output_shape) != tuple(ref.output_shape):
            problem = (f"output shape {tuple(got.output_shape)}, expected "
                       f"{tuple(ref.output_shape)}")
        if problem is None and got.params() != ref.params():
            problem = f"{got.params()} parameters, expected {ref.params()}"
        if problem is not None:
            return Verdict(False, f"{call}: {problem}")
    return Verdict(True, f"All {len(cases)} tests passed.")


# --------------------------------------------------------------------------- C-B-A-P-D
_CBAPD_KIND = {"ReLU": "Activation"}


def _compare_cbapd(case: dict, got: Block, ref: Block) -> str | None:
    chain, ref_chain = got.chain(got.outputs[0]), ref.chain(ref.outputs[0])
    if chain is None:
        return "the block must be one chain of layers from x to the output, without branches"
    got_kinds = [_CBAPD_KIND.get(layer["class"], layer["class"]) for layer in chain]
    ref_kinds = [_CBAPD_KIND.get(layer["class"], layer["class"]) for layer in ref_chain]
    order = " -> ".join(ref_kinds)
    for i, (g, e) in enumerate(zip(got_kinds, ref_kinds)):
        if g != e:
            extra = (" (normalise first, then apply the non-linearity)"
                     if g == "Activation" and e == "BatchNormalization" else "")
            return f"layer {i + 1} is {g}, expected {e}{extra}; the block is {order}"
    if len(got_kinds) != len(ref_kinds):
        return (f"{len(got_kinds)} layers ({' -> '.join(got_kinds)}), expected {len(ref_kinds)}: "
                f"{order}")
    conv, ref_conv = chain[0]["config"], ref_chain[0]["config"]
    if conv.get("activation", "linear") != "linear":
        return (f"the Conv2D has activation={conv['activation']!r}: leave it linear, the ReLU "
                f"comes after BatchNormalization")
    for key in ("filters", "kernel_size", "padding", "strides", "use_bias"):
        if conv.get(key) != ref_conv.get(key):
            return f"Conv2D {key}={_show(conv.get(key))}, expected {_show(ref_conv.get(key))}"
    if kind(chain[2]) != "ReLU":
        return f"the activation is {kind(chain[2])}, expected ReLU ('relu')"
    pool, ref_pool = chain[3]["config"], ref_chain[3]["config"]
    for key in ("pool_size", "strides", "padding"):
        if pool.get(key) != ref_pool.get(key):
            why = (": the pooling windows do not overlap, strides = pool_size"
                   if key == "strides" else "")
            return (f"MaxPooling2D {key}={_show(pool.get(key))}, expected "
                    f"{_show(ref_pool.get(key))}{why}")
    rate, ref_rate = chain[4]["config"].get("rate"), ref_chain[4]["config"].get("rate")
    if not isinstance(rate, (int, float)) or abs(rate - ref_rate) > 1e-9:
        return f"Dropout rate {rate}, expected {ref_rate}"
    return None


def _show(value: Any) -> str:
    return repr(tuple(value) if isinstance(value, list) else value)


def judge_cbapd_block(cases: list[dict], results: list) -> Verdict:
    from ..models import cbapd_block

    return _judge("cbapd_block", cases, results, cbapd_block, _compare_cbapd)


# --------------------------------------------------------------------------- Inception
INCEPTION_BRANCHES = ("1x1 conv; 1x1 conv -> 3x3 conv; 1x1 conv -> 5x5 conv; 3x3 max-pool -> "
                      "1x1 conv, each convolution followed by BatchNormalization and ReLU")


def _shape_of_branch(chain: list[dict]) -> tuple:
    return tuple(token(layer) for layer in chain)


def _inception_error(case: dict, error: str) -> str | None:
    if "Concatenate" in error and "matching shapes" in error:
        shapes = re.findall(r"\(None, (\d+), (\d+), \d+\)", error)
        sizes = ", ".join(f"{h}x{w}" for h, w in shapes)
        return (f"the branches end at different sizes ({sizes}), so they cannot be "
                f"concatenated: every branch must apply the stride exactly once, on its first "
                f"convolution - the pool branch too (on its 1x1 convolution; its max-pooling "
                f"keeps stride 1)")
    return None


def _compare_inception(case: dict, got: Block, ref: Block) -> str | None:
    concats = got.of_class("Concatenate")
    filters = case["args"][0]
    strides = case["kwargs"].get("strides", 1)
    if not concats:
        return ("no Concatenate layer: join the four branches with a Concatenate layer on the "
                "channel axis")
    if len(concats) > 1:
        return f"{len(concats)} Concatenate layers, expected one that joins the four branches"
    concat = concats[0]
    axis = concat["config"].get("axis", -1)
    if axis not in (-1, 3):
        where = {0: "the batch axis", 1: "the height", 2: "the width"}.get(axis, "that axis")
        return (f"the branches are concatenated on axis {axis} ({where}): join them on the "
                f"channel axis (axis=-1), so the block has 4 * filters channels")
    if got.outputs[0] != concat["name"]:
        return (f"the block ends with {token(got.output)}, after the Concatenate: return the "
                f"concatenated branches")
    branches = concat["inbound"]
    if len(branches) != 4:
        return (f"output shape {tuple(got.output_shape)}, expected {tuple(ref.output_shape)}: "
                f"the Concatenate joins {len(branches)} branches; concatenate the four branches "
                f"of `filters` channels each ({INCEPTION_BRANCHES})")
    chains = [got.chain(b) for b in branches]
    ref_chains = [ref.chain(b) for b in ref.of_class("Concatenate")[0]["inbound"]]
    for i, chain in enumerate(chains):
        if chain is None:
            return (f"branch {i + 1} of the Concatenate does not lead straight back to x: each "
                    f"branch starts at x ({INCEPTION_BRANCHES})")
    ref_by_shape = {_shape_of_branch(c): c for c in ref_chains}
    unmatched = dict(ref_by_shape)
    for i, chain in enumerate(chains):
        shape = _shape_of_branch(chain)
        if shape not in unmatched:
            no_bn = tuple(t for t in shape if t not in ("BatchNormalization", "ReLU"))
            if any(no_bn == tuple(t for t in s if t not in ("BatchNormalization", "ReLU"))
                   for s in ref_by_shape):
                return (f"branch {i + 1} is {pretty(chain)}: every convolution is followed by "
                        f"BatchNormalization, then ReLU")
            if shape in ref_by_shape:
                return (f"branch {i + 1} ({pretty(chain)}) appears twice; the four branches are "
                        f"{INCEPTION_BRANCHES}")
            return f"branch {i + 1} is {pretty(chain)}; the four branches are {INCEPTION_BRANCHES}"
        del unmatched[shape]
    for i, chain in enumerate(chains):
        ref_chain = ref_by_shape[_shape_of_branch(chain)]
        convs = [layer for layer in chain if kind(layer) == "Conv2D"]
        wrong = [(layer, ref_layer) for layer, ref_layer in zip(chain, ref_chain)
                 if stride(layer) != stride(ref_layer)]
        for layer, _ in wrong:
            if kind(layer) == "MaxPooling2D":
                return (f"the max-pooling of the pool branch has strides={stride(layer)}: it "
                        f"keeps stride 1 ('same' padding, the size does not change); the stride "
                        f"belongs on that branch's 1x1 convolution")
        for layer, _ in wrong:
            if layer is not convs[0]:
                return (f"the {token(layer)} of branch {i + 1} ({pretty(chain)}) has "
                        f"strides={stride(layer)}: the stride belongs on each branch's first "
                        f"convolution (the 1x1); the {token(layer).split()[0]} convolution keeps "
                        f"stride 1")
        if wrong:
            layer = wrong[0][0]
            if stride(layer) == 1:
                return (f"is the stride applied? the first convolution of branch {i + 1} "
                        f"({pretty(chain)}) has strides=1, expected {strides}: every branch "
                        f"applies the stride once, on its first convolution")
            return (f"the first convolution of branch {i + 1} has strides={stride(layer)}, "
                    f"expected {strides}")
        for layer, ref_layer in zip(chain, ref_chain):
            cfg, ref_cfg = layer["config"], ref_layer["config"]
            if cfg.get("padding") != ref_cfg.get("padding"):
                return (f"the {token(layer)} of branch {i + 1} has padding={cfg.get('padding')!r}:"
                        f" use padding='same' everywhere, so the branches keep the same size")
            if kind(layer) == "Conv2D" and cfg.get("filters") != filters:
                return (f"the {token(layer)} of branch {i + 1} has {cfg.get('filters')} filters, "
                        f"expected filters={filters}: every convolution has `filters` filters")
            if kind(layer) == "Conv2D" and cfg.get("use_bias") != ref_cfg.get("use_bias"):
                return (f"the {token(layer)} of branch {i + 1} has use_bias="
                        f"{cfg.get('use_bias')}, expected {ref_cfg.get('use_bias')}")
    return None


def judge_inception_block(cases: list[dict], results: list) -> Verdict:
    from ..models import inception_block

    return _judge("inception_block", cases, results, inception_block, _compare_inception,
                  _inception_error, arg_names=("filters",))


# --------------------------------------------------------------------------- residual
RESIDUAL_BRANCH = ("3x3 Conv2D (with the stride) -> BatchNormalization -> ReLU -> 3x3 Conv2D -> "
                   "BatchNormalization")
PROJECTION = ("a projection: a 1x1 Conv2D with `strides` (no bias), then BatchNormalization")


def _residual_error(case: dict, error: str) -> str | None:
    if "incompatible shapes" in error or ("Add" in error and "shape" in error.lower()):
        return ("the two inputs of Add must have the same shape; when the stride is not 1 or "
                "the number of channels changes, the shortcut needs " + PROJECTION)
    return None


def _compare_residual(case: dict, got: Block, ref: Block) -> str | None:
    filters = case["args"][0]
    strides = case["kwargs"].get("strides", 1)
    adds = got.of_class("Add")
    if len(adds) != 1:
        return (f"{len(adds)} Add layers, expected 1: the block adds the shortcut to the "
                f"residual branch once")
    add = adds[0]
    last = got.output
    if last is add:
        return ("the block ends with the Add: apply the final ReLU after adding the shortcut, "
                "out = relu(F(x) + shortcut(x))")
    if kind(last) != "ReLU" or last["inbound"] != [add["name"]]:
        return (f"the last layer is {token(last)} fed by {last['inbound']}; expected a ReLU fed "
                f"by the Add: the shortcut is added before the final activation, "
                f"out = relu(F(x) + shortcut(x))")
    if len(add["inbound"]) != 2:
        return f"the Add has {len(add['inbound'])} inputs, expected 2 (F(x), shortcut)"
    if any(kind(got.by_name[n]) == "ReLU" for n in add["inbound"] if n in got.by_name):
        return ("a ReLU feeds the Add: the residual branch ends with BatchNormalization, the "
                "ReLU comes after the addition")
    chains = [got.chain(n) for n in add["inbound"]]
    if any(c is None for c in chains):
        return "each input of the Add must lead straight back to x (the residual branch, the shortcut)"
    chains.sort(key=lambda c: -sum(kind(layer) == "Conv2D" and token(layer).startswith("3x3")
                                   for layer in c))
    branch, shortcut = chains
    ref_adds = ref.of_class("Add")[0]
    ref_chains = sorted((ref.chain(n) for n in ref_adds["inbound"]), key=lambda c: -len(c))
    ref_branch, ref_shortcut = ref_chains
    if _shape_of_branch(branch) != _shape_of_branch(ref_branch):
        return f"the residual branch is {pretty(branch)}; expected {RESIDUAL_BRANCH}"
    convs = [layer for layer in branch if kind(layer) == "Conv2D"]
    if stride(convs[1]) != 1:
        return (f"the second 3x3 convolution has strides={stride(convs[1])}: the stride belongs "
                f"on the first 3x3 convolution (and on the projection); the second keeps the size")
    if stride(convs[0]) != strides:
        return (f"is the stride applied? the first 3x3 convolution has "
                f"strides={stride(convs[0])}, expected {strides}")
    projection = bool(ref_shortcut)
    if not projection and shortcut:
        return (f"the shape does not change, so the shortcut is the identity: add x itself "
                f"(got {pretty(shortcut)})")
    if projection and not shortcut:
        why = ("the stride changes the size" if strides != 1 else
               "the number of channels changes")
        return f"the shortcut must be projected when the shape changes ({why}): use {PROJECTION}"
    if projection:
        kinds = [kind(layer) for layer in shortcut]
        if kinds == ["Conv2D"]:
            return ("the projection shortcut has no BatchNormalization: after its 1x1 Conv2D "
                    "comes BatchNormalization, as on the residual branch")
        if _shape_of_branch(shortcut) != _shape_of_branch(ref_shortcut):
            return f"the shortcut is {pretty(shortcut)}; expected {PROJECTION}"
        if stride(shortcut[0]) != strides:
            return (f"the projection has strides={stride(shortcut[0])}, expected {strides}: it "
                    f"must shrink x like the residual branch does")
    for layer in branch + shortcut:
        if layer["config"].get("padding") != "same" and kind(layer) == "Conv2D":
            return (f"the {token(layer)} has padding={layer['config'].get('padding')!r}: use "
                    f"padding='same', so the residual branch and the shortcut keep the same size")
        if kind(layer) == "Conv2D" and layer["config"].get("filters") != filters:
            return (f"the {token(layer)} has {layer['config'].get('filters')} filters, expected "
                    f"filters={filters}")
    biases = [token(layer) for layer in branch + shortcut
              if kind(layer) == "Conv2D" and layer["config"].get("use_bias")]
    if biases:
        return (f"{got.params()} parameters, expected {ref.params()}: the convolutions "
                f"({', '.join(biases)}) have a bias: use use_bias=False, the BatchNormalization "
                f"after them has its own shift")
    return None


def judge_residual_block(cases: list[dict], results: list) -> Verdict:
    from ..models import residual_block

    return _judge("residual_block", cases, results, residual_block, _compare_residual,
                  _residual_error, arg_names=("filters",))
