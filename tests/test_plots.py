"""Plots: learning curves, image grids, confusion matrices (checked through the figure objects)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

import cnn_course as cc  # noqa: E402
from cnn_course import plots  # noqa: E402

HISTORY = {"loss": [1.0, 0.6, 0.4], "accuracy": [0.6, 0.8, 0.9],
           "val_loss": [0.9, 0.7, 0.8], "val_accuracy": [0.65, 0.75, 0.7]}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fashion():
    (x, y), _ = cc.load_dataset("fashion_mnist")
    return x[:8], y[:8].astype(int)


def test_plot_history_side_by_side():
    fig = plots.plot_history(HISTORY)
    acc_ax, loss_ax = fig.axes
    assert acc_ax.get_title() == "Training and validation accuracy"
    assert loss_ax.get_title() == "Training and validation loss"
    assert [line.get_label() for line in loss_ax.lines] == ["training", "validation"]
    np.testing.assert_array_equal(loss_ax.lines[1].get_ydata(), HISTORY["val_loss"])
    np.testing.assert_array_equal(acc_ax.lines[0].get_xdata(), [1, 2, 3])
    assert acc_ax.get_position().x0 < loss_ax.get_position().x0  # side by side


def test_plot_history_accepts_a_history_object():
    class FakeHistory:  # what keras.callbacks.History looks like
        history = {"loss": [0.5, 0.4], "sparse_categorical_accuracy": [0.7, 0.8]}
        epoch = [3, 4]  # e.g. a resumed run

    fig = plots.plot_history(FakeHistory())
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 1  # no validation lines
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_xdata(), [4, 5])
    only_loss = plots.plot_history({"loss": [1.0, 0.5]})
    assert [ax.get_title() for ax in only_loss.axes] == ["Training and validation loss"]
    with pytest.raises(ValueError, match="'loss'"):
        plots.plot_history({"accuracy": [0.5]})
    with pytest.raises(TypeError, match="History"):
        plots.plot_history([1.0, 0.5])


def test_plot_image_grid_marks_wrong_predictions_in_red(fashion):
    x, y = fashion
    names = cc.class_names("fashion_mnist")
    pred = y.copy()
    pred[[1, 5]] = (y[[1, 5]] + 1) % 10
    fig = plots.plot_image_grid(x, y, pred, class_names=names, ncols=4)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 8
    assert shown[0].get_title() == f"{names[y[0]]} / {names[pred[0]]}"
    assert shown[1].get_title() == f"{names[y[1]]} / {names[pred[1]]}"
    red = to_rgba(plots.WRONG_COLOR)
    colours = [to_rgba(ax.title.get_color()) for ax in shown]
    assert [i for i, c in enumerate(colours) if c == red] == [1, 5]
    assert "2 of 8 wrong" in fig._suptitle.get_text()
    np.testing.assert_array_equal(shown[3].images[0].get_array(), x[3])


def test_plot_image_grid_layouts_and_errors(fashion):
    x, y = fashion
    fig = plots.plot_image_grid(x[..., None] / 255.0, labels=y, ncols=3)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 9 and len(shown) == 8  # 3 rows of 3, last cell empty
    assert shown[0].get_title() == str(y[0])
    rgb = plots.plot_image_grid(np.stack([x[:2] / 255.0] * 3, axis=-1))
    assert rgb.axes[0].images[0].get_array().shape == (28, 28, 3)
    with pytest.raises(ValueError, match="one entry per image"):
        plots.plot_image_grid(x, labels=y[:3])
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        plots.plot_image_grid(x[0])
    with pytest.raises(ValueError, match="index class_names"):
        plots.plot_image_grid(x, labels=y, class_names=["a", "b"])
    with pytest.raises(ValueError, match="ncols must be >= 1"):
        plots.plot_image_grid(x, ncols=0)


def test_plot_confusion_matrix_counts_and_labels():
    cm = np.array([[50, 2, 0], [5, 40, 5], [0, 10, 38]])
    fig = plots.plot_confusion_matrix(cm, class_names=["cat", "dog", "frog"])
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts == [str(v) for v in cm.ravel()]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "frog"]
    np.testing.assert_array_equal(ax.images[0].get_array(), cm)
    assert to_rgba(ax.texts[0].get_color()) == to_rgba("white")  # 50: dark cell
    assert to_rgba(ax.texts[1].get_color()) == to_rgba("black")  # 2: light cell
    assert "accuracy 0.853" in ax.get_title()
    with pytest.raises(ValueError, match="square"):
        plots.plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="2 names, cm has 3"):
        plots.plot_confusion_matrix(cm, class_names=["a", "b"])


def test_plot_confusion_matrix_from_training_toolkit():
    cm = cc.confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2])
    fig = plots.plot_confusion_matrix(cm)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["0", "1", "2"]


def test_show_images(fashion):
    x, _ = fashion
    edges = np.diff(x[0].astype(float), axis=1)  # (28, 27), negative values allowed
    fig = plots.show_images([x[0], edges], titles=["image", "horizontal differences"])
    assert [ax.get_title() for ax in fig.axes] == ["image", "horizontal differences"]
    assert fig.axes[1].images[0].get_array().shape == (28, 27)
    assert fig.axes[0].images[0].get_cmap().name == "gray"
    stack = plots.show_images(x[:6], ncols=4, cmap="viridis")
    assert len(stack.axes) == 6 and all(ax.images for ax in stack.axes)  # 4 + 2, no empty cells
    assert len({round(ax.get_position().y0, 3) for ax in stack.axes}) == 2
    with pytest.raises(ValueError, match="one title per image"):
        plots.show_images([x[0], x[1]], titles=["only one"])
    with pytest.raises(ValueError, match="colormap"):
        plots.show_images([x[0]], cmap="no-such-map")
    with pytest.raises(ValueError, match="at least one"):
        plots.show_images([])
    with pytest.raises(TypeError):
        plots.show_images("image.png")


def _rows_and_cols(fig):
    boxes = [ax.get_position() for ax in fig.axes]
    return len({round(b.y0, 3) for b in boxes}), len({round(b.x0, 3) for b in boxes})


def test_image_panels_wrap_wide_rows_to_the_notebook_width():
    fig, axes = plots.image_panels(3)
    assert axes.shape == (3,) and _rows_and_cols(fig) == (1, 3)
    assert fig.get_size_inches()[0] == pytest.approx(10.2)  # 3 panels of 3.4 in
    fig, axes = plots.image_panels(4)  # narrowed to fit one row
    assert _rows_and_cols(fig) == (1, 4)
    assert fig.get_size_inches()[0] == pytest.approx(plots.MAX_FIGURE_WIDTH)
    fig, axes = plots.image_panels(5)  # too narrow in one row: 3 + 2, the 6th cell removed
    assert len(fig.axes) == 5 and list(axes) == fig.axes and _rows_and_cols(fig) == (2, 3)
    assert fig.get_size_inches()[0] <= plots.MAX_FIGURE_WIDTH
    fig, _ = plots.image_panels(4, ncols=2, panel_width=2, panel_height=1)
    np.testing.assert_allclose(fig.get_size_inches(), [4, 2])
    with pytest.raises(ValueError, match="n must be >= 1"):
        plots.image_panels(0)
    with pytest.raises(ValueError, match="panel_width must be in"):
        plots.image_panels(2, panel_width=30)
    with pytest.raises(TypeError, match="panel_height must be a number"):
        plots.image_panels(2, panel_height="3")


@pytest.mark.parametrize("n, ncols, shape", [(8, 8, (2, 4)), (10, 10, (2, 5)), (12, 6, (2, 6)),
                                             (16, 8, (4, 4))])
def test_show_images_keeps_rows_readable(n, ncols, shape):
    images = np.zeros((n, 28, 28))
    fig = plots.show_images(images, titles=["Ankle boot"] * n, ncols=ncols)
    assert fig.get_size_inches()[0] <= plots.MAX_FIGURE_WIDTH + 1e-9
    assert _rows_and_cols(fig) == shape  # a requested row of 8 splits into 2 x 4, not 7 + 1
    fig.canvas.draw()  # titles of neighbouring panels do not overlap
    boxes = [ax.title.get_window_extent() for ax in fig.axes[:shape[1]]]
    assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:]))


def test_plot_image_grid_fits_the_notebook_width(fashion):
    x, y = fashion
    fig = plots.plot_image_grid(np.concatenate([x, x]), labels=np.concatenate([y, y]), ncols=8)
    assert fig.get_size_inches()[0] <= plots.MAX_FIGURE_WIDTH
    assert _rows_and_cols(fig) == (4, 4)
