"""Survival times on a 0.1-month grid, held as integer tenths of a month.

Each arm's Kaplan-Meier targets and hard constraints, and the first placements of the times that
hold its medians and 12-month rates exactly (:func:`initial_times`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lcnec_utils.reconstruct import annealing
from lcnec_utils.reconstruct.settings import (
    LANDMARK,
    LONGEST_PFS,
    MAX_OS,
    MAX_PFS,
    MIN_PFS,
    PLAUSIBILITY,
    ROLES,
)


@dataclass
class Arm:
    """Survival state of one arm, times in tenths of a month."""

    pfs: np.ndarray
    pfs_e: np.ndarray
    os: np.ndarray
    os_e: np.ndarray


def tenths(months: float) -> int:
    """Months as a whole number of tenths of a month (the time grid of the search)."""
    return int(round(months * 10))


def km_targets(tg: Mapping[str, Any], role: str) -> dict[str, float]:
    """One arm's Kaplan-Meier targets: PFS and OS medians and 12-month rates (%), and the median
    follow-up (months)."""
    return {
        "pfs_median": tg[f"pfs.median.{role}"],
        "os_median": tg[f"os.median.{role}"],
        "pfs_rate": tg[f"pfs.rate_12m.{role}"],
        "os_rate": tg[f"os.rate_12m.{role}"],
        "follow_up": tg["followup.median"],
    }


def _limits() -> np.ndarray:
    """An arm's hard limits as the compiled check reads them (indexed by
    :mod:`lcnec_utils.reconstruct.annealing`'s ``L_*``): shortest PFS, longest PFS, longest OS,
    landmark (tenths); the plausibility limits: events at one time, deaths without progression
    (fewest, largest share in per mille of the PFS events), whether each endpoint's curve must
    end above 0 (PFS, OS), times shared by two or more events (in the arm, in both arms)."""
    dwp = PLAUSIBILITY["deaths_without_progression"]
    zero = PLAUSIBILITY["curves_reach_zero"]
    tied = PLAUSIBILITY["max_tied_times"]
    return np.array(
        [
            tenths(MIN_PFS),
            tenths(MAX_PFS),
            tenths(MAX_OS),
            tenths(LANDMARK),
            int(PLAUSIBILITY["max_tied_events"]),
            int(dwp["min_per_arm"]),
            int(round(1000 * float(dwp["max_share"]))),
            int(not zero["pfs"]),
            int(not zero["os"]),
            int(tied["per_arm"]),
            int(tied["both_arms"]),
        ],
        np.int64,
    )


#: An arm's hard limits (:func:`_limits`), as the compiled check reads them.
TIME_LIMITS = _limits()


def arm_target_row(kt: Mapping[str, float]) -> np.ndarray:
    """One arm's Kaplan-Meier targets as the compiled check reads them: PFS and OS medians
    (tenths), PFS and OS 12-month rates (%)."""
    return np.array([tenths(kt["pfs_median"]), tenths(kt["os_median"]), kt["pfs_rate"], kt["os_rate"]], float)


def arm_valid(a: Arm, kt: Mapping[str, float], endpoints: Sequence[str] = ("pfs", "os")) -> bool:
    """Hard constraints of one arm: consistency of PFS and OS, exact KM medians and 12-month rates,
    the plausibility limits (:func:`lcnec_utils.reconstruct.annealing.arm_constraints_hold`, the
    compiled search's own check)."""
    return annealing.arm_constraints_hold(
        a.pfs, a.pfs_e, a.os, a.os_e, arm_target_row(kt), TIME_LIMITS, "pfs" in endpoints, "os" in endpoints
    )


def _grid(rng, lo: float, hi: float, size: int, distinct: bool = True) -> np.ndarray:
    lo_i, hi_i = tenths(lo), tenths(hi)
    pool = np.arange(lo_i, hi_i + 1)
    return np.sort(rng.choice(pool, size=size, replace=not distinct))


def _late_times(rng, start: float, scale: float, end: float, size: int) -> np.ndarray:
    """Sorted distinct times after ``start``: exponential spacing, one long survivor near ``end``."""
    for _ in range(100):
        x = np.sort(tenths(start) + np.round(rng.exponential(scale * 10, size)).astype(int))
        x[-1] = rng.integers(tenths(end - 8), tenths(end))
        x = np.sort(np.minimum(x, tenths(end)))
        if np.unique(x).size == size:
            return x
    return _grid(rng, start, end, size)


def _alive_times(rng, follow_up: float, size: int) -> np.ndarray:
    """Follow-up times of patients alive at the cut-off, around the published median follow-up."""
    return rng.choice(np.arange(tenths(follow_up - 6), tenths(follow_up + 6)), size=size, replace=False)


def _late_group(rng, n_late: int, n_alive: int, start: float, longest: int, kt) -> tuple[np.ndarray, ...]:
    """OS times and events of an arm's patients who outlive ``start`` months: ``n_alive`` alive at
    the cut-off (the first of them with the arm's longest follow-up, ``longest`` tenths), the
    others dead before it. Returns (os, os_e); the longest is row 0."""
    os = np.empty(n_late, int)
    os_e = np.ones(n_late, int)
    os[0], os_e[0] = longest, 0
    deaths = n_late - n_alive
    os[1 : 1 + deaths] = _late_times(rng, start, 7.0, longest / 10.0 - 1.0, deaths)
    os[1 + deaths :] = np.minimum(_alive_times(rng, kt["follow_up"], n_alive - 1), longest - 1)
    os_e[1 + deaths :] = 0
    return os, os_e


def _init_treatment_arm(rng, n: int, kt, n_alive: int) -> Arm:
    """Treatment arm: OS 2 deaths, 1 censoring, 4 deaths before 12 months (S(12) = 6/11),
    first death after 12 at the median, the longest follow-up alive and free of progression;
    PFS 8 events before 12, the 7th at the median, the first death without progression."""
    med_pfs, med_os = tenths(kt["pfs_median"]), tenths(kt["os_median"])
    for _ in range(2000):
        early = _grid(rng, 2.5, 11.9, 7)
        early[-1] = max(early[-1], med_pfs + 1)
        if len(set(early)) < 7 or np.any(np.diff(early) <= 0) or early[0] >= med_pfs:
            continue
        os_e = np.ones(n, int)
        os = np.zeros(n, int)
        os[:7] = early
        os_e[2] = 0  # the early censoring: a patient who started in 2024
        pfs = np.zeros(n, int)
        pfs_e = np.ones(n, int)
        gaps = rng.integers(3, 35, size=7)
        pfs[:7] = np.clip(early - gaps, 10, med_pfs - 1)
        pfs[6] = med_pfs
        pfs[0] = os[0]  # died before a first progression was recorded
        # late group: one death at the OS median (progressed just before 12 months)
        os[7] = med_os
        pfs[7] = rng.integers(med_pfs + 1, tenths(LANDMARK))
        longest = int(rng.integers(tenths(LONGEST_PFS), tenths(MAX_PFS) + 1))
        os[8:], os_e[8:] = _late_group(rng, n - 8, n_alive - 1, kt["os_median"] + 0.5, longest, kt)
        for i in range(8, n):
            if i == 8 or (os_e[i] == 0 and rng.random() < 0.6):
                pfs[i], pfs_e[i] = os[i], 0
            else:
                pfs[i] = rng.integers(tenths(LANDMARK) + 1, max(os[i] - 5, tenths(LANDMARK) + 2))
        arm = Arm(pfs, pfs_e, os, os_e)
        if arm_valid(arm, kt):
            return arm
    raise RuntimeError("could not place the treatment arm's times")


def _init_reference_arm(rng, n: int, kt, n_alive: int) -> Arm:
    """Reference arm: OS one early censoring, then deaths with S = 1/2 at the median and none
    until 12 months; PFS 16 events before 12 months, the 9th at the median, the first death
    without progression; the one patient free of progression at 12 months is alive at the cut-off
    with the arm's longest follow-up."""
    med_pfs, med_os = tenths(kt["pfs_median"]), tenths(kt["os_median"])
    lm = tenths(LANDMARK)
    for _ in range(5000):
        os = np.zeros(n, int)
        os_e = np.ones(n, int)
        early = _grid(rng, 2.0, kt["os_median"] - 0.1, 8)
        early[-1] = med_os
        if np.any(np.diff(early) <= 0):
            continue
        os[0] = rng.integers(12, early[0])  # censored before the first death
        os_e[0] = 0
        os[1:9] = early
        longest = int(rng.integers(tenths(LONGEST_PFS) - 60, tenths(LONGEST_PFS) + 1))
        os[9:], os_e[9:] = _late_group(rng, n - 9, n_alive - 1, LANDMARK + 0.5, longest, kt)
        pfs = np.zeros(n, int)
        pfs_e = np.ones(n, int)
        pfs[0] = rng.integers(10, os[0]) if os[0] > 10 else os[0]
        for i in range(1, 9):
            pfs[i] = max(10, os[i] - rng.integers(3, 40))
        pfs[1] = os[1]  # died before a first progression was recorded
        for i in range(9, n):
            if i == 9:
                pfs[i], pfs_e[i] = os[i], 0  # free of progression at the cut-off
            else:
                pfs[i] = rng.integers(20, lm)
        # the 9th PFS event exactly at the median
        order = np.argsort(pfs, kind="stable")
        k = order[8]
        if pfs[order[7]] >= med_pfs or pfs[order[9]] <= med_pfs or os[k] < med_pfs or k == 1:
            continue
        pfs[k] = med_pfs
        arm = Arm(pfs, pfs_e, os, os_e)
        if arm_valid(arm, kt):
            return arm
    raise RuntimeError("could not place the reference arm's times")


def initial_times(rng, tg: Mapping[str, Any]) -> dict[str, Arm]:
    """A fresh placement of both arms' times meeting the hard constraints."""
    n = {r: int(tg[f"n.{r}"]) for r in ROLES}
    alive = {r: int(tg[f"treatment.ongoing.n.{r}"]) for r in ROLES}
    return {
        "treatment": _init_treatment_arm(
            rng, n["treatment"], km_targets(tg, "treatment"), alive["treatment"]
        ),
        "reference": _init_reference_arm(
            rng, n["reference"], km_targets(tg, "reference"), alive["reference"]
        ),
    }
