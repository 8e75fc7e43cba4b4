"""Why quick mode trains VGG-16 and ResNet-18 on two classes: test accuracy after a few steps.

Quick mode has about a minute per notebook on a 2-core CPU. For the big CIFAR-10 networks of
lessons 16-19 that is a few dozen training steps at most, and issue 16 asks that every network
a lesson trains be *clearly above chance* (three standard errors above guessing) in quick mode
too. This script trains each network as its lesson's quick mode does (per-channel
standardisation, Adam, BatchNorm momentum lowered with ``cc.set_bn_momentum``, the lesson's
batch size, graph mode; lessons 16 and 18 also hold out 10 % of the images for validation, left
out here) on ten classes or on the two
classes frog/ship, for several seeds, and prints one row per run: test accuracy, the
clearly-above-chance threshold for that test set, and the wall-clock seconds of ``fit``
(graph building included) and of the test.

    python benchmarks/bench_quick_big_networks.py [--seeds 0 1 2] [--only vgg16 ...]

Rows for the lesson settings: alexnet8 10 classes 512 images x 2 epochs (lesson 16), vgg16
2 classes 384 x 1 (lesson 17), inception10 10 classes 512 x 2 (lesson 18), resnet18 2 classes
160 x 1 (lesson 19); ``--contrast`` adds VGG-16 on ten classes with 512 images in 16 steps (why
two classes are needed) and VGG-16 on two classes with 256 images in 16 steps of 16 at Adam 1e-3
(a cheaper quick mode that is not reliable). Earlier settings and their runs: BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: (network, classes or None for all ten, images, epochs, BN momentum, Adam learning rate,
#: batch size)
SETTINGS = [
    ("alexnet8", None, 512, 2, 0.9, 3e-4, 32),
    ("vgg16", (6, 8), 384, 1, 0.5, 3e-4, 32),
    ("inception10", None, 512, 2, 0.9, 1e-3, 32),
    ("resnet18", (6, 8), 160, 1, 0.5, 3e-4, 32),
]
CONTRAST = [("vgg16", None, 512, 1, 0.9, 3e-4, 32), ("vgg16", (6, 8), 256, 1, 0.5, 1e-3, 16)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", nargs="+", default=None, help="network names to run")
    parser.add_argument("--contrast", action="store_true",
                        help="also VGG-16 on ten classes with the quick-mode budget")
    args = parser.parse_args()

    import numpy as np

    import cnn_course as cc

    cc.setup(mode="quick", verbose=False)
    import keras

    (x_all, y_all), (xt_all, yt_all) = cc.load_dataset("cifar10")
    y_all, yt_all = y_all.ravel(), yt_all.ravel()
    print(f"{os.cpu_count()} CPU cores; Keras {keras.__version__} on {keras.backend.backend()}")
    print("| network | classes | images x epochs (steps of batch) | Adam rate | seed | test accuracy | "
          "clearly above | fit s | test s |")
    print("|---|---|---|---:|---|---:|---:|---:|---:|")
    for name, classes, n, epochs, momentum, lr, batch in (
            SETTINGS + (CONTRAST if args.contrast else [])):
        if args.only and name not in args.only:
            continue
        if classes is None:
            x, y, xt, yt = x_all, y_all, xt_all, yt_all
        else:
            keep, keep_t = np.isin(y_all, classes), np.isin(yt_all, classes)
            x, y, xt, yt = x_all[keep], y_all[keep], xt_all[keep_t], yt_all[keep_t]
        k = 10 if classes is None else len(classes)
        for seed in args.seeds:
            idx = np.sort(np.random.default_rng(seed).choice(len(x), size=n, replace=False))
            xs, xts = cc.augmentation.standardize_per_channel(x[idx], xt)
            keras.utils.set_random_seed(seed)
            model = cc.build_model(name)
            cc.set_bn_momentum(model, momentum)
            model.compile(optimizer=keras.optimizers.Adam(lr),
                          loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            t0 = time.perf_counter()
            model.fit(xs, y[idx], epochs=epochs, batch_size=batch, verbose=0)
            t1 = time.perf_counter()
            acc = model.evaluate(xts, yt, batch_size=256, verbose=0)[1]
            t2 = time.perf_counter()
            steps = epochs * -(-n // batch)
            print(f"| {name} | {k} | {n} x {epochs} ({steps} of {batch}) | {lr:g} | {seed} | {acc:.3f} | "
                  f"{cc.clearly_above_chance(len(xt), k):.3f} | {t1 - t0:.0f} | {t2 - t1:.1f} |",
                  flush=True)


if __name__ == "__main__":
    main()
