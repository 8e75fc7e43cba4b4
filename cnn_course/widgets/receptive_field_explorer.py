"""The receptive-field explorer (lesson 11): what one output pixel of a conv/pool stack sees."""
from __future__ import annotations

from typing import Any

import numpy as np

from .._lazy import ipywidgets
from ..padding import output_size
from ..receptive_field import receptive_field
from .base import DESCRIPTION_WIDTH, Explorer, explorer_image, slider
from .render import message_html, png

__all__ = ["ReceptiveFieldExplorer", "LayerRow", "receptive_field_explorer", "PRESETS",
           "INPUT_SIZES"]

CUSTOM_STACK = "(your own)"
PRESETS = {     # name -> layers (kind, kernel, stride, dilation)
    "three 3x3 convs (VGG)": [("conv", 3, 1, 1)] * 3,
    "conv 3x3, pool 2/2, conv 3x3": [("conv", 3, 1, 1), ("pool", 2, 2, 1), ("conv", 3, 1, 1)],
    "fashion_cnn (conv, pool, conv, pool)": [("conv", 3, 1, 1), ("pool", 2, 2, 1),
                                               ("conv", 3, 1, 1), ("pool", 2, 2, 1)],
    "LeNet-5 (5x5 conv, 2x2 pool, x2)": [("conv", 5, 1, 1), ("pool", 2, 2, 1),
                                          ("conv", 5, 1, 1), ("pool", 2, 2, 1)],
    "dilated 3x3 (d = 1, 2, 4)": [("conv", 3, 1, 1), ("conv", 3, 1, 2), ("conv", 3, 1, 4)],
}
INPUT_SIZES = [16, 28, 32, 64, 128, 224]     # 28: Fashion-MNIST / MNIST, as in lesson 11
VIEW_PX = 320                                # the input drawing is about this wide
COLUMNS = (("", "58px"), ("type", "72px"), ("kernel", "66px"), ("stride", "66px"),
           ("dilation", "66px"))


class LayerRow(ipywidgets.HBox):
    """One layer of the stack: ``kind`` ("conv"/"pool"), ``kernel``, ``stride`` and
    ``dilation`` (pooling has no dilation: disabled at 1), under a header row."""

    def __init__(self, kind: str = "conv", kernel: int = 3, stride: int = 1,
                 dilation: int = 1) -> None:
        width = dict(COLUMNS)
        self.label = ipywidgets.HTML(layout=ipywidgets.Layout(width=width[""]))
        self.kind = ipywidgets.Dropdown(options=["conv", "pool"], value=kind,
                                        layout=ipywidgets.Layout(width=width["type"]))
        self.kernel = self._number(kernel, 1, 15, width["kernel"])
        self.stride = self._number(stride, 1, 4, width["stride"])
        self.dilation = self._number(dilation, 1, 8, width["dilation"])
        super().__init__([self.label, self.kind, self.kernel, self.stride, self.dilation])

    @staticmethod
    def _number(value: int, lo: int, hi: int, width: str):
        return ipywidgets.BoundedIntText(value=value, min=lo, max=hi,
                                         layout=ipywidgets.Layout(width=width))

    @staticmethod
    def header():
        """The column titles shown above the rows (the rows have no descriptions)."""
        cells = "".join(f"<div style='width:{w};font-size:90%;color:#444'>{t}</div>"
                        for t, w in COLUMNS)
        return ipywidgets.HTML(f"<div style='display:flex;gap:4px'>{cells}</div>")

    def spec(self) -> tuple[int, int, int]:
        """(kernel, stride, dilation); pooling windows are never dilated."""
        pool = self.kind.value == "pool"
        return self.kernel.value, self.stride.value, 1 if pool else self.dilation.value


class ReceptiveFieldExplorer(Explorer):
    """Build a stack of conv/pool layers and see what one output pixel sees of the input.

    Build it with :func:`receptive_field_explorer`. Attributes: ``layers`` (list of
    :class:`LayerRow`), ``add_button``, ``remove_button``, ``preset`` (classic stacks),
    ``input_size`` (side of the square input, pixels: 16, 28, 32, 64, 128 or 224),
    ``row`` and ``col`` (which output pixel to draw); outputs ``table`` (HTML: receptive
    field, jump and output size after each layer), ``summary`` (HTML), ``view``
    (``ipywidgets.Image``: the input with the receptive field of the chosen output pixel
    in red and of its right neighbour in orange), ``message``; ``result`` (the list from
    :func:`cnn_course.receptive_field.receptive_field`) and ``output_shape``.
    """

    def __init__(self, input_size: int = 28) -> None:
        self.preset = ipywidgets.Dropdown(options=[CUSTOM_STACK] + list(PRESETS),
                                          value="three 3x3 convs (VGG)", description="preset",
                                          style={"description_width": "60px"},
                                          layout=ipywidgets.Layout(width="400px"))
        self.add_button = ipywidgets.Button(description="add layer", icon="plus")
        self.remove_button = ipywidgets.Button(description="remove last", icon="minus")
        self.input_size = ipywidgets.Dropdown(options=INPUT_SIZES, value=input_size,
                                              description="input size",
                                              style={"description_width": DESCRIPTION_WIDTH},
                                              layout=ipywidgets.Layout(width="190px"))
        self.row = slider(ipywidgets.IntSlider, "output row", 0, 0, 1)
        self.col = slider(ipywidgets.IntSlider, "output col", 0, 0, 1)
        self.layers: list[LayerRow] = []
        self.layer_box = ipywidgets.VBox()
        self.table, self.summary, self.message = (ipywidgets.HTML() for _ in range(3))
        self.view = ipywidgets.Image(format="png")
        self.result: list[dict] | None = None
        self.output_shape: tuple[int, int] | None = None
        self._wire()
        left = ipywidgets.VBox(
            [self.preset, LayerRow.header(), self.layer_box,
             ipywidgets.HBox([self.add_button, self.remove_button]), self.input_size,
             self.row, self.col, self.table],
            layout=ipywidgets.Layout(width="420px", margin="0 20px 0 0", flex="0 0 auto"))
        right = ipywidgets.VBox([self.summary, self.view, self.message],
                                layout=ipywidgets.Layout(width=f"{VIEW_PX + 20}px",
                                                         flex="0 0 auto"))
        super().__init__([ipywidgets.HBox([left, right],
                                          layout=ipywidgets.Layout(flex_flow="row wrap"))])
        self._apply_preset()

    def _wire(self) -> None:
        self.add_button.on_click(lambda _: self.add_layer())
        self.remove_button.on_click(lambda _: self.remove_layer())
        self.preset.observe(self._apply_preset, names="value")
        for c in (self.input_size, self.row, self.col):
            c.observe(self._safe_update, names="value")

    # -- the layer list
    def add_layer(self, kind: str = "conv", kernel: int = 3, stride: int = 1,
                  dilation: int = 1, update: bool = True) -> LayerRow:
        """Append a layer (``kind`` "conv" or "pool") and refresh."""
        row = LayerRow(kind, kernel, stride, dilation)
        for c in (row.kind, row.kernel, row.stride, row.dilation):
            c.observe(self._on_layer_change, names="value")
        self.layers.append(row)
        self.layer_box.children = tuple(self.layers)
        if update:
            self._on_layer_change("edit")
        return row

    def remove_layer(self) -> None:
        """Drop the last layer (one layer always stays)."""
        if len(self.layers) > 1:
            self.layers.pop()
            self.layer_box.children = tuple(self.layers)
            self._on_layer_change("edit")

    def _on_layer_change(self, change: Any = None) -> None:
        """A layer was edited: the stack is now the student's own."""
        if self._busy:
            return
        if change is not None and self.preset.value != CUSTOM_STACK:
            self._busy = True
            self.preset.value = CUSTOM_STACK
            self._busy = False
        self._safe_update()

    def _apply_preset(self, change: Any = None) -> None:
        if self._busy or self.preset.value == CUSTOM_STACK:
            return
        self._busy = True
        try:
            self.layers = []
            for kind, k, s, d in PRESETS[self.preset.value]:
                self.add_layer(kind, k, s, d, update=False)
        finally:
            self._busy = False
        self._safe_update()

    def _fail(self, text: str) -> None:
        self.result = None
        self.output_shape = None
        self.message.value = message_html(text)

    # -- computing and drawing
    def _sizes(self, n: int, result: list[dict]) -> list[int]:
        """Input size, then the output size after each layer while the stack fits
        (:func:`cnn_course.padding.output_size`, valid padding)."""
        sizes = [n]
        for layer in result:
            try:
                sizes.append(output_size(sizes[-1], layer["kernel"], layer["stride"], 0,
                                         layer["dilation"]))
            except ValueError:
                break
        return sizes

    def _table_html(self, result: list[dict], sizes: list[int]) -> str:
        rows = []
        for i, (layer, row) in enumerate(zip(result, self.layers)):
            out = str(sizes[i + 1]) if i + 1 < len(sizes) else "too small"
            rows.append(f"<tr><td>{layer['layer']}</td><td>{row.kind.value}</td>"
                        f"<td>{layer['kernel']}</td><td>{layer['stride']}</td>"
                        f"<td>{layer['dilation']}</td><td><b>{layer['size']}</b></td>"
                        f"<td>{layer['jump']}</td><td>{out}</td></tr>")
            if i + 1 >= len(sizes):
                break
        head = ("<tr><th>layer</th><th>type</th><th>k</th><th>s</th><th>d</th>"
                "<th>RF</th><th>jump</th><th>output</th></tr>")
        return ("<table style='border-collapse:collapse;font-family:monospace' border=1 "
                f"cellpadding=3>{head}{''.join(rows)}</table>"
                "<div style='font-size:85%'>RF: r = r_prev + (k - 1)*d*j_prev; "
                "jump: j = j_prev*s; output: valid padding</div>")

    def _update(self) -> None:
        for i, row in enumerate(self.layers, 1):
            row.label.value = f"<b>layer {i}</b>"
            row.dilation.disabled = row.kind.value == "pool"
            if row.kind.value == "pool" and row.dilation.value != 1:
                row.dilation.value = 1
        self.result = result = receptive_field([row.spec() for row in self.layers])
        n = self.input_size.value
        sizes = self._sizes(n, result)
        self.table.value = self._table_html(result, sizes)
        r, j = result[-1]["size"], result[-1]["jump"]
        if len(sizes) <= len(result):
            self._fail(f"The stack shrinks a {n}x{n} input to nothing: choose a larger "
                       "input size or fewer/smaller layers.")
            self.summary.value = (f"One output pixel sees <b>{r}x{r}</b> input pixels; "
                                  f"neighbouring output pixels are {j} input pixels apart.")
            self.view.layout.display = "none"
            return
        self.message.value = ""
        self.view.layout.display = ""
        out = sizes[-1]
        self.output_shape = (out, out)
        self._clamp_position(out)
        self._show_field(n, out, result[-1])

    def _clamp_position(self, out: int) -> None:
        self._busy = True
        try:
            for c in (self.row, self.col):
                c.max = out - 1
                c.value = min(c.value, out - 1)
        finally:
            self._busy = False

    def _show_field(self, n: int, out: int, last: dict) -> None:
        r, j = last["size"], last["jump"]
        i, jj = self.row.value, self.col.value
        top = int(last["start"] + i * j - (r - 1) / 2)
        left = int(last["start"] + jj * j - (r - 1) / 2)
        layers = len(self.layers)
        self.summary.value = (
            f"After {layers} layer{'s' * (layers > 1)}: one output pixel sees "
            f"<b>{r}x{r}</b> input pixels ({r * r / (n * n):.0%} of the {n}x{n} input); "
            f"neighbouring output pixels are <b>{j}</b> input pixel{'s' * (j > 1)} apart. "
            f"Output {out}x{out}. Red: receptive field of output pixel ({i}, {jj}) (rows "
            f"{top}..{top + r - 1}, columns {left}..{left + r - 1}); orange: of its right "
            f"neighbour. {self._background_note(n)}")
        self.view.value = draw_field(self._background(n), top, left, r, j)

    @staticmethod
    def _background_name(n: int) -> str | None:
        from ..images import available_images
        names = available_images()
        for name in (("fashion_mnist", "camera") if n == 28 else ("camera", "fashion_mnist")):
            if name in names:
                return name
        return None

    def _background_note(self, n: int) -> str:
        from ..images import available_images
        name = self._background_name(n)
        if name is None:
            return ""
        return f"Background: {available_images()[name]}, drawn at {n}x{n}."

    def _background(self, n: int) -> np.ndarray:
        """A real image resized to n x n, lightened so that the boxes stand out (cached)."""
        cache = self.__dict__.setdefault("_backgrounds", {})
        if n not in cache:
            cache[n] = self._make_background(n)
        return cache[n]

    def _make_background(self, n: int) -> np.ndarray:
        from PIL import Image
        name = self._background_name(n)
        try:
            img = explorer_image(name) if name else None
        except Exception:     # data not available: a plain background
            img = None
        if img is None:
            return np.full((n, n), 200, np.uint8)
        small = Image.fromarray(img.astype(np.uint8)).resize((n, n), Image.BILINEAR)
        return (np.asarray(small, dtype=np.float32) * 0.6 + 60).astype(np.uint8)


def draw_field(grey: np.ndarray, top: int, left: int, r: int, j: int) -> bytes:
    """PNG of the n x n input ``grey`` with the r x r receptive field at (top, left) in red
    and its right neighbour (``j`` pixels further) in orange; grid lines between input
    pixels when they are drawn 6 screen pixels or larger."""
    n = grey.shape[0]
    rgb = np.repeat(grey[..., None], 3, axis=2)
    scale = max(1, VIEW_PX // n)
    boxes = [(top, left + j, r, r, (255, 160, 0)), (top, left, r, r, (230, 20, 20))]
    if scale < 6:
        return png(rgb, scale, boxes)
    big = np.repeat(np.repeat(rgb, scale, 0), scale, 1)
    big[::scale, :] = 255
    big[:, ::scale] = 255
    return png(big, 1, [(t * scale, l * scale, h * scale, w * scale, c)
                        for t, l, h, w, c in boxes])


def receptive_field_explorer(input_size: int = 28) -> ReceptiveFieldExplorer:
    """Build a stack of conv/pool layers and see what one output pixel sees of the input.

    Parameters
    ----------
    input_size : int
        Side of the square input at the start, one of 16, 28 (Fashion-MNIST and MNIST,
        the default), 32, 64, 128, 224.

    Returns
    -------
    ReceptiveFieldExplorer
        An ``ipywidgets.VBox`` driven by its controls (see :class:`ReceptiveFieldExplorer`).

    Notes
    -----
    ``r_l = r_{l-1} + (k_l - 1) * d_l * j_{l-1}`` and ``j_l = j_{l-1} * s_l``, starting from
    ``r_0 = j_0 = 1``; layers use "valid" padding.

    See Also
    --------
    cnn_course.receptive_field.receptive_field

    References
    ----------
    .. [1] A. Araujo, W. Norris and J. Sim, "Computing receptive fields of convolutional
       neural networks", Distill, 2019. https://doi.org/10.23915/distill.00021
    """
    if input_size not in INPUT_SIZES:
        raise ValueError(f"input_size must be one of {INPUT_SIZES}, got {input_size!r}")
    return ReceptiveFieldExplorer(input_size)
