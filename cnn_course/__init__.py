"""cnn-course: the helper library of a hands-on course on convolutional networks.

The NumPy parts (convolution, pooling, filters, activations) import in a blink;
everything that needs TensorFlow/Keras is imported only when first used, so the
early lessons start fast. ``import cnn_course`` never imports TensorFlow.

Public API (``cnn_course.<name>``):

- set-up and data: ``setup``, ``load_dataset``, ``class_names``, ``dataset_info``,
  ``load_image_folder``
- training well: ``standardize_per_channel``, ``channel_statistics``,
  ``standard_augmentation``, ``augmentation_layers``, ``cosine_schedule``,
  ``one_cycle_schedule``, ``Recipe``, ``run_recipe``, ``compare_recipes``; modules
  ``augmentation``, ``schedules`` and ``recipes``
- NumPy operations: ``conv2d``, ``conv2d_naive``, ``output_size``, ``same_padding``,
  ``pad2d``, ``pool2d``, ``global_pool``; modules ``filters`` and ``activations``
- Keras models: ``build_model``, ``list_models``, ``conv_bn_relu``, ``cbapd_block``,
  ``inception_block``, ``residual_block``, ``build_deep_stack``, ``build_cifar_resnet``,
  ``build_downsampling_cnn``
- comparing architectures: ``compare_architectures``, ``architecture_table``,
  ``plot_architectures``
- training: ``train``, ``evaluate``, ``predict_labels``, ``seconds_per_step``,
  ``confusion_matrix``, ``per_class_accuracy``, ``export_weights``
- looking inside: ``layer_outputs``, ``explain_params``, ``conv_params``,
  ``keras_conv_params``; modules ``plots`` and ``widgets``
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
    "augmentation_layers": "augmentation",
    "DatasetNotFoundError": "data",
    # training well: standardisation, augmentation, schedules, recipes
    "standardize_per_channel": "augmentation",
    "channel_statistics": "augmentation",
    "standard_augmentation": "augmentation",
    "cosine_schedule": "schedules",
    "one_cycle_schedule": "schedules",
    "Recipe": "recipes",
    "run_recipe": "recipes",
    "compare_recipes": "recipes",
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
    "build_cifar_resnet": "models",
    "build_downsampling_cnn": "models",
    # comparing architectures on the same data, recipe and budget
    "compare_architectures": "comparison",
    "architecture_table": "comparison",
    "plot_architectures": "comparison",
    "ArchitectureResult": "comparison",
    # training toolkit
    "train": "training",
    "evaluate": "training",
    "clearly_above_chance": "training",
    "predict_labels": "training",
    "confusion_matrix": "training",
    "per_class_accuracy": "training",
    "export_weights": "training",
    "import_weights": "training",
    # upsampling and segmentation (NumPy) and the encoder-decoder
    "conv2d_transpose": "upsampling",
    "conv2d_transpose_naive": "upsampling",
    "transposed_output_size": "upsampling",
    "upsample2d": "upsampling",
    "digit_masks": "segmentation",
    "pixel_accuracy": "segmentation",
    "iou": "segmentation",
    "build_encoder_decoder": "models",
    "set_bn_momentum": "models",
    "build_narrow_vgg16": "models",
    "seconds_per_step": "training",
    # looking inside a network
    "layer_outputs": "inspection",
    "explain_params": "inspection",
    "conv_params": "inspection",
    "multiply_adds": "inspection",
    "keras_conv_params": "inspection",
    "plot_feature_maps": "inspection",
    "plot_kernels": "inspection",
    # what a CNN looks at: saliency, Grad-CAM, occlusion, top patches, kernels vs filters
    "input_gradient": "saliency_maps",
    "saliency": "saliency_maps",
    "smoothgrad": "saliency_maps",
    "fgsm": "saliency_maps",
    "grad_cam": "gradcam",
    "grad_cam_weights": "gradcam",
    "grad_cam_map": "gradcam",
    "layer_gradients": "gradcam",
    "occlusion_sensitivity": "occlusion",
    "occlusion_map": "occlusion",
    "top_activating_patches": "activation_patches",
    "compare_with_classic_filters": "kernels",
    "explain_image": "explorer",
    "explore_model": "widgets.model_explorer",
    # trained once, reused: the model cache
    "trained_model": "model_cache",
    "cached_training": "model_cache",
    # transfer learning and fine-tuning
    "feature_extractor": "transfer",
    "with_new_head": "transfer",
    "unfreeze_top": "transfer",
    "trainable_summary": "transfer",
    "pretrained_cnn": "transfer",
    "pretrained_base": "transfer",
    "imagenet_weights_available": "transfer",
    # how a CNN learns: losses, optimizers, backward passes, gradient checks
    "log_softmax": "losses",
    "softmax_cross_entropy": "losses",
    "cross_entropy": "losses",
    "sgd_step": "optimizers",
    "momentum_step": "optimizers",
    "adam_step": "optimizers",
    "adam_init": "optimizers",
    "AdamState": "optimizers",
    "dense": "backprop",
    "dense_backward": "backprop",
    "relu_backward": "backprop",
    "conv2d_backward": "backprop",
    "conv2d_backward_naive": "backprop",
    "pool2d_backward": "backprop",
    "pool2d_backward_naive": "backprop",
    "numerical_gradient": "gradient_check",
    "relative_error": "gradient_check",
    # more help on a failing check, one level at a time
    "hint": "checks.hints",
}
_SUBMODULES = {"padding", "filters", "activations", "plots", "widgets", "models", "training",
               "inspection", "data", "conv", "pooling", "config", "receptive_field", "checks",
               "images",
               "losses", "optimizers", "backprop", "gradient_check",
               "saliency_maps", "gradcam", "occlusion", "activation_patches", "kernels",
               "explorer", "model_cache", "transfer",
               "augmentation", "schedules", "recipes", "upsampling", "segmentation"}

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
