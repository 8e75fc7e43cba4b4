"""The model explorer (``cc.explore_model``): every view follows its control, every view's
text equivalent says what the library computed, uploads are converted for the model.

A tiny two-conv CNN on 12x12 grey images keeps the file fast; the expected values are
computed here with Keras directly (a sub-model per layer), not with the explorer's code.
"""
from __future__ import annotations

import datetime
import io
import re

import numpy as np
import pytest

pytest.importorskip("ipywidgets")
keras = pytest.importorskip("keras")

from PIL import Image  # noqa: E402

import cnn_course as cc  # noqa: E402
from cnn_course.widgets.model_explorer import PREDICTED, ModelExplorer, image_for_model  # noqa: E402

NAMES = ["zero", "one", "two"]


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(3)
    return keras.Sequential([
        keras.Input((12, 12, 1)),
        keras.layers.Conv2D(4, 3, activation="relu", name="c1"),
        keras.layers.MaxPooling2D(2, name="p1"),
        keras.layers.Conv2D(6, 3, activation="relu", name="c2"),
        keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax", name="out")], name="tiny")


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    return rng.random((5, 12, 12, 1)).astype("float32")


@pytest.fixture
def explorer(model, images):
    return cc.explore_model(model, images, labels=[0, 1, 2, 0, 1], class_names=NAMES)


def _layer(model, name, x):
    sub = keras.Model(model.inputs[0], model.get_layer(name).output)
    return np.asarray(sub(x[None]))[0]


def test_text_equivalents_say_what_keras_computes(explorer, model, images):
    probs = np.asarray(model(images[2:3]))[0]
    explorer.image.value = 2
    top = np.argsort(-probs)[:3]
    expected = "Top 3: " + ", ".join(f"{NAMES[i]} {probs[i]:.1%}" for i in top) + " (true: two)"
    assert explorer.top_text.value == expected
    explorer.layer.value = "c1"
    means = _layer(model, "c1", images[2]).mean(axis=(0, 1))
    listed = [int(c) for c in re.findall(r"(\d+) \(", explorer.maps_text.value)]
    assert listed == list(np.argsort(-means, kind="stable")), explorer.maps_text.value
    assert "the 4 most active of 4 channels (10x10 each)" in explorer.maps_caption.value
    cam = cc.grad_cam(model, images[2], layer_name="c1")
    r, c = np.unravel_index(int(np.argmax(cam)), cam.shape)
    assert f"class {top[0]} ({NAMES[top[0]]}) at c1: strongest at row {r}, column {c}" \
        in explorer.cam_text.value
    assert explorer.text().splitlines()[0] == expected


def test_each_control_redraws_only_its_views(explorer, model, images):
    assert explorer.layer.value == "c2" and explorer.target.value == PREDICTED
    before = (explorer.input_view.value, explorer.maps_view.value, explorer.cam_view.value)
    explorer.target.value = 1
    assert explorer.redrawn == ["cam"]
    assert explorer.cam_view.value != before[2] or "no positive evidence" in \
        explorer.cam_text.value
    assert "class 1 (one) at c2" in explorer.cam_text.value
    np.testing.assert_allclose(explorer.explanation.grad_cam,
                               cc.grad_cam(model, images[0], "c2", 1), atol=1e-5)
    explorer.layer.value = "c1"
    assert explorer.redrawn == ["maps", "cam"]
    assert explorer.maps_view.value != before[1]
    assert "<b>c1</b>" in explorer.maps_caption.value
    explorer.image.value = 3
    assert explorer.redrawn == ["top", "maps", "cam"]
    assert explorer.input_view.value != before[0]
    np.testing.assert_array_equal(explorer.current_image, images[3])
    explorer.image.value = 0                     # cached: nothing recomputed, views back
    assert explorer.explanation is explorer.explain(0, "c1", 1)


def test_upload_rgb_png_into_a_grey_model(explorer, model):
    rgb = np.zeros((30, 24, 3), np.uint8)
    rgb[:, :12] = (255, 0, 0)                    # left half red, right half white
    rgb[:, 12:] = 255
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    explorer.upload.value = ({"name": "half.png", "type": "image/png", "size": len(buf.getvalue()),
                              "content": memoryview(buf.getvalue()), "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},)
    assert explorer.image.label == "uploaded: half.png"
    x = explorer.current_image
    assert x.shape == (12, 12, 1) and x.dtype == np.float32
    assert x[:, 0, 0] == pytest.approx(0.299, abs=0.01)      # luminance of red, scaled to 0..1
    assert x[:, -1, 0] == pytest.approx(1.0, abs=0.01)
    probs = np.asarray(model(x[None]))[0]
    assert explorer.top_text.value.startswith(f"Top 3: {NAMES[int(np.argmax(probs))]} "
                                              f"{probs.max():.1%}")
    assert "(true:" not in explorer.top_text.value           # an upload has no label


def test_bad_upload_is_a_message_not_a_traceback(explorer):
    explorer.upload.value = ({"name": "notes.png", "type": "image/png", "size": 5,
                              "content": memoryview(b"hello"), "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)},)
    assert "not an image Pillow can read" in explorer.message.value
    assert explorer.image.value == 0


def test_raw_pixel_images_make_uploads_raw_too(model):
    x = (np.arange(144, dtype="float32").reshape(1, 12, 12) % 255)
    w = ModelExplorer(model, x)
    assert w.value_range == (0.0, 255.0)
    assert w.current_image.shape == (12, 12, 1)
    grey = np.full((12, 12), 128, np.uint8)
    np.testing.assert_allclose(image_for_model(grey, (12, 12, 1), w.value_range), 128.0)
    assert "class 0" in w.text() or "class 1" in w.text() or "class 2" in w.text()


def test_default_images_are_sample_photos_converted(model):
    w = cc.explore_model(model)
    assert len(w.image.options) >= 1 and w.current_image.shape == (12, 12, 1)
    assert 0 <= w.current_image.min() and w.current_image.max() <= 1


def test_arguments_are_checked(model, images):
    no_conv = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Flatten(),
                                keras.layers.Dense(3)], name="dense_only")
    with pytest.raises(ValueError, match="no convolutional layer"):
        cc.explore_model(no_conv)
    with pytest.raises(TypeError, match="keras.Model"):
        cc.explore_model("fashion_cnn")
    with pytest.raises(ValueError, match=r"images must have shape \(N, 12, 12, 1\)"):
        cc.explore_model(model, np.zeros((2, 28, 28, 1)))
    with pytest.raises(ValueError, match="labels must be 5 integers in 0..2"):
        cc.explore_model(model, images, labels=[0, 1, 2, 3, 0])
    with pytest.raises(ValueError, match="labels must be 5 integers"):
        cc.explore_model(model, images, labels=[0, 1])
    with pytest.raises(ValueError, match=r"class_names must hold one name per class of the model \(3\)"):
        cc.explore_model(model, images, class_names=["a", "b"])
    with pytest.raises(ValueError, match="at most|1 to 500"):
        cc.explore_model(model, np.zeros((501, 12, 12, 1)))
    with pytest.raises(ValueError, match="NaN"):
        cc.explore_model(model, np.full((1, 12, 12, 1), np.nan))
    with pytest.raises(ValueError, match=r"input_shape must be \(H, W, 1\) or \(H, W, 3\)"):
        image_for_model(np.zeros((4, 4)), (4, 4, 2))
