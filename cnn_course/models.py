"""The course's Keras 3 networks, built once and reused by lessons and exercises.

Every network is built with the **functional API** on a known input, so
``model.summary()`` shows real output shapes, and every layer has a readable
name (``conv1``, ``stage2_block1_conv1``, ...). Images are NHWC, like Keras:
``(batch, height, width, channels)``.

========================  =============  ===========  ================================
name                      default input  parameters   what it is
========================  =============  ===========  ================================
``fashion_dense``         28x28x1        101,770      Flatten, Dense 128, Dense 10
``fashion_cnn``           28x28x1        243,786      2x (Conv 64 3x3, MaxPool 2), MLP
``mnist_cnn``             28x28x1        206,922      Conv 16/32 3x3 "same", MLP
``cifar_baseline``        32x32x3        198,506      one C-B-A-P-D block, MLP
``lenet5``                32x32x3        62,006       LeNet-5 (sigmoid)
``alexnet8``              32x32x3        9,639,178    AlexNet, CIFAR-sized
``vgg16``                 32x32x3        15,262,026   VGG-16 with BatchNorm
``inception10``           32x32x3        121,418      GoogLeNet-style Inception blocks
``resnet18``              32x32x3        11,183,562   ResNet-18 (basic blocks)
========================  =============  ===========  ================================

Keras is reached through the lazy proxy of :mod:`cnn_course._lazy`, so
``import cnn_course.models`` is instant and TensorFlow loads when the first layer is built.

See Also
--------
cnn_course.training.train : fit one of these networks.
cnn_course.inspection.explain_params : every parameter count above, as arithmetic.
cnn_course.inspection.conv_params : the parameters of one convolution, by formula.

References
----------
.. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied to
   document recognition", Proc. IEEE 86(11):2278-2324, 1998 (LeNet-5).
.. [2] A. Krizhevsky, I. Sutskever and G. E. Hinton, "ImageNet classification with deep
   convolutional neural networks", NeurIPS 2012 (AlexNet).
.. [3] K. Simonyan and A. Zisserman, "Very deep convolutional networks for large-scale image
   recognition", arXiv:1409.1556, 2014 (VGG).
.. [4] C. Szegedy et al., "Going deeper with convolutions", CVPR 2015, arXiv:1409.4842
   (GoogLeNet, Inception).
.. [5] K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image recognition",
   CVPR 2016, arXiv:1512.03385 (ResNet).
.. [6] S. Ioffe and C. Szegedy, "Batch normalization: accelerating deep network training by
   reducing internal covariate shift", ICML 2015, arXiv:1502.03167.
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Sequence

from ._lazy import keras
from ._validation import check_int, check_model, check_pair

if TYPE_CHECKING:  # for type hints only
    from keras import KerasTensor

__all__ = [
    "MODEL_NAMES",
    "build_model",
    "list_models",
    "conv_bn_relu",
    "cbapd_block",
    "inception_block",
    "residual_block",
    "build_deep_stack",
    "build_cifar_resnet",
    "build_downsampling_cnn",
    "build_encoder_decoder",
    "set_bn_momentum",
    "build_narrow_vgg16",
]

# name -> (default input shape, total, trainable, non-trainable, one-line description).
# The parameter counts are those of the default input and 10 classes; tests check that
# building each model gives exactly these numbers.
_SPECS: dict[str, tuple[tuple[int, ...], int, int, int, str]] = {
    "fashion_dense": ((28, 28, 1), 101_770, 101_770, 0,
                      "Flatten, Dense 128 ReLU, Dense 10 softmax"),
    "fashion_cnn": ((28, 28, 1), 243_786, 243_786, 0,
                    "Conv 64 3x3, MaxPool 2, Conv 64 3x3, MaxPool 2, Dense 128, Dense 10"),
    "mnist_cnn": ((28, 28, 1), 206_922, 206_922, 0,
                  "Conv 16 3x3 same, MaxPool 2, Conv 32 3x3 same, MaxPool 2, Dense 128, Dense 10"),
    "cifar_baseline": ((32, 32, 3), 198_506, 198_494, 12,
                       "C-B-A-P-D block (Conv 6 5x5, BN, ReLU, MaxPool, Dropout), Dense 128, Dense 10"),
    "lenet5": ((32, 32, 3), 62_006, 62_006, 0,
               "LeNet-5: Conv 6 5x5, MaxPool, Conv 16 5x5, MaxPool, Dense 120, 84, 10 (sigmoid)"),
    "alexnet8": ((32, 32, 3), 9_639_178, 9_638_474, 704,
                 "AlexNet (CIFAR): 5 conv layers (96, 256, 384, 384, 256), Dense 2048, 2048, 10"),
    "vgg16": ((32, 32, 3), 15_262_026, 15_253_578, 8_448,
              "VGG-16: 13 3x3 conv+BN+ReLU in 5 stages (64-512), Dense 512, 512, 10"),
    "inception10": ((32, 32, 3), 121_418, 120_234, 1_184,
                    "Inception-10: ConvBNReLU stem 16, 2 stages x 2 Inception blocks, GAP, Dense 10"),
    "resnet18": ((32, 32, 3), 11_183_562, 11_173_962, 9_600,
                 "ResNet-18: 3x3 stem 64, basic blocks [2, 2, 2, 2] (64-512), GAP, Dense 10"),
}

#: The names :func:`build_model` accepts, in the order the lessons meet them.
MODEL_NAMES: tuple[str, ...] = tuple(_SPECS)

_uid = itertools.count(1)


def _prefix(name: str | None, kind: str) -> str:
    """Return ``name`` or a fresh unique prefix such as ``"residual_block_3"``."""
    if name is None:
        return f"{kind}_{next(_uid)}"
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str or None, got {name!r}")
    return name


def _check_tensor(x: Any) -> None:
    if not isinstance(x, keras.KerasTensor):
        raise TypeError("x must be a symbolic Keras tensor (e.g. keras.Input(shape=(32, 32, 3)) "
                        f"or the output of a layer), got {type(x).__name__}")
    if len(x.shape) != 4:
        raise ValueError(f"x must be a 4-D NHWC tensor (batch, height, width, channels), "
                         f"got shape {tuple(x.shape)}")


def _check_padding(padding: object) -> str:
    if padding not in ("same", "valid"):
        raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
    return str(padding)


# --------------------------------------------------------------------------- blocks
def conv_bn_relu(x, filters: int, kernel_size: int | tuple[int, int] = 3,
                 strides: int | tuple[int, int] = 1, padding: str = "same",
                 name: str | None = None) -> KerasTensor:
    """Convolution, batch normalisation, ReLU: ``relu(BN(conv(x)))``.

    The "ConvBNRelu" unit of Inception-style networks. The convolution keeps its
    bias, as in the source course (the BN shift makes it redundant, which is why
    ResNet drops it).

    Parameters
    ----------
    x : KerasTensor, shape (N, H, W, C)
    filters : int >= 1
        Output channels F.
    kernel_size, strides : int or pair, >= 1
    padding : {"same", "valid"}
    name : str, optional
        Prefix of the three layer names (``<name>_conv``, ``<name>_bn``,
        ``<name>_relu``); a unique one is made up when omitted.

    Returns
    -------
    KerasTensor, shape (N, H', W', F)
        Parameters: ``kh*kw*C*F + F`` (conv) + ``4*F`` (BN, of which ``2*F``
        non-trainable moving statistics).

    See Also
    --------
    inception_block : four branches built from this unit.
    residual_block : the same unit without the conv bias, twice, plus a shortcut.
    cnn_course.inspection.conv_params : the ``kh*kw*C*F + F`` count.

    References
    ----------
    .. [1] S. Ioffe and C. Szegedy, "Batch normalization: accelerating deep network
       training by reducing internal covariate shift", ICML 2015, arXiv:1502.03167.
    .. [2] C. Szegedy et al., "Going deeper with convolutions", CVPR 2015,
       arXiv:1409.4842.

    Examples
    --------
    >>> x = keras.Input(shape=(32, 32, 3))
    >>> tuple(conv_bn_relu(x, 16, name="demo").shape)
    (None, 32, 32, 16)
    """
    _check_tensor(x)
    filters = check_int("filters", filters, 1)
    kernel_size = check_pair("kernel_size", kernel_size, 1)
    strides = check_pair("strides", strides, 1)
    padding = _check_padding(padding)
    p = _prefix(name, "conv_bn_relu")
    x = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                            name=f"{p}_conv")(x)
    x = keras.layers.BatchNormalization(name=f"{p}_bn")(x)
    return keras.layers.Activation("relu", name=f"{p}_relu")(x)


def cbapd_block(x, filters: int = 6, kernel_size: int | tuple[int, int] = 5,
                pool_size: int | tuple[int, int] = 2, dropout: float = 0.2,
                name: str | None = None) -> KerasTensor:
    """The C-B-A-P-D block: Conv ("same"), BatchNorm, Activation (ReLU), Pool, Dropout.

    Max-pooling uses ``strides=pool_size`` and "same" padding, so the spatial
    size becomes ``ceil(H / pool)``.

    Parameters
    ----------
    x : KerasTensor, shape (N, H, W, C)
    filters : int >= 1
    kernel_size, pool_size : int or pair, >= 1
    dropout : float in [0, 1)
        Fraction of activations zeroed during training.
    name : str, optional
        Prefix of the layer names (``<name>_conv``, ``_bn``, ``_relu``, ``_pool``,
        ``_dropout``).

    Returns
    -------
    KerasTensor, shape (N, ceil(H/p), ceil(W/p), filters)
        Parameters: ``kh*kw*C*F + F + 4*F``.

    See Also
    --------
    conv_bn_relu : the same start without the pooling and dropout.
    build_model : ``"cifar_baseline"`` is one of these blocks and a small MLP.

    References
    ----------
    .. [1] S. Ioffe and C. Szegedy, "Batch normalization: accelerating deep network
       training by reducing internal covariate shift", ICML 2015, arXiv:1502.03167.
    .. [2] N. Srivastava, G. Hinton, A. Krizhevsky, I. Sutskever and R. Salakhutdinov,
       "Dropout: a simple way to prevent neural networks from overfitting", JMLR
       15:1929-1958, 2014.
    """
    _check_tensor(x)
    filters = check_int("filters", filters, 1)
    kernel_size = check_pair("kernel_size", kernel_size, 1)
    pool_size = check_pair("pool_size", pool_size, 1)
    dropout = _check_rate("dropout", dropout)
    p = _prefix(name, "cbapd")
    x = keras.layers.Conv2D(filters, kernel_size, padding="same", name=f"{p}_conv")(x)
    x = keras.layers.BatchNormalization(name=f"{p}_bn")(x)
    x = keras.layers.Activation("relu", name=f"{p}_relu")(x)
    x = keras.layers.MaxPooling2D(pool_size, strides=pool_size, padding="same", name=f"{p}_pool")(x)
    return keras.layers.Dropout(dropout, name=f"{p}_dropout")(x)


def inception_block(x, filters: int, strides: int = 1, name: str | None = None) -> KerasTensor:
    """An Inception block: four parallel branches concatenated on the channel axis.

    Branches (each ``filters`` channels, each conv a :func:`conv_bn_relu`):

    1. 1x1 conv (stride ``strides``)
    2. 1x1 conv (stride ``strides``), then 3x3 conv
    3. 1x1 conv (stride ``strides``), then 5x5 conv
    4. 3x3 max-pool (stride 1, "same"), then 1x1 conv (stride ``strides``)

    The stride sits on each branch's *first* convolution, so all four branches
    end at the same size ``ceil(H / strides)`` and can be concatenated.

    Parameters
    ----------
    x : KerasTensor, shape (N, H, W, C)
    filters : int >= 1
        Channels of every branch.
    strides : int >= 1
    name : str, optional
        Prefix of the layer names (``<name>_b1_conv``, ``<name>_b2a_conv``, ...,
        ``<name>_concat``).

    Returns
    -------
    KerasTensor, shape (N, ceil(H/s), ceil(W/s), 4 * filters)
        Parameters: ``4*(C*F + F)`` (four 1x1 convs) ``+ 9*F*F + F + 25*F*F + F``
        ``+ 6*4*F`` (six BatchNorms).

    See Also
    --------
    conv_bn_relu : the unit every branch is made of.
    build_model : ``"inception10"`` stacks four of these blocks.

    References
    ----------
    .. [1] C. Szegedy et al., "Going deeper with convolutions", CVPR 2015,
       arXiv:1409.4842 (the Inception module with 1x1 "bottleneck" convolutions).
    .. [2] M. Lin, Q. Chen and S. Yan, "Network in network", arXiv:1312.4400, 2013
       (1x1 convolutions and global average pooling).
    """
    _check_tensor(x)
    filters = check_int("filters", filters, 1)
    strides = check_int("strides", strides, 1)
    p = _prefix(name, "inception")
    b1 = conv_bn_relu(x, filters, 1, strides, name=f"{p}_b1")
    b2 = conv_bn_relu(x, filters, 1, strides, name=f"{p}_b2a")
    b2 = conv_bn_relu(b2, filters, 3, 1, name=f"{p}_b2b")
    b3 = conv_bn_relu(x, filters, 1, strides, name=f"{p}_b3a")
    b3 = conv_bn_relu(b3, filters, 5, 1, name=f"{p}_b3b")
    b4 = keras.layers.MaxPooling2D(3, strides=1, padding="same", name=f"{p}_b4_pool")(x)
    b4 = conv_bn_relu(b4, filters, 1, strides, name=f"{p}_b4")
    return keras.layers.Concatenate(axis=-1, name=f"{p}_concat")([b1, b2, b3, b4])


def residual_block(x, filters: int, strides: int = 1, name: str | None = None) -> KerasTensor:
    """A ResNet basic block: ``relu(F(x) + shortcut(x))``.

    ``F(x) = BN(conv3x3(relu(BN(conv3x3_stride(x)))))``; convolutions have no
    bias (BN's shift replaces it). The shortcut is the identity when the shape
    does not change (``strides == 1`` and ``C == filters``), otherwise a 1x1
    convolution with stride ``strides`` followed by BN (a *projection*).

    Parameters
    ----------
    x : KerasTensor, shape (N, H, W, C)
    filters : int >= 1
    strides : int >= 1
    name : str, optional
        Prefix of the layer names (``<name>_conv1``, ``_bn1``, ``_relu1``,
        ``_conv2``, ``_bn2``, [``_proj_conv``, ``_proj_bn``], ``_add``, ``_relu2``).

    Returns
    -------
    KerasTensor, shape (N, ceil(H/s), ceil(W/s), filters)
        Parameters: ``9*C*F + 9*F*F + 2*4*F`` (+ ``C*F + 4*F`` with a projection).

    See Also
    --------
    build_deep_stack : the same blocks with and without their shortcuts.
    build_model : ``"resnet18"`` is a stem, eight of these blocks and a classifier.

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image
       recognition", CVPR 2016, arXiv:1512.03385 (the basic block, Fig. 2 and 5 left;
       projection shortcuts, option B).

    Examples
    --------
    >>> x = keras.Input(shape=(16, 16, 64))
    >>> tuple(residual_block(x, 64, name="same").shape)
    (None, 16, 16, 64)
    >>> tuple(residual_block(x, 128, strides=2, name="down").shape)
    (None, 8, 8, 128)
    """
    _check_tensor(x)
    filters = check_int("filters", filters, 1)
    strides = check_int("strides", strides, 1)
    p = _prefix(name, "residual_block")
    shortcut = x
    y = keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False,
                      name=f"{p}_conv1")(x)
    y = keras.layers.BatchNormalization(name=f"{p}_bn1")(y)
    y = keras.layers.Activation("relu", name=f"{p}_relu1")(y)
    y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{p}_conv2")(y)
    y = keras.layers.BatchNormalization(name=f"{p}_bn2")(y)
    if strides != 1 or x.shape[-1] != filters:
        shortcut = keras.layers.Conv2D(filters, 1, strides=strides, padding="same", use_bias=False,
                                 name=f"{p}_proj_conv")(x)
        shortcut = keras.layers.BatchNormalization(name=f"{p}_proj_bn")(shortcut)
    y = keras.layers.Add(name=f"{p}_add")([y, shortcut])
    return keras.layers.Activation("relu", name=f"{p}_relu2")(y)


def _plain_block(x, filters: int, name: str):
    """:func:`residual_block` without the shortcut (same layers, same parameters)."""
    y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = keras.layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = keras.layers.Activation("relu", name=f"{name}_relu1")(y)
    y = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = keras.layers.BatchNormalization(name=f"{name}_bn2")(y)
    return keras.layers.Activation("relu", name=f"{name}_relu2")(y)


def _check_rate(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a float in [0, 1), got {value!r}")
    if not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return float(value)


# --------------------------------------------------------------------------- models
def _check_input_shape(name: str, input_shape: object) -> tuple[int, ...]:
    if input_shape is None:
        return _SPECS[name][0]
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"input_shape must be a tuple (height, width, channels), "
                        f"got {input_shape!r}")
    dims = tuple(input_shape)
    allowed = (2, 3) if name == "fashion_dense" else (3,)
    if len(dims) not in allowed:
        hint = ("(height, width) or (height, width, channels)" if name == "fashion_dense"
                else "(height, width, channels); add a channel axis for grayscale, "
                     "e.g. (28, 28, 1) and x[..., None]")
        raise ValueError(f"input_shape for {name} must be {hint}, got {input_shape!r}")
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int) or d < 1:
            raise ValueError(f"input_shape must contain ints >= 1, got {input_shape!r}")
    return dims


def _fashion_dense(inputs, num_classes):
    """Flatten, Dense 128 ReLU, softmax: the dense baseline a CNN is compared with."""
    x = keras.layers.Flatten(name="flatten")(inputs)
    x = keras.layers.Dense(128, activation="relu", name="dense1")(x)
    return keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)


def _fashion_cnn(inputs, num_classes):
    """Two Conv 64 3x3 + MaxPool 2 stages, then Dense 128 and softmax."""
    x = keras.layers.Conv2D(64, 3, activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(64, 3, activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(128, activation="relu", name="dense1")(x)
    return keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)


def _mnist_cnn(inputs, num_classes):
    """Conv 16 and 32 (3x3, "same"), each followed by MaxPool 2, then Dense 128, softmax."""
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(128, activation="relu", name="dense1")(x)
    return keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)


def _cifar_baseline(inputs, num_classes):
    """One :func:`cbapd_block` (Conv 6 5x5), Dense 128, Dropout 0.2, softmax."""
    x = cbapd_block(inputs, 6, 5, 2, 0.2, name="block1")
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(128, activation="relu", name="dense1")(x)
    x = keras.layers.Dropout(0.2, name="dropout1")(x)
    return keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)


def _lenet5(inputs, num_classes):
    """LeNet-5 [LeCun 1998]: C1 6@5x5, S2, C3 16@5x5, S4, F5 120, F6 84, output.

    Sigmoid units and max-pooling stand in for the original's scaled tanh and trainable
    sub-sampling; the output is a softmax instead of RBF units. Y. LeCun et al., Proc. IEEE
    86(11):2278-2324, 1998.
    """
    x = keras.layers.Conv2D(6, 5, activation="sigmoid", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, strides=2, name="pool1")(x)
    x = keras.layers.Conv2D(16, 5, activation="sigmoid", name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, strides=2, name="pool2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(120, activation="sigmoid", name="dense1")(x)
    x = keras.layers.Dense(84, activation="sigmoid", name="dense2")(x)
    return keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)


def _alexnet8(inputs, num_classes):
    """AlexNet [Krizhevsky 2012] sized for 32x32 images: 5 conv and 3 dense layers.

    3x3 kernels instead of 11x11/5x5, BatchNorm instead of local response normalisation,
    2048-unit dense layers instead of 4096. A. Krizhevsky, I. Sutskever and G. E. Hinton,
    NeurIPS 2012.
    """
    x = inputs
    for i, filters in ((1, 96), (2, 256)):
        x = keras.layers.Conv2D(filters, 3, name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"bn{i}")(x)
        x = keras.layers.Activation("relu", name=f"relu{i}")(x)
        x = keras.layers.MaxPooling2D(3, strides=2, name=f"pool{i}")(x)
    for i, filters in ((3, 384), (4, 384), (5, 256)):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool3")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(2048, activation="relu", name="dense1")(x)
    x = keras.layers.Dropout(0.5, name="dropout1")(x)
    x = keras.layers.Dense(2048, activation="relu", name="dense2")(x)
    x = keras.layers.Dropout(0.5, name="dropout2")(x)
    return keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)


def _vgg16(inputs, num_classes):
    """VGG-16 [Simonyan 2014]: 13 3x3 convolutions in 5 stages, 3 dense layers.

    With BatchNorm after each convolution (not in the original) and 512-unit dense layers
    (the original: 4096, for 224x224 images). K. Simonyan and A. Zisserman,
    arXiv:1409.1556, 2014.
    """
    return _vgg16_layers(inputs, num_classes, width_divisor=1)


def _vgg16_layers(inputs, num_classes, width_divisor):
    """VGG-16's layers with every convolution and hidden dense width divided by ``width_divisor``."""
    x = inputs
    stages = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
    for s, (filters, n_conv) in enumerate(stages, start=1):
        for c in range(1, n_conv + 1):
            p = f"stage{s}_conv{c}"
            x = keras.layers.Conv2D(filters // width_divisor, 3, padding="same", name=p)(x)
            x = keras.layers.BatchNormalization(name=f"{p}_bn")(x)
            x = keras.layers.Activation("relu", name=f"{p}_relu")(x)
        # "same" pooling: 32 -> 16 -> 8 -> 4 -> 2 -> 1, and 28 -> 14 -> 7 -> 4 -> 2 -> 1
        x = keras.layers.MaxPooling2D(2, strides=2, padding="same", name=f"stage{s}_pool")(x)
        x = keras.layers.Dropout(0.2, name=f"stage{s}_dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(512 // width_divisor, activation="relu", name="dense1")(x)
    x = keras.layers.Dropout(0.2, name="dropout1")(x)
    x = keras.layers.Dense(512 // width_divisor, activation="relu", name="dense2")(x)
    x = keras.layers.Dropout(0.2, name="dropout2")(x)
    return keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)


def _inception10(inputs, num_classes):
    """A 10-layer GoogLeNet-style network [Szegedy 2015]: stem, 4 Inception blocks, GAP.

    C. Szegedy et al., "Going deeper with convolutions", CVPR 2015, arXiv:1409.4842.
    """
    x = conv_bn_relu(inputs, 16, 3, name="stem")
    filters = 16
    for stage in (1, 2):
        for block in (1, 2):
            x = inception_block(x, filters, strides=2 if block == 1 else 1,
                                name=f"stage{stage}_block{block}")
        filters *= 2
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    return keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)


def _resnet18(inputs, num_classes):
    """ResNet-18 [He 2016] for 32x32 images: 3x3 stem (no 7x7 conv, no max-pool), 8 blocks.

    K. He, X. Zhang, S. Ren and J. Sun, CVPR 2016, arXiv:1512.03385 (Table 1, 18-layer).
    """
    x = keras.layers.Conv2D(64, 3, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = keras.layers.Activation("relu", name="stem_relu")(x)
    filters = 64
    for stage, n_blocks in enumerate((2, 2, 2, 2), start=1):
        for block in range(1, n_blocks + 1):
            strides = 2 if (stage > 1 and block == 1) else 1
            x = residual_block(x, filters, strides, name=f"stage{stage}_block{block}")
        filters *= 2
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    return keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)


_BUILDERS = {
    "fashion_dense": _fashion_dense,
    "fashion_cnn": _fashion_cnn,
    "mnist_cnn": _mnist_cnn,
    "cifar_baseline": _cifar_baseline,
    "lenet5": _lenet5,
    "alexnet8": _alexnet8,
    "vgg16": _vgg16,
    "inception10": _inception10,
    "resnet18": _resnet18,
}


def build_model(name: str, input_shape: Sequence[int] | None = None,
                num_classes: int = 10) -> keras.Model:
    """Build one of the course's networks as a functional ``keras.Model``.

    Parameters
    ----------
    name : str
        One of :data:`MODEL_NAMES`: ``fashion_dense``, ``fashion_cnn``,
        ``mnist_cnn``, ``cifar_baseline``, ``lenet5``, ``alexnet8``, ``vgg16``,
        ``inception10``, ``resnet18`` (see :func:`list_models`).
    input_shape : tuple of int, optional
        ``(height, width, channels)`` of one image (no batch axis); defaults to
        the model's own (28x28x1 for the Fashion-MNIST/MNIST models, 32x32x3
        for the CIFAR-10 ones). ``fashion_dense`` also takes ``(28, 28)``.
    num_classes : int >= 2
        Units of the final softmax layer.

    Returns
    -------
    keras.Model
        Built, not compiled, named ``name``; its output is a softmax over
        ``num_classes`` classes, shape ``(N, num_classes)``.

    Raises
    ------
    ValueError
        Unknown ``name`` (the message lists the valid ones), a malformed
        ``input_shape``, ``num_classes < 2``, or an input too small for the
        network's convolutions and poolings.

    See Also
    --------
    list_models : the names, default inputs and parameter counts, without building.
    cnn_course.training.train : fit the model.
    cnn_course.inspection.explain_params : its parameter counts, as arithmetic.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning
       applied to document recognition", Proc. IEEE 86(11):2278-2324, 1998 (``lenet5``).
    .. [2] A. Krizhevsky, I. Sutskever and G. E. Hinton, "ImageNet classification with
       deep convolutional neural networks", NeurIPS 2012 (``alexnet8``).
    .. [3] K. Simonyan and A. Zisserman, "Very deep convolutional networks for
       large-scale image recognition", arXiv:1409.1556, 2014 (``vgg16``).
    .. [4] C. Szegedy et al., "Going deeper with convolutions", CVPR 2015,
       arXiv:1409.4842 (``inception10``).
    .. [5] K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image
       recognition", CVPR 2016, arXiv:1512.03385 (``resnet18``).
    .. [6] S. Ioffe and C. Szegedy, "Batch normalization", ICML 2015, arXiv:1502.03167
       (the BatchNormalization layers of ``cifar_baseline``, ``alexnet8``, ``vgg16``,
       ``inception10``, ``resnet18``).

    Examples
    --------
    >>> model = build_model("fashion_cnn")
    >>> model.count_params()
    243786
    >>> model.output_shape
    (None, 10)
    """
    if not isinstance(name, str) or name not in _SPECS:
        raise ValueError(f"name must be one of {', '.join(MODEL_NAMES)}; got {name!r}")
    shape = _check_input_shape(name, input_shape)
    num_classes = check_int("num_classes", num_classes, 2)
    inputs = keras.Input(shape=shape, name="image")
    try:
        outputs = _BUILDERS[name](inputs, num_classes)
    except ValueError as err:  # e.g. a negative spatial size after too many poolings
        raise ValueError(f"input_shape {shape} is too small for {name}: {err}") from None
    if any(d is not None and d < 1 for d in outputs.shape[1:]):
        raise ValueError(f"input_shape {shape} is too small for {name}")
    return keras.Model(inputs, outputs, name=name)


def list_models() -> list[dict[str, Any]]:
    """The available networks with their default input and parameter counts.

    Returns
    -------
    list of dict
        One dict per model, keys ``name``, ``input_shape``, ``params``,
        ``trainable``, ``non_trainable`` (counts for the default input and 10
        classes, exactly what ``build_model(name).count_params()`` gives) and
        ``description``. Nothing is built, so this is instant.

    See Also
    --------
    build_model : build one of them.

    Examples
    --------
    >>> [m["name"] for m in list_models()][:3]
    ['fashion_dense', 'fashion_cnn', 'mnist_cnn']
    >>> list_models()[4]["params"]        # LeNet-5 for 32x32x3 images
    62006
    """
    return [
        {"name": n, "input_shape": s[0], "params": s[1], "trainable": s[2],
         "non_trainable": s[3], "description": s[4]}
        for n, s in _SPECS.items()
    ]


def build_deep_stack(depth: int, shortcuts: bool, filters: int = 16,
                     input_shape: Sequence[int] = (28, 28, 1), num_classes: int = 10
                     ) -> keras.Model:
    """A deep stack of 3x3 convolutions, with or without identity shortcuts.

    For the "why ResNet" lesson: the two variants have *the same layers and the
    same parameters*, only the ``Add`` of the shortcuts differs, so any gap in
    training loss comes from the shortcuts alone.

    Layout: stem ``conv_bn_relu`` (3x3, ``filters``) and 2x2 max-pool, then
    ``depth`` 3x3 convolutions (no bias, each followed by BN) grouped in pairs:
    with ``shortcuts=True`` each pair is a :func:`residual_block` (identity
    shortcut), otherwise the same pair without the ``Add``; then global average
    pooling and a softmax Dense layer.

    Parameters
    ----------
    depth : int, even, 2..200
        Number of 3x3 convolutions in the body (the stem not counted).
    shortcuts : bool
    filters : int >= 1
        Channels of every convolution.
    input_shape : (height, width, channels)
    num_classes : int >= 2

    Returns
    -------
    keras.Model
        Named ``plain_<depth>`` or ``residual_<depth>``; parameters
        ``9*C*F + F + 4*F + depth*(9*F*F + 4*F) + F*K + K``.

    See Also
    --------
    residual_block : one pair of convolutions with its shortcut.

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image
       recognition", CVPR 2016, arXiv:1512.03385 (Sec. 4.1: a deeper *plain* network
       trains to a higher error than a shallower one; the residual one does not).

    Examples
    --------
    >>> plain = build_deep_stack(4, shortcuts=False)
    >>> residual = build_deep_stack(4, shortcuts=True)
    >>> plain.count_params() == residual.count_params()
    True
    """
    depth = check_int("depth", depth, 2, 200)
    if depth % 2:
        raise ValueError(f"depth must be even (convolutions come in pairs), got {depth}")
    if not isinstance(shortcuts, bool):
        raise TypeError(f"shortcuts must be True or False, got {shortcuts!r}")
    filters = check_int("filters", filters, 1)
    num_classes = check_int("num_classes", num_classes, 2)
    if (not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3
            or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in input_shape)
            or min(input_shape[:2]) < 2):
        raise ValueError(f"input_shape must be (height, width, channels) with height, width "
                         f">= 2, got {input_shape!r}")
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = conv_bn_relu(inputs, filters, 3, name="stem")
    x = keras.layers.MaxPooling2D(2, name="stem_pool")(x)
    for i in range(1, depth // 2 + 1):
        if shortcuts:
            x = residual_block(x, filters, 1, name=f"block{i}")
        else:
            x = _plain_block(x, filters, name=f"block{i}")
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    kind = "residual" if shortcuts else "plain"
    return keras.Model(inputs, outputs, name=f"{kind}_{depth}")


def _check_shape3(input_shape: object, min_side: int) -> tuple[int, int, int]:
    if (not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3
            or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in input_shape)
            or min(input_shape[:2]) < min_side):
        raise ValueError(f"input_shape must be (height, width, channels) with height, width "
                         f">= {min_side}, got {input_shape!r}")
    return (int(input_shape[0]), int(input_shape[1]), int(input_shape[2]))


def _check_widths(widths: object) -> list[int]:
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or not widths:
        raise ValueError(f"widths must be a non-empty sequence of ints >= 1, got {widths!r}")
    return [check_int("widths", w, 1) for w in widths]


def build_cifar_resnet(blocks_per_stage: int = 1, shortcuts: bool = True,
                       widths: Sequence[int] = (16, 32, 64),
                       input_shape: Sequence[int] = (32, 32, 3), num_classes: int = 10
                       ) -> keras.Model:
    """A CPU-sized residual network for 32x32 images: He et al.'s CIFAR ResNets, depth 6n+2.

    Stem: 3x3 convolution (``widths[0]`` filters, no bias), BN, ReLU. Then one stage per
    width of ``blocks_per_stage`` (n) basic blocks; the first block of every stage after
    the first halves H and W with a stride-2 convolution (no pooling anywhere). Then global
    average pooling and a softmax Dense layer. With three widths the network has
    ``1 + 2 * 3 * n + 1 = 6n + 2`` layers with weights: ``n = 1, 2, 3`` give ResNet-8, -14,
    -20 (0.08, 0.17, 0.27 million parameters against ResNet-18's 11.2 million).

    With ``shortcuts=False`` every block is the same two convolutions without the ``Add``
    (and without the 1x1 projections of the stride-2 blocks, so the plain network has a few
    parameters fewer): the *plain* network of the paper's comparison.

    Parameters
    ----------
    blocks_per_stage : int, 1..50
        ``n``, the basic blocks per stage.
    shortcuts : bool
        Residual (True) or plain (False).
    widths : sequence of int >= 1
        Filters of each stage (He et al.: 16, 32, 64); each stage after the first halves
        H and W, so H, W >= ``2 ** (len(widths) - 1)``.
    input_shape : (H, W, C)
    num_classes : int >= 2

    Returns
    -------
    keras.Model
        Named ``resnet<depth>`` or ``plain<depth>``, mapping (N, H, W, C) to class
        probabilities (N, num_classes).

    See Also
    --------
    residual_block : the basic block (projection shortcut where the shape changes).
    build_deep_stack : plain and residual stacks at one resolution, for the training loss.
    build_model : ``"resnet18"``, the ImageNet-style ResNet the lesson compares this with.

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Deep residual learning for image
       recognition", CVPR 2016, arXiv:1512.03385 (Sec. 4.2: the 6n+2 networks for CIFAR-10
       with 16, 32 and 64 filters; here with projection shortcuts, option B).

    Examples
    --------
    >>> build_cifar_resnet(1).count_params()
    78714
    >>> build_cifar_resnet(2, shortcuts=False).name
    'plain14'
    """
    n = check_int("blocks_per_stage", blocks_per_stage, 1, 50)
    if not isinstance(shortcuts, bool):
        raise TypeError(f"shortcuts must be True or False, got {shortcuts!r}")
    widths = _check_widths(widths)
    shape = _check_shape3(input_shape, 2 ** (len(widths) - 1))
    num_classes = check_int("num_classes", num_classes, 2)
    depth = 2 * n * len(widths) + 2
    inputs = keras.Input(shape=shape, name="image")
    x = keras.layers.Conv2D(widths[0], 3, padding="same", use_bias=False,
                            name="stem_conv")(inputs)
    x = keras.layers.BatchNormalization(name="stem_bn")(x)
    x = keras.layers.Activation("relu", name="stem_relu")(x)
    for s, filters in enumerate(widths, start=1):
        for b in range(1, n + 1):
            strides = 2 if (s > 1 and b == 1) else 1
            p = f"stage{s}_block{b}"
            if shortcuts:
                x = residual_block(x, filters, strides, name=p)
                continue
            x = keras.layers.Conv2D(filters, 3, strides=strides, padding="same",
                                    use_bias=False, name=f"{p}_conv1")(x)
            x = keras.layers.BatchNormalization(name=f"{p}_bn1")(x)
            x = keras.layers.Activation("relu", name=f"{p}_relu1")(x)
            x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False,
                                    name=f"{p}_conv2")(x)
            x = keras.layers.BatchNormalization(name=f"{p}_bn2")(x)
            x = keras.layers.Activation("relu", name=f"{p}_relu2")(x)
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=f"{'resnet' if shortcuts else 'plain'}{depth}")


def build_downsampling_cnn(downsample: str = "pool", widths: Sequence[int] = (32, 64, 128),
                           input_shape: Sequence[int] = (32, 32, 3), num_classes: int = 10
                           ) -> keras.Model:
    """A small CNN that halves its maps by max pooling or by strided convolutions.

    Each stage is two ``conv_bn_relu``-style units (3x3, no bias, BN, ReLU). With
    ``downsample="pool"`` a 2x2 max pooling follows the second one; with ``"stride"`` the
    pooling is gone and the second convolution has stride 2 instead (Springenberg et al.'s
    "Strided-CNN"). The two networks have **the same parameters**; the strided one computes
    its second convolution at a quarter of the positions, so it needs fewer multiply-adds,
    and it *learns* how to downsample instead of taking the maximum. Then global average
    pooling and a softmax Dense layer.

    Parameters
    ----------
    downsample : {"pool", "stride"}
    widths : sequence of int >= 1
        Filters of each stage; each stage halves H and W (H, W >= ``2 ** len(widths)``).
    input_shape : (H, W, C)
    num_classes : int >= 2

    Returns
    -------
    keras.Model
        Named ``pooled_cnn`` or ``strided_cnn``; (N, H, W, C) -> (N, num_classes).
        Parameters: ``sum over stages of 9*C_in*F + 9*F*F + 2*4*F``, plus ``F*K + K``.

    See Also
    --------
    cnn_course.inspection.multiply_adds : what the stride saves, counted.
    cnn_course.pooling.pool2d : the pooling the strided network drops.

    References
    ----------
    .. [1] J. T. Springenberg, A. Dosovitskiy, T. Brox and M. Riedmiller, "Striving for
       simplicity: the all convolutional net", ICLR 2015 workshop, arXiv:1412.6806
       (max pooling replaced by a stride-2 convolution, with little or no loss).

    Examples
    --------
    >>> pooled = build_downsampling_cnn("pool")
    >>> strided = build_downsampling_cnn("stride")
    >>> pooled.count_params() == strided.count_params()
    True
    >>> strided.get_layer("stage1_conv2").strides
    (2, 2)
    """
    if downsample not in ("pool", "stride"):
        raise ValueError(f"downsample must be 'pool' or 'stride', got {downsample!r}")
    widths = _check_widths(widths)
    shape = _check_shape3(input_shape, 2 ** len(widths))
    num_classes = check_int("num_classes", num_classes, 2)
    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    for s, filters in enumerate(widths, start=1):
        for c in (1, 2):
            strides = 2 if (downsample == "stride" and c == 2) else 1
            p = f"stage{s}_conv{c}"
            x = keras.layers.Conv2D(filters, 3, strides=strides, padding="same",
                                    use_bias=False, name=p)(x)
            x = keras.layers.BatchNormalization(name=f"{p}_bn")(x)
            x = keras.layers.Activation("relu", name=f"{p}_relu")(x)
        if downsample == "pool":
            x = keras.layers.MaxPooling2D(2, name=f"stage{s}_pool")(x)
    x = keras.layers.GlobalAveragePooling2D(name="global_pool")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    name = "pooled_cnn" if downsample == "pool" else "strided_cnn"
    return keras.Model(inputs, outputs, name=name)


def build_encoder_decoder(widths: Sequence[int] = (16, 32), upsampling: str = "transpose",
                          input_shape: Sequence[int] = (28, 28, 1), kernel_size: int = 3
                          ) -> keras.Model:
    """A mirrored encoder-decoder that labels every pixel (binary segmentation).

    Encoder: per width ``F``, a ``kernel_size`` convolution (``"same"``, ReLU) and a 2x2
    max pooling, so the maps shrink by 2 per stage. Decoder, the mirror image: per width in
    reverse order, an upsampling by 2 that also convolves, then a 1x1 convolution with a
    sigmoid gives one probability per pixel, ``(N, H, W, C) -> (N, H, W, 1)``.

    ``upsampling="transpose"`` upsamples with a learnt ``Conv2DTranspose`` (kernel
    ``kernel_size``, stride 2, ``"same"``, ReLU); ``"nearest"`` / ``"bilinear"`` use a fixed
    ``UpSampling2D`` followed by a ``kernel_size`` convolution (ReLU) -- the same number of
    parameters, no checkerboard pattern [4]_.

    Parameters
    ----------
    widths : sequence of int >= 1
        Filters of the encoder stages; H and W must be divisible by ``2 ** len(widths)``.
    upsampling : {"transpose", "nearest", "bilinear"}
    input_shape : (H, W, C)
    kernel_size : int >= 1

    Returns
    -------
    keras.Model
        Named ``encoder_decoder``; layers ``conv1, pool1, ..., up1, ..., mask``.
        Parameters: ``k*k*(C_in*F + F)`` per convolution (encoder ``C -> F_1 -> F_2 ...``,
        decoder ``F_L -> F_L -> F_(L-1) ... -> F_1``), plus ``F_1 + 1`` for the mask.
        18,689 for the defaults.

    See Also
    --------
    cnn_course.upsampling.conv2d_transpose : what ``Conv2DTranspose`` computes, in NumPy.
    cnn_course.segmentation.iou : how good the predicted masks are.

    References
    ----------
    .. [1] H. Noh, S. Hong and B. Han, "Learning deconvolution network for semantic
       segmentation", ICCV 2015, arXiv:1505.04366 (mirrored encoder-decoder).
    .. [2] J. Long, E. Shelhamer and T. Darrell, "Fully convolutional networks for semantic
       segmentation", CVPR 2015, arXiv:1411.4038.
    .. [3] O. Ronneberger, P. Fischer and T. Brox, "U-Net: convolutional networks for
       biomedical image segmentation", MICCAI 2015, arXiv:1505.04597 (the same shape, plus
       skip connections).
    .. [4] A. Odena, V. Dumoulin and C. Olah, "Deconvolution and checkerboard artifacts",
       Distill, 2016.

    Examples
    --------
    >>> model = build_encoder_decoder()
    >>> model.output_shape, model.count_params()
    ((None, 28, 28, 1), 18689)
    """
    if upsampling not in ("transpose", "nearest", "bilinear"):
        raise ValueError("upsampling must be 'transpose', 'nearest' or 'bilinear', "
                         f"got {upsampling!r}")
    widths = _check_widths(widths)
    k = check_int("kernel_size", kernel_size, 1)
    shape = _check_shape3(input_shape, 2 ** len(widths))
    if shape[0] % 2 ** len(widths) or shape[1] % 2 ** len(widths):
        raise ValueError(f"input_shape's height and width must be divisible by "
                         f"2 ** len(widths) = {2 ** len(widths)}, got {shape}")
    inputs = keras.Input(shape=shape, name="image")
    x = inputs
    for s, filters in enumerate(widths, start=1):
        x = keras.layers.Conv2D(filters, k, padding="same", activation="relu", name=f"conv{s}")(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{s}")(x)
    for s, filters in enumerate(reversed(widths), start=1):
        if upsampling == "transpose":
            x = keras.layers.Conv2DTranspose(filters, k, strides=2, padding="same",
                                             activation="relu", name=f"up{s}")(x)
        else:
            x = keras.layers.UpSampling2D(2, interpolation=upsampling, name=f"up{s}_resize")(x)
            x = keras.layers.Conv2D(filters, k, padding="same", activation="relu",
                                    name=f"up{s}")(x)
    outputs = keras.layers.Conv2D(1, 1, activation="sigmoid", name="mask")(x)
    return keras.Model(inputs, outputs, name="encoder_decoder")


def set_bn_momentum(model: keras.Model, momentum: float) -> int:
    """Set the moving-average momentum of every ``BatchNormalization`` layer of ``model``.

    A BatchNorm layer normalises with the statistics of the current batch while it
    trains, and with its *moving* mean and variance at test time, updated after each
    training step as

    .. math:: \\mu_{\\text{moving}} \\leftarrow m\\,\\mu_{\\text{moving}} + (1 - m)\\,\\mu_{\\text{batch}} .

    They start at mean 0 and variance 1, so after :math:`t` steps a fraction
    :math:`m^t` of that starting value is left: with Keras' default :math:`m = 0.99`
    it takes about 460 steps to fall below 1%, with :math:`m = 0.9` about 44. A
    network trained for a few dozen steps (the course's quick mode) is therefore
    judged with wrong statistics unless the momentum is lowered before training.
    Call it **before** training (and before the first training step traces a graph);
    parameter counts do not change.

    Parameters
    ----------
    model : keras.Model
    momentum : float in [0, 1)
        New momentum :math:`m` of every ``BatchNormalization`` layer, nested
        models included.

    Returns
    -------
    int
        How many BatchNormalization layers were changed (0 for a network without any).

    Raises
    ------
    TypeError
        ``model`` is not a Keras model.
    ValueError
        ``momentum`` is not a number in [0, 1).

    See Also
    --------
    cnn_course.recipes.compact_cnn : built with BatchNorm momentum 0.9 for the same reason.

    References
    ----------
    .. [1] S. Ioffe and C. Szegedy, "Batch normalization", ICML 2015, arXiv:1502.03167.

    Examples
    --------
    >>> model = build_model("cifar_baseline")   # one BatchNormalization layer
    >>> set_bn_momentum(model, 0.9)
    1
    """
    check_model(model)
    if (isinstance(momentum, bool) or not isinstance(momentum, (int, float))
            or not 0.0 <= float(momentum) < 1.0):
        raise ValueError(f"momentum must be a number in [0, 1); got {momentum!r}")
    changed = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = float(momentum)
            changed += 1
        elif isinstance(layer, keras.Model):  # a nested model: its layers too
            changed += set_bn_momentum(layer, momentum)
    return changed


def build_narrow_vgg16(width_divisor: int = 4, input_shape: Sequence[int] = (32, 32, 3),
                       num_classes: int = 10) -> keras.Model:
    """VGG-16's layer pattern with every width divided by ``width_divisor``.

    The same 13 "same" 3x3 convolutions (each with BatchNorm and ReLU) in five stages,
    the same poolings, dropout and 3 dense layers as ``build_model("vgg16")``, with
    ``64/d, 128/d, 256/d, 512/d, 512/d`` channels and ``512/d``-unit dense layers.
    A convolution's weights and multiply-adds scale with ``C_in * C_out``, so dividing
    every width by ``d`` divides them by about ``d**2``: a network that can train for
    a few dozen steps on a CPU, for the quick mode of a lesson. ``width_divisor=1`` is
    exactly ``build_model("vgg16")`` (15,262,026 parameters on 32x32x3).

    Parameters
    ----------
    width_divisor : int in {1, 2, 4, 8, 16, 32, 64}
        Divides every width; it must divide 64, the narrowest stage.
    input_shape : tuple of int
        ``(height, width, channels)`` of one image, at least 1x1 after five "same" poolings.
    num_classes : int >= 2

    Returns
    -------
    keras.Model
        Built, not compiled, named ``vgg16_div{width_divisor}``; output ``(N, num_classes)``.

    Raises
    ------
    ValueError
        ``width_divisor`` does not divide 64, a malformed ``input_shape`` or ``num_classes < 2``.

    See Also
    --------
    build_model : ``"vgg16"``, the full-width network.

    References
    ----------
    .. [1] K. Simonyan and A. Zisserman, "Very deep convolutional networks for
       large-scale image recognition", arXiv:1409.1556, 2014.

    Examples
    --------
    >>> build_narrow_vgg16(4).count_params()
    959322
    """
    width_divisor = check_int("width_divisor", width_divisor, 1)
    if 64 % width_divisor:
        raise ValueError(f"width_divisor must divide 64 (1, 2, 4, 8, 16, 32 or 64); got {width_divisor}")
    shape = _check_input_shape("vgg16", input_shape)
    num_classes = check_int("num_classes", num_classes, 2)
    inputs = keras.Input(shape=shape, name="image")
    outputs = _vgg16_layers(inputs, num_classes, width_divisor)
    return keras.Model(inputs, outputs, name=f"vgg16_div{width_divisor}")
