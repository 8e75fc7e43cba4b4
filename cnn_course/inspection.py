"""Looking inside a Keras network: activations, parameter arithmetic, kernels.

- :func:`layer_outputs` runs one image through an *activation model*
  ``keras.Model(model.inputs, [every layer's output])`` and returns each
  layer's output.
- :func:`explain_params` explains every parameter count, e.g.
  ``conv1: 3*3*1*64 + 64 = 640``; the total equals ``model.count_params()``.
- :func:`conv_params` is that formula for one convolution, ``kh*kw*C_in*F + F``,
  and :func:`keras_conv_params` the count of a real Keras ``Conv2D`` to check it.
- :func:`plot_feature_maps` and :func:`plot_kernels` draw what a conv layer
  computes and what it has learnt.

Keras is reached through the lazy proxy of :mod:`cnn_course._lazy`: importing this module
does not import TensorFlow.

References
----------
.. [1] M. D. Zeiler and R. Fergus, "Visualizing and understanding convolutional networks",
   ECCV 2014, arXiv:1311.2901 (looking at feature maps and first-layer kernels).
.. [2] I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning*, MIT Press, 2016, Ch. 9
   (convolution: parameter sharing, the kernel of ``kh*kw*C_in*F`` weights).
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np

from ._lazy import keras
from ._validation import check_array, check_int, check_model, check_pair

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["layer_outputs", "explain_params", "ParamTable", "conv_params",
           "keras_conv_params", "multiply_adds", "plot_feature_maps", "plot_kernels"]


def _one_image_batch(model: Any, image: object) -> np.ndarray:
    """``image`` as a batch of one, shape (1, *model input shape)."""
    arr = check_array("image", image)
    want = tuple(model.input_shape[1:])

    def fits(shape: tuple[int, ...]) -> bool:
        return len(shape) == len(want) and all(w is None or w == g for w, g in zip(want, shape))

    if fits(arr.shape):
        batch = arr[None]
    elif arr.ndim == len(want) + 1 and arr.shape[0] == 1 and fits(arr.shape[1:]):
        batch = arr
    elif len(want) == 3 and want[-1] == 1 and fits(arr.shape + (1,)):
        batch = arr[None, ..., None]
    else:
        spec = ", ".join("?" if d is None else str(d) for d in want)
        raise ValueError(f"image must have shape ({spec}) or (1, {spec}) for model "
                         f"{model.name!r}, got {arr.shape}")
    return batch.astype("float32")


def _layers_with_outputs(model: Any) -> list[Any]:
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def layer_outputs(model: Any, image: object) -> dict[str, np.ndarray]:
    """Every layer's output for one image (inference mode: dropout off, BN moving stats).

    Builds the *activation model* ``keras.Model(model.inputs, [layer.output
    for layer in model.layers])`` and runs it once.

    Parameters
    ----------
    model : keras.Model
        A functional or built Sequential model.
    image : array, shape (H, W), (H, W, C) or (1, H, W, C)
        One image in the model's input format (``(H, W)`` for a model taking
        ``(H, W, 1)`` is accepted).

    Returns
    -------
    dict
        Layer name -> output array *without* the batch axis, in layer order,
        e.g. ``{"conv1": (26, 26, 64), "pool1": (13, 13, 64), ...}``.

    See Also
    --------
    plot_feature_maps : draw one layer's output channels.
    cnn_course.widgets : the interactive explorers of lessons 02-05.

    References
    ----------
    .. [1] M. D. Zeiler and R. Fergus, "Visualizing and understanding convolutional
       networks", ECCV 2014, arXiv:1311.2901.
    """
    check_model(model)
    batch = _one_image_batch(model, image)
    layers = _layers_with_outputs(model)
    if not layers:
        raise ValueError(f"model {model.name!r} has no layers besides its input")
    try:
        activation_model = keras.Model(model.input, [layer.output for layer in layers])
    except (AttributeError, ValueError) as err:
        raise ValueError(f"model {model.name!r} has no symbolic layer outputs; build it with "
                         f"the functional API or call it on keras.Input first ({err})") from None
    outputs = activation_model(batch, training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return {layer.name: np.asarray(out)[0] for layer, out in zip(layers, outputs)}


# --------------------------------------------------------------------------- parameters
@dataclass
class ParamTable:
    """Per-layer parameter arithmetic of a model (what :func:`explain_params` returns).

    Attributes
    ----------
    model_name : str
    rows : list of dict
        Keys ``layer``, ``type``, ``output_shape``, ``formula`` (e.g.
        ``"3*3*1*64 + 64"``), ``params``, ``non_trainable``.
    total, trainable, non_trainable : int
        ``total == model.count_params()``.
    """

    model_name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    trainable: int = 0
    non_trainable: int = 0

    def _lines(self) -> list[str]:
        header = ("layer (type)", "output shape", "parameters")
        body = []
        for r in self.rows:
            if r["params"]:
                arith = f"{r['formula']} = {r['params']}"
                if r["formula"] == str(r["params"]):
                    arith = str(r["params"])
                if r["non_trainable"]:
                    arith += f" ({r['non_trainable']} non-trainable)"
            else:
                arith = "0"
            body.append((f"{r['layer']} ({r['type']})", str(r["output_shape"]), arith))
        w0 = max(len(header[0]), *(len(b[0]) for b in body)) if body else len(header[0])
        w1 = max(len(header[1]), *(len(b[1]) for b in body)) if body else len(header[1])
        fmt = f"{{:<{w0}}}  {{:<{w1}}}  {{}}"
        lines = [f"Parameters of {self.model_name!r}", fmt.format(*header)]
        width = max(len(line) for line in lines[1:] + [fmt.format(*b) for b in body])
        lines.append("-" * width)
        lines += [fmt.format(*b) for b in body]
        lines.append("-" * width)
        lines.append(f"Total: {self.total:,} = {self.trainable:,} trainable "
                     f"+ {self.non_trainable:,} non-trainable")
        return lines

    def __str__(self) -> str:
        return "\n".join(self._lines())

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle) -> None:  # IPython
        p.text(str(self))

    def _repr_html_(self) -> str:
        rows = []
        for r in self.rows:
            arith = (f"{html.escape(r['formula'])} = {r['params']}" if r["params"] else "0")
            if r["non_trainable"]:
                arith += f" ({r['non_trainable']} non-trainable)"
            rows.append(f"<tr><td>{html.escape(r['layer'])} ({html.escape(r['type'])})</td>"
                        f"<td>{html.escape(str(r['output_shape']))}</td>"
                        f"<td style='text-align:left'>{arith}</td></tr>")
        return (f"<table><caption>Parameters of {html.escape(self.model_name)!r}</caption>"
                "<tr><th>layer (type)</th><th>output shape</th><th>parameters</th></tr>"
                + "".join(rows)
                + f"<tr><th colspan='3' style='text-align:left'>Total: {self.total:,} = "
                  f"{self.trainable:,} trainable + {self.non_trainable:,} non-trainable"
                  "</th></tr></table>")


def _shape_product(shape: tuple[int, ...]) -> str:
    return "*".join(str(int(d)) for d in shape) if shape else "1"


def _formula(layer: Any) -> str:
    """The parameter count of ``layer`` written as arithmetic on its weight shapes."""
    weights = layer.weights
    shapes = [tuple(w.shape) for w in weights]
    if (isinstance(layer, keras.layers.BatchNormalization) and shapes
            and all(s == shapes[0] and len(s) == 1 for s in shapes)):
        # gamma, beta (trained) and the moving mean and variance (not trained)
        return f"{len(shapes)}*{shapes[0][0]}"
    return " + ".join(_shape_product(s) for s in shapes)


def explain_params(model: Any) -> ParamTable:
    """Explain every layer's parameter count with its arithmetic.

    - Conv2D: ``kh*kw*C_in*F + F`` (kernel + one bias per filter), e.g.
      ``3*3*1*64 + 64 = 640``
    - Dense: ``n_in*n_out + n_out``, e.g. ``1600*128 + 128 = 204928``
    - BatchNormalization: ``4*C`` (gamma, beta, moving mean, moving variance;
      the last two, ``2*C``, are not trained), e.g. ``4*64 = 256 (128 non-trainable)``
    - any other layer: the product of each weight's shape, summed.

    Parameters
    ----------
    model : keras.Model
        Built model.

    Returns
    -------
    ParamTable
        Prints as a table; ``.total == model.count_params()``, ``.rows`` holds
        the per-layer numbers.

    See Also
    --------
    conv_params : the Conv2D formula for any kernel size and channel counts.
    cnn_course.models.list_models : the totals of the course's networks.

    References
    ----------
    .. [1] I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning*, MIT Press, 2016,
       Ch. 9 (convolution) and Sec. 6.4 (dense layers).
    .. [2] S. Ioffe and C. Szegedy, "Batch normalization", ICML 2015, arXiv:1502.03167
       (gamma and beta are learnt; the moving mean and variance are not).

    Examples
    --------
    >>> from cnn_course import build_model
    >>> table = explain_params(build_model("fashion_cnn"))
    >>> table.rows[0]["formula"], table.rows[0]["params"]
    ('3*3*1*64 + 64', 640)
    >>> table.total
    243786
    """
    check_model(model)
    if not model.built:
        raise ValueError(f"model {model.name!r} is not built: call it on data or build it "
                         f"with an input shape first")
    table = ParamTable(model_name=model.name)
    for layer in _layers_with_outputs(model):
        params = int(sum(int(np.prod(w.shape)) for w in layer.weights))
        non_trainable = int(sum(int(np.prod(w.shape)) for w in layer.non_trainable_weights))
        try:
            shape = layer.output.shape
            out_shape = tuple(shape)
        except (AttributeError, ValueError):
            out_shape = "?"
        table.rows.append({"layer": layer.name, "type": type(layer).__name__,
                           "output_shape": out_shape,
                           "formula": _formula(layer) if params else "0",
                           "params": params, "non_trainable": non_trainable})
    table.total = int(model.count_params())
    table.non_trainable = int(sum(int(np.prod(w.shape)) for w in model.non_trainable_weights))
    table.trainable = table.total - table.non_trainable
    return table


def conv_params(kernel_size: int | tuple[int, int], in_channels: int, filters: int,
                use_bias: bool = True) -> int:
    """Parameters of one 2-D convolution layer, by formula: ``kh*kw*C_in*F + F``.

    Each of the ``F`` filters has one ``kh x kw x C_in`` kernel (the same weights at
    every position: parameter sharing) and, with ``use_bias``, one bias. The image size
    does not appear: a convolution has as many parameters on 32x32 as on 224x224 images.

    Parameters
    ----------
    kernel_size : int or (kh, kw), >= 1
    in_channels : int >= 1
        ``C_in``, the channels of the layer's input.
    filters : int >= 1
        ``F``, the output channels.
    use_bias : bool
        ``False`` for convolutions followed by BatchNorm (ResNet, VGG-BN), whose shift
        makes a bias redundant.

    Returns
    -------
    int

    See Also
    --------
    keras_conv_params : the same count from a real Keras ``Conv2D``.
    explain_params : the formula of every layer of a model.

    References
    ----------
    .. [1] I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning*, MIT Press, 2016,
       Sec. 9.2 (parameter sharing).

    Examples
    --------
    >>> conv_params(3, 1, 64)                       # conv1 of fashion_cnn
    640
    >>> 3 * conv_params(3, 256, 256, use_bias=False) < conv_params(7, 256, 256, use_bias=False)
    True
    """
    kh, kw = check_pair("kernel_size", kernel_size, 1)
    in_channels = check_int("in_channels", in_channels, 1)
    filters = check_int("filters", filters, 1)
    if not isinstance(use_bias, bool):
        raise TypeError(f"use_bias must be True or False, got {use_bias!r}")
    return kh * kw * in_channels * filters + (filters if use_bias else 0)


def keras_conv_params(kernel_size: int | tuple[int, int], in_channels: int, filters: int,
                      use_bias: bool = True) -> int:
    """Parameters of a real ``keras.layers.Conv2D``, counted by Keras (``count_params``).

    The layer is built for ``in_channels`` input channels (any image size) and thrown
    away; use it to check :func:`conv_params` or a formula of your own.

    Parameters
    ----------
    kernel_size : int or (kh, kw), >= 1
    in_channels : int >= 1
    filters : int >= 1
    use_bias : bool

    Returns
    -------
    int
        Equal to ``conv_params(kernel_size, in_channels, filters, use_bias)``.

    See Also
    --------
    conv_params : the formula.

    Examples
    --------
    >>> keras_conv_params(5, 32, 64) == conv_params(5, 32, 64)
    True
    """
    size = check_pair("kernel_size", kernel_size, 1)
    in_channels = check_int("in_channels", in_channels, 1)
    filters = check_int("filters", filters, 1)
    if not isinstance(use_bias, bool):
        raise TypeError(f"use_bias must be True or False, got {use_bias!r}")
    layer = keras.layers.Conv2D(filters, size, use_bias=use_bias)
    layer.build((None, None, None, in_channels))
    return int(layer.count_params())


def multiply_adds(model: Any) -> int:
    """Multiply-adds a Keras model spends on one image (Conv2D and Dense layers).

    ``Conv2D``: ``kh * kw * C_in * F`` per output position, times ``H' * W'`` positions;
    ``Dense``: one per weight, ``n_in * n_out``. Pooling, activations, batch normalisation and
    bias additions are not counted (they are a few operations per value, far fewer than a
    convolution's), so this is the usual "MACs" figure papers quote.

    Parameters
    ----------
    model : keras.Model
        A built model (functional or Sequential with an input shape).

    Returns
    -------
    int
        Multiply-adds for one image.

    See Also
    --------
    explain_params : the parameters of each layer, with formulas.
    conv_params : the parameters of one convolution.

    Examples
    --------
    >>> import keras
    >>> m = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3),
    ...                       keras.layers.Flatten(), keras.layers.Dense(2)])
    >>> multiply_adds(m)                  # 3*3*1*4 * 6*6  +  144*2
    1584
    """
    check_model(model)
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw, c_in, filters = (int(v) for v in layer.kernel.shape)
            _, h, w, _ = layer.output.shape
            total += kh * kw * c_in * filters * int(h) * int(w)
        elif isinstance(layer, keras.layers.Dense):
            total += int(np.prod(layer.kernel.shape))
    return total


# --------------------------------------------------------------------------- plots
def _grid(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def plot_feature_maps(model: Any, image: object, layer_name: str, max_maps: int = 16) -> Figure:
    """Draw the feature maps (output channels) of one layer for one image.

    Parameters
    ----------
    model : keras.Model
    image : array, shape (H, W), (H, W, C) or (1, H, W, C)
    layer_name : str
        A layer with a 3-D output ``(H', W', F)`` (conv, pooling, BN, ...).
    max_maps : int >= 1
        Draw the first ``min(F, max_maps)`` channels.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per channel titled with its index, in a grid of up to 8
        columns; the figure title names the layer and its output shape.

    See Also
    --------
    layer_outputs : the numbers behind these pictures, for every layer.
    plot_kernels : the kernels that produced the first layer's maps.

    References
    ----------
    .. [1] M. D. Zeiler and R. Fergus, "Visualizing and understanding convolutional
       networks", ECCV 2014, arXiv:1311.2901.
    """
    check_model(model)
    max_maps = check_int("max_maps", max_maps, 1)
    names = [layer.name for layer in _layers_with_outputs(model)]
    if not isinstance(layer_name, str) or layer_name not in names:
        raise ValueError(f"layer_name must be one of {', '.join(names)}; got {layer_name!r}")
    layer = model.get_layer(layer_name)
    if len(layer.output.shape) != 4:
        maps = [n for n in names if len(model.get_layer(n).output.shape) == 4]
        raise ValueError(f"layer {layer_name!r} outputs shape {tuple(layer.output.shape[1:])}, "
                         f"not feature maps (H, W, F); choose one of {', '.join(maps)}")
    batch = _one_image_batch(model, image)
    fmap = np.asarray(keras.Model(model.input, layer.output)(batch, training=False))[0]
    n = min(fmap.shape[-1], max_maps)
    rows, cols = _grid(n, 8)
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.6 * rows + 0.5), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(fmap[..., i], cmap="viridis")
            ax.set_title(f"{i}", fontsize=8)
    fig.suptitle(f"{layer_name}: {n} of {fmap.shape[-1]} feature maps, "
                 f"each {fmap.shape[0]}x{fmap.shape[1]}")
    fig.tight_layout()
    return fig


def plot_kernels(model: Any, layer_name: str | None = None, max_kernels: int = 64) -> Figure:
    """Draw the learnt kernels of a Conv2D layer (the first one by default).

    Each filter's kernel ``W[:, :, :, f]`` (shape ``(kh, kw, C_in)``) is drawn
    as an RGB image when ``C_in == 3`` (each kernel min-max scaled to [0, 1]),
    otherwise its first input channel in gray.

    Parameters
    ----------
    model : keras.Model
    layer_name : str, optional
        Name of a Conv2D layer; default: the first Conv2D layer.
    max_kernels : int >= 1

    Returns
    -------
    matplotlib.figure.Figure

    See Also
    --------
    plot_feature_maps : what these kernels compute on an image.
    cnn_course.filters : hand-made kernels (Sobel, Gaussian, ...) to compare with.

    References
    ----------
    .. [1] A. Krizhevsky, I. Sutskever and G. E. Hinton, "ImageNet classification with
       deep convolutional neural networks", NeurIPS 2012 (Fig. 3: the learnt first-layer
       kernels look like oriented edge and colour-blob detectors).
    .. [2] M. D. Zeiler and R. Fergus, "Visualizing and understanding convolutional
       networks", ECCV 2014, arXiv:1311.2901.
    """
    check_model(model)
    max_kernels = check_int("max_kernels", max_kernels, 1)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    if not convs:
        raise ValueError(f"model {model.name!r} has no Conv2D layer")
    if layer_name is None:
        layer = convs[0]
    else:
        names = [c.name for c in convs]
        if layer_name not in names:
            raise ValueError(f"layer_name must name a Conv2D layer, one of {', '.join(names)}; "
                             f"got {layer_name!r}")
        layer = model.get_layer(layer_name)
    kernel = np.asarray(layer.kernel.numpy())  # (kh, kw, C_in, F)
    kh, kw, cin, nf = kernel.shape
    n = min(nf, max_kernels)
    rows, cols = _grid(n, 8)
    fig, axes = plt.subplots(rows, cols, figsize=(1.4 * cols, 1.4 * rows + 0.5), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        k = kernel[..., i]
        if cin == 3:
            lo, hi = k.min(), k.max()
            ax.imshow((k - lo) / (hi - lo) if hi > lo else np.zeros_like(k))
        else:
            ax.imshow(k[..., 0], cmap="gray")
        ax.set_title(f"{i}", fontsize=8)
    what = "RGB" if cin == 3 else ("input channel 0" if cin > 1 else "gray")
    fig.suptitle(f"{layer.name}: {n} of {nf} kernels, {kh}x{kw}x{cin} ({what})")
    fig.tight_layout()
    return fig
