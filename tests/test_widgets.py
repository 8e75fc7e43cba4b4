"""Interactive explorers: drive the controls from Python and check what they show.

Every number the widgets display must come from the library (conv2d, pool2d,
output_size, receptive_field), so the expected values below are computed with
the library and compared with the widget state.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

from cnn_course import filters, widgets  # noqa: E402
from cnn_course.conv import conv2d  # noqa: E402
from cnn_course.padding import output_size  # noqa: E402
from cnn_course.widgets import render  # noqa: E402
from cnn_course.pooling import pool2d  # noqa: E402
from cnn_course.receptive_field import receptive_field  # noqa: E402

FASHION = "fashion_mnist"


def _code(html_text: str) -> str:
    """Text of the <code> parts of an HTML snippet."""
    return " | ".join(re.findall(r"<code>(.*?)</code>", html_text))


@pytest.fixture
def conv():
    """A fresh explorer per test (on the 28x28 Fashion-MNIST image): no test sees another's
    settings, so the tests pass in any order."""
    w = widgets.conv_explorer()
    w.image.value = FASHION
    return w


# ----------------------------------------------------------------------------- conv explorer
def test_conv_formula_and_output_match_library(conv):
    conv.filter.value = "sobel_x"
    conv.dilation.value = 1
    conv.padding.value = 1
    conv.stride.value = 2
    assert "floor((28 + 2*1 - 3) / 2) + 1 = 14" in _code(conv.formula.value)
    x = conv.input_array
    assert x.shape == (28, 28)
    expected = conv2d(x, filters.sobel_x(), stride=2, padding=1)
    np.testing.assert_allclose(conv.output_array, expected)
    assert conv.output_array.shape == (output_size(28, 3, 2, 1),) * 2 == (14, 14)
    assert "padded 30x30" in conv.shapes.value and "output 14x14" in conv.shapes.value
    assert conv.message.value == "" and conv.output_view.layout.display != "none"
    assert conv.output_view.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_conv_same_padding_and_dilation(conv):
    conv.filter.value = "gaussian"
    conv.kernel_size.value = 5
    conv.sigma.value = 1.5
    conv.stride.value = 3
    conv.padding.value = "same"
    conv.dilation.value = 2
    kernel = filters.gaussian(5, 1.5)
    np.testing.assert_allclose(conv.kernel, kernel)
    expected = conv2d(conv.input_array, kernel, stride=3, padding="same", dilation=2)
    np.testing.assert_allclose(conv.output_array, expected, rtol=1e-5)
    assert conv.output_array.shape == (10, 10)          # ceil(28 / 3)
    # TensorFlow's same rule: total = (10 - 1)*3 + 9 - 28 = 8 -> 4 before, 4 after
    assert "k_eff = 2*(5 - 1) + 1 = 9;  floor((28 + 2*4 - 9) / 3) + 1 = 10" in \
        _code(conv.formula.value)


def test_conv_every_library_kernel_runs(conv):
    conv.stride.value, conv.padding.value, conv.dilation.value = 1, "valid", 1
    for name in filters.KERNELS:
        conv.filter.value = name
        assert conv.message.value == "", name
        k = conv.kernel.shape[0]
        assert conv.output_array.shape == (28 - k + 1,) * 2, name
        assert conv.kernel_size.value == k, name


def test_conv_custom_kernel(conv):
    conv.filter.value = widgets.CUSTOM
    assert conv.custom_box.layout.display != "none"
    values = [0, -1, 0, -1, 5, -1, 0, -1, 0]
    for cell, v in zip(conv.custom, values):
        cell.value = v
    conv.stride.value, conv.padding.value, conv.dilation.value = 1, 0, 1
    kernel = np.array(values, float).reshape(3, 3)
    np.testing.assert_allclose(conv.kernel, kernel)
    np.testing.assert_allclose(conv.output_array, conv2d(conv.input_array, kernel))
    conv.filter.value = "mean"
    assert conv.custom_box.layout.display == "none"


def test_conv_impossible_combination_shows_message_not_traceback(conv):
    conv.filter.value = "mean"
    conv.padding.value = "valid"
    conv.stride.value = 1
    conv.kernel_size.value = 15
    conv.dilation.value = 3                     # spans 43 pixels > 28
    assert "Impossible" in conv.message.value and "43x43" in conv.message.value
    assert conv.output_array is None
    assert conv.output_view.layout.display == "none"
    assert "does not fit" in conv.formula.value
    conv.dilation.value = 1                     # back to a valid combination: 28 - 15 + 1
    assert conv.message.value == "" and conv.output_array.shape == (14, 14)
    assert conv.output_view.layout.display != "none"


def test_conv_library_errors_become_messages(conv):
    conv.filter.value = "mean"
    conv.kernel_size.value = 4                  # filters.mean needs an odd size
    assert "odd" in conv.message.value and conv.output_array is None
    conv.kernel_size.value = 3
    assert conv.message.value == ""


def test_conv_numbers_are_formatted_for_people(conv):
    conv.filter.value = "mean"
    conv.kernel_size.value = 3
    assert ">0.111<" in conv.kernel_view.value
    assert "0.11111" not in conv.kernel_view.value
    assert "sum 1)" in conv.kernel_view.value
    assert render.fmt(1.9999999999999998) == "2"
    assert render.fmt(-0.30000000000000004) == "-0.3"
    assert render.fmt(1234.5678) == "1.23e+03"


def test_conv_user_image_rgb_and_validation():
    rgb = np.zeros((10, 12, 3), np.uint8)
    rgb[:, 6:] = 200
    w = widgets.conv_explorer(rgb)
    assert w.image.value == "user" and w.input_array.shape == (10, 12)
    w.padding.value, w.stride.value = "valid", 1
    # a non-square image gets one formula per axis
    assert "output height: <code>floor((10 + 2*0 - 3) / 1) + 1 = 8</code>" in w.formula.value
    assert "output width: <code>floor((12 + 2*0 - 3) / 1) + 1 = 10</code>" in w.formula.value
    with pytest.raises(ValueError, match="image must have 2 or 3 dimensions"):
        widgets.conv_explorer(np.zeros(5))
    with pytest.raises(TypeError, match="image must be a numeric array"):
        widgets.conv_explorer(np.array([["a"]]))


# ----------------------------------------------------------------------------- pooling
@pytest.mark.parametrize("mode", ["max", "avg", "l2", "sum"])
def test_pool_matches_pool2d(mode):
    w = widgets.pool_explorer()
    w.image.value = FASHION
    w.mode.value = mode
    w.pool_size.value = 3
    w.stride.value = 2
    w.padding.value = "valid"
    expected = pool2d(w.input_array, pool_size=3, stride=2, mode=mode)
    np.testing.assert_allclose(w.output_array, expected, rtol=1e-6)
    assert "floor((28 + 2*0 - 3) / 2) + 1 = 13" in _code(w.formula.value)
    assert "output 13x13" in w.shapes.value
    w.padding.value = "same"
    np.testing.assert_allclose(w.output_array, pool2d(w.input_array, 3, 2, "same", mode),
                               rtol=1e-6)
    assert w.output_array.shape == (14, 14)


def test_pool_impossible_window():
    w = widgets.pool_explorer(np.arange(25.0).reshape(5, 5))
    w.pool_size.value = 6
    assert "Impossible" in w.message.value and w.output_array is None
    w.padding.value = "same"                    # "same" pads the window in
    assert w.message.value == "" and w.output_array.shape == (3, 3)


# ----------------------------------------------------------------------------- stepper
def _written_sum(stepper) -> float:
    text = _code(stepper.arithmetic.value)
    lhs, rhs = text.rsplit("=", 1)
    assert re.fullmatch(r"[0-9().*+\- e]+", lhs), lhs
    return eval(lhs), float(rhs)  # noqa: S307 (digits and operators only, checked above)


def test_stepper_fills_one_cell_per_step():
    w = widgets.conv_stepper()
    assert w.matrix.shape == (6, 6) and w.kernel.shape == (3, 3)
    assert np.issubdtype(w.matrix.dtype, np.integer) and 0 <= w.matrix.min() <= w.matrix.max() <= 9
    np.testing.assert_allclose(w.output_array, conv2d(w.matrix, w.kernel))
    assert w.step.max == 16 and w.step.value == 0 and w.position is None
    for n in range(1, 17):
        w.step.value = n
        assert int(np.sum(~np.isnan(w.filled))) == n
        i, j = divmod(n - 1, 4)
        assert w.position == (i, j)
        lhs, rhs = _written_sum(w)
        assert lhs == pytest.approx(w.output_array[i, j]) == pytest.approx(rhs)
        assert w.filled[i, j] == w.output_array[i, j]
    assert "16 of 16 cells" in w.grid.value


def test_stepper_stride_padding_and_play_link():
    matrix = np.arange(36).reshape(6, 6) % 7
    kernel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])
    w = widgets.conv_stepper(matrix, kernel)
    w.padding.value = 1
    w.stride.value = 2
    expected = conv2d(matrix, kernel, stride=2, padding=1)
    np.testing.assert_allclose(w.output_array, expected)
    assert w.step.max == expected.size == 9
    w.play.value = 5                            # the Play button drives the step slider
    assert w.step.value == 5 and w.position == (1, 1)
    lhs, _ = _written_sum(w)
    assert lhs == expected[1, 1]
    assert "(-1)" in w.arithmetic.value         # negative factors in parentheses
    w.stride.value = 1                          # step is kept within the new range
    assert w.step.max == 36 and w.step.value == 5


def test_stepper_impossible_and_validation():
    w = widgets.conv_stepper(np.ones((2, 2), int), np.ones((3, 3), int))
    assert "Impossible" in w.message.value and w.output_array is None
    w.padding.value = 1
    assert w.message.value == "" and w.output_array.shape == (2, 2)
    with pytest.raises(ValueError, match="matrix must be between 1x1 and 12x12"):
        widgets.conv_stepper(np.zeros((20, 20)))


# ----------------------------------------------------------------------------- receptive field
def test_receptive_field_explorer_vgg_and_editing():
    w = widgets.receptive_field_explorer()
    assert [l["size"] for l in w.result] == [3, 5, 7]
    assert "<b>7x7</b>" in w.summary.value
    w.input_size.value = 32
    assert w.output_shape == (26, 26)
    w.add_layer("pool", 2, 2)
    assert w.preset.value == "(your own)"
    assert w.result == receptive_field([(3, 1), (3, 1), (3, 1), (2, 2)])
    assert w.result[-1]["size"] == 8 and w.result[-1]["jump"] == 2
    assert w.layers[-1].dilation.disabled
    w.layers[0].dilation.value = 2
    assert w.result[-1]["size"] == 10
    w.remove_button.click()
    w.remove_button.click()
    assert len(w.layers) == 2 and [l["size"] for l in w.result] == [5, 7]
    w.add_button.click()
    assert len(w.layers) == 3 and w.result[-1]["size"] == 9
    png = w.view.value
    w.row.value, w.col.value = 3, 4
    assert w.view.value != png and "output pixel (3, 4)" in w.summary.value


def test_receptive_field_explorer_presets_and_too_small_input():
    w = widgets.receptive_field_explorer()
    w.preset.value = "LeNet-5 (5x5 conv, 2x2 pool, x2)"
    assert [(l["size"], l["jump"]) for l in w.result] == [(5, 1), (6, 2), (14, 2), (16, 4)]
    w.input_size.value = 32
    n = 32
    for layer in w.result:
        n = output_size(n, layer["kernel"], layer["stride"])
    assert w.output_shape == (n, n) == (5, 5)
    w.input_size.value = 16                     # 16 -> 12 -> 6 -> 2 -> 1
    assert w.output_shape == (1, 1) and w.message.value == ""
    w.layers[2].kernel.value = 9                # 6 < 9: the stack no longer fits
    assert "shrinks" in w.message.value and w.output_shape is None


# ----------------------------------------------------------------------------- headless
def test_explorers_run_headless_in_a_kernel(tmp_path):
    """nbclient (as nbval in CI) builds and displays every explorer without a front end."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    source = (
        "import sys\n"
        "import cnn_course as cc\n"
        "from IPython.display import display\n"
        "ws = [cc.widgets.conv_explorer(), cc.widgets.conv_stepper(),\n"
        "      cc.widgets.pool_explorer(), cc.widgets.receptive_field_explorer()]\n"
        "for w in ws:\n"
        "    display(w)\n"
        "ws[1].step.value = 3\n"
        "print('tensorflow imported:', 'tensorflow' in sys.modules)\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    views = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert len(views) == 4
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "tensorflow imported: False" in text


def test_float_images_in_0_1_are_shown_with_their_grey_levels():
    """A [0, 1] float photo must not be drawn on a 0..255 scale (it would look black)."""
    import io

    from PIL import Image

    photo = np.linspace(0.0, 1.0, 64 * 64).reshape(64, 64)
    for explorer in (widgets.conv_explorer(photo), widgets.pool_explorer(photo)):
        shown = np.asarray(Image.open(io.BytesIO(explorer.input_view.value)), dtype=float)
        assert 100 < shown.mean() < 160, f"{type(explorer).__name__}: mean grey {shown.mean():.1f}"


# ----------------------------------------------------------------------------- structure and layout
@pytest.mark.parametrize("cls", [widgets.ConvExplorer, widgets.PoolExplorer, widgets.ConvStepper,
                                 widgets.ReceptiveFieldExplorer, widgets.LayerRow])
def test_explorers_are_documented_module_level_classes(cls):
    assert "<locals>" not in cls.__qualname__, cls.__qualname__
    assert cls.__module__.startswith("cnn_course.widgets."), cls.__module__
    assert cls.__doc__ and len(cls.__doc__.split()) > 15, f"{cls.__name__} needs a docstring"


def test_explorer_functions_return_their_classes():
    assert isinstance(widgets.conv_explorer(), widgets.ConvExplorer)
    assert isinstance(widgets.pool_explorer(), widgets.PoolExplorer)
    assert isinstance(widgets.conv_stepper(), widgets.ConvStepper)
    assert isinstance(widgets.receptive_field_explorer(), widgets.ReceptiveFieldExplorer)


def test_conv_fixed_size_filter_says_why_the_size_slider_is_disabled(conv):
    conv.filter.value = "sobel_x"
    assert conv.kernel_size.disabled and conv.kernel_size.value == 3
    assert "sobel_x is a fixed 3x3 kernel" in conv.kernel_note.value
    assert "kernel size" in conv.kernel_note.value and "not used" in conv.kernel_note.value
    conv.filter.value = "gaussian"
    assert not conv.kernel_size.disabled and not conv.sigma.disabled
    assert "gaussian uses kernel size and sigma" in conv.kernel_note.value
    conv.filter.value = widgets.CUSTOM
    assert conv.kernel_size.disabled and "fixed 3x3" in conv.kernel_note.value


def test_conv_large_kernel_table_stays_compact_and_keeps_its_numbers(conv):
    conv.filter.value = "gaussian"
    conv.kernel_size.value = 15
    view = conv.kernel_view.value
    sizes = [int(v) for v in re.findall(r"width:(\d+)px", view.split("<details>")[0])]
    assert sizes and max(sizes) * 15 <= render.KERNEL_TABLE_MAX_PX, sizes
    assert "<details>" in view                   # the text equivalent: every value
    centre = conv.kernel[7, 7]
    assert f">{render.fmt(centre)}<" in view.split("<details>")[1]
    assert f'title="[7, 7] = {render.fmt(centre)}"' in view
    conv.kernel_size.value = 5                   # small kernels: numbers in the cells
    assert "<details>" not in conv.kernel_view.value


def test_pool_formula_has_no_dilation_and_labels_fit():
    w = widgets.pool_explorer()
    assert "k_eff" not in w.formula.value and "d*(k" not in w.formula.value
    assert "out = floor((n + p_total - k) / s) + 1" in w.formula.value
    assert [label for label, _ in w.mode.options] == ["max", "average", "L2", "sum"]
    width = int(w.mode.style.button_width.rstrip("px"))
    assert width >= 8 * len("average"), "the 'average' button must not truncate its label"


def test_user_image_validation():
    with pytest.raises(ValueError, match="image must be at most 4096x4096"):
        widgets.conv_explorer(np.zeros((5000, 10)))
    with pytest.raises(ValueError, match="image must not contain NaN"):
        widgets.pool_explorer(np.full((8, 8), np.nan))
    with pytest.raises(TypeError, match="image must be a real"):
        widgets.pool_explorer(np.ones((8, 8), complex))
    with pytest.raises(ValueError, match="image must not be empty"):
        widgets.conv_explorer(np.zeros((0, 8)))


def test_receptive_field_explorer_offers_28_and_ignores_pool_dilation():
    w = widgets.receptive_field_explorer()
    assert 28 in w.input_size.options and w.input_size.value == 28
    assert w.output_shape == (22, 22)           # 28 - 3*2
    row = w.add_layer("pool", 2, 2, dilation=3)
    assert row.spec() == (2, 2, 1) and row.dilation.value == 1 and row.dilation.disabled
    assert "<b>8x8</b>" in w.summary.value and "rows 0..7, columns 0..7" in w.summary.value
    w.preset.value = "fashion_cnn (conv, pool, conv, pool)"
    assert [l["size"] for l in w.result] == [3, 4, 8, 10]  # as computed in lesson 08
    assert [l["jump"] for l in w.result] == [1, 2, 2, 4]
    assert w.output_shape == (5, 5)                         # 28 -> 26 -> 13 -> 11 -> 5
    with pytest.raises(ValueError, match="input_size must be one of"):
        widgets.receptive_field_explorer(input_size=30)


def test_docstring_examples_of_the_widget_modules():
    """tests/test_docstrings.py sees only the package; its modules' examples run here."""
    import doctest
    import importlib
    for name in ("render", "base", "conv_explorer", "pool_explorer", "stepper",
                 "receptive_field_explorer"):
        module = importlib.import_module(f"cnn_course.widgets.{name}")
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, f"cnn_course.widgets.{name}: {result.failed} failed"
