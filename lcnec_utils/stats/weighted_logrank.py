"""Fleming-Harrington weighted log-rank tests and the max-combo test of several of them.

The G(ρ, γ) statistic of Fleming & Harrington (1991; Harrington &
Fleming 1982 for γ = 0) weights each event time t_j by
w_j = Ŝ(t_j−)^ρ (1 − Ŝ(t_j−))^γ, Ŝ(t−) the Kaplan-Meier estimate of the two
arms pooled, just before t_j (left-continuous, so the first weight of an
FH(ρ, γ > 0) test is 0). With O_j, E_j the observed and expected events of the
treatment arm at t_j,

    U = Σ_j w_j (d_1j − d_j n_1j / n_j),
    V = Σ_j w_j² d_j (n_j − d_j) n_1j n_0j / (n_j² (n_j − 1)),

Z = U / √V and χ² = Z² (1 df). FH(0, 0) is the log-rank test; FH(ρ, 0)
equals R ``survdiff(rho = ρ)`` (tested to 1e-6). Two statistics of the same
data are sums over the same hypergeometric terms and have covariance
Σ_j w_aj w_bj v_j, so their correlation is known; the max-combo test
(Karrison 2016; Lin et al. 2020) uses it: p = P(max_k |Z_k| ≥ observed)
under the joint normal N(0, R) of the standardised statistics, computed by
scipy's ``multivariate_normal.cdf`` (Genz's randomised quasi-Monte Carlo;
seeded, so deterministic).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: Error bound of the max-combo p: three standard errors of scipy's randomised QMC
#: estimate (its ``abseps``). 1e-5 costs about 3 s per p-value, 1e-4 about 0.15 s.
MVN_ABSEPS = 1e-4

#: The four tests of the max-combo test of Lin et al. (2020): (ρ, γ).
MAX_COMBO_WEIGHTS: tuple[tuple[float, float], ...] = ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0))


@dataclass(frozen=True)
class WeightedLogrank:
    """One FH(ρ, γ) test: U (weighted observed minus expected in the treatment arm), V, Z, χ², p."""

    rho: float
    gamma: float
    u: float
    variance: float
    z: float
    chi2: float
    p: float

    @property
    def label(self) -> str:
        return fh_label(self.rho, self.gamma)


@dataclass(frozen=True)
class MaxCombo:
    """The max-combo test: the component tests, their correlation, max |Z| and its p-value."""

    tests: tuple[WeightedLogrank, ...]
    correlation: np.ndarray
    z_max: float
    p: float


def fh_label(rho: float, gamma: float) -> str:
    """``FH(1,0)``-style label of a weight."""
    return f"FH({rho:g},{gamma:g})"


def event_time_table(time, event, treatment) -> pd.DataFrame:
    """One row per distinct event time: n, n1 (treatment arm at risk), d, d1, pooled S(t−), O − E, v.

    ``surv_before`` is the pooled Kaplan-Meier estimate just before the time;
    ``o_minus_e`` = d1 − d·n1/n; ``v`` = d (n − d) n1 n0 / (n² (n − 1)), 0 when
    n = 1. Censored times tied with an event time count as at risk (events
    before censorings, as Kaplan-Meier).
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=int)
    g = np.asarray(treatment, dtype=int)
    if not (t.shape == e.shape == g.shape):
        raise ValueError("time, event and treatment must have the same length")
    order = np.argsort(t, kind="stable")
    t, e, g = t[order], e[order], g[order]
    uniq, start = np.unique(t, return_index=True)
    n_at = len(t) - start
    n1_at = np.cumsum(g[::-1])[::-1][start]
    d = np.add.reduceat(e, start) if len(t) else np.array([], int)
    d1 = np.add.reduceat(e * g, start) if len(t) else np.array([], int)
    keep = d > 0
    uniq, n_at, n1_at, d, d1 = uniq[keep], n_at[keep], n1_at[keep], d[keep], d1[keep]
    n, n1 = n_at.astype(float), n1_at.astype(float)
    surv_after = np.cumprod(1.0 - d / n)
    surv_before = np.concatenate(([1.0], surv_after[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(n > 1, d * (n - d) * n1 * (n - n1) / (n**2 * (n - 1)), 0.0)
    return pd.DataFrame(
        {
            "time": uniq,
            "n": n_at,
            "n1": n1_at,
            "d": d,
            "d1": d1,
            "surv_before": surv_before,
            "o_minus_e": d1 - d * n1 / n,
            "v": v,
        }
    )


def fh_weights(surv_before, rho: float, gamma: float) -> np.ndarray:
    """Ŝ(t−)^ρ (1 − Ŝ(t−))^γ, with 0^0 = 1 (so FH(0, 0) weighs every time 1)."""
    s = np.asarray(surv_before, dtype=float)
    return np.power(s, rho) * np.power(1.0 - s, gamma)


def _test(table: pd.DataFrame, rho: float, gamma: float) -> WeightedLogrank:
    w = fh_weights(table["surv_before"].to_numpy(), rho, gamma)
    u = float(np.sum(w * table["o_minus_e"].to_numpy()))
    var = float(np.sum(w**2 * table["v"].to_numpy()))
    if not var > 0:
        return WeightedLogrank(rho, gamma, u, var, math.nan, math.nan, math.nan)
    z = u / math.sqrt(var)
    return WeightedLogrank(rho, gamma, u, var, z, z * z, float(2 * stats.norm.sf(abs(z))))


def fleming_harrington(time, event, treatment, rho: float = 0.0, gamma: float = 0.0) -> WeightedLogrank:
    """The FH(ρ, γ) weighted log-rank test of treatment (1) against reference (0).

    Negative U and Z: fewer treatment-arm events than expected under no
    difference. Z, χ² and p are NaN when the variance is 0 (no event, or one
    arm empty at every event time).
    """
    return _test(event_time_table(time, event, treatment), rho, gamma)


def weighted_logrank_covariance(table: pd.DataFrame, weights=MAX_COMBO_WEIGHTS) -> np.ndarray:
    """Covariance matrix of the U statistics of ``weights``: Σ_j w_aj w_bj v_j."""
    w = np.vstack([fh_weights(table["surv_before"].to_numpy(), r, g) for r, g in weights])
    return (w * table["v"].to_numpy()) @ w.T


def max_combo(time, event, treatment, weights=MAX_COMBO_WEIGHTS, seed: int = 20250101) -> MaxCombo:
    """Max-combo test: p = P(max_k |Z_k| ≥ z_max) under N(0, R), R the statistics' correlation.

    Two-sided, like every test of this book. ``1 - P(|Z_k| < z_max for all k)``
    by ``scipy.stats.multivariate_normal.cdf`` over the box [−z_max, z_max]^K
    (Genz's quasi-Monte Carlo to an absolute error of :data:`MVN_ABSEPS`,
    generator seeded with ``seed``). A component with zero variance leaves the combination; p is NaN
    when none is left.
    """
    table = event_time_table(time, event, treatment)
    tests = tuple(_test(table, r, g) for r, g in weights)
    cov = weighted_logrank_covariance(table, weights)
    usable = [i for i, t in enumerate(tests) if t.variance > 0]
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(sd, sd)
    if not usable:
        return MaxCombo(tests, corr, math.nan, math.nan)
    z_max = max(abs(tests[i].z) for i in usable)
    sub = corr[np.ix_(usable, usable)]
    p = max_abs_normal_tail(z_max, sub, seed)
    return MaxCombo(tests, corr, float(z_max), p)


def max_abs_normal_tail(z_max: float, correlation: np.ndarray, seed: int = 20250101) -> float:
    """P(max_k |Z_k| ≥ z_max) for Z ~ N(0, ``correlation``) (scipy, Genz QMC, seeded)."""
    k = correlation.shape[0]
    if k == 1:
        return float(2 * stats.norm.sf(z_max))
    limit = np.full(k, float(z_max))
    inside = stats.multivariate_normal.cdf(
        limit,
        mean=np.zeros(k),
        cov=correlation,
        allow_singular=True,
        abseps=MVN_ABSEPS,
        releps=0.0,
        lower_limit=-limit,
        rng=np.random.default_rng(seed),
    )
    return float(min(1.0, max(0.0, 1.0 - inside)))
