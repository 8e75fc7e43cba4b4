"""A small CNN in pure NumPy: conv-ReLU-pool-conv-ReLU-pool-dense, forward and backward.

The network of the lesson "Training a CNN from scratch", written with the course's own
operations so that every number can be followed::

    x (N, H, W, C)
    -> conv1: conv2d 3x3 "valid", F1 filters, + bias  -> ReLU -> max-pool 2x2
    -> conv2: conv2d 3x3 "valid", F2 filters, + bias  -> ReLU -> max-pool 2x2
    -> flatten (row-major NHWC, exactly as ``keras.layers.Flatten``)
    -> dense: ``logits = features @ W + b`` (K classes; softmax is left to the loss)

For 28x28x1 MNIST images and ``filters=(16, 32)`` the shapes are
``(N,28,28,1) -> (N,26,26,16) -> (N,13,13,16) -> (N,11,11,32) -> (N,5,5,32) -> (N,800) -> (N,10)``.

- :func:`init_params` -- He-normal kernels, zero biases, a small dense layer (so the
  untrained network gives every class about ``1/K`` and the loss starts near ``ln K``);
- :func:`forward` -- logits and the intermediate values the backward pass needs;
- :func:`backward` -- the gradient of the loss with respect to every parameter, layer by
  layer in reverse order (:mod:`cnn_course.backprop`);
- :func:`predict` -- class labels, in batches;
- :func:`to_keras` -- the same network as a Keras model holding the same weights, to check
  that NumPy, ``tf.GradientTape`` and ``model.fit`` agree.

The training loop itself is not here: the lesson writes it out, step by step.

References
----------
.. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied to
   document recognition", Proc. IEEE 86(11), 1998.
.. [2] K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers", ICCV 2015
   (the He-normal initialisation, std ``sqrt(2 / fan_in)``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._validation import check_int, check_real_array
from .activations import relu
from .backprop import conv2d_backward, dense, dense_backward, pool2d_backward, relu_backward
from .conv import conv2d
from .padding import output_size
from .pooling import pool2d

if TYPE_CHECKING:
    from keras import Model

__all__ = ["PARAM_NAMES", "init_params", "param_shapes", "forward", "backward", "predict",
           "to_keras"]

PARAM_NAMES = ("conv1/kernel", "conv1/bias", "conv2/kernel", "conv2/bias",
               "dense/kernel", "dense/bias")
"""Parameter names, in the order of the Keras model's ``trainable_variables``."""

KERNEL_SIZE = 3
POOL_SIZE = 2


def _shape3(input_shape: Any) -> tuple[int, int, int]:
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (H, W, C), got {input_shape!r}")
    h, w, c = (check_int("input_shape", d, 1) for d in input_shape)
    return h, w, c


def _feature_hw(h: int, w: int) -> tuple[int, int]:
    """Height and width after conv-pool-conv-pool (all "valid")."""
    for _ in range(2):
        h, w = output_size(h, KERNEL_SIZE), output_size(w, KERNEL_SIZE)
        if h < POOL_SIZE or w < POOL_SIZE:
            raise ValueError("input_shape is too small for conv-pool-conv-pool: each side must be "
                             ">= 10 pixels")
        h, w = h // POOL_SIZE, w // POOL_SIZE
    return h, w


def param_shapes(input_shape: tuple[int, int, int] = (28, 28, 1), filters: tuple[int, int] = (16, 32),
                 num_classes: int = 10) -> dict[str, tuple[int, ...]]:
    """Shape of every parameter: ``{"conv1/kernel": (3, 3, C, F1), ..., "dense/bias": (K,)}``."""
    h, w, c = _shape3(input_shape)
    if not isinstance(filters, (tuple, list)) or len(filters) != 2:
        raise ValueError(f"filters must be a pair (F1, F2), got {filters!r}")
    f1, f2 = (check_int("filters", f, 1) for f in filters)
    k = check_int("num_classes", num_classes, 2)
    fh, fw = _feature_hw(h, w)
    return {"conv1/kernel": (KERNEL_SIZE, KERNEL_SIZE, c, f1), "conv1/bias": (f1,),
            "conv2/kernel": (KERNEL_SIZE, KERNEL_SIZE, f1, f2), "conv2/bias": (f2,),
            "dense/kernel": (fh * fw * f2, k), "dense/bias": (k,)}


def init_params(rng: np.random.Generator, input_shape: tuple[int, int, int] = (28, 28, 1),
                filters: tuple[int, int] = (16, 32), num_classes: int = 10,
                dense_std: float = 0.01, dtype: Any = np.float32) -> dict[str, np.ndarray]:
    """Fresh parameters: He-normal kernels, zero biases, a small dense kernel.

    ``kernel ~ N(0, 2 / fan_in)`` with ``fan_in = 3 * 3 * C`` keeps the size of the
    activations about the same through conv + ReLU (He et al. 2015). The dense kernel is
    ``N(0, dense_std**2)``: small logits, so the untrained softmax is close to uniform and
    the first loss is close to ``ln(num_classes)``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (e.g. ``cfg.rng()``): the same generator state gives the same weights.
    input_shape : (H, W, C)
        One image; each side at least 10 pixels.
    filters : (F1, F2)
        Number of kernels of the two convolutions.
    num_classes : int
        K >= 2.
    dense_std : float
        Standard deviation of the dense kernel, > 0.
    dtype : float dtype
        ``np.float32`` (as Keras) or ``np.float64``.

    Returns
    -------
    dict name -> array, with the names :data:`PARAM_NAMES` and shapes :func:`param_shapes`.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (e.g. cfg.rng()), got {type(rng).__name__}")
    if isinstance(dense_std, bool) or not isinstance(dense_std, (int, float)) or not 0 < dense_std < 10:
        raise ValueError(f"dense_std must be a number in (0, 10), got {dense_std!r}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    shapes = param_shapes(input_shape, filters, num_classes)
    params = {}
    for name in PARAM_NAMES:
        shape = shapes[name]
        if name.endswith("bias"):
            params[name] = np.zeros(shape, dtype=dtype)
        elif name.startswith("conv"):
            fan_in, fan_out = shape[0] * shape[1] * shape[2], shape[0] * shape[1] * shape[3]
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            params[name] = rng.uniform(-limit, limit, shape).astype(dtype)
        else:
            params[name] = (rng.standard_normal(shape) * dense_std).astype(dtype)
    return params


def _check_params(params: Any) -> dict[str, np.ndarray]:
    if not isinstance(params, dict) or set(params) != set(PARAM_NAMES):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"params must be a dict with the keys {list(PARAM_NAMES)} "
                         f"(from init_params), got {got}")
    k1, k2, wd = params["conv1/kernel"], params["conv2/kernel"], params["dense/kernel"]
    if np.ndim(k1) != 4 or np.ndim(k2) != 4 or np.ndim(wd) != 2 or np.shape(k2)[2] != np.shape(k1)[3]:
        raise ValueError("params have inconsistent shapes: conv kernels must be (3, 3, C, F) with "
                         "conv2's C equal to conv1's F, and dense/kernel 2-D (see param_shapes)")
    return params


def _check_x(x: Any, params: dict[str, np.ndarray]) -> np.ndarray:
    x = check_real_array("x", x)
    c = params["conv1/kernel"].shape[2]
    if x.ndim != 4 or x.shape[3] != c or x.shape[0] < 1:
        raise ValueError(f"x must be a batch of images (N, H, W, {c}) with N >= 1, got shape {x.shape}")
    fh, fw = _feature_hw(x.shape[1], x.shape[2])
    want = fh * fw * params["conv2/kernel"].shape[3]
    if params["dense/kernel"].shape[0] != want:
        raise ValueError(f"images of shape {x.shape[1:]} give {want} features, but dense/kernel has "
                         f"{params['dense/kernel'].shape[0]} rows; build params with "
                         f"init_params(input_shape={tuple(x.shape[1:])})")
    return x


def forward(params: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Logits of the network for a batch of images, and the values backward needs.

    Parameters
    ----------
    params : dict from :func:`init_params`
    x : array of shape (N, H, W, C)

    Returns
    -------
    logits : array of shape (N, K)
        Scores before softmax (pass them to ``softmax_cross_entropy``).
    cache : dict
        ``x`` and every intermediate value: ``z1`` (conv1 output), ``a1`` (after ReLU),
        ``p1`` (after pooling), ``z2``, ``a2``, ``p2`` and ``features`` (flattened ``p2``).
    """
    params = _check_params(params)
    x = _check_x(x, params)
    z1 = conv2d(x, params["conv1/kernel"], params["conv1/bias"])
    a1 = relu(z1)
    p1 = pool2d(a1, POOL_SIZE)
    z2 = conv2d(p1, params["conv2/kernel"], params["conv2/bias"])
    a2 = relu(z2)
    p2 = pool2d(a2, POOL_SIZE)
    features = p2.reshape(len(x), -1)
    logits = dense(features, params["dense/kernel"], params["dense/bias"])
    cache = {"x": x, "z1": z1, "a1": a1, "p1": p1, "z2": z2, "a2": a2, "p2": p2,
             "features": features}
    return logits, cache


def backward(params: dict[str, np.ndarray], cache: dict[str, np.ndarray],
             dlogits: np.ndarray) -> dict[str, np.ndarray]:
    """Gradient of the loss with respect to every parameter, by the chain rule in reverse.

    ``dlogits`` is ``dloss/dlogits`` (from ``softmax_cross_entropy``). Going down::

        dense:   dW = features.T @ dlogits, db = sum over the batch, dfeatures = dlogits @ W.T
        unflatten, max-pool backward (to the window maxima), ReLU backward (where z > 0),
        conv2:   conv2d_backward -> dp1, dK2, db2
        max-pool backward, ReLU backward,
        conv1:   conv2d_backward -> dK1, db1 (dx of the images is not needed)

    Parameters
    ----------
    params : dict from :func:`init_params`
    cache : dict from :func:`forward` (the same params)
    dlogits : array of shape (N, K)

    Returns
    -------
    dict name -> gradient, same names and shapes as ``params``.
    """
    params = _check_params(params)
    missing = {"x", "z1", "a1", "p1", "z2", "a2", "p2", "features"} - set(cache)
    if missing:
        raise ValueError(f"cache must be the one returned by forward; missing {sorted(missing)}")
    dlogits = check_real_array("dlogits", dlogits)
    if dlogits.shape != (len(cache["x"]), params["dense/kernel"].shape[1]):
        raise ValueError(f"dlogits must have the shape of the logits "
                         f"{(len(cache['x']), params['dense/kernel'].shape[1])}, got {dlogits.shape}")
    grads = {}
    dfeatures, grads["dense/kernel"], grads["dense/bias"] = dense_backward(
        dlogits, cache["features"], params["dense/kernel"])
    dp2 = dfeatures.reshape(cache["p2"].shape)
    da2 = pool2d_backward(dp2, cache["a2"], POOL_SIZE)
    dz2 = relu_backward(da2, cache["z2"])
    dp1, grads["conv2/kernel"], grads["conv2/bias"] = conv2d_backward(dz2, cache["p1"],
                                                                      params["conv2/kernel"])
    da1 = pool2d_backward(dp1, cache["a1"], POOL_SIZE)
    dz1 = relu_backward(da1, cache["z1"])
    _, grads["conv1/kernel"], grads["conv1/bias"] = conv2d_backward(dz1, cache["x"],
                                                                    params["conv1/kernel"])
    return grads


def predict(params: dict[str, np.ndarray], x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Predicted class of every image (argmax of the logits), computed ``batch_size`` at a time.

    Returns an int array of shape (N,).
    """
    batch_size = check_int("batch_size", batch_size, 1)
    params = _check_params(params)
    x = _check_x(x, params)
    return np.concatenate([forward(params, x[i:i + batch_size])[0].argmax(axis=1)
                           for i in range(0, len(x), batch_size)])


def to_keras(params: dict[str, np.ndarray], input_shape: tuple[int, int, int] = (28, 28, 1)) -> Model:
    """The same network as a Keras model, holding copies of ``params``.

    ``Conv2D(F1, 3, relu) -> MaxPooling2D(2) -> Conv2D(F2, 3, relu) -> MaxPooling2D(2) ->
    Flatten -> Dense(K)`` (no softmax: the logits, as :func:`forward`). Keras stores conv
    kernels as ``(kh, kw, C, F)`` and dense kernels as ``(in, out)``, exactly our layout, and
    its ``trainable_variables`` come in the order :data:`PARAM_NAMES`.

    Returns
    -------
    keras.Model
        Not compiled; ``model(x)`` equals ``forward(params, x)[0]`` up to float rounding.
    """
    from ._lazy import keras

    params = _check_params(params)
    h, w, c = _shape3(input_shape)
    if params["conv1/kernel"].shape[2] != c:
        raise ValueError(f"input_shape has {c} channels but conv1/kernel expects "
                         f"{params['conv1/kernel'].shape[2]}")
    dtype = str(params["conv1/kernel"].dtype)
    layers = keras.layers
    inputs = keras.Input((h, w, c), dtype=dtype)
    y = layers.Conv2D(params["conv1/kernel"].shape[3], KERNEL_SIZE, activation="relu",
                      name="conv1", dtype=dtype)(inputs)
    y = layers.MaxPooling2D(POOL_SIZE, name="pool1", dtype=dtype)(y)
    y = layers.Conv2D(params["conv2/kernel"].shape[3], KERNEL_SIZE, activation="relu",
                      name="conv2", dtype=dtype)(y)
    y = layers.MaxPooling2D(POOL_SIZE, name="pool2", dtype=dtype)(y)
    y = layers.Flatten(name="flatten", dtype=dtype)(y)
    outputs = layers.Dense(params["dense/kernel"].shape[1], name="dense", dtype=dtype)(y)
    model = keras.Model(inputs, outputs, name="numpy_cnn_twin")
    for layer in ("conv1", "conv2", "dense"):
        model.get_layer(layer).set_weights([params[f"{layer}/kernel"], params[f"{layer}/bias"]])
    return model
