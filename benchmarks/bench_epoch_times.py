"""Time one training epoch of each course network on CIFAR-10-shaped data.

For the lessons' "expected time per epoch" notes: every model of ``cnn_course.build_model``
that takes 32x32x3 images is trained for ``--epochs`` epochs (default 2: the first includes
tracing/compilation, the second is the steady state) on ``--images`` images (default 50,000,
the size of CIFAR-10's training set) made by tiling the real CIFAR-10 training samples that
``cnn_course.load_dataset("cifar10")`` finds. Batch size 32, as in the lessons' full mode.

The script uses Keras 3 only, so it runs on any Keras backend (``KERAS_BACKEND`` =
``tensorflow``, ``jax`` or ``torch``); it prints the backend and the device it ran on.
Also ``--train-sample``: train each model on the real samples for a few epochs and report
the test accuracy on the real test samples (labelled as such; not the full data set).

    python benchmarks/bench_epoch_times.py [--models resnet18 vgg16] [--images 50000]
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

CIFAR_MODELS = ["cifar_baseline", "lenet5", "alexnet8", "vgg16", "inception10", "resnet18"]


def describe_device() -> str:
    """The backend and the device it computes on, in words."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        devices = jax.devices()
        names = sorted({getattr(d, "device_kind", str(d)) for d in devices})
        return f"Keras {keras.__version__}, JAX {jax.__version__} backend on " + ", ".join(names)
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            names = [tf.config.experimental.get_device_details(g).get("device_name", g.name)
                     for g in gpus]
            return f"Keras {keras.__version__}, TensorFlow {tf.__version__} on " + ", ".join(names)
        return (f"Keras {keras.__version__}, TensorFlow {tf.__version__} on CPU "
                f"({platform.machine()}, {os.cpu_count()} cores)")
    return f"Keras {keras.__version__}, {backend} backend"


def epoch_timer(times: list[float]):
    """A Keras callback that appends the wall time of every epoch to ``times`` (seconds)."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self._start)

    return EpochTimer()


def epoch_times(name: str, x: np.ndarray, y: np.ndarray, epochs: int, batch_size: int) -> list[float]:
    """Seconds of each epoch of ``model.fit`` (no validation)."""
    import keras

    import cnn_course as cc

    times: list[float] = []
    keras.utils.set_random_seed(0)
    model = cc.build_model(name)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0,
              callbacks=[epoch_timer(times)])
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=CIFAR_MODELS, choices=CIFAR_MODELS)
    parser.add_argument("--images", type=int, default=50_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--train-sample", type=int, default=0, metavar="EPOCHS",
                        help="also train on the real samples for EPOCHS epochs; report test accuracy")
    args = parser.parse_args(argv)

    import cnn_course as cc

    (x, y), (xt, yt) = cc.load_dataset("cifar10")
    x = (x / 255.0).astype("float32")
    xt = (xt / 255.0).astype("float32")
    y, yt = y.reshape(-1), yt.reshape(-1)
    reps = int(np.ceil(args.images / len(x)))
    xs = np.tile(x, (reps, 1, 1, 1))[: args.images]
    ys = np.tile(y, reps)[: args.images]
    print(describe_device())
    print(f"data: the {len(x):,} real CIFAR-10 training samples found, tiled to {len(xs):,} "
          f"images; batch size {args.batch_size}; {args.epochs} epochs, the first including "
          "compilation")
    print(f"{'model':<15}{'params':>12}{'epoch 1 (s)':>13}{'steady epoch (s)':>18}{'images/s':>11}")
    for name in args.models:
        times = epoch_times(name, xs, ys, args.epochs, args.batch_size)
        steady = times[-1]
        params = cc.build_model(name).count_params()
        print(f"{name:<15}{params:>12,}{times[0]:>13.1f}{steady:>18.1f}{len(xs) / steady:>11,.0f}",
              flush=True)
    if args.train_sample:
        import keras

        print(f"\ntraining on the {len(x):,} real training samples for {args.train_sample} epochs "
              f"(10% held out for validation), test accuracy on the {len(xt):,} real test samples:")
        for name in args.models:
            keras.utils.set_random_seed(0)
            model = cc.build_model(name)
            hist = cc.train(model, x, y, epochs=args.train_sample, batch_size=args.batch_size,
                            validation_split=0.1, verbose=0)
            test = cc.evaluate(model, xt, yt)
            print(f"{name:<15} train acc {hist.history['accuracy'][-1]:.3f}  "
                  f"val acc {hist.history['val_accuracy'][-1]:.3f}  test acc {test['accuracy']:.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
