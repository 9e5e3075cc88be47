"""Which bound keeps one endpoint's Table 4 windows out of reach: the Table 4 stage and the two
counted steps on that endpoint's windows alone, with the arm-term bounds all kept, or some dropped.

    .venv/bin/python benchmarks/table4_conflict.py                        # PFS, the default runs
    .venv/bin/python benchmarks/table4_conflict.py --endpoint os --runs all none

Each run starts from the cohort's state (default: the shipped cohort), keeps the windows of
``--endpoint`` only (``both``: all of Table 4's) as ``joint.table4_windows`` and
``joint.table4_priority`` give them (with ``no-ecog`` in the run's name, without the ECOG term's),
reruns the Table 4 annealing (``joint.table4_stage`` with the run's bounds,
``joint.STAGE_MOVES["table4"]`` with ``--temp0``) and then both counted steps
(``polish.polish_covariates``, covariate moves then outcome swaps), and prints the windows met
(read with lifelines, ``joint.window_targets``), the missed ones, and both arm terms with the PFS
arm's standard error. The runs (``--runs``): ``all`` (the Table 4 stage's bounds), ``no-pfs``
(without the PFS arm term's: its HR floor and |z| floor), ``no-os`` (without the OS arm term's),
``none``; each may end in ``+no-ecog``. ``--pfs-hr-floor`` lowers the PFS arm HR's floor where a
run keeps it (how far it must fall for the windows to hold). Session 20 ran it
(docs/OPEN-TARGETS.md): a search, so evidence of where a conflict lies, not a proof. Prints
figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
import warnings

import numpy as np
import pandas as pd
from table4_tradeoff import _arm, _inside  # same folder: run as a script

from lcnec_utils.contract.params import DEFAULT_COHORT
from lcnec_utils.reconstruct import annealing, joint, polish, reach
from lcnec_utils.reconstruct.targets import published_targets

#: The bounds each run drops (``Objective`` fields set to "no bound").
DROPPED = {
    "all": {},
    "no-pfs": {"keep_pfs_z": 0.0, "keep_pfs_hr_lo": 0.0},
    "no-os": {"keep_os_ci": math.inf, "keep_os_hr": 0.0},
    "none": {
        "keep_pfs_z": 0.0,
        "keep_pfs_hr_lo": 0.0,
        "keep_os_ci": math.inf,
        "keep_os_hr": 0.0,
        "walls": 0.0,
    },
}


def _pfs_se(fits) -> str:
    row = fits["pfs"].loc["treatment"]
    return f"PFS arm SE {row['se(coef)']:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", default=str(DEFAULT_COHORT))
    parser.add_argument("--endpoint", choices=("pfs", "os", "both"), default="pfs")
    parser.add_argument("--runs", nargs="+", default=["all", "all+no-ecog", "no-os", "no-pfs", "none"])
    parser.add_argument("--iterations", type=int, default=5_000_000)
    parser.add_argument("--temp0", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--pfs-hr-floor",
        type=float,
        default=None,
        help="the PFS arm HR's floor in runs that keep it (default: the search's)",
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    tg = published_targets()
    T0, D0 = joint.state_from_cohort(pd.read_csv(args.cohort))
    prefixes = ("pfs.", "os.") if args.endpoint == "both" else (f"{args.endpoint}.",)
    start = reach.state_fits(T0, D0)
    reachable = [w for w in joint.window_targets(tg) if w[0].startswith(prefixes)]
    print(
        f"start: {_inside(reachable, start)} of {len(reachable)} {args.endpoint} windows; {_arm(start)}; {_pfs_se(start)}"
    )
    for run in args.runs:
        bounds, _, ecog = run.partition("+")
        keep = [
            i for i, w in enumerate(joint.table4_windows(tg))
            if w[0].startswith(prefixes) and not (ecog == "no-ecog" and ".ecog." in w[0])
        ]  # fmt: skip
        windows = [joint.table4_windows(tg)[i] for i in keep]
        priority = joint.table4_priority(tg)[keep]
        setting = joint.annealing_setting(tg, windows=windows)
        stage = dataclasses.replace(joint.table4_stage(), **DROPPED[bounds])
        if args.pfs_hr_floor is not None and stage.keep_pfs_hr_lo > 0:
            stage = dataclasses.replace(stage, keep_pfs_hr_lo=args.pfs_hr_floor)
        moves = dict(joint.STAGE_MOVES["table4"], temp0=args.temp0)
        T, D = T0.copy(), D0.copy()
        t0 = time.perf_counter()
        annealing.anneal(T, D, setting, stage, args.iterations, seed=args.seed, **moves)
        polish.polish_covariates(T, D, setting, stage, priority, 12, 40)
        polish.polish_covariates(T, D, setting, stage, priority, 12, 20, swaps=True)
        fits = reach.state_fits(T, D)
        counted = [w for w in reachable if ecog != "no-ecog" or ".ecog." not in w[0]]
        missed = [w[0].replace("cox_multivariable.", "") for w in counted if not _inside([w], fits)]
        print(
            f"{run}: {_inside(counted, fits)} of {len(counted)} {args.endpoint} windows; {_arm(fits)}; "
            f"{_pfs_se(fits)}; {time.perf_counter() - t0:.0f} s\n  missed: {' '.join(missed) or '-'}"
        )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
