"""The model explorer (lesson 20): any Keras CNN, the student's own included, on one image at a time.

Pick an image (from a data set, or upload one: it is decoded, converted to the model's
channels, resized to its input size and scaled as the model expects), and see

- the top-3 prediction (bars, and the classes with their probabilities as text),
- the chosen conv layer's feature maps, the most active channels first (and listed as text),
- the Grad-CAM overlay of a chosen class at that layer (and its peak and spread as text).

Every number comes from :func:`cnn_course.explorer.explain_image` (one forward and one
backward pass, its Keras model built once per model and layer). Results are cached per
(image, layer, class) and each view is redrawn only when what it shows changed: a new
Grad-CAM class redraws the overlay alone. ``benchmarks/bench_model_explorer.py`` times a
control change (target: under 300 ms for ``fashion_cnn`` on 2 CPU cores).
"""
from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .._lazy import ipywidgets
from .._model_graph import check_built_model, conv_layers, get_feature_layer
from .._validation import check_real_array
from ..explorer import ImageExplanation, explain_image
from ..images import available_images, load_image
from .base import Explorer
from .render import _lut, message_html, png, shape_text, to_rgb

if TYPE_CHECKING:
    import keras as keras_types

__all__ = ["ModelExplorer", "explore_model", "image_for_model", "MAX_IMAGES"]

MAX_IMAGES = 500          # images offered in the chooser (pass a slice of a data set)
MAX_UPLOAD_BYTES = 20 * 2**20
TOP = 3                   # predictions shown
CHANNELS = 8              # feature maps shown per layer, most active first
TILE_PX = 60              # a feature map is drawn about this big
VIEW_PX = 168             # the input and the Grad-CAM overlay are drawn about this big
PREDICTED = -1            # the class choice "the predicted class"
SAMPLE_IMAGES = ("fashion_mnist", "camera", "astronaut", "coins")


# ----------------------------------------------------------------------------- images in
def image_for_model(data: bytes | np.ndarray, input_shape: Sequence[int],
                    value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """An image file (PNG, JPEG, ... bytes) or array as one input of a model.

    Decoded with Pillow, converted to the model's channels (grey ``L`` for one channel,
    ``RGB`` for three: luminance ``0.299 R + 0.587 G + 0.114 B``), resized to the model's
    input size (bilinear, the aspect ratio is not kept), then scaled linearly from 0..255 to
    ``value_range``: ``x = lo + (hi - lo) * pixel / 255``.

    Parameters
    ----------
    data : bytes or array of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)
        The file's bytes, or pixels with values 0..255.
    input_shape : (H, W, C)
        The model's input shape without the batch axis, ``C`` 1 or 3.
    value_range : (lo, hi)
        What the model was trained on: (0, 1) for images divided by 255, (0, 255) for raw
        pixels (e.g. a model that starts with a ``Rescaling`` layer).

    Returns
    -------
    numpy.ndarray, float32, shape (H, W, C)

    Raises
    ------
    ValueError
        If the bytes are not an image Pillow can read, the array has another shape, or the
        model does not take 1- or 3-channel images of a fixed size.

    See Also
    --------
    cnn_course.images.to_grey : the same luminance formula on arrays.
    cnn_course.data.load_image_folder : a folder of your images, resized for training.

    Examples
    --------
    >>> rgb = np.zeros((50, 40, 3), np.uint8); rgb[..., 0] = 255     # pure red
    >>> x = image_for_model(rgb, (28, 28, 1))
    >>> x.shape, round(float(x.max()), 2)              # luminance of red: 76 / 255
    ((28, 28, 1), 0.3)
    """
    from PIL import Image, UnidentifiedImageError
    shape = tuple(input_shape)
    if len(shape) != 3 or None in shape[:2] or shape[2] not in (1, 3):
        raise ValueError(f"input_shape must be (H, W, 1) or (H, W, 3) with a fixed H and W, "
                         f"got {shape}")
    if isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) > MAX_UPLOAD_BYTES:
            raise ValueError(f"the image file must be at most {MAX_UPLOAD_BYTES // 2**20} MiB, "
                             f"got {len(data) / 2**20:.1f} MiB")
        try:
            img = Image.open(io.BytesIO(bytes(data)))
            img.load()
        except (UnidentifiedImageError, OSError) as err:
            raise ValueError(f"the uploaded file is not an image Pillow can read "
                             f"(PNG, JPEG, BMP, GIF, ...): {err}") from None
    else:
        arr = check_real_array("image", data, (2, 3))
        if arr.ndim == 3 and arr.shape[2] not in (1, 3, 4):
            raise ValueError(f"image must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got "
                             f"shape {arr.shape}")
        arr = np.clip(arr[..., 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr, 0, 255)
        img = Image.fromarray(arr.astype(np.uint8))
    img = img.convert("L" if shape[2] == 1 else "RGB")
    if img.size != (shape[1], shape[0]):
        img = img.resize((shape[1], shape[0]), Image.BILINEAR)
    lo, hi = float(value_range[0]), float(value_range[1])
    x = lo + (hi - lo) * np.asarray(img, dtype=np.float32) / 255.0
    return x.reshape(shape).astype(np.float32)


def _input_range(model: Any, images: np.ndarray | None) -> tuple[float, float]:
    """(0, 255) if the given images are raw pixels or the model rescales them itself,
    else (0, 1)."""
    if images is not None and images.size:
        return (0.0, 255.0) if float(images.max()) > 1.0 else (0.0, 1.0)
    rescales = any(type(layer).__name__ == "Rescaling" for layer in model.layers)
    return (0.0, 255.0) if rescales else (0.0, 1.0)


# ----------------------------------------------------------------------------- drawing
def _grey(x: np.ndarray, value_range: tuple[float, float]) -> np.ndarray:
    """One model input (H, W, C) as uint8 pixels for display (grey or RGB)."""
    lo, hi = value_range
    pixels = np.clip((x - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    return pixels[..., 0] if pixels.shape[-1] == 1 else pixels


def overlay_png(pixels: np.ndarray, cam: np.ndarray, scale: int) -> bytes:
    """The image with the Grad-CAM map (0..1) on top in the ``jet`` colours, weighted by
    the map itself (no colour where there is no evidence); the peak outlined in white."""
    rgb = np.repeat(pixels[..., None], 3, axis=2) if pixels.ndim == 2 else pixels
    heat = _lut("jet")[np.clip(cam * 255, 0, 255).astype(np.uint8)].astype(np.float32)
    alpha = 0.6 * np.clip(cam, 0, 1)[..., None]
    mixed = (rgb.astype(np.float32) * (1 - alpha) + heat * alpha).astype(np.uint8)
    boxes = []
    if cam.max() > 0:
        r, c = np.unravel_index(int(np.argmax(cam)), cam.shape)
        boxes = [(r, c, 1, 1, (255, 255, 255))]
    return png(mixed, scale, boxes)


def maps_png(maps: np.ndarray, columns: int = 4) -> bytes:
    """Feature maps (h, w, n) as a grid of tiles, each scaled to its own min..max (black
    = its lowest value), separated by white lines."""
    h, w, n = maps.shape
    scale = max(1, TILE_PX // max(h, w))
    rows = -(-n // columns)
    gap = 2
    grid = np.full((rows * (h * scale + gap) - gap, columns * (w * scale + gap) - gap), 255,
                   np.uint8)
    for k in range(n):
        tile = to_rgb(maps[..., k], signed=False)
        tile = np.repeat(np.repeat(tile, scale, 0), scale, 1)
        r, c = divmod(k, columns)
        grid[r * (h * scale + gap):r * (h * scale + gap) + h * scale,
             c * (w * scale + gap):c * (w * scale + gap) + w * scale] = tile
    return png(grid)


def bars_html(predictions: Sequence[tuple[int, str, float]], label: int | None) -> str:
    """The top predictions as horizontal bars whose labels are the text equivalent."""
    rows = []
    for i, name, p in predictions:
        mark = " (true class)" if label == i else ""
        rows.append(
            f"<div style='display:flex;align-items:center;gap:6px;margin:2px 0'>"
            f"<div style='width:{max(1, round(120 * p))}px;height:14px;background:"
            f"{'#2a7ab9' if label in (None, i) else '#c0504d'}'></div>"
            f"<span>{html.escape(name)} {p:.1%}{mark}</span></div>")
    return "".join(rows)


def _panel(title: Any, *children: Any, width: int) -> Any:
    return ipywidgets.VBox([title, *children], layout=ipywidgets.Layout(
        width=f"{width}px", margin="0 16px 8px 0", flex="0 0 auto"))


# ----------------------------------------------------------------------------- the explorer
class ModelExplorer(Explorer):
    """Explore a trained Keras CNN on one image: top-3, feature maps, Grad-CAM.

    Build it with :func:`explore_model`. Controls: ``image`` (``Dropdown`` of the data-set
    images and the uploaded ones), ``upload`` (``FileUpload``, images), ``layer`` (the conv
    layers), ``target`` (the Grad-CAM class; ``-1`` = the predicted class). Views
    (``ipywidgets.Image``): ``input_view``, ``maps_view``, ``cam_view``; ``bars``
    (HTML bars). Text equivalents (``ipywidgets.HTML``): ``top_text``, ``maps_text``,
    ``cam_text``; ``message`` (errors). State: ``explanation`` (the last
    :class:`cnn_course.explorer.ImageExplanation`), ``current_image`` (the model input,
    (H, W, C)), ``redrawn`` (the views redrawn by the last change).
    """

    def __init__(self, model: keras_types.Model, images: np.ndarray | None = None,
                 labels: Sequence[int] | None = None,
                 class_names: Sequence[str] | None = None) -> None:
        check_built_model(model)
        get_feature_layer(model, None)    # ValueError naming the layers if there is no conv
        self.model = model
        self.input_shape = tuple(int(d) if d is not None else None
                                 for d in model.input_shape[1:])
        if None in self.input_shape[:2] or self.input_shape[2] not in (1, 3):
            raise ValueError(f"model {model.name!r} must take images of a fixed size with 1 or "
                             f"3 channels, its input shape is {model.input_shape}")
        self.n_classes = int(model.output_shape[-1])
        self.class_names = self._check_names(class_names)
        self._images, self._labels, sources = self._check_images(images, labels)
        self.value_range = _input_range(model, images if images is not None else None)
        self._names: dict[Any, str] = {}
        self._cache: dict[tuple, ImageExplanation] = {}
        self._drawn: dict[str, Any] = {}
        self.explanation: ImageExplanation | None = None
        self.current_image: np.ndarray | None = None
        self.redrawn: list[str] = []
        self._build_controls(sources)
        self._build_views()
        for c in (self.image, self.layer, self.target):
            c.observe(self._safe_update, names="value")
        self.upload.observe(self._on_upload, names="value")
        self._safe_update()

    # -- arguments
    def _check_names(self, class_names: Sequence[str] | None) -> list[str]:
        if class_names is None:
            return [f"class {i}" for i in range(self.n_classes)]
        if isinstance(class_names, str) or len(class_names) != self.n_classes:
            raise ValueError(f"class_names must hold one name per class of the model "
                             f"({self.n_classes}), got {class_names!r}")
        return [str(n) for n in class_names]

    def _check_images(self, images: Any, labels: Any):
        """The data-set images as model inputs (N, H, W, C), their labels, and the
        chooser's entries; sample photos (converted like an upload) when none are given."""
        if images is None:
            if labels is not None:
                raise ValueError("labels were given without images")
            return self._sample_images()
        x = check_real_array("images", images, (3, 4))
        if x.ndim == 3:
            x = x[..., None]
        if x.shape[1:] != self.input_shape:
            raise ValueError(f"images must have shape (N, {', '.join(map(str, self.input_shape))})"
                             f" for model {self.model.name!r}, got {np.shape(images)}")
        if not 1 <= len(x) <= MAX_IMAGES:
            raise ValueError(f"images must hold 1 to {MAX_IMAGES} images (pass a slice, e.g. "
                             f"x_test[:100]), got {len(x)}")
        if not np.all(np.isfinite(x)):
            raise ValueError("images must not contain NaN or infinity")
        y = None
        if labels is not None:
            y = np.asarray(labels).reshape(-1)
            if len(y) != len(x) or not np.issubdtype(y.dtype, np.integer) \
                    or y.min() < 0 or y.max() >= self.n_classes:
                raise ValueError(f"labels must be {len(x)} integers in 0..{self.n_classes - 1} "
                                 f"(one per image), got {np.asarray(labels)!r:.80}")
        entries = [(f"image {i}" + (f": {self.class_names[y[i]]}" if y is not None else ""), i)
                   for i in range(len(x))]
        return x.astype(np.float32), y, entries

    def _sample_images(self):
        names = available_images()
        chosen = [n for n in SAMPLE_IMAGES if n in names]
        x = np.stack([image_for_model(load_image(n), self.input_shape,
                                      _input_range(self.model, None)) for n in chosen])
        return x, None, [(names[n].split(" (")[0], i) for i, n in enumerate(chosen)]

    # -- layout
    def _build_controls(self, sources: list[tuple[str, int]]) -> None:
        style = {"description_width": "50px"}
        self.image = ipywidgets.Dropdown(options=sources, value=sources[0][1],
                                         description="image", style=style,
                                         layout=ipywidgets.Layout(width="220px"))
        self.upload = ipywidgets.FileUpload(accept="image/*", multiple=False,
                                            description="upload image",
                                            layout=ipywidgets.Layout(width="160px"))
        convs = [c.name for c in conv_layers(self.model)]
        self.layer = ipywidgets.Dropdown(options=convs, value=convs[-1], description="layer",
                                         style=style, layout=ipywidgets.Layout(width="150px"))
        self.target = ipywidgets.Dropdown(
            options=[("predicted class", PREDICTED)] + [(n, i) for i, n in
                                                        enumerate(self.class_names)],
            value=PREDICTED, description="Grad-CAM", style={"description_width": "75px"},
            layout=ipywidgets.Layout(width="240px"))

    def _build_views(self) -> None:
        self.input_view, self.maps_view, self.cam_view = (
            ipywidgets.Image(format="png") for _ in range(3))
        (self.input_caption, self.bars, self.top_text, self.maps_caption, self.maps_text,
         self.cam_caption, self.cam_text, self.message) = (ipywidgets.HTML() for _ in range(8))
        small = ipywidgets.Layout(width="100%")
        for t in (self.top_text, self.maps_text, self.cam_text):
            t.layout = small
        for c in (self.image, self.upload, self.layer, self.target):
            c.layout.margin = "2px 12px 2px 0"
        controls = ipywidgets.HBox([self.image, self.upload, self.layer, self.target],
                                   layout=ipywidgets.Layout(flex_flow="row wrap"))
        panels = ipywidgets.HBox([
            _panel(self.input_caption, self.input_view, self.bars, self.top_text,
                   width=VIEW_PX + 50),
            _panel(self.maps_caption, self.maps_view, self.maps_text, width=4 * TILE_PX + 30),
            _panel(self.cam_caption, self.cam_view, self.cam_text, width=VIEW_PX + 50)],
            layout=ipywidgets.Layout(flex_flow="row wrap", align_items="flex-start"))
        super().__init__([controls, self.message, panels])

    # -- uploads
    def _on_upload(self, change: Any = None) -> None:
        for item in self.upload.value:
            try:
                self.add_image_bytes(item["content"], item["name"])
            except ValueError as err:
                self._fail(str(err))

    def add_image_bytes(self, data: bytes, name: str = "upload") -> int:
        """Add an image file's bytes (PNG, JPEG, ...) to the chooser, converted for the
        model by :func:`image_for_model`, and show it; return its key in ``image``."""
        x = image_for_model(data, self.input_shape, self.value_range)
        key = len(self._images)
        self._images = np.concatenate([self._images, x[None]])
        label = f"uploaded: {name}"[:40]
        self._busy = True                 # a new option list must not trigger an update
        try:
            self.image.options = list(self.image.options) + [(label, key)]
        finally:
            self._busy = False
        self.image.value = key
        return key

    # -- computing
    def explain(self, key: int, layer: str, target: int) -> ImageExplanation:
        """:func:`cnn_course.explain_image` of image ``key``, cached."""
        cached = (key, layer, target)
        if cached not in self._cache:
            self._cache[cached] = explain_image(
                self.model, self._images[key], layer_name=layer,
                class_index=None if target == PREDICTED else target, top=min(TOP, self.n_classes),
                channels=CHANNELS, class_names=self.class_names)
        return self._cache[cached]

    def _fail(self, text: str) -> None:
        self.message.value = message_html(text)

    def _update(self) -> None:
        key, layer, target = self.image.value, self.layer.value, self.target.value
        ex = self.explain(key, layer, target)
        self.explanation, self.current_image = ex, self._images[key]
        self.message.value = ""
        self.redrawn = []
        if self._drawn.get("top") != key:
            self._draw_top(key, ex)
        if self._drawn.get("maps") != (key, layer):
            self._draw_maps(key, layer, ex)
        if self._drawn.get("cam") != (key, layer, ex.class_index):
            self._draw_cam(key, layer, ex)

    def _draw_top(self, key: int, ex: ImageExplanation) -> None:
        x = self._images[key]
        scale = max(1, VIEW_PX // max(x.shape[:2]))
        self.input_view.value = png(_grey(x, self.value_range), scale)
        label = None if self._labels is None or key >= len(self._labels) else int(
            self._labels[key])
        source = dict((v, k) for k, v in self.image.options)[key]
        self.input_caption.value = (f"<b>input</b> {shape_text(x.shape)}, values "
                                    f"{self.value_range[0]:g}..{self.value_range[1]:g} "
                                    f"({html.escape(source)})")
        self.bars.value = bars_html(ex.predictions, label)
        truth = f" (true: {self.class_names[label]})" if label is not None else ""
        self.top_text.value = ("Top 3: " if len(ex.predictions) == 3 else "Top: ") + ", ".join(
            f"{html.escape(n)} {p:.1%}" for _, n, p in ex.predictions) + html.escape(truth)
        self._drawn["top"] = key
        self.redrawn.append("top")

    def _draw_maps(self, key: int, layer: str, ex: ImageExplanation) -> None:
        maps, chans = ex.feature_maps[layer], ex.channels[layer]
        n_all = int(self.model.get_layer(layer).output.shape[-1])
        self.maps_view.value = maps_png(maps)
        self.maps_caption.value = (f"<b>{html.escape(layer)}</b>: the {len(chans)} most active "
                                   f"of {n_all} channels ({shape_text(maps.shape[:2])} each)")
        self.maps_text.value = ("Most active channels (mean activation): " + ", ".join(
            f"{c} ({v:.3g})" for c, v in chans))
        self._drawn["maps"] = (key, layer)
        self.redrawn.append("maps")

    def _draw_cam(self, key: int, layer: str, ex: ImageExplanation) -> None:
        x = self._images[key]
        scale = max(1, VIEW_PX // max(x.shape[:2]))
        self.cam_view.value = overlay_png(_grey(x, self.value_range), ex.grad_cam, scale)
        name = self.class_names[ex.class_index]
        chosen = "predicted" if self.target.value == PREDICTED else "chosen"
        self.cam_caption.value = (f"<b>Grad-CAM</b> of {html.escape(name)} ({chosen}) at "
                                  f"{html.escape(layer)}")
        line = str(ex).splitlines()[-1]
        if name != f"class {ex.class_index}":
            line = line.replace(f"class {ex.class_index} ", f"class {ex.class_index} ({name}) ", 1)
        self.cam_text.value = html.escape(line)
        self._drawn["cam"] = (key, layer, ex.class_index)
        self.redrawn.append("cam")

    def text(self) -> str:
        """The three text equivalents, one line each (what the views show, in words)."""
        return "\n".join(html.unescape(t.value) for t in (self.top_text, self.maps_text,
                                                             self.cam_text))


def explore_model(model: keras_types.Model, images: np.ndarray | None = None,
                  labels: Sequence[int] | None = None,
                  class_names: Sequence[str] | None = None) -> ModelExplorer:
    """Explore a trained Keras CNN on one image at a time: top-3, feature maps, Grad-CAM.

    Per image: the top-3 classes with their probabilities; for the chosen conv layer its
    most active channels, ranked by mean activation ``m_k = mean_{i,j} A^k[i, j]``; the
    Grad-CAM map ``ReLU(sum_k alpha_k A^k)``, ``alpha_k = mean_{i,j} dy_c/dA^k`` of the
    chosen class ``c`` over the image. Each view has a text equivalent.

    Parameters
    ----------
    model : keras.Model
        A built CNN classifier with at least one conv layer, taking (H, W, 1) or (H, W, 3)
        images of a fixed size.
    images : array of shape (N, H, W, C) or (N, H, W), optional
        Up to 500 images as the model takes them (e.g. ``x_test[:50] / 255``). Default:
        sample photos (:func:`cnn_course.images.available_images`) converted like an upload.
        Uploaded images are scaled to the range these images have: 0..1 if their maximum is
        at most 1, else 0..255.
    labels : sequence of int, optional
        The true class of each image (shown beside the prediction).
    class_names : sequence of str, optional
        One name per class, e.g. ``cc.class_names("fashion_mnist")``.

    Returns
    -------
    ModelExplorer
        An ``ipywidgets.VBox`` driven by its controls (see :class:`ModelExplorer`).

    Raises
    ------
    TypeError
        If ``model`` is not a Keras model.
    ValueError
        If the model has no conv layer, is not built, does not take fixed-size 1- or
        3-channel images; if ``images`` do not have its input shape; if ``labels`` or
        ``class_names`` do not match.

    See Also
    --------
    cnn_course.explorer.explain_image : what each control change computes.
    cnn_course.gradcam.grad_cam : the Grad-CAM map alone.

    References
    ----------
    .. [1] R. R. Selvaraju et al., "Grad-CAM: visual explanations from deep networks via
       gradient-based localization", ICCV, 2017.
    .. [2] Z. J. Wang et al., "CNN Explainer: learning convolutional neural networks with
       interactive visualization", IEEE TVCG, 2020.
    """
    return ModelExplorer(model, images, labels, class_names)
