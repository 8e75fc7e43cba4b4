"""Drawing for the explorers: numbers as text, arrays as PNG images, kernels and formulas as HTML.

Everything here is a pure function of NumPy arrays and numbers (no widget), so it is
fast to test. Images are encoded with Pillow (about a millisecond for 256x256), which
updates an ``ipywidgets.Image`` much faster than redrawing a matplotlib figure.
Colour maps come from matplotlib's registry (``pyplot`` is never imported).

See Also
--------
cnn_course.padding.output_size : the formula :func:`formula_html` writes out.
"""
from __future__ import annotations

import functools
import html
import io
from typing import Sequence

import numpy as np

from ..padding import output_size

__all__ = ["fmt", "term", "shape_text", "to_rgb", "display_range", "png", "kernel_html",
           "size_formula", "formula_html", "message_html", "PAD_TINT"]

PAD_TINT = np.array([70, 130, 200], dtype=np.float32)   # colour of padding pixels
KERNEL_TABLE_MAX_PX = 210     # a kernel table is never taller or wider than this
NUMBERS_UP_TO = 7             # kernels up to 7x7 show their numbers in the cells

Box = tuple[float, float, float, float, tuple[int, int, int]]


# ----------------------------------------------------------------------------- numbers
def fmt(v: float) -> str:
    """A number for people: 3 significant digits, no float noise.

    Examples
    --------
    >>> fmt(1.9999999999999998), fmt(-0.30000000000000004), fmt(1 / 9), fmt(1234.5678)
    ('2', '-0.3', '0.111', '1.23e+03')
    """
    v = float(v)
    if v == 0:
        return "0"
    if abs(v - round(v)) < 1e-9 * max(1.0, abs(v)):
        return f"{int(round(v))}"
    return f"{v:.3g}"


def term(v: float) -> str:
    """A factor in a written product: negative numbers in parentheses (``(-1)``)."""
    s = fmt(v)
    return f"({s})" if s.startswith("-") else s


def shape_text(shape: Sequence[int]) -> str:
    """``(28, 28)`` -> ``"28x28"``."""
    return "x".join(str(int(n)) for n in shape)


# ----------------------------------------------------------------------------- colours
@functools.lru_cache(maxsize=4)
def _lut(name: str) -> np.ndarray:
    """A matplotlib colour map as a (256, 3) uint8 look-up table."""
    import matplotlib  # colormaps only; pyplot is never imported here
    return (matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def to_rgb(a: np.ndarray, lo: float | None = None, hi: float | None = None,
           signed: bool | None = None) -> np.ndarray:
    """Map a 2-D array to uint8 pixels: RGB (H, W, 3) if ``signed``, else grey (H, W).

    ``signed`` (default: the data has negative values): blue < 0 < red, white at 0,
    scaled by the 98th percentile of ``|a|`` so that a few strong edges do not wash out
    the rest; otherwise grey from ``lo`` (black) to ``hi`` (white), by default the
    array's own min and max.
    """
    a = np.asarray(a, dtype=np.float32)
    if a.size == 0:
        return np.zeros(a.shape + (3,), np.uint8)
    amin, amax = float(a.min()), float(a.max())
    if signed is None:
        signed = amin < 0
    if signed:
        mag = np.abs(a)
        m = float(np.percentile(mag, 98)) if mag.size > 400 else float(mag.max())
        m = m or float(mag.max()) or 1.0
        idx = np.clip((a * (127.5 / m)) + 127.5, 0, 255).astype(np.uint8)
        return _lut("RdBu_r")[idx]
    lo = amin if lo is None else lo
    hi = amax if hi is None else hi
    span = (hi - lo) or 1.0
    return np.clip((a - lo) * (255.0 / span), 0, 255).astype(np.uint8)


def display_range(x: np.ndarray) -> tuple[float | None, float | None]:
    """Black and white levels for an image: 0..1 for values in [0, 1], 0..255 for 8-bit
    ranges, else ``(None, None)`` (the image's own min..max)."""
    lo, hi = float(x.min()), float(x.max())
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    if lo >= 0 and hi <= 255:
        return 0.0, 255.0
    return None, None


def png(pixels: np.ndarray, scale: int = 1, boxes: Sequence[Box] = (), line: int = 2) -> bytes:
    """Grey (H, W) or RGB (H, W, 3) uint8 pixels -> PNG bytes.

    Enlarged ``scale`` times (nearest neighbour, so pixels stay square), with rectangle
    outlines ``boxes``: ``(top, left, height, width, (r, g, b))`` in source pixels.
    """
    from PIL import Image, ImageDraw
    img = Image.fromarray(np.ascontiguousarray(pixels))
    if boxes and img.mode != "RGB":
        img = img.convert("RGB")
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    if boxes:
        draw = ImageDraw.Draw(img)
        for top, left, h, w, colour in boxes:
            draw.rectangle([left * scale, top * scale, (left + w) * scale - 1,
                            (top + h) * scale - 1], outline=colour, width=line)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


# ----------------------------------------------------------------------------- HTML
def _cell_colour(v: float, m: float) -> tuple[str, str]:
    """Background (blue < 0 < red) and a readable text colour for a kernel value."""
    r, g, b = _lut("RdBu_r")[int(np.clip((v / m + 1) * 127.5, 0, 255))]
    text = "#fff" if 0.299 * r + 0.587 * g + 0.114 * b < 120 else "#000"
    return f"rgb({r},{g},{b})", text


def kernel_html(kernel: np.ndarray, title: str = "kernel") -> str:
    """Kernel values as an HTML table, cells coloured by value (blue < 0 < red).

    Up to 7x7 the numbers are in the cells. A larger kernel is drawn as a compact colour
    grid (each cell's value in its tooltip) that is never more than
    ``KERNEL_TABLE_MAX_PX`` wide or tall, with the numbers one click away in a
    "values" disclosure, so a 15x15 kernel does not push the images off the screen.
    """
    k = np.asarray(kernel, dtype=np.float64)
    m = float(np.abs(k).max()) or 1.0
    head = (f"<b>{html.escape(title)}</b> ({shape_text(k.shape)}, sum {fmt(k.sum())})")
    if max(k.shape) <= NUMBERS_UP_TO:
        return head + _value_table(k, m, cell=30, font=12)
    cell = max(6, KERNEL_TABLE_MAX_PX // max(k.shape))
    rows = []
    for r in range(k.shape[0]):
        cells = []
        for c in range(k.shape[1]):
            bg, _ = _cell_colour(k[r, c], m)
            cells.append(f'<td title="[{r}, {c}] = {fmt(k[r, c])}" style="background:{bg};'
                         f'width:{cell}px;height:{cell}px;padding:0;border:0"></td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    grid = (f'<table style="border-collapse:collapse;border:1px solid #ccc">'
            f'{"".join(rows)}</table>')
    return (head + grid + f"<details><summary style='cursor:pointer;font-size:90%'>"
            f"values (min {fmt(k.min())}, max {fmt(k.max())}, centre "
            f"{fmt(k[k.shape[0] // 2, k.shape[1] // 2])})</summary>"
            f"<div style='max-width:380px;overflow-x:auto'>{_value_table(k, m, cell=22, font=9)}"
            f"</div></details>")


def _value_table(k: np.ndarray, m: float, cell: int, font: int) -> str:
    rows = []
    for r in range(k.shape[0]):
        cells = []
        for c in range(k.shape[1]):
            bg, text = _cell_colour(k[r, c], m)
            cells.append(f'<td style="background:{bg};color:{text};width:{cell}px;'
                         f'height:{cell}px;text-align:center;padding:0 2px;font-size:{font}px;'
                         f'border:1px solid #ccc">{fmt(k[r, c])}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table style="border-collapse:collapse;font-family:monospace">'
            f'{"".join(rows)}</table>')


def size_formula(n: int, k: int, s: int, pads: tuple[int, int], d: int = 1) -> tuple[str, int | None]:
    """The output-size formula with the numbers in, and its value from
    :func:`cnn_course.padding.output_size` (``None`` when the kernel does not fit).

    Examples
    --------
    >>> size_formula(28, 3, 2, (1, 1))
    ('floor((28 + 2*1 - 3) / 2) + 1 = 14', 14)
    >>> size_formula(5, 3, 1, (0, 1), d=2)
    ('k_eff = 2*(3 - 1) + 1 = 5;  floor((5 + 0 + 1 - 5) / 1) + 1 = 2', 2)
    >>> size_formula(2, 3, 1, (0, 0))[1] is None
    True
    """
    k_eff = d * (k - 1) + 1
    before, after = pads
    pad = f"2*{before}" if before == after else f"{before} + {after}"
    try:
        value: int | None = output_size(n, k, s, pads, d)
    except ValueError:
        value = None
    shown = value if value is not None else (n + before + after - k_eff) // s + 1
    text = f"floor(({n} + {pad} - {k_eff}) / {s}) + 1 = {shown}"
    if value is None:
        text += "  (the kernel does not fit)"
    if d > 1:
        text = f"k_eff = {d}*({k} - 1) + 1 = {k_eff};  " + text
    return text, value


def formula_html(shape: tuple[int, int], k: int, s: int,
                 pads: tuple[tuple[int, int], tuple[int, int]], d: int | None = 1
                 ) -> tuple[str, bool]:
    """Output-size formula for height (and width if it differs), and whether it fits.

    ``d=None`` is a pooling window: the formula is written without dilation, which
    pooling does not have.
    """
    lines, ok = [], True
    for axis, n, p in (("height", shape[0], pads[0]), ("width", shape[1], pads[1])):
        text, value = size_formula(n, k, s, p, d or 1)
        ok &= value is not None
        lines.append((axis, text))
    if lines[0][1] == lines[1][1]:
        lines = [("height = width", lines[0][1])]
    body = "<br>".join(f"output {axis}: <code>{html.escape(t)}</code>" for axis, t in lines)
    general = ("out = floor((n + p_total - k_eff) / s) + 1, k_eff = d*(k - 1) + 1"
               if d is not None else "out = floor((n + p_total - k) / s) + 1")
    return f"<span style='font-size:90%'>{general}</span><br>{body}", ok


def message_html(text: str) -> str:
    """A yellow note (an impossible combination, a library error) in place of a result."""
    return (f"<div style='padding:8px;border:1px solid #d9a400;background:#fff8dc;"
            f"max-width:520px'>{html.escape(text)}</div>")
