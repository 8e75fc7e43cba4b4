"""Lesson 15's two full-mode recipes on the CPU: test accuracy, minutes and load.

Issue 17 sets the targets on the 2-core reference machine: the Fashion-MNIST recipe reaches
at least 0.93 test accuracy in at most 5 minutes, the CIFAR-10 recipe at least 0.60 on the
course's offline sample (5,438 training, 1,017 test images) in at most 10 minutes. This script
trains exactly the recipes lesson 15 uses in full mode (``recipes.lesson_recipe``) on all the
images ``cnn_course.load_dataset`` finds, and prints one table row per recipe: test
accuracy, wall-clock minutes, CPU seconds per epoch and the load average while it ran (a load
above the number of cores means other programs competed and the minutes are inflated; the
"idle estimate" divides the CPU seconds by the number of cores).

    python benchmarks/bench_recipes_full.py [--only fashion|cifar] [--seed 0]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("fashion", "cifar"), default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import cnn_course as cc
    from cnn_course import recipes

    cores = os.cpu_count() or 1
    cc.setup(mode="full", seed=args.seed, verbose=False)
    import keras
    print(f"{cores} CPU cores; Keras {keras.__version__} on {keras.backend.backend()}")
    print("| recipe | data | epochs run | test accuracy | minutes | CPU-s/epoch | load | idle estimate (min) |")
    print("|---|---|---|---|---|---|---|---|")
    for which in ("fashion", "cifar"):
        if args.only and args.only != which:
            continue
        dataset = "fashion_mnist" if which == "fashion" else "cifar10"
        (x, y), (xt, yt) = cc.load_dataset(dataset)
        recipe, build = recipes.lesson_recipe(which, "full")
        res = recipes.run_recipe(recipe, ((x, y.ravel()), (xt, yt.ravel())), build=build,
                                 seed=args.seed, name=f"{which} recipe")
        idle = res.cpu_seconds_per_epoch / cores * res.epochs_run / 60
        print(f"| {which} | {dataset} {len(x):,}/{len(xt):,} | {res.epochs_run} | "
              f"**{res.test_accuracy:.3f}** | {res.seconds_total / 60:.1f} | "
              f"{res.cpu_seconds_per_epoch:.0f} | {res.load_average:.1f} | {idle:.1f} |", flush=True)


if __name__ == "__main__":
    main()
