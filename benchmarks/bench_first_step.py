"""The first training step of a big network, with and without building Keras' state first.

Usage::

    .venv/bin/python benchmarks/bench_first_step.py [--models resnet18 vgg16] [--rounds 2]

Keras' TensorFlow trainer creates the optimizer's and the metrics' variables inside the
first trace of its training step, and TensorFlow then traces that step a second time.
``cnn_course.training._build_training_state`` (called by ``cc.train`` and
``recipes.run_recipe``) creates them before ``fit``, so the step is traced once. For each
model the script times a first ``fit`` of one batch of 32 on fresh copies, the two
variants taking turns and starting each round in turn (after one untimed ``fit`` of the
model, so that one-off start-up costs of the process fall on neither), and prints the median
of each, the later steps' time (a second ``fit`` of the same batch) and the ratio
plain / built first of the first ``fit`` (2.0 = built first halves it). Random images;
TensorFlow backend, CPU as found; the 1-minute load average is printed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import cnn_course as cc  # noqa: E402
from cnn_course import training  # noqa: E402


def first_fit_seconds(name: str, build_first: bool) -> tuple[float, float]:
    """Seconds of the first and of a second one-batch ``fit`` of a fresh ``name``."""
    import keras

    keras.utils.set_random_seed(0)
    model = cc.build_model(name)
    model.compile(optimizer=keras.optimizers.Adam(3e-4), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.default_rng(0).random((32, *model.input_shape[1:]), dtype=np.float32)
    y = np.zeros(32, dtype=np.int64)
    start = time.perf_counter()
    if build_first:
        training._build_training_state(model, x, y)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    first = time.perf_counter() - start
    start = time.perf_counter()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    return first, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["resnet18", "vgg16"])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cc.setup(seed=0, verbose=False)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'model':10s} {'first fit, plain':>17s} {'built first':>12s} {'later fit':>10s} {'ratio':>6s}")
    for name in args.models:
        times: dict[bool, list[float]] = {False: [], True: []}
        later = []
        first_fit_seconds(name, True)  # warm-up, not counted
        for r in range(args.rounds):
            for build_first in ((False, True) if r % 2 == 0 else (True, False)):
                first, second = first_fit_seconds(name, build_first)
                times[build_first].append(first)
                later.append(second)
        plain, built = statistics.median(times[False]), statistics.median(times[True])
        print(f"{name:10s} {plain:16.1f}s {built:11.1f}s {statistics.median(later):9.1f}s "
              f"{plain / built:6.2f}")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
