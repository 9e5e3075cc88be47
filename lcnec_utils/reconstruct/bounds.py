"""Targets out of reach: each Cox term's HR, interval and p against the SE floor, and the ideal covariate.

:func:`term_plan` decides which printed numbers of a Cox term (the arm or a Table 4 covariate) no
cohort can meet within tolerance, and where the reachable ones lie; :func:`ideal_covariate_se`
measures how much room a cohort's order of events leaves the arm term.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lcnec_utils.reconstruct.settings import ROLES, TABLE4, TOLERANCES
from lcnec_utils.reconstruct.targets import COX_TERMS, term_name
from lcnec_utils.stats.attainable import (
    WaldRegion,
    binary_term_se_floor,
    ci_z_range,
    km_rate_most_censored,
    wald_region,
)
from lcnec_utils.stats.normal import Z95, wald_p, z_of_p

#: Table 2's row of each 0/1 covariate term of the Cox models (its count of patients coded 1).
_COUNT_ROW = {"sex": "sex_male"}


@dataclass(frozen=True)
class TermPlan:
    """What a Cox term's printed HR, CI and p allow (:func:`term_plan`): the SE floor and where it
    comes from, and the regions (:class:`~lcnec_utils.stats.attainable.WaldRegion`) of the HR
    alone, with the p, with the CI, and with both, within the tolerances ``tol`` (hr, ci, p)."""

    ep: str
    term: str
    printed: dict[str, float]
    tol: dict[str, float]
    se_min: float
    floor_note: str
    regions: dict[str, WaldRegion]

    @property
    def prefix(self) -> str:
        name = "" if self.term == "treatment" else f".{self.term}"
        return f"{self.ep}.cox_multivariable{name}"

    def reachable(self, stat: str) -> bool:
        """Whether a cohort can meet ``stat`` (hr, p or ci) together with every statistic of higher
        priority (HR, then p, then CI) that can be met at all."""
        if stat == "hr":
            return True
        if stat == "p":
            return self.regions["p"].feasible
        if self.regions["p"].feasible:
            return self.regions["both"].feasible
        return self.regions["ci"].feasible

    def why_not(self, stat: str) -> str:
        """The evidence that ``stat`` is out of reach (empty if it is not)."""
        if self.reachable(stat):
            return ""
        t, tol = self.printed, self.tol
        printed_se = math.log(t["ci_high"] / t["ci_low"]) / (2 * Z95)
        head = f"{self.floor_note}; the printed CI implies SE {printed_se:.3f}. "
        if stat == "p":
            return head + (
                f"With HR within {tol['hr']} of {t['hr']} and SE >= {self.se_min:.3f}, no Wald p lies "
                f"within {tol['p']} of {t['p']} (wald_region)."
            )
        if self.regions["ci"].feasible:
            z_lo, z_hi = ci_z_range(t["hr"], tol["hr"], self.se_min, (t["ci_low"], t["ci_high"]), tol["ci"])
            p_lo, p_hi = max(t["p"] - tol["p"], 0.0), min(t["p"] + tol["p"], 1.0)
            need_lo = 0.0 if p_hi >= 1.0 else z_of_p(p_hi)
            need_hi = math.inf if p_lo <= 0.0 else z_of_p(p_lo)
            return head + (
                f"Where both CI bounds are within {tol['ci']} (HR within {tol['hr']}, SE >= "
                f"{self.se_min:.3f}), |log HR|/SE lies between {z_lo:.3f} and {z_hi:.3f}; the p within "
                f"{tol['p']} of {t['p']} needs it between {need_lo:.3f} and {need_hi:.3f} (ci_z_range, "
                "wald_region): they cannot hold together, and the p is kept."
            )
        return head + (
            f"With HR within {tol['hr']} of {t['hr']} and SE >= {self.se_min:.3f}, no CI has both "
            f"bounds within {tol['ci']} of {t['ci_low']}-{t['ci_high']} (wald_region)."
        )


def _events_bound(tg: Mapping[str, Any], ep: str) -> tuple[int, str]:
    """The most events an endpoint can have: one per patient (PFS); for OS one per patient not on
    treatment at the cut-off (those are alive)."""
    n = int(tg["n.total"])
    if ep == "pfs" or TABLE4["events"][ep] == "all":
        return n, f"at most {n} events"
    alive = sum(int(tg.get(f"treatment.ongoing.n.{r}", 0)) for r in ROLES)
    return (
        n - alive,
        f"at most {n - alive} deaths: the {alive} patients on treatment at the cut-off are alive",
    )


def _floor(tg: Mapping[str, Any], ep: str, term: str) -> tuple[float, str]:
    """The SE floor of a term (0 for a per-unit term) and the sentence that says where it comes from."""
    max_events, why = _events_bound(tg, ep)
    if term in TABLE4["per_unit_terms"]:
        return 0.0, f"{term} is entered per unit ({why}); a per-unit term has no SE floor from counts"
    if term == "treatment":
        alive = {r: int(tg.get(f"treatment.ongoing.n.{r}", 0)) if ep == "os" else 0 for r in ROLES}
        n_with, n_without = (int(tg[f"n.{r}"]) - alive[r] for r in ROLES)
        label = "the arm"
    else:
        row = _COUNT_ROW.get(term, term)
        n_with = int(round(float(tg[f"baseline.{row}.n.total"])))
        n_without = int(tg["n.total"]) - n_with
        label = f"{n_with} patients coded 1, {n_without} coded 0 (Table 2)"
    se, d1, d0 = binary_term_se_floor(n_with, n_without, max_events)
    return se, f"0/1 term, {label}; {why}: SE(log HR) >= sqrt(1/{d1} + 1/{d0}) = {se:.3f}"


def term_plan(tg: Mapping[str, Any], ep: str, term: str) -> TermPlan:
    """The plan of one Cox term of the multivariable model of ``ep`` (``term`` as in the results
    keys: ``treatment`` for the arm, ``sex``, ``age``, ...): its printed numbers, SE floor and
    the regions where its HR, p and CI can hold (tolerances: the arm's for the arm, Table 4's for
    the covariates, ``data/reconstruction_targets.yaml``)."""
    prefix = f"{ep}.cox_multivariable" + ("" if term == "treatment" else f".{term}")
    printed = {s: float(tg[f"{prefix}.{s}"]) for s in ("hr", "ci_low", "ci_high", "p")}
    if term == "treatment":
        tol = {"hr": TOLERANCES["cox_hr"], "ci": TOLERANCES["cox_ci"], "p": TOLERANCES["cox_p"]}
    else:
        tol = {k: float(v) for k, v in TABLE4["tolerances"].items()}
    se_min, note = _floor(tg, ep, term)
    ci = (printed["ci_low"], printed["ci_high"])
    base = {"hr": printed["hr"], "hr_tol": tol["hr"], "se_min": se_min}
    regions = {
        "hr": wald_region(**base),
        "p": wald_region(**base, p=printed["p"], p_tol=tol["p"]),
        "ci": wald_region(**base, ci=ci, ci_tol=tol["ci"]),
        "both": wald_region(**base, ci=ci, ci_tol=tol["ci"], p=printed["p"], p_tol=tol["p"]),
    }
    return TermPlan(ep, term, printed, tol, se_min, note, regions)


def term_plans(tg: Mapping[str, Any]) -> list[TermPlan]:
    """:func:`term_plan` of every term of Table 4 with printed numbers, both endpoints (arm first)."""
    plans = []
    for ep in ("pfs", "os"):
        for term in COX_TERMS:
            name = term_name(term)
            prefix = f"{ep}.cox_multivariable" + ("" if term == "treatment" else f".{name}")
            if all(tg.get(f"{prefix}.{s}") is not None for s in ("hr", "ci_low", "ci_high", "p")):
                plans.append(term_plan(tg, ep, name))
    return plans


def censored_pfs_caps(tg: Mapping[str, Any]) -> dict[str, int | None]:
    """Per arm, the most censored PFS times its printed 12-month PFS rate allows
    (:func:`~lcnec_utils.stats.attainable.km_rate_most_censored` on ``pfs.rate_12m.<role>`` and
    ``n.<role>``); None where the rate prints as no Kaplan-Meier value of the arm."""
    return {r: km_rate_most_censored(float(tg[f"pfs.rate_12m.{r}"]), int(tg[f"n.{r}"])) for r in ROLES}


def on_treatment_progression_free(tg: Mapping[str, Any]) -> list[dict[str, Any]]:
    """How many of the patients on treatment at the cut-off (Table 3's ``treatment.ongoing.n``) can
    also be free of progression, with every arm's 12-month PFS rate as printed and the PFS arm
    term's HR and p within tolerance.

    A patient free of progression at the cut-off has a censored PFS time. Two printed numbers
    limit how many an arm can have, ``k1`` in the treated arm and ``k0`` in the reference arm:

    * its 12-month PFS rate: at most the censorings before 12 months plus the patients still at
      risk at 12 months, over every Kaplan-Meier path that prints as the rate
      (:func:`censored_pfs_caps`; ``rate_allows``);
    * the arm term: with at most n1 - k1 and n0 - k0 PFS events its SE is at least the 0/1 floor
      :func:`~lcnec_utils.stats.attainable.binary_term_se_floor` on those counts (``se_floor``),
      and the printed p must stay reachable with the HR within tolerance (:func:`wald_region`;
      ``se_allows``).

    One row per split (k1, k0) up to the printed counts: the floor; the smallest Wald p with the HR
    within tolerance, from the HR's end farthest from 1 over the floor (``p_min``); the room, the
    largest SE that HR end and the p's far end allow as a share above the floor (``room``,
    negative where there is none); both limits, and ``reachable`` when both allow the split.
    Necessary conditions only: a split they allow may still be out of reach."""
    plan = term_plan(tg, "pfs", "treatment")
    hr, p, tol = plan.printed["hr"], plan.printed["p"], plan.tol
    log_far = max(abs(math.log(hr - tol["hr"])), abs(math.log(hr + tol["hr"])))
    se_max = log_far / z_of_p(min(p + tol["p"], 1.0))
    n = {r: int(tg[f"n.{r}"]) for r in ROLES}
    on = {r: int(tg[f"treatment.ongoing.n.{r}"]) for r in ROLES}
    most = censored_pfs_caps(tg)
    rows = []
    for k1 in range(on["treatment"] + 1):
        for k0 in range(on["reference"] + 1):
            se, _, _ = binary_term_se_floor(
                n["treatment"] - k1, n["reference"] - k0, sum(n.values()) - k1 - k0
            )
            rate_ok = all(
                m is not None and k <= m for k, m in ((k1, most["treatment"]), (k0, most["reference"]))
            )
            se_ok = wald_region(hr, tol["hr"], se, p=p, p_tol=tol["p"]).feasible
            rows.append(
                {
                    "k_treatment": k1,
                    "k_reference": k0,
                    "se_floor": se,
                    "p_min": wald_p(log_far, se),
                    "room": se_max / se - 1.0,
                    "rate_allows": rate_ok,
                    "se_allows": se_ok,
                    "reachable": rate_ok and se_ok,
                }
            )
    return rows


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
    return IdealCovariateBound(hr, se, hr * math.exp(Z95 * se), best[1] - solver.beta * solver.g, True)


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
        prev, rank = None, 0
        counts = {}
        for k in order:
            tt = ev_times[k]
            rank = rank + 1 if tt == prev else 0
            prev = tt
            counts[tt] = counts.get(tt, 0) + 1
            frac[k] = rank
        dsize = np.array([counts[tt] for tt in ev_times], dtype=float)
        self.A = at_risk - (frac / dsize)[:, None] * tied
        self.ev = ev_idx


class IdealCovariateSolver:
    """One local solve of :func:`ideal_covariate_se`'s problem on fixed times, from a given start.

    The unknown is x = beta * arm + s, each patient's log weight (x_0 = 0 fixes the free
    location: the partial likelihood is unchanged by adding a constant to every x);
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
        constraints = [
            {"type": "eq", "fun": lambda x: self.pieces(x)[2], "jac": lambda x: self.pieces(x)[3]},
            {"type": "eq", "fun": lambda x: x[:1], "jac": lambda x: first[None, :]},
        ]
        res = minimize(
            lambda x: self.pieces(x)[0],
            x0,
            jac=lambda x: self.pieces(x)[1],
            method="SLSQP",
            constraints=constraints,
            bounds=[(-12.0, 12.0)] * n,
            options={"maxiter": maxiter, "ftol": 1e-12},
        )
        var, _, U, _ = self.pieces(res.x)
        return float(var), res.x.copy(), bool(np.abs(U).max() < 1e-7) and var < 1e6
