"""How much of Table 4 the compiled search reaches from the committed cohort, against the arm terms.

    .venv/bin/python benchmarks/table4_tradeoff.py                      # the default runs
    .venv/bin/python benchmarks/table4_tradeoff.py --ceilings 1.12 1.3 --only ecog --iterations 500000

Reruns the Table 4 stage (``reconstruct.joint.table4_stage``: Table 4's windows pulled as the
chain pulls them, ``joint.table4_windows``, the arm-term bounds as walls) from the committed
cohort's state, once per OS upper-bound ceiling (``own``: the cohort's own upper bound, so nothing
may get worse; a number: the bound allowed up to it, at least ``joint.OS_CI_CEILING``; ``free``:
no arm-term walls and no keep bounds at all), and prints for each run how many
of the reachable Table 4 statistics (``joint.window_targets``, read with lifelines) end inside
their windows and where the arm terms end. ``--only`` keeps the windows whose key contains the
text (``pfs.cox_multivariable.ecog``: the term the paper calls prognostic). Prints figures, asserts
nothing; docs/OPEN-TARGETS.md records what it gave.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import warnings

import numpy as np
import pandas as pd

from lcnec_utils.contract.params import DEFAULT_COHORT
from lcnec_utils.reconstruct import annealing, joint, reach
from lcnec_utils.reconstruct.targets import published_targets


def _inside(windows, fits) -> int:
    """How many window targets the fits meet (a p's window is on the |z| scale)."""
    return sum(lo <= reach.window_value(fits, key) <= hi for key, lo, hi, _ in windows)


def _arm(fits) -> str:
    pfs, os_ = fits["pfs"].loc["treatment"], fits["os"].loc["treatment"]
    return (
        f"PFS HR {pfs['exp(coef)']:.4f} p {pfs['p']:.4f} | "
        f"OS HR {os_['exp(coef)']:.4f} upper {os_['exp(coef) upper 95%']:.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ceilings", nargs="+", default=["own", "1.15", "1.2", "free"])
    parser.add_argument("--iterations", type=int, default=1_000_000)
    parser.add_argument("--only", default="", help="keep the windows whose key contains this text")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    tg = published_targets()
    windows = [w for w in joint.window_targets(tg) if args.only in w[0]]
    pulled = [w for w in joint.table4_windows(tg) if args.only in w[0]]  # as the chain's Table 4 stage
    setting = joint.annealing_setting(tg, windows=pulled)
    T0, D0 = joint.state_from_cohort(pd.read_csv(DEFAULT_COHORT))
    start = reach.state_fits(T0, D0)
    own = float(start["os"].loc["treatment", "exp(coef) upper 95%"])
    print(f"committed cohort: {_inside(windows, start)} of {len(windows)} windows; {_arm(start)}")
    for ceiling in args.ceilings:
        stage = joint.table4_stage()
        if ceiling == "free":
            stage = dataclasses.replace(
                stage, walls=0.0, keep_os_ci=np.inf, keep_os_hr=0.0, keep_pfs_z=0.0, keep_pfs_hr_lo=0.0,
                keep_windows=1.0,
            )  # fmt: skip
        else:
            bound = own + 1e-4 if ceiling == "own" else float(ceiling)
            stage = dataclasses.replace(stage, keep_os_ci=max(bound, joint.OS_CI_CEILING))
        T, D = T0.copy(), D0.copy()
        t0 = time.perf_counter()
        result = annealing.anneal(
            T, D, setting, stage, args.iterations, seed=args.seed, **joint.STAGE_MOVES["table4"]
        )
        fits = reach.state_fits(T, D)
        print(
            f"OS ceiling {ceiling}: {_inside(windows, fits)} of {len(windows)} windows; {_arm(fits)}; "
            f"keep-rule violation {result.violation:.4f}; {time.perf_counter() - t0:.0f} s"
        )


if __name__ == "__main__":
    main()
