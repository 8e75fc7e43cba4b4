"""What the interpretation modules need to know about a Keras model's graph.

Shared by :mod:`cnn_course.saliency_maps`, :mod:`cnn_course.gradcam`, :mod:`cnn_course.occlusion`,
:mod:`cnn_course.activation_patches` and :mod:`cnn_course.explorer`:

- :func:`feature_layers` / :func:`conv_layers` / :func:`get_feature_layer`: the layers with
  feature maps ``(H', W', K)``, looked up by name with a message listing the valid ones;
- :func:`class_scores_model`: a model giving the class *scores* ``y_c`` whose gradients the
  methods use: the pre-softmax logits when the network ends in a softmax;
- :func:`layer_geometry`: where each unit of a layer looks in the input (receptive-field
  size, jump and start per axis), from :func:`cnn_course.receptive_field.receptive_field`
  applied to every path from the input to the layer.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ._lazy import keras
from ._validation import check_int
from ._validation import check_model as _check_keras_model
from .inspection import _one_image_batch
from .padding import resolve_padding
from .receptive_field import receptive_field

__all__ = ["check_built_model", "image_batch", "conv_layers", "feature_layers",
           "get_feature_layer", "check_class_index", "ScoreModel", "class_scores_model",
           "layer_geometry"]

#: Path count above which :func:`layer_geometry` gives up (a densely connected graph).
MAX_PATHS = 20_000


def check_built_model(model: Any) -> None:
    """TypeError unless ``model`` is a ``keras.Model``; ValueError unless it is built."""
    _check_keras_model(model)
    try:
        model.inputs  # noqa: B018  (unbuilt Sequential models have no symbolic inputs)
    except (AttributeError, ValueError):
        raise ValueError(f"model {model.name!r} is not built: call it on data or build it with "
                         f"keras.Input(shape=...) first") from None
    if not model.inputs or len(model.inputs) != 1:
        raise ValueError(f"model {model.name!r} must have exactly one input (an image batch), "
                         f"got {len(model.inputs or [])}")
    if len(model.input_shape) != 4:
        raise ValueError(f"model {model.name!r} must take images (N, H, W, C), its input shape "
                         f"is {model.input_shape}")


def image_batch(model: Any, image: object) -> np.ndarray:
    """``image`` (H, W), (H, W, C) or (1, H, W, C) as a float32 batch (1, H, W, C).

    The ValueError for a wrong shape states the shape the model expects.
    """
    batch = _one_image_batch(model, image)
    if not np.all(np.isfinite(batch)):
        raise ValueError("image must contain only finite values (no NaN or inf)")
    return batch


def _is_conv(layer: Any) -> bool:
    kinds = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)
    return isinstance(layer, kinds)


def conv_layers(model: Any) -> list[Any]:
    """The model's (top-level) 2-D convolution layers, first to last."""
    return [layer for layer in model.layers if _is_conv(layer)]


def _output_ndim(layer: Any) -> int | None:
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError):  # a layer used several times has no single output
        return None


def feature_layers(model: Any) -> list[Any]:
    """Layers after the input whose output is a stack of feature maps (N, H', W', K)."""
    return [layer for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer) and _output_ndim(layer) == 4]


def get_feature_layer(model: Any, layer_name: str | None) -> Any:
    """The layer named ``layer_name`` (default: the last conv layer), checked to have maps.

    Raises
    ------
    ValueError
        If the model has no conv layer, if no layer has that name (the message lists the conv
        layers), or if the layer's output is not ``(H', W', K)``.
    """
    convs = conv_layers(model)
    if not convs:
        kinds = ", ".join(sorted({type(layer).__name__ for layer in model.layers}))
        raise ValueError(f"model {model.name!r} has no convolutional layer (Conv2D, "
                         f"DepthwiseConv2D or SeparableConv2D), only: {kinds}; these methods "
                         "explain a CNN's feature maps")
    if layer_name is None:
        return convs[-1]
    conv_names = ", ".join(repr(c.name) for c in convs)
    if not isinstance(layer_name, str):
        raise TypeError(f"layer_name must be a str (one of the conv layers {conv_names}) or "
                        f"None, got {type(layer_name).__name__}")
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(f"layer_name {layer_name!r} is not a layer of model {model.name!r}; "
                         f"its conv layers are {conv_names}")
    layer = model.get_layer(layer_name)
    if _output_ndim(layer) != 4:
        maps = ", ".join(repr(f.name) for f in feature_layers(model))
        raise ValueError(f"layer_name {layer_name!r} outputs shape "
                         f"{tuple(layer.output.shape[1:])}, not feature maps (H', W', K); choose "
                         f"a layer with feature maps: {maps}")
    return layer


def check_class_index(model: Any, class_index: object) -> int | None:
    """``class_index`` as an int in ``0..n_classes - 1`` (None passes through)."""
    if class_index is None:
        return None
    n = int(model.output_shape[-1])
    return check_int("class_index", class_index, 0, n - 1)


def _ends_in_softmax(layer: Any) -> bool:
    if isinstance(layer, keras.layers.Softmax):
        return True
    activation = getattr(layer, "activation", None)
    return activation is keras.activations.softmax or (
        getattr(activation, "__name__", None) == "softmax")


class ScoreModel:
    """Callable ``x -> (feature maps, class scores)`` or ``x -> class scores`` (see below).

    Built by :func:`class_scores_model`; it shares the model's weights, so it follows later
    training. ``scores_are_logits`` says whether the scores are pre-softmax logits.
    """

    def __init__(self, base: Any, dense: Any | None, with_maps: bool,
                 scores_are_logits: bool) -> None:
        self.base, self.dense, self.with_maps = base, dense, with_maps
        self.scores_are_logits = scores_are_logits

    def __call__(self, x: Any) -> Any:
        out = self.base(x, training=False)
        if self.with_maps:
            maps, scores = out
        else:
            maps, scores = None, out
        if self.dense is not None:  # the final Dense layer without its softmax
            scores = keras.ops.matmul(scores, self.dense.kernel)
            if self.dense.use_bias:
                scores = scores + self.dense.bias
        return (maps, scores) if self.with_maps else scores


def class_scores_model(model: Any, layer: Any | list[Any] | None = None) -> ScoreModel:
    """From the model's input to ``(layer's feature maps, class scores)`` (or the scores).

    The scores ``y`` are the **pre-softmax logits** when the network ends in
    ``Dense(..., activation="softmax")``, ``Activation("softmax")`` or ``Softmax()``: the
    gradient of a probability vanishes where the network is confident, so saliency and
    Grad-CAM differentiate the logit ``y_c`` (Simonyan et al. 2014; Selvaraju et al. 2017).
    Any other network: its own output. ``layer`` may be a list of layers: the maps are then
    a list, one array per layer.
    """
    last = model.layers[-1]
    dense = None
    if isinstance(last, (keras.layers.Softmax, keras.layers.Activation)) and _ends_in_softmax(last):
        scores, logits = last.input, True
    elif isinstance(last, keras.layers.Dense) and _ends_in_softmax(last):
        scores, dense, logits = last.input, last, True
    else:
        scores, logits = model.outputs[0], not _ends_in_softmax(last)
    if layer is None:
        return ScoreModel(keras.Model(model.inputs[0], scores), dense, False, logits)
    maps = [item.output for item in layer] if isinstance(layer, list) else layer.output
    return ScoreModel(keras.Model(model.inputs[0], [maps, scores]), dense, True, logits)


def _axis_params(layer: Any, n_in: tuple[int, int]) -> list[tuple[int, int, int, int]] | None:
    """Per-axis (kernel, stride, dilation, pad_before) of a spatial layer; None: pass-through.

    Raises ValueError for a layer that moves pixels in a way receptive-field arithmetic
    does not describe (cropping, upsampling, resizing, ...).
    """
    def pair(value: Any) -> tuple[int, int]:
        return (int(value), int(value)) if isinstance(value, numbers.Integral) else (
            int(value[0]), int(value[1]))

    if _is_conv(layer) or isinstance(layer, (keras.layers.MaxPooling2D,
                                             keras.layers.AveragePooling2D)):
        if _is_conv(layer):
            kernel, strides = pair(layer.kernel_size), pair(layer.strides)
            dilation = pair(getattr(layer, "dilation_rate", 1))
        else:
            kernel, strides, dilation = pair(layer.pool_size), pair(layer.strides), (1, 1)
        out = []
        for axis in range(2):
            before, _ = resolve_padding(layer.padding, n_in[axis], kernel[axis], strides[axis],
                                        dilation[axis])
            out.append((kernel[axis], strides[axis], dilation[axis], before))
        return out
    if isinstance(layer, keras.layers.ZeroPadding2D):
        (top, _), (left, _) = layer.padding
        return [(1, 1, 1, int(top)), (1, 1, 1, int(left))]
    return None


def layer_geometry(model: Any, layer: Any) -> dict[str, tuple[float, float]] | None:
    """Receptive field of the units of ``layer``: ``size``, ``jump``, ``start`` per axis.

    Every path from the model's input to ``layer`` is turned into a list of
    ``{"kernel", "stride", "dilation", "padding"}`` entries (per axis) and passed to
    :func:`cnn_course.receptive_field.receptive_field`; where branches merge (residual
    additions, Inception concatenations) the unit sees the union of its branches' fields.
    Layers that keep the spatial size and are not convolutions or pooling (activations,
    batch normalisation, dropout, element-wise masks) count as 1x1, stride 1.

    Returns
    -------
    dict or None
        ``{"size": (rows, cols), "jump": (rows, cols), "start": (rows, cols)}``: unit
        ``(i, j)`` sees the input rows centred on ``start[0] + i * jump[0]`` spanning
        ``size[0]`` pixels (likewise for columns). None where the graph has a layer this
        arithmetic does not describe (upsampling, cropping, ...) or paths with different
        jumps.
    """
    paths: list[list[tuple[Any, tuple[int, int]]]] = []

    def walk(current: Any, suffix: list[Any]) -> None:
        if len(paths) > MAX_PATHS:
            raise OverflowError
        if isinstance(current, keras.layers.InputLayer):
            paths.append(suffix)
            return
        nodes = current._inbound_nodes
        if len(nodes) != 1:
            raise OverflowError  # shared layer: ambiguous
        inputs = nodes[0].input_tensors
        for tensor in inputs:
            shape = tuple(tensor.shape)
            walk(tensor._keras_history.operation, [(current, shape)] + suffix)

    try:
        walk(layer, [])
    except (OverflowError, AttributeError):
        return None
    sizes, jumps, starts = [], [], []
    for path in paths:
        per_axis: list[list[dict[str, int]]] = [[], []]
        for op, in_shape in path:
            if len(in_shape) != 4:
                return None
            try:
                params = _axis_params(op, (in_shape[1], in_shape[2]))
            except (AttributeError, TypeError, ValueError):
                return None
            if params is None:
                out_shape = tuple(op.output.shape) if _output_ndim(op) else None
                if out_shape is None or tuple(out_shape[1:3]) != tuple(in_shape[1:3]):
                    return None  # resizes the maps in a way the arithmetic does not cover
                params = [(1, 1, 1, 0), (1, 1, 1, 0)]
            for axis in range(2):
                k, s, d, p = params[axis]
                per_axis[axis].append({"kernel": k, "stride": s, "dilation": d, "padding": p})
        geo = []
        for axis in range(2):
            rf = receptive_field(per_axis[axis])[-1] if per_axis[axis] else {
                "size": 1, "jump": 1, "start": 0.0}
            geo.append((rf["size"], rf["jump"], rf["start"]))
        sizes.append((geo[0][0], geo[1][0]))
        jumps.append((geo[0][1], geo[1][1]))
        starts.append((geo[0][2], geo[1][2]))
    if len(set(jumps)) != 1:
        return None
    # union of the branches' fields of unit 0: [start - (size-1)/2, start + (size-1)/2]
    size, start = [], []
    for axis in range(2):
        lo = min(s[axis] - (z[axis] - 1) / 2 for s, z in zip(starts, sizes))
        hi = max(s[axis] + (z[axis] - 1) / 2 for s, z in zip(starts, sizes))
        size.append(hi - lo + 1)
        start.append((lo + hi) / 2)
    return {"size": (size[0], size[1]), "jump": jumps[0], "start": (start[0], start[1])}
