"""Small-sample Cox regression: events per variable, bootstrap of the arm's HR, penalised and reduced models.

What a 12-term Cox model on 25-31 events can and cannot say. The point
estimates come from :mod:`lcnec_utils.stats.cox` (lifelines for the ordinary and
ridge models, ``firthmodels`` for Firth's model), events per variable from
:func:`lcnec_utils.stats.attainable.events_per_variable`; this module adds

* :func:`bootstrap_arm_hr`: the bootstrap distribution of the arm's hazard
  ratio under the full model (case resampling within arm, percentile CI,
  Efron & Tibshirani 1993), with the share of resamples whose model did not
  converge reported, never hidden;
* :func:`comparison_table`: full, Firth, ridge and a reduced pre-specified
  model side by side.

The bootstrap needs 1,000 Cox fits; lifelines takes 0.05-0.15 s per fit of
the 12-term model, so the resamples are fitted together by
:func:`batch_cox_efron`, a vectorised Newton-Raphson on the Efron partial
likelihood with frequency weights (a resample is the original rows with
multinomial counts as weights). It reproduces lifelines' Efron estimates to
1e-6 (``tests/test_methods.py``).
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.methods.model_name import arm_and, fitted_model
from lcnec_utils.methods.sampling import bootstrap_plan
from lcnec_utils.stats import cox
from lcnec_utils.stats.format import (
    NA_TEXT,
    ci_label,
    format_bootstrap_ci,
    format_hr_ci,
    format_p,
    format_pct,
    format_value,
)

#: The reduced model's covariates, chosen from subject knowledge, not from any test: age and ECOG
#: performance status are established prognostic factors in advanced lung cancer and plausible
#: reasons for a physician to offer or withhold an ICI, so each can confound the arm's effect. (A
#: baseline significance test is no criterion: choosing a confounder by its Table 2 p-value is
#: choosing by a p-value.) Three terms: about 10 events per variable for progression, fewer for death.
REDUCED_COVARIATES = ["age", "ecog"]

#: An estimated |log HR| above this marks a resample as diverging (separation,
#: monotone likelihood): HR beyond 1/22,000 or 22,000.
MAX_ABS_COEF = 10.0


@dataclass
class BatchCoxFit:
    """Coefficients of B weighted Cox fits of the same rows (one per row of ``weights``)."""

    coef: np.ndarray  # (B, p)
    converged: np.ndarray  # (B,) bool: Newton steps settled and no |coef| ever above max_abs_coef
    settled: np.ndarray  # (B,) bool: the last Newton step was below tol
    constant_terms: np.ndarray  # (B, p) bool: term constant in that resample (coefficient fixed at 0)
    iterations: int


def _revcumsum(a: np.ndarray) -> np.ndarray:
    return np.flip(np.cumsum(np.flip(a, axis=1), axis=1), axis=1)


class _EfronLikelihood:
    """Efron's log partial likelihood of the rows under B frequency weightings, and its derivatives.

    The rows are sorted by time once; the "groups" are the distinct times at
    which the original data have an event. Every method takes the coefficients
    ``beta`` (b, p) of the weightings ``s`` (indices into the B rows of weights).
    """

    def __init__(self, X: np.ndarray, time: np.ndarray, event: np.ndarray, weights: np.ndarray):
        X = np.asarray(X, dtype=float)
        t = np.asarray(time, dtype=float)
        d = np.asarray(event, dtype=float)
        W = np.atleast_2d(np.asarray(weights, dtype=float))
        order = np.argsort(t, kind="stable")
        self.X, t, self.d, self.W = X[order], t[order], d[order], W[:, order]
        _, self.starts = np.unique(t, return_index=True)
        self.ev_group = np.add.reduceat(self.d, self.starts) > 0
        self.g_starts = self.starts[self.ev_group]
        g_times = t[self.g_starts]
        # row -> last group at or before its time (risk-set membership), row -> its own group
        self.upto = np.searchsorted(g_times, t, side="right") - 1
        self.own = np.where(self.d > 0, np.searchsorted(g_times, t), 0)
        self.Wd = self.W * self.d
        m = np.add.reduceat(self.Wd, self.starts, axis=1)[:, self.ev_group]  # tied events per group (B, G)
        self.K = int(m.max()) if m.size else 0
        self.c_k = [np.where(m > 0, k / np.where(m > 0, m, 1), 0.0) for k in range(self.K)]
        self.active_k = [(k < m) for k in range(self.K)]
        self.score_const = self.Wd @ self.X  # (B, p)
        self.n_events = self.Wd.sum(axis=1)
        # a term is constant in a weighting if its weighted variance is 0: no information
        wsum = self.W.sum(axis=1, keepdims=True)
        mean = (self.W @ self.X) / wsum
        var = (self.W @ (self.X**2)) / wsum - mean**2
        self.const = var <= 1e-12 * np.maximum(1.0, mean**2)

    def risk_sums(self, beta: np.ndarray, s: np.ndarray):
        """Linear predictor, its row-wise shift, weighted risks, and their sums over each
        group's risk set (S0) and tied events (D0)."""
        eta = beta @ self.X.T  # (b, n)
        shift = eta.max(axis=1, keepdims=True)
        r = self.W[s] * np.exp(eta - shift)
        S0 = _revcumsum(r)[:, self.g_starts]
        D0 = np.add.reduceat(r * self.d, self.starts, axis=1)[:, self.ev_group]
        return eta, shift[:, 0], r, S0, D0

    def loglik(self, beta: np.ndarray, s: np.ndarray) -> np.ndarray:
        eta, shift, _, S0, D0 = self.risk_sums(beta, s)
        ll = (self.Wd[s] * eta).sum(axis=1) - shift * self.n_events[s]
        for k in range(self.K):
            den = np.where(self.active_k[k][s], S0 - self.c_k[k][s] * D0, 1.0)
            ll -= np.log(den).sum(axis=1)
        return ll

    def derivatives(self, beta: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Score (b, p) and information (b, p, p)."""
        # Efron: sum_g sum_k [(S2 - c D2)/den - mean1 mean1'] with den = S0 - c D0.
        # The S2/D2 parts are collapsed onto the rows, X' diag(v) X, so no (B, n, p, p) array.
        X, d, p = self.X, self.d, self.X.shape[1]
        _, _, r, S0, D0 = self.risk_sums(beta, s)
        rX = r[:, :, None] * X[None]
        S1 = _revcumsum(rX)[:, self.g_starts]
        D1 = np.add.reduceat(rX * d[None, :, None], self.starts, axis=1)[:, self.ev_group]
        A = np.zeros_like(S0)
        C = np.zeros_like(S0)
        outer = np.zeros((len(s), p, p))
        for k in range(self.K):
            act, ck = self.active_k[k][s], self.c_k[k][s]
            den = np.where(act, S0 - ck * D0, 1.0)
            a = act / den
            A += a
            C += a * ck
            mean1 = (S1 - ck[..., None] * D1) / den[..., None]
            outer += np.matmul((act[..., None] * mean1).transpose(0, 2, 1), mean1)
        cumA = np.concatenate([np.zeros((len(s), 1)), np.cumsum(A, axis=1)], axis=1)[:, self.upto + 1]
        v = r * cumA - r * d * C[:, self.own]
        grad = self.score_const[s] - v @ X
        info = np.matmul((v[:, :, None] * X[None]).transpose(0, 2, 1), X) - outer
        return grad, info


def _solve(info: np.ndarray, grad: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(info, grad[..., None])[..., 0]
    except np.linalg.LinAlgError:  # a singular resample: one at a time, least squares
        return np.stack([np.linalg.lstsq(a, g, rcond=None)[0] for a, g in zip(info, grad)])


def _newton_step(
    lik: _EfronLikelihood, beta: np.ndarray, ll: np.ndarray, s: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Newton-Raphson step for the weightings ``s``: the step, the new log-likelihood and
    which fits had a non-finite score or information.

    Constant terms keep a zero step; a step longer than 5 in some coefficient is
    shortened to 5 (as firthmodels' ``max_step``), then halved (at most 8 times)
    while the likelihood drops.
    """
    eye = np.eye(beta.shape[1])
    keep = ~lik.const[s]
    grad, info = lik.derivatives(beta, s)
    grad = np.where(keep, grad, 0.0)
    info = info * (keep[:, :, None] & keep[:, None, :]) + eye * lik.const[s][:, :, None]
    bad = ~(np.isfinite(info).all(axis=(1, 2)) & np.isfinite(grad).all(axis=1))
    info[bad] = eye
    grad[bad] = 0.0
    step = _solve(info, grad)
    step = np.where(np.isfinite(step), step, 0.0)
    big = np.abs(step).max(axis=1, keepdims=True)
    step = np.where(big > 5.0, step * 5.0 / np.maximum(big, 1e-300), step)
    new_ll = lik.loglik(beta + step, s)
    for _ in range(8):
        worse = new_ll < ll - 1e-8 * np.maximum(1.0, np.abs(ll))
        if not worse.any():
            break
        step[worse] *= 0.5
        new_ll = np.where(worse, lik.loglik(beta + step, s), new_ll)
    return step, new_ll, bad


def batch_cox_efron(
    X: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    weights: np.ndarray,
    max_iter: int = 25,
    tol: float = 1e-7,
    max_abs_coef: float = MAX_ABS_COEF,
) -> BatchCoxFit:
    """Cox partial likelihood, Efron's ties, frequency weights, B fits at once.

    ``weights`` (B, n) are non-negative integer counts: a fit equals the
    ordinary Efron fit of the data with row i repeated ``weights[b, i]`` times
    (the Efron correction counts the repeated events as tied events), which is
    what lifelines ``CoxPHFitter`` (Efron 1977; R ``coxph``) gives on the
    expanded data. Newton-Raphson with step halving; a term constant among the
    rows with positive weight has no information and is held at 0 (R
    ``coxph`` reports NA for it). A fit counts as converged when the largest
    Newton step falls below ``tol`` within ``max_iter`` iterations and no
    coefficient exceeds ``max_abs_coef`` in absolute value; under monotone
    likelihood (separation) a coefficient walks off to infinity by about one
    unit per step, so such a fit is stopped there and flagged (its
    coefficients are then meaningless). Only the resamples still iterating
    are computed at each step.
    """
    lik = _EfronLikelihood(X, time, event, weights)
    B, p = lik.W.shape[0], lik.X.shape[1]
    beta = np.zeros((B, p))
    settled = np.zeros(B, dtype=bool)
    diverged = np.zeros(B, dtype=bool)
    ll = lik.loglik(beta, np.arange(B))
    it = 0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):  # noqa: B007 - the count of iterations is returned
            s = np.flatnonzero(~settled & ~diverged)
            if s.size == 0:
                break
            step, new_ll, bad = _newton_step(lik, beta[s], ll[s], s)
            beta[s] += step
            ll[s] = new_ll
            settled[s] = np.abs(step).max(axis=1) < tol
            # monotone likelihood: a coefficient walking off to infinity; stop it there
            diverged[s] = bad | (np.abs(beta[s]).max(axis=1) > max_abs_coef)
    converged = settled & ~diverged
    return BatchCoxFit(beta, converged, settled, lik.const, it)


#: An arm HR beyond this factor (below 1/20 or above 20) in a resample marks a fit near non-estimability.
EXTREME_HR = 20.0


@dataclass
class BootstrapResult:
    """Bootstrap distribution of the arm's HR under one Cox model."""

    endpoint: str
    covariates: list[str]
    terms: list[str]
    B: int
    seed: int
    hr: float | None  # the fit on the original data (lifelines)
    ci_low: float | None  # percentile interval over the converged resamples
    ci_high: float | None
    median_hr: float | None
    hr_samples: np.ndarray  # arm's HR of the converged resamples
    n_converged: int
    n_not_converged: int
    n_with_constant_term: int  # resamples where some covariate was constant (its term held at 0)
    seconds: float
    alpha: float = 0.05
    notes: list[str] = field(default_factory=list)

    @property
    def share_not_converged(self) -> float:
        return self.n_not_converged / self.B if self.B else math.nan

    @property
    def share_extreme(self) -> float:
        """Share of the converged resamples whose arm HR lies outside [1/:data:`EXTREME_HR`,
        :data:`EXTREME_HR`]: fits near the edge of estimability, which dominate the percentile interval."""
        if not self.n_converged:
            return math.nan
        return float(np.mean(np.abs(np.log(self.hr_samples)) > math.log(EXTREME_HR)))

    @property
    def share_below(self) -> float:
        """Share of the converged resamples whose arm HR lies below 1/:data:`EXTREME_HR`."""
        if not self.n_converged:
            return math.nan
        return float(np.mean(np.log(self.hr_samples) < -math.log(EXTREME_HR)))

    @property
    def share_above(self) -> float:
        """Share of the converged resamples whose arm HR lies above :data:`EXTREME_HR`."""
        if not self.n_converged:
            return math.nan
        return float(np.mean(np.log(self.hr_samples) > math.log(EXTREME_HR)))

    def as_dict(self, prefix: str) -> dict[str, Any]:
        return {
            f"{prefix}.hr_median": self.median_hr,
            f"{prefix}.ci_low": self.ci_low,
            f"{prefix}.ci_high": self.ci_high,
            f"{prefix}.share_not_converged": self.share_not_converged,
            f"{prefix}.resamples": self.B,
        }


def resample_weights(groups: np.ndarray, B: int, rng: np.random.Generator) -> np.ndarray:
    """(B, n) multinomial counts: each arm resampled with replacement to its own size.

    Stratified case resampling keeps each arm at its own size, as the
    design fixed them (Davison & Hinkley 1997, §3.2).
    """
    groups = np.asarray(groups)
    W = np.zeros((B, len(groups)), dtype=np.int64)
    for g in pd.unique(groups):
        idx = np.flatnonzero(groups == g)
        W[:, idx] = rng.multinomial(len(idx), np.full(len(idx), 1.0 / len(idx)), size=B)
    return W


def bootstrap_arm_hr(
    cohort: pd.DataFrame,
    endpoint: str,
    covariates: list[str],
    params,
    B: int = 1000,
    seed: int | None = None,
    max_abs_coef: float = MAX_ABS_COEF,
) -> BootstrapResult:
    """Nonparametric bootstrap of the arm's hazard ratio under a Cox model.

    Patients are resampled with replacement within each arm (``B``
    resamples, ``numpy.random.default_rng(seed)``, default ``params.seed``);
    each resample is refitted with Efron's ties by :func:`batch_cox_efron`.
    The CI is the percentile interval (``alpha/2`` and ``1 - alpha/2``
    quantiles of the HRs, numpy's default linear interpolation) over the
    resamples whose fit converged; the share that did not (separation:
    a coefficient diverging) is reported, because leaving them out makes the
    interval conditional on the data being well behaved and so too narrow.
    A covariate that is constant in a resample (e.g. only 3 women) gets no
    coefficient there, as in R's ``coxph``; those resamples are counted.
    Reference: Efron & Tibshirani (1993), ch. 13.
    """
    seed = params.seed if seed is None else seed
    cohort, B = bootstrap_plan(cohort, B, seed)
    ref, trt = params.reference_group, params.treatment_group
    dm = cox.design_matrix(cohort, covariates, ref, trt, endpoint=endpoint)
    frame = dm.frame
    start = time.perf_counter()
    original = cox.fit_cox(cohort, endpoint, covariates, params)
    hr0 = original.term("treatment")["hr"] if original.converged else None
    rng = np.random.default_rng(seed)
    W = resample_weights(frame["treatment"].to_numpy(), B, rng)
    fit = batch_cox_efron(
        frame[dm.terms].to_numpy(float),
        frame["duration"].to_numpy(float),
        frame["event"].to_numpy(float),
        W,
        max_abs_coef=max_abs_coef,
    )
    arm = dm.terms.index("treatment")
    ok = fit.converged & ~fit.constant_terms[:, arm]
    hrs = np.exp(fit.coef[ok, arm])
    seconds = time.perf_counter() - start
    a = params.alpha
    if hrs.size >= 2:
        lo, hi = np.quantile(hrs, [a / 2, 1 - a / 2])
        med = float(np.median(hrs))
    else:
        lo = hi = med = None
    notes = []
    if not original.converged:
        notes.append("the model on the original data did not converge")
    return BootstrapResult(
        endpoint,
        list(covariates),
        list(dm.terms),
        B,
        int(seed),
        None if hr0 is None else float(hr0),
        None if lo is None else float(lo),
        None if hi is None else float(hi),
        med,
        hrs,
        int(ok.sum()),
        int(B - ok.sum()),
        int(fit.constant_terms.any(axis=1).sum()),
        seconds,
        a,
        notes,
    )


def firth_arm(cohort: pd.DataFrame, endpoint: str, covariates: list[str], params) -> cox.CoxResult:
    """Firth-penalised Cox model with profile-likelihood inference for the arm's term only.

    The same fit as :func:`lcnec_utils.stats.cox.firth_cox` (``firthmodels.FirthCoxPH``,
    Heinze & Schemper 2001; Breslow ties; profile penalised-likelihood CI
    and penalised likelihood-ratio p, as R ``coxphf``), but the profile CI
    and the LR test are computed for ``treatment`` alone: for 12 terms that
    is 0.1 s instead of 2.5 s per model. Other terms keep their estimates
    with CI and p left as NaN.
    """
    from firthmodels import FirthCoxPH

    ref, trt = params.reference_group, params.treatment_group
    dm = cox.design_matrix(cohort, covariates, ref, trt, endpoint=endpoint)
    X = dm.frame[dm.terms]
    y = (dm.frame["event"].to_numpy().astype(bool), dm.frame["duration"].to_numpy())
    arm = dm.terms.index("treatment")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            model = FirthCoxPH().fit(X, y)
            ci = model.conf_int(alpha=params.alpha, method="pl", features=[arm])
            model.lrt(features=[arm])
        except np.linalg.LinAlgError as exc:  # e.g. a covariate constant or collinear in this cohort
            return cox.not_fitted(
                dm,
                f"the Firth model could not be fitted: {exc}",
                "Firth Cox, Breslow ties, profile-likelihood CI, LR p",
            )
    coef = np.asarray(model.coef_)
    lrt_p = np.asarray(model.lrt_pvalues_, dtype=float)
    k = len(dm.terms)
    ci = np.asarray(ci, dtype=float)
    lo = np.full(k, np.nan)
    hi = np.full(k, np.nan)
    lo[arm], hi[arm] = ci[arm] if ci.shape[0] == k else ci[0]
    p = np.full(k, np.nan)
    p[arm] = lrt_p[arm] if lrt_p.shape[0] == k else lrt_p[0]
    table = cox.term_table(dm.terms, coef, np.asarray(model.bse_), lo, hi, p)
    caught = [f"{type(w.message).__name__}: {w.message}" for w in record]
    return cox.CoxResult.from_design(
        dm,
        table,
        bool(model.converged_),
        caught,
        model,
        "Firth Cox, Breslow ties, profile-likelihood CI, LR p",
    )


COMPARISON_COLUMNS = [
    "model",
    "label",
    "terms",
    "events",
    "epv",
    "hr",
    "ci_low",
    "ci_high",
    "p",
    "converged",
    "method",
]

#: The row labels that hold whatever the cohort: the arm alone, and the penalised fits of the terms of
#: the row above them. The model with covariates and the reduced model are named from their fitted
#: terms (:func:`comparison_labels`).
MODEL_LABELS = {
    "univariable": "Arm alone",
    "firth": "Firth-penalised, same terms",
    "ridge": "Ridge-penalised, same terms",
}


def comparison_labels(
    cohort: pd.DataFrame, params, covariates: list[str], full: cox.CoxResult, reduced: cox.CoxResult
) -> dict[str, str]:
    """The labels of :func:`comparison_table`'s rows, each model's from the terms it was fitted with on
    this endpoint's complete cases (``full`` and ``reduced``, the fits of ``covariates`` and of the
    reduced covariates): the model with covariates by :func:`~lcnec_utils.methods.model_name.fitted_model`
    ("The paper's model (the arm and the paper's 11 covariates)" only with exactly those terms; "The
    model fitted here (the arm alone)" on a cohort with the required columns only; "... (the arm and 10
    of the paper's 11 covariates)" where one is constant in the complete cases), its bootstrap row by
    the same name, and the reduced model by the covariates that have a term, each by its name
    (:func:`~lcnec_utils.methods.model_name.arm_and`: "Reduced, pre-specified (the arm, age and ECOG PS)",
    "... (the arm alone)")."""
    model = fitted_model(covariates, cohort.columns, in_force=params.covariates, design=full)
    kept = [c for c, terms in reduced.term_of_covariate.items() if terms]
    return {
        **MODEL_LABELS,
        "full": model.label,
        "reduced": f"Reduced, pre-specified ({arm_and(kept)})",
        "bootstrap": f"{model.capitalised}, bootstrap CI",
    }


def _arm_row(model: str, res: cox.CoxResult, labels: dict[str, str]) -> dict[str, Any]:
    arm = res.term("treatment") if res.converged else {k: math.nan for k in ("hr", "ci_low", "ci_high", "p")}
    return {
        "model": model,
        "label": labels[model],
        "terms": len(res.table),
        "events": res.events,
        "epv": res.events_per_variable,
        "hr": arm["hr"],
        "ci_low": arm["ci_low"],
        "ci_high": arm["ci_high"],
        "p": arm["p"],
        "converged": res.converged,
        "method": res.method,
    }


def comparison_table(
    cohort: pd.DataFrame,
    endpoint: str,
    params,
    covariates: list[str] | None = None,
    reduced: list[str] | None = None,
    ridge_penalizer: float = 0.1,
    bootstrap: BootstrapResult | None = None,
) -> pd.DataFrame:
    """The arm's hazard ratio under each small-sample remedy, one row per model.

    Rows: ``univariable`` (arm alone), ``full`` (``covariates``, default
    ``params.covariates``; lifelines, Efron, Wald), ``firth`` (Firth's
    penalised likelihood, Heinze & Schemper 2001: Breslow ties, profile
    penalised-likelihood CI and LR p, as R ``coxphf``), ``ridge`` (lifelines
    ``CoxPHFitter(penalizer=ridge_penalizer)``, which maximises
    log PL − n·λ·½·Σ(s_j·β_j)², n the rows and s_j the standard deviation of
    covariate j; its Wald CI is not valid inference, shown for the shrinkage
    only), ``reduced``
    (:data:`REDUCED_COVARIATES`) and, if given, ``bootstrap`` (the full
    model's HR with the percentile CI; p not available). EPV counts every
    model parameter. The rows' labels name each model by the terms it was fitted with on this
    endpoint's complete cases (:func:`comparison_labels`), not by the paper's model's.
    """
    covariates = list(params.covariates if covariates is None else covariates)
    reduced = list(REDUCED_COVARIATES if reduced is None else reduced)
    fits = {
        "univariable": cox.univariable_cox(cohort, endpoint, params),
        "full": cox.fit_cox(cohort, endpoint, covariates, params),
        "firth": firth_arm(cohort, endpoint, covariates, params),
        "ridge": cox.ridge_cox(cohort, endpoint, covariates, params, penalizer=ridge_penalizer),
        "reduced": cox.fit_cox(cohort, endpoint, reduced, params),
    }
    labels = comparison_labels(cohort, params, covariates, fits["full"], fits["reduced"])
    rows = [_arm_row(model, res, labels) for model, res in fits.items()]
    if bootstrap is not None:
        full = rows[1]
        rows.append(
            {
                **full,
                "model": "bootstrap",
                "label": labels["bootstrap"],
                "ci_low": math.nan if bootstrap.ci_low is None else bootstrap.ci_low,
                "ci_high": math.nan if bootstrap.ci_high is None else bootstrap.ci_high,
                "p": math.nan,
                "method": f"percentile, B = {bootstrap.B}, "
                f"{format_pct(bootstrap.share_not_converged)}% of resamples not converged",
            }
        )
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


#: The estimators of the small-sample chapter as the programs define them (method, ties, programs).
ESTIMATOR_CONVENTIONS = {
    "full": ("Maximum likelihood, Wald CI", "Efron", "R coxph (default); lifelines"),
    "breslow": (
        "Maximum likelihood, Wald CI",
        "Breslow",
        "SPSS COXREG; SAS PHREG and Stata stcox (defaults)",
    ),
    "firth": ("Firth, profile penalised-likelihood CI", "Breslow", "R coxphf; firthmodels"),
    "ridge": (
        "Ridge: log PL − n·λ·½·Σ(s_j·β_j)², s_j the SD of covariate j; naive Wald CI",
        "Efron",
        "lifelines CoxPHFitter(penalizer=λ)",
    ),
}


def estimator_conventions(comparison: pd.DataFrame, ties: pd.DataFrame) -> pd.DataFrame:
    """The arm's HR under the same terms by each estimator as a program computes it, one row each.

    ``comparison`` is :func:`comparison_table` of one endpoint, ``ties`` the
    ``methods.ties_conventions`` table of the same endpoint and covariates (its adjusted Breslow
    row). Columns estimator, ties, programs, hr, ci_low, ci_high.
    """
    rows = comparison.set_index("model")
    breslow = ties[(ties["model"] == "adjusted") & (ties["ties"] == "breslow")].iloc[0]
    out = []
    for key, (estimator, tie, programs) in ESTIMATOR_CONVENTIONS.items():
        r = breslow if key == "breslow" else rows.loc[key]
        ok = key == "breslow" or bool(r["converged"])
        out.append(
            {
                "estimator": estimator,
                "ties": tie,
                "programs": programs,
                "hr": float(r["hr"]) if ok else math.nan,
                "ci_low": float(r["ci_low"]) if ok else math.nan,
                "ci_high": float(r["ci_high"]) if ok else math.nan,
            }
        )
    return pd.DataFrame(out)


def format_estimator_conventions(tables: dict[str, pd.DataFrame], alpha: float = 0.05) -> pd.DataFrame:
    """Text version of :func:`estimator_conventions` per endpoint (``tables``: label -> table); ``alpha``
    is the level the intervals were computed at (``params.alpha``), named in the header."""
    return pd.DataFrame(
        [
            {
                "Endpoint": label,
                "Estimator": r["estimator"],
                "Ties": r["ties"],
                "Programs": r["programs"],
                f"HR of the arm ({ci_label(alpha)})": format_hr_ci(
                    r["hr"], r["ci_low"], r["ci_high"], sep="–"
                ),
            }
            for label, table in tables.items()
            for _, r in table.iterrows()
        ]
    )


def comparison_results(table: pd.DataFrame, endpoint: str) -> dict[str, Any]:
    """Results keys ``methods.cox.<endpoint>.<model>.{hr,ci_low,ci_high,p}`` and ``.epv``."""
    out: dict[str, Any] = {}
    for _, r in table.iterrows():
        if r["model"] not in ("firth", "ridge", "reduced", "full"):
            continue
        prefix = f"methods.cox.{endpoint}.{r['model']}"
        for k in ("hr", "ci_low", "ci_high", "p"):
            v = r[k]
            out[f"{prefix}.{k}"] = None if v is None or not np.isfinite(v) or not r["converged"] else float(v)
        out[f"{prefix}.epv"] = r["epv"]
    return out


def _two_decimals(hr, lo, hi) -> str:
    """An HR and its (Wald, profile or naive ridge) interval to two decimals: ``"0.51 (0.28–0.92)"``."""
    return format_hr_ci(hr, lo, hi, sep="–")


def format_comparison(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Text version of :func:`comparison_table` for the page; ``alpha`` is the level the intervals were
    computed at (``params.alpha``: Wald, profile and percentile alike), named in the header. The
    bootstrap row's percentile bounds are printed by :func:`~lcnec_utils.stats.format.format_bootstrap_bound`
    ("0.46 (below 0.001 to 2.89)", as the chapter's prose prints them), not to two decimals, where a bound
    the resamples push towards 0 read "0.00"; the Wald, profile and ridge intervals keep two decimals."""
    rows = []
    for _, r in table.iterrows():
        ok = bool(r["converged"])
        cell = format_bootstrap_ci if r["model"] == "bootstrap" else _two_decimals
        rows.append(
            {
                "Model": r["label"],
                "Parameters": str(r["terms"]),
                "Events per variable": format_value(r["epv"], "{:.1f}", NA_TEXT),
                f"HR of the arm ({ci_label(alpha)})": cell(r["hr"], r["ci_low"], r["ci_high"])
                if ok
                else "not converged",
                "p": format_p(r["p"]) if ok and np.isfinite(r["p"]) else NA_TEXT,
                "Method": r["method"],
            }
        )
    return pd.DataFrame(rows)


def comparison_forest_rows(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`comparison_table`'s rows as :func:`~lcnec_utils.plots.forest.forest_plot` wants them: label,
    hr, ci_low, ci_high, p, and ``bootstrap`` true on the bootstrap row, so that the plot prints its
    percentile interval as :func:`format_comparison` does ("0.46 (below 0.001 to 2.89)") and the other
    rows to two decimals."""
    return table[["label", "hr", "ci_low", "ci_high", "p"]].assign(bootstrap=table["model"].eq("bootstrap"))


#: EPV thresholds of the small-sample chapter's reading: Peduzzi et al.'s 10, Vittinghoff & McCulloch's 5.
EPV_RULE, EPV_FLOOR = 10.0, 5.0


def epv_as_printed(epv: float) -> float:
    """An events-per-variable value as the book prints it, to one decimal (``f"{epv:.1f}"`` and
    ``round(epv, 1)`` round alike), so that a verdict compared on it agrees with the number beside it:
    4.96 prints 5.0 and is not said to fall below five, 9.96 prints 10.0 and meets the rule of ten."""
    return round(float(epv), 1)


def epv_verdict(epv: float | None) -> str:
    """Where an events-per-variable value stands against the rule of ten (Peduzzi et al. 1995) and what
    Vittinghoff & McCulloch (2007, Am J Epidemiol 165:710-718) found: they simulated whole EPV values and
    found problems fairly frequent at 2-4 and uncommon at 5-9, so a value such as 9.7 is said to lie
    between 5 and 10, not "within 5 to 9", and one below 5 is not placed inside their 2-4. The value is
    compared as printed, to one decimal (:func:`epv_as_printed`)."""
    if epv is None:
        return "not computable"
    shown = epv_as_printed(epv)
    if shown >= EPV_RULE:
        return "meets the rule of ten"
    if shown >= EPV_FLOOR:
        return (
            "falls below the rule of ten, between 5 and 10 events per variable (Vittinghoff and McCulloch "
            "found problems uncommon at 5 to 9)"
        )
    return (
        "falls below five events per variable (Vittinghoff and McCulloch found problems fairly frequent "
        "at 2 to 4)"
    )
