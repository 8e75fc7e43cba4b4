"""Latency of the explorer's per-change computation, ``cnn_course.explain_image``.

One call is what an explorer for any Keras CNN recomputes when a control changes: the
top-3 prediction, the most active channels of every conv layer and the Grad-CAM map of the
chosen class at the chosen layer (one forward and one backward pass). Timed on
``cc.build_model("fashion_cnn")`` (weights as built: training does not change the time)
with real 28x28 test images, for each kind of control change; median and worst of
``--repeats`` changes, after a first (cold) call that builds the cached explainer model and
is reported on its own. Target: under 300 ms per change on 2 CPU cores.

Not included: drawing the maps (the widget's job).

    .venv/bin/python benchmarks/bench_explorer.py [--repeats 21]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

import cnn_course as cc
from cnn_course.explorer import _CACHE

TARGET_MS = 300.0


def test_images(n: int) -> tuple[np.ndarray, str]:
    """The first ``n`` test images of Fashion-MNIST (else MNIST) in [0, 1], and the name."""
    for name in ("fashion_mnist", "mnist"):
        try:
            (_, _), (x, _) = cc.load_dataset(name, download=False)
        except FileNotFoundError:
            continue
        return (x[:n, ..., None] / 255.0).astype("float32"), name
    raise SystemExit("no Fashion-MNIST or MNIST found offline (set CNN_COURSE_DATA)")


def timed(call) -> float:
    t0 = time.perf_counter()
    call()
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    cfg = cc.setup(verbose=False)  # noqa: F841  (seeds, quiet TensorFlow)
    model = cc.build_model("fashion_cnn")
    images, dataset = test_images(args.repeats)
    print(f"model fashion_cnn; {dataset} test images; {os.cpu_count()} CPU cores; "
          f"{platform.processor() or platform.machine()}; median of {args.repeats} changes\n")

    _CACHE.clear()
    cold = timed(lambda: cc.explain_image(model, images[0]))
    cold_other = timed(lambda: cc.explain_image(model, images[0], "conv1"))
    changes = {
        "image (next test image)": lambda i: cc.explain_image(model, images[i]),
        "class 0 <-> 1 (Grad-CAM at conv2)": lambda i: cc.explain_image(
            model, images[0], "conv2", i % 2),
        "layer conv1 <-> conv2": lambda i: cc.explain_image(
            model, images[0], ("conv1", "conv2")[i % 2]),
        "layer pool2 (not a conv)": lambda i: cc.explain_image(model, images[0], "pool2"),
    }
    rows = [("first call (builds the explainer model)", cold, cold),
            ("first call for another layer (conv1)", cold_other, cold_other)]
    for what, call in changes.items():
        call(0)  # warm: the explainer model for that layer is built
        times = [timed(lambda i=i: call(i)) for i in range(args.repeats)]
        rows.append((what, statistics.median(times), max(times)))
    print(f"| control change | median ms | worst ms | under {TARGET_MS:g} ms |")
    print("|---|---:|---:|:---:|")
    for what, median, worst in rows:
        print(f"| {what} | {median:.1f} | {worst:.1f} | {'yes' if worst < TARGET_MS else 'NO'} |")
    print("\nText equivalent of one call:\n" + str(cc.explain_image(
        model, images[0], class_names=cc.class_names(dataset))))


if __name__ == "__main__":
    main()
