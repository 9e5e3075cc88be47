"""Time the synthetic-cohort reconstruction: one full cohort, and ensemble members.

Usage: python benchmarks/bench_reconstruction.py [--members N] [--jobs J]

Prints the wall time of a warm-up (numba compiles the search's kernels on first
use and caches them beside the package: 15-25 s on a fresh clone, then about
3 s to load them), of one reconstruction with the committed cohort's budget
(``reconstruct.FULL_BUDGET``; the target is < 60 s on 2 cores), the time per
ensemble member run one after another (search plus the book-module summary;
``reconstruct.ENSEMBLE_BUDGET``; target < ~5 s so that 200 members take < 10
minutes on 2 cores) and, with ``--jobs``, the wall time of ``ensemble()`` on
that many processes.
"""

from __future__ import annotations

import argparse
import os
import time

from lcnec_utils import reconstruct


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=4, help="ensemble members to time (default 4)")
    parser.add_argument(
        "--jobs", type=int, default=0, help="also time ensemble(members, n_jobs=JOBS) (default: skip)"
    )
    args = parser.parse_args()
    published = reconstruct.published_targets()
    print(f"cores: {os.cpu_count()}")

    t0 = time.perf_counter()
    tiny = reconstruct.JointSearchBudget(
        information=100, information_starts=1, covariates=10, arm_terms=100, table4=100
    )
    reconstruct.reconstruct(reconstruct.DEFAULT_SEED, published, tiny)
    print(f"warm-up (kernels compiled or loaded, worker processes started): {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    rec = reconstruct.reconstruct(reconstruct.DEFAULT_SEED, published)
    full = time.perf_counter() - t0
    print(f"one cohort (seed {reconstruct.DEFAULT_SEED}, {reconstruct.FULL_BUDGET}): {full:.1f} s")

    times = []
    for k in range(args.members):
        t0 = time.perf_counter()
        reconstruct.ensemble_member(k, reconstruct.DEFAULT_SEED, published, reconstruct.ENSEMBLE_BUDGET)
        times.append(time.perf_counter() - t0)
    per = sum(times) / len(times)
    print(
        f"ensemble member ({reconstruct.ENSEMBLE_BUDGET}): {per:.2f} s on average over "
        f"{len(times)} (min {min(times):.2f}, max {max(times):.2f}); "
        f"200 members on 2 cores ~ {200 * per / 2 / 60:.1f} min"
    )

    if args.jobs:
        t0 = time.perf_counter()
        table = reconstruct.ensemble(args.members, n_jobs=args.jobs)
        wall = time.perf_counter() - t0
        print(
            f"ensemble({args.members}, n_jobs={args.jobs}): {wall:.1f} s wall, "
            f"{wall / len(table):.2f} s per member"
        )
    del rec


if __name__ == "__main__":
    main()
