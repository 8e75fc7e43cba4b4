"""Grad-CAM: where in the image a conv layer found the evidence for a class.

A conv layer's output is a stack of ``K`` feature maps ``A^k`` (shape (h, w, K)). Grad-CAM
(Selvaraju et al. 2017) weighs each map by how much the class score ``y_c`` depends on it
and keeps the positive evidence::

    alpha_k   = (1 / (h w)) sum_{i,j} d y_c / d A^k[i, j]          (grad_cam_weights)
    L_c[i, j] = ReLU( sum_k alpha_k A^k[i, j] )                      (grad_cam_map)

and upsamples ``L_c`` (h, w) to the image (H, W) to draw it over the image
(:func:`grad_cam`). Deeper layers give coarser but more class-specific maps.

The three steps are separate functions, so each can be inspected (and the channel weights
computed by hand in an exercise): :func:`layer_gradients`, :func:`grad_cam_weights`,
:func:`grad_cam_map`; :func:`grad_cam` chains them and upsamples.

References
----------
R. R. Selvaraju, M. Cogswell, A. Das, R. Vedantam, D. Parikh, D. Batra, "Grad-CAM: visual
explanations from deep networks via gradient-based localization", ICCV, 2017.

Examples
--------
>>> cam = grad_cam(model, x_test[0] / 255, layer_name="conv2")     # doctest: +SKIP
>>> cam.shape, float(cam.max())                                    # doctest: +SKIP
((28, 28), 1.0)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._lazy import tf
from ._model_graph import (check_class_index, check_built_model, class_scores_model,
                           get_feature_layer, image_batch, layer_geometry)
from ._validation import check_array

if TYPE_CHECKING:
    import keras as keras_types

__all__ = ["layer_gradients", "grad_cam_weights", "grad_cam_map", "upsample_map", "grad_cam"]


def layer_gradients(model: keras_types.Model, image: np.ndarray, layer_name: str | None = None,
                    class_index: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """A conv layer's feature maps for one image and the gradient of a class score on them.

    Parameters
    ----------
    model : keras.Model
        A built Keras CNN, functional or Sequential.
    image : array, shape (H, W, C), (1, H, W, C), or (H, W) for a one-channel model
    layer_name : str, optional
        A layer with feature maps (any conv layer, or e.g. its activation or pooling);
        default: the last convolutional layer.
    class_index : int, optional
        Default: the predicted class.

    Returns
    -------
    maps : numpy.ndarray, float32, shape (h, w, K)
        ``A^k[i, j]``: the layer's output.
    gradients : numpy.ndarray, float32, shape (h, w, K)
        ``d y_c / d A^k[i, j]``, ``y_c`` the class score (pre-softmax logit).
    class_index : int
        The class ``c`` used (the predicted one when none was given).

    Raises
    ------
    ValueError
        If the model has no conv layer, ``layer_name`` is not one of its layers (the
        message lists the conv layers), or ``image`` has the wrong shape.
    """
    check_built_model(model)
    layer = get_feature_layer(model, layer_name)
    batch = image_batch(model, image)
    class_index = check_class_index(model, class_index)
    scorer = class_scores_model(model, layer)
    x = tf.convert_to_tensor(batch)
    with tf.GradientTape() as tape:
        maps, scores = scorer(x)
        if class_index is None:
            class_index = int(np.argmax(np.asarray(scores)[0]))
        picked = scores[0, class_index]
    grads = tape.gradient(picked, maps)
    return np.asarray(maps)[0], np.asarray(grads)[0], class_index


def grad_cam_weights(gradients: np.ndarray) -> np.ndarray:
    """Grad-CAM channel weights: the gradient averaged over each feature map.

    ``alpha_k = (1 / (h w)) sum_{i,j} d y_c / d A^k[i, j]`` -- global average pooling of
    the gradients: how much, on average, class ``c``'s score rises with channel ``k``.

    Parameters
    ----------
    gradients : array, shape (h, w, K)
        ``d y_c / d A^k[i, j]`` from :func:`layer_gradients`.

    Returns
    -------
    numpy.ndarray, shape (K,)

    Examples
    --------
    >>> g = np.zeros((2, 2, 3)); g[..., 1] = 1.0; g[0, 0, 2] = -4.0
    >>> grad_cam_weights(g)
    array([ 0.,  1., -1.])
    """
    gradients = check_array("gradients", gradients, ndims=(3,))
    if 0 in gradients.shape:
        raise ValueError(f"gradients must not be empty, got shape {gradients.shape}")
    return gradients.mean(axis=(0, 1))


def grad_cam_map(maps: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The coarse Grad-CAM map: ``L[i, j] = ReLU(sum_k alpha_k A^k[i, j])``.

    Parameters
    ----------
    maps : array, shape (h, w, K)
        Feature maps ``A^k``.
    weights : array, shape (K,)
        Channel weights ``alpha_k`` (:func:`grad_cam_weights`).

    Returns
    -------
    numpy.ndarray, shape (h, w), >= 0

    Examples
    --------
    >>> A = np.stack([np.eye(2), np.ones((2, 2))], axis=-1)     # (2, 2, 2)
    >>> grad_cam_map(A, np.array([2.0, -1.0]))
    array([[1., 0.],
           [0., 1.]])
    """
    maps = check_array("maps", maps, ndims=(3,))
    weights = check_array("weights", weights, ndims=(1,))
    if weights.shape[0] != maps.shape[-1]:
        raise ValueError(f"weights must have one entry per channel of maps ({maps.shape[-1]}), "
                         f"got shape {weights.shape}")
    return np.maximum(np.tensordot(maps, weights, axes=([-1], [0])), 0.0)


def _interp_axis(n_out: int, n_in: int, start: float | None, jump: float | None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices and weights of linear interpolation from ``n_in`` cells to ``n_out`` pixels."""
    pixels = np.arange(n_out, dtype=np.float64)
    if start is None:  # stretch: cell centres evenly over the image (half-pixel rule)
        pos = (pixels + 0.5) * n_in / n_out - 0.5
    else:  # cell u is centred on input pixel start + u * jump
        pos = (pixels - start) / jump
    pos = np.clip(pos, 0, n_in - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, pos - lo


def upsample_map(cam: np.ndarray, size: tuple[int, int],
                 geometry: dict[str, tuple[float, float]] | None = None) -> np.ndarray:
    """Bilinear upsampling of a coarse map (h, w) to the image size (H, W).

    With ``geometry`` (``{"start": (r0, c0), "jump": (jr, jc), ...}``, from the layer's
    receptive-field arithmetic) cell ``(u, v)`` is placed on its receptive field's centre,
    input pixel ``(r0 + u jr, c0 + v jc)``, and pixels beyond the outermost centres take the
    nearest cell's value. Without it the cells are spread evenly over the image (what
    ``tf.image.resize`` does), which shifts the map by up to half a receptive field when
    the layer used ``"valid"`` padding.

    Parameters
    ----------
    cam : array, shape (h, w)
    size : (H, W)
    geometry : dict, optional

    Returns
    -------
    numpy.ndarray, shape (H, W)

    Examples
    --------
    >>> upsample_map(np.array([[0.0, 1.0]]), (1, 4))
    array([[0.  , 0.25, 0.75, 1.  ]])
    """
    cam = check_array("cam", cam, ndims=(2,)).astype(np.float64)
    rows, cols = int(size[0]), int(size[1])
    start = geometry["start"] if geometry else (None, None)
    jump = geometry["jump"] if geometry else (None, None)
    r_lo, r_hi, r_t = _interp_axis(rows, cam.shape[0], start[0], jump[0])
    c_lo, c_hi, c_t = _interp_axis(cols, cam.shape[1], start[1], jump[1])
    top = cam[r_lo][:, c_lo] * (1 - c_t) + cam[r_lo][:, c_hi] * c_t
    bottom = cam[r_hi][:, c_lo] * (1 - c_t) + cam[r_hi][:, c_hi] * c_t
    return top * (1 - r_t)[:, None] + bottom * r_t[:, None]


def grad_cam(model: keras_types.Model, image: np.ndarray, layer_name: str | None = None,
             class_index: int | None = None, normalize: bool = True) -> np.ndarray:
    """Grad-CAM heat map of class ``c`` for one image, at the image's size.

    ``alpha_k = mean_{i,j} d y_c / d A^k[i, j]``; ``L_c = ReLU(sum_k alpha_k A^k)``;
    ``L_c`` (h, w) is upsampled bilinearly to (H, W), each cell placed on the centre of its
    receptive field (:func:`upsample_map`), and divided by its maximum when ``normalize``.

    Parameters
    ----------
    model : keras.Model
        A built Keras CNN, functional or Sequential.
    image : array, shape (H, W, C), (1, H, W, C), or (H, W) for a one-channel model
    layer_name : str, optional
        Any layer with feature maps (h, w, K); default: the last conv layer (Selvaraju et al.
        use the last one: most class-specific, still spatial).
    class_index : int, optional
        Default: the predicted class.
    normalize : bool
        Scale to [0, 1] (all zeros stay zeros: no positive evidence for ``c``).

    Returns
    -------
    numpy.ndarray, float64, shape (H, W), >= 0

    Raises
    ------
    TypeError
        If ``model`` is not a Keras model.
    ValueError
        If the model has no conv layer, ``layer_name`` is not one of its layers (the message
        lists the conv layers), ``image`` does not have the input shape, or ``class_index``
        is out of range.

    See Also
    --------
    layer_gradients, grad_cam_weights, grad_cam_map : the steps.
    cnn_course.saliency_maps.saliency : pixel-level gradients, not class-discriminative.

    References
    ----------
    R. R. Selvaraju et al., "Grad-CAM: visual explanations from deep networks via
    gradient-based localization", ICCV, 2017.
    """
    if not isinstance(normalize, bool):
        raise TypeError(f"normalize must be a bool, got {type(normalize).__name__}")
    check_built_model(model)
    batch = image_batch(model, image)
    maps, grads, _ = layer_gradients(model, batch, layer_name, class_index)
    cam = grad_cam_map(maps, grad_cam_weights(grads))
    geometry = layer_geometry(model, get_feature_layer(model, layer_name))
    heat = upsample_map(cam, batch.shape[1:3], geometry)
    if normalize and heat.max() > 0:
        heat = heat / heat.max()
    return heat
