"""Benchmark: train the course's networks as the lessons do, and time them.

Default (CPU, issue 4): ``fashion_cnn`` in full mode on the complete Fashion-MNIST
(60,000 training images; the last 10 % of them, 6,000, are the validation split;
the 10,000 test images are used once, at the end), 10 epochs, batch size 32
(Keras' default, as in the source material), Adam. Prints training accuracy,
validation accuracy, the honest test accuracy and seconds per epoch. The source
material reports 0.9640 *training* accuracy after 10 epochs (trained on all
60,000 images, no validation, no test score).

``--resnet18-epoch`` (for a GPU machine): times epochs of ``resnet18`` on
CIFAR-10-shaped data: the real CIFAR-10 training samples found by
``cnn_course.load_dataset("cifar10")``, repeated (tiled) up to 50,000 images
like the full CIFAR-10 training set, batch size 64 by default, no validation.
The first epoch includes tracing / XLA compilation; the second is the steady
state.

Usage::

    CNN_COURSE_DATA=../shared/datasets .venv/bin/python benchmarks/bench_training.py
    CNN_COURSE_DATA=../shared/datasets .venv/bin/python benchmarks/bench_training.py \\
        --resnet18-epoch [--epochs 2] [--batch-size 64]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_epoch_times import epoch_timer  # noqa: E402


def _device() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = []
        for g in gpus:
            details = tf.config.experimental.get_device_details(g)
            names.append(details.get("device_name", g.name))
        return "GPU: " + ", ".join(names)
    return f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def bench_fashion_cnn(epochs: int, batch_size: int) -> None:
    import keras
    import tensorflow as tf

    import cnn_course as cc

    keras.utils.set_random_seed(0)
    (x, y), (xt, yt) = cc.load_dataset("fashion_mnist")
    x = (x / 255.0).astype("float32")[..., None]
    xt = (xt / 255.0).astype("float32")[..., None]
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}; {_device()}")
    print(f"fashion_cnn, full Fashion-MNIST: {len(x):,} training images (last 10% = validation), "
          f"{len(xt):,} test images; {epochs} epochs, batch size {batch_size}")
    model = cc.build_model("fashion_cnn")
    times: list[float] = []
    timer = epoch_timer(times)
    t0 = time.perf_counter()
    history = cc.train(model, x, y, epochs=epochs, batch_size=batch_size,
                       validation_split=0.1, verbose=2, callbacks=[timer])
    total = time.perf_counter() - t0
    test = cc.evaluate(model, xt, yt)
    h = history.history
    print()
    print(f"training accuracy after {epochs} epochs:   {h['accuracy'][-1]:.4f}  "
          "(source material: 0.9640, trained on all 60,000)")
    print(f"validation accuracy (6,000 held-out training images): {h['val_accuracy'][-1]:.4f}")
    print(f"TEST accuracy (10,000 test images, used once):       {test['accuracy']:.4f}  "
          f"(loss {test['loss']:.4f})")
    per_epoch = ", ".join(f"{t:.1f}" for t in times)
    print(f"seconds per epoch: {per_epoch}  (mean {np.mean(times):.1f}, "
          f"mean without the first {np.mean(times[1:]) if len(times) > 1 else float('nan'):.1f})")
    print(f"total training time: {total:.1f} s")


def bench_resnet18(epochs: int, batch_size: int, n_images: int = 50_000) -> None:
    import keras
    import tensorflow as tf

    import cnn_course as cc

    keras.utils.set_random_seed(0)
    (x, y), _ = cc.load_dataset("cifar10")
    n_real = len(x)
    reps = int(np.ceil(n_images / n_real))
    x = np.tile(x, (reps, 1, 1, 1))[:n_images]
    y = np.tile(np.asarray(y).reshape(-1), reps)[:n_images]
    x = (x / 255.0).astype("float32")
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}; {_device()}")
    print(f"resnet18 on CIFAR-10-shaped data: the {n_real:,} real CIFAR-10 training samples "
          f"found, tiled {reps}x and cut to {len(x):,} images; "
          f"batch size {batch_size}, {epochs} epoch(s), no validation")
    model = cc.build_model("resnet18")
    times: list[float] = []
    timer = epoch_timer(times)
    cc.train(model, x, y, epochs=epochs, batch_size=batch_size, validation_split=0.0,
             verbose=2, callbacks=[timer])
    for i, t in enumerate(times, start=1):
        note = " (includes tracing/compilation)" if i == 1 else ""
        print(f"epoch {i}: {t:.1f} s, {len(x) / t:,.0f} images/s{note}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resnet18-epoch", action="store_true",
                        help="time resnet18 epochs on 50,000 CIFAR-10-shaped images (GPU runs)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs (default 10 for fashion_cnn, 2 for --resnet18-epoch)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="batch size (default 32 for fashion_cnn, 64 for --resnet18-epoch)")
    parser.add_argument("--images", type=int, default=50_000,
                        help="images per resnet18 epoch (default 50,000, CIFAR-10's training set)")
    args = parser.parse_args(argv)
    if args.resnet18_epoch:
        bench_resnet18(args.epochs or 2, args.batch_size or 64, args.images)
    else:
        bench_fashion_cnn(args.epochs or 10, args.batch_size or 32)


if __name__ == "__main__":
    main()
