"""Interactive explorers (ipywidgets 8) for convolution, pooling and receptive fields.

Each function returns one widget (a ``VBox``) to display in a notebook cell; its
controls and outputs are attributes, so a lesson or a test can drive it by
setting ``.value``::

    w = conv_explorer()
    w.filter.value = "sobel_x"
    w.stride.value = 2
    w.padding.value = 1
    w.formula.value        # "... floor((256 + 2*1 - 3) / 2) + 1 = 128 ..."
    w.output_array.shape   # (128, 128), computed by cnn_course.conv2d

Every number shown is computed by the library itself (:func:`cnn_course.conv2d`,
:func:`cnn_course.pool2d`, :func:`cnn_course.output_size`,
:func:`cnn_course.receptive_field.receptive_field`): the widgets only display.

Images are rendered as PNG bytes into ``ipywidgets.Image`` (with Pillow, about
a millisecond for 256x256) and tables as HTML, which updates much faster than
redrawing a matplotlib figure. Images are drawn at their *true relative size*
(one pixel = one pixel, small images enlarged by the same integer factor), so a
stride-2 output really looks half as wide as its input.

The explorers work without a widget front end too (nbval/nbclient in CI):
construction and ``display`` never raise, and every state change is computed in
Python when a ``.value`` is set.
"""
from __future__ import annotations

import functools
import html
import inspect
import io
from typing import Any, Callable

import numpy as np

from ._validation import check_array

__all__ = ["conv_explorer", "conv_stepper", "pool_explorer", "receptive_field_explorer",
           "available_images", "load_image"]

CUSTOM = "custom 3x3"
_PANEL = 256          # target display size (pixels) of an image panel
_MAX_SHOWN = 240      # largest side of an image panel on screen (so an explorer fits 1280x800)
_PAD_TINT = np.array([70, 130, 200], dtype=np.float32)   # colour of padding pixels


# ----------------------------------------------------------------------------- formatting
def _fmt(v: float) -> str:
    """A number for people: 3 significant digits, no float noise (0.1111, not 0.11111111)."""
    v = float(v)
    if v == 0:
        return "0"
    if abs(v - round(v)) < 1e-9 * max(1.0, abs(v)):
        return f"{int(round(v))}"
    return f"{v:.3g}"


def _term(v: float) -> str:
    """A factor in a written product: negative numbers in parentheses."""
    s = _fmt(v)
    return f"({s})" if s.startswith("-") else s


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(int(n)) for n in shape)


# ----------------------------------------------------------------------------- images
def _ski(name: str, grey: bool = True) -> np.ndarray:
    import skimage.data  # optional (test extra); guarded by available_images()
    img = getattr(skimage.data, name)()
    if img.ndim == 3 and grey:
        img = img[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    img = np.asarray(img, dtype=np.float32)
    if img.shape[0] == 512 and img.shape[1] == 512:   # 2x2 area average -> 256x256
        img = img.reshape(256, 2, 256, 2).mean(axis=(1, 3))
    return img


@functools.lru_cache(maxsize=1)
def _fashion(index: int = 0) -> np.ndarray:
    from .data import load_dataset
    _, (x_test, _) = load_dataset("fashion_mnist", download=False)   # offline only
    img = np.asarray(x_test[index], dtype=np.float32)
    img.setflags(write=False)
    return img


_SKIMAGE_IMAGES = {
    "camera": "cameraman (scikit-image, 256x256)",
    "astronaut": "astronaut (scikit-image, grey, 256x256)",
    "brick": "brick wall (scikit-image, 256x256)",
    "coins": "coins (scikit-image, 303x384)",
}


def available_images() -> dict[str, str]:
    """Real images the explorers can show: key -> description.

    scikit-image's bundled photos when scikit-image is installed, and always a
    Fashion-MNIST test image (28x28, from :func:`cnn_course.load_dataset`).
    """
    images: dict[str, str] = {}
    try:
        import skimage.data  # noqa: F401
    except ImportError:
        pass
    else:
        images.update(_SKIMAGE_IMAGES)
    images["fashion_mnist"] = "ankle boot (Fashion-MNIST test image 0, 28x28)"
    return images


@functools.lru_cache(maxsize=8)
def _load_cached(name: str) -> np.ndarray:
    if name == "fashion_mnist":
        img = _fashion(0)
    elif name in _SKIMAGE_IMAGES:
        img = _ski(name)
    else:
        raise ValueError(f"image must be one of {', '.join(map(repr, available_images()))}; "
                         f"got {name!r}")
    img.setflags(write=False)
    return img


def load_image(name: str) -> np.ndarray:
    """One of :func:`available_images` as a float32 grey image (H, W) with values 0..255."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if name not in available_images():
        raise ValueError(f"name must be one of {', '.join(map(repr, available_images()))}; "
                         f"got {name!r}")
    return _load_cached(name)


def _as_grey(name: str, image: Any) -> np.ndarray:
    """User image -> float32 (H, W); RGB(A) images are converted to luminance."""
    img = check_array(name, image, (2, 3))
    if img.ndim == 3:
        if img.shape[2] not in (1, 3, 4):
            raise ValueError(f"{name} must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); "
                             f"got shape {img.shape}")
        img = img[..., 0] if img.shape[2] == 1 else \
            img[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    if min(img.shape) < 1:
        raise ValueError(f"{name} must not be empty, got shape {img.shape}")
    return np.asarray(img, dtype=np.float32)


def _scale_for(shape: tuple[int, int]) -> int:
    """Integer enlargement so that the image is about _PANEL pixels (1 for big images)."""
    return max(1, _PANEL // max(shape))


@functools.lru_cache(maxsize=4)
def _lut(name: str) -> np.ndarray:
    import matplotlib  # colormaps only; pyplot is never imported here
    return (matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def _to_rgb(a: np.ndarray, lo: float | None = None, hi: float | None = None,
            signed: bool | None = None) -> np.ndarray:
    """Map a 2-D array to uint8 pixels: RGB (H, W, 3) if signed, else grey (H, W).

    ``signed`` (default: the data has negative values): blue < 0 < red, white at 0,
    scaled by the 98th percentile of ``|a|`` so that a few strong edges do not
    wash out the rest; otherwise grey from ``lo`` (black) to ``hi`` (white).
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
    return np.clip((a - lo) * (255.0 / span), 0, 255).astype(np.uint8)   # grey: (H, W)


def _display_range(x: np.ndarray) -> tuple[float | None, float | None]:
    """Black and white levels for showing an image: 0..1 for float images in [0, 1],
    0..255 for 8-bit ranges, else the image's own min..max."""
    lo, hi = float(x.min()), float(x.max())
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    if lo >= 0 and hi <= 255:
        return 0.0, 255.0
    return None, None


def _png(rgb: np.ndarray, scale: int = 1, boxes: list[tuple] = (), line: int = 2) -> bytes:
    """Grey (H, W) or RGB (H, W, 3) uint8 -> PNG bytes, enlarged ``scale`` times (nearest),
    with rectangle outlines ``boxes``: (top, left, height, width, colour) in source pixels.
    """
    from PIL import Image, ImageDraw
    img = Image.fromarray(np.ascontiguousarray(rgb))
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


def _shown_factor(shape: tuple[int, ...], scale: int) -> float:
    """Screen pixels per PNG pixel for a panel of ``shape`` enlarged ``scale`` times: 1, or
    less so that its larger side fits ``_MAX_SHOWN``. Input and output use the same factor,
    so a stride-s output looks s times smaller than its input, as it is."""
    return min(1.0, _MAX_SHOWN / (max(shape[:2]) * scale))


def _show(view, png: bytes, shape: tuple[int, ...], scale: int, factor: float) -> None:
    """Put ``png`` (an image of ``shape`` enlarged ``scale`` times) in ``view`` at ``factor``."""
    view.value = png
    view.layout.width = f"{shape[1] * scale * factor:.0f}px"
    view.layout.height = f"{shape[0] * scale * factor:.0f}px"


def _box_line(factor: float) -> int:
    """Outline width in PNG pixels that stays about 3 screen pixels wide."""
    return max(2, int(np.ceil(3 / factor)))


def _kernel_html(kernel: np.ndarray, title: str = "kernel") -> str:
    """Kernel values as an HTML table, cells coloured by value (blue < 0 < red)."""
    k = np.asarray(kernel, dtype=np.float64)
    m = float(np.abs(k).max()) or 1.0
    lut = _lut("RdBu_r")
    cell = 30 if k.shape[0] <= 7 else 22
    font = 12 if k.shape[0] <= 7 else 9
    rows = []
    for r in range(k.shape[0]):
        cells = []
        for c in range(k.shape[1]):
            colour = lut[int(np.clip((k[r, c] / m + 1) * 127.5, 0, 255))]
            dark = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2] < 120
            text = "#fff" if dark else "#000"
            cells.append(f'<td style="background:rgb({colour[0]},{colour[1]},{colour[2]});'
                         f'color:{text};'
                         f'width:{cell}px;height:{cell}px;text-align:center;padding:0 2px;'
                         f'font-size:{font}px;border:1px solid #ccc">{_fmt(k[r, c])}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<b>{html.escape(title)}</b> ({_shape(k.shape)}, sum {_fmt(k.sum())})"
            f'<table style="border-collapse:collapse;font-family:monospace">{"".join(rows)}</table>')


def _size_formula(n: int, k: int, s: int, before: int, after: int, d: int) -> tuple[str, int]:
    """'floor((n + 2*p - k) / s) + 1 = out' with the numbers in, and the raw value."""
    k_eff = d * (k - 1) + 1
    pad = f"2*{before}" if before == after else f"{before} + {after}"
    value = (n + before + after - k_eff) // s + 1
    text = f"floor(({n} + {pad} - {k_eff}) / {s}) + 1 = {value}"
    if value < 1 or n + before + after < k_eff:
        text += "  (the kernel does not fit)"
    if d > 1:
        text = f"k_eff = {d}*({k} - 1) + 1 = {k_eff};  " + text
    return text, value


def _formula_html(shape: tuple[int, int], k: int, s: int, pads: tuple[tuple[int, int], ...],
                  d: int = 1) -> tuple[str, bool]:
    """Output-size formula for height (and width if it differs); also whether it fits."""
    lines, ok = [], True
    for axis, n, (b, a) in (("height", shape[0], pads[0]), ("width", shape[1], pads[1])):
        text, value = _size_formula(n, k, s, b, a, d)
        ok &= value >= 1 and n + a + b >= d * (k - 1) + 1
        lines.append((axis, text))
    if lines[0][1] == lines[1][1]:
        lines = [("height = width", lines[0][1])]
    body = "<br>".join(f"output {axis}: <code>{html.escape(t)}</code>" for axis, t in lines)
    return ("<span style='font-size:90%'>out = floor((n + p_total - k_eff) / s) + 1, "
            "k_eff = d*(k - 1) + 1</span><br>" + body), ok


def _message_html(text: str) -> str:
    return (f"<div style='padding:8px;border:1px solid #d9a400;background:#fff8dc;"
            f"max-width:520px'>{html.escape(text)}</div>")


def _widgets():
    import ipywidgets as widgets
    return widgets


def _slider(widgets, cls, description, value, lo, hi, step=1, width="330px", **kw):
    return cls(value=value, min=lo, max=hi, step=step, description=description,
               continuous_update=False, style={"description_width": "90px"},
               layout=widgets.Layout(width=width), **kw)


# ----------------------------------------------------------------------------- conv explorer
def _kernel_functions() -> dict[str, Callable]:
    from . import filters
    return dict(filters.KERNELS)


def _padding_options(k_eff: int) -> list[tuple[str, Any]]:
    return [("valid", "valid"), ("same", "same")] + [(str(p), p) for p in range(0, k_eff + 1)]


def conv_explorer(image: Any = None):
    """Explore a 2-D convolution on a real image: filter, kernel size, stride, padding, dilation.

    Parameters
    ----------
    image : array of shape (H, W) or (H, W, 3), optional
        Your own image (RGB is converted to grey). Default: the first of
        :func:`available_images` (scikit-image's cameraman when installed, else a
        Fashion-MNIST test image). The image chooser offers all of them.

    Returns
    -------
    ipywidgets.VBox
        With attributes: controls ``image``, ``filter``, ``kernel_size``, ``sigma``,
        ``neighbours``, ``custom`` (list of 9 ``FloatText``, row by row), ``stride``,
        ``padding`` (``"valid"``, ``"same"`` or an int 0..k_eff), ``dilation``;
        outputs ``input_view`` and ``output_view`` (``ipywidgets.Image``, the padded
        input with the first two windows outlined, and the result at the same
        scale), ``kernel_view``, ``formula``, ``shapes`` and ``message``
        (``ipywidgets.HTML``); ``kernel`` and ``output_array``: the last kernel and
        ``conv2d`` result (``None`` when the combination is impossible); and
        ``input_array``: the image being filtered, float32 (H, W).

    Notes
    -----
    The output is ``cnn_course.conv2d(image, kernel, stride=..., padding=...,
    dilation=...)`` (cross-correlation, as in CNN layers); its size follows
    ``out = floor((n + p_total - k_eff) / s) + 1`` with ``k_eff = d*(k - 1) + 1``.
    """
    return _conv_classes()(image)


def _build_image_choice(widgets, image, name="image"):
    options = [(desc, key) for key, desc in available_images().items()]
    user = None
    if image is not None:
        user = _as_grey(name, image)
        options.insert(0, (f"your image ({_shape(user.shape)})", "user"))
    chooser = widgets.Dropdown(options=options, value=options[0][1], description="image",
                               style={"description_width": "90px"},
                               layout=widgets.Layout(width="420px"))
    return chooser, user


def _get_image(key: str, user: np.ndarray | None) -> np.ndarray:
    return user if key == "user" else load_image(key)


class _Explorer:
    """Mixin: run ``_update`` once per change and turn library errors into a message."""

    _busy = False

    def _safe_update(self, change=None) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self._update()
        except (ValueError, TypeError) as err:    # library validation: show, never a traceback
            self._fail(str(err))
        finally:
            self._busy = False

    def _image_panels(self, widgets):
        """Create what the image explorers share: the input and output views with their
        captions, the formula, shapes and message lines; return the row of the two panels."""
        self.input_view = widgets.Image(format="png")
        self.output_view = widgets.Image(format="png")
        self.input_caption = widgets.HTML()
        self.output_caption = widgets.HTML()
        self.formula = widgets.HTML()
        self.shapes = widgets.HTML()
        self.message = widgets.HTML()
        self.output_array: np.ndarray | None = None
        self.input_array: np.ndarray | None = None
        left = widgets.Layout(margin="0 16px 0 0", align_items="flex-start")
        return widgets.HBox([
            widgets.VBox([self.input_caption, self.input_view], layout=left),
            widgets.VBox([self.output_caption, self.output_view, self.message],
                         layout=widgets.Layout(align_items="flex-start"))],
            layout=widgets.Layout(align_items="flex-start"))

    def _fail(self, text: str) -> None:
        """Hide the output image and show ``text`` in its place (image explorers)."""
        self.output_array = None
        self.output_view.layout.display = "none"
        self.message.value = _message_html(text)
        self.message.layout.display = ""


@functools.lru_cache(maxsize=None)   # built once, on first use (no ipywidgets import before)
def _conv_classes():
    widgets = _widgets()

    class ConvExplorer(widgets.VBox, _Explorer):
        def __init__(self, image):
            self.image, self._user = _build_image_choice(widgets, image)
            self._kernels = _kernel_functions()
            names = list(self._kernels) + [CUSTOM]
            default = "sobel_x" if "sobel_x" in names else names[0]
            self.filter = widgets.Dropdown(options=names, value=default, description="filter",
                                           style={"description_width": "90px"},
                                           layout=widgets.Layout(width="330px"))
            self.kernel_size = _slider(widgets, widgets.IntSlider, "kernel size", 3, 1, 15, 2)
            self.sigma = _slider(widgets, widgets.FloatSlider, "sigma", 1.0, 0.3, 5.0, 0.1)
            self.neighbours = widgets.ToggleButtons(options=[4, 8], value=4,
                                                    style={"button_width": "40px"})
            neighbours_row = widgets.HBox([
                widgets.HTML('<div style="width:90px;text-align:right;padding-right:8px">'
                             'neighbours</div>'), self.neighbours])
            self.custom = [widgets.FloatText(value=1.0 if i == 4 else 0.0,
                                             layout=widgets.Layout(width="64px"))
                           for i in range(9)]
            self.custom_box = widgets.VBox([
                widgets.HTML("<b>custom 3x3 kernel</b> (type values, press Enter)"),
                widgets.GridBox(self.custom, layout=widgets.Layout(
                    grid_template_columns="repeat(3, 68px)"))])
            self.stride = _slider(widgets, widgets.IntSlider, "stride", 1, 1, 8)
            self.padding = widgets.Dropdown(options=_padding_options(3), value="same",
                                            description="padding",
                                            style={"description_width": "90px"},
                                            layout=widgets.Layout(width="200px"))
            self.dilation = _slider(widgets, widgets.IntSlider, "dilation", 1, 1, 4)
            images = self._image_panels(widgets)
            self.kernel_view = widgets.HTML()
            self.kernel: np.ndarray | None = None
            self._input_key = None

            controls = widgets.VBox([self.image, self.filter, self.kernel_size, self.sigma,
                                     neighbours_row, self.stride, self.padding, self.dilation])
            controls.layout.margin = "0 16px 0 0"
            top = widgets.HBox([controls, widgets.VBox([self.kernel_view, self.custom_box])])
            super().__init__([top, self.formula, self.shapes, images])
            for control in (self.image, self.filter, self.kernel_size, self.sigma,
                            self.neighbours, self.stride, self.padding, self.dilation,
                            *self.custom):
                control.observe(self._safe_update, names="value")
            self._safe_update()

        # -- kernel from the chosen filter and its parameters
        def _make_kernel(self) -> np.ndarray:
            name = self.filter.value
            if name == CUSTOM:
                self.custom_box.layout.display = ""
                for c in (self.kernel_size, self.sigma, self.neighbours):
                    c.disabled = True
                self.kernel_size.value = 3
                return np.array([c.value for c in self.custom], dtype=np.float64).reshape(3, 3)
            self.custom_box.layout.display = "none"
            fn = self._kernels[name]
            params = inspect.signature(fn).parameters
            kwargs: dict[str, Any] = {}
            for key, control in (("size", self.kernel_size), ("sigma", self.sigma),
                                 ("neighbours", self.neighbours)):
                control.disabled = key not in params
                if key in params:
                    kwargs[key] = control.value
            kernel = np.asarray(fn(**kwargs), dtype=np.float64)
            if "size" not in params:
                self.kernel_size.value = int(kernel.shape[0])   # show the fixed size
            return kernel

        def _update(self) -> None:
            from .conv import conv2d, output_size, same_padding, pad2d
            x = _get_image(self.image.value, self._user)
            self.input_array = x
            kernel = self._make_kernel()
            self.kernel = kernel
            self.kernel_view.value = _kernel_html(kernel, f"kernel: {self.filter.value}")
            k, s, d = int(kernel.shape[0]), self.stride.value, self.dilation.value
            k_eff = d * (k - 1) + 1
            # padding choices 0..k_eff follow the kernel; keep the current one if possible
            options = _padding_options(k_eff)
            if [v for _, v in options] != [v for _, v in self.padding.options]:
                current = self.padding.value
                self.padding.options = options
                self.padding.value = current if current in ("valid", "same") else \
                    min(int(current), k_eff)
            p = self.padding.value
            H, W = x.shape
            if p == "same":
                pads = (same_padding(H, k, s, d), same_padding(W, k, s, d))
            elif p == "valid":
                pads = ((0, 0), (0, 0))
            else:
                pads = ((p, p), (p, p))
            self.formula.value, fits = _formula_html((H, W), k, s, pads, d)
            padded = pad2d(x, pads)
            scale = _scale_for(padded.shape)
            factor = _shown_factor(padded.shape, scale)
            (pt, pb), (pl, pr) = pads
            key = (self.image.value, pads, k_eff, s)
            if key != self._input_key:    # the input panel only depends on these
                rgb = _to_rgb(padded, *_display_range(x))
                if pt or pb or pl or pr:      # tint the padding so it is visible
                    rgb = np.repeat(rgb[..., None], 3, axis=2) if rgb.ndim == 2 else rgb
                    mask = np.ones(padded.shape, bool)
                    mask[pt:pt + H, pl:pl + W] = False
                    rgb[mask] = (0.5 * rgb[mask] + 0.5 * _PAD_TINT).astype(np.uint8)
                boxes = [(0, 0, k_eff, k_eff, (255, 40, 40))]
                if padded.shape[1] >= k_eff + s:
                    boxes.append((0, s, k_eff, k_eff, (255, 170, 0)))
                _show(self.input_view, _png(rgb, scale, boxes, _box_line(factor)),
                      padded.shape, scale, factor)
                self._input_key = key
            self.input_caption.value = (f"<b>padded input</b> {_shape(padded.shape)} "
                                        f"(padding blue; red: window, orange: next)")
            if not fits:
                self._fail(f"Impossible: the kernel spans {k_eff}x{k_eff} pixels"
                           f"{f' (kernel {k}, dilation {d})' if d > 1 else ''} but the padded "
                           f"input is only {_shape(padded.shape)}. Choose a smaller kernel or "
                           f"dilation, or more padding.")
                self.shapes.value = (f"input {_shape(x.shape)} &rarr; padded "
                                     f"{_shape(padded.shape)} &rarr; no output")
                self.output_caption.value = "<b>output</b>"
                return
            out = conv2d(x, kernel, stride=s, padding=pads, dilation=d)
            expected = (output_size(H, k, s, pads[0], d), output_size(W, k, s, pads[1], d))
            assert out.shape == expected, (out.shape, expected)   # library self-consistency
            self.output_array = out
            # zero-sum kernels (derivatives) give signed responses: blue < 0 < red
            signed = bool(abs(kernel.sum()) < 1e-9 * max(1.0, np.abs(kernel).sum()))
            _show(self.output_view, _png(_to_rgb(out, signed=signed), scale), out.shape,
                  scale, factor)
            self.output_view.layout.display = ""
            self.message.value = ""
            self.message.layout.display = "none"
            lo, hi = float(out.min()), float(out.max())
            colour = "blue &lt; 0 &lt; red" if signed else "black = min"
            self.output_caption.value = (f"<b>output</b> {_shape(out.shape)} (values "
                                         f"{_fmt(lo)} to {_fmt(hi)}, {colour})")
            self.shapes.value = (f"input {_shape(x.shape)} &rarr; padded "
                                 f"{_shape(padded.shape)} &rarr; output {_shape(out.shape)}")

    return ConvExplorer


# ----------------------------------------------------------------------------- pooling
def pool_explorer(image: Any = None):
    """Explore 2-D pooling on a real image: max / average / L2 / sum, size, stride, padding.

    Parameters
    ----------
    image : array of shape (H, W) or (H, W, 3), optional
        Your own image; default as in :func:`conv_explorer`.

    Returns
    -------
    ipywidgets.VBox
        With attributes: controls ``image``, ``mode`` (``"max"``, ``"avg"``,
        ``"l2"``, ``"sum"``), ``pool_size``, ``stride``, ``padding``
        (``"valid"``/``"same"``); outputs ``input_view``, ``output_view``
        (``ipywidgets.Image``, same scale), ``formula``, ``shapes``, ``message``
        (HTML); ``output_array``: the last ``cnn_course.pool2d`` result (``None``
        when impossible) and ``input_array``.
    """
    return _pool_classes()(image)


@functools.lru_cache(maxsize=None)   # built once, on first use (no ipywidgets import before)
def _pool_classes():
    widgets = _widgets()

    class PoolExplorer(widgets.VBox, _Explorer):
        def __init__(self, image):
            self.image, self._user = _build_image_choice(widgets, image)
            self.mode = widgets.ToggleButtons(
                options=[("max", "max"), ("average", "avg"), ("L2", "l2"), ("sum", "sum")],
                value="max", description="mode",
                style={"description_width": "90px", "button_width": "70px"})
            self.pool_size = _slider(widgets, widgets.IntSlider, "pool size", 2, 1, 8)
            self.stride = _slider(widgets, widgets.IntSlider, "stride", 2, 1, 8)
            self.padding = widgets.ToggleButtons(options=["valid", "same"], value="valid",
                                                 description="padding",
                                                 style={"description_width": "90px",
                                                        "button_width": "70px"})
            images = self._image_panels(widgets)
            controls = widgets.VBox([self.image, self.mode, self.pool_size, self.stride,
                                     self.padding])
            super().__init__([controls, self.formula, self.shapes, images])
            for control in (self.image, self.mode, self.pool_size, self.stride, self.padding):
                control.observe(self._safe_update, names="value")
            self._safe_update()

        def _update(self) -> None:
            from .conv import same_padding
            from .pooling import pool2d
            x = _get_image(self.image.value, self._user)
            self.input_array = x
            k, s, p = self.pool_size.value, self.stride.value, self.padding.value
            H, W = x.shape
            pads = ((same_padding(H, k, s), same_padding(W, k, s)) if p == "same"
                    else ((0, 0), (0, 0)))
            self.formula.value, fits = _formula_html((H, W), k, s, pads)
            scale = _scale_for(x.shape)
            factor = _shown_factor(x.shape, scale)
            _show(self.input_view, _png(_to_rgb(x, *_display_range(x)), scale,
                                        [(0, 0, k, k, (255, 40, 40))], _box_line(factor)),
                  x.shape, scale, factor)
            self.input_caption.value = (f"<b>input</b> {_shape(x.shape)} "
                                        f"(red: the first {k}x{k} window)")
            if not fits:
                self._fail(f"Impossible: the {k}x{k} pooling window is larger than the "
                           f"input {_shape(x.shape)}. Choose a smaller pool size.")
                self.shapes.value = f"input {_shape(x.shape)} &rarr; no output"
                self.output_caption.value = "<b>output</b>"
                return
            out = pool2d(x, pool_size=k, stride=s, padding=p, mode=self.mode.value)
            self.output_array = out
            _show(self.output_view, _png(_to_rgb(out), scale), out.shape, scale, factor)
            self.output_view.layout.display = ""
            self.message.value = ""
            self.message.layout.display = "none"
            self.output_caption.value = (f"<b>{self.mode.label} pooled</b> {_shape(out.shape)} "
                                         f"(values {_fmt(out.min())} to {_fmt(out.max())})")
            self.shapes.value = (f"input {_shape(x.shape)} &rarr; output {_shape(out.shape)}: "
                                 f"{out.size / x.size:.1%} of the values "
                                 f"({x.size:,} &rarr; {out.size:,})")

    return PoolExplorer


# ----------------------------------------------------------------------------- stepper
_EDGE_FALLBACK = np.array([[9, 9, 9, 0, 0, 0]] * 6)


def _default_stepper_matrix() -> tuple[np.ndarray, str]:
    """A 6x6 crop of a real image, quantised to the integers 0..9."""
    try:
        img = _fashion(0)[11:17, 11:17]
        source = "Fashion-MNIST test image 0 (ankle boot), rows 11-16, columns 11-16"
    except Exception:   # data not available: fall back to the cameraman's coat edge
        try:
            img = _ski("camera")[60:66, 95:101]
            source = "cameraman (scikit-image), rows 60-65, columns 95-100"
        except Exception:
            return _EDGE_FALLBACK.copy(), "a vertical edge (no image data found)"
    return np.rint(img / 255 * 9).astype(int), source + ", scaled to 0..9"


def conv_stepper(matrix: Any = None, kernel: Any = None):
    """Step through a convolution one output cell at a time, with the arithmetic written out.

    Parameters
    ----------
    matrix : array of shape (H, W), optional
        Small input (up to 12x12). Default: a 6x6 crop of a real image
        (Fashion-MNIST test image 0) scaled to the integers 0..9.
    kernel : array of shape (kh, kw), optional
        Default: ``cnn_course.filters.vertical_edge()`` (3x3).

    Returns
    -------
    ipywidgets.VBox
        With attributes: controls ``step`` (``IntSlider``: how many output cells
        are filled, 0..H'*W'), ``play`` (``ipywidgets.Play``, linked to ``step``),
        ``stride``, ``padding`` (int 0..2); outputs ``grid`` (HTML: the padded input
        with the current window highlighted, the kernel and the output filling in),
        ``arithmetic`` (the multiply-add with the numbers, e.g.
        ``"1*1 + 0*0 + ... = 4"``), ``message``; arrays ``matrix``, ``kernel``,
        ``output_array`` (the full ``conv2d`` result) and ``filled`` (float array,
        NaN where not computed yet); ``position``: the (row, col) of the current
        output cell or ``None`` at step 0.
    """
    return _stepper_class()(matrix, kernel)


@functools.lru_cache(maxsize=None)   # built once, on first use (no ipywidgets import before)
def _stepper_class():
    widgets = _widgets()

    class ConvStepper(widgets.VBox, _Explorer):
        def __init__(self, matrix, kernel):
            if matrix is None:
                matrix, source = _default_stepper_matrix()
            else:
                source = "your matrix"
            self.matrix = check_array("matrix", matrix, (2,))
            if max(self.matrix.shape) > 12 or min(self.matrix.shape) < 1:
                raise ValueError(f"matrix must be between 1x1 and 12x12 (it is written out cell "
                                 f"by cell), got shape {self.matrix.shape}")
            if kernel is None:
                from .filters import vertical_edge
                kernel = vertical_edge()
            self.kernel = check_array("kernel", kernel, (2,))
            if max(self.kernel.shape) > 7:
                raise ValueError(f"kernel must be at most 7x7, got shape {self.kernel.shape}")
            self.source = source
            self.stride = _slider(widgets, widgets.IntSlider, "stride", 1, 1, 3, width="260px")
            self.padding = _slider(widgets, widgets.IntSlider, "padding", 0, 0, 2, width="260px")
            self.step = _slider(widgets, widgets.IntSlider, "step", 0, 0, 1, width="360px")
            self.step.continuous_update = True
            self.play = widgets.Play(value=0, min=0, max=1, step=1, interval=700,
                                     description="play")
            self._link = widgets.link((self.play, "value"), (self.step, "value"))
            self.grid = widgets.HTML()
            self.arithmetic = widgets.HTML()
            self.message = widgets.HTML()
            self.output_array: np.ndarray | None = None
            self.filled: np.ndarray | None = None
            self.position: tuple[int, int] | None = None
            intro = widgets.HTML(
                f"<b>Convolution step by step</b> (cross-correlation, as in CNN layers: the "
                f"kernel is not flipped). Input: {html.escape(source)}.")
            super().__init__([intro, widgets.HBox([self.stride, self.padding]),
                              widgets.HBox([self.play, self.step]), self.grid, self.arithmetic,
                              self.message])
            self.stride.observe(self._resize, names="value")
            self.padding.observe(self._resize, names="value")
            self.step.observe(self._safe_update, names="value")
            self._resize()

        def _fail(self, text: str) -> None:
            self.output_array = None
            self.filled = None
            self.position = None
            self.grid.value = ""
            self.arithmetic.value = ""
            self.message.value = _message_html(text)

        def _resize(self, change=None) -> None:
            """Stride or padding changed: recompute the full output, clamp the step."""
            from .conv import conv2d
            self.output_array = None
            try:
                out = conv2d(self.matrix, self.kernel, stride=self.stride.value,
                             padding=self.padding.value)
            except ValueError:
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
            padded = np.pad(self.matrix, p)
            out = self.output_array
            if out is None:
                self._fail(f"Impossible: the {kh}x{kw} kernel is larger than the padded "
                           f"input {_shape(padded.shape)}. Add padding.")
                return
            self.message.value = ""
            oh, ow = out.shape
            n = self.step.value
            filled = np.full(out.shape, np.nan)
            filled.flat[:n] = out.flat[:n]
            self.filled = filled
            window = None
            if n > 0:
                i, j = divmod(n - 1, ow)
                self.position = (i, j)
                window = (i * s, j * s)
                win = padded[i * s:i * s + kh, j * s:j * s + kw]
                terms = " + ".join(f"{_term(a)}*{_term(b)}"
                                   for a, b in zip(win.ravel(), self.kernel.ravel()))
                self.arithmetic.value = (
                    f"output[{i}, {j}] = <code>{html.escape(terms)} = {_fmt(out[i, j])}</code>")
            else:
                self.position = None
                self.arithmetic.value = ("Press play or move <i>step</i>: each step computes one "
                                         "output cell.")
            self.grid.value = self._grid_html(padded, p, window, filled)

        def _grid_html(self, padded, p, window, filled) -> str:
            kh, kw = self.kernel.shape
            H, W = self.matrix.shape

            def table(arr, cell_style):
                rows = []
                for r in range(arr.shape[0]):
                    cells = "".join(cell_style(r, c, arr[r, c]) for c in range(arr.shape[1]))
                    rows.append(f"<tr>{cells}</tr>")
                return ('<table style="border-collapse:collapse;font-family:monospace;'
                        f'font-size:14px">{"".join(rows)}</table>')

            base = "width:30px;height:30px;text-align:center;border:1px solid #bbb;"

            def input_cell(r, c, v):
                inside = p <= r < p + H and p <= c < p + W
                colour = "#ffffff" if inside else "#dde7f3"
                if window and window[0] <= r < window[0] + kh and window[1] <= c < window[1] + kw:
                    colour = "#ffd966"
                return f'<td style="{base}background:{colour}">{_fmt(v)}</td>'

            def kernel_cell(r, c, v):
                return f'<td style="{base}background:#fde9d9">{_fmt(v)}</td>'

            pos = self.position

            def output_cell(r, c, v):
                colour = "#ffd966" if pos == (r, c) else ("#e2f0d9" if not np.isnan(v) else "#fff")
                text = "" if np.isnan(v) else _fmt(v)
                return f'<td style="{base}background:{colour}">{text}</td>'

            oh, ow = filled.shape
            cap = "font-size:12px;margin-bottom:4px"
            return (
                '<div style="display:flex;gap:28px;align-items:flex-start">'
                f'<div><div style="{cap}">input {_shape(self.matrix.shape)}, padded '
                f'{_shape(padded.shape)} (padding blue)</div>{table(padded, input_cell)}</div>'
                f'<div style="font-size:22px;padding-top:40px">&#8902;</div>'
                f'<div><div style="{cap}">kernel {_shape(self.kernel.shape)}</div>'
                f'{table(self.kernel, kernel_cell)}</div>'
                f'<div style="font-size:22px;padding-top:40px">=</div>'
                f'<div><div style="{cap}">output {oh}x{ow}: '
                f'{int(np.sum(~np.isnan(filled)))} of {oh * ow} cells</div>'
                f'{table(filled, output_cell)}</div></div>')

    return ConvStepper


# ----------------------------------------------------------------------------- receptive field
_RF_PRESETS = {
    "three 3x3 convs (VGG)": [("conv", 3, 1, 1)] * 3,
    "conv 3x3, pool 2/2, conv 3x3": [("conv", 3, 1, 1), ("pool", 2, 2, 1), ("conv", 3, 1, 1)],
    "LeNet-5 (5x5 conv, 2x2 pool, x2)": [("conv", 5, 1, 1), ("pool", 2, 2, 1),
                                          ("conv", 5, 1, 1), ("pool", 2, 2, 1)],
    "dilated 3x3 (d = 1, 2, 4)": [("conv", 3, 1, 1), ("conv", 3, 1, 2), ("conv", 3, 1, 4)],
}


def receptive_field_explorer():
    """Build a stack of conv/pool layers and see what one output pixel sees of the input.

    Returns
    -------
    ipywidgets.VBox
        With attributes: ``layers`` (list of rows, each with ``kind``
        (``"conv"``/``"pool"``), ``kernel``, ``stride`` and ``dilation``
        controls), ``add_button``, ``remove_button``, ``preset`` (a few classic
        stacks), ``input_size`` (side of the square input, pixels), ``row`` and
        ``col`` (which output pixel to draw); outputs ``table`` (HTML: size, jump
        and output size after each layer), ``summary`` (HTML), ``view``
        (``ipywidgets.Image``: the input with the receptive field of the chosen
        output pixel in red and of its right neighbour in orange), ``message``;
        ``result``: the list returned by
        :func:`cnn_course.receptive_field.receptive_field`; ``output_shape``.

    Notes
    -----
    ``r_l = r_{l-1} + (k_l - 1) * d_l * j_{l-1}`` and ``j_l = j_{l-1} * s_l``,
    starting from ``r_0 = j_0 = 1``; layers use "valid" padding.
    """
    return _rf_class()()


@functools.lru_cache(maxsize=None)   # built once, on first use (no ipywidgets import before)
def _rf_class():
    widgets = _widgets()

    class LayerRow(widgets.HBox):
        def __init__(self, kind="conv", kernel=3, stride=1, dilation=1):
            small = widgets.Layout(width="150px")
            st = {"description_width": "55px"}
            self.kind = widgets.Dropdown(options=["conv", "pool"], value=kind,
                                         layout=widgets.Layout(width="80px"))
            self.kernel = widgets.BoundedIntText(value=kernel, min=1, max=15,
                                                 description="kernel", style=st, layout=small)
            self.stride = widgets.BoundedIntText(value=stride, min=1, max=4,
                                                 description="stride", style=st, layout=small)
            self.dilation = widgets.BoundedIntText(value=dilation, min=1, max=8,
                                                   description="dilation", style=st, layout=small)
            self.label = widgets.HTML(layout=widgets.Layout(width="60px"))
            super().__init__([self.label, self.kind, self.kernel, self.stride, self.dilation])

    class RFExplorer(widgets.VBox, _Explorer):
        def __init__(self):
            self.preset = widgets.Dropdown(options=["(your own)"] + list(_RF_PRESETS),
                                           value="three 3x3 convs (VGG)",
                                           description="preset",
                                           style={"description_width": "90px"},
                                           layout=widgets.Layout(width="420px"))
            self.add_button = widgets.Button(description="add layer", icon="plus")
            self.remove_button = widgets.Button(description="remove last", icon="minus")
            self.input_size = widgets.Dropdown(options=[16, 32, 64, 128, 224], value=32,
                                               description="input size",
                                               style={"description_width": "90px"},
                                               layout=widgets.Layout(width="200px"))
            self.row = _slider(widgets, widgets.IntSlider, "output row", 0, 0, 1)
            self.col = _slider(widgets, widgets.IntSlider, "output col", 0, 0, 1)
            self.layers: list = []
            self.layer_box = widgets.VBox()
            self.table = widgets.HTML()
            self.summary = widgets.HTML()
            self.message = widgets.HTML()
            self.view = widgets.Image(format="png")
            self.result: list[dict] | None = None
            self.output_shape: tuple[int, int] | None = None
            self._background = self._load_background()
            self.add_button.on_click(lambda _: self.add_layer())
            self.remove_button.on_click(lambda _: self.remove_layer())
            self.preset.observe(self._apply_preset, names="value")
            for c in (self.input_size, self.row, self.col):
                c.observe(self._safe_update, names="value")
            left = widgets.VBox([self.preset, self.layer_box,
                                 widgets.HBox([self.add_button, self.remove_button]),
                                 self.input_size, self.row, self.col, self.table])
            right = widgets.VBox([self.summary, self.view, self.message])
            left.layout.margin = "0 20px 0 0"
            super().__init__([widgets.HBox([left, right])])
            self._apply_preset()

        @staticmethod
        def _load_background():
            for key in available_images():
                try:
                    return load_image(key)
                except Exception:
                    continue
            return None

        # -- layer list
        def add_layer(self, kind="conv", kernel=3, stride=1, dilation=1, update=True):
            """Append a layer (``kind`` "conv" or "pool") and refresh."""
            row = LayerRow(kind, kernel, stride, dilation)
            for c in (row.kind, row.kernel, row.stride, row.dilation):
                c.observe(self._on_layer_change, names="value")
            self.layers.append(row)
            self.layer_box.children = tuple(self.layers)
            if update:
                self._on_layer_change("edit")
            return row

        def remove_layer(self):
            """Drop the last layer (one layer always stays)."""
            if len(self.layers) > 1:
                self.layers.pop()
                self.layer_box.children = tuple(self.layers)
                self._on_layer_change("edit")

        def _on_layer_change(self, change=None):
            if self._busy:
                return
            if change is not None and self.preset.value != "(your own)":
                self._busy = True
                self.preset.value = "(your own)"
                self._busy = False
            self._safe_update()

        def _apply_preset(self, change=None):
            if self._busy or self.preset.value == "(your own)":
                return
            self._busy = True
            try:
                self.layers = []
                for kind, k, s, d in _RF_PRESETS[self.preset.value]:
                    self.add_layer(kind, k, s, d, update=False)
            finally:
                self._busy = False
            self._safe_update()

        def _fail(self, text: str) -> None:
            self.result = None
            self.output_shape = None
            self.message.value = _message_html(text)

        def _update(self) -> None:
            from .conv import output_size
            from .receptive_field import receptive_field
            for i, row in enumerate(self.layers, 1):
                row.label.value = f"<b>layer {i}</b>"
                row.dilation.disabled = row.kind.value == "pool"
                if row.kind.value == "pool" and row.dilation.value != 1:
                    row.dilation.value = 1
            specs = [(r.kernel.value, r.stride.value,
                      1 if r.kind.value == "pool" else r.dilation.value) for r in self.layers]
            result = receptive_field(specs)
            self.result = result
            n = self.input_size.value
            rows, sizes, ok = [], [n], True
            for layer, row in zip(result, self.layers):
                try:
                    sizes.append(output_size(sizes[-1], layer["kernel"], layer["stride"],
                                             0, layer["dilation"]))
                    out_text = str(sizes[-1])
                except ValueError:
                    ok, out_text = False, "too small"
                rows.append(f"<tr><td>{layer['layer']}</td><td>{row.kind.value}</td>"
                            f"<td>{layer['kernel']}</td><td>{layer['stride']}</td>"
                            f"<td>{layer['dilation']}</td><td><b>{layer['size']}</b></td>"
                            f"<td>{layer['jump']}</td><td>{out_text}</td></tr>")
                if not ok:
                    break
            head = ("<tr><th>layer</th><th>type</th><th>k</th><th>s</th><th>d</th>"
                    "<th>RF</th><th>jump</th><th>output</th></tr>")
            self.table.value = (
                "<table style='border-collapse:collapse;font-family:monospace' border=1 "
                f"cellpadding=3>{head}{''.join(rows)}</table>"
                "<span style='font-size:85%'>RF: r = r_prev + (k - 1)*d*j_prev; "
                "jump: j = j_prev*s; output: valid padding</span>")
            last = result[-1]
            r, j = last["size"], last["jump"]
            if not ok:
                self.output_shape = None
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
            self._busy = True
            try:
                for c in (self.row, self.col):
                    c.max = out - 1
                    c.value = min(c.value, out - 1)
            finally:
                self._busy = False
            i, jj = self.row.value, self.col.value
            centre_r = last["start"] + i * j
            centre_c = last["start"] + jj * j
            top, left = centre_r - (r - 1) / 2, centre_c - (r - 1) / 2
            self.summary.value = (
                f"After {len(result)} layer{'s' * (len(result) > 1)}: one output pixel sees "
                f"<b>{r}x{r}</b> input pixels ({r * r / (n * n):.0%} of the {n}x{n} input); "
                f"neighbouring output pixels are <b>{j}</b> input pixel{'s' * (j > 1)} apart. "
                f"Output {out}x{out}. Red: receptive field of output pixel ({i}, {jj}); "
                f"orange: of its right neighbour.")
            self.view.value = self._draw(n, int(top), int(left), r, j)

        def _draw(self, n, top, left, r, j) -> bytes:
            from PIL import Image
            if self._background is not None:
                bg = Image.fromarray(self._background.astype(np.uint8)).resize((n, n),
                                                                                Image.BILINEAR)
                grey = np.asarray(bg, dtype=np.float32) * 0.6 + 60
            else:
                grey = np.full((n, n), 200, np.float32)
            rgb = np.repeat(grey.astype(np.uint8)[..., None], 3, axis=2)
            scale = max(1, 384 // n)
            if scale >= 6:      # grid lines between input pixels
                big = np.repeat(np.repeat(rgb, scale, 0), scale, 1)
                big[::scale, :] = 255
                big[:, ::scale] = 255
                rgb, draw_scale = big, scale
                boxes = [(top * scale, left * scale, r * scale, r * scale, (230, 20, 20))]
                if left + j + r <= n + r:
                    boxes.append(((top) * scale, (left + j) * scale, r * scale, r * scale,
                                  (255, 160, 0)))
                return _png(rgb, 1, boxes[::-1])
            boxes = [(top, left, r, r, (230, 20, 20)), (top, left + j, r, r, (255, 160, 0))]
            return _png(rgb, scale, boxes[::-1])

    return RFExplorer
