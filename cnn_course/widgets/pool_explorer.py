"""The pooling explorer (lesson 05): max / average / L2 / sum pooling of a real image."""
from __future__ import annotations

from typing import Any

from .._lazy import ipywidgets
from ..padding import resolve_padding
from ..pooling import pool2d
from .base import ImageExplorer, box_line, labelled, scale_for, show, shown_factor, slider
from .render import display_range, fmt, formula_html, shape_text, to_rgb

__all__ = ["PoolExplorer", "pool_explorer", "MODES"]

MODES = [("max", "max"), ("average", "avg"), ("L2", "l2"), ("sum", "sum")]   # (label, mode)


class PoolExplorer(ImageExplorer):
    """Explore 2-D pooling on a real image: mode, window size, stride and padding.

    Build it with :func:`pool_explorer`. Controls ``image``, ``mode`` (``"max"``,
    ``"avg"``, ``"l2"``, ``"sum"``), ``pool_size``, ``stride``, ``padding``
    (``"valid"``/``"same"``); outputs ``input_view``, ``output_view`` (``ipywidgets.Image``,
    same scale), ``formula``, ``shapes`` and ``message`` (HTML, the text equivalent);
    arrays ``output_array`` (the last :func:`cnn_course.pool2d` result, ``None`` when
    impossible) and ``input_array``.
    """

    def __init__(self, image: Any = None) -> None:
        self._build_image_choice(image)
        buttons = {"button_width": "76px"}     # labelled() puts the label beside them
        self.mode = ipywidgets.ToggleButtons(options=MODES, value="max", style=buttons,
                                             tooltips=["max", "average", "L2 norm", "sum"])
        self.pool_size = slider(ipywidgets.IntSlider, "pool size", 2, 1, 8)
        self.stride = slider(ipywidgets.IntSlider, "stride", 2, 1, 8)
        self.padding = ipywidgets.ToggleButtons(options=["valid", "same"], value="valid",
                                                style=buttons)
        images = self._image_panels()
        controls = ipywidgets.VBox([self.image, labelled("mode", self.mode), self.pool_size,
                                    self.stride, labelled("padding", self.padding)])
        super().__init__([controls, self.formula, self.shapes, images])
        for control in (self.image, self.mode, self.pool_size, self.stride, self.padding):
            control.observe(self._safe_update, names="value")
        self._safe_update()

    def _update(self) -> None:
        x = self._current_image()
        self.input_array = x
        k, s, p = self.pool_size.value, self.stride.value, self.padding.value
        pads = (resolve_padding(p, x.shape[0], k, s), resolve_padding(p, x.shape[1], k, s))
        self.formula.value, fits = formula_html(x.shape, k, s, pads, d=None)  # no dilation
        scale = scale_for(x.shape)
        factor = shown_factor(x.shape, scale)
        show(self.input_view, to_rgb(x, *display_range(x)), scale, factor,
             [(0, 0, k, k, (255, 40, 40))], box_line(factor))
        self.input_caption.value = (f"<b>input</b> {shape_text(x.shape)} "
                                    f"(red: the first {k}x{k} window)")
        if not fits:
            self._fail(f"Impossible: the {k}x{k} pooling window is larger than the "
                       f"input {shape_text(x.shape)}. Choose a smaller pool size.")
            self.shapes.value = f"input {shape_text(x.shape)} &rarr; no output"
            self.output_caption.value = "<b>output</b>"
            return
        out = pool2d(x, pool_size=k, stride=s, padding=p, mode=self.mode.value)
        self.output_array = out
        show(self.output_view, to_rgb(out), scale, factor)
        self._ok()
        self.output_caption.value = (f"<b>{self.mode.label} pooled</b> {shape_text(out.shape)} "
                                     f"(values {fmt(out.min())} to {fmt(out.max())})")
        self.shapes.value = (f"input {shape_text(x.shape)} &rarr; output "
                             f"{shape_text(out.shape)}: {out.size / x.size:.1%} of the values "
                             f"({x.size:,} &rarr; {out.size:,})")


def pool_explorer(image: Any = None) -> PoolExplorer:
    """Explore 2-D pooling on a real image: max / average / L2 / sum, size, stride, padding.

    Parameters
    ----------
    image : array of shape (H, W) or (H, W, 3), optional
        Your own image; default as in :func:`conv_explorer`.

    Returns
    -------
    PoolExplorer
        An ``ipywidgets.VBox`` driven by setting ``.value`` of its controls (see
        :class:`PoolExplorer`).

    Notes
    -----
    The output is ``cnn_course.pool2d(image, pool_size, stride, padding, mode)``; its size
    follows ``out = floor((n + p_total - k) / s) + 1`` (pooling has no dilation).

    See Also
    --------
    cnn_course.pooling.pool2d, conv_explorer
    """
    return PoolExplorer(image)
