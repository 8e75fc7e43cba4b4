"""Widget latency: time from a control change (setting ``.value``) to the new output.

For each explorer of ``cnn_course.widgets`` a control is toggled between two
values; each change runs the explorer's update synchronously (the library's
conv2d/pool2d, PNG encoding, HTML), so the time of the assignment is the time
until the new output is in the output widget. Median of ``--repeats`` changes,
on a 256x256 real image (scikit-image's cameraman, 2x2-averaged from 512x512).

Not included: sending the new PNG to the browser (a local comm message; the
size of the PNG is printed) and the browser's drawing.

    .venv/bin/python benchmarks/bench_widgets.py [--repeats 21]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from cnn_course import images, widgets
from cnn_course.widgets.base import explorer_image

TARGET_MS = 100.0


def image_256() -> tuple[np.ndarray, str]:
    if "camera" in images.available_images():
        return explorer_image("camera"), "cameraman (scikit-image), 256x256"
    small = explorer_image("fashion_mnist")           # 28x28 -> 252x252 nearest, padded
    big = np.kron(small, np.ones((9, 9), np.float32))
    return np.pad(big, ((2, 2), (2, 2)), mode="edge"), "Fashion-MNIST 28x28 enlarged to 256x256"


def measure(widget_control, values, repeats: int, output=None) -> tuple[float, int]:
    """Median milliseconds of ``control.value = v`` cycling through ``values``."""
    times = []
    control = widget_control
    control.value = values[-1]
    for i in range(repeats):
        v = values[i % len(values)]
        t0 = time.perf_counter()
        control.value = v
        times.append((time.perf_counter() - t0) * 1000)
    size = len(output.value) if output is not None else 0
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    img, label = image_256()
    print(f"image: {label}; {os.cpu_count()} CPU cores; {platform.processor() or platform.machine()}; "
          f"median of {args.repeats} changes\n")

    rows = []
    c = widgets.conv_explorer(img)
    c.filter.value, c.padding.value = "sobel_x", "same"
    rows.append(("conv_explorer", "stride 1 <-> 2 (sobel_x, same)",
                 *measure(c.stride, [1, 2], args.repeats, c.output_view)))
    c.stride.value = 1
    rows.append(("conv_explorer", "filter sobel_x <-> sharpen",
                 *measure(c.filter, ["sobel_x", "sharpen"], args.repeats, c.output_view)))
    c.filter.value = "gaussian"
    rows.append(("conv_explorer", "gaussian kernel size 5 <-> 15",
                 *measure(c.kernel_size, [5, 15], args.repeats, c.output_view)))
    c.kernel_size.value = 5
    rows.append(("conv_explorer", "dilation 1 <-> 3 (gaussian 5x5)",
                 *measure(c.dilation, [1, 3], args.repeats, c.output_view)))
    c.dilation.value = 1
    rows.append(("conv_explorer", "padding valid <-> 2",
                 *measure(c.padding, ["valid", 2], args.repeats, c.output_view)))
    c.filter.value = widgets.CUSTOM
    rows.append(("conv_explorer", "custom kernel cell 1 <-> 2",
                 *measure(c.custom[4], [1.0, 2.0], args.repeats, c.output_view)))

    p = widgets.pool_explorer(img)
    rows.append(("pool_explorer", "mode max <-> avg",
                 *measure(p.mode, ["max", "avg"], args.repeats, p.output_view)))
    rows.append(("pool_explorer", "pool size 2 <-> 3 (l2 after)",
                 *measure(p.pool_size, [2, 3], args.repeats, p.output_view)))
    p.mode.value = "l2"
    rows.append(("pool_explorer", "stride 1 <-> 2 (l2, 3x3)",
                 *measure(p.stride, [1, 2], args.repeats, p.output_view)))

    s = widgets.conv_stepper()
    rows.append(("conv_stepper", "step 5 <-> 6",
                 *measure(s.step, [5, 6], args.repeats, s.grid)))
    rows.append(("conv_stepper", "stride 1 <-> 2",
                 *measure(s.stride, [1, 2], args.repeats, s.grid)))

    r = widgets.receptive_field_explorer()
    r.input_size.value = 224
    rows.append(("receptive_field_explorer", "layer-1 kernel 3 <-> 5 (224x224)",
                 *measure(r.layers[0].kernel, [3, 5], args.repeats, r.view)))
    rows.append(("receptive_field_explorer", "input size 32 <-> 224",
                 *measure(r.input_size, [32, 224], args.repeats, r.view)))

    print(f"| explorer | control change | median ms | output bytes | under {TARGET_MS:g} ms |")
    print("|---|---|---:|---:|:---:|")
    for name, what, ms, size in rows:
        print(f"| {name} | {what} | {ms:.1f} | {size:,} | {'yes' if ms < TARGET_MS else 'NO'} |")


if __name__ == "__main__":
    main()
