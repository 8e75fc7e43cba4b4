"""What every explorer shares: one update per change, errors as messages, image panels.

:class:`Explorer` is the base of all four explorers (an ``ipywidgets.VBox``): a control
change runs ``_update`` once, and a ``ValueError``/``TypeError`` from the library becomes
a yellow message instead of a traceback. :class:`ImageExplorer` adds the input and
output image panels of the convolution and pooling explorers, drawn at their *true
relative size* (one pixel = one pixel, small images enlarged by the same integer factor),
so a stride-2 output really looks half as wide as its input.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._lazy import ipywidgets
from .._validation import check_real_array
from ..images import available_images, load_image, to_grey
from .render import message_html, png, shape_text

__all__ = ["Explorer", "ImageExplorer", "slider", "labelled", "explorer_image",
           "EXPLORER_IMAGES", "PANEL_PX", "MAX_SHOWN_PX", "DESCRIPTION_WIDTH"]

PANEL_PX = 256          # target display size (pixels) of an image panel
MAX_SHOWN_PX = 240      # largest side of an image panel on screen (fits 1280x800)
MAX_USER_SIDE = 4096    # largest side of a user's image
DESCRIPTION_WIDTH = "90px"
# the images offered by the explorers' image chooser (when available)
EXPLORER_IMAGES = ("camera", "astronaut", "brick", "coins", "fashion_mnist")


def slider(cls: type, description: str, value: float, lo: float, hi: float, step: float = 1,
           width: str = "330px", **kw: Any):
    """An ``IntSlider``/``FloatSlider`` that updates on release, labelled like the others."""
    return cls(value=value, min=lo, max=hi, step=step, description=description,
               continuous_update=False, style={"description_width": DESCRIPTION_WIDTH},
               layout=ipywidgets.Layout(width=width), **kw)


def labelled(text: str, control):
    """``control`` with a label in the description column (for controls without one)."""
    label = ipywidgets.HTML(f'<div style="width:{DESCRIPTION_WIDTH};text-align:right;'
                            f'padding-right:8px">{text}</div>')
    return ipywidgets.HBox([label, control])


def explorer_image(name: str) -> np.ndarray:
    """A sample image as the explorers show it: grey float32 (H, W), 0..255; 512x512
    photos are 2x2-averaged to 256x256 (same look, a quarter of the work)."""
    img = load_image(name, grey=True).astype(np.float32)
    if img.shape == (512, 512):
        img = img.reshape(256, 2, 256, 2).mean(axis=(1, 3))
    return img


def as_grey(name: str, image: Any) -> np.ndarray:
    """A user's image -> float32 (H, W); RGB(A) images are converted to luminance."""
    img = check_real_array(name, image, (2, 3))
    if max(img.shape[:2]) > MAX_USER_SIDE:
        raise ValueError(f"{name} must be at most {MAX_USER_SIDE}x{MAX_USER_SIDE} pixels (the "
                         f"explorer filters it again on every change), got shape {img.shape}; "
                         f"resize it first")
    if img.ndim == 3:
        if img.shape[2] not in (1, 3, 4):
            raise ValueError(f"{name} must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); "
                             f"got shape {img.shape}")
        img = img[..., 0] if img.shape[2] == 1 else to_grey(img)
    if not np.all(np.isfinite(img)):
        raise ValueError(f"{name} must not contain NaN or infinity")
    return np.asarray(img, dtype=np.float32)


class Explorer(ipywidgets.VBox):
    """Base of the explorers: ``_update`` runs once per change; library errors become a
    message (``_fail``), never a traceback. Subclasses define both."""

    _busy = False

    def _safe_update(self, change: Any = None) -> None:
        """Observer for every control: recompute, unless an update is already running."""
        if self._busy:
            return
        self._busy = True
        try:
            self._update()
        except (ValueError, TypeError, OSError) as err:   # bad input, missing data: say so
            self._fail(str(err))
        finally:
            self._busy = False

    def _update(self) -> None:   # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _fail(self, text: str) -> None:   # pragma: no cover - every subclass defines it
        raise NotImplementedError


class ImageExplorer(Explorer):
    """An explorer with an image chooser, an input and an output image panel, and the
    text lines ``formula``, ``shapes`` and ``message`` (the text equivalent of the images).
    """

    def _build_image_choice(self, image: Any) -> None:
        """``self.image`` (a chooser of sample images, the user's image first if given)."""
        names = available_images()
        options = [(names[k], k) for k in EXPLORER_IMAGES if k in names]
        self._user = None
        if image is not None:
            self._user = as_grey("image", image)
            options.insert(0, (f"your image ({shape_text(self._user.shape)})", "user"))
        self.image = ipywidgets.Dropdown(options=options, value=options[0][1],
                                         description="image",
                                         style={"description_width": DESCRIPTION_WIDTH},
                                         layout=ipywidgets.Layout(width="400px"))

    def _current_image(self) -> np.ndarray:
        return self._user if self.image.value == "user" else explorer_image(self.image.value)

    def _image_panels(self):
        """Create the input and output views with their captions and the formula, shapes
        and message lines; return the row of the two panels."""
        self.input_view = ipywidgets.Image(format="png")
        self.output_view = ipywidgets.Image(format="png")
        self.input_caption = ipywidgets.HTML()
        self.output_caption = ipywidgets.HTML()
        self.formula = ipywidgets.HTML()
        self.shapes = ipywidgets.HTML()
        self.message = ipywidgets.HTML()
        self.output_array: np.ndarray | None = None
        self.input_array: np.ndarray | None = None
        column = dict(align_items="flex-start", max_width=f"{MAX_SHOWN_PX + 150}px")
        return ipywidgets.HBox([
            ipywidgets.VBox([self.input_caption, self.input_view],
                            layout=ipywidgets.Layout(margin="0 16px 0 0", **column)),
            ipywidgets.VBox([self.output_caption, self.output_view, self.message],
                            layout=ipywidgets.Layout(**column))],
            layout=ipywidgets.Layout(align_items="flex-start", flex_flow="row wrap"))

    def _ok(self) -> None:
        """Show the output image and hide the message."""
        self.output_view.layout.display = ""
        self.message.value = ""
        self.message.layout.display = "none"

    def _fail(self, text: str) -> None:
        """Hide the output image and show ``text`` in its place."""
        self.output_array = None
        self.output_view.layout.display = "none"
        self.message.value = message_html(text)
        self.message.layout.display = ""


# ----------------------------------------------------------------------------- panel geometry
def scale_for(shape: tuple[int, ...]) -> int:
    """Integer enlargement so that an image is about ``PANEL_PX`` pixels (1 for big ones)."""
    return max(1, PANEL_PX // max(shape[:2]))


def shown_factor(shape: tuple[int, ...], scale: int) -> float:
    """Screen pixels per PNG pixel for a panel of ``shape`` enlarged ``scale`` times: 1, or
    less so that its larger side fits ``MAX_SHOWN_PX``. Input and output use the same
    factor, so a stride-s output looks s times smaller than its input, as it is."""
    return min(1.0, MAX_SHOWN_PX / (max(shape[:2]) * scale))


def box_line(factor: float) -> int:
    """Outline width in PNG pixels that stays about 3 screen pixels wide."""
    return max(2, int(np.ceil(3 / factor)))


def show(view, pixels: np.ndarray, scale: int, factor: float, boxes=(), line: int = 2) -> None:
    """Put ``pixels`` (enlarged ``scale`` times, drawn at ``factor``) in the image ``view``."""
    view.value = png(pixels, scale, boxes, line)
    view.layout.width = f"{pixels.shape[1] * scale * factor:.0f}px"
    view.layout.height = f"{pixels.shape[0] * scale * factor:.0f}px"
