"""NumPy conv2d_backward against TensorFlow's gradient of tf.nn.conv2d, measured in one run.

Usage::

    .venv/bin/python benchmarks/bench_backprop.py [--repeats 15]

For each problem (float32, NHWC, 3x3 kernels, padding "same" and "valid") it times

- ``conv2d_backward(dout, x, kernel, padding=...)``: dx, dkernel and dbias;
- TensorFlow: ``tape.gradient(loss, [x, kernel, bias])`` of ``loss = sum(out * dout)``
  with ``out = tf.nn.conv2d(x, kernel) + bias`` (eager, float32, default settings with
  oneDNN, as a student's notebook runs it). The forward pass inside the tape is timed
  too (TensorFlow cannot differentiate without recording it); the script prints the
  forward time separately, and the ratio against the gradient alone (``tape time -
  forward time``) as well.

Each time is the median of ``--repeats`` runs after two warm-up calls, the three
functions taking turns (so that other processes on the machine slow them alike); the
1-minute load average is printed before and after. The ratio is
NumPy / TensorFlow (1.0 = as fast, 3.0 = three times slower). The script also checks
that both agree (max |difference| relative to the largest gradient).

OpenBLAS (NumPy's matrix products) spins its worker threads while waiting; when other
processes keep both cores busy, a 2-thread product can take 100 times longer than a
1-thread one (BENCHMARKS.md). Run with ``OPENBLAS_NUM_THREADS=1`` to compare without
that effect; TensorFlow keeps its own thread pool either way.
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
from cnn_course.backprop import conv2d_backward  # noqa: E402
from cnn_course.conv import conv2d  # noqa: E402

PROBLEMS = [((32, 28, 28, 1), 16), ((32, 32, 32, 3), 64)]


def timeit(fns, repeats: int) -> list[float]:
    """Median time of each function; the functions take turns, so a change in the
    machine's load (other processes on the 2 cores) hits all of them alike."""
    for fn in fns:
        fn()
        fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, t in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            t.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    print(f"Python {platform.python_version()}, NumPy {np.__version__}, TensorFlow {tf.__version__}, "
          f"{os.cpu_count()} CPU cores, {args.repeats} repeats (median), "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS') or 'unset (all cores)'}, "
          f"load average before: {os.getloadavg()[0]:.1f}")
    print("| x shape | kernel | padding | NumPy backward ms | TF tape (fwd+grad) ms | TF forward ms "
          "| ratio NumPy/TF tape | ratio NumPy/TF grad only | max rel. diff |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for shape, filters in PROBLEMS:
        c = shape[3]
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        k = (rng.uniform(-1, 1, (3, 3, c, filters)) / np.sqrt(9 * c)).astype(np.float32)
        for padding in ("same", "valid"):
            d = rng.uniform(-1, 1, conv2d(x, k, padding=padding).shape).astype(np.float32)
            xv, kv = tf.Variable(x), tf.Variable(k)
            bv = tf.Variable(np.zeros(filters, np.float32))
            dt = tf.constant(d)
            pad = padding.upper()

            def tf_grad():
                with tf.GradientTape() as tape:
                    out = tf.nn.conv2d(xv, kv, 1, pad) + bv
                    loss = tf.reduce_sum(out * dt)
                return [g.numpy() for g in tape.gradient(loss, [xv, kv, bv])]

            def tf_forward():
                return (tf.nn.conv2d(xv, kv, 1, pad) + bv).numpy()

            def ours():
                return conv2d_backward(d, x, k, padding=padding)

            t_np, t_tf, t_fwd = timeit([ours, tf_grad, tf_forward], args.repeats)
            diff = max(float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
                       for a, b in zip(ours(), tf_grad()))
            print(f"| {shape} | 3x3x{c}x{filters} | {padding} | {t_np * 1e3:.2f} | {t_tf * 1e3:.2f} "
                  f"| {t_fwd * 1e3:.2f} | {t_np / t_tf:.2f} | {t_np / max(t_tf - t_fwd, 1e-9):.2f} "
                  f"| {diff:.1e} |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
