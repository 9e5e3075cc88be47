"""The synthetic cohort: a reconstruction of the study's 31 patients from its published aggregates.

The patient-level data of the study are not public. The book therefore ships a
*synthetic* cohort whose rows reproduce the published numbers (Tables 2 to 4
and the text of sections 3.1 to 3.3, as stored in ``data/published.yaml``)
when the book's own analysis code is run on them. The rows are invented; only
their aggregates are the paper's.

The generator is a deterministic constrained search (same seed, same bytes):

1. exact counts by construction: every Table 2 / Table 3 category is a random
   placement of the reported number of 1s among the arm's patients;
2. age: integers with the reported mean and SD per arm (and in total) at the
   reported rounding and the reported count aged >= 65, by SPRITE-style
   moves (Heathers et al. 2018) that keep the sum and move the sum of squares;
3. laboratory values: which arm holds each pooled rank is annealed to the U
   statistic of the printed Mann-Whitney p and to feasibility of the quartile
   constraints; then the order statistics that define SPSS's quartiles
   (Hyndman-Fan type 6) per arm and pooled are set directly and the other
   ranks filled in between;
4. survival times: events and censorings placed on a 0.1-month grid so that
   the Kaplan-Meier medians and 12-month rates hold exactly; then simulated
   annealing with the medians and rates as hard constraints and the log-rank
   p-values, the multivariable Cox hazard ratios, the SPSS median CIs and the
   reverse Kaplan-Meier follow-up (plus light realism terms) as the objective.
   Ensemble members run three stages (times alone, covariate placement alone,
   then both) in Python (:class:`_SurvivalSearch`). The committed cohort runs a
   compiled search (:mod:`lcnec_utils.annealing`, :func:`_joint_search`) for
   the two Cox arm terms, whose printed intervals ask for standard errors near
   the smallest 31 patients allow: independent chains, one per core, each
   placing the times for both arms' information, then the covariates, then
   times and covariates towards the OS upper bound with the PFS arm term pulled
   into its tolerance, every Kaplan-Meier target held throughout; the chain that
   meets the arm-term bounds (or comes nearest) is kept. Not every seed's chains
   get there: :data:`DEFAULT_SEED` is the first seed of :func:`scan_seeds` whose
   cohort misses no target;
5. best response (PD to the earliest progressions), ICI class, ongoing
   treatment (alive patients at the cut-off, recent starts first) and the
   irAE table (one grade 1-2 event per patient) with the published counts.

The search evaluates candidates with the compiled statistics of
:mod:`lcnec_utils.fastsurv` and the compiled loop of :mod:`lcnec_utils.annealing`
(written by hand only because the inner loop needs speed; they are tested
against lifelines and the Python search); :func:`evaluate_targets` checks the
result with the book's own modules (:mod:`lcnec_utils.survival`,
:mod:`lcnec_utils.cox`, :mod:`lcnec_utils.tables`).

Choices and published numbers that cannot all hold (evidence in
:func:`evaluate_targets`'s ``note`` column and in ``tests/test_reconstruct.py``):

* 1-year OS: Table 3 (54.5% vs 50.0%) is used, not section 3.3 (78.8% vs
  47.1%): one curve has one S(12). 54.5% = 6/11 needs one censoring before 12
  months among 14, 50.0% = 8/16 one among 17; 78.8% on 14 patients exists only
  as 63/80 and needs five of the 14 censored before 12 months
  (:func:`reachable_km_rates`).
* "Ongoing treatment" (3 + 3) is read as alive at the cut-off, so at most
  11 + 14 of 31 patients die. SE(log HR) of the 0/1 arm term is at least
  sqrt(1/d1 + 1/d0) (:func:`_cox_reachable`): 0.403 for OS, so the OS Cox p
  (0.054 +/- 0.02) cannot hold together with HR 0.55 +/- 0.05; 0.361 for PFS.
  The printed Cox CIs imply SE 0.30 (PFS) and 0.31 (OS), below both floors.
  Within the tolerances the PFS arm term is met in full (HR 0.46, SE <= 0.389,
  p <= 0.046): the search holds HR at the low end of its tolerance and
  |z| >= 2. The OS upper bound is within reach only just: it needs SE <= 0.407
  at HR 0.50, less than 1% above the floor, i.e. every death's risk set near the
  same weighted arm share and covariates that cost the arm almost nothing. An
  ideal covariate (:func:`ideal_covariate_se`, the most any adjustment could
  give) measures how much room an order of deaths leaves.
* PFS median CI of the treatment arm (7.6-12.4 around 10.5) is not symmetric,
  SPSS's median +/- 1.96 SE is: at least one bound is 0.5 or more away.
* Table 2: ECOG 0-1 arm counts 13 + 15 = 28 against a printed total of 27; the
  Fisher p of the printed sex counts is 0.576, not 0.560.
"""

from __future__ import annotations

import math
import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import annealing, fastsurv
from .params import DATA_DIR

#: The committed cohort's seed: the first seed from SCAN_START whose cohort misses no target
#: (``lcnec synth --scan``, ``data/lcnec_seed_scan.csv``; a test checks both).
DEFAULT_SEED = 20250103
COHORT_FILE = "lcnec_synthetic_cohort.csv"
AE_FILE = "lcnec_synthetic_adverse_events.csv"

TREATMENT = "ICIs + Chemo"
REFERENCE = "Chemo"
ROLES = ("treatment", "reference")
LANDMARK = 12.0
#: Times are months with one decimal (held as integer tenths in the search). Axis ends of the
#: paper's Figures 2 (PFS, 40 months) and 3 (OS, 50 months): no longer times (and well inside
#: the study window, January 2019 to the last follow-up on 31 December 2024).
MAX_PFS, MAX_OS = 40.0, 50.0
#: The longest observed times the search aims at (within the axes above).
LONGEST_PFS, LONGEST_OS = 30.0, 40.0
#: The first event of each arm comes within these months (PFS, OS).
FIRST_EVENT = {"pfs": 3.0, "os": 6.0}
#: Shortest PFS: progression is first seen at about one month (clinical or radiological).
MIN_PFS = 1.0

COHORT_COLUMNS = [
    "patient_id", "group", "os_months", "os_event", "pfs_months", "pfs_event", "age", "sex",
    "ecog", "smoking", "met_bone", "met_liver", "met_brain", "met_adrenal", "met_pleura",
    "met_intrapulmonary", "met_other", "chemo_regimen", "thoracic_rt", "ldh", "sodium", "cea",
    "progrp", "nse", "best_response", "ici_class", "ongoing_treatment",
]
AE_COLUMNS = ["patient_id", "term", "grade", "immune_related"]

BINARY_COLUMNS = [
    "smoking", "met_bone", "met_liver", "met_brain", "met_adrenal", "met_pleura",
    "met_intrapulmonary", "met_other", "thoracic_rt",
]
#: Lab column -> (grid step of the values, plausible lower bound, plausible upper bound).
LABS = {
    "ldh": (1.0, 140.0, 3500.0),
    "sodium": (0.1, 124.0, 146.0),
    "cea": (0.01, 0.3, 400.0),
    "progrp": (0.01, 8.0, 6000.0),
    "nse": (0.01, 6.0, 300.0),
}
LAB_DECIMALS = {"ldh": 0, "sodium": 1, "cea": 2, "progrp": 2, "nse": 2}
#: CTCAE-v5-style term text of each irAE of Table 3 (the results keys are their snake_case).
IRAE_TERMS = {
    "interstitial_lung_disease": "Interstitial lung disease",
    "hypothyroidism": "Hypothyroidism",
    "hepatitis": "Hepatitis",
}
ICI_CLASSES = {"pd1": "PD-1", "pdl1": "PD-L1", "pd1_ctla4": "PD-1/CTLA-4"}
REGIMENS = {"chemo_regimen_ep_ec_el": "EP/EC/EL", "chemo_regimen_ip": "IP", "chemo_regimen_tp": "TP"}

#: Tolerances of the soft targets (the issue's).
TOLERANCES = {
    "p_table": 0.01, "logrank_p": 0.005, "followup": 1.0, "cox_hr": 0.05, "cox_ci": 0.10,
    "cox_p": 0.02, "median_ci": 0.5,
}

_Z = 1.959963984540054


# --------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------


def published_targets(published: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Published values keyed as in ``docs/CONVENTIONS.md`` (value as printed).

    ``published`` maps key -> value; by default ``data/published.yaml`` through
    :func:`lcnec_utils.published.published_values`.
    """
    if published is None:
        published = _load_published_values()
    return dict(published)


def _load_published_values() -> dict[str, Any]:
    from .published import published_values

    values = published_values()
    # printed only implicitly: no complete response in either arm, 4 patients with an irAE
    values.setdefault("response.cr.n.treatment", 0)
    values.setdefault("response.cr.n.reference", 0)
    return values


# --------------------------------------------------------------------------
# Age: integers with the reported mean and SD (SPRITE-style)
# --------------------------------------------------------------------------


def _matches(x: float, target: float, decimals: int) -> bool:
    """``x`` printed with ``decimals`` decimals reads ``target``, clear of the rounding tie.

    Exact ties (5.295 at 2 decimals) are refused: whether they print up or down
    depends on the binary representation, so they are no safe target.
    """
    q = 10.0 ** decimals
    return abs(x * q - round(target * q)) < 0.5 - 1e-6


def _age_moment_options(n: int, mean: float, sd: float, mean_dec: int = 1, sd_dec: int = 2):
    """All (sum, sum of squares) of n integers whose mean and SD print as reported."""
    out = []
    for s in range(int(math.floor((mean - 1) * n)), int(math.ceil((mean + 1) * n)) + 1):
        if not _matches(s / n, mean, mean_dec):
            continue
        base = s * s / n
        lo = base + (n - 1) * (sd - 0.01) ** 2
        hi = base + (n - 1) * (sd + 0.01) ** 2
        for q in range(int(math.floor(lo)), int(math.ceil(hi)) + 1):
            if (q - s) % 2:  # sum of x^2 has the parity of the sum of x
                continue
            var = (q - base) / (n - 1)
            if var > 0 and _matches(math.sqrt(var), sd, sd_dec):
                out.append((s, q))
    return out


def _age_targets(tg: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """(sum, sum of squares) per arm meeting the arm and total summaries."""
    n = {r: int(tg[f"n.{r}"]) for r in ROLES}
    opts = {r: _age_moment_options(n[r], tg[f"baseline.age.mean.{r}"], tg[f"baseline.age.sd.{r}"])
            for r in ROLES}
    N = n["treatment"] + n["reference"]
    best = None
    for st, qt in opts["treatment"]:
        for sr, qr in opts["reference"]:
            s, q = st + sr, qt + qr
            mean, sd = s / N, math.sqrt((q - s * s / N) / (N - 1))
            ok = True
            if "baseline.age.mean.total" in tg:
                ok &= _matches(mean, tg["baseline.age.mean.total"], 1)
            if "baseline.age.sd.total" in tg:
                ok &= _matches(sd, tg["baseline.age.sd.total"], 2)
            if ok:
                best = {"treatment": (st, qt), "reference": (sr, qr)}
                break
        if best:
            break
    if best is None:
        raise ValueError("no integer ages meet the published age summaries")
    return best


def _sprite_ages(rng: np.random.Generator, n: int, total: int, sumsq: int, n_old: int,
                 lo: int = 42, hi: int = 86, cut: int = 65) -> np.ndarray:
    """n integer ages with the given sum and sum of squares, ``n_old`` of them >= ``cut``."""
    for _attempt in range(200):
        x = np.concatenate([rng.integers(cut, hi - 6, n_old), rng.integers(lo + 8, cut, n - n_old)])
        old = x >= cut
        # fix the sum by +/-1 steps that keep each age on its side of the cut
        for _ in range(4000):
            diff = total - int(x.sum())
            if diff == 0:
                break
            i = rng.integers(n)
            step = 1 if diff > 0 else -1
            y = x[i] + step
            if lo <= y <= hi and (y >= cut) == old[i]:
                x[i] = y
        if int(x.sum()) != total:
            continue
        q = int((x * x).sum())
        for _ in range(20000):
            if q == sumsq:
                return rng.permutation(x)
            i, j = rng.integers(n, size=2)
            if i == j:
                continue
            # x_i + 1, x_j - 1 keeps the sum; changes the sum of squares by 2(x_i - x_j) + 2
            dq = 2 * (int(x[i]) - int(x[j])) + 2
            nq = q + dq
            xi, xj = x[i] + 1, x[j] - 1
            if not (lo <= xi <= hi and lo <= xj <= hi):
                continue
            if (xi >= cut) != old[i] or (xj >= cut) != old[j]:
                continue
            if abs(nq - sumsq) < abs(q - sumsq) or (abs(nq - sumsq) == abs(q - sumsq) and rng.random() < 0.5):
                x[i], x[j], q = xi, xj, nq
    raise RuntimeError("SPRITE did not reach the age targets")


# --------------------------------------------------------------------------
# Laboratory values: SPSS quartiles set through the order statistics
# --------------------------------------------------------------------------


def _weibull_positions(n: int) -> list[tuple[int, int, float]]:
    """For Q1, median, Q3: (lower index, upper index, weight) with q = x[lo] + w (x[hi] - x[lo])."""
    out = []
    for p in (0.25, 0.5, 0.75):
        h = p * (n + 1)
        k = int(math.floor(h + 1e-12))
        w = h - k
        lo = min(max(k, 1), n) - 1
        hi = min(k + 1, n) - 1
        out.append((lo, hi if w > 1e-12 else lo, w if w > 1e-12 else 0.0))
    return out


def weibull_quartiles(x) -> np.ndarray:
    """Q1, median, Q3 as SPSS (numpy ``method="weibull"``)."""
    return np.percentile(np.asarray(x, float), [25, 50, 75], method="weibull")


# --------------------------------------------------------------------------
# Survival times (integer tenths of a month internally)
# --------------------------------------------------------------------------


@dataclass
class _Arm:
    """Survival state of one arm, times in tenths of a month."""

    pfs: np.ndarray
    pfs_e: np.ndarray
    os: np.ndarray
    os_e: np.ndarray


def _tenths(months: float) -> int:
    return int(round(months * 10))


def _km_targets(tg: Mapping[str, Any], role: str) -> dict[str, float]:
    return {
        "pfs_median": tg[f"pfs.median.{role}"], "os_median": tg[f"os.median.{role}"],
        "pfs_rate": tg[f"pfs.rate_12m.{role}"], "os_rate": tg[f"os.rate_12m.{role}"],
        "follow_up": tg["followup.median"],
    }


#: An arm's hard time limits in tenths (shortest PFS, longest PFS, longest OS, landmark), as the
#: compiled check reads them.
_TIME_LIMITS = np.array([_tenths(MIN_PFS), _tenths(MAX_PFS), _tenths(MAX_OS), _tenths(LANDMARK)], np.int64)


def _arm_target_row(kt: Mapping[str, float]) -> np.ndarray:
    """One arm's Kaplan-Meier targets as the compiled check reads them: PFS and OS medians
    (tenths), PFS and OS 12-month rates (%)."""
    return np.array([_tenths(kt["pfs_median"]), _tenths(kt["os_median"]), kt["pfs_rate"], kt["os_rate"]], float)


def _arm_valid(a: _Arm, kt: Mapping[str, float], endpoints: Sequence[str] = ("pfs", "os")) -> bool:
    """Hard constraints of one arm: consistency of PFS and OS, exact KM medians and 12-month rates
    (:func:`lcnec_utils.annealing.arm_constraints_hold`, the compiled search's own check)."""
    return annealing.arm_constraints_hold(a.pfs, a.pfs_e, a.os, a.os_e, _arm_target_row(kt), _TIME_LIMITS,
                                          "pfs" in endpoints, "os" in endpoints)


def _grid(rng, lo: float, hi: float, size: int, distinct: bool = True) -> np.ndarray:
    lo_i, hi_i = _tenths(lo), _tenths(hi)
    pool = np.arange(lo_i, hi_i + 1)
    return np.sort(rng.choice(pool, size=size, replace=not distinct))


def _late_times(rng, start: float, scale: float, end: float, size: int) -> np.ndarray:
    """Sorted distinct times after ``start``: exponential spacing, one long survivor near ``end``."""
    for _ in range(100):
        x = np.sort(_tenths(start) + np.round(rng.exponential(scale * 10, size)).astype(int))
        x[-1] = rng.integers(_tenths(end - 8), _tenths(end))
        x = np.sort(np.minimum(x, _tenths(end)))
        if np.unique(x).size == size:
            return x
    return _grid(rng, start, end, size)


def _alive_times(rng, follow_up: float, size: int) -> np.ndarray:
    """Follow-up times of patients alive at the cut-off, around the published median follow-up."""
    return rng.choice(np.arange(_tenths(follow_up - 6), _tenths(follow_up + 6)), size=size, replace=False)


def _init_treatment_arm(rng, n: int, kt, n_alive: int) -> _Arm:
    """Treatment arm: OS 2 deaths, 1 censoring, 4 deaths before 12 months (S(12) = 6/11),
    first death after 12 at the median; PFS 8 events before 12, the 7th at the median."""
    med_pfs, med_os = _tenths(kt["pfs_median"]), _tenths(kt["os_median"])
    for _ in range(2000):
        early = _grid(rng, 2.5, 11.9, 7)
        early[-1] = max(early[-1], med_pfs + 1)
        if len(set(early)) < 7 or np.any(np.diff(early) <= 0):
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
        # late group: one death at the OS median (progressed just before 12 months)
        os[7] = med_os
        pfs[7] = rng.integers(med_pfs + 1, _tenths(LANDMARK))
        n_late = n - 8
        n_late_alive = n_alive - 1
        late_os = _late_times(rng, kt["os_median"] + 0.5, 8.0, MAX_OS - 2, n_late)
        os[8:] = late_os
        alive = rng.choice(np.arange(8, n), size=n_late_alive, replace=False)
        os_e[alive] = 0
        os[alive] = _alive_times(rng, kt["follow_up"], alive.size)
        for i in range(8, n):
            if os_e[i] == 0 and rng.random() < 0.6:
                pfs[i], pfs_e[i] = os[i], 0
            else:
                pfs[i] = rng.integers(_tenths(LANDMARK) + 1, max(os[i] - 5, _tenths(LANDMARK) + 2))
        arm = _Arm(pfs, pfs_e, os, os_e)
        if _arm_valid(arm, kt):
            return arm
    raise RuntimeError("could not place the treatment arm's times")


def _init_reference_arm(rng, n: int, kt, n_alive: int) -> _Arm:
    """Reference arm: OS one early censoring, then deaths with S = 1/2 at the median and none
    until 12 months; PFS 16 events before 12 months, the 9th at the median."""
    med_pfs, med_os = _tenths(kt["pfs_median"]), _tenths(kt["os_median"])
    lm = _tenths(LANDMARK)
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
        n_late = n - 9
        os[9:] = _late_times(rng, LANDMARK + 0.5, 7.0, MAX_OS - 10, n_late)
        alive = rng.choice(np.arange(9, n), size=n_alive - 1, replace=False)
        os_e[alive] = 0
        os[alive] = _alive_times(rng, kt["follow_up"], alive.size)
        pfs = np.zeros(n, int)
        pfs_e = np.ones(n, int)
        pfs[0] = rng.integers(10, os[0]) if os[0] > 10 else os[0]
        for i in range(1, 9):
            pfs[i] = max(10, os[i] - rng.integers(3, 40))
        late_idx = np.arange(9, n)
        long_one = rng.choice(late_idx)
        for i in late_idx:
            if i == long_one:
                if os_e[i] == 0:
                    pfs[i], pfs_e[i] = os[i], 0
                else:
                    pfs[i] = rng.integers(lm + 1, max(os[i] - 5, lm + 2))
            else:
                pfs[i] = rng.integers(20, lm)
        # the 9th PFS event exactly at the median
        order = np.argsort(pfs, kind="stable")
        k = order[8]
        if pfs[order[7]] >= med_pfs or pfs[order[9]] <= med_pfs or os[k] < med_pfs:
            continue
        pfs[k] = med_pfs
        arm = _Arm(pfs, pfs_e, os, os_e)
        if _arm_valid(arm, kt):
            return arm
    raise RuntimeError("could not place the reference arm's times")


# --------------------------------------------------------------------------
# Laboratory values: order statistics set directly on an interleaving of the arms
# --------------------------------------------------------------------------


def fast_mannwhitney_p(x: np.ndarray, y: np.ndarray) -> float:
    """Mann-Whitney U, normal approximation, tie-corrected, no continuity correction (SPSS)."""
    n1, n2 = x.size, y.size
    allv = np.concatenate([x, y])
    order = np.argsort(allv, kind="stable")
    sv = allv[order]
    ranks = np.empty(allv.size)
    _, start, counts = np.unique(sv, return_index=True, return_counts=True)
    ranks[order] = np.repeat(start + (counts + 1) / 2.0, counts)
    u = ranks[:n1].sum() - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    tie = float((counts**3 - counts).sum())
    var = n1 * n2 / 12.0 * ((n + 1) - tie / (n * (n - 1)))
    if var <= 0:
        return 1.0
    z = (u - n1 * n2 / 2.0) / math.sqrt(var)
    return math.erfc(abs(z) / math.sqrt(2.0))


def _lab_constraints(member: np.ndarray, qs: Mapping[str, Sequence[float]]):
    """(i, j, w, q) on pooled sorted positions: z_i + w (z_j - z_i) = q, from every quartile target."""
    cons = []
    for arm, mask in (("treatment", member == 1), ("reference", member == 0), ("total", None)):
        if arm not in qs:
            continue
        where = np.flatnonzero(mask) if mask is not None else np.arange(member.size)
        for (i, j, w), q in zip(_weibull_positions(where.size), qs[arm]):
            cons.append((int(where[i]), int(where[j]), w, q))
    return cons


def _propagate(cons, lb: np.ndarray, ub: np.ndarray, rounds: int = 3):
    """Bounds of a non-decreasing z meeting the constraints (interval propagation)."""
    lb, ub = lb.copy(), ub.copy()
    for i, j, w, q in cons:
        if i == j or w == 0.0:
            lb[i], ub[i] = max(lb[i], q), min(ub[i], q)
        else:
            ub[i], lb[j] = min(ub[i], q), max(lb[j], q)
    for _ in range(rounds):
        L = np.maximum.accumulate(lb)
        U = np.minimum.accumulate(ub[::-1])[::-1]
        for i, j, w, q in cons:
            if i == j or w == 0.0:
                continue
            lb[j] = max(lb[j], (q - (1 - w) * U[i]) / w)
            ub[j] = min(ub[j], (q - (1 - w) * L[i]) / w)
            ub[i] = min(ub[i], (q - w * L[j]) / (1 - w))
            lb[i] = max(lb[i], (q - w * U[j]) / (1 - w))
    return np.maximum.accumulate(lb), np.minimum.accumulate(ub[::-1])[::-1]


def _lab_construct(rng, tg: Mapping[str, Any], lab: str, n: Mapping[str, int],
                   attempts: int = 400) -> dict[str, np.ndarray]:
    """Lab values per arm meeting the per-arm and pooled SPSS quartiles and the Mann-Whitney p.

    A membership sequence (which arm holds each pooled rank) is annealed to the
    U statistic of the printed p and to feasibility of the quartile constraints;
    then the defining order statistics are set and the others filled in between.
    """
    step, lo, hi = LABS[lab]
    N = n["treatment"] + n["reference"]
    qs = {r: _lab_targets(tg, lab, r) for r in ROLES}
    if f"baseline.{lab}.median.total" in tg:
        qs["total"] = _lab_targets(tg, lab, "total")
    p_target = tg.get(f"baseline.{lab}.p")
    # realistic range around the printed quartiles
    all_q = [q for v in qs.values() for q in v]
    floor = max(lo, min(all_q) * (0.97 if lab == "sodium" else 0.45))
    ceil_ = min(hi, max(all_q) * (1.02 if lab == "sodium" else 2.2))
    n1, n2 = n["treatment"], n["reference"]
    sd_u = math.sqrt(n1 * n2 * (N + 1) / 12.0)
    direction = 1.0 if qs["treatment"][1] > qs["reference"][1] else -1.0
    u_target = n1 * n2 / 2.0 + direction * (_z_of_p(p_target) if p_target is not None else 0.0) * sd_u
    scale = max(all_q) - min(all_q) + 1e-9

    def seq_cost(member):
        cons = _lab_constraints(member, qs)
        L, U = _propagate(cons, np.full(N, floor), np.full(N, ceil_))
        infeasible = np.maximum(L - U, 0.0).sum() / scale
        ranks_t = np.flatnonzero(member == 1)
        u = (ranks_t - np.arange(n1)).sum()  # pairs (T above R), no ties
        return 10.0 * infeasible + abs(u - u_target) / sd_u * 4.0, cons

    for _attempt in range(attempts):
        member = np.zeros(N, int)
        member[rng.choice(N, size=n1, replace=False)] = 1
        cur, cons = seq_cost(member)
        for it in range(600):
            if cur < 0.35:
                break
            i = int(rng.integers(N - 1))
            j = i + 1 if rng.random() < 0.7 else int(rng.integers(N))
            if member[i] == member[j]:
                continue
            member[i], member[j] = member[j], member[i]
            c, cn = seq_cost(member)
            if c <= cur or rng.random() < math.exp(-(c - cur) / 0.3):
                cur, cons = c, cn
            else:
                member[i], member[j] = member[j], member[i]
        if cur >= 0.35:
            continue
        for _try in range(8):
            z = _fill_lab_values(rng, cons, N, floor, ceil_, step)
            if z is None:
                continue
            vals = {"treatment": z[member == 1], "reference": z[member == 0]}
            if _lab_ok(vals, qs, p_target):
                return {r: rng.permutation(vals[r]) for r in ROLES}
    raise RuntimeError(f"no lab values found for '{lab}'")


def _lab_ok(vals, qs, p_target) -> bool:
    got = {r: weibull_quartiles(vals[r]) for r in ROLES}
    if "total" in qs:
        got["total"] = weibull_quartiles(np.concatenate([vals["treatment"], vals["reference"]]))
    for arm, q in qs.items():
        if not all(_matches(a, b, 2) for a, b in zip(got[arm], q)):
            return False
    if p_target is not None:
        return abs(fast_mannwhitney_p(vals["treatment"], vals["reference"]) - p_target) <= 0.008
    return True


def _snap(x: float, step: float, mode: str = "round") -> float:
    f = {"round": round, "floor": math.floor, "ceil": math.ceil}[mode]
    return round(f(x / step - (1e-9 if mode == "ceil" else -1e-9 if mode == "floor" else 0)) * step, 6)


def _fill_lab_values(rng, cons, N: int, floor: float, ceil_: float, step: float):
    """Values for the pooled sorted positions: constrained pairs first, then the free ranks."""
    lb, ub = np.full(N, floor), np.full(N, ceil_)
    fixed = np.full(N, np.nan)
    for i, j, w, q in cons:
        if i == j or w == 0.0:
            fixed[i] = q
    pairs = [c for c in cons if not (c[0] == c[1] or c[2] == 0.0)]
    for idx in rng.permutation(len(pairs)):
        i, j, w, q = pairs[idx]
        cur_lb = np.where(np.isnan(fixed), lb, fixed)
        cur_ub = np.where(np.isnan(fixed), ub, fixed)
        L, U = _propagate(cons, cur_lb, cur_ub)
        if L[i] > U[i] + 1e-9 or L[j] > U[j] + 1e-9:
            return None
        if not np.isnan(fixed[i]) and not np.isnan(fixed[j]):
            continue
        options = []
        a_lo, a_hi = _snap(L[i], step, "ceil"), _snap(min(U[i], q), step, "floor")
        if not np.isnan(fixed[i]):
            a_lo = a_hi = fixed[i]
        k_max = int(round((a_hi - a_lo) / step))
        if k_max < 0:
            return None
        cand_a = [a_lo + step * k for k in rng.choice(k_max + 1, size=min(k_max + 1, 40), replace=False)]
        # favour tight pairs (a close to q): realistic spacing of neighbouring order statistics
        cand_a.sort(key=lambda a: abs(q - a) * (0.5 + rng.random()))
        for a in cand_a:
            a = round(a, 6)
            if not np.isnan(fixed[j]):
                b = fixed[j]
                bs = [b]
            else:
                b0 = a + (q - a) / w
                bs = [_snap(b0, step, "floor"), _snap(b0, step, "ceil")]
            for b in bs:
                if b < a or b < L[j] - 1e-9 or b > U[j] + 1e-9:
                    continue
                if _matches(a + w * (b - a), q, 2):
                    options.append((a, b))
            if options:
                break
        if not options:
            return None
        a, b = options[rng.integers(len(options))]
        fixed[i], fixed[j] = a, b
    cur_lb = np.where(np.isnan(fixed), lb, fixed)
    cur_ub = np.where(np.isnan(fixed), ub, fixed)
    L, U = _propagate(cons, cur_lb, cur_ub)
    if np.any(L > U + 1e-9):
        return None
    # free ranks: runs between fixed neighbours, sorted draws (log scale)
    z = fixed.copy()
    k = 0
    while k < N:
        if not np.isnan(z[k]):
            k += 1
            continue
        e = k
        while e < N and np.isnan(z[e]):
            e += 1
        left = z[k - 1] if k > 0 else max(floor, L[k])
        right = z[e] if e < N else min(ceil_, U[e - 1])
        if k == 0:
            left = max(floor, right * (0.97 if step == 0.1 else 0.55))
        if e == N:
            right = min(ceil_, left * (1.03 if step == 0.1 else 2.0))
        m = e - k
        la, lb_ = math.log(max(left, 1e-6)), math.log(max(right, 1e-6))
        draws = np.sort(np.exp(la + rng.random(m) * (lb_ - la)))
        draws = np.clip([_snap(d, step) for d in draws], left, right)
        z[k:e] = np.maximum.accumulate(draws)
        k = e
    return np.round(z, 6)


# --------------------------------------------------------------------------
# Survival search
# --------------------------------------------------------------------------

#: Cox design terms in the order of lcnec_utils.cox.design_matrix (treatment first).
COX_TERMS = ["treatment", "age", "sex_male", "smoking", "ecog", "met_bone", "met_liver",
             "met_brain", "met_pleura", "met_intrapulmonary", "met_adrenal", "thoracic_rt"]
_COV_OF_TERM = {"sex_male": "sex"}


def _z_of_p(p: float) -> float:
    """Two-sided p -> |z| (the search compares p-values on the z scale, where they move smoothly)."""
    p = min(max(p, 1e-300), 1.0)
    return -_NORMAL.inv_cdf(p / 2.0)


_NORMAL = statistics.NormalDist()


@dataclass
class _Soft:
    """One soft target of the search: cost from (value - target) / tol, weighted.

    ``kind="p"`` compares on the z scale: the tolerance becomes the z distance
    of the nearer tolerance end.
    """

    key: str
    target: float
    tol: float
    weight: float = 1.0
    kind: str = "lin"

    def __post_init__(self):
        self.is_cox = ".cox_" in self.key
        if self.kind == "p":
            zt = _z_of_p(self.target)
            ends = [abs(_z_of_p(min(max(self.target + d, 1e-12), 1.0)) - zt) for d in (-self.tol, self.tol)]
            self.target, self.tol = zt, min(ends)

    def scaled(self, value: float) -> float:
        if self.kind == "p":
            value = _z_of_p(value)
        return abs(value - self.target) / self.tol


def _soft_targets(tg: Mapping[str, Any]) -> list[_Soft]:
    T = TOLERANCES
    out = [
        _Soft("pfs.logrank.p", tg["pfs.logrank.p"], T["logrank_p"], 4.0, "p"),
        _Soft("os.logrank.p", tg["os.logrank.p"], T["logrank_p"], 4.0, "p"),
        _Soft("followup.median", tg["followup.median"], T["followup"], 3.0),
    ]
    for ep in ("pfs", "os"):
        for role in ROLES:
            for b in ("low", "high"):
                k = f"{ep}.median_ci_{b}.{role}"
                if k in tg:
                    out.append(_Soft(k, tg[k], T["median_ci"], 1.0))
        # the point estimate first: the printed CI and p are narrower than any Cox fit on 31
        # patients allows (see evaluate_targets), so they only pull where the HR is met
        for stat, tol, w in (("hr", T["cox_hr"], 10.0), ("ci_low", T["cox_ci"], 1.0),
                             ("ci_high", T["cox_ci"], 1.0), ("p", T["cox_p"], 1.0)):
            k = f"{ep}.cox_multivariable.{stat}"
            out.append(_Soft(k, tg[k], tol, w, "p" if stat == "p" else "lin"))
        # Table 4's other terms: a light pull towards the printed HRs (log scale)
        for term in COX_TERMS[1:]:
            k = f"{ep}.cox_multivariable.{_COV_OF_TERM.get(term, term)}.hr"
            if tg.get(k):
                out.append(_Soft(k, math.log(tg[k]), math.log(2.0), 0.2))
    return out


def _design(covs: Mapping[str, Mapping[str, np.ndarray]], ages: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Cox covariate matrix per arm (COX_TERMS without treatment)."""
    out = {}
    for r in ROLES:
        c = covs[r]
        cols = [ages[r].astype(float), (c["sex"] == "Male").astype(float)]
        cols += [np.asarray(c[t], float) for t in COX_TERMS[3:]]
        out[r] = np.column_stack(cols)
    return out


class _SurvivalSearch:
    """Simulated annealing over times (hard KM constraints kept) and covariate placement.

    Metrics are cached per part (Kaplan-Meier side and Cox side of each
    endpoint) so that a move recomputes only what it changed; Cox fits start
    from the last accepted coefficients.
    """

    def __init__(self, rng, tg, arms: dict[str, _Arm], X: dict[str, np.ndarray]):
        self.rng = rng
        self.kt = {r: _km_targets(tg, r) for r in ROLES}
        self.arms = arms
        self.X = X
        self.soft = _soft_targets(tg)
        self.n = {r: arms[r].pfs.size for r in ROLES}
        self.g = np.concatenate([np.ones(self.n["treatment"]), np.zeros(self.n["reference"])])
        self.beta = {ep: None for ep in ("pfs", "os")}
        self.follow_up_target = float(tg["followup.median"])
        self._order: dict[str, tuple[bytes, np.ndarray]] = {}

    def _te(self, ep: str):
        t = np.concatenate([getattr(self.arms[r], ep) for r in ROLES]) / 10.0
        e = np.concatenate([getattr(self.arms[r], ep + "_e") for r in ROLES]).astype(float)
        return t, e

    def _km_part(self, ep: str) -> dict[str, float]:
        """Pooled Kaplan-Meier side of an endpoint: log-rank, follow-up, longest time."""
        t, e = self._te(ep)
        oe, v, longest, fu, srev_last, same, heap, pairs, first1, first0 = fastsurv.pooled_km_stats(t, e, self.g)
        z = oe / math.sqrt(v)
        # z: direction of the comparison; oe / v: Peto's one-step log hazard ratio of the arm alone
        m = {f"{ep}.logrank.p": math.erfc(abs(z) / math.sqrt(2.0)), f"realism.{ep}_longest": float(longest),
             f"{ep}.logrank.z": z, f"{ep}.peto_log_hr": oe / v}
        if ep == "os":
            if not math.isfinite(fu):
                # reverse KM never reaches 0.5: a graded stand-in, worse the higher it stays
                fu = self.follow_up_target + 10.0 + 40.0 * (srev_last - 0.5 if math.isfinite(srev_last) else 1.0)
            m["followup.median"] = float(fu)
            m["realism.same_follow_up"] = float(same)
        # events sharing a 0.1-month time: pairs happen, heaps are a sign of a forced fit
        m[f"realism.{ep}_pileup"] = 3.0 * heap + 0.3 * pairs
        # stage IV LCNEC: each arm has early events (first within FIRST_EVENT months)
        m[f"realism.{ep}_first_event"] = (max(0.0, first1 - FIRST_EVENT[ep]) + max(0.0, first0 - FIRST_EVENT[ep]))
        return m

    def _arm_part(self, ep: str, r: str) -> dict[str, float]:
        """SPSS median CI of one arm."""
        a = self.arms[r]
        _, lo, hi = fastsurv.median_ci_spss(getattr(a, ep) / 10.0, getattr(a, ep + "_e"))
        return {f"{ep}.median_ci_low.{r}": lo, f"{ep}.median_ci_high.{r}": hi}

    def _cox_part(self, ep: str) -> tuple[dict[str, float], np.ndarray]:
        t, e = self._te(ep)
        key = t.tobytes() + e.tobytes()
        if self._order.get(ep, (None,))[0] != key:  # the time order changes only with the times
            self._order[ep] = (key, np.argsort(t, kind="stable"))
        order = self._order[ep][1]
        design = np.column_stack([self.g, np.vstack([self.X["treatment"], self.X["reference"]])])
        # inside the loop a warm start and at most three Newton steps suffice (the moves are small)
        beta, se, ok = fastsurv.cox_efron(t, e, design, beta0=self.beta[ep], require_convergence=False,
                                          max_iter=3 if self.beta[ep] is not None else 30, order=order)
        if not ok and self.beta[ep] is not None:
            beta, se, ok = fastsurv.cox_efron(t, e, design, order=order)
        ok = ok and bool(np.all(np.isfinite(se)))
        b, s = beta[0], se[0]
        m = {f"{ep}.cox_converged": float(ok), f"{ep}.cox_max_abs_beta": float(np.max(np.abs(beta[1:])))}
        if ok and s > 0:
            m[f"{ep}.cox_multivariable.hr"] = math.exp(b)
            m[f"{ep}.cox_multivariable.ci_low"] = math.exp(b - _Z * s)
            m[f"{ep}.cox_multivariable.ci_high"] = math.exp(b + _Z * s)
            m[f"{ep}.cox_multivariable.p"] = math.erfc(abs(b / s) / math.sqrt(2))
            for k, term in enumerate(COX_TERMS[1:], start=1):
                m[f"{ep}.cox_multivariable.{_COV_OF_TERM.get(term, term)}.hr"] = float(beta[k])
        return m, beta

    def cost(self, parts: Mapping[str, Mapping[str, float]], soft: Sequence[_Soft] | None = None) -> float:
        """The search's usual objective; ``soft``: the soft targets to use instead of all of them."""
        m: dict[str, float] = {}
        for part in parts.values():
            m.update(part)
        with_cox = "pfs.cox" in parts
        c = 0.0
        for s in (self.soft if soft is None else soft):
            v = m.get(s.key)
            if v is None:
                if with_cox and s.is_cox:
                    c += 100.0 * s.weight  # the fit failed
                continue
            if not math.isfinite(v):
                c += 100.0 * s.weight
                continue
            x = s.scaled(v)
            # quadratic inside the tolerance, steeper linear growth outside it
            c += s.weight * (x * x if x <= 1.0 else 4.0 * x - 3.0)
        # realism: the figures' time axes end at 40 (PFS) and 50 (OS) months, so the longest
        # times lie in the last stretch; alive patients rarely share a follow-up time
        c += (max(0.0, LONGEST_PFS - m["realism.pfs_longest"]) / 2.0) ** 2
        c += (max(0.0, LONGEST_OS - m["realism.os_longest"]) / 2.0) ** 2
        c += 0.5 * m["realism.same_follow_up"] + m["realism.pfs_pileup"] + m["realism.os_pileup"]
        c += (m["realism.pfs_first_event"] ** 2 + m["realism.os_first_event"] ** 2) / 4.0
        # the printed medians favour the treatment arm: so must the log-rank comparison
        c += 1e3 * (max(0.0, m["pfs.logrank.z"]) + max(0.0, m["os.logrank.z"]))
        if with_cox:
            for ep in ("pfs", "os"):
                if not m[f"{ep}.cox_converged"]:
                    c += 1e4
                    continue
                # adjustment moves the arm's HR, but not wildly (no flip by confounding)
                shift = abs(math.log(m[f"{ep}.cox_multivariable.hr"]) - m[f"{ep}.peto_log_hr"])
                c += 10.0 * max(0.0, shift - 0.35) ** 2
                # no covariate HR beyond 1/8..8 (Table 4's run from 0.78 to 1.84)
                c += 50.0 * max(0.0, m[f"{ep}.cox_max_abs_beta"] - math.log(8.0)) ** 2
        return c

    def _all_parts(self, with_cox: bool) -> dict[str, dict[str, float]]:
        parts = {}
        for ep in ("pfs", "os"):
            parts[f"{ep}.km"] = self._km_part(ep)
            for r in ROLES:
                parts[f"{ep}.{r}"] = self._arm_part(ep, r)
            if with_cox:
                parts[f"{ep}.cox"], self.beta[ep] = self._cox_part(ep)
        return parts

    def metrics(self) -> dict[str, float]:
        m: dict[str, float] = {}
        for part in self._all_parts(True).values():
            m.update(part)
        return m

    # -- moves: each returns (undo, endpoints whose times changed) or None ----
    def _time_move(self):
        rng = self.rng
        r = ROLES[rng.integers(2)]
        a = self.arms[r]
        i = rng.integers(self.n[r])
        delta = int(rng.integers(1, 30 if rng.random() < 0.8 else 120)) * (1 if rng.random() < 0.5 else -1)
        if a.pfs_e[i] == 0:
            return self._set_times(r, i, a.pfs[i] + delta, a.os[i] + delta, ("pfs", "os"))
        if rng.random() < 0.5:
            return self._set_times(r, i, a.pfs[i] + delta, a.os[i], ("pfs",))
        return self._set_times(r, i, a.pfs[i], a.os[i] + delta, ("os",))

    def _set_times(self, r: str, i: int, pfs, os_, changed: tuple[str, ...]):
        """Patient ``i`` of arm ``r`` gets these PFS and OS times if the arm's hard constraints
        still hold: returns (undo, arm, changed endpoints), else None with the times unchanged."""
        a = self.arms[r]
        saved = (a.pfs[i], a.os[i])
        a.pfs[i], a.os[i] = pfs, os_
        if not _arm_valid(a, self.kt[r], changed):
            a.pfs[i], a.os[i] = saved
            return None

        def undo():
            a.pfs[i], a.os[i] = saved
        return undo, r, changed

    def _covariate_move(self):
        rng = self.rng
        r = ROLES[rng.integers(2)]
        X = self.X[r]
        j = int(rng.integers(X.shape[1]))
        i, k = rng.choice(self.n[r], size=2, replace=False)
        if j == COX_TERMS.index("ecog") - 1 and rng.random() < 0.3 and X[i, j] < 2:
            old = X[i, j]
            X[i, j] = 1 - old

            def undo_e():
                X[i, j] = old
            return undo_e, r, ()
        if X[i, j] == X[k, j]:
            return None
        X[i, j], X[k, j] = X[k, j], X[i, j]

        def undo():
            X[i, j], X[k, j] = X[k, j], X[i, j]
        return undo, r, ()

    def _jump_move(self):
        """One time set anywhere in its range: crosses the landmark and the medians, which the
        small steps of :meth:`_time_move` only do through states that break the hard constraints."""
        rng = self.rng
        r = ROLES[rng.integers(2)]
        a = self.arms[r]
        i = rng.integers(self.n[r])
        if a.pfs_e[i] == 0:
            t = int(rng.integers(_tenths(MIN_PFS), _tenths(MAX_OS) + 1))
            return self._set_times(r, i, t, t, ("pfs", "os"))
        if rng.random() < 0.5:
            return self._set_times(r, i, int(rng.integers(_tenths(MIN_PFS), a.os[i] + 1)), a.os[i], ("pfs",))
        return self._set_times(r, i, a.pfs[i], int(rng.integers(a.pfs[i], _tenths(MAX_OS) + 1)), ("os",))

    def _outcome_swap_move(self):
        """Two patients of one arm exchange their outcomes (PFS and OS, times and events): the arm's
        Kaplan-Meier curves stay exactly as they are, only who has which covariates changes."""
        rng = self.rng
        r = ROLES[rng.integers(2)]
        a = self.arms[r]
        i, k = rng.choice(self.n[r], size=2, replace=False)
        fields = [getattr(a, f) for f in ("pfs", "pfs_e", "os", "os_e")]

        def swap():
            for v in fields:
                v[i], v[k] = v[k], v[i]
        swap()
        return swap, r, ()

    def _progression_swap_move(self):
        """Two progressed patients of one arm exchange PFS times (each still <= its OS): the PFS
        curve stays, the pairing of PFS with OS changes."""
        rng = self.rng
        r = ROLES[rng.integers(2)]
        a = self.arms[r]
        i, k = rng.choice(self.n[r], size=2, replace=False)
        if not (a.pfs_e[i] and a.pfs_e[k]) or a.pfs[i] > a.os[k] or a.pfs[k] > a.os[i]:
            return None

        def swap():
            a.pfs[i], a.pfs[k] = a.pfs[k], a.pfs[i]
        swap()
        return swap, r, ("pfs",)

    def _progression_toggle_move(self):
        """A patient alive at the cut-off gains or loses a recorded progression: the number of
        PFS events is otherwise fixed by the starting placement."""
        rng = self.rng
        r = ROLES[rng.integers(2)]
        a = self.arms[r]
        alive = np.flatnonzero(a.os_e == 0)
        i = alive[rng.integers(alive.size)]
        saved = (a.pfs[i], a.pfs_e[i])
        if a.pfs_e[i]:
            a.pfs[i], a.pfs_e[i] = a.os[i], 0
        elif a.os[i] > _tenths(MIN_PFS):
            a.pfs[i], a.pfs_e[i] = int(rng.integers(_tenths(MIN_PFS), a.os[i])), 1
        else:
            return None
        if not _arm_valid(a, self.kt[r], ("pfs",)):
            a.pfs[i], a.pfs_e[i] = saved
            return None

        def undo():
            a.pfs[i], a.pfs_e[i] = saved
        return undo, r, ("pfs",)

    def _structural_move(self):
        u = self.rng.random()
        if u < 0.35:
            return self._jump_move()
        if u < 0.6:
            return self._outcome_swap_move()
        if u < 0.85:
            return self._progression_swap_move()
        return self._progression_toggle_move()

    def run(self, iterations: int, with_cox: bool, p_time: float, temp0: float = 2.0,
            temp1: float = 0.01, p_structural: float = 0.0,
            objective: Callable[[Mapping[str, Mapping[str, float]]], float] | None = None,
            cox_endpoints: Sequence[str] = ("pfs", "os")) -> float:
        """Simulated annealing of ``objective`` (default :meth:`cost`); ``p_structural`` is the share
        of :meth:`_structural_move` (0 in the stages every cohort runs, so that their random
        streams, and the ensemble, stay as they are); ``cox_endpoints``: the Cox fits refreshed
        after a move (an objective that reads only the PFS fit need not pay for the OS one)."""
        objective = objective or self.cost
        parts = self._all_parts(with_cox)
        cur = best = objective(parts)
        best_state = self._snapshot()
        for it in range(iterations):
            temp = temp0 * (temp1 / temp0) ** (it / max(iterations - 1, 1))
            if p_structural and self.rng.random() < p_structural:
                move = self._structural_move()
            else:
                move = self._time_move() if (not with_cox or self.rng.random() < p_time) else self._covariate_move()
            if move is None:
                continue
            undo, arm, changed = move
            new = dict(parts)
            betas = {}
            for ep in changed:
                new[f"{ep}.km"] = self._km_part(ep)
                new[f"{ep}.{arm}"] = self._arm_part(ep, arm)
            if with_cox:
                for ep in (changed if changed else ("pfs", "os")):
                    if ep in cox_endpoints:
                        new[f"{ep}.cox"], betas[ep] = self._cox_part(ep)
            c = objective(new)
            if c <= cur or self.rng.random() < math.exp(-(c - cur) / temp):
                cur, parts = c, new
                self.beta.update(betas)
                if c < best:
                    best, best_state = c, self._snapshot()
            else:
                undo()
        self._restore(best_state)
        return best

    def _snapshot(self):
        fields = ("pfs", "pfs_e", "os", "os_e")  # events too: outcome swaps move them
        return ({r: tuple(getattr(a, f).copy() for f in fields) for r, a in self.arms.items()},
                {r: x.copy() for r, x in self.X.items()})

    def _restore(self, snap):
        times, X = snap
        for r, values in times.items():
            for f, v in zip(("pfs", "pfs_e", "os", "os_e"), values):
                getattr(self.arms[r], f)[:] = v
        for r, x in X.items():
            self.X[r][:] = x


# --------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------


@dataclass
class Reconstruction:
    """A reconstructed cohort, its adverse-event table and the search's bookkeeping."""

    cohort: pd.DataFrame
    adverse_events: pd.DataFrame
    seed: int
    info: dict[str, Any] = field(default_factory=dict)


def _placement(rng, n: int, k: int) -> np.ndarray:
    """0/1 vector of length n with exactly k ones at random places."""
    x = np.zeros(n, int)
    x[rng.choice(n, size=k, replace=False)] = 1
    return x


def _count(tg: Mapping[str, Any], row: str, role: str) -> int:
    return int(round(float(tg[f"baseline.{row}.n.{role}"])))


def _covariates(rng, tg: Mapping[str, Any], role: str, n: int) -> dict[str, np.ndarray]:
    """Categorical baseline columns of one arm with the published counts."""
    cov: dict[str, np.ndarray] = {}
    cov["sex"] = np.where(_placement(rng, n, _count(tg, "sex_male", role)) == 1, "Male", "Female")
    poor = 1 - _placement(rng, n, _count(tg, "ecog_0_1", role))
    # ECOG 0-1 split about 1:2 (stage IV); >= 2 recorded as 2
    ecog = np.where(rng.random(n) < 0.35, 0, 1)
    cov["ecog"] = np.where(poor == 1, 2, ecog)
    for col in BINARY_COLUMNS:
        cov[col] = _placement(rng, n, _count(tg, col, role))
    levels = np.empty(n, dtype=object)
    order = rng.permutation(n)
    start = 0
    for key, label in REGIMENS.items():
        k = _count(tg, key, role)
        levels[order[start:start + k]] = label
        start += k
    if start != n:
        raise ValueError(f"chemotherapy regimen counts of arm '{role}' do not add up to n")
    cov["chemo_regimen"] = levels
    return cov


def _ages(rng, tg: Mapping[str, Any], n: Mapping[str, int]) -> dict[str, np.ndarray]:
    moments = _age_targets(tg)
    return {r: _sprite_ages(rng, n[r], *moments[r], _count(tg, "age_ge65", r)) for r in ROLES}


def _lab_targets(tg: Mapping[str, Any], lab: str, arm: str) -> list[float]:
    return [float(tg[f"baseline.{lab}.{s}.{arm}"]) for s in ("q1", "median", "q3")]


def _labs(rng, tg: Mapping[str, Any], n: Mapping[str, int]) -> dict[str, dict[str, np.ndarray]]:
    out: dict[str, dict[str, np.ndarray]] = {r: {} for r in ROLES}
    for lab in LABS:
        found = _lab_construct(rng, tg, lab, n)
        for r in ROLES:
            out[r][lab] = found[r]
    return out


def _responses(rng, tg: Mapping[str, Any], role: str, arm: _Arm) -> np.ndarray:
    """Best response with the published counts; PD goes to the earliest progressions."""
    n = arm.pfs.size
    k = {c: int(tg.get(f"response.{c.lower()}.n.{role}", 0)) for c in ("CR", "PR", "SD", "PD", "NE")}
    if sum(k.values()) != n:
        raise ValueError(f"response counts of arm '{role}' do not add up to n")
    # PD at the first evaluation: the earliest progressions; among the others the longer
    # PFS more often goes with a partial response
    order = np.lexsort((rng.random(n), arm.pfs + np.where(arm.pfs_e == 0, 10_000, 0)))
    out = np.empty(n, dtype=object)
    out[order[:k["NE"]]] = "NE"
    out[order[k["NE"]:k["NE"] + k["PD"]]] = "PD"
    rest = order[k["NE"] + k["PD"]:]
    ranked = rest[np.argsort(arm.pfs[rest] + rng.normal(0, 40, rest.size), kind="stable")]
    cats = ["SD"] * k["SD"] + ["PR"] * k["PR"] + ["CR"] * k["CR"]
    out[ranked] = np.array(cats, dtype=object)
    return out


def _ongoing(rng, tg: Mapping[str, Any], role: str, arm: _Arm) -> np.ndarray:
    """Still on first-line treatment at the cut-off: alive patients, recent starts first."""
    k = int(tg[f"treatment.ongoing.n.{role}"])
    alive = np.flatnonzero(arm.os_e == 0)
    pick = alive[np.argsort(arm.os[alive] + rng.random(alive.size), kind="stable")][:k]
    if pick.size < k:  # not enough alive patients: fall back to the longest PFS
        rest = np.setdiff1d(np.argsort(-arm.pfs, kind="stable"), pick, assume_unique=True)
        pick = np.concatenate([pick, rest[: k - pick.size]])
    out = np.zeros(arm.pfs.size, int)
    out[pick] = 1
    return out


def _ici_classes(rng, tg: Mapping[str, Any], n: int) -> np.ndarray:
    labels = []
    for key, label in ICI_CLASSES.items():
        labels += [label] * int(tg[f"ici_class.{key}.n.treatment"])
    if len(labels) != n:
        raise ValueError("ICI class counts do not add up to the treatment arm's size")
    return rng.permutation(np.array(labels, dtype=object))


def _adverse_events(rng, tg: Mapping[str, Any], ids: np.ndarray) -> pd.DataFrame:
    """Immune-related AEs of Table 3, one per patient, grade 1-2."""
    terms = []
    for key, label in IRAE_TERMS.items():
        terms += [label] * int(tg.get(f"safety.irae.{key}.n.treatment", 0))
    who = rng.choice(ids, size=len(terms), replace=False)
    grade = rng.integers(1, 3, size=len(terms))
    ae = pd.DataFrame({"patient_id": who, "term": terms, "grade": grade, "immune_related": 1})
    return ae.sort_values(["patient_id", "term"], kind="stable").reset_index(drop=True)


def _assemble(rng, tg, arms: Mapping[str, _Arm], covs, ages, labs) -> tuple[pd.DataFrame, pd.DataFrame]:
    frames = []
    for role in ROLES:
        a = arms[role]
        n = a.pfs.size
        f = pd.DataFrame({
            "group": TREATMENT if role == "treatment" else REFERENCE,
            "os_months": a.os / 10.0, "os_event": a.os_e, "pfs_months": a.pfs / 10.0,
            "pfs_event": a.pfs_e, "age": ages[role],
        })
        for col, v in covs[role].items():
            f[col] = v
        for lab in LABS:
            f[lab] = labs[role][lab]
        f["best_response"] = _responses(rng, tg, role, a)
        f["ici_class"] = _ici_classes(rng, tg, n) if role == "treatment" else None
        f["ongoing_treatment"] = _ongoing(rng, tg, role, a)
        frames.append(f)
    cohort = pd.concat(frames, ignore_index=True)
    cohort = cohort.iloc[rng.permutation(len(cohort))].reset_index(drop=True)
    cohort.insert(0, "patient_id", [f"SYN-{i + 1:03d}" for i in range(len(cohort))])
    cohort = cohort[COHORT_COLUMNS]
    treated = cohort.loc[cohort["group"] == TREATMENT, "patient_id"].to_numpy()
    return cohort, _adverse_events(rng, tg, treated)


@dataclass(frozen=True)
class SearchBudget:
    """Iterations of an ensemble member's survival search (:func:`_main_stages`): times alone
    (Kaplan-Meier targets, no Cox), covariate placement alone (Cox targets), then both together."""

    times: int = 12000
    covariates: int = 4000
    joint: int = 20000


#: Stage 1 (times alone) is repeated from a fresh placement, at most RESTARTS times in all,
#: until its cost is at most RESTART_BELOW (solved runs end near 2-15, stuck ones near 50-100).
RESTARTS, RESTART_BELOW = 3, 25.0
#: An ensemble member's budget (a second or so each).
ENSEMBLE_BUDGET = SearchBudget(times=6000, covariates=1500, joint=2500)


#: The PFS arm term's window in the committed cohort's search: inside the HR tolerance
#: (0.51 +/- 0.05) with a margin far above the difference between this module's Cox fit and
#: lifelines' (< 1e-6).
PFS_HR_WINDOW = (0.4605, 0.555)
#: |z| of the PFS arm term the search holds: p <= 0.0458, inside the printed 0.026 + 0.02
#: (|z| >= 1.9954) by a margin far above the difference between this module's fit and lifelines'.
PFS_Z_FLOOR = 1.997
#: The arm terms' bounds in the committed cohort's search, each inside its tolerance by a margin
#: far above the difference between the compiled Cox fit and lifelines' (< 1e-6): OS HR >= 0.5001
#: (0.55 - 0.05) and upper bound <= 1.1099 (1.01 + 0.10); PFS HR >= 0.4605 (:data:`PFS_HR_WINDOW`)
#: and |z| >= :data:`PFS_Z_FLOOR`.
OS_HR_FLOOR, OS_CI_CEILING = 0.5001, 1.1099


@dataclass(frozen=True)
class JointSearchBudget:
    """The committed cohort's compiled search (:func:`_joint_search`): ``chains`` independent
    chains, each the best of ``information_starts`` runs of the information stage, then the
    covariates alone, then times and covariates for both arm terms (iterations of each)."""

    information: int = 300_000
    information_starts: int = 3
    covariates: int = 200_000
    arm_terms: int = 2_000_000
    chains: int = 2


def _information_stage() -> annealing.Objective:
    """Times alone: the arms' unadjusted information at the low end of each HR tolerance (PFS
    at 0.4605, OS at 0.50, ten times heavier), with the Kaplan-Meier holds. Both arm terms need
    risk sets in which both arms stay to the end; on the orders this stage finds, an ideal
    covariate (:func:`ideal_covariate_se`) gives OS SE 0.404-0.407, the target needs 0.407. The
    realism terms (``Objective.cost`` with no soft target) keep the curves plausible."""
    return annealing.Objective(cost=1.0, hold=1.0, info_pfs=100.0, info_pfs_hr=PFS_HR_WINDOW[0], info_os=1000.0,
                               info_os_hr=OS_HR_FLOOR)


def _arm_terms_stage() -> annealing.Objective:
    """Both arm terms of the multivariable Cox models: the OS upper bound minimised with its HR
    walled at :data:`OS_HR_FLOOR`; the PFS HR pulled into :data:`PFS_HR_WINDOW` and its |z| up
    to :data:`PFS_Z_FLOOR` (pulls, not walls: walls on both terms lock the search in the
    first state that meets them); the Kaplan-Meier holds heavy; 0.1 x the realism terms. A run
    returns the best state that meets every arm-term bound (``keep_*``), if it visited one."""
    lo, hi = PFS_HR_WINDOW
    return annealing.Objective(cost=0.1, hold=100.0, os_ci=100.0, os_hr_floor=OS_HR_FLOOR, beta_lin=5.0,
                               pfs_hr_lo=lo, pfs_hr_hi=hi, pfs_window=100.0, pfs_floor=PFS_Z_FLOOR, pfs_below=10.0,
                               keep_os_ci=OS_CI_CEILING, keep_os_hr=OS_HR_FLOOR, keep_pfs_z=PFS_Z_FLOOR,
                               keep_pfs_hr_lo=lo)


def _joint_chain(seed: int, tg: Mapping[str, Any], design: Mapping[str, np.ndarray],
                 budget: JointSearchBudget) -> tuple[annealing.Result, np.ndarray, np.ndarray]:
    """One chain of the committed cohort's search: the information stage from
    ``budget.information_starts`` fresh placements of the times (the lowest objective goes on),
    the covariates alone, then times and covariates (:func:`_arm_terms_stage`). Returns the
    last stage's result and state (T, D of :mod:`lcnec_utils.annealing`)."""
    rng = np.random.default_rng(seed)
    setting = _annealing_setting(tg)
    best = None
    for _ in range(budget.information_starts):
        T, D = _to_state(_initial_times(rng, tg), design)
        value = annealing.anneal(T, D, setting, _information_stage(), budget.information, with_cox=False,
                                 p_time=1.0, p_structural=0.5, temp0=3.0, temp1=0.003,
                                 seed=int(rng.integers(2**32 - 1))).value
        if best is None or value < best[0]:
            best = (value, T, D)
    _, T, D = best
    annealing.anneal(T, D, setting, _arm_terms_stage(), budget.covariates, with_cox=True, p_time=0.0,
                     p_structural=0.0, temp0=0.3, temp1=0.003, seed=int(rng.integers(2**32 - 1)))
    result = annealing.anneal(T, D, setting, _arm_terms_stage(), budget.arm_terms, with_cox=True, p_time=0.6,
                              p_structural=0.1, temp0=0.3, temp1=0.002, seed=int(rng.integers(2**32 - 1)))
    return result, T, D


def _joint_search(rng, tg, design, budget: JointSearchBudget, info: dict, n_jobs: int = -1):
    """The committed cohort's search: ``budget.chains`` chains (:func:`_joint_chain`) run in
    parallel (joblib), compiled (:mod:`lcnec_utils.annealing`); the chain nearest to the
    arm-term bounds wins, then the lowest objective. Ties go to the first, so the result does not
    depend on the number of cores. Every move keeps the hard constraints (Kaplan-Meier medians
    and 12-month rates), and the holds keep the log-rank, follow-up and median-CI targets."""
    from joblib import Parallel, delayed

    seeds = [int(x) for x in rng.integers(0, 2**63 - 1, size=budget.chains)]
    jobs = min(budget.chains, os.cpu_count() or 1) if n_jobs == -1 else n_jobs
    chains = Parallel(n_jobs=jobs)(delayed(_joint_chain)(s, tg, design, budget) for s in seeds)
    best = min(range(budget.chains), key=lambda k: (chains[k][0].violation, chains[k][0].value))
    info["chains"] = [{"value": round(c[0].value, 3), "violation": round(c[0].violation, 5)} for c in chains]
    info["chosen_chain"] = best
    return _from_state(chains[best][1], chains[best][2], int(tg["n.treatment"]))


#: The committed cohort's budget: about 45 s on 2 cores.
FULL_BUDGET = JointSearchBudget()


def _initial_times(rng, tg: Mapping[str, Any]) -> dict[str, _Arm]:
    """A fresh placement of both arms' times meeting the hard constraints."""
    n = {r: int(tg[f"n.{r}"]) for r in ROLES}
    alive = {r: int(tg[f"treatment.ongoing.n.{r}"]) for r in ROLES}
    return {
        "treatment": _init_treatment_arm(rng, n["treatment"], _km_targets(tg, "treatment"), alive["treatment"]),
        "reference": _init_reference_arm(rng, n["reference"], _km_targets(tg, "reference"), alive["reference"]),
    }


def _write_back(X: np.ndarray, cov: dict[str, np.ndarray]) -> np.ndarray:
    """Covariates from the search's design matrix back into the cohort columns; returns ages."""
    cov["sex"] = np.where(X[:, 1] == 1, "Male", "Female")
    for k, term in enumerate(COX_TERMS[3:], start=2):
        cov[term] = X[:, k].astype(int)
    return X[:, 0].astype(int)


def _main_stages(rng, tg, arms, X, initial_times, budget: SearchBudget, info: dict) -> "_SurvivalSearch":
    """An ensemble member's search: Kaplan-Meier targets (times alone), then covariate placement
    for the Cox targets, then both together."""
    # stage 1 from up to RESTARTS placements of the events: some get stuck (e.g. four deaths
    # squeezed between an early censoring and 12 months), a fresh placement is cheaper than waiting
    best = None
    for attempt in range(RESTARTS):
        if attempt:
            arms = initial_times()
        search = _SurvivalSearch(rng, tg, arms, X)
        cost = search.run(budget.times, with_cox=False, p_time=1.0)
        if best is None or cost < best[0]:
            best = (cost, arms, search)
        if cost <= RESTART_BELOW:
            break
    info["cost_times"], arms, search = best
    info["restarts"] = attempt
    info["cost_covariates"] = search.run(budget.covariates, with_cox=True, p_time=0.0, temp0=0.3)
    info["cost_joint"] = search.run(budget.joint, with_cox=True, p_time=0.5, temp0=0.3)
    return search


def _first_draws(rng, tg: Mapping[str, Any]):
    """What :func:`reconstruct` draws before its search, in stream order: the starting times,
    the count placements, the ages and the laboratory values (arms, covs, ages, labs)."""
    n = {r: int(tg[f"n.{r}"]) for r in ROLES}
    arms = _initial_times(rng, tg)
    covs = {r: _covariates(rng, tg, r, n[r]) for r in ROLES}
    ages = _ages(rng, tg, n)
    labs = _labs(rng, tg, n)
    return arms, covs, ages, labs


def reconstruct(seed: int = DEFAULT_SEED, published: Mapping[str, Any] | None = None,
                budget: "SearchBudget | JointSearchBudget | None" = None) -> Reconstruction:
    """One synthetic cohort (and AE table) meeting the published aggregates; deterministic in ``seed``."""
    tg = published_targets(published)
    budget = FULL_BUDGET if budget is None else budget
    rng = np.random.default_rng(seed)
    arms, covs, ages, labs = _first_draws(rng, tg)
    info: dict[str, Any] = {}
    X = _design(covs, ages)
    if isinstance(budget, JointSearchBudget):
        arms, X = _joint_search(rng, tg, X, budget, info)
    else:
        search = _main_stages(rng, tg, arms, X, lambda: _initial_times(rng, tg), budget, info)
        arms, X = search.arms, search.X
    for r in ROLES:
        ages[r] = _write_back(X[r], covs[r])
    cohort, ae = _assemble(rng, tg, arms, covs, ages, labs)
    return Reconstruction(cohort, ae, seed, info)


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------


def _csv_text(frame: pd.DataFrame, decimals: Mapping[str, int]) -> str:
    """CSV with fixed number formats (byte-identical across runs and platforms)."""
    out = frame.copy()
    for col, d in decimals.items():
        if col in out.columns:
            out[col] = [("" if pd.isna(v) else f"{float(v):.{d}f}") for v in out[col]]
    return out.to_csv(index=False, lineterminator="\n")


COHORT_DECIMALS = {"os_months": 1, "pfs_months": 1, **LAB_DECIMALS}


def write_reconstruction(rec: Reconstruction, out_dir: str | Path = DATA_DIR) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cohort_path, ae_path = out_dir / COHORT_FILE, out_dir / AE_FILE
    cohort_path.write_text(_csv_text(rec.cohort, COHORT_DECIMALS))
    ae_path.write_text(_csv_text(rec.adverse_events, {}))
    return [cohort_path, ae_path]


def synthesize(out_dir: str | Path = DATA_DIR, seed: int = DEFAULT_SEED) -> list[Path]:
    """Reconstruct the cohort with ``seed`` and write both CSVs to ``out_dir``; returns the paths."""
    return write_reconstruction(reconstruct(seed), out_dir)


# --------------------------------------------------------------------------
# Target check with the book's own analysis code
# --------------------------------------------------------------------------

TARGET_COLUMNS = ["key", "description", "published", "achieved", "tolerance", "status", "note"]


def book_results(cohort: pd.DataFrame, ae: pd.DataFrame | None, params=None) -> dict[str, Any]:
    """Every results key the book's modules compute on ``cohort`` (Tables 2-4, survival, follow-up)."""
    from . import cox, survival, tables
    from .params import Parameters

    params = params or Parameters()
    res: dict[str, Any] = {}
    res.update(tables.baseline_table(cohort, params).results())
    res.update(tables.response_table(cohort, params).results())
    res.update(tables.safety_tables(cohort, ae, params).results())
    for ep in ("pfs", "os"):
        res.update(survival.survival_results(cohort, ep, params))
        res.update(cox.cox_results(cohort, ep, params))
    res["followup.median"] = survival.reverse_km_followup(
        cohort["os_months"].to_numpy(float), cohort["os_event"].to_numpy(int)).median
    for r, label in (("treatment", params.treatment_group), ("reference", params.reference_group)):
        res[f"n.{r}"] = int((cohort["group"] == label).sum())
    res["n.total"] = res["n.treatment"] + res["n.reference"]
    return res


def reachable_km_rates(n: int, max_censored: int | None = None) -> dict[float, list[str]]:
    """Every Kaplan-Meier S(t) reachable on n patients, keyed in percent at one decimal (half up),
    with, per distinct exact value, the event (E) / censoring (C) sequence before t that reaches it
    with the fewest censorings."""
    from fractions import Fraction

    best: dict[tuple[int, Fraction], str] = {(n, Fraction(1)): ""}
    frontier = dict(best)
    while frontier:  # one patient leaves the risk set per step: breadth-first over (at risk, S)
        nxt: dict[tuple[int, Fraction], str] = {}
        for (r, surv), seq in frontier.items():
            if r == 0:
                continue
            for x, s2 in (("E", surv * Fraction(r - 1, r)), ("C", surv)):
                seq2 = seq + x
                if max_censored is not None and seq2.count("C") > max_censored:
                    continue
                key = (r - 1, s2)
                old = best.get(key)
                if old is None or seq2.count("C") < old.count("C"):
                    best[key] = nxt[key] = seq2
        frontier = nxt
    by_value: dict[Fraction, str] = {}
    for (_, surv), seq in best.items():
        if surv not in by_value or (seq.count("C"), len(seq)) < (by_value[surv].count("C"), len(by_value[surv])):
            by_value[surv] = seq
    out: dict[float, list[str]] = {}
    for surv, seq in by_value.items():
        key = float((Fraction(1000) * surv + Fraction(1, 2)) // 1) / 10.0
        out.setdefault(key, []).append(seq)
    return out


def _cox_reachable(hr: float, lo: float, hi: float, p: float, d_treatment: int,
                   d_reference: int) -> dict[str, bool]:
    """Can each of (CI low, CI high, p) lie within tolerance together with the HR within tolerance?

    A Wald fit with d1 events in the treatment arm and d0 in the reference arm has
    SE(log HR) >= sqrt(1/d1 + 1/d0) for the 0/1 arm term: adjusting for covariates
    only lowers its information (the inverse of a Schur complement); without them
    the information is the sum over events of p_j (1 - p_j), p_j the arm's weighted
    share of the risk set; at the MLE the score equation makes the p_j sum to d1,
    and by concavity the sum is at most d1 d0 / (d1 + d0). The floor grows as d1
    or d0 falls, so the largest possible counts give the bound; it is at least
    2 / sqrt(d1 + d0). A fine grid over HR in its tolerance and SE from that floor
    decides each question.
    """
    se_min = math.sqrt(1.0 / d_treatment + 1.0 / d_reference)
    hrs = np.linspace(hr - TOLERANCES["cox_hr"], hr + TOLERANCES["cox_hr"], 201)[:, None]
    ses = np.linspace(se_min, 4 * se_min, 601)[None, :]
    lows, highs = hrs * np.exp(-_Z * ses), hrs * np.exp(_Z * ses)
    from scipy import stats

    ps = 2 * stats.norm.sf(np.abs(np.log(hrs)) / ses)
    ok_lo = np.abs(lows - lo) <= TOLERANCES["cox_ci"]
    ok_hi = np.abs(highs - hi) <= TOLERANCES["cox_ci"]
    ok_p = np.abs(ps - p) <= TOLERANCES["cox_p"]
    return {"ci_low": bool(ok_lo.any()), "ci_high": bool(ok_hi.any()), "p": bool(ok_p.any()),
            "all": bool((ok_lo & ok_hi & ok_p).any()), "se_min": se_min}


@dataclass
class IdealCovariateBound:
    """Result of :func:`ideal_covariate_se`: the smallest SE(log HR) of the arm term found,
    the Wald upper bound it gives at ``hr``, and the ideal covariate (one value per patient)."""

    hr: float
    se: float
    ci_high: float
    score: np.ndarray
    converged: bool


def ideal_covariate_se(time, event, arm, hr: float, starts: int = 8, seed: int = 0) -> IdealCovariateBound:
    """The smallest standard error of the 0/1 arm's log HR that *any* covariates could give on
    these survival times, with the arm's fitted HR equal to ``hr``.

    Whatever covariates X a Cox model adjusts for, at its estimate (beta, gamma) their whole
    contribution is one column, the linear predictor s = X gamma, and the model [arm, s] has
    its estimate at (beta, 1) (same score equations). By Cauchy-Schwarz in the information's
    inner product the arm term's information in [arm, X] is at most that in [arm, s]. So the
    SE any covariates give is at least the minimum, over a free score s (one real value per
    patient, "the ideal covariate"), of SE(beta) in the model [arm, s], subject to (beta, 1)
    being its estimate (both score equations zero; the partial likelihood is concave, so that
    is the maximum).

    That minimum is found by SLSQP (analytic gradients, :class:`IdealCovariateSolver`) from
    ``starts`` starting points (zeros, then seeded normal draws): a non-convex problem, so the
    result is the best found, not a certificate. Efron's ties, as the book's Cox fits
    (lifelines ``CoxPHFitter``); Wald SE from the inverse observed information. Written by
    hand: no library optimises over a covariate.
    """
    solver = IdealCovariateSolver(time, event, arm, hr)
    n = solver.g.size
    rng = np.random.default_rng(seed)
    best = None
    for k in range(starts):
        x0 = np.zeros(n) if k == 0 else rng.normal(0.0, 1.5, n)
        var, x, feasible = solver.solve(x0)
        if feasible and (best is None or var < best[0]):
            best = (var, x)
    if best is None:
        return IdealCovariateBound(hr, math.nan, math.nan, np.full(n, np.nan), False)
    se = math.sqrt(best[0])
    return IdealCovariateBound(hr, se, hr * math.exp(_Z * se), best[1] - solver.beta * solver.g, True)


class _EfronSetup:
    """Risk-set and tie structure of one (time, event) vector for Efron's partial likelihood."""

    __slots__ = ("A", "ev")

    def __init__(self, t: np.ndarray, e: np.ndarray):
        ev_idx = np.flatnonzero(e > 0)
        ev_times = t[ev_idx]
        # rows: one per event; A[k] = risk set of its time minus (l/d) of the tied events
        at_risk = (t[None, :] >= ev_times[:, None]).astype(float)
        tied = ((t[None, :] == ev_times[:, None]) & (e[None, :] > 0)).astype(float)
        frac = np.zeros(ev_idx.size)
        order = np.lexsort((ev_idx, ev_times))
        prev, l = None, 0
        counts = {}
        for k in order:
            tt = ev_times[k]
            l = l + 1 if tt == prev else 0
            prev = tt
            counts[tt] = counts.get(tt, 0) + 1
            frac[k] = l
        dsize = np.array([counts[tt] for tt in ev_times], dtype=float)
        self.A = at_risk - (frac / dsize)[:, None] * tied
        self.ev = ev_idx


class IdealCovariateSolver:
    """One local solve of :func:`ideal_covariate_se`'s problem on fixed times, from a given start.

    The unknown is x = beta * arm + s, each patient's log weight (x_0 = 0 fixes the free scale);
    the objective is Var(beta_hat) = (I^-1)_arm,arm of the model [arm, s], subject to both
    score equations. Analytic gradients of both (Efron's ties). Split out so that a search over
    the times can warm-start each solve from the previous order's x (a few ms instead of 50).
    """

    def __init__(self, time, event, arm, hr: float):
        t = np.asarray(time, float)
        self.g = np.asarray(arm, float)
        setup = _EfronSetup(t, np.asarray(event, float))
        self.A, self.ev = setup.A, setup.ev
        self.beta = math.log(hr)
        self.deaths_of = np.bincount(self.ev, minlength=self.g.size).astype(float)  # events per patient
        self._cache: dict[str, Any] = {}

    def pieces(self, x):
        """(Var, its gradient, the two scores, their Jacobian) at x."""
        cache = self._cache
        if cache.get("x") is not None and np.array_equal(cache["x"], x):
            return cache["val"]
        A, g, ev = self.A, self.g, self.ev
        s = x - self.beta * g
        v = np.exp(x - x.max())
        W = A * v[None, :] / (A @ v)[:, None]  # each event's risk-set weights, rows sum to 1
        m_a, m_s, m_ss, m_as = W @ g, W @ s, W @ (s * s), W @ (g * s)
        U = np.array([g[ev].sum() - m_a.sum(), s[ev].sum() - m_s.sum()])
        i_aa, i_as, i_ss = (m_a * (1 - m_a)).sum(), (m_as - m_a * m_s).sum(), (m_ss - m_s**2).sum()
        # derivatives of the weighted means with respect to each x_i
        d_a = W * (g[None, :] - m_a[:, None])
        d_s = W * (s[None, :] - m_s[:, None] + 1.0)
        d_ss = W * (s[None, :] ** 2 - m_ss[:, None] + 2 * s[None, :])
        d_as = W * ((g * s)[None, :] - m_as[:, None] + g[None, :])
        dU = np.vstack([-d_a.sum(0), self.deaths_of - d_s.sum(0)])
        di_aa = ((1 - 2 * m_a)[:, None] * d_a).sum(0)
        di_as = (d_as - m_s[:, None] * d_a - m_a[:, None] * d_s).sum(0)
        di_ss = (d_ss - 2 * m_s[:, None] * d_s).sum(0)
        det = i_aa * i_ss - i_as**2
        if det <= 1e-12:
            val = (1e6, np.zeros_like(x), U, dU)
        else:
            var = i_ss / det  # (I^-1) for the arm term
            ddet = di_aa * i_ss + i_aa * di_ss - 2 * i_as * di_as
            val = (var, (di_ss * det - i_ss * ddet) / det**2, U, dU)
        cache["x"], cache["val"] = x.copy(), val
        return val

    def solve(self, x0, maxiter: int = 2000) -> tuple[float, np.ndarray, bool]:
        """SLSQP from ``x0`` (its first entry is set to 0): (Var, x, feasible: scores below 1e-7)."""
        from scipy.optimize import minimize

        n = self.g.size
        x0 = np.array(x0, float)
        x0[0] = 0.0
        first = np.zeros(n)
        first[0] = 1.0
        constraints = [{"type": "eq", "fun": lambda x: self.pieces(x)[2], "jac": lambda x: self.pieces(x)[3]},
                       {"type": "eq", "fun": lambda x: x[:1], "jac": lambda x: first[None, :]}]
        res = minimize(lambda x: self.pieces(x)[0], x0, jac=lambda x: self.pieces(x)[1], method="SLSQP",
                       constraints=constraints, bounds=[(-12.0, 12.0)] * n,
                       options={"maxiter": maxiter, "ftol": 1e-12})
        var, _, U, _ = self.pieces(res.x)
        return float(var), res.x.copy(), bool(np.abs(U).max() < 1e-7) and var < 1e6


def _fmt(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, (float, np.floating)):
        return float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    return x


def evaluate_targets(cohort: pd.DataFrame, ae: pd.DataFrame | None,
                     published: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The reconstruction's targets, each measured by the book's own modules on ``cohort``.

    One row per target: ``key`` (results key), ``description``, ``published``
    (as printed), ``achieved`` (same unit as printed), ``tolerance``, ``status``
    ("met", "missed", or "impossible": the printed numbers cannot all hold, with
    the evidence in ``note``) and ``note``.
    """
    tg = published_targets(published)
    res = book_results(cohort, ae)
    rows: list[dict[str, Any]] = []

    def add(key, description, published_value, achieved, tolerance, ok, note="", impossible=False):
        status = "met" if ok else ("impossible" if impossible else "missed")
        rows.append({"key": key, "description": description, "published": _fmt(published_value),
                     "achieved": _fmt(achieved), "tolerance": tolerance, "status": status, "note": note})

    # exact counts
    count_keys = sorted(k for k in tg if (".n." in k or k.startswith("n.")) and tg[k] is not None)
    for key in count_keys:
        got = res.get(key)
        if got is None and key.startswith("safety.irae") and key.endswith(".n.treatment"):
            got = 0
        note, impossible = "", False
        if key.endswith(".n.total") and key.startswith("baseline."):
            parts = [tg.get(key.replace(".total", f".{r}")) for r in ROLES]
            if None not in parts and sum(parts) != tg[key]:
                impossible = True
                note = f"printed arm counts {parts[0]} + {parts[1]} = {sum(parts)}, printed total {tg[key]}"
        add(key, "count", tg[key], got, "exact", got == tg[key] and not impossible, note, impossible)

    # age
    for arm in ("treatment", "reference", "total"):
        for stat, dec in (("mean", 1), ("sd", 2)):
            key = f"baseline.age.{stat}.{arm}"
            if key in tg:
                got = res.get(key)
                add(key, f"age {stat}", tg[key], got, f"rounds to {dec} decimals",
                    got is not None and _matches(got, tg[key], dec))
    # labs
    for lab in LABS:
        for arm in ("treatment", "reference", "total"):
            for stat in ("q1", "median", "q3"):
                key = f"baseline.{lab}.{stat}.{arm}"
                if key in tg:
                    got = res.get(key)
                    add(key, f"{lab} {stat} (SPSS quartiles)", tg[key], got, "rounds to 2 decimals",
                        got is not None and _matches(got, tg[key], 2))
    # Table 2 and Table 3 p-values
    p_keys = sorted(k for k in tg if k.startswith("baseline.") and k.endswith(".p")) + [
        "response.orr.p", "response.dcr.p"]
    for key in p_keys:
        if tg.get(key) is None:
            continue
        got = res.get(key)
        ok = got is not None and abs(got - tg[key]) <= TOLERANCES["p_table"]
        name = key.split(".")[1]
        fisher = name not in ("age",) and name not in LABS
        note, impossible = "", False
        if not ok and fisher:
            impossible = True
            note = (f"Fisher's exact p is fixed by the printed counts: {got:.3f} "
                    f"(printed {tg[key]:.3f}); no cohort with these counts gives the printed p")
        add(key, "Fisher exact p" if fisher else "test p", tg[key], got, TOLERANCES["p_table"], ok, note, impossible)

    # Kaplan-Meier medians and 12-month rates
    for ep in ("pfs", "os"):
        for arm in ROLES:
            key = f"{ep}.median.{arm}"
            got = res.get(key)
            add(key, f"{ep.upper()} KM median (first S <= 0.5)", tg[key], got, "exact",
                got is not None and abs(got - tg[key]) < 1e-9)
            key = f"{ep}.rate_12m.{arm}"
            got = res.get(key)
            got_pct = None if got is None else 100 * got
            add(key, f"{ep.upper()} 12-month KM rate (%)", tg[key], got_pct, "rounds to 1 decimal",
                got_pct is not None and _matches(got_pct, tg[key], 1))
    try:
        from .published import published_values

        text = published_values("text-3.3")
    except Exception:  # noqa: BLE001 - without the variants there is nothing to add
        text = {}
    for arm in ROLES:
        key = f"os.rate_12m.{arm}"
        if key in text:
            n_arm = int(tg[f"n.{arm}"])
            reach = reachable_km_rates(n_arm).get(text[key], [])
            shortest = min(reach, key=lambda q: (q.count("C"), len(q))) if reach else None
            note = (f"section 3.3 prints {text[key]} where Table 3 prints {tg[key]} for the same S(12); "
                    "one curve has one value, the Table's is used. ")
            if not reach:
                note += f"{text[key]}% is not a Kaplan-Meier value on {n_arm} patients at all."
            else:
                note += (f"{text[key]}% on {n_arm} patients needs at least {shortest.count('C')} censoring(s) "
                         f"before 12 months (shortest sequence {shortest}; E = event, C = censoring).")
            got = res.get(key)
            add(key + " (text-3.3)", "OS 12-month rate, section 3.3's printing", text[key],
                None if got is None else 100 * got, "rounds to 1 decimal", False, note, impossible=True)

    # log-rank and follow-up
    for ep in ("pfs", "os"):
        key = f"{ep}.logrank.p"
        got = res.get(key)
        add(key, f"{ep.upper()} log-rank p", tg[key], got, TOLERANCES["logrank_p"],
            got is not None and abs(got - tg[key]) <= TOLERANCES["logrank_p"])
    got = res.get("followup.median")
    add("followup.median", "median follow-up, reverse KM (OS)", tg["followup.median"], got,
        TOLERANCES["followup"], got is not None and abs(got - tg["followup.median"]) <= TOLERANCES["followup"])

    # multivariable Cox, arm term
    alive = {r: int(tg.get(f"treatment.ongoing.n.{r}", 0)) for r in ROLES}
    for ep in ("pfs", "os"):
        t = {s: tg[f"{ep}.cox_multivariable.{s}"] for s in ("hr", "ci_low", "ci_high", "p")}
        d1, d0 = (int(tg[f"n.{r}"]) - (alive[r] if ep == "os" else 0) for r in ROLES)
        reach = _cox_reachable(t["hr"], t["ci_low"], t["ci_high"], t["p"], d1, d0)
        why_d = (f"at most {d1} + {d0} deaths: the {sum(alive.values())} patients on treatment at the "
                 "cut-off are alive" if ep == "os" else f"at most {d1} + {d0} events")
        for stat, tol in (("hr", TOLERANCES["cox_hr"]), ("ci_low", TOLERANCES["cox_ci"]),
                          ("ci_high", TOLERANCES["cox_ci"]), ("p", TOLERANCES["cox_p"])):
            key = f"{ep}.cox_multivariable.{stat}"
            got = res.get(key)
            ok = got is not None and abs(got - t[stat]) <= tol
            note, impossible = "", False
            if stat != "hr":
                printed_se = math.log(t["ci_high"] / t["ci_low"]) / (2 * _Z)
                note = (f"printed CI implies SE(log HR) = {printed_se:.3f} < {reach['se_min']:.3f} = "
                        f"sqrt(1/{d1} + 1/{d0}), the floor for the 0/1 arm term ({why_d}); ")
                if not reach[stat]:
                    impossible = True
                    note += f"no SE above the floor puts {stat} within {tol} while the HR is within 0.05"
                else:
                    note += "within tolerance only near the SE floor"
                lo_, hi_ = res.get(f"{ep}.cox_multivariable.ci_low"), res.get(f"{ep}.cox_multivariable.ci_high")
                ulo, uhi = res.get(f"{ep}.cox_univariable.ci_low"), res.get(f"{ep}.cox_univariable.ci_high")
                if None not in (lo_, hi_, ulo, uhi):
                    note += (f"; this cohort: SE {math.log(hi_ / lo_) / (2 * _Z):.3f} "
                             f"(arm alone: {math.log(uhi / ulo) / (2 * _Z):.3f})")
                if not ok and reach[stat] and stat in ("ci_low", "ci_high"):
                    side = 1 if stat == "ci_high" else -1
                    edge = t["hr"] - side * TOLERANCES["cox_hr"]  # the HR end leaving the bound most room
                    ideal = ideal_covariate_se(cohort[f"{ep}_months"], cohort[f"{ep}_event"],
                                               (cohort["group"] == TREATMENT).astype(float), edge)
                    if ideal.converged:
                        bound = edge * math.exp(side * _Z * ideal.se)
                        room = abs(bound - t[stat]) <= tol
                        note += (f"; on this cohort's times the smallest SE found for an ideal covariate "
                                 f"(one free value per patient, the most any covariates could give: "
                                 f"ideal_covariate_se) is {ideal.se:.3f} at HR {edge:.2f}, {stat} {bound:.3f}: "
                                 + ("these times leave room, the covariates fall short" if room else
                                    "the order of the deaths, more than the covariates, keeps it out of reach"))
            add(key, f"{ep.upper()} multivariable Cox, arm {stat}", t[stat], got, tol, ok, note,
                impossible and not ok)

    # median CIs (SPSS: median +/- 1.96 SE, symmetric)
    for ep in ("pfs", "os"):
        for arm in ROLES:
            med = tg[f"{ep}.median.{arm}"]
            lo, hi = tg.get(f"{ep}.median_ci_low.{arm}"), tg.get(f"{ep}.median_ci_high.{arm}")
            if lo is None or hi is None:
                continue
            half_lo, half_hi = med - lo, hi - med
            symmetric = abs(half_lo - half_hi) <= 0.1 + 1e-9  # one printed decimal of rounding
            for b, target in (("low", lo), ("high", hi)):
                key = f"{ep}.median_ci_{b}.{arm}"
                got = res.get(key)
                ok = got is not None and abs(got - target) <= TOLERANCES["median_ci"] + 1e-9
                note = ""
                if not symmetric:
                    note = (f"printed interval {lo}-{hi} around {med} is not symmetric (half-widths "
                            f"{half_lo:.1f} and {half_hi:.1f}); SPSS's median +/- 1.96 SE is, so "
                            f"|low - {lo}| + |high - {hi}| >= {abs(half_lo - half_hi):.1f}: both bounds "
                            f"within 0.5 only at half-width {(half_lo + half_hi) / 2:.2f} exactly")
                add(key, f"{ep.upper()} median CI {b} (SPSS)", target, got, TOLERANCES["median_ci"], ok,
                    note, impossible=not symmetric)
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


# --------------------------------------------------------------------------
# Ensemble: reconstruction uncertainty
# --------------------------------------------------------------------------

ENSEMBLE_COLUMNS = [
    "member", "seed", "cohort_sha1",
    *[f"{ep}.{model}.{s}" for ep in ("pfs", "os") for model in ("cox_univariable", "cox_multivariable")
      for s in ("hr", "ci_low", "ci_high", "p")],
    "pfs.logrank.p", "os.logrank.p",
    *[f"{ep}.median.{r}" for ep in ("pfs", "os") for r in ROLES],
    "pfs.median_difference", "os.median_difference", "followup.median", "exact_targets_met",
]


def member_seed(seed: int, member: int) -> int:
    """Seed of ensemble member ``member``: a SeedSequence child of ``seed`` (deterministic)."""
    return int(np.random.SeedSequence([int(seed), int(member)]).generate_state(1, dtype=np.uint32)[0])


def exact_targets_met(rec: Reconstruction, published: Mapping[str, Any] | None = None) -> bool:
    """Quick check of the exact targets (counts, age summaries, lab quartiles, KM medians and rates)."""
    tg = published_targets(published)
    c = rec.cohort
    ok = True
    for r, label in (("treatment", TREATMENT), ("reference", REFERENCE)):
        arm = c[c["group"] == label]
        for ep in ("pfs", "os"):
            t, e = arm[f"{ep}_months"].to_numpy(), arm[f"{ep}_event"].to_numpy()
            ok &= abs(fastsurv.km_median(t, e) - tg[f"{ep}.median.{r}"]) < 1e-9
            ok &= _matches(100 * fastsurv.km_at(t, e, LANDMARK), tg[f"{ep}.rate_12m.{r}"], 1)
        ok &= _matches(arm["age"].mean(), tg[f"baseline.age.mean.{r}"], 1)
        ok &= _matches(arm["age"].std(ddof=1), tg[f"baseline.age.sd.{r}"], 2)
        for lab in LABS:
            q = weibull_quartiles(arm[lab].to_numpy(float))
            ok &= all(_matches(a, b, 2) for a, b in zip(q, _lab_targets(tg, lab, r)))
        for col in BINARY_COLUMNS:
            ok &= int(arm[col].sum()) == _count(tg, col, r)
        ok &= int((arm["sex"] == "Male").sum()) == _count(tg, "sex_male", r)
        ok &= int((arm["ecog"] <= 1).sum()) == _count(tg, "ecog_0_1", r)
        ok &= int(arm["ongoing_treatment"].sum()) == int(tg[f"treatment.ongoing.n.{r}"])
    return bool(ok)


def summarize(rec: Reconstruction, published: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Per-cohort summary of the ensemble: arm HRs, log-rank p, medians (book's modules)."""
    import hashlib

    from . import cox, survival
    from .params import Parameters

    params = Parameters()
    c = rec.cohort
    out: dict[str, Any] = {"seed": rec.seed}
    out["cohort_sha1"] = hashlib.sha1(_csv_text(c, COHORT_DECIMALS).encode()).hexdigest()
    for ep in ("pfs", "os"):
        res = cox.cox_results(c, ep, params)
        for model in ("cox_univariable", "cox_multivariable"):
            for s in ("hr", "ci_low", "ci_high", "p"):
                out[f"{ep}.{model}.{s}"] = res[f"{ep}.{model}.{s}"]
        out[f"{ep}.logrank.p"] = survival.logrank(c, ep, params.reference_group, params.treatment_group).p
        for r, label in (("treatment", params.treatment_group), ("reference", params.reference_group)):
            arm = c[c["group"] == label]
            out[f"{ep}.median.{r}"] = survival.km_median(arm[f"{ep}_months"], arm[f"{ep}_event"])
        out[f"{ep}.median_difference"] = out[f"{ep}.median.treatment"] - out[f"{ep}.median.reference"]
    out["followup.median"] = survival.reverse_km_followup(c["os_months"], c["os_event"]).median
    out["exact_targets_met"] = exact_targets_met(rec, published)
    return out


def _ensemble_member(member: int, seed: int, published: Mapping[str, Any], budget: SearchBudget):
    rec = reconstruct(member_seed(seed, member), published, budget)
    return {"member": member, **summarize(rec, published)}


def ensemble(n: int, seed: int = DEFAULT_SEED, n_jobs: int = -1,
             budget: SearchBudget = ENSEMBLE_BUDGET) -> pd.DataFrame:
    """``n`` distinct reconstructions (member k uses :func:`member_seed` (seed, k)), summarised.

    Runs on ``n_jobs`` processes (joblib; -1 = all local cores). Every member
    meets the exact targets by construction (column ``exact_targets_met``);
    the soft targets (HRs, p-values, CIs) vary between members, which is the
    point: their spread is the reconstruction's uncertainty. Members are
    distinct (different cohort files); a duplicate would be replaced by the
    next member seed.
    """
    from joblib import Parallel, delayed

    published = published_targets()
    rows = Parallel(n_jobs=n_jobs)(
        delayed(_ensemble_member)(k, seed, published, budget) for k in range(n))
    seen = {r["cohort_sha1"] for r in rows}
    extra = n
    for i, row in enumerate(rows):
        if sum(r["cohort_sha1"] == row["cohort_sha1"] for r in rows[:i]):
            while True:  # a repeated cohort: draw further members until it is new
                new = _ensemble_member(extra, seed, published, budget)
                extra += 1
                if new["cohort_sha1"] not in seen:
                    new["member"] = row["member"]
                    rows[i] = new
                    seen.add(new["cohort_sha1"])
                    break
    return pd.DataFrame(rows)[ENSEMBLE_COLUMNS]


# --------------------------------------------------------------------------
# Which seed: the scan behind DEFAULT_SEED
# --------------------------------------------------------------------------

#: The first seed of the scan (``lcnec synth --scan N``): seeds SCAN_START, SCAN_START + 1, ...
SCAN_START = 20250101
SCAN_COLUMNS = ["seed", "met", "impossible", "missed", "missed_targets", "os.cox_multivariable.ci_high",
                "pfs.cox_multivariable.p", "chosen_chain", "chain_violations"]


def scan_row(seed: int, published: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One seed's reconstruction, measured by :func:`evaluate_targets`: the counts of targets met,
    impossible and missed, which were missed, the two hardest arm-term targets, and the search's
    chains (how far each ended from the arm-term bounds)."""
    rec = reconstruct(seed, published)
    ev = evaluate_targets(rec.cohort, rec.adverse_events, published)
    status = ev["status"].value_counts()
    achieved = dict(zip(ev["key"], ev["achieved"]))
    return {"seed": seed, **{k: int(status.get(k, 0)) for k in ("met", "impossible", "missed")},
            "missed_targets": " ".join(ev.loc[ev["status"] == "missed", "key"]),
            "os.cox_multivariable.ci_high": round(float(achieved["os.cox_multivariable.ci_high"]), 4),
            "pfs.cox_multivariable.p": round(float(achieved["pfs.cox_multivariable.p"]), 4),
            "chosen_chain": rec.info.get("chosen_chain"),
            "chain_violations": " ".join(f"{c['violation']:.4f}" for c in rec.info.get("chains", []))}


def scan_seeds(n: int, start: int = SCAN_START) -> pd.DataFrame:
    """:func:`scan_row` for seeds ``start`` .. ``start + n - 1``, one after another (each search
    already uses every core). :data:`DEFAULT_SEED` is the first seed of this scan whose cohort
    misses no target."""
    return pd.DataFrame([scan_row(seed) for seed in range(start, start + n)], columns=SCAN_COLUMNS)


# --------------------------------------------------------------------------
# The compiled search (lcnec_utils.annealing)
# --------------------------------------------------------------------------


def _soft_metric_id(key: str) -> int:
    """Index of a soft target's statistic in :mod:`lcnec_utils.annealing`'s metric vector."""
    ep, _, rest = key.partition(".")
    e = ("pfs", "os").index(ep) if ep in ("pfs", "os") else -1
    if rest == "logrank.p":
        return annealing.M_LOGRANK_Z + e
    if key == "followup.median":
        return annealing.M_FOLLOWUP
    if rest.startswith("median_ci_"):
        bound, role = rest[len("median_ci_"):].split(".")
        return annealing.M_MEDIAN_CI + 4 * e + 2 * ROLES.index(role) + ("low", "high").index(bound)
    stat = rest[len("cox_multivariable."):]
    if stat in ("hr", "ci_low", "ci_high", "p"):
        return annealing.M_COX + 4 * e + ("hr", "ci_low", "ci_high", "p").index(stat)
    term = stat[:-len(".hr")]
    names = [_COV_OF_TERM.get(t, t) for t in COX_TERMS[1:]]
    return annealing.M_BETA + len(names) * e + names.index(term)


def _annealing_setting(tg: Mapping[str, Any], soft: Sequence[_Soft] = ()) -> annealing.Setting:
    """The targets as :mod:`lcnec_utils.annealing` reads them: each arm's hard Kaplan-Meier
    targets, the Kaplan-Meier holds (log-rank p, follow-up, and the median CIs that a symmetric
    interval can meet), and the soft targets that ``Objective.cost`` reads."""
    kt = {r: _km_targets(tg, r) for r in ROLES}
    holds = []  # (metric id, target) of the median-CI bounds an interval centred on its median can meet
    for ep in ("pfs", "os"):
        for r in ROLES:
            lo, hi = tg.get(f"{ep}.median_ci_low.{r}"), tg.get(f"{ep}.median_ci_high.{r}")
            if lo is None or hi is None or abs((lo + hi) / 2 - tg[f"{ep}.median.{r}"]) > TOLERANCES["median_ci"]:
                continue
            holds += [(_soft_metric_id(f"{ep}.median_ci_{b}.{r}"), v) for b, v in (("low", lo), ("high", hi))]
    return annealing.Setting(
        n1=int(tg["n.treatment"]),
        arm_targets=np.array([_arm_target_row(kt[r]) for r in ROLES]),
        limits=_TIME_LIMITS,
        ecog_column=COX_TERMS.index("ecog"),
        realism=np.array([LONGEST_PFS, LONGEST_OS, FIRST_EVENT["pfs"], FIRST_EVENT["os"]]),
        z_target=np.array([_z_of_p(tg[f"{ep}.logrank.p"]) for ep in ("pfs", "os")]),
        followup_target=float(tg["followup.median"]),
        median_ci_tol=float(TOLERANCES["median_ci"]),
        hold_ci_id=np.array([h[0] for h in holds], np.int64),
        hold_ci_target=np.array([h[1] for h in holds], float),
        soft_id=np.array([_soft_metric_id(s.key) for s in soft], np.int64),
        soft_target=np.array([s.target for s in soft], float),
        soft_tol=np.array([s.tol for s in soft], float),
        soft_weight=np.array([s.weight for s in soft], float),
    )


def _to_state(arms: Mapping[str, _Arm], X: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(T, D) of :mod:`lcnec_utils.annealing`: times and events (treatment arm first), and the
    Cox design with the arm indicator in front."""
    T = np.vstack([np.concatenate([np.asarray(getattr(arms[r], f), np.int64) for r in ROLES])
                   for f in ("pfs", "pfs_e", "os", "os_e")])
    g = np.concatenate([np.full(len(arms[r].pfs), 1.0 if r == "treatment" else 0.0) for r in ROLES])
    D = np.ascontiguousarray(np.column_stack([g, np.vstack([X[r] for r in ROLES])]))
    return np.ascontiguousarray(T), D


def _from_state(T: np.ndarray, D: np.ndarray, n1: int) -> tuple[dict[str, _Arm], dict[str, np.ndarray]]:
    parts = {"treatment": slice(0, n1), "reference": slice(n1, T.shape[1])}
    arms = {r: _Arm(*(T[k, s].copy() for k in range(4))) for r, s in parts.items()}
    X = {r: np.ascontiguousarray(D[s, 1:]) for r, s in parts.items()}
    return arms, X


