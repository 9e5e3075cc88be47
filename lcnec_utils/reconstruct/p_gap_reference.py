"""Why the arm-only p-value gap's bound is what it is: the gaps of simulated cohorts of the study's design.

In untied data the log-rank test is the Cox model's score test, and the Wald test of the same
model differs from it by little in a cohort of this size; heaps of tied events (three deaths at the
last time at risk) pull the log-rank p away from the Cox p-values. :func:`simulate_p_gaps` draws
cohorts of the study's design with the recorded seed and returns the largest gap between the three
p-values of each (:func:`~lcnec_utils.reconstruct.fastsurv.arm_only_tests`) on the cohort's
0.1-month grid, which ties some events (as a real cohort's rounded times do); the bound of
``data/reconstruction_targets.yaml`` (``plausibility.arm_only_p_gap``) and the summary it records
(``plausibility.p_gap_simulation``) come from it (a test reruns it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.reconstruct.fastsurv import arm_only_p_gap, arm_only_tests
from lcnec_utils.reconstruct.plausibility import tied_event_times
from lcnec_utils.reconstruct.settings import PLAUSIBILITY


def _cohort(rng, design: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One cohort: exponential times (reference median, hazard ratio drawn uniformly), uniform
    censoring, rounded to the grid (at least one grid step)."""
    n1, n0 = int(design["n_treatment"]), int(design["n_reference"])
    lam0 = math.log(2.0) / float(design["reference_median_months"])
    hr = rng.uniform(*design["hazard_ratio_range"])
    g = np.r_[np.ones(n1), np.zeros(n0)]
    event_time = rng.exponential(1.0 / (lam0 * np.where(g == 1, hr, 1.0)))
    censor = rng.uniform(*design["censoring_months"], size=g.size)
    grid = float(design["grid_months"])
    t = np.maximum(np.round(np.minimum(event_time, censor) / grid) * grid, grid)
    return t, (event_time <= censor).astype(float), g


def simulate_reference(simulation: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The reference cohorts of the arm-only p-value gap: ``simulation["kept"]`` simulated cohorts
    of the design in ``simulation`` (default: ``plausibility.p_gap_simulation`` of the targets
    file), drawn with its seed and kept when they have at least ``min_events`` events and a
    log-rank p within ``logrank_p_range`` (the range in which the paper's p-values lie). One row
    per kept cohort: ``gap`` (the largest difference between the log-rank, Cox Wald and Cox score
    p-values), ``tied_times`` (event times shared by two or more events: the grid makes some) and
    ``tied_times_arm`` (the same in the arm with more of them)."""
    sim = PLAUSIBILITY["p_gap_simulation"] if simulation is None else simulation
    design = sim["design"]
    rng = np.random.default_rng(int(sim["seed"]))
    lo, hi = sim["logrank_p_range"]
    rows: list[tuple[float, int, int]] = []
    while len(rows) < int(sim["kept"]):
        t, e, g = _cohort(rng, design)
        if e.sum() < int(sim["min_events"]):
            continue
        z_lr = arm_only_tests(t, e, g)[0]
        if not math.isfinite(z_lr) or not lo <= math.erfc(abs(z_lr) / math.sqrt(2.0)) <= hi:
            continue
        per_arm = max(tied_event_times(t[g == k], e[g == k]) for k in (0, 1))
        rows.append((arm_only_p_gap(t, e, g), tied_event_times(t, e), per_arm))
    return pd.DataFrame(rows, columns=["gap", "tied_times", "tied_times_arm"])


def simulate_p_gaps(simulation: Mapping[str, Any] | None = None) -> np.ndarray:
    """The ``gap`` column of :func:`simulate_reference`."""
    return simulate_reference(simulation)["gap"].to_numpy()


def p_gap_summary(gaps: np.ndarray, bound: float | None = None) -> dict[str, float]:
    """Median, 99th and 99.9th percentiles of the gaps and the share within ``bound`` (default
    the plausibility limit), rounded as the targets file records them."""
    b = float(PLAUSIBILITY["arm_only_p_gap"]) if bound is None else bound
    return {
        "median": round(float(np.median(gaps)), 4),
        "q99": round(float(np.quantile(gaps, 0.99)), 4),
        "q999": round(float(np.quantile(gaps, 0.999)), 4),
        "share_within_bound": round(float(np.mean(gaps <= b)), 4),
    }


def tied_times_summary(reference: pd.DataFrame) -> dict[str, float]:
    """The reference cohorts' tied event times against ``plausibility.max_tied_times``: the mean
    number in both arms together, and the shares of cohorts beyond the limit per arm (the arm with
    more) and in both arms, rounded as the targets file records them."""
    limit = PLAUSIBILITY["max_tied_times"]
    return {
        "mean_both_arms": round(float(reference["tied_times"].mean()), 2),
        "share_beyond_per_arm": round(float((reference["tied_times_arm"] > int(limit["per_arm"])).mean()), 4),
        "share_beyond_both_arms": round(float((reference["tied_times"] > int(limit["both_arms"])).mean()), 4),
    }


def endpoint_simulation(median_months: float, simulation: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``simulation`` (default ``plausibility.p_gap_simulation``) with the reference arm's median set
    to ``median_months``: the same design for another endpoint (PFS: the Chemo PFS median)."""
    sim = dict(PLAUSIBILITY["p_gap_simulation"] if simulation is None else simulation)
    sim["design"] = {**sim["design"], "reference_median_months": float(median_months)}
    return sim
