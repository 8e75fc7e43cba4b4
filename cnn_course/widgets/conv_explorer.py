"""The convolution explorer (lessons 03-04): a filter on a real image, with every size written out."""
from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np

from .._lazy import ipywidgets
from ..conv import conv2d
from ..padding import output_size, pad2d, resolve_padding
from .base import DESCRIPTION_WIDTH, ImageExplorer, box_line, labelled, scale_for, show, \
    shown_factor, slider
from .render import PAD_TINT, display_range, fmt, formula_html, kernel_html, shape_text, to_rgb

__all__ = ["ConvExplorer", "conv_explorer", "CUSTOM"]

CUSTOM = "custom 3x3"
PARAMETERS = ("size", "sigma", "neighbours")     # filter arguments the explorer has controls for


def padding_options(k_eff: int) -> list[tuple[str, Any]]:
    """The padding choices: "valid", "same" and 0..k_eff pixels."""
    return [("valid", "valid"), ("same", "same")] + [(str(p), p) for p in range(0, k_eff + 1)]


class ConvExplorer(ImageExplorer):
    """Explore a 2-D convolution on a real image: filter, kernel size, stride, padding, dilation.

    Build it with :func:`conv_explorer`. Controls ``image``, ``filter``, ``kernel_size``,
    ``sigma``, ``neighbours``, ``custom`` (9 ``FloatText``, row by row), ``stride``,
    ``padding`` (``"valid"``, ``"same"`` or an int 0..k_eff) and ``dilation``; outputs
    ``input_view`` and ``output_view`` (``ipywidgets.Image``: the padded input with the
    first two windows outlined, and the result at the same scale), ``kernel_view``,
    ``kernel_note``, ``formula``, ``shapes`` and ``message`` (``ipywidgets.HTML``, the
    text equivalent of the images); arrays ``kernel``, ``output_array`` (the last
    :func:`cnn_course.conv2d` result, ``None`` when the combination is impossible) and
    ``input_array`` (the image being filtered, float32 (H, W)).
    """

    def __init__(self, image: Any = None) -> None:
        from ..filters import KERNELS
        self._kernels: dict[str, Callable] = dict(KERNELS)
        self._build_image_choice(image)
        self._build_controls()
        images = self._image_panels()
        self.kernel_view = ipywidgets.HTML()
        self.kernel: np.ndarray | None = None
        self._input_key: tuple | None = None
        controls = ipywidgets.VBox(
            [self.image, self.filter, self.kernel_size, self.sigma,
             labelled("neighbours", self.neighbours), self.stride, self.padding, self.dilation],
            layout=ipywidgets.Layout(margin="0 16px 0 0", width="420px", flex="0 0 auto"))
        kernel = ipywidgets.VBox([self.kernel_view, self.kernel_note, self.custom_box],
                                 layout=ipywidgets.Layout(max_width="260px"))
        super().__init__([ipywidgets.HBox([controls, kernel]), self.formula, self.shapes,
                          images])
        for control in (self.image, self.filter, self.kernel_size, self.sigma, self.neighbours,
                        self.stride, self.padding, self.dilation, *self.custom):
            control.observe(self._safe_update, names="value")
        self._safe_update()

    def _build_controls(self) -> None:
        names = list(self._kernels) + [CUSTOM]
        self.filter = ipywidgets.Dropdown(options=names,
                                          value="sobel_x" if "sobel_x" in names else names[0],
                                          description="filter",
                                          style={"description_width": DESCRIPTION_WIDTH},
                                          layout=ipywidgets.Layout(width="330px"))
        self.kernel_note = ipywidgets.HTML()   # which controls the filter uses
        self.kernel_size = slider(ipywidgets.IntSlider, "kernel size", 3, 1, 15, 2)
        self.sigma = slider(ipywidgets.FloatSlider, "sigma", 1.0, 0.3, 5.0, 0.1)
        self.neighbours = ipywidgets.ToggleButtons(options=[4, 8], value=4,
                                                   style={"button_width": "40px"})
        self.custom = [ipywidgets.FloatText(value=1.0 if i == 4 else 0.0,
                                            layout=ipywidgets.Layout(width="64px"))
                       for i in range(9)]
        self.custom_box = ipywidgets.VBox([
            ipywidgets.HTML("<b>custom 3x3 kernel</b> (type values, press Enter)"),
            ipywidgets.GridBox(self.custom, layout=ipywidgets.Layout(
                grid_template_columns="repeat(3, 68px)"))])
        self.stride = slider(ipywidgets.IntSlider, "stride", 1, 1, 8)
        self.padding = ipywidgets.Dropdown(options=padding_options(3), value="same",
                                           description="padding",
                                           style={"description_width": DESCRIPTION_WIDTH},
                                           layout=ipywidgets.Layout(width="200px"))
        self.dilation = slider(ipywidgets.IntSlider, "dilation", 1, 1, 4)

    # -- the kernel from the chosen filter and its parameters
    def _make_kernel(self) -> np.ndarray:
        if self.filter.value == CUSTOM:
            return self._custom_kernel()
        self.custom_box.layout.display = "none"
        fn = self._kernels[self.filter.value]
        params = inspect.signature(fn).parameters
        controls = dict(zip(PARAMETERS, (self.kernel_size, self.sigma, self.neighbours)))
        for key, control in controls.items():
            control.disabled = key not in params
        kernel = np.asarray(fn(**{k: c.value for k, c in controls.items() if k in params}),
                            dtype=np.float64)
        if "size" not in params:
            self.kernel_size.value = int(kernel.shape[0])   # show the fixed size
        self.kernel_note.value = self._note(self.filter.value, params, kernel.shape)
        return kernel

    def _custom_kernel(self) -> np.ndarray:
        self.custom_box.layout.display = ""
        for c in (self.kernel_size, self.sigma, self.neighbours):
            c.disabled = True
        self.kernel_size.value = 3
        self.kernel_note.value = self._note(CUSTOM, {}, (3, 3))
        return np.array([c.value for c in self.custom], dtype=np.float64).reshape(3, 3)

    @staticmethod
    def _note(name: str, params, shape: tuple[int, ...]) -> str:
        """Say which controls the filter uses, so a disabled slider is never a mystery."""
        used = [p.replace("size", "kernel size") for p in PARAMETERS if p in params]
        unused = [p.replace("size", "kernel size") for p in PARAMETERS if p not in params]
        if "size" not in params:
            text = f"{name} is a fixed {shape_text(shape)} kernel"
            text += f"; it uses {', '.join(used)}" if used else ""
        else:
            text = f"{name} uses {' and '.join(used)}"
        if unused:
            text += f" ({', '.join(unused)}: not used)"
        return f"<span style='font-size:85%;color:#555'>{text}</span>"

    # -- geometry
    def _paddings(self, shape: tuple[int, int], k: int, s: int, d: int
                  ) -> tuple[tuple[int, int], tuple[int, int]]:
        """Keep the padding choices 0..k_eff in step with the kernel; return the padding
        (before, after) of both axes from :func:`cnn_course.padding.resolve_padding`."""
        k_eff = d * (k - 1) + 1
        options = padding_options(k_eff)
        if [v for _, v in options] != [v for _, v in self.padding.options]:
            current = self.padding.value
            self.padding.options = options
            self.padding.value = current if current in ("valid", "same") else \
                min(int(current), k_eff)
        p = self.padding.value
        return (resolve_padding(p, shape[0], k, s, d), resolve_padding(p, shape[1], k, s, d))

    def _update(self) -> None:
        x = self._current_image()
        self.input_array = x
        self.kernel = kernel = self._make_kernel()
        self.kernel_view.value = kernel_html(kernel, f"kernel: {self.filter.value}")
        k, s, d = int(kernel.shape[0]), self.stride.value, self.dilation.value
        pads = self._paddings(x.shape, k, s, d)
        self.formula.value, fits = formula_html(x.shape, k, s, pads, d)
        padded = pad2d(x, pads)
        scale = scale_for(padded.shape)
        factor = shown_factor(padded.shape, scale)
        self._draw_input(x, padded, pads, d * (k - 1) + 1, s, scale, factor)
        if not fits:
            self._fail(f"Impossible: the kernel spans {d * (k - 1) + 1}x{d * (k - 1) + 1} "
                       f"pixels{f' (kernel {k}, dilation {d})' if d > 1 else ''} but the "
                       f"padded input is only {shape_text(padded.shape)}. Choose a smaller "
                       f"kernel or dilation, or more padding.")
            self.shapes.value = (f"input {shape_text(x.shape)} &rarr; padded "
                                 f"{shape_text(padded.shape)} &rarr; no output")
            self.output_caption.value = "<b>output</b>"
            return
        out = conv2d(x, kernel, stride=s, padding=pads, dilation=d)
        expected = (output_size(x.shape[0], k, s, pads[0], d),
                    output_size(x.shape[1], k, s, pads[1], d))
        assert out.shape == expected, (out.shape, expected)   # library self-consistency
        self.output_array = out
        self._draw_output(out, kernel, scale, factor)
        self.shapes.value = (f"input {shape_text(x.shape)} &rarr; padded "
                             f"{shape_text(padded.shape)} &rarr; output {shape_text(out.shape)}")

    def _draw_input(self, x, padded, pads, k_eff, s, scale, factor) -> None:
        """The padded input (padding tinted blue) with the first window in red and the
        next one in orange; redrawn only when what it shows changes."""
        (pt, pb), (pl, pr) = pads
        self.input_caption.value = (f"<b>padded input</b> {shape_text(padded.shape)} "
                                    f"(padding blue; red: window, orange: next)")
        key = (self.image.value, pads, k_eff, s)
        if key == self._input_key:
            return
        rgb = to_rgb(padded, *display_range(x))
        if pt or pb or pl or pr:
            rgb = np.repeat(rgb[..., None], 3, axis=2) if rgb.ndim == 2 else rgb
            mask = np.ones(padded.shape, bool)
            mask[pt:pt + x.shape[0], pl:pl + x.shape[1]] = False
            rgb[mask] = (0.5 * rgb[mask] + 0.5 * PAD_TINT).astype(np.uint8)
        boxes = [(0, 0, k_eff, k_eff, (255, 40, 40))]
        if padded.shape[1] >= k_eff + s:
            boxes.append((0, s, k_eff, k_eff, (255, 170, 0)))
        show(self.input_view, rgb, scale, factor, boxes, box_line(factor))
        self._input_key = key

    def _draw_output(self, out, kernel, scale, factor) -> None:
        """Zero-sum kernels (derivatives) give signed responses: blue < 0 < red."""
        signed = bool(abs(kernel.sum()) < 1e-9 * max(1.0, np.abs(kernel).sum()))
        show(self.output_view, to_rgb(out, signed=signed), scale, factor)
        self._ok()
        colour = "blue &lt; 0 &lt; red" if signed else "black = min"
        self.output_caption.value = (f"<b>output</b> {shape_text(out.shape)} (values "
                                     f"{fmt(out.min())} to {fmt(out.max())}, {colour})")


def conv_explorer(image: Any = None) -> ConvExplorer:
    """Explore a 2-D convolution on a real image: filter, kernel size, stride, padding, dilation.

    Parameters
    ----------
    image : array of shape (H, W) or (H, W, 3), optional
        Your own image (RGB is converted to grey). Default: the first of
        :func:`cnn_course.images.available_images` (scikit-image's cameraman when
        installed, else a Fashion-MNIST test image). The image chooser offers them all.

    Returns
    -------
    ConvExplorer
        An ``ipywidgets.VBox`` whose controls and outputs are attributes, so a lesson or
        a test can drive it by setting ``.value`` (see :class:`ConvExplorer`).

    Notes
    -----
    The output is ``cnn_course.conv2d(image, kernel, stride=..., padding=...,
    dilation=...)`` (cross-correlation, as in CNN layers); its size follows
    ``out = floor((n + p_total - k_eff) / s) + 1`` with ``k_eff = d*(k - 1) + 1``
    (:func:`cnn_course.padding.output_size`).

    See Also
    --------
    cnn_course.conv.conv2d, cnn_course.padding.output_size, pool_explorer

    Examples
    --------
    ::

        w = conv_explorer()
        w.filter.value = "sobel_x"
        w.stride.value = 2
        w.formula.value        # "... floor((256 + 2*1 - 3) / 2) + 1 = 128 ..."
        w.output_array.shape   # (128, 128)
    """
    return ConvExplorer(image)
