"""Table 4's windows by an iterated local search from a cohort file: how far past the committed
search's end a longer search gets (docs/OPEN-TARGETS.md, session 19).

Usage: python benchmarks/table4_ils.py [--cohort FILE] [--iterations N] [--kick K] [--seed S] [--write FILE]

Runs :func:`lcnec_utils.reconstruct.polish.iterated_search` from the cohort's state (default: the
shipped cohort) and prints, before and after, the windows missed, the book's own Table 4 count
(``evaluate_targets``: met / impossible / missed), whether Table 4's conclusions and every other
target and plausibility check still hold, and the wall time. ``--write`` saves the best state as a
cohort file, with responses, treatment at the cut-off and the calendar drawn again for its times
(``reach.witness_cohort``, the default seed's streams).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from lcnec_utils.contract.params import DEFAULT_COHORT
from lcnec_utils.reconstruct import joint, plausibility_checks, polish, reach
from lcnec_utils.reconstruct.evaluation import (
    evaluate_targets,
    is_table4_covariate_key,
    table4_conclusions_hold,
)
from lcnec_utils.reconstruct.generator import COHORT_DECIMALS, csv_text
from lcnec_utils.reconstruct.settings import DEFAULT_SEED
from lcnec_utils.reconstruct.targets import published_targets

ADVERSE_EVENTS = "data/lcnec_synthetic_adverse_events.csv"


def summary(cohort: pd.DataFrame) -> str:
    targets = evaluate_targets(cohort, pd.read_csv(ADVERSE_EVENTS))
    t4 = targets["key"].map(is_table4_covariate_key)
    count = targets.loc[t4, "status"].value_counts()
    other = targets.loc[~t4, "status"].value_counts()
    checks = plausibility_checks(cohort)
    return (
        f"Table 4 {count.get('met', 0)} met / {count.get('impossible', 0)} impossible / "
        f"{count.get('missed', 0)} missed; conclusions {'kept' if table4_conclusions_hold(targets) else 'not kept'}; "
        f"other targets {other.get('met', 0)} met / {other.get('impossible', 0)} impossible / "
        f"{other.get('missed', 0)} missed; plausibility {int(checks['ok'].sum())}/{len(checks)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", default=str(DEFAULT_COHORT))
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--kick", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", default=None)
    args = parser.parse_args()
    tg = published_targets()
    cohort = pd.read_csv(args.cohort)
    print("before:", summary(cohort))
    T, D = joint.state_from_cohort(cohort)
    setting = joint.annealing_setting(tg, windows=joint.table4_windows(tg))
    t0 = time.perf_counter()
    result = polish.iterated_search(
        T, D, setting, joint.table4_stage(), joint.table4_priority(tg), args.iterations,
        kick=args.kick, seed=args.seed,
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    print(f"{result}: {elapsed:.0f} s, {elapsed / max(args.iterations, 1):.1f} s per iteration")
    out = reach.witness_cohort(cohort, T, D, DEFAULT_SEED)
    print("after: ", summary(out))
    if args.write:
        with open(args.write, "w", encoding="utf-8", newline="") as f:
            f.write(csv_text(out, COHORT_DECIMALS))
        print("written:", args.write)


if __name__ == "__main__":
    main()
