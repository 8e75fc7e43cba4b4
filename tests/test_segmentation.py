"""Masks, pixel accuracy and IoU (cnn_course.segmentation) on known cases; the weights text
file of cnn_course.training read back into a rebuilt model."""
from __future__ import annotations

import numpy as np
import pytest

from cnn_course.segmentation import digit_masks, iou, pixel_accuracy


def test_digit_masks_integer_and_float_images():
    x = np.array([[0, 127, 128, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(digit_masks(x), [[0, 0, 1, 1]])       # 127.5 is the cut
    np.testing.assert_array_equal(digit_masks(x / 255.0), [[0, 0, 1, 1]])
    np.testing.assert_array_equal(digit_masks(x, threshold=0.1), [[0, 1, 1, 1]])
    assert digit_masks(np.zeros((2, 28, 28, 1), np.uint8)).shape == (2, 28, 28, 1)
    assert digit_masks(x).dtype == np.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda: digit_masks(np.ones((2, 2)) * 2.0), ValueError, r"floats in \[0, 1\]"),
    (lambda: digit_masks(np.array([[300]])), ValueError, "0..255"),
    (lambda: digit_masks(np.ones((2, 2)), threshold=1.0), ValueError, r"threshold must be in \(0, 1\)"),
    (lambda: digit_masks(np.ones((2, 2)), threshold="0.5"), TypeError, "threshold"),
    (lambda: digit_masks(np.zeros((0, 2))), ValueError, "must not be empty"),
    (lambda: iou(np.ones(3), np.ones(4)), ValueError, "shape of y_true"),
    (lambda: iou(np.ones(3), np.full(3, 0.7)), ValueError, "threshold probabilities first"),
    (lambda: pixel_accuracy(np.full(3, 2), np.ones(3)), ValueError, "y_true must be a binary"),
])
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_scores_on_known_cases():
    t = np.array([[1, 1, 0, 0], [0, 0, 0, 0]])
    assert pixel_accuracy(t, t) == 1.0 and iou(t, t) == 1.0
    nothing = np.zeros_like(t)
    assert pixel_accuracy(t, nothing) == 0.75          # background alone scores well...
    assert iou(t, nothing) == 0.0                       # ...IoU does not
    assert iou(t, 1 - t) == 0.0 and pixel_accuracy(t, 1 - t) == 0.0
    p = np.array([[1, 0, 1, 0], [0, 0, 0, 0]])
    assert iou(t, p) == pytest.approx(1 / 3)            # union, not |T| + |P| (would be 1/4)
    assert pixel_accuracy(t, p) == 0.75
    assert iou(nothing, nothing) == 1.0                 # nothing to find, nothing found
    assert iou(t.astype(bool), p.astype(bool)) == iou(t, p)


def test_iou_pools_the_batch_and_is_symmetric():
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 2, (5, 6, 6)), rng.integers(0, 2, (5, 6, 6))
    expected = np.logical_and(t, p).sum() / np.logical_or(t, p).sum()
    assert iou(t, p) == pytest.approx(expected) == iou(p, t)


# --------------------------------------------------------------------------- weights as text
@pytest.fixture(scope="module")
def keras():
    return pytest.importorskip("keras")


def test_weights_text_round_trip_gives_the_same_predictions(tmp_path, keras):
    from cnn_course.models import build_encoder_decoder
    from cnn_course.training import export_weights, import_weights

    keras.utils.set_random_seed(0)
    model = build_encoder_decoder(widths=(4, 8))
    x = np.random.default_rng(0).uniform(0, 1, (3, 28, 28, 1)).astype("float32")
    path = export_weights(model, tmp_path / "weights.txt", precision=6)
    keras.utils.set_random_seed(1)
    rebuilt = build_encoder_decoder(widths=(4, 8))
    before = np.abs(rebuilt.predict(x, verbose=0) - model.predict(x, verbose=0)).max()
    assert before > 1e-3                              # a fresh model predicts differently
    assert import_weights(rebuilt, path) is rebuilt
    after = np.abs(rebuilt.predict(x, verbose=0) - model.predict(x, verbose=0)).max()
    assert after < 1e-5                               # only the 6 digits' rounding is left
    for a, b in zip(model.trainable_variables, rebuilt.trainable_variables):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-7)


def test_import_weights_refuses_a_different_model(tmp_path, keras):
    from cnn_course.models import build_encoder_decoder
    from cnn_course.training import export_weights, import_weights

    path = export_weights(build_encoder_decoder(widths=(4, 8)), tmp_path / "w.txt", precision=4)
    other = build_encoder_decoder(widths=(4, 16))
    with pytest.raises(ValueError, match="has shape"):
        import_weights(other, path)
    small = build_encoder_decoder(widths=(4,))
    with pytest.raises(ValueError, match="not a trainable variable"):
        import_weights(small, path)
    text = path.read_text().split("\n\n")
    (tmp_path / "cut.txt").write_text("\n\n".join(text[:-3]) + "\n\n")
    with pytest.raises(ValueError, match="lacks the model's variables"):
        import_weights(build_encoder_decoder(widths=(4, 8)), tmp_path / "cut.txt")
    with pytest.raises(ValueError, match="must be a file"):
        import_weights(other, tmp_path / "nothing.txt")
    with pytest.raises(TypeError, match="keras.Model"):
        import_weights("model", path)
