"""cnn_course.numpy_cnn: forward and backward of the lesson's NumPy CNN against Keras/TensorFlow."""
from __future__ import annotations

import numpy as np
import pytest

from cnn_course import numpy_cnn
from cnn_course.losses import softmax_cross_entropy


@pytest.mark.parametrize("shape, filters, classes, seed", [
    ((28, 28, 1), (4, 6), 10, 0), ((12, 14, 3), (2, 3), 4, 1), ((10, 11, 2), (3, 2), 2, 2)])
def test_forward_and_backward_match_gradient_tape_in_float64(shape, filters, classes, seed):
    from cnn_course._lazy import tf

    rng = np.random.default_rng(seed)
    params = numpy_cnn.init_params(rng, shape, filters, classes, dense_std=0.3, dtype=np.float64)
    params = {k: v + rng.normal(0, 0.05, v.shape) for k, v in params.items()}   # non-zero biases
    x = rng.normal(size=(3,) + shape)
    y = rng.integers(0, classes, 3)
    logits, cache = numpy_cnn.forward(params, x)
    loss, dlogits = softmax_cross_entropy(logits, y)
    grads = numpy_cnn.backward(params, cache, dlogits)

    model = numpy_cnn.to_keras(params, shape)
    with tf.GradientTape() as tape:
        # tf.nn, not keras.losses: a Keras loss object computes in floatx (float32)
        tf_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, model(x)))
    tf_grads = tape.gradient(tf_loss, model.trainable_variables)
    assert np.allclose(model(x).numpy(), logits, atol=1e-12)
    assert np.isclose(float(tf_loss), float(loss), atol=1e-12)
    for name, g in zip(numpy_cnn.PARAM_NAMES, tf_grads):
        assert grads[name].shape == params[name].shape
        assert np.allclose(g.numpy(), grads[name], atol=1e-10), name


def test_untrained_loss_is_about_ln_k_and_shapes():
    rng = np.random.default_rng(0)
    params = numpy_cnn.init_params(rng)
    assert {k: v.shape for k, v in params.items()} == numpy_cnn.param_shapes()
    assert params["dense/kernel"].shape == (800, 10) and params["conv1/kernel"].dtype == np.float32
    x = rng.uniform(0, 1, (32, 28, 28, 1)).astype(np.float32)
    loss, _ = softmax_cross_entropy(numpy_cnn.forward(params, x)[0], rng.integers(0, 10, 32))
    assert abs(float(loss) - np.log(10)) < 0.1
    assert numpy_cnn.predict(params, x, batch_size=7).shape == (32,)


def test_the_same_generator_state_gives_the_same_weights():
    a = numpy_cnn.init_params(np.random.default_rng(5))
    b = numpy_cnn.init_params(np.random.default_rng(5))
    assert all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("call, error, words", [
    (lambda p: numpy_cnn.init_params(0), TypeError, "rng must be a numpy.random.Generator"),
    (lambda p: numpy_cnn.init_params(np.random.default_rng(), input_shape=(8, 8, 1)), ValueError,
     ">= 10 pixels"),
    (lambda p: numpy_cnn.init_params(np.random.default_rng(), filters=(0, 3)), ValueError, "filters"),
    (lambda p: numpy_cnn.init_params(np.random.default_rng(), dense_std=0), ValueError, "dense_std"),
    (lambda p: numpy_cnn.forward({"w": 1}, np.zeros((1, 28, 28, 1))), ValueError, "params must be a dict"),
    (lambda p: numpy_cnn.forward(p, np.zeros((28, 28, 1))), ValueError, "x must be a batch"),
    (lambda p: numpy_cnn.forward(p, np.zeros((1, 32, 32, 1))), ValueError, "init_params(input_shape="),
    (lambda p: numpy_cnn.backward(p, {}, np.zeros((1, 10))), ValueError, "cache must be the one"),
    (lambda p: numpy_cnn.predict(p, np.zeros((1, 28, 28, 1)), batch_size=0), ValueError, "batch_size"),
])
def test_bad_input_is_rejected_with_a_clear_message(call, error, words):
    params = numpy_cnn.init_params(np.random.default_rng(0))
    with pytest.raises(error, match=None) as info:
        call(params)
    assert words in str(info.value)


def test_importing_numpy_cnn_does_not_import_tensorflow():
    import subprocess
    import sys
    code = "import sys, cnn_course.numpy_cnn; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
