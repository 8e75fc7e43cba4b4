"""Interactive explorers (ipywidgets 8): convolution, pooling, receptive fields, a trained CNN.

Each function returns one widget (an ``ipywidgets.VBox`` subclass) to display in a
notebook cell; its controls and outputs are attributes, so a lesson or a test can drive
it by setting ``.value``::

    w = conv_explorer()
    w.filter.value = "sobel_x"
    w.stride.value = 2
    w.padding.value = 1
    w.formula.value        # "... floor((256 + 2*1 - 3) / 2) + 1 = 128 ..."
    w.output_array.shape   # (128, 128), computed by cnn_course.conv2d

=============================  ===========================================  ======
function                       class (module)                               lesson
=============================  ===========================================  ======
:func:`conv_stepper`           :class:`ConvStepper` (``stepper``)           02
:func:`conv_explorer`          :class:`ConvExplorer` (``conv_explorer``)    03, 04
:func:`pool_explorer`          :class:`PoolExplorer` (``pool_explorer``)    05
:func:`receptive_field_explorer`  :class:`ReceptiveFieldExplorer`           11
:func:`explore_model`          :class:`ModelExplorer` (``model_explorer``)  20
=============================  ===========================================  ======

Every number shown is computed by the library itself (:func:`cnn_course.conv2d`,
:func:`cnn_course.pool2d`, :func:`cnn_course.padding.output_size`,
:func:`cnn_course.receptive_field.receptive_field`): the widgets only display. Every
image has a text equivalent (the formula, shapes and captions), and the drawing
(PNG, HTML tables) lives in :mod:`cnn_course.widgets.render`; sample images come
from :mod:`cnn_course.images`.

The explorers work without a widget front end too (nbval/nbclient in CI): construction
and ``display`` never raise, and every state change is computed in Python when a
``.value`` is set. Importing this package imports ipywidgets (never TensorFlow);
``import cnn_course`` alone imports neither.
"""
from __future__ import annotations

from .conv_explorer import CUSTOM, ConvExplorer, conv_explorer
from .model_explorer import ModelExplorer, explore_model
from .pool_explorer import PoolExplorer, pool_explorer
from .receptive_field_explorer import LayerRow, ReceptiveFieldExplorer, receptive_field_explorer
from .stepper import ConvStepper, conv_stepper

__all__ = ["conv_explorer", "conv_stepper", "pool_explorer", "receptive_field_explorer",
           "explore_model", "ConvExplorer", "ConvStepper", "PoolExplorer",
           "ReceptiveFieldExplorer", "LayerRow", "ModelExplorer", "CUSTOM"]
