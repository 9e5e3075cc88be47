"""Targets out of reach: the Cox arm term's interval and p against the SE floor, and the ideal covariate.

:func:`cox_reachable` decides which printed Cox numbers no cohort can meet within tolerance;
:func:`ideal_covariate_se` measures how much room a cohort's order of events leaves the arm term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from lcnec_utils.reconstruct.settings import TOLERANCES
from lcnec_utils.stats.attainable import binary_term_min_se
from lcnec_utils.stats.normal import Z95


def cox_reachable(
    hr: float, lo: float, hi: float, p: float, d_treatment: int, d_reference: int
) -> dict[str, bool | float]:
    """Can each of (CI low, CI high, p) of the arm's Cox term lie within its tolerance
    (:data:`TOLERANCES`) together with the HR within its tolerance?

    With ``d_treatment`` events in the treatment arm and ``d_reference`` in the reference arm
    the arm term's SE(log HR) is at least sqrt(1/d1 + 1/d0) whatever the covariates
    (:func:`lcnec_utils.stats.attainable.binary_term_min_se`); the floor grows as d1 or d0
    falls, so the largest possible counts give the bound. A fine grid over the HR in its
    tolerance and the SE from that floor (to four times it) decides each question; ``se_min``:
    the floor.
    """
    se_min = binary_term_min_se(d_treatment + d_reference, d_treatment)
    hrs = np.linspace(hr - TOLERANCES["cox_hr"], hr + TOLERANCES["cox_hr"], 201)[:, None]
    ses = np.linspace(se_min, 4 * se_min, 601)[None, :]
    lows, highs = hrs * np.exp(-Z95 * ses), hrs * np.exp(Z95 * ses)
    ps = 2 * stats.norm.sf(np.abs(np.log(hrs)) / ses)
    ok_lo = np.abs(lows - lo) <= TOLERANCES["cox_ci"]
    ok_hi = np.abs(highs - hi) <= TOLERANCES["cox_ci"]
    ok_p = np.abs(ps - p) <= TOLERANCES["cox_p"]
    return {
        "ci_low": bool(ok_lo.any()),
        "ci_high": bool(ok_hi.any()),
        "p": bool(ok_p.any()),
        "se_min": se_min,
    }


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
