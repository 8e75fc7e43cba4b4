"""Occlusion sensitivity: hide a patch of the image and watch the class probability fall.

Zeiler & Fergus (2014) slid a grey square over the image and recorded the probability of
the correct class for every position of the square: where hiding the image hurts the
prediction, the network was looking. No gradients -- only forward passes -- so it works for
any model, and it measures the effect of a whole patch, not of an infinitesimal change.

- :func:`occlusion_sensitivity`: the drop ``p_c(x) - p_c(x with patch (r, c) hidden)`` for
  every patch position, shape ``(n_rows, n_cols)``;
- :func:`occlusion_map`: the same spread back onto the pixels, shape (H, W), to draw over the
  image.

References
----------
M. D. Zeiler, R. Fergus, "Visualizing and understanding convolutional networks", ECCV, 2014.
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np

from ._model_graph import check_class_index, check_built_model, image_batch
from ._validation import check_int, check_pair
from .padding import output_size

if TYPE_CHECKING:
    import keras as keras_types

__all__ = ["occlusion_sensitivity", "occlusion_map"]


def _check_fill(fill: object) -> float | str:
    if isinstance(fill, str):
        if fill != "mean":
            raise ValueError(f"fill must be a number or 'mean', got {fill!r}")
        return fill
    if isinstance(fill, bool) or not isinstance(fill, numbers.Real) or not np.isfinite(fill):
        raise TypeError(f"fill must be a finite number or 'mean', got {fill!r}")
    return float(fill)


def occlusion_sensitivity(model: keras_types.Model, image: np.ndarray,
                          class_index: int | None = None, patch_size: int | tuple[int, int] = 4,
                          stride: int | tuple[int, int] = 2, fill: float | str = 0.0,
                          batch_size: int = 128) -> np.ndarray:
    """Drop of the class output when each patch of the image is hidden.

    ``D[r, c] = y_c(x) - y_c(x with x[r*s : r*s + p, c*s : c*s + q, :] = fill)`` for every
    patch position; ``n_rows = floor((H - p) / s) + 1`` (like a "valid" convolution with a
    ``p x q`` window and stride ``s``). ``y_c`` is the model's output for class ``c`` -- the
    probability for a softmax classifier. Positive: the patch supported class ``c``;
    negative: hiding it made ``c`` *more* likely.

    Parameters
    ----------
    model : keras.Model
        Any Keras model taking images (N, H, W, C).
    image : array, shape (H, W, C), (1, H, W, C), or (H, W) for a one-channel model
    class_index : int, optional
        Default: the class predicted for the whole image.
    patch_size : int or (p, q)
        Side(s) of the hidden square, 1 <= p <= H, 1 <= q <= W.
    stride : int or (s_r, s_c)
        Step between patch positions, >= 1.
    fill : float or "mean"
        Value written into the patch (0: black for images in [0, 1]); "mean": the image's mean.
    batch_size : int >= 1
        Occluded copies evaluated in one forward pass.

    Returns
    -------
    numpy.ndarray, float32, shape (n_rows, n_cols)

    Raises
    ------
    ValueError
        If the patch is larger than the image, the image has the wrong shape, or an
        argument is out of range.

    See Also
    --------
    occlusion_map : the same drops spread over the pixels (H, W).

    References
    ----------
    M. D. Zeiler, R. Fergus, "Visualizing and understanding convolutional networks",
    ECCV, 2014.
    """
    check_built_model(model)
    batch = image_batch(model, image)
    class_index = check_class_index(model, class_index)
    p, q = check_pair("patch_size", patch_size)
    sr, sc = check_pair("stride", stride)
    fill = _check_fill(fill)
    batch_size = check_int("batch_size", batch_size, 1)
    _, height, width, _ = batch.shape
    if p > height or q > width:
        raise ValueError(f"patch_size must fit in the image ({height}, {width}), got ({p}, {q})")
    value = float(batch.mean()) if fill == "mean" else fill
    n_rows, n_cols = output_size(height, p, sr), output_size(width, q, sc)
    base = np.asarray(model(batch, training=False))[0]
    if class_index is None:
        class_index = int(np.argmax(base))
    positions = [(r, c) for r in range(n_rows) for c in range(n_cols)]
    drops = np.empty(len(positions), dtype=np.float32)
    for first in range(0, len(positions), batch_size):
        chunk = positions[first:first + batch_size]
        hidden = np.repeat(batch, len(chunk), axis=0)
        for i, (r, c) in enumerate(chunk):
            hidden[i, r * sr:r * sr + p, c * sc:c * sc + q, :] = value
        out = np.asarray(model(hidden, training=False))[:, class_index]
        drops[first:first + len(chunk)] = base[class_index] - out
    return drops.reshape(n_rows, n_cols)


def occlusion_map(model: keras_types.Model, image: np.ndarray, class_index: int | None = None,
                  patch_size: int | tuple[int, int] = 4, stride: int | tuple[int, int] = 2,
                  fill: float | str = 0.0, batch_size: int = 128) -> np.ndarray:
    """Occlusion sensitivity per pixel: the mean drop over the patches that cover it.

    ``M[i, j] = mean { D[r, c] : pixel (i, j) lies in patch (r, c) }`` with ``D`` from
    :func:`occlusion_sensitivity`; 0 for pixels no patch covers (the last ``(H - p) % s``
    rows when the stride does not divide ``H - p``).

    Parameters
    ----------
    model, image, class_index, patch_size, stride, fill, batch_size
        As for :func:`occlusion_sensitivity`.

    Returns
    -------
    numpy.ndarray, float32, shape (H, W)

    See Also
    --------
    occlusion_sensitivity : one value per patch position.
    """
    drops = occlusion_sensitivity(model, image, class_index, patch_size, stride, fill,
                                  batch_size)
    height, width = image_batch(model, image).shape[1:3]
    p, q = check_pair("patch_size", patch_size)
    sr, sc = check_pair("stride", stride)
    total = np.zeros((height, width), dtype=np.float64)
    count = np.zeros((height, width), dtype=np.int64)
    for r in range(drops.shape[0]):
        for c in range(drops.shape[1]):
            total[r * sr:r * sr + p, c * sc:c * sc + q] += drops[r, c]
            count[r * sr:r * sr + p, c * sc:c * sc + q] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0).astype(np.float32)
