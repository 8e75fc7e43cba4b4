"""Full-mode training on the CPU: test accuracy and seconds per epoch of every course model
that trains on a CPU in reasonable time.

Each model is trained as its lesson does in full mode (Adam, batch size 32, the last 10 % of
the training images held out for validation) on all the training images that
``cnn_course.load_dataset`` finds, then tested once on all the test images. With the course's
offline data that is the complete Fashion-MNIST, and the real *samples* of MNIST (17,435
training images) and CIFAR-10 (5,438): the table says which.
VGG16 and ResNet18 are left out: about 0.5 s per step here, 10-27 minutes per CIFAR-10
epoch (their GPU times are in BENCHMARKS.md).

    python benchmarks/bench_cpu_full_mode.py [--models fashion_cnn lenet5 ...]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from bench_epoch_times import describe_device, epoch_timer  # noqa: E402

# model -> (dataset, epochs in the lesson's full mode)
RUNS = {
    "fashion_dense": ("fashion_mnist", 5),
    "fashion_cnn": ("fashion_mnist", 5),
    "mnist_cnn": ("mnist", 5),
    "cifar_baseline": ("cifar10", 10),
    "lenet5": ("cifar10", 10),
    "inception10": ("cifar10", 10),
    "alexnet8": ("cifar10", 10),
}
FULL_SIZE = {"fashion_mnist": 60_000, "mnist": 60_000, "cifar10": 50_000}


def run(name: str, dataset: str, epochs: int, batch_size: int) -> str:
    import keras

    import cnn_course as cc

    (x, y), (xt, yt) = cc.load_dataset(dataset)
    x = (x / 255.0).astype("float32")
    xt = (xt / 255.0).astype("float32")
    times: list[float] = []
    keras.utils.set_random_seed(0)
    model = cc.build_model(name)
    hist = cc.train(model, x, y, epochs=epochs, batch_size=batch_size, validation_split=0.1,
                    verbose=0, callbacks=[epoch_timer(times)])
    test = cc.evaluate(model, xt, yt)
    data = f"{dataset} {len(x):,}/{len(xt):,}"
    if len(x) < FULL_SIZE[dataset]:
        data += " (sample)"
    steady = np.median(times[1:]) if len(times) > 1 else times[0]
    return (f"| {name} | {data} | {epochs} | {hist.history['accuracy'][-1]:.3f} | "
            f"{hist.history['val_accuracy'][-1]:.3f} | **{test['accuracy']:.3f}** | "
            f"{steady:.1f} | {sum(times):.0f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    print(describe_device())
    print("| model | data (train/test) | epochs | train acc | val acc | test acc | s/epoch | total s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name in args.models:
        dataset, epochs = RUNS[name]
        print(run(name, dataset, epochs, args.batch_size), flush=True)


if __name__ == "__main__":
    main()
