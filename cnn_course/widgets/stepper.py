"""The convolution stepper (lesson 02): one output cell per step, the arithmetic written out."""
from __future__ import annotations

import html
from typing import Any, Callable

import numpy as np

from .._lazy import ipywidgets
from .._validation import check_real_array
from ..conv import conv2d
from ..padding import pad2d
from .base import Explorer, slider
from .render import fmt, message_html, shape_text, term

__all__ = ["ConvStepper", "conv_stepper", "default_matrix"]

MAX_MATRIX = 12     # the input is written out cell by cell
MAX_KERNEL = 7
EDGE_FALLBACK = np.array([[9, 9, 9, 0, 0, 0]] * 6)


def default_matrix() -> tuple[np.ndarray, str]:
    """A 6x6 crop of a real image quantised to the integers 0..9, and where it comes from."""
    from ..images import load_image
    for name, rows, cols in (("fashion_mnist", (11, 17), (11, 17)),
                             ("camera", (120, 126), (190, 196))):
        try:
            img = load_image(name)[rows[0]:rows[1], cols[0]:cols[1]].astype(float)
        except Exception:   # data not available here: try the next source
            continue
        where = (f"{'Fashion-MNIST test image 0 (ankle boot)' if name == 'fashion_mnist' else name}"
                 f", rows {rows[0]}-{rows[1] - 1}, columns {cols[0]}-{cols[1] - 1}")
        return np.rint(img / 255 * 9).astype(int), where + ", scaled to 0..9"
    return EDGE_FALLBACK.copy(), "a vertical edge (no image data found)"


def _table(arr: np.ndarray, cell: Callable[[int, int, float], str]) -> str:
    rows = ("<tr>" + "".join(cell(r, c, arr[r, c]) for c in range(arr.shape[1])) + "</tr>"
            for r in range(arr.shape[0]))
    return ('<table style="border-collapse:collapse;font-family:monospace;font-size:14px">'
            f'{"".join(rows)}</table>')


def _cell(colour: str, text: str, size: int) -> str:
    return (f'<td style="width:{size}px;height:{size}px;text-align:center;'
            f'border:1px solid #bbb;background:{colour}">{text}</td>')


class ConvStepper(Explorer):
    """Step through a convolution one output cell at a time, with the arithmetic written out.

    Build it with :func:`conv_stepper`. Controls ``step`` (``IntSlider``: how many output
    cells are filled, 0..H'*W'), ``play`` (``ipywidgets.Play``, linked to ``step``),
    ``stride``, ``padding`` (int 0..2); outputs ``grid`` (HTML: the padded input with the
    current window highlighted, the kernel and the output filling in), ``arithmetic``
    (the multiply-add with the numbers, e.g. ``"1*1 + 0*0 + ... = 4"``), ``message``;
    arrays ``matrix``, ``kernel``, ``output_array`` (the full :func:`cnn_course.conv2d`
    result) and ``filled`` (NaN where not computed yet); ``position``: the (row, col) of
    the current output cell, ``None`` at step 0.
    """

    def __init__(self, matrix: Any = None, kernel: Any = None) -> None:
        self._set_arrays(matrix, kernel)
        self.stride = slider(ipywidgets.IntSlider, "stride", 1, 1, 3, width="260px")
        self.padding = slider(ipywidgets.IntSlider, "padding", 0, 0, 2, width="260px")
        self.step = slider(ipywidgets.IntSlider, "step", 0, 0, 1, width="360px")
        self.step.continuous_update = True
        self.play = ipywidgets.Play(value=0, min=0, max=1, step=1, interval=700,
                                    description="play")
        self._link = ipywidgets.link((self.play, "value"), (self.step, "value"))
        self.grid = ipywidgets.HTML()
        self.arithmetic = ipywidgets.HTML()
        self.message = ipywidgets.HTML()
        self.output_array: np.ndarray | None = None
        self.filled: np.ndarray | None = None
        self.position: tuple[int, int] | None = None
        intro = ipywidgets.HTML(
            f"<b>Convolution step by step</b> (cross-correlation, as in CNN layers: the "
            f"kernel is not flipped). Input: {html.escape(self.source)}.")
        wrap = ipywidgets.Layout(flex_flow="row wrap")
        super().__init__([intro, ipywidgets.HBox([self.stride, self.padding], layout=wrap),
                          ipywidgets.HBox([self.play, self.step], layout=wrap), self.grid,
                          self.arithmetic, self.message])
        self.stride.observe(self._resize, names="value")
        self.padding.observe(self._resize, names="value")
        self.step.observe(self._safe_update, names="value")
        self._resize()

    def _set_arrays(self, matrix: Any, kernel: Any) -> None:
        """Check and keep the input matrix and the kernel (small enough to write out)."""
        if matrix is None:
            matrix, self.source = default_matrix()
        else:
            self.source = "your matrix"
        self.matrix = check_real_array("matrix", matrix, (2,))
        if max(self.matrix.shape) > MAX_MATRIX or min(self.matrix.shape) < 1:
            raise ValueError(f"matrix must be between 1x1 and {MAX_MATRIX}x{MAX_MATRIX} (it is "
                             f"written out cell by cell), got shape {self.matrix.shape}")
        if kernel is None:
            from ..filters import vertical_edge
            kernel = vertical_edge()
        self.kernel = check_real_array("kernel", kernel, (2,))
        if max(self.kernel.shape) > MAX_KERNEL or min(self.kernel.shape) < 1:
            raise ValueError(f"kernel must be between 1x1 and {MAX_KERNEL}x{MAX_KERNEL}, got "
                             f"shape {self.kernel.shape}")
        for name, a in (("matrix", self.matrix), ("kernel", self.kernel)):
            if not np.all(np.isfinite(a)):
                raise ValueError(f"{name} must not contain NaN or infinity")

    def _fail(self, text: str) -> None:
        self.output_array = None
        self.filled = None
        self.position = None
        self.grid.value = ""
        self.arithmetic.value = ""
        self.message.value = message_html(text)

    def _resize(self, change: Any = None) -> None:
        """Stride or padding changed: recompute the full output, clamp the step."""
        try:
            out = conv2d(self.matrix, self.kernel, stride=self.stride.value,
                         padding=self.padding.value)
        except ValueError:     # the kernel does not fit: _update says so
            out = None
        total = 0 if out is None else out.size
        self._busy = True
        try:
            for c in (self.step, self.play):
                c.max = max(total, 1)
                c.value = min(c.value, total)
        finally:
            self._busy = False
        self.output_array = out
        self._safe_update()

    def _update(self) -> None:
        kh, kw = self.kernel.shape
        p, s = self.padding.value, self.stride.value
        padded = pad2d(self.matrix, p)
        out = self.output_array
        if out is None:
            self._fail(f"Impossible: the {kh}x{kw} kernel is larger than the padded "
                       f"input {shape_text(padded.shape)}. Add padding.")
            return
        self.message.value = ""
        n = self.step.value
        filled = np.full(out.shape, np.nan)
        filled.flat[:n] = out.flat[:n]
        self.filled = filled
        window = None
        if n > 0:
            i, j = divmod(n - 1, out.shape[1])
            self.position = (i, j)
            window = (i * s, j * s)
            win = padded[i * s:i * s + kh, j * s:j * s + kw]
            terms = " + ".join(f"{term(a)}*{term(b)}"
                               for a, b in zip(win.ravel(), self.kernel.ravel()))
            self.arithmetic.value = (
                f"output[{i}, {j}] = <code>{html.escape(terms)} = {fmt(out[i, j])}</code>")
        else:
            self.position = None
            self.arithmetic.value = ("Press play or move <i>step</i>: each step computes one "
                                     "output cell.")
        self.grid.value = self._grid_html(padded, p, window, filled)

    def _grid_html(self, padded: np.ndarray, p: int, window: tuple[int, int] | None,
                   filled: np.ndarray) -> str:
        """Padded input (window yellow, padding blue), kernel and the output so far; the
        three tables wrap onto a new line rather than run off a narrow screen."""
        kh, kw = self.kernel.shape
        H, W = self.matrix.shape
        size = 30 if max(padded.shape) <= 10 else 24

        def input_cell(r, c, v):
            colour = "#ffffff" if p <= r < p + H and p <= c < p + W else "#dde7f3"
            if window and window[0] <= r < window[0] + kh and window[1] <= c < window[1] + kw:
                colour = "#ffd966"
            return _cell(colour, fmt(v), size)

        def output_cell(r, c, v):
            colour = "#ffd966" if self.position == (r, c) else (
                "#e2f0d9" if not np.isnan(v) else "#fff")
            return _cell(colour, "" if np.isnan(v) else fmt(v), size)

        oh, ow = filled.shape
        cap = "font-size:12px;margin-bottom:4px"
        sign = "font-size:22px;padding-top:40px"
        return (
            '<div style="display:flex;flex-wrap:wrap;gap:12px 28px;align-items:flex-start">'
            f'<div><div style="{cap}">input {shape_text(self.matrix.shape)}, padded '
            f'{shape_text(padded.shape)} (padding blue)</div>{_table(padded, input_cell)}</div>'
            f'<div style="{sign}">&#8902;</div>'
            f'<div><div style="{cap}">kernel {shape_text(self.kernel.shape)}</div>'
            f'{_table(self.kernel, lambda r, c, v: _cell("#fde9d9", fmt(v), size))}</div>'
            f'<div style="{sign}">=</div>'
            f'<div><div style="{cap}">output {oh}x{ow}: '
            f'{int(np.sum(~np.isnan(filled)))} of {oh * ow} cells</div>'
            f'{_table(filled, output_cell)}</div></div>')


def conv_stepper(matrix: Any = None, kernel: Any = None) -> ConvStepper:
    """Step through a convolution one output cell at a time, with the arithmetic written out.

    Parameters
    ----------
    matrix : array of shape (H, W), optional
        Small input (up to 12x12). Default: a 6x6 crop of a real image
        (Fashion-MNIST test image 0) scaled to the integers 0..9.
    kernel : array of shape (kh, kw), optional
        Up to 7x7. Default: ``cnn_course.filters.vertical_edge()`` (3x3).

    Returns
    -------
    ConvStepper
        An ``ipywidgets.VBox`` driven by setting ``.value`` of its controls (see
        :class:`ConvStepper`).

    See Also
    --------
    cnn_course.conv.conv2d, conv_explorer
    """
    return ConvStepper(matrix, kernel)
