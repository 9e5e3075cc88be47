"""The robust (sandwich) variance of a weighted Cox model with tied event times handled as R does.

lifelines' ``CoxPHFitter(robust=True)`` builds the sandwich from score residuals that
treat tied event times as if they were ordered (its source says so: "doesn't handle
ties"), so with ties its robust SE is not R's. :func:`cox_score_residuals` computes the
score residuals of the Efron (or Breslow) partial likelihood with case weights, as R's
``residuals(coxph, type = "score")`` (Therneau & Grambsch 2000, sec. 7.2; survival's
``coxscore`` routine), and :func:`robust_variance` the sandwich D'D of the weighted dfbeta
residuals D = w · U · V (Lin & Wei 1989), which is ``vcov(coxph(..., weights = w,
robust = TRUE))``.
"""

from __future__ import annotations

import numpy as np


def cox_score_residuals(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    beta: np.ndarray,
    weights: np.ndarray | None = None,
    ties: str = "efron",
) -> np.ndarray:
    """Per-subject score residuals (n × p) of a Cox model at ``beta``, tied deaths by ``ties``.

    At an event time with d deaths D and risk set R, the Efron denominators are
    S0_k = Σ_R w r − (k/d) Σ_D w r (k = 0..d−1; Breslow: k/d replaced by 0), the
    hazard increments dΛ_k = w̄_D / S0_k (w̄_D the deaths' mean weight) and the
    means x̄_k = (Σ_R w r x − (k/d) Σ_D w r x) / S0_k. A death i collects
    Σ_k (x_i − x̄_k)/d − r_i Σ_k (1 − k/d) dΛ_k (x_i − x̄_k); any other subject at
    risk collects − r_i Σ_k dΛ_k (x_i − x̄_k). The residuals are not multiplied by
    the weights (R's ``residuals(type = "score")``).
    """
    t = np.asarray(time, float)
    e = np.asarray(event, float) > 0
    x = np.atleast_2d(np.asarray(x, float).T).T
    w = np.ones(len(t)) if weights is None else np.asarray(weights, float)
    r = np.exp(x @ np.asarray(beta, float).reshape(-1))
    resid = np.zeros_like(x)
    for s in np.unique(t[e]):
        at_risk, dead = t >= s, (t == s) & e
        d = int(dead.sum())
        wr = w * r
        s0, s1 = wr[at_risk].sum(), (wr[at_risk, None] * x[at_risk]).sum(0)
        s0_d, s1_d = wr[dead].sum(), (wr[dead, None] * x[dead]).sum(0)
        mean_w = w[dead].mean()
        for k in range(d):
            frac = k / d if ties == "efron" else 0.0
            denom = s0 - frac * s0_d
            dh = mean_w / denom
            xbar = (s1 - frac * s1_d) / denom
            diff = x - xbar
            resid[dead] += diff[dead] / d - r[dead, None] * (1 - frac) * dh * diff[dead]
            others = at_risk & ~dead
            resid[others] -= r[others, None] * dh * diff[others]
    return resid


def robust_variance(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    beta: np.ndarray,
    model_variance: np.ndarray,
    weights: np.ndarray | None = None,
    ties: str = "efron",
) -> np.ndarray:
    """The sandwich variance D'D, D = diag(w) · U · V with U the :func:`cox_score_residuals`
    and V = ``model_variance`` (the inverse information of the weighted partial likelihood):
    R's ``coxph(..., weights = w, robust = TRUE)`` variance (Lin & Wei 1989)."""
    u = cox_score_residuals(time, event, x, beta, weights, ties)
    w = np.ones(len(u)) if weights is None else np.asarray(weights, float)
    dfbeta = (w[:, None] * u) @ np.atleast_2d(model_variance)
    return dfbeta.T @ dfbeta
