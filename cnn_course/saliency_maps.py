"""Which pixels change the prediction most: gradient saliency, SmoothGrad, and FGSM.

The network's score for class ``c`` is a function ``y_c(x)`` of every input pixel. Its
gradient ``dy_c/dx`` (same shape as the image) says how much ``y_c`` changes when one pixel
changes a little: a **saliency map** (Simonyan, Vedaldi & Zisserman 2014).

- :func:`input_gradient`: the raw gradient ``dy_c/dx``, shape (H, W, C);
- :func:`saliency`: ``max_channels |dy_c/dx|``, shape (H, W), the map to draw;
- :func:`smoothgrad`: the same, averaged over noisy copies of the image (Smilkov et al.
  2017), a less speckled map;
- :func:`fgsm`: the same gradient, of the *loss* this time, used to **fool** the network:
  a change of ``epsilon`` per pixel in the direction that raises the loss most (Goodfellow,
  Shlens & Szegedy 2015).

The score ``y_c`` is the pre-softmax logit when the network ends in a softmax (see
:func:`cnn_course._model_graph.class_scores_model`). TensorFlow is imported on first use.

Examples
--------
>>> import cnn_course as cc                                  # doctest: +SKIP
>>> model = cc.build_model("fashion_cnn")                    # doctest: +SKIP
>>> cc.saliency(model, x_test[0] / 255).shape                # doctest: +SKIP
(28, 28)
"""
from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from ._lazy import keras, tf
from ._model_graph import (check_built_model, check_class_index, class_scores_model,
                           image_batch)
from ._validation import check_int

if TYPE_CHECKING:
    import keras as keras_types

__all__ = ["input_gradient", "saliency", "smoothgrad", "fgsm"]


def _gradients(scorer: Any, batch: np.ndarray, class_index: int) -> np.ndarray:
    """``d y_c / d x`` for every image of ``batch`` (N, H, W, C) -> (N, H, W, C)."""
    x = tf.convert_to_tensor(batch)
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = scorer(x)
        picked = tf.reduce_sum(scores[:, class_index])  # images are independent: sum = each
    return np.asarray(tape.gradient(picked, x))


def _prepare(model: Any, image: object, class_index: object) -> tuple[Any, np.ndarray, int]:
    check_built_model(model)
    batch = image_batch(model, image)
    class_index = check_class_index(model, class_index)
    scorer = class_scores_model(model)
    if class_index is None:
        class_index = int(np.argmax(np.asarray(scorer(batch))[0]))
    return scorer, batch, class_index


def input_gradient(model: keras_types.Model, image: np.ndarray,
                   class_index: int | None = None) -> np.ndarray:
    """The gradient of the class score with respect to every input pixel.

    ``g[i, j, ch] = d y_c / d x[i, j, ch]``, computed by backpropagation in one pass
    (``tf.GradientTape``), in inference mode (dropout off, BatchNorm moving statistics).

    Parameters
    ----------
    model : keras.Model
        A built Keras model (functional or Sequential) taking images (N, H, W, C).
    image : array, shape (H, W, C), (1, H, W, C), or (H, W) for a one-channel model
        One image, scaled as the model was trained.
    class_index : int, optional
        The class ``c`` to explain, ``0 <= c < n_classes``; default: the predicted class.

    Returns
    -------
    numpy.ndarray, float32, shape (H, W, C)
        The raw gradient (signed). For a linear model ``y = x.flatten() @ W + b`` it is
        exactly ``W[:, c]`` reshaped to the image.

    See Also
    --------
    saliency : ``max_ch |g|``, the map usually drawn.
    smoothgrad : the gradient averaged over noisy copies of the image.

    References
    ----------
    K. Simonyan, A. Vedaldi, A. Zisserman, "Deep inside convolutional networks: visualising
    image classification models and saliency maps", ICLR workshop, 2014.
    """
    scorer, batch, class_index = _prepare(model, image, class_index)
    return _gradients(scorer, batch, class_index)[0]


def saliency(model: keras_types.Model, image: np.ndarray,
             class_index: int | None = None) -> np.ndarray:
    """Vanilla-gradient saliency map: how strongly each pixel sways the class score.

    ``S[i, j] = max_ch | d y_c / d x[i, j, ch] |`` (Simonyan et al. 2014): the largest
    absolute gradient over the colour channels.

    Parameters
    ----------
    model : keras.Model
        A built Keras model taking images (N, H, W, C).
    image : array, shape (H, W, C), (1, H, W, C), or (H, W) for a one-channel model
    class_index : int, optional
        The class to explain; default: the predicted class.

    Returns
    -------
    numpy.ndarray, float32, shape (H, W)
        Non-negative; larger means a small change of that pixel moves ``y_c`` more.

    Raises
    ------
    TypeError
        If ``model`` is not a Keras model.
    ValueError
        If ``image`` does not have the model's input shape (the message states it) or
        ``class_index`` is out of range.

    See Also
    --------
    input_gradient : the signed gradient behind this map.
    smoothgrad : a less noisy version.
    cnn_course.gradcam.grad_cam : a coarser, class-discriminative map from a conv layer.

    References
    ----------
    K. Simonyan, A. Vedaldi, A. Zisserman, "Deep inside convolutional networks: visualising
    image classification models and saliency maps", ICLR workshop, 2014.
    """
    return np.abs(input_gradient(model, image, class_index)).max(axis=-1)


def _check_real(name: str, value: object, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number >= {minimum:g}, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < minimum:
        raise ValueError(f"{name} must be a finite number >= {minimum:g}, got {value}")
    return value


def smoothgrad(model: keras_types.Model, image: np.ndarray, class_index: int | None = None,
               n_samples: int = 25, noise_level: float = 0.15, seed: int | None = 0,
               batch_size: int = 32) -> np.ndarray:
    """SmoothGrad: the saliency map averaged over noisy copies of the image.

    ``g_bar = (1/n) sum_{t=1..n} d y_c / d x (x + eps_t)``, ``eps_t ~ N(0, sigma^2)`` per
    pixel with ``sigma = noise_level * (max(x) - min(x))``; the map is
    ``S[i, j] = max_ch |g_bar[i, j, ch]|``. Averaging cancels the gradient's pixel-to-pixel
    flicker and keeps what is consistently important (Smilkov et al. 2017 recommend
    ``noise_level`` 0.1-0.2 and n about 50). ``noise_level=0`` gives :func:`saliency`.

    Parameters
    ----------
    model : keras.Model
    image : array, shape (H, W, C), (1, H, W, C), or (H, W) for a one-channel model
    class_index : int, optional
        Default: the class predicted for the clean image.
    n_samples : int >= 1
        Number of noisy copies ``n``.
    noise_level : float >= 0
        Noise standard deviation as a fraction of the image's value range.
    seed : int or None
        Seed of the noise (default 0: the same map every call); None for fresh noise.
    batch_size : int >= 1
        Noisy copies sent through the network at once.

    Returns
    -------
    numpy.ndarray, float32, shape (H, W)

    See Also
    --------
    saliency : one gradient, no noise.

    References
    ----------
    D. Smilkov, N. Thorat, B. Kim, F. Viegas, M. Wattenberg, "SmoothGrad: removing noise by
    adding noise", arXiv:1706.03825, 2017.
    """
    n_samples = check_int("n_samples", n_samples, 1)
    noise_level = _check_real("noise_level", noise_level)
    batch_size = check_int("batch_size", batch_size, 1)
    if seed is not None:
        seed = check_int("seed", seed, 0)
    scorer, batch, class_index = _prepare(model, image, class_index)
    sigma = noise_level * float(batch.max() - batch.min())
    rng = np.random.default_rng(seed)
    total = np.zeros(batch.shape[1:], dtype=np.float64)
    for first in range(0, n_samples, batch_size):
        m = min(batch_size, n_samples - first)
        noisy = batch + rng.normal(0.0, sigma, size=(m, *batch.shape[1:])).astype(np.float32) \
            if sigma > 0 else np.repeat(batch, m, axis=0)
        total += _gradients(scorer, noisy, class_index).sum(axis=0, dtype=np.float64)
    return np.abs(total / n_samples).max(axis=-1).astype(np.float32)


def fgsm(model: keras_types.Model, image: np.ndarray, label: int, epsilon: float,
         clip: tuple[float, float] | None = None) -> np.ndarray:
    """Fast Gradient Sign Method: the adversarial image ``x + epsilon * sign(dL/dx)``.

    ``x_adv = clip(x + epsilon * sign(d L(x, label) / d x))`` with ``L`` the cross-entropy
    of the network's softmax output and the true ``label``. Every pixel moves by at most
    ``epsilon`` (the L-infinity norm of the change), each in the direction that raises the
    loss; for a network that is nearly linear in its input this changes the logits by about
    ``epsilon * sum |w|`` -- large in high dimensions although each pixel barely changes.

    Parameters
    ----------
    model : keras.Model
        A classifier (softmax output, or logits).
    image : array, shape (H, W, C), (1, H, W, C), or (H, W) for a one-channel model
    label : int
        The true class, ``0 <= label < n_classes``.
    epsilon : float >= 0
        Step per pixel, in the image's units (0.01 is 1% of a [0, 1] image's range).
    clip : (low, high) or None
        Keep pixel values in this range, e.g. ``(0, 1)`` for images scaled to [0, 1];
        None (default): no clipping.

    Returns
    -------
    numpy.ndarray, float32, the shape of ``image``
        The adversarial image; ``max |x_adv - x| <= epsilon``.

    Examples
    --------
    >>> x_adv = fgsm(model, x, label=3, epsilon=0.02, clip=(0, 1))   # doctest: +SKIP
    >>> model.predict(x_adv[None]).argmax()                          # doctest: +SKIP

    See Also
    --------
    input_gradient : the gradient of the class score (not of the loss).

    References
    ----------
    I. Goodfellow, J. Shlens, C. Szegedy, "Explaining and harnessing adversarial examples",
    ICLR, 2015.
    """
    check_built_model(model)
    epsilon = _check_real("epsilon", epsilon)
    n = int(model.output_shape[-1])
    label = check_int("label", label, 0, n - 1)
    if clip is not None:
        if not isinstance(clip, (tuple, list)) or len(clip) != 2:
            raise ValueError(f"clip must be None or a pair (low, high), got {clip!r}")
        low = _check_real("clip[0]", clip[0], -np.inf)
        high = _check_real("clip[1]", clip[1], -np.inf)
        if low >= high:
            raise ValueError(f"clip must be (low, high) with low < high, got {clip!r}")
    shape = np.shape(image)
    batch = image_batch(model, image)
    scorer = class_scores_model(model)
    x = tf.convert_to_tensor(batch)
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = scorer(x)
        loss = keras.losses.sparse_categorical_crossentropy(
            np.array([label]), scores, from_logits=scorer.scores_are_logits)
    grad = np.asarray(tape.gradient(loss, x))
    adv = batch + np.float32(epsilon) * np.sign(grad)
    if clip is not None:
        adv = np.clip(adv, low, high)
    return adv.astype(np.float32).reshape(shape)
