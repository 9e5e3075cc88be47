"""Time the analysis functions on a registry-sized cohort: prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_scale.py                 # 100,000 rows
    .venv/bin/python benchmarks/bench_scale.py --rows 10000 --repeat 3

Prints the wall time, on a cohort of N rows (default 100,000), of

1. ``survival_results`` for overall survival (Kaplan-Meier medians and their
   intervals, landmark rates, log-rank) and the reverse Kaplan-Meier follow-up,
   on random exponential times (mean 12 months, 70 % events) in two arms;
2. the baseline, response, safety and missingness tables (``results()`` of
   each, as the chapters record them) on the shipped cohort repeated to N rows,
   with an immune-related adverse event for every 7th patient.

The book's target on 2 cores is under 10 s for (1) and under 15 s for (2).
Timings are of this machine at this moment; the best of ``--repeat`` runs is shown.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from lcnec_utils import tables
from lcnec_utils.contract.io import load_study
from lcnec_utils.contract.params import DEFAULT_AE, DEFAULT_COHORT, Parameters
from lcnec_utils.stats.survival import reverse_km_followup
from lcnec_utils.tables.survival import survival_results


def exponential_cohort(rows: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "group": np.where(rng.random(rows) < 0.5, "Chemo", "ICIs + Chemo"),
            "os_months": np.round(rng.exponential(12, rows), 2),
            "os_event": (rng.random(rows) < 0.7).astype(int),
        }
    )


def repeated_cohort(rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shipped cohort repeated to ``rows`` rows (new patient ids) and an adverse-event table."""
    study = load_study(DEFAULT_COHORT, DEFAULT_AE)
    copies = -(-rows // len(study.cohort))
    big = pd.concat([study.cohort] * copies, ignore_index=True).iloc[:rows].copy()
    big["patient_id"] = [f"X{i}" for i in range(len(big))]
    ae = pd.DataFrame(
        {
            "patient_id": big["patient_id"].iloc[::7].to_numpy(),
            "term": "Hypothyroidism",
            "grade": 2,
            "immune_related": 1,
        }
    )
    return big, ae


def best_of(repeat: int, work: Callable[[], object]) -> float:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return min(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="cohort rows (default 100,000)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement (default 1)")
    args = parser.parse_args()
    params = Parameters()

    survival = exponential_cohort(args.rows)

    def survival_step() -> None:
        survival_results(survival, "os", params)
        reverse_km_followup(survival.os_months, survival.os_event)

    big, ae = repeated_cohort(args.rows)

    def tables_step() -> None:
        tables.baseline_table(big, params).results()
        tables.response_table(big, params).results()
        tables.safety_tables(big, ae, params).results()
        tables.missingness_table(big)

    print(f"{args.rows:,} rows, best of {args.repeat}:")
    print(
        f"  survival results and follow-up (OS): {best_of(args.repeat, survival_step):6.2f} s (target < 10 s)"
    )
    print(
        f"  baseline, response, safety, missingness tables: {best_of(args.repeat, tables_step):6.2f} s (target < 15 s)"
    )


if __name__ == "__main__":
    main()
