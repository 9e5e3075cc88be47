"""The Weibull mixture cure model: fit, profile-likelihood interval of the cure fraction, and the
follow-up that tells whether a plateau can be seen at all.

The mixture cure model (Boag 1949; Berkson & Gage 1952; Farewell 1982) writes the population
survival as S(t) = c + (1 − c) S_u(t): a fraction c is cured (never has the event) and the
others follow S_u, here Weibull, S_u(t) = exp(−(t/λ)^ρ). With events δ_i at times t_i its
log-likelihood is

    ℓ(c, λ, ρ) = Σ_{δ=1} [log(1 − c) + log f_u(t_i)] + Σ_{δ=0} log(c + (1 − c) S_u(t_i)),

f_u(t) = (ρ/λ)(t/λ)^{ρ−1} S_u(t), written out in :func:`weibull_cure_loglik`. It is the
likelihood of lifelines' ``MixtureCureFitter`` with a ``WeibullFitter`` base (the tests check
it at lifelines' estimates); :func:`fit_weibull_cure` maximises it through the profile
likelihood, which reaches lifelines' maximum, R ``optim``'s and scipy's on the full likelihood.

The interval of c is the profile-likelihood interval {c : 2(ℓ̂ − ℓ_p(c)) ≤ χ²₁(1 − α)},
ℓ_p(c) = max over (λ, ρ) of ℓ(c, λ, ρ). It lies in [0, 1] by construction and, unlike a Wald
interval (lifelines reports c ± z·SE, which leaves [0, 1]), stays meaningful when ĉ is on the
boundary 0, where the information matrix says nothing about c. With ĉ = 0 the likelihood-ratio
statistic has the 50:50 mixture of χ²₀ and χ²₁ as null distribution (Self & Liang 1987), so the
χ²₁ cut-off makes the upper limit conservative there.

A plateau, and hence c, is identified by the data only if patients are followed well beyond
the last event (Maller & Zhou 1996): :func:`plateau_evidence` counts them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from lcnec_utils.stats.survival import km_curve, reverse_km_followup

#: Smallest time the Weibull fit sees: a time of 0 (allowed by the data contract) has no
#: Weibull density, so it enters as this many months.
MIN_TIME = 1e-3
#: The cure fraction is held this far inside (0, 1) when profiling (log(0) and log(1 − 1)).
EDGE = 1e-9
#: Cure fractions at which :func:`fit_weibull_cure` first evaluates the profile likelihood.
START_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99)
#: A profile likelihood lower here than at c = 0 puts the maximum on the boundary c = 0.
BOUNDARY_STEP = 1e-6


@dataclass(frozen=True)
class CureFit:
    """A Weibull mixture cure fit: cure fraction c, Weibull scale λ (months) and shape ρ, log-likelihood."""

    cure_fraction: float
    scale: float
    shape: float
    loglik: float
    n: int
    events: int

    def survival(self, times) -> np.ndarray:
        """Population survival c + (1 − c) exp(−(t/λ)^ρ) at ``times``."""
        return population_survival(times, self.cure_fraction, self.scale, self.shape)


@dataclass(frozen=True)
class CureInterval:
    """Profile-likelihood interval of the cure fraction at level 1 − alpha."""

    low: float
    high: float
    alpha: float
    cutoff: float  # χ²₁(1 − alpha)


@dataclass(frozen=True)
class PlateauEvidence:
    """How far follow-up reaches beyond the last event: what a plateau would need to be seen."""

    last_event: float | None
    last_followup: float
    followup_after_last_event: float | None
    censored_after_last_event: int
    km_at_last_event: float | None
    median_followup: float | None  # reverse Kaplan-Meier (Schemper & Smith 1996)
    #: months beyond the last event of each patient censored after it, longest first
    beyond_last_event: tuple[float, ...] = ()

    def followed_beyond(self, months: float) -> int:
        """Patients censored at least ``months`` beyond the last event."""
        return sum(1 for gap in self.beyond_last_event if gap >= months - 1e-9)


def population_survival(times, cure_fraction: float, scale: float, shape: float) -> np.ndarray:
    """c + (1 − c) exp(−(t/λ)^ρ)."""
    t = np.asarray(times, dtype=float)
    return cure_fraction + (1 - cure_fraction) * np.exp(-((t / scale) ** shape))


def _clean(time, event) -> tuple[np.ndarray, np.ndarray]:
    t = np.maximum(np.asarray(time, dtype=float), MIN_TIME)
    return t, np.asarray(event, dtype=int)


def log_mixture_survival(cure_fraction: float, u) -> np.ndarray:
    """log(c + (1 − c) e^(−u)), a censored patient's term of the log-likelihood, as a log-sum-exp of
    log c and log(1 − c) − u.

    Written out naively, e^(−u) underflows to 0 once u exceeds about 745 (a censoring far beyond
    the Weibull scale under a steep shape), and at c = 0 the log of 0 is −∞ where the exact value
    is −u; the log-sum-exp is finite wherever the value is, and equal to the naive form where that
    is finite. It is the form of ``log_mix`` in ``tests/r/cure_competing_reference.R``.
    """
    c = float(cure_fraction)
    with np.errstate(divide="ignore"):  # c = 1: log(1 − c) = −∞, the uncured term vanishes
        log_uncured = np.log1p(-c) - np.asarray(u, dtype=float)
    if c <= 0:
        return log_uncured
    log_cured = math.log(c)
    top = np.maximum(log_cured, log_uncured)
    return top + np.log1p(np.exp(-np.abs(log_cured - log_uncured)))


def weibull_cure_loglik(cure_fraction: float, scale: float, shape: float, time, event) -> float:
    """ℓ(c, λ, ρ) of the module docstring, written out (times below :data:`MIN_TIME` raised to it;
    the censored terms by :func:`log_mixture_survival`, finite where e^(−u) underflows)."""
    t, e = _clean(time, event)
    u = (t / scale) ** shape
    log_f = math.log(shape) - shape * math.log(scale) + (shape - 1) * np.log(t) - u
    with np.errstate(divide="ignore"):
        died = math.log1p(-cure_fraction) + log_f[e == 1]
    alive = log_mixture_survival(cure_fraction, u[e == 0])
    return float(died.sum() + alive.sum())


def _negloglik_and_gradient(theta: np.ndarray, c: float, t: np.ndarray, e: np.ndarray, log_t: np.ndarray):
    """−ℓ and its gradient in (log λ, log ρ) at a fixed cure fraction c (the profile's inner problem)."""
    a, b = theta
    rho = math.exp(b)
    z = log_t - a
    u = np.exp(rho * z)
    dead, cens = e == 1, e == 0
    ll = dead.sum() * math.log1p(-c) + np.sum(b - rho * a + (rho - 1) * log_t[dead] - u[dead])
    log_mix = log_mixture_survival(c, u[cens])
    ll += np.sum(log_mix)
    # the share of a censored patient's likelihood that is the uncured's, (1 − c) S_u / (c + (1 − c) S_u)
    w = np.exp(math.log1p(-c) - u[cens] - log_mix)
    grad_a = np.sum(-rho + rho * u[dead]) + np.sum(w * rho * u[cens])
    grad_b = np.sum(1 + rho * z[dead] * (1 - u[dead])) - np.sum(w * u[cens] * rho * z[cens])
    return -ll, -np.array([grad_a, grad_b])


def profile_loglik(cure_fraction: float, time, event, start: tuple[float, float] | None = None):
    """ℓ_p(c) = max over (λ, ρ) of ℓ(c, λ, ρ) by BFGS on (log λ, log ρ) with the analytic gradient.

    Returns (ℓ_p(c), λ, ρ). ``start`` is a (λ, ρ) to start from (the fit's, by default the
    median time and 1).
    """
    t, e = _clean(time, event)
    log_t = np.log(t)
    c = min(max(float(cure_fraction), 0.0), 1 - EDGE)
    x0 = np.log(start) if start is not None else np.array([float(np.median(log_t)), 0.0])
    res = optimize.minimize(
        _negloglik_and_gradient, x0, args=(c, t, e, log_t), jac=True, method="BFGS", options={"gtol": 1e-9}
    )
    return -float(res.fun), math.exp(res.x[0]), math.exp(res.x[1])


def fit_weibull_cure(time, event) -> CureFit | None:
    """The Weibull mixture cure model by maximum likelihood, c in [0, 1]; None without any event (c is
    then not estimable: every patient could be cured).

    The maximum of the profile log-likelihood ℓ_p(c) (:func:`profile_loglik`): evaluated on
    :data:`START_GRID`, then refined by bounded Brent search around the best grid point, unless
    the grid's best is c = 0 and ℓ_p falls from there (ĉ = 0, on the boundary). lifelines'
    ``MixtureCureFitter`` with a ``WeibullFitter`` base maximises the same likelihood and reaches
    the same maximum (the tests check it, and R ``optim``); it is not called here because its
    Nelder-Mead start takes several times as long as this search.
    """
    t, e = _clean(time, event)
    if e.sum() == 0:
        return None
    start = None
    grid = []
    for c in START_GRID:
        ll, scale, shape = profile_loglik(c, t, e, start)
        grid.append((ll, c, scale, shape))
        start = (scale, shape)
    k = max(range(len(grid)), key=lambda i: grid[i][0])
    ll, c, scale, shape = grid[k]
    if k == 0 and profile_loglik(BOUNDARY_STEP, t, e, (scale, shape))[0] <= ll:
        return CureFit(0.0, scale, shape, ll, len(t), int(e.sum()))  # falling from c = 0: ĉ = 0
    low = START_GRID[max(k - 1, 0)]
    high = START_GRID[k + 1] if k + 1 < len(START_GRID) else 1 - EDGE
    res = optimize.minimize_scalar(
        lambda x: -profile_loglik(x, t, e, (scale, shape))[0],
        bounds=(low, high),
        method="bounded",
        options={"xatol": 1e-10},
    )
    if -res.fun > ll:
        ll, scale, shape = profile_loglik(res.x, t, e, (scale, shape))
        c = float(res.x)
    return CureFit(float(c), scale, shape, ll, len(t), int(e.sum()))


def cure_fraction_interval(time, event, fit: CureFit, alpha: float = 0.05) -> CureInterval:
    """Profile-likelihood interval of the cure fraction (module docstring), by Brent's root search of
    2(ℓ̂ − ℓ_p(c)) = χ²₁(1 − alpha) on each side of ĉ; a side whose end (0 or 1) stays inside
    the interval is that end."""
    cutoff = float(stats.chi2.ppf(1 - alpha, 1))
    start = (fit.scale, fit.shape)
    top = max(fit.loglik, profile_loglik(fit.cure_fraction, time, event, start)[0])

    def excess(c: float) -> float:
        return 2 * (top - profile_loglik(c, time, event, start)[0]) - cutoff

    c_hat = fit.cure_fraction
    low = 0.0 if c_hat <= EDGE or excess(0.0) <= 0 else optimize.brentq(excess, 0.0, c_hat, xtol=1e-10)
    hi_end = 1 - EDGE
    high = hi_end if excess(hi_end) <= 0 else optimize.brentq(excess, max(c_hat, EDGE), hi_end, xtol=1e-10)
    return CureInterval(float(low), float(high), alpha, cutoff)


def plateau_evidence(time, event) -> PlateauEvidence:
    """The last event, the last follow-up, the months and patients (censored) beyond the last event,
    the Kaplan-Meier estimate at the last event, the reverse Kaplan-Meier median follow-up and each
    censored patient's months beyond the last event."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=int)
    if e.sum() == 0:
        return PlateauEvidence(None, float(t.max()), None, int((e == 0).sum()), None, None)
    last = float(t[e == 1].max())
    curve = km_curve(t, e)
    after = (e == 0) & (t > last)
    return PlateauEvidence(
        last,
        float(t.max()),
        float(t.max() - last),
        int(after.sum()),
        float(curve.survival[-1]),
        reverse_km_followup(t, e).median,
        tuple(sorted((float(x - last) for x in t[after]), reverse=True)),
    )
