"""Plots the lessons repeat: learning curves, image grids, confusion matrices.

matplotlib only (no TensorFlow import). Every function returns the
``matplotlib.figure.Figure`` so a notebook shows it and a test can inspect it.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps

from ._validation import check_array, check_int

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_history", "plot_image_grid", "plot_confusion_matrix", "show_images",
           "image_panels", "CORRECT_COLOR", "WRONG_COLOR", "MAX_FIGURE_WIDTH"]

#: Widest figure (inches) the image helpers draw. JupyterLab on a 1280x800 screen gives a
#: notebook output about 1000 px; matplotlib draws 100 px per inch, and a wider figure is
#: shrunk to fit, its 12 pt titles with it (a 16-inch figure: titles ~10 px, capitals ~7 px).
#: At 10.5 inches a figure shows at ~95 % of its size: titles ~16 px, capitals ~11 px.
MAX_FIGURE_WIDTH = 10.5

#: Title colours of :func:`plot_image_grid`.
CORRECT_COLOR = "black"
WRONG_COLOR = "red"


def _history_dict(history: object) -> dict[str, list[float]]:
    if hasattr(history, "history") and isinstance(getattr(history, "history"), Mapping):
        logs = history.history
    elif isinstance(history, Mapping):
        logs = history
    else:
        raise TypeError("history must be a keras History (what model.fit / cnn_course.train "
                        f"return) or its .history dict, got {type(history).__name__}")
    out = {}
    for k, v in logs.items():
        vals = np.asarray(v, dtype=float).ravel()
        out[str(k)] = vals
    if "loss" not in out or len(out["loss"]) == 0:
        raise ValueError(f"history must contain a non-empty 'loss' list, got keys {sorted(out)}")
    return out


def _accuracy_key(logs: Mapping[str, Any]) -> str | None:
    for key in ("accuracy", "sparse_categorical_accuracy", "acc", "categorical_accuracy"):
        if key in logs:
            return key
    return None


def plot_history(history: object) -> Figure:
    """Training vs validation accuracy (left) and loss (right), per epoch.

    Parameters
    ----------
    history : keras.callbacks.History or dict
        ``{"loss": [...], "accuracy": [...], "val_loss": [...],
        "val_accuracy": [...]}``; the validation and accuracy entries are
        optional (without accuracy only the loss panel is drawn). Epochs are
        numbered from 1 (``history.epoch + 1`` when a History is given).

    Returns
    -------
    matplotlib.figure.Figure
        Axes titled "Training and validation accuracy" and "Training and
        validation loss", lines labelled "training" / "validation".
    """
    logs = _history_dict(history)
    n = len(logs["loss"])
    epochs = getattr(history, "epoch", None)
    if epochs is not None and len(epochs) == n:
        x = np.asarray(epochs) + 1
    else:
        x = np.arange(1, n + 1)
    acc = _accuracy_key(logs)
    panels = ([(acc, "accuracy")] if acc else []) + [("loss", "loss")]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, (key, what) in zip(axes[0], panels):
        ax.plot(x[:len(logs[key])], logs[key], "o-", label="training")
        if f"val_{key}" in logs:
            ax.plot(x[:len(logs[f"val_{key}"])], logs[f"val_{key}"], "o-", label="validation")
        ax.set_title(f"Training and validation {what}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(what)
        ax.legend()
        ax.grid(alpha=0.3)
        if n <= 20:
            ax.set_xticks(x)
    fig.tight_layout()
    return fig


def _grid_shape(n: int, ncols: int, min_panel_width: float) -> tuple[int, int]:
    """Rows and columns for ``n`` panels, at most ``ncols`` a row, none narrower than
    ``min_panel_width`` inches within :data:`MAX_FIGURE_WIDTH`.

    A requested row that does not fit is split into equal parts (8 -> 2 x 4, 10 -> 2 x 5)
    so a row-per-example layout stays readable; else the panels are spread evenly.
    """
    cols = min(ncols, n)
    fit = max(1, int(MAX_FIGURE_WIDTH // min_panel_width))
    if cols > fit:
        divisors = [d for d in range(fit, 0, -1) if cols % d == 0]
        if divisors[0] * 2 > fit:
            cols = divisors[0]
        else:
            cols = math.ceil(cols / math.ceil(cols / fit))
    return math.ceil(n / cols), cols


def image_panels(n: int, ncols: int | None = None, panel_width: float = 3.4,
                 panel_height: float | None = None, *,
                 min_panel_width: float = 2.5) -> tuple[Figure, np.ndarray]:
    """A figure with ``n`` panels that stays readable in a notebook.

    Panels go in rows of at most ``ncols``; a row wider than
    :data:`MAX_FIGURE_WIDTH` (10.5 in) is narrowed, down to
    ``min_panel_width``, then wrapped onto more rows (a row of 8 -> 2 x 4),
    so the figure is not shrunk to fit the notebook and its 12 pt titles stay
    about 16 px on screen (capitals ~11 px) instead of ~10 px.

    Parameters
    ----------
    n : int >= 1
        Number of panels.
    ncols : int >= 1, optional
        Most panels in a row; default ``n`` (one row if it fits).
    panel_width, panel_height : float > 0, optional
        Preferred panel size in inches; the height defaults to the width
        (square images).
    min_panel_width : float > 0, optional
        How far panels may be narrowed before the row is wrapped (inches).

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : numpy array of n Axes, shape (n,)
        In reading order; grid cells beyond ``n`` are removed.

    See Also
    --------
    show_images : the same layout with the images drawn.
    """
    n = check_int("n", n, 1)
    ncols = n if ncols is None else check_int("ncols", ncols, 1)
    panel_width = _check_inches("panel_width", panel_width)
    panel_height = panel_width if panel_height is None else _check_inches("panel_height",
                                                                          panel_height)
    min_panel_width = _check_inches("min_panel_width", min_panel_width)
    rows, cols = _grid_shape(n, ncols, min(min_panel_width, panel_width))
    width = min(panel_width, MAX_FIGURE_WIDTH / cols)
    height = panel_height * width / panel_width
    fig, grid = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in grid.flat[n:]:
        fig.delaxes(ax)
    return fig, grid.ravel()[:n]


def _check_inches(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number of inches, got {type(value).__name__}")
    if not 0 < value <= MAX_FIGURE_WIDTH:
        raise ValueError(f"{name} must be in (0, {MAX_FIGURE_WIDTH}] inches, got {value}")
    return float(value)


def _check_images(images: object, name: str = "images") -> np.ndarray:
    arr = check_array(name, images)
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[-1] != 3):
        raise ValueError(f"{name} must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3), "
                         f"got {np.shape(images)}")
    if len(arr) == 0:
        raise ValueError(f"{name} must contain at least one image")
    return arr


def _display(img: np.ndarray) -> np.ndarray:
    """Make an image imshow-ready: uint8 as is, floats in [0, 1] as is, others rescaled."""
    if img.dtype == np.uint8:
        return img
    img = img.astype(float)
    lo, hi = float(np.nanmin(img)), float(np.nanmax(img))
    if img.ndim == 3 and (lo < 0 or hi > 1):  # RGB must be in [0, 1] for imshow
        return (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return img


def _label_text(label: Any, class_names: Sequence[str] | None) -> str:
    if class_names is not None and isinstance(label, (int, np.integer)):
        return str(class_names[int(label)])
    return str(label)


def _check_labels(name: str, labels: object, n: int, class_names) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 or len(arr) != n:
        raise ValueError(f"{name} must have one entry per image ({n}), got shape {np.shape(labels)}")
    if class_names is not None and np.issubdtype(arr.dtype, np.integer):
        if arr.size and (arr.min() < 0 or arr.max() >= len(class_names)):
            raise ValueError(f"{name} must be in 0..{len(class_names) - 1} to index class_names, "
                             f"got {arr.min()}..{arr.max()}")
    return arr


def plot_image_grid(images: object, labels: object = None, predictions: object = None,
                    class_names: Sequence[str] | None = None, ncols: int = 8) -> Figure:
    """A grid of images titled with their labels; wrong predictions in red.

    Parameters
    ----------
    images : array, shape (N, H, W), (N, H, W, 1) or (N, H, W, 3)
        uint8 0..255 or floats (in [0, 1] for RGB; other ranges are rescaled).
    labels : array, shape (N,), optional
        True labels (indices, or names).
    predictions : array, shape (N,), optional
        Predicted labels, same kind as ``labels``.
    class_names : sequence of str, optional
        Names for integer labels.
    ncols : int >= 1
        Most images in a row; at most 6 (1.75 in each) fit in
        :data:`MAX_FIGURE_WIDTH`, so a longer row is split (8 -> 2 x 4).

    Returns
    -------
    matplotlib.figure.Figure
        One axis per image. Titles: ``"true / pred"`` when both are given
        (colour ``WRONG_COLOR`` = red where they differ, ``CORRECT_COLOR``
        otherwise), else the label or prediction alone.
    """
    imgs = _check_images(images)
    ncols = check_int("ncols", ncols, 1)
    if class_names is not None and (isinstance(class_names, str)
                                    or not all(isinstance(c, str) for c in class_names)):
        raise TypeError("class_names must be a list of str")
    n = len(imgs)
    lab = None if labels is None else _check_labels("labels", labels, n, class_names)
    pred = None if predictions is None else _check_labels("predictions", predictions, n,
                                                          class_names)
    rows, cols = _grid_shape(n, ncols, 1.75)
    fig, axes = plt.subplots(rows, cols, figsize=(1.75 * cols, 1.9 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = _display(imgs[i])
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        if lab is not None and pred is not None:
            t, p = _label_text(lab[i], class_names), _label_text(pred[i], class_names)
            ok = lab[i] == pred[i]
            ax.set_title(f"{t} / {p}", fontsize=9, color=CORRECT_COLOR if ok else WRONG_COLOR)
        elif lab is not None:
            ax.set_title(_label_text(lab[i], class_names), fontsize=9)
        elif pred is not None:
            ax.set_title(_label_text(pred[i], class_names), fontsize=9)
    if lab is not None and pred is not None:
        wrong = int(np.sum(lab != pred))
        fig.suptitle(f"true / predicted: {wrong} of {n} wrong (in red)")
    fig.tight_layout()
    return fig


def plot_confusion_matrix(cm: object, class_names: Sequence[str] | None = None) -> Figure:
    """Heat map of a confusion matrix with the count written in every cell.

    Parameters
    ----------
    cm : int array, shape (K, K)
        Rows true class, columns predicted class (see
        :func:`cnn_course.confusion_matrix`).
    class_names : sequence of K str, optional
        Tick labels; default ``0..K-1``.

    Returns
    -------
    matplotlib.figure.Figure
        y axis "true", x axis "predicted"; the title gives the accuracy
        ``trace(cm) / sum(cm)``.
    """
    m = check_array("cm", cm, ndims=(2,))
    k = m.shape[0]
    if k == 0 or m.shape[1] != k:
        raise ValueError(f"cm must be a square (K, K) matrix, got shape {m.shape}")
    if np.any(m < 0):
        raise ValueError("cm must hold counts >= 0")
    if class_names is None:
        names = [str(i) for i in range(k)]
    else:
        if isinstance(class_names, str) or not all(isinstance(c, str) for c in class_names):
            raise TypeError("class_names must be a list of str")
        if len(class_names) != k:
            raise ValueError(f"class_names has {len(class_names)} names, cm has {k} classes")
        names = list(class_names)
    size = max(4.0, 0.6 * k + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(m, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    vmax = m.max() if m.size else 0
    for i in range(k):
        for j in range(k):
            val = m[i, j]
            text = f"{int(val)}" if float(val).is_integer() else f"{val:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if vmax and val > vmax / 2 else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set_yticklabels(names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    total = m.sum()
    acc = f", accuracy {np.trace(m) / total:.3f}" if total else ""
    ax.set_title(f"Confusion matrix ({int(total)} samples{acc})")
    fig.tight_layout()
    return fig


def show_images(images: object, titles: Sequence[str] | None = None, ncols: int = 4,
                cmap: str | None = "gray") -> Figure:
    """Show several images side by side (e.g. an image and its filtered versions).

    Parameters
    ----------
    images : sequence of arrays (H, W) or (H, W, 3), sizes may differ; or one
        array (N, H, W) / (N, H, W, 3)
    titles : sequence of str, optional
        One per image.
    ncols : int >= 1
        Most images in a row; a row wider than :data:`MAX_FIGURE_WIDTH` is
        narrowed, then split (8 -> 2 x 4), see :func:`image_panels`.
    cmap : str
        Colormap for single-channel images (a matplotlib name).

    Returns
    -------
    matplotlib.figure.Figure
        One axis per image, titled with ``titles``.
    """
    if isinstance(images, np.ndarray):
        if images.ndim == 2:
            items = [images]
        elif images.ndim in (3, 4):
            items = list(images)
        else:
            raise ValueError(f"images must be (N, H, W), (N, H, W, 3) or a list of images, "
                             f"got shape {images.shape}")
    elif isinstance(images, (list, tuple)):
        items = list(images)
    else:
        raise TypeError(f"images must be a list of arrays or an array, got {type(images).__name__}")
    if not items:
        raise ValueError("images must contain at least one image")
    arrays = []
    for i, img in enumerate(items):
        a = check_array(f"images[{i}]", img)
        if a.ndim == 3 and a.shape[-1] == 1:
            a = a[..., 0]
        if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (3, 4)):
            raise ValueError(f"images[{i}] must have shape (H, W), (H, W, 1) or (H, W, 3), "
                             f"got {a.shape}")
        arrays.append(a)
    if titles is not None:
        if isinstance(titles, str) or len(titles) != len(arrays):
            raise ValueError(f"titles must be a list with one title per image ({len(arrays)})")
    ncols = check_int("ncols", ncols, 1)
    if cmap is not None and (not isinstance(cmap, str) or cmap not in colormaps):
        raise ValueError(f"cmap must be a matplotlib colormap name such as 'gray', got {cmap!r}")
    fig, axes = image_panels(len(arrays), ncols, panel_width=3.0, min_panel_width=1.75)
    for i, ax in enumerate(axes):
        ax.axis("off")
        a = _display(arrays[i])
        ax.imshow(a, cmap=cmap if a.ndim == 2 else None)
        if titles is not None:
            ax.set_title(str(titles[i]))
    fig.tight_layout()
    return fig
