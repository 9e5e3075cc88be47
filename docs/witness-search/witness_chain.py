"""The search that found ``data/lcnec_witness_cohort.csv`` (issue 3), rerunnable.

A contributor's tool, not part of the book: it took about 5 minutes on one core, far beyond
the 60 s that ``lcnec synth`` may take, which is why the committed cohort does not come from
it. The witness's bytes come from this script at commit 4ff74bf (the search's numpy
statistics); on later code (``lcnec_utils/fastsurv.py``) the fits' last bits, and so the
annealing paths, differ, and the stages end near the witness rather than on it (runs in
``docs/OPEN-TARGETS.md``). Each stage is simulated annealing in ``reconstruct._SurvivalSearch.run`` with its own
objective; every Kaplan-Meier target is held throughout (``_kaplan_meier_holds``, whose floor
of 5.0 is the printed asymmetric PFS interval of the treated arm).

    python docs/witness-search/witness_chain.py [--out DIR]

Start: ``start_state.csv`` here, the best OS-only state of an earlier session's search (OS
upper bound 1.1115, PFS p 0.099; how it was reached is in ``docs/OPEN-TARGETS.md``). Stages:

1. times against the ideal-covariate SE (``reconstruct.IdealCovariateSolver``, warm-started);
2. covariates only, towards the OS upper bound itself (HR >= 0.5001);
3. times and covariates, OS only;
4. both arm terms: the OS bound walled at 1.1095, PFS |z| >= 1.997 + 0.003, the PFS HR window.

The end state is written through the generator's own assembly (covariate columns, ages and
laboratory values of seed 20250101) as the witness cohort and its adverse-event table.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from lcnec_utils import reconstruct as R
from lcnec_utils.reconstruction_report import WITNESS_AE_FILE, WITNESS_COHORT_FILE

HERE = Path(__file__).resolve().parent
FIELDS = ("pfs", "pfs_e", "os", "os_e")
TERMS = R.COX_TERMS[1:]  # the design's columns (age, sex_male, ...)


def load_state(path: Path):
    """Arms (times in 0.1 months) and design matrices from a state CSV, rows in arm order."""
    frame = pd.read_csv(path)
    arms, X = {}, {}
    for role in R.ROLES:
        d = frame[frame["role"] == role]
        arms[role] = R._Arm(*(d[f].to_numpy(np.int64) for f in FIELDS))
        # C order, as the generator builds it: BLAS kernels (and so the last bits of every fit,
        # and the whole annealing path after them) depend on the memory layout
        X[role] = np.ascontiguousarray(d[TERMS].to_numpy(float))
    return arms, X


def save_state(search, path: Path) -> None:
    rows = []
    for role in R.ROLES:
        a = search.arms[role]
        d = pd.DataFrame({f: getattr(a, f) for f in FIELDS})
        d[TERMS] = search.X[role]
        d.insert(0, "role", role)
        rows.append(d)
    pd.concat(rows).to_csv(path, index=False)


def _search(arms, X, seed):
    return R._SurvivalSearch(np.random.default_rng(seed), R.published_targets(), arms, X)


def _refit(search) -> dict:
    """Cox fits from scratch, then once from those: the warm start every stage began from."""
    search.beta = {"pfs": None, "os": None}
    m = search.metrics()
    search._all_parts(True)
    return m


def stage_ideal_order(search, iterations=2000, temp0=0.5, hr=0.5002):
    """Times against the smallest SE an ideal covariate allows at ``hr`` (KM targets held)."""
    hold = R._kaplan_meier_holds(search, R.published_targets())
    state = {"x": None, "cache": {}}

    def ideal(maxiter=40):
        t, e = search._te("os")
        key = t.tobytes() + e.tobytes()
        if key in state["cache"]:
            return state["cache"][key]
        solver = R.IdealCovariateSolver(t, e, search.g, hr)
        start_rng = np.random.default_rng(len(state["cache"]))
        x0 = state["x"] if state["x"] is not None else start_rng.normal(0, 0.5, t.size)
        var, x, _ = solver.solve(x0 - x0[0], maxiter)
        viol = float(np.abs(solver.pieces(x)[2]).max())
        if not (viol < 1e-6 and math.isfinite(var)):
            x0 = start_rng.normal(0, 0.5, t.size)
            var, x, _ = solver.solve(x0 - x0[0], 300)
            viol = float(np.abs(solver.pieces(x)[2]).max())
        if viol < 1e-6 and math.isfinite(var):
            state["x"] = x
        out = (math.sqrt(max(var, 0.0)) if math.isfinite(var) else 9.0, viol)
        if len(state["cache"]) > 20000:
            state["cache"].clear()
        state["cache"][key] = out
        return out

    def objective(parts):
        se, viol = ideal()
        return 1000 * se + 1e4 * viol + hold(parts)

    ideal(300)
    chunk, temp1 = iterations // 10, 0.02
    for k in range(10):
        t0, t1 = temp0 * (temp1 / temp0) ** (k / 10), temp0 * (temp1 / temp0) ** ((k + 1) / 10)
        search.run(chunk, with_cox=False, p_time=1.0, temp0=t0, temp1=t1, p_structural=0.15, objective=objective)
        state["x"] = None
        state["cache"].clear()
        se = ideal(300)
    return se[0]


def stage_os_bound(search, iterations, p_time, temp0=0.3):
    """Covariates (and times if ``p_time``) towards the OS arm's upper bound, HR >= 0.5001."""
    hold = R._kaplan_meier_holds(search, R.published_targets())

    def objective(parts):
        m = parts["os.cox"]
        if "os.cox_multivariable.ci_high" not in m:
            return 1e9
        c = 100 * m["os.cox_multivariable.ci_high"] + 1e5 * max(0.0, 0.5001 - m["os.cox_multivariable.hr"])
        c += 5.0 * max(0.0, m["os.cox_max_abs_beta"] - math.log(8.0))
        return c + 100 * (hold(parts) - 5.0)

    _refit(search)
    search.run(iterations, with_cox=True, p_time=p_time, temp0=temp0, temp1=0.003,
               p_structural=0.0 if p_time == 0 else 0.1, objective=objective, cox_endpoints=("os",))


def stage_both_arms(search, iterations=400000, wall=1.1095, temp0=0.3):
    """Both arm terms: the OS bound under a wall, the PFS |z| above its floor, HR windows."""
    hold = R._kaplan_meier_holds(search, R.published_targets())
    lo, hi = R.PFS_HR_WINDOW
    floor = R.PFS_Z_FLOOR + 0.003

    def objective(parts):
        m, hz = parts["os.cox"], R._pfs_arm_z(parts)
        if hz is None or "os.cox_multivariable.ci_high" not in m:
            return 1e9
        ci = m["os.cox_multivariable.ci_high"]
        c = 100 * ci + 1e4 * max(0.0, ci - wall) + 1e5 * max(0.0, 0.5001 - m["os.cox_multivariable.hr"])
        c += 100 * max(0.0, floor - hz[1]) - 10 * min(hz[1], floor)
        c += 1e5 * (max(0.0, lo - hz[0]) + max(0.0, hz[0] - hi))
        return c + 100 * (hold(parts) - 5.0) + 0.1 * search.cost(parts, [])

    _refit(search)
    search.run(iterations, with_cox=True, p_time=0.6, temp0=temp0, temp1=0.002, p_structural=0.1,
               objective=objective)


def write_witness(arms, X, out_dir: Path) -> tuple[Path, Path]:
    """The state as a cohort: the generator's covariate columns, ages and labs (default seed)."""
    tg = R.published_targets()
    _, covs, _, labs = R._first_draws(np.random.default_rng(R.DEFAULT_SEED), tg)  # times, ages: from the state
    ages = {r: R._write_back(X[r], covs[r]) for r in R.ROLES}
    cohort, ae = R._assemble(np.random.default_rng(1), tg, arms, covs, ages, labs)
    paths = out_dir / WITNESS_COHORT_FILE, out_dir / WITNESS_AE_FILE
    paths[0].write_text(R._csv_text(cohort, R.COHORT_DECIMALS))
    paths[1].write_text(R._csv_text(ae, {}))
    return paths


def _show(label, search, t0):
    m = _refit(search)
    keys = ("os.cox_multivariable.hr", "os.cox_multivariable.ci_high", "pfs.cox_multivariable.p", "os.logrank.p")
    print(f"{label:<28} {time.time() - t0:6.0f} s", {k: round(m[k], 4) for k in keys}, flush=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "out"), help="folder for the states and the witness CSVs")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")
    t0 = time.time()
    arms, X = load_state(HERE / "start_state.csv")
    stages = [
        ("1 ideal-covariate order", 1, lambda s: stage_ideal_order(s)),
        ("2 covariates, OS bound", 1, lambda s: stage_os_bound(s, 200000, p_time=0.0)),
        ("3 times + covariates, OS", 2, lambda s: stage_os_bound(s, 1000000, p_time=0.3)),
        ("4 both arm terms", 5, lambda s: stage_both_arms(s)),
    ]
    for k, (label, seed, run) in enumerate(stages, start=1):
        search = _search(arms, X, seed)
        run(search)
        save_state(search, out / f"state_{k}.csv")
        arms, X = load_state(out / f"state_{k}.csv")  # each stage starts from the saved state
        _show(label, _search(arms, X, 0), t0)
    for path in write_witness(arms, X, out):
        print("wrote", path)


if __name__ == "__main__":
    main()
