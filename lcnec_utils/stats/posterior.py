"""Posterior of a log hazard ratio: the normal approximation and an exact grid over the Cox partial likelihood.

* :func:`normal_posterior`: a normal prior N(μ₀, σ₀²) for the log HR θ
  combined with the normal approximation of the likelihood, N(θ̂, SE²)
  from the Cox fit; the posterior is normal with precision 1/σ₀² + 1/SE²
  and mean (μ₀/σ₀² + θ̂/SE²) / precision (Spiegelhalter, Abrams & Myles
  2004, the normal-normal model).
* :func:`arm_partial_loglik`: the Cox partial log-likelihood of a single
  binary covariate (the arm) with Efron's handling of tied event times
  (Efron 1977; lifelines' and R ``coxph``'s default), for many β at once.
* :func:`grid_posterior`: that likelihood times the normal prior on a fine
  grid of β, normalised by the trapezoidal rule: no normal approximation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class NormalPosterior:
    """A normal distribution of the log HR (prior, approximate likelihood or posterior)."""

    mean: float
    sd: float

    def prob_hr_below(self, hr: float) -> float:
        """P(HR < ``hr``) = Φ((log hr − mean) / sd)."""
        return float(stats.norm.cdf((math.log(hr) - self.mean) / self.sd))

    def hr_quantile(self, q: float) -> float:
        """The ``q`` quantile of the HR, exp(mean + sd Φ⁻¹(q))."""
        return float(math.exp(self.mean + self.sd * stats.norm.ppf(q)))


def normal_posterior(prior_mean: float, prior_sd: float, estimate: float, se: float) -> NormalPosterior:
    """Conjugate normal update of a normal prior by a normal likelihood N(``estimate``, ``se``²)."""
    if not (prior_sd > 0 and se > 0):
        raise ValueError("prior_sd and se must be positive")
    precision = 1.0 / prior_sd**2 + 1.0 / se**2
    mean = (prior_mean / prior_sd**2 + estimate / se**2) / precision
    return NormalPosterior(float(mean), float(math.sqrt(1.0 / precision)))


def _risk_and_death_counts(time, event, treatment) -> tuple[np.ndarray, ...]:
    """n0, n1 at risk and d0, d1 events at each distinct event time."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=int)
    x = np.asarray(treatment, dtype=int)
    order = np.argsort(t, kind="stable")
    t, e, x = t[order], e[order], x[order]
    _uniq, start = np.unique(t, return_index=True)
    n = (len(t) - start).astype(float)
    n1 = np.cumsum(x[::-1])[::-1][start].astype(float)
    d = np.add.reduceat(e, start).astype(float)
    d1 = np.add.reduceat(e * x, start).astype(float)
    keep = d > 0
    return n[keep] - n1[keep], n1[keep], d[keep] - d1[keep], d1[keep]


def arm_partial_loglik(time, event, treatment, beta, chunk: int = 2_000_000) -> np.ndarray:
    """Efron log partial likelihood of the arm-only Cox model at each β of ``beta``.

    With x = 1 for the treatment arm, at each distinct event time with n0, n1
    at risk and d0, d1 events (d = d0 + d1):

        ℓ(β) = Σ_j [ d1_j β − Σ_{l=0}^{d_j−1} log( n0_j + n1_j e^β − (l/d_j)(d0_j + d1_j e^β) ) ].

    Equals lifelines' ``CoxPHFitter().log_likelihood_`` at the estimate and R
    ``coxph(ties = "efron")``'s ``loglik`` at any fixed β (tested).
    """
    beta = np.atleast_1d(np.asarray(beta, dtype=float))
    n0, n1, d0, d1 = _risk_and_death_counts(time, event, treatment)
    d = (d0 + d1).astype(int)
    rows = np.repeat(np.arange(len(d)), d)  # one row per (time, l)
    frac = (np.arange(len(rows)) - np.repeat(np.cumsum(d) - d, d)) / np.repeat(d, d)
    a = n0[rows] - frac * d0[rows]  # reference part of the risk-set sum
    b = n1[rows] - frac * d1[rows]  # treatment part, multiplied by e^β
    out = beta * float(d1.sum())
    step = max(1, chunk // max(1, len(rows)))
    for i in range(0, len(beta), step):
        eb = np.exp(beta[i : i + step])
        out[i : i + step] -= np.log(a[:, None] + b[:, None] * eb[None, :]).sum(axis=0)
    return out


@dataclass(frozen=True)
class GridPosterior:
    """A posterior of the log HR tabulated on a grid: density and cumulative probability."""

    beta: np.ndarray
    density: np.ndarray
    cdf: np.ndarray

    def prob_hr_below(self, hr: float) -> float:
        """P(HR < ``hr``): the cumulative probability interpolated at log(hr)."""
        return float(np.interp(math.log(hr), self.beta, self.cdf, left=0.0, right=1.0))

    def hr_quantile(self, q: float) -> float:
        """The ``q`` quantile of the HR (the cumulative probability inverted by interpolation)."""
        return float(math.exp(np.interp(q, self.cdf, self.beta)))


def grid_posterior(beta: np.ndarray, loglik: np.ndarray, prior_mean: float, prior_sd: float) -> GridPosterior:
    """Likelihood × normal prior on the grid ``beta``, normalised to integrate to 1 (trapezoidal rule)."""
    beta = np.asarray(beta, dtype=float)
    log_post = np.asarray(loglik, dtype=float) + stats.norm.logpdf(beta, prior_mean, prior_sd)
    unnorm = np.exp(log_post - np.max(log_post))
    widths = np.diff(beta)
    pieces = widths * (unnorm[1:] + unnorm[:-1]) / 2
    total = float(pieces.sum())
    cdf = np.concatenate(([0.0], np.cumsum(pieces))) / total
    return GridPosterior(beta, unnorm / total, cdf)
