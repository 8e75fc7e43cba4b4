"""Preparing images for training: per-channel standardisation and random augmentation.

- :func:`channel_statistics` and :func:`standardize_per_channel` (NumPy only): subtract the
  mean and divide by the standard deviation of each colour channel, both measured on the
  **training** images only and applied unchanged to validation and test images.
- :func:`standard_augmentation`: the augmentation every CIFAR paper uses (pad by 4 pixels,
  crop a random 32x32 window, flip left-right at random) and its Fashion-MNIST counterpart
  (shifts only), as a ``keras.Sequential`` of Keras preprocessing layers.
- :func:`augmentation_layers`: the general toolbox (flip, mild rotation, shift, shear, zoom)
  behind ``load_image_folder(..., augment=True)``; its defaults suit small images.

Preprocessing layers are active only when called with ``training=True`` (inside ``fit``);
at inference they pass the images through unchanged, so they can sit at the front of a model.
Keras is reached through :mod:`cnn_course._lazy`: importing this module does not import
TensorFlow.

References
----------
.. [1] K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image recognition",
   CVPR 2016, arXiv:1512.03385, Sec. 4.2 (per-pixel mean subtraction; pad 4, random 32x32
   crop, horizontal flip on CIFAR-10).
.. [2] Y. LeCun, L. Bottou, G. Orr and K.-R. Mueller, "Efficient BackProp", in *Neural
   Networks: Tricks of the Trade*, Springer, 1998 (inputs of zero mean and unit variance).
.. [3] C. Shorten and T. M. Khoshgoftaar, "A survey on image data augmentation for deep
   learning", Journal of Big Data 6:60, 2019.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._lazy import keras
from ._validation import check_choice, check_int, check_real_array

if TYPE_CHECKING:  # pragma: no cover
    import keras as _keras

__all__ = ["channel_statistics", "standardize_per_channel", "standard_augmentation",
           "augmentation_layers", "AUGMENTATION_DEFAULTS", "STANDARD_AUGMENTATION"]

#: Defaults of :func:`augmentation_layers` (and of ``load_image_folder(augment=True)``):
#: a left-right flip, shifts of up to 10 % of the size (3 pixels on 32x32) and a mild
#: rotation of up to +-0.02 turn (+-7.2 degrees). No shear or zoom: on 32x32 photos they
#: destroy more detail than they teach invariance.
AUGMENTATION_DEFAULTS = {"rotation": 0.02, "shear": 0.0, "flip": True, "zoom": 0.0,
                         "translation": 0.1}

#: What :func:`standard_augmentation` does for each kind: padding (pixels) and flip.
STANDARD_AUGMENTATION = {"cifar": {"pad": 4, "flip": True, "size": 32},
                         "fashion": {"pad": 2, "flip": False, "size": 28}}


# --------------------------------------------------------------------------- standardisation
def _images(name: str, x: object) -> np.ndarray:
    arr = check_real_array(name, x, ndims=(3, 4))
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one image, got shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def channel_statistics(x_train: object) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each channel over all training images and pixels.

    ``mean[c] = mean over n, h, w of x[n, h, w, c]`` and ``std[c]`` likewise (population
    standard deviation), accumulated in float64.

    Parameters
    ----------
    x_train : array, shape (N, H, W, C) or (N, H, W) (one channel)
        Training images, any real dtype (uint8 0..255 or floats).

    Returns
    -------
    (mean, std) : float64 arrays of shape (C,) ((1,) for (N, H, W) input)

    Raises
    ------
    ValueError
        Wrong number of dimensions, no image, NaN values, or a constant channel (std 0:
        it cannot be standardised).

    Examples
    --------
    >>> mean, std = channel_statistics(np.array([[[0, 2]], [[4, 6]]]))  # two 1x2 images
    >>> float(mean[0]), float(std[0])
    (3.0, 2.23606797749979)
    """
    x = _images("x_train", x_train)
    x4 = x[..., None] if x.ndim == 3 else x
    mean = x4.mean(axis=(0, 1, 2), dtype=np.float64)
    std = x4.std(axis=(0, 1, 2), dtype=np.float64)
    flat = np.flatnonzero(std == 0)
    if flat.size:
        raise ValueError(f"x_train channel {int(flat[0])} is constant (std 0): it cannot be "
                         f"standardised; drop that channel or check the images")
    return mean, std


def standardize_per_channel(x_train: object, x_test: object, *others: object
                            ) -> tuple[np.ndarray, ...]:
    """Standardise each channel with the mean and std of the **training** images only.

    ``x'[..., c] = (x[..., c] - mean[c]) / std[c]`` for every array given, with ``mean`` and
    ``std`` from :func:`channel_statistics` of ``x_train``. The test (and validation) images
    are never looked at to compute them: using their statistics would leak information
    about the test set into training.

    Parameters
    ----------
    x_train : array, shape (N, H, W, C) or (N, H, W)
    x_test : array, shape (M, H, W, C) or (M, H, W)
        Same image shape as ``x_train``.
    *others : arrays of the same image shape, optional
        More arrays to transform with the same statistics (e.g. a validation set).

    Returns
    -------
    tuple of float32 arrays, the same shapes as the inputs, in the order given
        ``x_train`` then has mean 0 and std 1 per channel (up to rounding); the others
        have nearly, not exactly, those values.

    Raises
    ------
    ValueError
        Arrays of different image shapes, or a constant training channel.

    See Also
    --------
    channel_statistics : the two numbers per channel.
    keras.layers.Normalization : the same inside a model (``adapt`` on the training data).

    Examples
    --------
    >>> tr, te = standardize_per_channel(np.array([[[0, 2]], [[4, 6]]]), np.array([[[3, 3]]]))
    >>> tr.ravel().round(3), te.ravel()
    (array([-1.342, -0.447,  0.447,  1.342], dtype=float32), array([0., 0.], dtype=float32))
    """
    mean, std = channel_statistics(x_train)
    xtr = _images("x_train", x_train)
    arrays = [("x_train", xtr), ("x_test", x_test)] + [(f"others[{i}]", o)
                                                      for i, o in enumerate(others)]
    out = []
    for name, x in arrays:
        arr = xtr if x is xtr else _images(name, x)
        if arr.shape[1:] != xtr.shape[1:]:
            raise ValueError(f"{name} has images of shape {arr.shape[1:]}, but x_train has "
                             f"{xtr.shape[1:]}; they must match")
        if arr.ndim == 3:
            z = (arr - mean[0]) / std[0]
        else:
            z = (arr - mean) / std
        out.append(z.astype(np.float32))
    return tuple(out)


# --------------------------------------------------------------------------- augmentation
def standard_augmentation(kind: str = "cifar", pad: int | None = None, flip: bool | None = None,
                          image_size: int | None = None, seed: int | None = 0
                          ) -> _keras.Sequential:
    """The standard augmentation of small-image benchmarks, as Keras preprocessing layers.

    ``kind="cifar"``: pad each image by 4 pixels of zeros on every side, crop a random
    32x32 window and flip it left-right with probability 1/2 (He et al., 2016).
    ``kind="fashion"``: shifts of up to 2 pixels, no flip: every shoe in Fashion-MNIST,
    in training *and* test images, points to the left, so a mirrored shoe is an image the
    network will never be asked about; flipping spends capacity on an invariance the test
    set never needs (shirts, bags and trousers are nearly symmetric anyway).

    Pad-and-crop is done per image with ``keras.layers.RandomTranslation(pad / size,
    fill_mode="constant", interpolation="nearest")``: a shift by a whole number of pixels
    in ``[-pad, pad]`` with zeros coming in, exactly what zero-padding by ``pad`` and
    cropping the original size at a random offset gives. (``keras.layers.RandomCrop``
    would crop every image of a batch at the *same* offset.) Zero is the mean after
    :func:`standardize_per_channel`, so the padding adds no bias.

    Parameters
    ----------
    kind : {"cifar", "fashion"}
        Sets the defaults of the other arguments (:data:`STANDARD_AUGMENTATION`).
    pad : int >= 0, optional
        Largest shift in pixels (4 for CIFAR, 2 for Fashion-MNIST); 0 disables shifts.
    flip : bool, optional
        Random left-right flip (True for CIFAR, False for Fashion-MNIST).
    image_size : int >= 1, optional
        Height (= width) of the images (32 or 28); ``pad < image_size``.
    seed : int >= 0 or None
        Seed of the first layer (the next one gets seed + 1).

    Returns
    -------
    keras.Sequential named ``"standard_augmentation"``
        Maps a batch (N, H, W, C) to the same shape; random only with ``training=True``.

    Raises
    ------
    ValueError
        Unknown ``kind``, negative ``pad`` or ``pad >= image_size``.

    See Also
    --------
    augmentation_layers : more transformations (rotation, shear, zoom) for photo folders.

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image
       recognition", CVPR 2016, arXiv:1512.03385, Sec. 4.2.
    .. [2] H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a novel image dataset for
       benchmarking machine learning algorithms", arXiv:1708.07747, 2017.
    """
    kind = check_choice("kind", kind, tuple(STANDARD_AUGMENTATION))
    defaults = STANDARD_AUGMENTATION[kind]
    size = defaults["size"] if image_size is None else check_int("image_size", image_size, 1)
    pad = defaults["pad"] if pad is None else check_int("pad", pad, 0)
    if pad >= size:
        raise ValueError(f"pad must be < image_size={size} (a shift of the whole image "
                         f"leaves nothing), got {pad}")
    flip = defaults["flip"] if flip is None else flip
    if not isinstance(flip, bool):
        raise TypeError(f"flip must be a bool or None, got {type(flip).__name__}")
    if seed is not None:
        seed = check_int("seed", seed, 0)
    layers = []
    if pad:
        factor = pad / size
        layers.append(keras.layers.RandomTranslation(
            factor, factor, fill_mode="constant", interpolation="nearest", fill_value=0.0,
            seed=seed, name="pad_and_crop"))
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", name="flip",
                                              seed=None if seed is None else seed + 1))
    return keras.Sequential(layers, name="standard_augmentation")


def augmentation_layers(rotation: float = AUGMENTATION_DEFAULTS["rotation"],
                        shear: float = AUGMENTATION_DEFAULTS["shear"],
                        flip: bool = AUGMENTATION_DEFAULTS["flip"],
                        zoom: float = AUGMENTATION_DEFAULTS["zoom"],
                        translation: float = AUGMENTATION_DEFAULTS["translation"],
                        seed: int | None = 0) -> _keras.Sequential:
    """A ``keras.Sequential`` of random augmentation layers for training images.

    The defaults (:data:`AUGMENTATION_DEFAULTS`) suit small photos: a left-right flip,
    shifts of up to 10 % of the size and a mild rotation (+-7.2 degrees). Stronger
    settings (rotation 0.1 = +-36 degrees, shear 0.2) change a 32x32 photo so much that, on
    a small budget, they lower test accuracy.

    Parameters
    ----------
    rotation : float in [0, 1]
        Max rotation as a fraction of a full turn (0.02 = +-7.2 degrees); 0 disables.
        ``keras.layers.RandomRotation`` (reflected borders).
    shear : float in [0, 1]
        Max shear factor along x and y; 0 disables. ``keras.layers.RandomShear``.
    flip : bool
        Random horizontal (left-right) flip. ``keras.layers.RandomFlip("horizontal")``.
    zoom : float in [0, 1)
        Max zoom in or out as a fraction of the size; ``RandomZoom``.
    translation : float in [0, 1)
        Max shift as a fraction of height and width; ``RandomTranslation`` (reflected
        borders).
    seed : int or None
        Seed of the first layer (each next layer gets seed + i).

    Returns
    -------
    keras.Sequential named ``"augmentation"``, applied to a batch (N, H, W, C) with
    ``training=True``; its layers in the order flip, rotation, shear, zoom, translation.

    See Also
    --------
    standard_augmentation : pad-and-crop plus flip, the CIFAR standard.
    cnn_course.data.load_image_folder : applies these layers to the training batches
        (``augment=``).

    References
    ----------
    .. [1] C. Shorten and T. M. Khoshgoftaar, "A survey on image data augmentation for
       deep learning", Journal of Big Data 6:60, 2019.
    """
    checks = {"rotation": (rotation, 0.0, 1.0), "shear": (shear, 0.0, 1.0),
              "zoom": (zoom, 0.0, 0.999), "translation": (translation, 0.0, 0.999)}
    for arg, (value, lo, hi) in checks.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{arg} must be a float, got {type(value).__name__}")
        if not lo <= value <= hi:
            raise ValueError(f"{arg} must be in [{lo}, {hi}], got {value}")
    if not isinstance(flip, bool):
        raise TypeError(f"flip must be a bool, got {type(flip).__name__}")
    if seed is not None:
        seed = check_int("seed", seed, 0)

    def s(i: int) -> int | None:
        return None if seed is None else seed + i

    layers = []
    if flip:
        layers.append(keras.layers.RandomFlip("horizontal", seed=s(0)))
    if rotation:
        layers.append(keras.layers.RandomRotation(rotation, fill_mode="reflect", seed=s(1)))
    if shear:
        layers.append(keras.layers.RandomShear(x_factor=shear, y_factor=shear, seed=s(2)))
    if zoom:
        layers.append(keras.layers.RandomZoom(zoom, seed=s(3)))
    if translation:
        layers.append(keras.layers.RandomTranslation(translation, translation, seed=s(4)))
    return keras.Sequential(layers, name="augmentation")
