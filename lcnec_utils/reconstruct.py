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
3. laboratory values: the order statistics that define SPSS's quartiles
   (Hyndman-Fan type 6) are set directly, the rest filled in between, then a
   small annealing on the values meets the pooled quartiles and the
   Mann-Whitney p-values;
4. survival times: events and censorings placed on a 0.1-month grid so that
   the Kaplan-Meier medians and 12-month rates hold exactly; then simulated
   annealing on the times and on which patient carries which covariates, with
   the medians and rates as hard constraints and the log-rank p-values, the
   multivariable Cox hazard ratios, the SPSS median CIs and the reverse
   Kaplan-Meier follow-up as the objective.

The search evaluates candidates with the small vectorised numpy statistics of
this module (written by hand only because the inner loop needs speed; they are
tested against lifelines); :func:`evaluate_targets` checks the result with the
book's own modules (:mod:`lcnec_utils.survival`, :mod:`lcnec_utils.cox`,
:mod:`lcnec_utils.tables`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .params import DATA_DIR, PAPER_COVARIATES

DEFAULT_SEED = 20250101
COHORT_FILE = "lcnec_synthetic_cohort.csv"
AE_FILE = "lcnec_synthetic_adverse_events.csv"

TREATMENT = "ICIs + Chemo"
REFERENCE = "Chemo"
ROLES = ("treatment", "reference")
LANDMARK = 12.0
#: Time grid of the synthetic times (months, one decimal).
STEP = 0.1
#: Study window: first treatment January 2019, last follow-up 31 December 2024.
MAX_FOLLOW_UP = 71.9

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

_TOL = math.sqrt(np.finfo(float).eps)  # as lcnec_utils.survival: "S(t) <= 0.5" up to rounding
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
    try:
        from .published import published_values  # type: ignore[attr-defined]
    except ImportError:
        return dict(_PAPER_FALLBACK)
    values = published_values()
    return {k: (v.value if hasattr(v, "value") else v) for k, v in dict(values).items()}


# Until data/published.yaml lands: the paper's numbers under the same keys.
_PAPER_FALLBACK: dict[str, Any] = {
    "n.treatment": 14, "n.reference": 17, "n.total": 31,
    "baseline.age.mean.treatment": 70.4, "baseline.age.sd.treatment": 7.01,
    "baseline.age.mean.reference": 64.1, "baseline.age.sd.reference": 8.63,
    "baseline.age.mean.total": 66.9, "baseline.age.sd.total": 8.45, "baseline.age.p": 0.034,
    "baseline.age_ge65.n.treatment": 12, "baseline.age_ge65.n.reference": 10, "baseline.age_ge65.p": 0.131,
    "baseline.sex_male.n.treatment": 12, "baseline.sex_male.n.reference": 16, "baseline.sex.p": 0.560,
    "baseline.ecog_0_1.n.treatment": 13, "baseline.ecog_0_1.n.reference": 15, "baseline.ecog.p": 1.0,
    "baseline.smoking.n.treatment": 12, "baseline.smoking.n.reference": 14, "baseline.smoking.p": 1.0,
    "baseline.met_bone.n.treatment": 2, "baseline.met_bone.n.reference": 4, "baseline.met_bone.p": 0.664,
    "baseline.met_liver.n.treatment": 3, "baseline.met_liver.n.reference": 4, "baseline.met_liver.p": 1.0,
    "baseline.met_brain.n.treatment": 3, "baseline.met_brain.n.reference": 4, "baseline.met_brain.p": 1.0,
    "baseline.met_adrenal.n.treatment": 1, "baseline.met_adrenal.n.reference": 1, "baseline.met_adrenal.p": 1.0,
    "baseline.met_pleura.n.treatment": 4, "baseline.met_pleura.n.reference": 4, "baseline.met_pleura.p": 1.0,
    "baseline.met_intrapulmonary.n.treatment": 5, "baseline.met_intrapulmonary.n.reference": 2,
    "baseline.met_intrapulmonary.p": 0.192,
    "baseline.met_other.n.treatment": 3, "baseline.met_other.n.reference": 0,
    "baseline.chemo_regimen_ep_ec_el.n.treatment": 12, "baseline.chemo_regimen_ep_ec_el.n.reference": 15,
    "baseline.chemo_regimen_ep_ec_el.p": 1.0,
    "baseline.chemo_regimen_ip.n.treatment": 1, "baseline.chemo_regimen_ip.n.reference": 1,
    "baseline.chemo_regimen_ip.p": 1.0,
    "baseline.chemo_regimen_tp.n.treatment": 1, "baseline.chemo_regimen_tp.n.reference": 1,
    "baseline.chemo_regimen_tp.p": 1.0,
    "baseline.thoracic_rt.n.treatment": 1, "baseline.thoracic_rt.n.reference": 2, "baseline.thoracic_rt.p": 1.0,
    "baseline.ldh.median.total": 278.00, "baseline.ldh.q1.total": 234.00, "baseline.ldh.q3.total": 458.00,
    "baseline.ldh.median.treatment": 278.00, "baseline.ldh.q1.treatment": 247.00, "baseline.ldh.q3.treatment": 416.00,
    "baseline.ldh.median.reference": 279.00, "baseline.ldh.q1.reference": 227.00, "baseline.ldh.q3.reference": 1511.00,
    "baseline.ldh.p": 0.893,
    "baseline.sodium.median.total": 138.00, "baseline.sodium.q1.total": 136.30, "baseline.sodium.q3.total": 139.40,
    "baseline.sodium.median.treatment": 139.00, "baseline.sodium.q1.treatment": 137.00, "baseline.sodium.q3.treatment": 139.40,
    "baseline.sodium.median.reference": 138.00, "baseline.sodium.q1.reference": 135.00, "baseline.sodium.q3.reference": 140.00,
    "baseline.sodium.p": 0.309,
    "baseline.cea.median.total": 4.66, "baseline.cea.q1.total": 2.17, "baseline.cea.q3.total": 11.45,
    "baseline.cea.median.treatment": 5.30, "baseline.cea.q1.treatment": 2.54, "baseline.cea.q3.treatment": 11.45,
    "baseline.cea.median.reference": 4.00, "baseline.cea.q1.reference": 1.42, "baseline.cea.q3.reference": 55.80,
    "baseline.cea.p": 0.421,
    "baseline.progrp.median.total": 53.52, "baseline.progrp.q1.total": 36.22, "baseline.progrp.q3.total": 106.80,
    "baseline.progrp.median.treatment": 53.52, "baseline.progrp.q1.treatment": 31.23, "baseline.progrp.q3.treatment": 102.20,
    "baseline.progrp.median.reference": 54.40, "baseline.progrp.q1.reference": 38.00, "baseline.progrp.q3.reference": 1551.00,
    "baseline.progrp.p": 0.217,
    "baseline.nse.median.total": 43.00, "baseline.nse.q1.total": 27.45, "baseline.nse.q3.total": 59.36,
    "baseline.nse.median.treatment": 44.31, "baseline.nse.q1.treatment": 20.47, "baseline.nse.q3.treatment": 59.36,
    "baseline.nse.median.reference": 43.00, "baseline.nse.q1.reference": 32.00, "baseline.nse.q3.reference": 109.00,
    "baseline.nse.p": 0.754,
    "response.pr.n.treatment": 7, "response.sd.n.treatment": 5, "response.pd.n.treatment": 2,
    "response.pr.n.reference": 5, "response.sd.n.reference": 8, "response.pd.n.reference": 4,
    "response.cr.n.treatment": 0, "response.cr.n.reference": 0,
    "response.orr.p": 0.285, "response.dcr.p": 0.673,
    "pfs.median.treatment": 10.5, "pfs.median.reference": 6.0,
    "os.median.treatment": 15.0, "os.median.reference": 11.0,
    "pfs.median_ci_low.treatment": 7.6, "pfs.median_ci_high.treatment": 12.4,
    "pfs.median_ci_low.reference": 4.3, "pfs.median_ci_high.reference": 7.7,
    "os.median_ci_low.treatment": 11.4, "os.median_ci_high.treatment": 18.6,
    "os.median_ci_low.reference": 9.3, "os.median_ci_high.reference": 12.6,
    "pfs.rate_12m.treatment": 42.9, "pfs.rate_12m.reference": 5.9,
    "os.rate_12m.treatment": 54.5, "os.rate_12m.reference": 50.0,
    "pfs.logrank.p": 0.035, "os.logrank.p": 0.036,
    "followup.median": 24.0,
    "pfs.cox_multivariable.hr": 0.51, "pfs.cox_multivariable.ci_low": 0.28,
    "pfs.cox_multivariable.ci_high": 0.92, "pfs.cox_multivariable.p": 0.026,
    "os.cox_multivariable.hr": 0.55, "os.cox_multivariable.ci_low": 0.30,
    "os.cox_multivariable.ci_high": 1.01, "os.cox_multivariable.p": 0.054,
    "treatment.ongoing.n.treatment": 3, "treatment.ongoing.n.reference": 3,
    "ici_class.pd1.n.treatment": 5, "ici_class.pdl1.n.treatment": 8, "ici_class.pd1_ctla4.n.treatment": 1,
    "safety.irae.interstitial_lung_disease.n.treatment": 1, "safety.irae.hypothyroidism.n.treatment": 2,
    "safety.irae.hepatitis.n.treatment": 1, "safety.irae_any.n.treatment": 4,
    "safety.grade3plus.n.treatment": 0,
}


# --------------------------------------------------------------------------
# Fast statistics for the inner loop (hand-written for speed only; tested against lifelines)
# --------------------------------------------------------------------------


def _km_table(t: np.ndarray, e: np.ndarray):
    """Distinct event times, at-risk counts, event counts and S after each (cumprod(1 - d/n))."""
    ut, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=e, minlength=ut.size)
    c = np.bincount(inv, minlength=ut.size)
    n = t.size - np.concatenate(([0], np.cumsum(c)[:-1]))
    keep = d > 0
    ut, n, d = ut[keep], n[keep].astype(float), d[keep]
    return ut, n, d, np.cumprod(1.0 - d / n)


def fast_km_median(t, e) -> float:
    """First time S(t) <= 0.5 (NaN if not reached)."""
    ut, _, _, s = _km_table(np.asarray(t, float), np.asarray(e, float))
    hit = np.flatnonzero(s <= 0.5 + _TOL)
    return float(ut[hit[0]]) if hit.size else math.nan


def fast_km_at(t, e, when: float) -> float:
    """Kaplan-Meier S(when)."""
    ut, _, _, s = _km_table(np.asarray(t, float), np.asarray(e, float))
    k = np.searchsorted(ut, when, side="right")
    return float(s[k - 1]) if k else 1.0


def fast_median_ci_spss(t, e, eps: float = 0.05) -> tuple[float, float, float]:
    """(median, low, high): median ± z·SE, SE = Greenwood SE of S at the median / density.

    Same estimator as :func:`lcnec_utils.survival.median_ci_spss`.
    """
    ut, n, d, s = _km_table(np.asarray(t, float), np.asarray(e, float))
    hit = np.flatnonzero(s <= 0.5 + _TOL)
    if not hit.size:
        return math.nan, math.nan, math.nan
    i = hit[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.cumsum(d / (n * (n - d)))
    se_s = s[i] * math.sqrt(g[i]) if np.isfinite(g[i]) else math.nan
    t_all = np.concatenate(([0.0], ut))
    s_all = np.concatenate(([1.0], s))
    up = np.flatnonzero(s_all >= 0.5 + eps - _TOL)
    lo = np.flatnonzero(s_all <= 0.5 - eps + _TOL)
    med = float(ut[i])
    if not up.size or not lo.size or not math.isfinite(se_s):
        return med, math.nan, math.nan
    dens = (s_all[up[-1]] - s_all[lo[0]]) / (t_all[lo[0]] - t_all[up[-1]])
    if not dens > 0:
        return med, math.nan, math.nan
    half = _Z * se_s / dens
    return med, med - half, med + half


def fast_logrank(t, e, g) -> tuple[float, float]:
    """Two-group log-rank (chi2, p); ``g`` = 1 for the treatment arm."""
    t = np.asarray(t, float)
    e = np.asarray(e, float)
    g = np.asarray(g, float)
    ut, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=e, minlength=ut.size)
    d1 = np.bincount(inv, weights=e * g, minlength=ut.size)
    c = np.bincount(inv, minlength=ut.size)
    c1 = np.bincount(inv, weights=g, minlength=ut.size)
    n = t.size - np.concatenate(([0], np.cumsum(c)[:-1]))
    n1 = g.sum() - np.concatenate(([0], np.cumsum(c1)[:-1]))
    keep = d > 0
    d, d1, n, n1 = d[keep], d1[keep], n[keep], n1[keep]
    exp1 = d * n1 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(n > 1, d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1), 0.0)
    v = var.sum()
    if v <= 0:
        return math.nan, math.nan
    chi2 = (d1.sum() - exp1.sum()) ** 2 / v
    return float(chi2), math.erfc(math.sqrt(chi2 / 2.0))


def fast_followup(t, e) -> float:
    """Median follow-up by reverse Kaplan-Meier (censorings as events)."""
    return fast_km_median(t, 1.0 - np.asarray(e, float))


class _EfronSetup:
    """Risk-set and tie structure of one (time, event) vector for Efron's partial likelihood."""

    __slots__ = ("A", "ev", "x_ev_sum_idx")

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
        self.x_ev_sum_idx = ev_idx


def fast_cox(t, e, X, max_iter: int = 30, tol: float = 1e-9):
    """Cox model, Efron ties, Newton-Raphson with step halving.

    Returns (beta, se, converged). Same estimator as lifelines ``CoxPHFitter``
    (penalizer 0); ``X`` is the n x p design matrix.
    """
    t = np.asarray(t, float)
    e = np.asarray(e, float)
    X = np.asarray(X, float)
    n, p = X.shape
    setup = _EfronSetup(t, e)
    A = setup.A
    xsum = X[setup.ev].sum(axis=0)
    XX = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)
    beta = np.zeros(p)

    def pieces(b):
        eta = X @ b
        m = eta.max()
        w = np.exp(eta - m)
        s0 = A @ w
        s1 = A @ (w[:, None] * X)
        ll = float(eta[setup.ev].sum() - np.log(s0).sum() - m * setup.ev.size)
        return w, s0, s1, ll

    w, s0, s1, ll = pieces(beta)
    converged = False
    for _ in range(max_iter):
        s2 = (A @ (w[:, None] * XX)).reshape(-1, p, p)
        r1 = s1 / s0[:, None]
        grad = xsum - r1.sum(axis=0)
        hess = (s2 / s0[:, None, None]).sum(axis=0) - r1.T @ r1
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return beta, np.full(p, np.nan), False
        scale = 1.0
        for _half in range(20):
            nb = beta + scale * step
            w2, s02, s12, ll2 = pieces(nb)
            if ll2 >= ll - 1e-12:
                break
            scale /= 2
        beta, w, s0, s1, delta, ll = nb, w2, s02, s12, ll2 - ll, ll2
        if abs(delta) < tol and np.max(np.abs(scale * step)) < 1e-6:
            converged = True
            break
    s2 = (A @ (w[:, None] * XX)).reshape(-1, p, p)
    r1 = s1 / s0[:, None]
    hess = (s2 / s0[:, None, None]).sum(axis=0) - r1.T @ r1
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return beta, np.full(p, np.nan), False
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 15:
        converged = False
    return beta, se, converged


# --------------------------------------------------------------------------
# Age: integers with the reported mean and SD (SPRITE-style)
# --------------------------------------------------------------------------


def _round_half_up(x: float, decimals: int) -> float:
    q = 10.0 ** decimals
    return math.floor(x * q + 0.5 + 1e-9) / q


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


def _quantile_pair(rng, target: float, w: float, step: float, spread: float, lo: float, hi: float):
    """(a, b), a <= b on the grid, with a + w (b - a) printing as ``target`` (2 decimals)."""
    if w == 0.0:
        a = round(target / step) * step
        return a, a
    cands = []
    kmax = max(1, int(spread / step))
    for k in range(0, kmax + 1):
        delta = k * step
        a0 = target - w * delta
        for a in (math.floor(a0 / step) * step, math.ceil(a0 / step) * step):
            b = a + delta
            if lo <= a <= b <= hi and _matches(a + w * (b - a), target, 2):
                cands.append((round(a, 4), round(b, 4)))
    if not cands:
        a = round(target / step) * step
        return a, a
    return cands[rng.integers(len(cands))]


def _lab_arm_values(rng, n: int, q: Sequence[float], step: float, lo: float, hi: float) -> np.ndarray:
    """n sorted grid values whose SPSS Q1, median, Q3 print as ``q``."""
    pos = _weibull_positions(n)
    x = np.full(n, np.nan)
    bounds = [lo, q[0], q[1], q[2], hi]
    for k, ((i, j, w), target) in enumerate(zip(pos, q)):
        room = min(target - bounds[k], bounds[k + 2] - target)
        a, b = _quantile_pair(rng, target, w, step, max(step, 0.25 * room), bounds[k], bounds[k + 2])
        x[i], x[j] = a, b
    fixed = ~np.isnan(x)
    # fill the free order statistics between their fixed neighbours (log-uniform)
    idx = np.arange(n)
    for k in idx[~fixed]:
        left = x[:k][~np.isnan(x[:k])]
        right_all = x[k + 1:][fixed[k + 1:]]
        a = left.max() if left.size else lo
        b = right_all.min() if right_all.size else hi
        if not left.size:
            a = max(lo, b * 0.45)
        if not right_all.size:
            b = min(hi, a * 2.2)
        u = rng.random()
        v = math.exp(math.log(a) + u * (math.log(b) - math.log(a))) if a > 0 else a + u * (b - a)
        x[k] = min(max(round(v / step) * step, a), b)
    x = np.round(np.sort(x) / step) * step
    return x


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
    }


def _arm_valid(a: _Arm, kt: Mapping[str, float]) -> bool:
    """Hard constraints of one arm: consistency of PFS and OS, exact KM medians and 12-month rates."""
    if np.any(a.pfs > a.os) or np.any(a.pfs < 1) or np.any(a.os > _tenths(MAX_FOLLOW_UP)):
        return False
    # no progression recorded -> alive at last follow-up, PFS censored at that date
    cens = a.pfs_e == 0
    if np.any(a.os_e[cens] != 0) or np.any(a.pfs[cens] != a.os[cens]):
        return False
    for ep, t, e in (("pfs", a.pfs, a.pfs_e), ("os", a.os, a.os_e)):
        if fast_km_median(t, e) != _tenths(kt[f"{ep}_median"]):
            return False
        s = fast_km_at(t, e, _tenths(LANDMARK))
        if not _matches(100 * s, kt[f"{ep}_rate"], 1):
            return False
    return True


def _grid(rng, lo: float, hi: float, size: int, distinct: bool = True) -> np.ndarray:
    lo_i, hi_i = _tenths(lo), _tenths(hi)
    pool = np.arange(lo_i, hi_i + 1)
    return np.sort(rng.choice(pool, size=size, replace=not distinct))


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
        late_os = _grid(rng, kt["os_median"] + 0.5, 48.0, n_late)
        os[8:] = late_os
        alive = rng.choice(np.arange(8, n), size=n_late_alive, replace=False)
        os_e[alive] = 0
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
        os[0] = rng.integers(10, early[0])  # censored before the first death
        os_e[0] = 0
        os[1:9] = early
        n_late = n - 9
        os[9:] = _grid(rng, LANDMARK + 0.5, 40.0, n_late)
        alive = rng.choice(np.arange(9, n), size=n_alive - 1, replace=False)
        os_e[alive] = 0
        pfs = np.zeros(n, int)
        pfs_e = np.ones(n, int)
        pfs[0] = rng.integers(5, os[0]) if os[0] > 5 else os[0]
        for i in range(1, 9):
            pfs[i] = max(8, os[i] - rng.integers(3, 40))
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
    for lab, (step, lo, hi) in LABS.items():
        for r in ROLES:
            x = _lab_arm_values(rng, n[r], _lab_targets(tg, lab, r), step, lo, hi)
            out[r][lab] = rng.permutation(x)
    return out


def _responses(rng, tg: Mapping[str, Any], role: str, arm: _Arm) -> np.ndarray:
    """Best response with the published counts; PD goes to the earliest progressions."""
    n = arm.pfs.size
    k = {c: int(tg.get(f"response.{c.lower()}.n.{role}", 0)) for c in ("CR", "PR", "SD", "PD", "NE")}
    if sum(k.values()) != n:
        raise ValueError(f"response counts of arm '{role}' do not add up to n")
    noisy = arm.pfs + rng.normal(0, 15, n) + np.where(arm.pfs_e == 0, 200, 0)
    order = np.argsort(noisy, kind="stable")
    out = np.empty(n, dtype=object)
    start = 0
    for cat in ("NE", "PD", "SD", "PR", "CR"):
        # SD and PR share the middle and upper ranks: draw which is which at random
        out[order[start:start + k[cat]]] = cat
        start += k[cat]
    rest = np.flatnonzero(np.isin(out, ["SD", "PR"]))
    if rest.size:
        out[rest] = rng.permutation(out[rest])
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


def reconstruct(seed: int = DEFAULT_SEED, published: Mapping[str, Any] | None = None) -> Reconstruction:
    """One synthetic cohort (and AE table) meeting the published aggregates; deterministic in ``seed``."""
    tg = published_targets(published)
    rng = np.random.default_rng(seed)
    n = {r: int(tg[f"n.{r}"]) for r in ROLES}
    ongoing = {r: int(tg[f"treatment.ongoing.n.{r}"]) for r in ROLES}
    arms = {
        "treatment": _init_treatment_arm(rng, n["treatment"], _km_targets(tg, "treatment"), ongoing["treatment"]),
        "reference": _init_reference_arm(rng, n["reference"], _km_targets(tg, "reference"), ongoing["reference"]),
    }
    covs = {r: _covariates(rng, tg, r, n[r]) for r in ROLES}
    ages = _ages(rng, tg, n)
    labs = _labs(rng, tg, n)
    cohort, ae = _assemble(rng, tg, arms, covs, ages, labs)
    return Reconstruction(cohort, ae, seed)


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
