"""Transfer learning and fine-tuning: reuse a trained network's features on a new, small task.

The early layers of a CNN trained on many photos compute generic features (edges, colour
blobs, textures) that help on other photos too; the top layers are specific to the classes
it was trained on [1]_. So, for a new task with few images:

1. take a network trained on a large *source* task (:func:`pretrained_cnn`: the course
   pretrains its own, cached; :func:`pretrained_base`: ImageNet weights from
   ``keras.applications`` when the machine is online, see :func:`imagenet_weights_available`);
2. cut it below its classifier (:func:`feature_extractor`) and put a new head on it for the
   new classes, with the base frozen (:func:`with_new_head`): only the head learns;
3. then, optionally, unfreeze the top blocks (:func:`unfreeze_top`) and keep training with a
   learning rate about ten times lower (fine-tuning), BatchNormalization layers left in
   inference mode.

:func:`class_subset` picks the images of some classes (a source or target task made from one
data set) and :func:`trainable_summary` counts what will learn and what is frozen.

References
----------
.. [1] J. Yosinski, J. Clune, Y. Bengio and H. Lipson, "How transferable are features in deep
   neural networks?", NeurIPS 2014, arXiv:1411.1792.
.. [2] F. Chollet, "Transfer learning & fine-tuning", Keras developer guide,
   https://keras.io/guides/transfer_learning/ (freezing, ``training=False``, BatchNorm).
.. [3] M. Sandler et al., "MobileNetV2: inverted residuals and linear bottlenecks",
   CVPR 2018, arXiv:1801.04381.
"""
from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ._lazy import keras
from ._validation import check_int, check_model

if TYPE_CHECKING:  # pragma: no cover
    import keras as keras_types

    from .config import Config

__all__ = ["class_subset", "pretrained_cnn", "feature_extractor", "with_new_head",
           "unfreeze_top", "trainable_summary", "imagenet_weights_available",
           "pretrained_base", "IMAGENET_BASES", "OFFLINE_ENV"]

#: Set to 1 to treat the machine as offline without trying the network.
OFFLINE_ENV = "CNN_COURSE_OFFLINE"
_MOBILENET_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
#: ImageNet bases :func:`pretrained_base` knows: name -> (keras.applications class, the image
#: sizes its weights exist for, the weights file name for a size).
IMAGENET_BASES: dict[str, tuple[str, tuple[int, ...], str]] = {
    "mobilenet_v2": ("MobileNetV2", (96, 128, 160, 192, 224),
                     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_{size}_no_top.h5"),
}
_POOLING = ("MaxPooling2D", "AveragePooling2D")


def _labels(name: str, y: object, n: int) -> np.ndarray:
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1 or len(labels) != n or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{name} must be {n} integer labels, shape ({n},) or ({n}, 1), got "
                         f"shape {labels.shape} of dtype {labels.dtype}")
    return labels


def class_subset(x: object, y: object, classes: Sequence[str], class_names: Sequence[str],
                 per_class: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The images of some classes, relabelled ``0 .. len(classes) - 1`` in the order given.

    Parameters
    ----------
    x : array, shape (N, H, W, C) or (N, H, W)
        Images.
    y : int array, shape (N,) or (N, 1)
        Labels, indices into ``class_names``.
    classes : sequence of str
        The classes to keep (at least 2, no repeats), e.g. ``["airplane", "frog"]``.
    class_names : sequence of str
        The names of the labels of ``y`` (:func:`cnn_course.class_names`).
    per_class : int >= 1, optional
        Keep only the first ``per_class`` images of each class (all if None).

    Returns
    -------
    x_subset : array, shape (M, H, W, C)
        The chosen images, in their original order.
    y_subset : int64 array, shape (M,)
        ``y_subset[i] = classes.index(name of the original label)``.

    Examples
    --------
    >>> x, y = np.zeros((6, 2, 2, 3)), np.array([0, 1, 2, 2, 1, 0])
    >>> xs, ys = class_subset(x, y, ["c", "a"], ["a", "b", "c"])
    >>> xs.shape, ys.tolist()
    ((4, 2, 2, 3), [1, 0, 0, 1])

    See Also
    --------
    pretrained_cnn : pretrains on some classes, to transfer to others.
    """
    images = np.asarray(x)
    if images.ndim not in (3, 4):
        raise ValueError(f"x must be images of shape (N, H, W) or (N, H, W, C), got shape "
                         f"{images.shape}")
    labels = _labels("y", y, len(images))
    names = [str(n) for n in class_names] if not isinstance(class_names, str) else None
    if not names:
        raise TypeError(f"class_names must be a sequence of str, got {class_names!r}")
    if isinstance(classes, str) or not isinstance(classes, Sequence) or len(classes) < 2:
        raise ValueError(f"classes must be a sequence of at least 2 class names, got {classes!r}")
    unknown = [c for c in classes if c not in names]
    if unknown:
        raise ValueError(f"classes must be names of class_names {names}; unknown: {unknown}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"classes must not repeat a name, got {list(classes)}")
    if per_class is not None:
        per_class = check_int("per_class", per_class, 1)
    keep = []
    for name in classes:
        chosen = np.flatnonzero(labels == names.index(name))
        keep.append(chosen if per_class is None else chosen[:per_class])
    index = np.sort(np.concatenate(keep))
    lookup = {names.index(name): i for i, name in enumerate(classes)}
    return images[index], np.array([lookup[int(v)] for v in labels[index]], dtype=np.int64)


def pretrained_cnn(cfg: Config, classes: Sequence[str], dataset: str = "cifar10", *,
                   quick: int = 1500, epochs: int = 12, quick_epochs: int = 3,
                   widths: Sequence[int] = (32, 64, 128), batch_size: int = 64,
                   learning_rate: float = 2e-3, cache: str | os.PathLike | None = None
                   ) -> tuple[keras_types.Model, keras_types.callbacks.History]:
    """A CNN the course pretrains itself on some classes of a data set, trained once, cached.

    Recipe: the training images of ``classes`` (:func:`class_subset`), scaled to [0, 1];
    ``cfg.subset(..., quick=quick)``; ``cfg.epochs(epochs, quick_epochs)``;
    :func:`cnn_course.recipes.compact_cnn` named ``"source"`` (stages of 3x3 convolution,
    BatchNormalization, ReLU and 2x2 max pooling, then global average pooling and a softmax);
    Adam with ``learning_rate``, 10 % of the images for validation. Cached by
    :func:`cnn_course.model_cache.cached_training` under a key that includes the classes, so
    another lesson (or a second run) with the same arguments loads it instead of training.

    Parameters
    ----------
    cfg : Config
        From :func:`cnn_course.setup` (mode and seed).
    classes : sequence of str
        The source classes, e.g. the CIFAR-10 classes a later target task does *not* use.
    dataset : str
        A data set of :func:`cnn_course.load_dataset` with colour or grey images.
    quick : int >= 1
        Training images in quick mode (full mode: all images of ``classes``).
    epochs, quick_epochs : int >= 1
        Epochs in full and quick mode.
    widths : sequence of int >= 1
        Filters of each stage of the network.
    batch_size : int >= 1
    learning_rate : float > 0
    cache : path, optional
        Model cache folder (default :func:`cnn_course.model_cache.cache_dir`).

    Returns
    -------
    model : keras.Model
        Maps (N, H, W, C) images in [0, 1] to (N, len(classes)) probabilities; layers
        ``source_s1c1_conv`` ... ``source_gap`` (the features), ``source_softmax``.
    history : keras.callbacks.History

    See Also
    --------
    feature_extractor, with_new_head : reuse it on a new task.
    cnn_course.model_cache.trained_model : the standard recipe, cached the same way.

    References
    ----------
    Yosinski et al. 2014 (module References [1]).
    """
    from .config import Config
    from .data import class_names, load_dataset
    from .model_cache import cached_training
    from .recipes import compact_cnn

    if not isinstance(cfg, Config):
        raise TypeError(f"cfg must be the Config returned by cnn_course.setup(), got "
                        f"{type(cfg).__name__}")
    quick = check_int("quick", quick, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)) \
            or not 0 < learning_rate <= 1:
        raise ValueError(f"learning_rate must be a float in (0, 1], got {learning_rate!r}")
    widths = [check_int("widths", w, 1) for w in widths]
    names = class_names(dataset)
    (x_train, y_train), _ = load_dataset(dataset)
    x_src, y_src = class_subset(x_train, y_train, list(classes), names)
    x_fit, y_fit = cfg.subset(x_src, y_src, quick=quick)
    n_epochs = cfg.epochs(epochs, quick=quick_epochs)

    def fit() -> tuple[Any, Any]:
        from .training import train

        x = np.asarray(x_fit, dtype=np.float32) / 255.0
        if x.ndim == 3:
            x = x[..., None]
        model = compact_cnn(x.shape[1:], len(classes), widths=widths, convs_per_stage=1,
                            name="source")
        model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = train(model, x, y_fit, epochs=n_epochs, batch_size=batch_size,
                        validation_split=0.1, verbose=0)
        return model, history

    return cached_training("source_cnn", dataset, len(x_fit), n_epochs, cfg.seed, fit,
                           settings={"recipe": "pretrained_cnn", "classes": list(classes),
                                     "widths": widths, "batch_size": batch_size,
                                     "learning_rate": float(learning_rate),
                                     "scaling": "x / 255, float32"},
                           cache=cache, verbose=cfg.verbose)


def feature_extractor(model: keras_types.Model, up_to: str) -> keras_types.Model:
    """The part of ``model`` from its input up to (and including) the layer ``up_to``.

    The new model shares its layers (and weights) with ``model``: it is a view, not a copy.

    Parameters
    ----------
    model : keras.Model
        A functional model with one input.
    up_to : str
        The name of the last layer kept, e.g. the global pooling before the classifier
        (``"source_gap"``): its output, shape (N, features) or (N, h, w, channels), is the
        feature vector the new head reads.

    Returns
    -------
    keras.Model
        Named ``"<model name>_features"``, mapping ``model``'s input to ``up_to``'s output.

    Examples
    --------
    >>> base = feature_extractor(source, up_to="source_gap")   # doctest: +SKIP
    >>> base.output.shape                                        # doctest: +SKIP
    (None, 128)

    See Also
    --------
    with_new_head : a new classifier on these features.
    cnn_course.inspection.layer_outputs : the outputs of every layer for one image.

    References
    ----------
    Keras guide "Transfer learning & fine-tuning" (module References [2]).
    """
    check_model(model)
    if not isinstance(up_to, str):
        raise TypeError(f"up_to must be a layer name (str), got {type(up_to).__name__}")
    names = [layer.name for layer in model.layers]
    if up_to not in names:
        raise ValueError(f"up_to must be the name of a layer of {model.name}, got {up_to!r}; "
                         f"its layers are {names}")
    if len(model.inputs) != 1:
        raise ValueError(f"model must have one input, got {len(model.inputs)}")
    return keras.Model(model.inputs, model.get_layer(up_to).output,
                       name=f"{model.name}_features")


def with_new_head(base: keras_types.Model, num_classes: int, freeze: bool = True,
                  dropout: float = 0.0, name: str = "transfer") -> keras_types.Model:
    """A new classifier on top of ``base``: ``softmax(W features + b)``, with ``base`` frozen.

    ``base`` is called as one layer with ``training=False``: its BatchNormalization layers
    normalise with their stored moving statistics (inference mode) whatever happens later,
    also after :func:`unfreeze_top`. Otherwise a few small batches of the new task would
    overwrite the statistics the pretrained weights were learnt with, and fine-tuning
    would start by destroying what it should refine [2]_.

    Parameters
    ----------
    base : keras.Model
        Maps (N, H, W, C) images to features (N, F) (or (N, h, w, c), flattened here).
    num_classes : int >= 2
        Classes of the new task.
    freeze : bool
        ``base.trainable = not freeze``: frozen, only the head's ``F * num_classes +
        num_classes`` parameters learn.
    dropout : float in [0, 1)
        Dropout before the new head (0: none).
    name : str

    Returns
    -------
    keras.Model
        Uncompiled; layers ``image`` (input), ``base``, optionally ``flatten`` and
        ``head_dropout``, then ``head`` (Dense, softmax). Compile it after any change of
        ``trainable`` (Keras reads the flags when compiling).

    See Also
    --------
    feature_extractor : cut a trained network below its classifier.
    unfreeze_top : fine-tune the top blocks afterwards.
    trainable_summary : what will learn.

    References
    ----------
    Yosinski et al. 2014; Keras guide "Transfer learning & fine-tuning" (module
    References [1], [2]).
    """
    check_model(base, "base")
    num_classes = check_int("num_classes", num_classes, 2)
    if not isinstance(freeze, bool):
        raise TypeError(f"freeze must be a bool, got {type(freeze).__name__}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
            or not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be a float in [0, 1), got {dropout!r}")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str, got {name!r}")
    if len(base.inputs) != 1 or len(base.outputs) != 1:
        raise ValueError("base must have one input and one output")
    base.trainable = not freeze
    inputs = keras.Input(shape=tuple(base.inputs[0].shape[1:]), name="image")
    x = base(inputs, training=False)        # BatchNorm in inference mode, frozen or not
    if len(x.shape) > 2:
        x = keras.layers.Flatten(name="flatten")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name=name)


def _nested_base(model: Any) -> Any:
    inner = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if len(inner) > 1:
        raise ValueError(f"model must hold at most one nested base model, found "
                         f"{[m.name for m in inner]}")
    return inner[0] if inner else model


def _blocks(base: Any) -> list[list[Any]]:
    """The base's layers in blocks, each ending at a pooling layer; trailing layers without
    weights (e.g. a global pooling) join the last block."""
    blocks: list[list[Any]] = [[]]
    for layer in base.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        blocks[-1].append(layer)
        if type(layer).__name__ in _POOLING:
            blocks.append([])
    tail = blocks.pop()
    if tail and any(layer.weights for layer in tail):
        blocks.append(tail)
    elif blocks:
        blocks[-1].extend(tail)
    return [b for b in blocks if b]


def unfreeze_top(model: keras_types.Model, blocks: int = 1) -> list[str]:
    """Make the top ``blocks`` blocks of the base trainable for fine-tuning; BatchNorm stays frozen.

    A *block* is a run of layers ending at a pooling layer (one stage of the course's
    networks: convolution, BatchNormalization, ReLU, max pooling); layers without weights
    after the last pooling belong to the last block. The base is the model nested in
    ``model`` by :func:`with_new_head` (or ``model`` itself). Below the top ``blocks``
    everything stays frozen, and every BatchNormalization layer keeps ``trainable = False``
    (Keras 3 then runs it in inference mode, with its moving statistics): on a few hundred
    images its statistics would be re-estimated from small batches and the features the
    layers above were trained on would shift [2]_.

    Compile the model again afterwards, with a learning rate about 10x lower than for the
    head: the pretrained weights should move a little, not be retrained.

    Parameters
    ----------
    model : keras.Model
        A model of :func:`with_new_head` (or a base model).
    blocks : int >= 1
        How many blocks, counted from the top, learn; at most the base's number of blocks.

    Returns
    -------
    list of str
        The names of the layers with weights that are now trainable (BatchNorm excluded).

    See Also
    --------
    with_new_head : the model this fine-tunes.
    trainable_summary : count what learns now.

    References
    ----------
    Yosinski et al. 2014; Keras guide "Transfer learning & fine-tuning" (module
    References [1], [2]).
    """
    check_model(model)
    base = _nested_base(model)
    groups = _blocks(base)
    blocks = check_int("blocks", blocks, 1, max(len(groups), 1))
    base.trainable = True
    top = {id(layer) for group in groups[-blocks:] for layer in group}
    opened = []
    for layer in base.layers:
        learn = id(layer) in top and not isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = learn
        if learn and layer.weights:
            opened.append(layer.name)
    return opened


def _params(weights: Sequence[Any]) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def trainable_summary(model: keras_types.Model) -> dict[str, Any]:
    """What learns and what is frozen: parameter counts and one row per layer with weights.

    Parameters
    ----------
    model : keras.Model
        Nested models (a base in a :func:`with_new_head` model) are opened up.

    Returns
    -------
    dict
        ``trainable_params`` (updated by the optimizer), ``frozen_params`` (everything else,
        BatchNorm moving statistics included; the two add up to ``model.count_params()``)
        and ``layers``: a list of ``{"name", "class", "trainable", "params"}`` for every
        layer holding weights, input first.

    Examples
    --------
    >>> summary = trainable_summary(with_new_head(base, 3))   # doctest: +SKIP
    >>> summary["trainable_params"]                             # doctest: +SKIP
    387

    See Also
    --------
    with_new_head, unfreeze_top : which change the flags.
    cnn_course.inspection.explain_params : where each count comes from.

    References
    ----------
    Keras guide "Transfer learning & fine-tuning" (module References [2]).
    """
    check_model(model)
    rows = []

    def walk(layers: Sequence[Any]) -> None:
        for layer in layers:
            if isinstance(layer, keras.Model):
                walk(layer.layers)
            elif layer.weights:
                rows.append({"name": layer.name, "class": type(layer).__name__,
                             "trainable": bool(layer.trainable and layer.trainable_weights),
                             "params": _params(layer.weights)})

    walk(model.layers)
    trainable = _params(model.trainable_weights)
    return {"trainable_params": trainable,
            "frozen_params": int(model.count_params()) - trainable, "layers": rows}


def _weights_file(name: str, size: int) -> str:
    if name not in IMAGENET_BASES:
        raise ValueError(f"name must be one of {sorted(IMAGENET_BASES)}, got {name!r}")
    _, sizes, pattern = IMAGENET_BASES[name]
    size = check_int("size", size, 1)
    if size not in sizes:
        raise ValueError(f"size must be one of {sizes} for {name}, got {size}")
    return pattern.format(size=size)


def imagenet_weights_available(name: str = "mobilenet_v2", size: int = 96,
                               timeout: float = 2.0) -> tuple[bool, str]:
    """Whether ``keras.applications`` can get the ImageNet weights of ``name``, and why (not).

    Looks first in Keras' download cache (``$KERAS_HOME/models`` or ``~/.keras/models``);
    then, unless ``$CNN_COURSE_OFFLINE`` is 1, asks the download server for the file's
    headers (an HTTP HEAD request, nothing downloaded) with a ``timeout``. Never raises for
    a network problem: an offline machine gets ``(False, reason)``.

    Parameters
    ----------
    name : str
        A key of :data:`IMAGENET_BASES` (``"mobilenet_v2"``).
    size : int
        Image side the weights are for (MobileNetV2: 96, 128, 160, 192 or 224).
    timeout : float in (0, 60]
        Seconds to wait for the server.

    Returns
    -------
    available : bool
    reason : str
        Where the weights are, or why they cannot be had.

    Examples
    --------
    >>> ok, reason = imagenet_weights_available(timeout=1.0)   # doctest: +SKIP
    >>> print(ok, reason)                                       # doctest: +SKIP
    False offline: https://storage.googleapis.com/... not reachable (URLError: ...)

    See Also
    --------
    pretrained_base : the base built with those weights.
    """
    filename = _weights_file(name, size)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
            or not 0 < timeout <= 60:
        raise ValueError(f"timeout must be a number of seconds in (0, 60], got {timeout!r}")
    from .data import _keras_home

    cached = _keras_home() / "models" / filename
    if cached.is_file() and cached.stat().st_size > 0:
        return True, f"found in Keras' cache: {cached}"
    if os.environ.get(OFFLINE_ENV, "").strip() in ("1", "true", "yes"):
        return False, f"offline: ${OFFLINE_ENV} is set, and {cached} is not there"
    url = _MOBILENET_URL + filename
    try:
        request = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(request, timeout=float(timeout)) as response:
            status = getattr(response, "status", 200)
    except (urllib.error.URLError, OSError, ValueError) as err:
        why = getattr(err, "reason", err)
        return False, (f"offline: {url} not reachable within {timeout:g} s "
                       f"({type(err).__name__}: {why}), and {cached} is not there")
    if status != 200:
        return False, f"the server answered {status} for {url}"
    return True, f"downloadable from {url} (Keras caches it in {cached.parent})"


def pretrained_base(input_shape: Sequence[int] = (32, 32, 3), name: str = "mobilenet_v2",
                    size: int = 96, timeout: float = 2.0) -> keras_types.Model:
    """An ImageNet-trained base from ``keras.applications``, frozen, for images in [0, 1].

    The model resizes the images to ``size`` x ``size``, rescales [0, 1] to [-1, 1] (what
    MobileNetV2 was trained on), runs the network without its classifier and global-average
    pools: (N, H, W, 3) in [0, 1] -> (N, 1280) features. It downloads the weights once
    (about 9 MB, cached by Keras) and so needs the network the first time.

    Parameters
    ----------
    input_shape : (H, W, 3)
    name : str
        A key of :data:`IMAGENET_BASES`.
    size : int
        Side the images are resized to; one of the sizes the weights exist for.
    timeout : float
        Passed to :func:`imagenet_weights_available`, checked first.

    Returns
    -------
    keras.Model
        Frozen (``trainable = False``); put a head on it with :func:`with_new_head`.

    Raises
    ------
    RuntimeError
        If the weights are not available (offline and not cached), with the reason.

    See Also
    --------
    imagenet_weights_available : ask first, without an exception.
    with_new_head : the new classifier.

    References
    ----------
    Sandler et al. 2018 (MobileNetV2); Keras guide "Transfer learning & fine-tuning" (module
    References [3], [2]).
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3 \
            or input_shape[-1] != 3:
        raise ValueError(f"input_shape must be (H, W, 3), got {input_shape!r}")
    shape = tuple(check_int("input_shape", d, 1) for d in input_shape)
    ok, reason = imagenet_weights_available(name, size, timeout)
    if not ok:
        raise RuntimeError(f"ImageNet weights of {name} not available: {reason}")
    cls = getattr(keras.applications, IMAGENET_BASES[name][0])
    network = cls(input_shape=(size, size, 3), include_top=False, weights="imagenet")
    network.trainable = False
    inputs = keras.Input(shape=shape, name="image")
    x = keras.layers.Resizing(size, size, name="resize")(inputs)
    x = keras.layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(x)
    x = network(x, training=False)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    base = keras.Model(inputs, x, name=f"{name}_imagenet")
    base.trainable = False
    return base

