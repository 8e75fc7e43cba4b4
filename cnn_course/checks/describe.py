"""A Keras block as plain data: its layers, their settings, how they are wired, their weight shapes.

The probe describes the student's block with :func:`describe_model` in the student's process;
the judge describes the course's reference block the same way in the grader's process and
compares the two descriptions. No model object ever crosses between the processes.

The description of a model is a dict::

    {"layers": [{"name": str, "class": str, "inbound": [str, ...], "config": {...},
                 "weights": [[int, ...], ...], "output_shape": [int | None, ...] | None}, ...],
     "inputs": [str, ...], "outputs": [str, ...], "output_shape": [int | None, ...]}

``class`` is the Keras class name for Keras' own layers and ``"custom <module>.<name>"`` for
anything else; ``config`` holds only the settings the checks look at (:data:`CONFIG_KEYS`).

See also
--------
cnn_course.checks.probe : builds the student's block and calls :func:`describe_model`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lazy import keras
from .serialize import NotPlain, describe_type, to_plain

if TYPE_CHECKING:
    from keras import Model

__all__ = ["CONFIG_KEYS", "describe_model", "inbound_graph"]

CONFIG_KEYS = ("filters", "kernel_size", "strides", "padding", "activation", "use_bias", "axis",
               "pool_size", "rate", "dilation_rate", "units", "groups")


def inbound_graph(config: dict) -> dict[str, list[str]]:
    """Map layer name -> names of the layers feeding it, read from a functional model's config."""

    def names(node: Any, out: list[str]) -> list[str]:
        if isinstance(node, dict):
            inner = node.get("config")
            history = inner.get("keras_history") if isinstance(inner, dict) else None
            if history:
                out.append(str(history[0]))
            else:
                for value in node.values():
                    names(value, out)
        elif isinstance(node, (list, tuple)):
            if (len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int)
                    and isinstance(node[2], int)):
                out.append(node[0])
            else:
                for value in node:
                    names(value, out)
        return out

    return {layer["name"]: names(layer.get("inbound_nodes", []), [])
            for layer in config["layers"]}


def _class_name(layer: Any) -> str:
    cls = type(layer)
    name = cls.__name__
    if getattr(keras.layers, name, None) is cls:
        return name
    return "custom " + describe_type(layer)


def _plain_or_text(value: Any) -> Any:
    try:
        return to_plain(value)
    except (NotPlain, ValueError):
        return f"<{describe_type(value)}>"


def _shape(tensor_shape: Any) -> list | None:
    try:
        return [None if d is None else int(d) for d in tuple(tensor_shape)]
    except (TypeError, ValueError):
        return None


def describe_model(model: "Model") -> dict:
    """The plain-data description of a functional Keras ``model`` (see the module docstring)."""
    config = model.get_config()
    graph = inbound_graph(config)
    described = []
    for layer in model.layers:
        layer_config = layer.get_config() if not _class_name(layer).startswith("custom") else {}
        try:
            out_shape = _shape(layer.output.shape)
        except Exception:  # a layer used twice has no single output
            out_shape = None
        described.append({
            "name": str(layer.name),
            "class": _class_name(layer),
            "inbound": [str(n) for n in graph.get(layer.name, [])],
            "config": {k: _plain_or_text(layer_config[k]) for k in CONFIG_KEYS
                       if k in layer_config},
            "weights": [_shape(w.shape) for w in layer.weights],
            "output_shape": out_shape,
        })

    def ends(key: str) -> list[str]:
        value = config.get(key, [])
        if value and isinstance(value[0], str):  # a single [name, node, index]
            value = [value]
        return [str(v[0]) for v in value]

    return {"layers": described, "inputs": ends("input_layers"), "outputs": ends("output_layers"),
            "output_shape": _shape(model.outputs[0].shape)}
