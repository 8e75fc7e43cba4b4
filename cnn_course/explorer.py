"""Everything an explorer view shows about one image, from one forward and backward pass.

:func:`explain_image` is what an interactive explorer calls on every control change: the
top predictions, each conv layer's most active channels (and their maps), and the Grad-CAM
map of a chosen class at a chosen layer. It runs the network once (one ``keras.Model`` whose
outputs are every conv layer's maps and the class scores, built once per model and layer
and then reused) and differentiates the class score once, so a call on ``fashion_cnn``
takes milliseconds (``benchmarks/bench_explorer.py``). The result prints as text, so every
view has a text equivalent.

References
----------
Z. J. Wang et al., "CNN Explainer: learning convolutional neural networks with interactive
visualization", IEEE TVCG, 2020 (an explorer of a fixed network; this one takes any model).
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ._lazy import tf
from ._model_graph import (ScoreModel, check_built_model, check_class_index,
                           class_scores_model, conv_layers, get_feature_layer, image_batch,
                           layer_geometry)
from ._validation import check_int
from .gradcam import grad_cam_map, grad_cam_weights, upsample_map

if TYPE_CHECKING:
    import keras as keras_types

__all__ = ["ImageExplanation", "explain_image"]

# model -> {Grad-CAM layer name: (score model over all conv layers, conv names, geometry)}
_CACHE: weakref.WeakKeyDictionary[Any, dict[str, tuple[ScoreModel, list[str], Any]]] = \
    weakref.WeakKeyDictionary()


@dataclass
class ImageExplanation:
    """What :func:`explain_image` returns; ``str()`` gives the text equivalent.

    Attributes
    ----------
    predictions : list of (class_index, class_name, probability)
        The top classes, most probable first.
    class_index : int
        The class Grad-CAM explains.
    layer_name : str
        The layer Grad-CAM uses.
    grad_cam : numpy.ndarray, shape (H, W)
        Grad-CAM map in [0, 1] at the image's size (:func:`cnn_course.gradcam.grad_cam`).
    channels : dict
        Conv layer name -> list of ``(channel, mean activation)``, most active first.
    feature_maps : dict
        Conv layer name -> array (h, w, n): the maps of those channels, in that order.
    """

    predictions: list[tuple[int, str, float]]
    class_index: int
    layer_name: str
    grad_cam: np.ndarray
    channels: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    feature_maps: dict[str, np.ndarray] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = ["Top predictions: " + ", ".join(f"{name} {p:.1%}"
                                                 for _, name, p in self.predictions)]
        for layer, chans in self.channels.items():
            shape = self.feature_maps[layer].shape[:2]
            lines.append(f"{layer} ({shape[0]}x{shape[1]}): most active channels "
                         + ", ".join(f"{c} (mean {v:.3g})" for c, v in chans))
        cam = self.grad_cam
        peak = np.unravel_index(int(np.argmax(cam)), cam.shape)
        rows, cols = cam.shape
        where = (("top" if peak[0] < rows / 3 else "bottom" if peak[0] >= 2 * rows / 3
                  else "middle") + "-" + ("left" if peak[1] < cols / 3 else "right"
                                          if peak[1] >= 2 * cols / 3 else "centre"))
        share = float((cam >= 0.5).mean()) if cam.max() > 0 else 0.0
        lines.append(f"Grad-CAM for class {self.class_index} at {self.layer_name}: "
                     + (f"strongest at row {peak[0]}, column {peak[1]} ({where}); "
                        f"{share:.0%} of the image above half the peak" if cam.max() > 0
                        else "no positive evidence anywhere"))
        return "\n".join(lines)


def _explainer(model: Any, layer: Any) -> tuple[ScoreModel, list[str], Any]:
    per_model = _CACHE.setdefault(model, {})
    if layer.name not in per_model:
        convs = conv_layers(model)
        names = [c.name for c in convs]
        watched = convs if layer.name in names else convs + [layer]
        per_model[layer.name] = (class_scores_model(model, watched), names,
                                 layer_geometry(model, layer))
    return per_model[layer.name]


def explain_image(model: keras_types.Model, image: np.ndarray, layer_name: str | None = None,
                  class_index: int | None = None, top: int = 3, channels: int = 4,
                  class_names: Sequence[str] | None = None) -> ImageExplanation:
    """Top predictions, most active channels per conv layer, and Grad-CAM, for one image.

    Per conv layer the channels are ranked by their mean activation
    ``m_k = (1 / (h w)) sum_{i,j} A^k[i, j]``. Grad-CAM: ``alpha_k = mean_{i,j} dy_c/dA^k``,
    ``ReLU(sum_k alpha_k A^k)`` upsampled to the image and scaled to [0, 1].

    Parameters
    ----------
    model : keras.Model
        A built Keras CNN classifier (the student's own included).
    image : array, shape (H, W, C), (1, H, W, C), or (H, W) for a one-channel model
    layer_name : str, optional
        Layer for Grad-CAM; default: the last conv layer.
    class_index : int, optional
        Class for Grad-CAM; default: the predicted class.
    top : int
        How many predictions, ``1 <= top <= n_classes``.
    channels : int >= 1
        How many channels per conv layer (at most the layer's channels).
    class_names : sequence of str, optional
        One name per class; default ``"class 0"``, ``"class 1"``, ...

    Returns
    -------
    ImageExplanation

    Raises
    ------
    ValueError
        As :func:`cnn_course.gradcam.grad_cam`, or for ``class_names`` of the wrong length.

    See Also
    --------
    cnn_course.gradcam.grad_cam : the Grad-CAM map alone.
    """
    check_built_model(model)
    layer = get_feature_layer(model, layer_name)
    batch = image_batch(model, image)
    class_index = check_class_index(model, class_index)
    n_classes = int(model.output_shape[-1])
    top = check_int("top", top, 1, n_classes)
    channels = check_int("channels", channels, 1)
    if class_names is None:
        class_names = [f"class {i}" for i in range(n_classes)]
    elif isinstance(class_names, str) or len(class_names) != n_classes:
        raise ValueError(f"class_names must hold one name per class ({n_classes}), got "
                         f"{class_names!r}")
    scorer, conv_names, geometry = _explainer(model, layer)
    x = tf.convert_to_tensor(batch)
    with tf.GradientTape() as tape:
        maps, scores = scorer(x)
        target = maps[conv_names.index(layer.name)] if layer.name in conv_names else maps[-1]
        if class_index is None:
            class_index = int(np.argmax(np.asarray(scores)[0]))
        picked = scores[0, class_index]
    grads = np.asarray(tape.gradient(picked, target))[0]
    target = np.asarray(target)[0]
    scores = np.asarray(scores, dtype=np.float64)[0]
    if scorer.scores_are_logits:
        probs = np.exp(scores - scores.max())
        probs /= probs.sum()
    else:
        probs = scores
    order = np.argsort(-probs, kind="stable")[:top]
    predictions = [(int(i), str(class_names[i]), float(probs[i])) for i in order]
    cam = upsample_map(grad_cam_map(target, grad_cam_weights(grads)), batch.shape[1:3],
                       geometry)
    if cam.max() > 0:
        cam = cam / cam.max()
    active, fmaps = {}, {}
    for name, fmap in zip(conv_names, maps):
        fmap = np.asarray(fmap)[0]
        means = fmap.mean(axis=(0, 1))
        best = np.argsort(-means, kind="stable")[:channels]
        active[name] = [(int(c), float(means[c])) for c in best]
        fmaps[name] = fmap[..., best]
    return ImageExplanation(predictions=predictions, class_index=class_index,
                            layer_name=layer.name, grad_cam=cam, channels=active,
                            feature_maps=fmaps)
