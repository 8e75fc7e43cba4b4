"""Latency of the model explorer (``cc.explore_model``) per control change, drawing included.

What a student waits for after touching a control of the explorer on ``fashion_cnn``: the
widget's whole update (``cnn_course.explain_image``: one forward and one backward pass;
then the PNG views and the text equivalents), timed from setting the control's ``.value``
(or adding an uploaded PNG) until the new views are in the widgets. The per-image cache is
emptied before every timed change, so each change computes (a change back to a state seen
before is faster: cached). ``cc.build_model("fashion_cnn")`` (weights as built: training does
not change the time), real Fashion-MNIST test images in [0, 1]; median and worst of
``--repeats`` changes. Target: under 300 ms per change on 2 CPU cores. The load average is
printed: other processes on the machine inflate the times.

Not included: sending the PNGs to the browser (local comm messages of a few kB) and drawing.

    .venv/bin/python benchmarks/bench_model_explorer.py [--repeats 21]
"""
from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import time

import numpy as np

import cnn_course as cc

TARGET_MS = 300.0


def png_bytes(seed: int) -> bytes:
    """An RGB 96x72 PNG file (a photo crop when scikit-image is installed, else noise)."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    try:
        photo = cc.images.load_image("astronaut")
        top, left = rng.integers(0, 400, 2)
        pixels = photo[top:top + 96, left:left + 72]
    except ValueError:
        pixels = rng.integers(0, 256, (96, 72, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()


def timed(widget, change) -> float:
    widget._cache.clear()             # compute, do not look up
    t0 = time.perf_counter()
    change()
    ms = (time.perf_counter() - t0) * 1000
    assert not widget.message.value, widget.message.value
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    n = args.repeats
    cc.setup(verbose=False)
    model = cc.build_model("fashion_cnn")
    (_, _), (x, y) = cc.load_dataset("fashion_mnist", download=False)
    x = (x[:n + 1, ..., None] / 255.0).astype("float32")
    t0 = time.perf_counter()
    w = cc.explore_model(model, x, y[:n + 1], cc.class_names("fashion_mnist"))
    build = (time.perf_counter() - t0) * 1000
    load = os.getloadavg()[0]
    print(f"model fashion_cnn; Fashion-MNIST test images; {os.cpu_count()} CPU cores; "
          f"{platform.processor() or platform.machine()}; load average {load:.1f}; "
          f"median of {n} changes\n")

    def setter(control, values):
        return lambda i: setattr(control, "value", values[i % len(values)])

    uploads = [png_bytes(i) for i in range(n + 1)]
    changes = {
        "image (next test image)": setter(w.image, list(range(1, n + 1))),
        "Grad-CAM class (cycling 0..9)": setter(w.target, list(range(10))),
        "layer conv1 <-> conv2": setter(w.layer, ["conv1", "conv2"]),
        "upload an RGB 96x72 PNG (grey 28x28 model)": lambda i: w.add_image_bytes(
            uploads[i], f"photo{i}.png"),
    }
    rows = [("building the explorer (first image, explainer models)", build, build)]
    for what, change in changes.items():
        change(0)                                    # warm: explainer model for the layer
        times = [timed(w, lambda i=i: change(i)) for i in range(1, n + 1)]
        rows.append((what, statistics.median(times), max(times)))
    print(f"| control change | median ms | worst ms | median under {TARGET_MS:g} ms |")
    print("|---|---:|---:|:---:|")
    for k, (what, median, worst) in enumerate(rows):
        verdict = "(once)" if k == 0 else "yes" if median < TARGET_MS else "NO"
        print(f"| {what} | {median:.1f} | {worst:.1f} | {verdict} |")
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    print("\nText equivalent of the last view:\n" + w.text())


if __name__ == "__main__":
    main()
