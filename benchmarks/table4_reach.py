"""Whether Table 4's covariate hazard ratios can hold together, and what they cost the arm terms.

    .venv/bin/python benchmarks/table4_reach.py                     # about 3 min on one core
    .venv/bin/python benchmarks/table4_reach.py --schedule long     # about 4 min (longer: 7 min)
    .venv/bin/python benchmarks/table4_reach.py --schedule long --write data/lcnec_table4_witness.csv
    .venv/bin/python benchmarks/table4_reach.py --schedule table4_stage --write data/lcnec_table4_witness_kept.csv

Runs a schedule of ``lcnec_utils.reconstruct.reach`` (``reach.SCHEDULES``: ``short``, ``long``,
``longer`` or ``table4_stage``; its docstring says what each run pulls) from the committed
search's state before its last step (``reach.witness_start``: one reconstruction of the default
seed first, about a minute; the committed cohort is that state after the step, which moves only
covariates) and prints, per run, how many of the 22 covariate HR windows hold and how many HRs are within
tolerance, where the arm terms end, and each arm term's standard error over its 0/1 floor
sqrt(1/d1 + 1/d0) (chapter 7: no Cox model's 0/1 term goes below it). ``--write`` saves the last
state as a cohort file (``reach.witness_cohort``: the committed cohort's rows with the state's
times and covariates, and a calendar drawn for them): the witnesses that chapter 7 measures
(``long``: the Table 4 witness; ``table4_stage``: the kept witness). Prints figures, asserts
nothing; docs/OPEN-TARGETS.md (sessions 13 and 14) records what it gave.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import pandas as pd
from table4_tradeoff import _arm, _inside  # same folder: run as a script

from lcnec_utils.contract.params import DEFAULT_COHORT
from lcnec_utils.reconstruct import joint, reach
from lcnec_utils.reconstruct.bounds import term_plans
from lcnec_utils.reconstruct.generator import COHORT_DECIMALS, csv_text, reconstruct
from lcnec_utils.reconstruct.settings import DEFAULT_SEED
from lcnec_utils.reconstruct.targets import published_targets


def met_hrs(tg, fits) -> int:
    """How many of the 22 covariate HRs are within their tolerance (the target evaluation's, not the
    search's narrower window)."""
    met = 0
    for plan in term_plans(tg):
        if plan.term != "treatment":
            met += abs(fits[plan.ep].loc[plan.term, "exp(coef)"] - plan.printed["hr"]) <= plan.tol["hr"]
    return met


def se_ratios(T, D, fits) -> str:
    """Each arm term's standard error over its 0/1 floor sqrt(1/d1 + 1/d0)."""
    treated = D[:, 0] == 1
    parts = []
    for ep, event_row in (("pfs", 1), ("os", 3)):
        d1, d0 = T[event_row][treated].sum(), T[event_row][~treated].sum()
        ratio = fits[ep].loc["treatment", "se(coef)"] / math.sqrt(1 / d1 + 1 / d0)
        parts.append(f"{ep.upper()} SE/floor {ratio:.4f}")
    return ", ".join(parts)


def summary(tg, T, D) -> str:
    """A state's line: HR windows held, HRs within tolerance, the arm terms, their SEs over the floor."""
    fits, hr = reach.state_fits(T, D), reach.hr_windows(tg)
    return (
        f"{_inside(hr, fits)} of {len(hr)} HR windows, {met_hrs(tg, fits)} within tolerance; "
        f"{_arm(fits)}; {se_ratios(T, D, fits)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedule", choices=sorted(reach.SCHEDULES), default="short")
    parser.add_argument("--seed", type=int, default=0, help="added to every run's seed")
    parser.add_argument("--write", help="save the last state as a cohort file here")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    tg = published_targets()
    cohort = pd.read_csv(DEFAULT_COHORT)
    print(f"committed cohort: {summary(tg, *joint.state_from_cohort(cohort))}")
    # the schedules start from the committed search's state before its last step (a reconstruction)
    start = reach.witness_start(reconstruct(DEFAULT_SEED, tg))
    print(f"before its last step: {summary(tg, *start)}")
    clock = [time.perf_counter()]

    def report(run, T, D):
        print(f"{run.name}: {summary(tg, T, D)}; {time.perf_counter() - clock[0]:.0f} s", flush=True)
        clock[0] = time.perf_counter()

    witness = reach.schedule_witness(cohort, args.schedule, args.seed, report, tg, start)
    if args.write:
        with open(args.write, "w", encoding="utf-8", newline="") as f:
            f.write(csv_text(witness, COHORT_DECIMALS))
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
