"""Receptive-field arithmetic for a stack of convolution and pooling layers.

The *receptive field* of a unit is the patch of the input image that can
influence it. For a stack of layers ``l = 1..L`` with kernel size ``k_l``,
stride ``s_l``, dilation ``d_l`` and padding ``p_l`` (before the first row /
column), the size ``r``, the *jump* ``j`` (distance in input pixels between two
neighbouring units of layer ``l``) and the *start* (input coordinate of the
centre of the receptive field of the first unit) follow the recurrences::

    r_0 = 1,   j_0 = 1,   start_0 = 0
    r_l     = r_{l-1} + (k_l - 1) * d_l * j_{l-1}
    j_l     = j_{l-1} * s_l
    start_l = start_{l-1} + ((k_l - 1) * d_l / 2 - p_l) * j_{l-1}

Coordinates are pixel indices (pixel ``(i, j)`` of the input has centre ``i``):
the receptive field of unit ``u`` of layer ``l`` is centred on
``start_l + u * j_l`` and spans ``r_l`` input pixels (some of them padding when
the window hangs over the border).

No arrays and no TensorFlow here: the numbers are plain Python ints and floats;
``"same"`` padding comes from :func:`cnn_course.padding.same_padding`.

See Also
--------
cnn_course.padding.output_size : the size of a layer's output (the other recurrence).
cnn_course.widgets : an interactive view of the receptive field of a stack.

References
----------
.. [1] A. Araujo, W. Norris and J. Sim, "Computing receptive fields of convolutional
   neural networks", *Distill*, 2019, https://distill.pub/2019/computing-receptive-fields/
.. [2] W. Luo, Y. Li, R. Urtasun and R. Zemel, "Understanding the effective receptive
   field in deep convolutional neural networks", Advances in Neural Information
   Processing Systems 29 (NIPS), 2016. (Only the centre of the receptive field matters
   much: the *effective* receptive field is roughly Gaussian and much smaller.)
.. [3] V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep learning",
   arXiv:1603.07285, 2016.
"""
from __future__ import annotations

import numbers
from typing import Any, Iterable, Mapping, Sequence

from ._validation import check_int
from .padding import same_padding

__all__ = ["receptive_field", "receptive_field_size"]

_KERNEL_KEYS = ("kernel", "kernel_size", "k", "pool_size")


def _int_param(name: str, value: Any, minimum: int) -> int:
    return check_int(name, value, minimum=minimum)


def _parse_layer(index: int, layer: Any) -> dict[str, Any]:
    """Normalise one layer description into a dict with kernel, stride, dilation, padding."""
    where = f"layers[{index}]"
    padding: Any = 0
    name = None
    if isinstance(layer, Mapping):
        kernel = None
        for key in _KERNEL_KEYS:
            if key in layer:
                kernel = layer[key]
                break
        if kernel is None:
            raise ValueError(f"{where} must have a 'kernel' (or 'kernel_size') key, got keys "
                             f"{sorted(map(str, layer))}")
        unknown = set(layer) - set(_KERNEL_KEYS) - {"stride", "strides", "dilation",
                                                      "padding", "name"}
        if unknown:
            raise ValueError(f"{where} has unknown keys {sorted(map(str, unknown))}; valid keys: "
                             "kernel, stride, dilation, padding, name")
        stride = layer.get("stride", layer.get("strides", 1))
        dilation = layer.get("dilation", 1)
        padding = layer.get("padding", 0)
        name = layer.get("name")
    elif isinstance(layer, (tuple, list)):
        if len(layer) not in (2, 3):
            raise ValueError(f"{where} must be (kernel_size, stride) or (kernel_size, stride, "
                             f"dilation), got {layer!r}")
        kernel, stride = layer[0], layer[1]
        dilation = layer[2] if len(layer) == 3 else 1
    else:
        raise TypeError(f"{where} must be a (kernel_size, stride[, dilation]) tuple or a dict, "
                        f"got {type(layer).__name__} {layer!r}")
    kernel = _int_param(f"{where} kernel_size", kernel, 1)
    stride = _int_param(f"{where} stride", stride, 1)
    dilation = _int_param(f"{where} dilation", dilation, 1)
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            # TensorFlow's rule (padding before the first row/column) for an input size
            # that is a multiple of the stride: the same for n = stride as for any such n.
            padding = same_padding(stride, kernel, stride, dilation)[0]
        else:
            raise ValueError(f"{where} padding must be 'valid', 'same' or an int >= 0, "
                             f"got {padding!r}")
    padding = _int_param(f"{where} padding", padding, 0)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{where} name must be a str, got {type(name).__name__}")
    return {"kernel": kernel, "stride": stride, "dilation": dilation, "padding": padding,
            "name": name}


def receptive_field(layers: Iterable[Sequence[int] | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Receptive field size, jump and start after each layer of a stack.

    Parameters
    ----------
    layers : list of tuples or dicts
        One entry per conv or pooling layer, first layer first. A tuple is
        ``(kernel_size, stride)`` or ``(kernel_size, stride, dilation)``; a dict
        has the keys ``kernel`` (or ``kernel_size``/``pool_size``) and
        optionally ``stride`` (1), ``dilation`` (1), ``padding`` (0, pixels
        added before the first row/column, or ``"valid"``/``"same"``; "same"
        uses TensorFlow's rule for an input size that is a multiple of the
        stride) and
        ``name``. All values are ints: kernel, stride, dilation >= 1; padding >= 0.

    Returns
    -------
    list of dict
        One dict per layer with keys ``layer`` (1-based index), ``name``,
        ``kernel``, ``stride``, ``dilation``, ``padding``, ``size`` (r_l: the
        receptive field of one unit, in input pixels, per side), ``jump``
        (j_l: input pixels between neighbouring units) and ``start`` (centre of
        the first unit's receptive field, in input pixel coordinates)::

            r_l = r_{l-1} + (k_l - 1) * d_l * j_{l-1}        r_0 = 1
            j_l = j_{l-1} * s_l                               j_0 = 1
            start_l = start_{l-1} + ((k_l - 1) * d_l / 2 - p_l) * j_{l-1}

    Raises
    ------
    TypeError, ValueError
        If ``layers`` is empty or a layer is malformed (the message names it).

    See Also
    --------
    receptive_field_size : just the size of the last layer.
    cnn_course.padding.same_padding : the padding of ``"same"``.

    References
    ----------
    .. [1] A. Araujo, W. Norris and J. Sim, "Computing receptive fields of convolutional
       neural networks", *Distill*, 2019, https://distill.pub/2019/computing-receptive-fields/

    Examples
    --------
    Two stacked 3x3 convolutions see a 5x5 patch, three see 7x7: the same
    view as one 7x7 kernel, with 3*9 = 27 instead of 49 weights per channel
    pair and three non-linearities instead of one (the VGG argument).

    >>> [l["size"] for l in receptive_field([(3, 1), (3, 1), (3, 1)])]
    [3, 5, 7]

    A stride-2 pooling layer doubles the jump, so the next 3x3 conv grows the
    receptive field twice as fast:

    >>> rf = receptive_field([(3, 1), (2, 2), (3, 1)])
    >>> [(l["size"], l["jump"]) for l in rf]
    [(3, 1), (4, 2), (8, 2)]

    A 3x3 kernel with dilation 2 covers 5x5:

    >>> receptive_field([(3, 1, 2)])[0]["size"]
    5
    """
    if isinstance(layers, (str, bytes, Mapping)) or not isinstance(layers, Iterable):
        raise TypeError(f"layers must be a list of (kernel_size, stride[, dilation]) tuples or "
                        f"dicts, got {type(layers).__name__}")
    layers = list(layers)
    if not layers:
        raise ValueError("layers must contain at least one layer, got an empty list")
    if all(isinstance(v, numbers.Integral) for v in layers):
        raise TypeError("layers must be a list of layers, e.g. [(3, 1), (3, 1)]; got a flat "
                        f"list of ints {layers!r} (wrap a single layer as [(k, s)])")
    size, jump, start = 1, 1, 0.0
    result = []
    for index, layer in enumerate(layers):
        p = _parse_layer(index, layer)
        k, s, d, pad = p["kernel"], p["stride"], p["dilation"], p["padding"]
        start = start + ((k - 1) * d / 2 - pad) * jump
        size = size + (k - 1) * d * jump
        jump = jump * s
        result.append({"layer": index + 1, "name": p["name"], "kernel": k, "stride": s,
                       "dilation": d, "padding": pad, "size": size, "jump": jump,
                       "start": start})
    return result


def receptive_field_size(layers: Iterable[Sequence[int] | Mapping[str, Any]]) -> int:
    """Receptive field size (in input pixels, per side) of one unit of the last layer.

    Shortcut for ``receptive_field(layers)[-1]["size"]``.

    See Also
    --------
    receptive_field : size, jump and start after every layer.

    Examples
    --------
    >>> receptive_field_size([(3, 1)] * 3)
    7
    """
    return receptive_field(layers)[-1]["size"]
