"""Segmentation in NumPy: masks from images, and the two scores of a predicted mask.

A segmentation network labels every pixel. The course's task needs no hand-drawn labels:
on MNIST the digit is the bright part of the image, so :func:`digit_masks` derives each
image's *mask* (1 = digit, 0 = background) by a threshold, and the network learns to draw
that mask from a **noisy** copy of the image, where a threshold no longer works.

Two scores compare a predicted mask with the true one:

- :func:`pixel_accuracy` -- the fraction of pixels labelled right. Most of an MNIST image is
  background, so "all background" already scores about 0.8: a weak score on its own.
- :func:`iou` -- intersection over union of the digit pixels, ``|A and B| / |A or B|``
  (Jaccard index), the usual score in segmentation papers [1]_: "all background" scores 0.

Everything is NumPy (no TensorFlow).

See Also
--------
cnn_course.upsampling : the operations that grow maps back to the image's size.
cnn_course.models.build_encoder_decoder : the network that predicts the masks.

References
----------
.. [1] J. Long, E. Shelhamer and T. Darrell, "Fully convolutional networks for semantic
   segmentation", CVPR 2015, arXiv:1411.4038 (pixel accuracy and mean IU, section 5).
.. [2] M. Everingham et al., "The PASCAL Visual Object Classes (VOC) challenge", IJCV 88,
   303-338, 2010 (intersection over union as the segmentation score).
"""
from __future__ import annotations

import numpy as np

from ._validation import check_real_array

__all__ = ["digit_masks", "pixel_accuracy", "iou"]


def _check_fraction(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number in (0, 1), got {value!r}")
    value = float(value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in (0, 1) (a fraction of full brightness), got {value}")
    return value


def digit_masks(x: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Masks of the digits: 1 where a pixel is brighter than ``threshold``, else 0.

    ``mask = x / 255 > threshold`` for integer images (0..255, as MNIST is stored),
    ``mask = x > threshold`` for float images scaled to [0, 1].

    Parameters
    ----------
    x : array of shape (..., H, W) or (..., H, W, 1)
        Grey images: integers in 0..255 or floats in [0, 1].
    threshold : float in (0, 1)
        Fraction of full brightness above which a pixel belongs to the digit.

    Returns
    -------
    array of float32, the shape of ``x``
        0.0 (background) and 1.0 (digit).

    Raises
    ------
    TypeError
        Non-numeric images or threshold.
    ValueError
        Empty images, float images outside [0, 1], integer images outside 0..255, a
        threshold outside (0, 1).

    See Also
    --------
    iou, pixel_accuracy : scoring a predicted mask against these.

    References
    ----------
    .. [1] N. Otsu, "A threshold selection method from gray-level histograms", IEEE Trans.
       Systems, Man, and Cybernetics 9(1):62-66, 1979 (foreground by a global threshold).

    Examples
    --------
    >>> digit_masks(np.array([[0, 100, 200, 255]], dtype=np.uint8))
    array([[0., 0., 1., 1.]], dtype=float32)
    """
    x = check_real_array("x", x)
    threshold = _check_fraction("threshold", threshold)
    if np.issubdtype(x.dtype, np.integer):
        if x.min() < 0 or x.max() > 255:
            raise ValueError(f"x must hold integers in 0..255 (or floats in [0, 1]), got "
                             f"values from {x.min()} to {x.max()}")
        return (x > threshold * 255).astype(np.float32)
    if not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        raise ValueError("x must hold floats in [0, 1] (divide 0..255 images by 255), got "
                         f"values from {np.nanmin(x)} to {np.nanmax(x)}")
    return (x > threshold).astype(np.float32)


def _binary_pair(y_true: object, y_pred: object) -> tuple[np.ndarray, np.ndarray]:
    t, p = (np.asarray(a) for a in (y_true, y_pred))
    t = check_real_array("y_true", t.astype(np.uint8) if t.dtype == bool else t)
    p = check_real_array("y_pred", p.astype(np.uint8) if p.dtype == bool else p)
    if t.shape != p.shape:
        raise ValueError(f"y_pred must have the shape of y_true {t.shape}, got {p.shape}")
    for name, a in (("y_true", t), ("y_pred", p)):
        if not np.isin(a, (0, 1)).all():
            raise ValueError(f"{name} must be a binary mask of 0s and 1s; threshold "
                             f"probabilities first (e.g. probs > 0.5)")
    return t.astype(bool), p.astype(bool)


def pixel_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of pixels whose predicted label is right.

    ``accuracy = (number of pixels with y_pred == y_true) / (number of pixels)``

    Parameters
    ----------
    y_true, y_pred : arrays of the same shape, e.g. (N, H, W) or (N, H, W, 1)
        Binary masks (0 = background, 1 = object); bool works too.

    Returns
    -------
    float in [0, 1]

    See Also
    --------
    iou : the score that background cannot inflate.

    References
    ----------
    .. [1] J. Long, E. Shelhamer and T. Darrell, "Fully convolutional networks for semantic
       segmentation", CVPR 2015, arXiv:1411.4038, section 5.

    Examples
    --------
    >>> pixel_accuracy(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))
    0.75
    """
    t, p = _binary_pair(y_true, y_pred)
    return float(np.mean(t == p))


def iou(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Intersection over union of the object pixels (Jaccard index), over the whole batch.

    ``IoU = |T and P| / |T or P|`` with ``T``, ``P`` the sets of pixels labelled 1 in
    ``y_true`` and ``y_pred``, counted over all images together. The union, not the sum
    ``|T| + |P|``, is in the denominator: a perfect mask scores 1, a mask with nothing in
    common scores 0, "all background" scores 0. Two empty masks (no object anywhere)
    score 1.0: there was nothing to find and nothing was found.

    Parameters
    ----------
    y_true, y_pred : arrays of the same shape, e.g. (N, H, W) or (N, H, W, 1)
        Binary masks (0 = background, 1 = object); bool works too.

    Returns
    -------
    float in [0, 1]

    See Also
    --------
    pixel_accuracy : the fraction of all pixels labelled right.
    digit_masks : the true masks of the course's task.

    References
    ----------
    .. [1] M. Everingham et al., "The PASCAL Visual Object Classes (VOC) challenge", IJCV
       88, 303-338, 2010, section 4.2.
    .. [2] J. Long, E. Shelhamer and T. Darrell, "Fully convolutional networks for semantic
       segmentation", CVPR 2015, arXiv:1411.4038.

    Examples
    --------
    >>> iou(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]))     # 1 shared / 3 in either
    0.3333333333333333
    """
    t, p = _binary_pair(y_true, y_pred)
    union = int(np.count_nonzero(t | p))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(t & p)) / union
