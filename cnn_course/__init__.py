"""cnn-course: the helper library of a hands-on course on convolutional networks.

The NumPy parts (convolution, pooling, filters, activations) import in a blink;
everything that needs TensorFlow/Keras is imported only when first used, so the
early lessons start fast. ``import cnn_course`` never imports TensorFlow.

Public API (``cnn_course.<name>``):

- set-up and data: ``setup``, ``load_dataset``, ``class_names``, ``dataset_info``,
  ``load_image_folder``, ``augmentation_layers``
- NumPy operations: ``conv2d``, ``conv2d_naive``, ``output_size``, ``same_padding``,
  ``pad2d``, ``pool2d``, ``global_pool``; modules ``filters`` and ``activations``
- Keras models: ``build_model``, ``list_models``, ``conv_bn_relu``, ``cbapd_block``,
  ``inception_block``, ``residual_block``, ``build_deep_stack``
- training: ``train``, ``evaluate``, ``predict_labels``, ``confusion_matrix``,
  ``per_class_accuracy``, ``export_weights``
- looking inside: ``layer_outputs``, ``explain_params``; modules ``plots`` and ``widgets``
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> module that defines it. Modules load on first attribute access.
_API = {
    # set-up and data (no TensorFlow until a Keras download or image folder is needed)
    "setup": "config",
    "Config": "config",
    "load_dataset": "data",
    "class_names": "data",
    "dataset_info": "data",
    "load_image_folder": "data",
    "augmentation_layers": "data",
    "DatasetNotFoundError": "data",
    # NumPy core
    "conv2d": "conv",
    "conv2d_naive": "conv",
    "output_size": "padding",
    "same_padding": "padding",
    "pad2d": "padding",
    "pool2d": "pooling",
    "global_pool": "pooling",
    # Keras models and building blocks
    "build_model": "models",
    "list_models": "models",
    "conv_bn_relu": "models",
    "cbapd_block": "models",
    "inception_block": "models",
    "residual_block": "models",
    "build_deep_stack": "models",
    # training toolkit
    "train": "training",
    "evaluate": "training",
    "predict_labels": "training",
    "confusion_matrix": "training",
    "per_class_accuracy": "training",
    "export_weights": "training",
    # looking inside a network
    "layer_outputs": "inspection",
    "explain_params": "inspection",
    "plot_feature_maps": "inspection",
    "plot_kernels": "inspection",
}
_SUBMODULES = {"padding", "filters", "activations", "plots", "widgets", "models", "training",
               "inspection", "data", "conv", "pooling", "config", "exercises", "receptive_field", "checks", "grading", "doctor"}

__all__ = sorted(_API) + sorted(_SUBMODULES)


def __getattr__(name: str) -> Any:
    if name in _API:
        module = importlib.import_module(f".{_API[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'cnn_course' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
