"""NumPy conv2d / pool2d against TensorFlow on the CPU, measured in one run.

Usage::

    .venv/bin/python benchmarks/bench_numpy_vs_tf.py [--repeats 15] [--strategies]

Each time is the median of ``--repeats`` runs after two warm-up calls. TensorFlow runs
eagerly in float32 with its default settings (oneDNN on), as a student's notebook does.
``--strategies`` also times the alternative ways of vectorising the convolution that
``conv2d_im2col``'s docstring compares (einsum / tensordot on the window view, one product
per kernel tap) against the library's two strategies, ``conv2d_im2col`` (im2col + one
matrix product) and ``conv2d_shift_add`` (one channel, one filter), and the ``conv2d``
dispatcher that picks between them.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from cnn_course.conv import conv2d, conv2d_im2col, conv2d_naive, conv2d_shift_add  # noqa: E402
from cnn_course.pooling import pool2d  # noqa: E402


def timeit(fn, repeats: int) -> float:
    fn()
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ----------------------------------------------------------------------------- alternatives
def _windows(x, kh, kw):
    from numpy.lib.stride_tricks import sliding_window_view
    return sliding_window_view(x, (kh, kw), axis=(1, 2))  # (N, H', W', C, kh, kw)


def conv_einsum(x, k):
    return np.einsum("nhwcuv,uvcf->nhwf", _windows(x, *k.shape[:2]), k, optimize=True)


def conv_tensordot(x, k):
    return np.tensordot(_windows(x, *k.shape[:2]), k, axes=([3, 4, 5], [2, 0, 1]))


def conv_per_tap(x, k):
    kh, kw, c, f = k.shape
    n, h, w, _ = x.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, f), dtype=x.dtype)
    for u in range(kh):
        for v in range(kw):
            out += x[:, u:u + h - kh + 1, v:v + w - kw + 1, :] @ k[u, v]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--strategies", action="store_true")
    args = parser.parse_args()

    import tensorflow as tf
    import keras

    rng = np.random.default_rng(0)

    def data(shape):
        return rng.uniform(-1, 1, shape).astype(np.float32)

    print(f"python {platform.python_version()}, numpy {np.__version__}, tensorflow {tf.__version__},"
          f" keras {keras.__version__}, {os.cpu_count()} CPU cores, {platform.machine()}")
    rows = []

    def conv_case(label, x, k):
        x_tf, k_tf = tf.constant(x), tf.constant(k)
        k2 = k[:, :, 0, 0] if x.ndim == 2 else k
        x_tf4 = tf.reshape(x_tf, (1,) + x.shape + (1,)) if x.ndim == 2 else x_tf
        np_out = conv2d(x, k2)
        tf_out = tf.nn.conv2d(x_tf4, k_tf, 1, "VALID").numpy().reshape(np_out.shape)
        err = float(np.abs(np_out - tf_out).max())
        t_np = timeit(lambda: conv2d(x, k2), args.repeats)
        t_tf = timeit(lambda: tf.nn.conv2d(x_tf4, k_tf, 1, "VALID").numpy(), args.repeats)
        rows.append((label, "conv2d", "tf.nn.conv2d", t_np, t_tf, err))

    conv_case("(a) 512x512 gray, 3x3", data((512, 512)), data((3, 3, 1, 1)))
    conv_case("(a) 512x512 gray, 7x7", data((512, 512)), data((7, 7, 1, 1)))
    conv_case("(b) (32,28,28,1), 16 3x3", data((32, 28, 28, 1)), data((3, 3, 1, 16)))
    conv_case("(c) (32,32,32,3), 64 3x3", data((32, 32, 32, 3)), data((3, 3, 3, 64)))

    x = data((32, 32, 32, 64))
    layer = keras.layers.MaxPooling2D(2)
    x_tf = tf.constant(x)
    err = float(np.abs(pool2d(x, 2) - layer(x_tf).numpy()).max())
    rows.append(("(d) max pool 2x2, (32,32,32,64)", "pool2d", "MaxPooling2D",
                 timeit(lambda: pool2d(x, 2), args.repeats),
                 timeit(lambda: layer(x_tf).numpy(), args.repeats), err))

    img, k = data((64, 64)), data((3, 3))
    err = float(np.abs(conv2d_naive(img, k) - conv2d(img, k)).max())
    rows.append(("(e) 64x64 gray, 3x3", "conv2d_naive", "conv2d",
                 timeit(lambda: conv2d_naive(img, k), max(3, args.repeats // 3)),
                 timeit(lambda: conv2d(img, k), args.repeats), err))

    print()
    print("| case | ours | reference | ours (ms) | reference (ms) | ratio ours/ref | max abs diff |")
    print("|---|---|---|---:|---:|---:|---:|")
    for label, a, b, ta, tb, err in rows:
        print(f"| {label} | `{a}` | `{b}` | {ta * 1e3:.2f} | {tb * 1e3:.2f} | {ta / tb:.2f} | {err:.1e} |")

    if args.strategies:
        print("\nVectorisation strategies (valid padding, stride 1), ms:")
        print("| case | einsum | tensordot | per-tap matmul | `conv2d_im2col` | `conv2d_shift_add` "
              "| `conv2d` |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for label, x, k in [("512x512x1, 1 3x3", data((1, 512, 512, 1)), data((3, 3, 1, 1))),
                            ("(32,28,28,1), 16 3x3", data((32, 28, 28, 1)), data((3, 3, 1, 16))),
                            ("(32,32,32,3), 64 3x3", data((32, 32, 32, 3)), data((3, 3, 3, 64)))]:
            ref = conv2d(x, k)
            cells = []
            for fn in (conv_einsum, conv_tensordot, conv_per_tap, conv2d_im2col, conv2d_shift_add,
                       conv2d):
                if fn is conv2d_shift_add and k.shape[2:] != (1, 1):
                    cells.append("n/a")   # one channel and one filter only
                    continue
                assert np.abs(fn(x, k) - ref).max() < 1e-4
                cells.append(f"{timeit(lambda: fn(x, k), args.repeats) * 1e3:.2f}")
            print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
