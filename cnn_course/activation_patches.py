"""What a channel responds to: the dataset patches that activate it most.

A unit of a conv layer sees only its **receptive field**, a patch of the input. Running a
data set through the network and keeping, for one channel, the images where the channel
fires most -- and cutting out the patch its strongest unit sees -- shows what the channel
detects (Zeiler & Fergus 2014 show the top 9 per channel next to their deconvolutions).

Where a unit looks comes from the receptive-field arithmetic of
:mod:`cnn_course.receptive_field`: unit ``(u, v)`` of a layer with receptive field size
``r``, jump ``j`` and start ``s`` sees the input pixels centred on ``(s + u j, s + v j)``,
``r`` on a side (part of it padding near the border).

References
----------
M. D. Zeiler, R. Fergus, "Visualizing and understanding convolutional networks", ECCV, 2014.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._lazy import keras
from ._model_graph import check_built_model, get_feature_layer, layer_geometry
from ._validation import check_array, check_int

if TYPE_CHECKING:
    import keras as keras_types

__all__ = ["ActivatingPatches", "top_activating_patches"]


@dataclass
class ActivatingPatches:
    """The top-``k`` images for one channel and the patch each one's strongest unit sees.

    Attributes
    ----------
    layer_name : str
    channel : int
    patches : numpy.ndarray, shape (k, r_h, r_w, C)
        The receptive field of the strongest unit of each image (zeros where it hangs over
        the border, like "same" padding).
    values : numpy.ndarray, shape (k,)
        The activation of that unit, in decreasing order.
    image_indices : numpy.ndarray of int, shape (k,)
        Index of the image in ``images``.
    positions : numpy.ndarray of int, shape (k, 2)
        ``(u, v)``: the unit in the layer's (h, w) feature map.
    boxes : numpy.ndarray of int, shape (k, 4)
        ``(top, left, bottom, right)`` of the receptive field in input pixels, bottom/right
        exclusive; may extend beyond the image.
    """

    layer_name: str
    channel: int
    patches: np.ndarray
    values: np.ndarray
    image_indices: np.ndarray
    positions: np.ndarray
    boxes: np.ndarray

    def __str__(self) -> str:
        lines = [f"Top {len(self.values)} images for {self.layer_name!r} channel "
                 f"{self.channel} (patch {self.patches.shape[1]}x{self.patches.shape[2]})"]
        for value, index, (u, v), (t, left, b, r) in zip(self.values, self.image_indices,
                                                         self.positions, self.boxes):
            lines.append(f"  image {index}: activation {value:.4g} at unit ({u}, {v}), "
                         f"input rows {t}..{b - 1}, cols {left}..{r - 1}")
        return "\n".join(lines)


def top_activating_patches(model: keras_types.Model, layer_name: str, channel: int,
                           images: np.ndarray, k: int = 9,
                           batch_size: int = 256) -> ActivatingPatches:
    """The ``k`` images in which a channel fires most, and the input patch behind each peak.

    For every image ``n`` the strongest unit ``(u_n, v_n) = argmax_{u,v} A[n, u, v, channel]``
    is found; the ``k`` images with the largest peaks are kept (one patch per image, so the
    top patches are not neighbours in one picture), and each peak's receptive field is cut
    from its image: rows ``s_r + u j_r - (r_h - 1)/2 ... + r_h`` (likewise for columns), with
    ``r``, ``j``, ``s`` the layer's receptive-field size, jump and start.

    Parameters
    ----------
    model : keras.Model
        A built Keras CNN.
    layer_name : str
        A layer with feature maps: a conv layer, its activation or pooling.
    channel : int
        ``0 <= channel < K``, the layer's number of channels.
    images : array, shape (N, H, W, C), or (N, H, W) for a one-channel model
        The data set, scaled as the model expects.
    k : int
        How many images, ``1 <= k <= N``.
    batch_size : int >= 1
        Images per forward pass.

    Returns
    -------
    ActivatingPatches
        ``patches`` (k, r_h, r_w, C), ``values``, ``image_indices``, ``positions``,
        ``boxes``; prints as a list.

    Raises
    ------
    ValueError
        If the layer does not exist (the message lists the conv layers), ``channel`` or
        ``k`` is out of range, ``images`` do not have the model's input shape, or the path
        to the layer has a layer whose geometry the receptive-field arithmetic does not
        describe (e.g. upsampling).

    See Also
    --------
    cnn_course.receptive_field.receptive_field : the arithmetic.
    cnn_course.inspection.layer_outputs : every layer's output for one image.

    References
    ----------
    M. D. Zeiler, R. Fergus, "Visualizing and understanding convolutional networks",
    ECCV, 2014.
    """
    check_built_model(model)
    if layer_name is None:
        raise TypeError("layer_name must be the name of a layer with feature maps, got None")
    layer = get_feature_layer(model, layer_name)
    n_channels = int(layer.output.shape[-1])
    channel = check_int("channel", channel, 0, n_channels - 1)
    batch_size = check_int("batch_size", batch_size, 1)
    images = check_array("images", images, ndims=(3, 4))
    want = tuple(model.input_shape[1:])
    if images.ndim == 3 and want[-1] == 1:
        images = images[..., None]
    if images.ndim != 4 or any(w is not None and w != g for w, g in zip(want, images.shape[1:])):
        spec = ", ".join("?" if d is None else str(d) for d in want)
        raise ValueError(f"images must have shape (N, {spec}) for model {model.name!r}, got "
                         f"{images.shape}")
    n = images.shape[0]
    if n == 0:
        raise ValueError("images must hold at least one image, got 0")
    k = check_int("k", k, 1, n)
    geometry = layer_geometry(model, layer)
    if geometry is None:
        raise ValueError(f"the receptive field of layer {layer_name!r} cannot be computed: "
                         "the path from the input to it has a layer that resizes the maps in "
                         "a way receptive-field arithmetic does not describe (upsampling, "
                         "cropping, a shared layer)")
    activation_model = keras.Model(model.inputs[0], layer.output)
    best_value = np.empty(n, dtype=np.float32)
    best_pos = np.empty((n, 2), dtype=np.int64)
    for first in range(0, n, batch_size):
        chunk = images[first:first + batch_size].astype(np.float32)
        maps = np.asarray(activation_model(chunk, training=False))[..., channel]
        flat = maps.reshape(len(chunk), -1)
        arg = flat.argmax(axis=1)
        best_value[first:first + len(chunk)] = flat[np.arange(len(chunk)), arg]
        best_pos[first:first + len(chunk)] = np.stack(np.unravel_index(arg, maps.shape[1:]), 1)
    order = np.argsort(-best_value, kind="stable")[:k]
    size = [int(math.ceil(s)) for s in geometry["size"]]
    height, width = images.shape[1:3]
    patches = np.zeros((k, size[0], size[1], images.shape[-1]), dtype=images.dtype)
    boxes = np.empty((k, 4), dtype=np.int64)
    for out, index in enumerate(order):
        corner = []
        for axis in range(2):
            centre = geometry["start"][axis] + best_pos[index, axis] * geometry["jump"][axis]
            corner.append(int(round(centre - (geometry["size"][axis] - 1) / 2)))
        top, left = corner
        boxes[out] = (top, left, top + size[0], left + size[1])
        t0, l0 = max(top, 0), max(left, 0)
        b0, r0 = min(top + size[0], height), min(left + size[1], width)
        if b0 > t0 and r0 > l0:
            patches[out, t0 - top:b0 - top, l0 - left:r0 - left] = images[index, t0:b0, l0:r0]
    return ActivatingPatches(layer_name=layer.name, channel=channel, patches=patches,
                             values=best_value[order], image_indices=order,
                             positions=best_pos[order], boxes=boxes)
