"""Confounding by indication: propensity scores, IPT weights, balance, weighted Cox, E-values.

The arms were chosen by the treating physicians, not by chance. This module
estimates the arm's hazard ratio two more ways than the paper did and says
how strong an unmeasured confounder would have to be to explain it away:

* :func:`propensity_scores`: logistic regression of the arm on age, ECOG and
  sex (statsmodels ``Logit``, maximum likelihood);
* :func:`iptw_weights`: inverse-probability-of-treatment weights, stabilised
  by the marginal arm shares (Robins, Hernán & Brumback 2000; Austin 2011);
* :func:`balance_table`: standardised mean differences before and after
  weighting (Austin 2009; Austin & Stuart 2015);
* :func:`iptw_cox`: the marginal hazard ratio from a weighted Cox model with
  the robust (sandwich) variance with ties handled as R does
  (:mod:`lcnec_utils.methods.sandwich`; Lin & Wei 1989); it treats the weights as known,
  which is conservative for IPTW (Austin 2016);
* :func:`adjusted_cox`: the conditional hazard ratio from the Cox model with
  the same three covariates (:func:`lcnec_utils.stats.cox.fit_cox`);
* :func:`evalue`: the E-value of a hazard ratio (VanderWeele & Ding 2017);
* :func:`confounding_chapter`: all of these on a cohort, as the confounding
  chapter records, glues and shows them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.contract.io import arm_role
from lcnec_utils.contract.published import published_values
from lcnec_utils.contract.results_keys import complete
from lcnec_utils.methods.sandwich import robust_variance
from lcnec_utils.stats import cox
from lcnec_utils.stats.format import ci_label, format_hr_ci, format_p
from lcnec_utils.stats.normal import wald_p, z_two_sided
from lcnec_utils.stats.survival import has_endpoint

#: Covariates of the propensity model: the paper's one clear imbalance (age),
#: the strongest prognostic factor (ECOG performance status) and sex.
PS_COVARIATES = ["age", "ecog", "sex"]

#: Outcome share above which an outcome is "common" for the E-value
#: (VanderWeele & Ding 2017: 15% at the end of follow-up).
COMMON_OUTCOME = 0.15


def iptw_weights(treatment, ps, stabilised: bool = True) -> np.ndarray:
    """Inverse-probability-of-treatment weights for the average treatment effect.

    Unstabilised: 1/e for treated, 1/(1 - e) for the reference arm, with e
    the propensity score. Stabilised (default): multiplied by the marginal
    share of the patient's own arm, P(A = 1) or P(A = 0), so the weights
    average about 1 and the weighted sample keeps roughly its size
    (Robins, Hernán & Brumback 2000; Austin & Stuart 2015, §3).
    """
    a = np.asarray(treatment, dtype=float)
    e = np.asarray(ps, dtype=float)
    if a.shape != e.shape:
        raise ValueError("treatment and ps must have the same length")
    if not np.isin(a, (0, 1)).all():
        raise ValueError("treatment must be 0 or 1")
    if ((e <= 0) | (e >= 1)).any():
        raise ValueError("propensity scores must lie strictly between 0 and 1")
    w = np.where(a == 1, 1.0 / e, 1.0 / (1.0 - e))
    if stabilised:
        p1 = a.mean()
        w = w * np.where(a == 1, p1, 1.0 - p1)
    return w


def effective_sample_size(weights) -> float:
    """Kish's effective sample size, (Σw)² / Σw²."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum())


@dataclass
class PropensityResult:
    """Propensity model, scores and weights on the complete cases of its covariates."""

    frame: pd.DataFrame  # design-matrix terms + ps, weight (stabilised), weight_raw
    terms: list[str]
    coef: pd.Series
    n_dropped: int
    converged: bool
    notes: list[str] = field(default_factory=list)


def propensity_scores(cohort: pd.DataFrame, params, covariates: list[str] | None = None) -> PropensityResult:
    """Propensity of the treatment arm by logistic regression on ``covariates``.

    statsmodels ``Logit`` (maximum likelihood, Newton), covariates coded as
    in the Cox models (:func:`lcnec_utils.stats.cox.design_matrix`: age per year,
    ECOG per point, sex as male = 1), complete cases. Adds the score ``ps``,
    stabilised weights ``weight`` and unstabilised ``weight_raw``.
    Reference: Rosenbaum & Rubin (1983); Austin (2011).
    """
    import statsmodels.api as sm

    covariates = list(PS_COVARIATES if covariates is None else covariates)
    dm = cox.design_matrix(cohort, covariates, params.reference_group, params.treatment_group)
    terms = [t for t in dm.terms if t != "treatment"]
    frame = dm.frame.copy()
    notes = list(dm.notes)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            fit = sm.Logit(frame["treatment"].astype(float), sm.add_constant(frame[terms].astype(float))).fit(
                disp=0, maxiter=100
            )
        except (np.linalg.LinAlgError, ValueError) as exc:
            # a tiny arm or a covariate that separates the arms: no propensity model
            notes.append(f"the propensity model cannot be fitted ({type(exc).__name__}: {exc})")
            frame["ps"] = frame["weight"] = frame["weight_raw"] = math.nan
            return PropensityResult(frame, terms, pd.Series(dtype=float), dm.n_dropped, False, notes)
    notes += [
        str(w.message)
        for w in record
        if "converge" in str(w.message).lower() or "separation" in str(w.message).lower()
    ]
    ps = np.asarray(fit.predict(), dtype=float)
    if not np.all((ps > 0) & (ps < 1)):
        # (quasi-)complete separation: some patients' arm is predicted with certainty,
        # so their inverse-probability weights do not exist
        notes.append("the propensity model separates the arms (scores of exactly 0 or 1)")
        frame["ps"] = frame["weight"] = frame["weight_raw"] = math.nan
        return PropensityResult(frame, terms, fit.params, dm.n_dropped, False, notes)
    frame["ps"] = ps
    frame["weight"] = iptw_weights(frame["treatment"], ps, stabilised=True)
    frame["weight_raw"] = iptw_weights(frame["treatment"], ps, stabilised=False)
    converged = bool(fit.mle_retvals.get("converged", True))
    return PropensityResult(frame, terms, fit.params, dm.n_dropped, converged, notes)


def _wmean_var(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    # weighted mean and the unbiased weighted variance of Austin & Stuart (2015, eq. 4):
    # s² = Σw / ((Σw)² - Σw²) · Σ w (x - x̄w)²  (reduces to the usual n-1 variance for w = 1)
    sw = w.sum()
    m = float((w * x).sum() / sw)
    denom = sw**2 - (w**2).sum()
    v = float(sw / denom * (w * (x - m) ** 2).sum()) if denom > 0 else math.nan
    return m, v


def smd(x, treatment, weights=None, binary: bool | None = None) -> float:
    """Standardised mean difference, treatment minus reference (Austin 2009).

    Continuous: (x̄₁ - x̄₀) / sqrt((s₁² + s₀²) / 2); binary (0/1 values):
    (p̂₁ - p̂₀) / sqrt((p̂₁(1 - p̂₁) + p̂₀(1 - p̂₀)) / 2). With ``weights`` the
    means, proportions and variances are the weighted ones (Austin & Stuart
    2015, eq. 4). NaN when both arms have zero variance.
    """
    x = np.asarray(x, dtype=float)
    a = np.asarray(treatment, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    if binary is None:
        binary = bool(np.isin(x, (0, 1)).all())
    m1, v1 = _wmean_var(x[a == 1], w[a == 1])
    m0, v0 = _wmean_var(x[a == 0], w[a == 0])
    if binary:
        v1, v0 = m1 * (1 - m1), m0 * (1 - m0)
    pooled = math.sqrt((v1 + v0) / 2)
    return (m1 - m0) / pooled if pooled > 0 else math.nan


def balance_table(ps: PropensityResult, others: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per covariate: arm means before and after weighting and the SMDs, the propensity model's terms
    first (``in_model`` True), then the terms of ``others`` (a design frame of covariates outside the
    model, on the cohort's index; each on the patients it has in common with the model's frame):
    weighting balances what the model holds, and the others show whether it balanced anything else
    (session 15's review: the table had shown the three modelled covariates only).

    Columns term, label, in_model, mean_treatment, mean_reference, smd_before,
    wmean_treatment, wmean_reference, smd_after (stabilised weights). An
    |SMD| below 0.1 is the usual mark of adequate balance (Austin 2009).
    """
    f = ps.frame
    rows = []
    sources = [(f, ps.terms, True)]
    if others is not None and len(others.columns):
        sources.append((others.join(f[["treatment", "weight"]], how="inner"), list(others.columns), False))
    for frame, terms, in_model in sources:
        a = frame["treatment"].to_numpy()
        w = frame["weight"].to_numpy()
        for term in terms:
            x = frame[term].to_numpy(float)
            rows.append(
                {
                    "term": term,
                    "label": cox.term_label(term),
                    "in_model": in_model,
                    "mean_treatment": float(x[a == 1].mean()),
                    "mean_reference": float(x[a == 0].mean()),
                    "smd_before": smd(x, a),
                    "wmean_treatment": float(np.average(x[a == 1], weights=w[a == 1])),
                    "wmean_reference": float(np.average(x[a == 0], weights=w[a == 0])),
                    "smd_after": smd(x, a, w),
                }
            )
    return pd.DataFrame(rows)


def other_covariates(cohort: pd.DataFrame, params, modelled: list[str]) -> pd.DataFrame | None:
    """The design terms (coded as in the Cox models) of the analysis covariates (``params.covariates``)
    present in ``cohort`` and not in the propensity model, on the cohort's index; None if there are
    none."""
    rest = [c for c in params.covariates if c in cohort.columns and c not in modelled]
    if not rest:
        return None
    dm = cox.design_matrix(cohort, rest, params.reference_group, params.treatment_group)
    terms = [t for t in dm.terms if t != "treatment"]
    return dm.frame[terms] if terms else None


@dataclass
class WeightedHR:
    hr: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None
    se: float | None
    n: int
    events: int
    method: str
    ess: dict[str, float] = field(default_factory=dict)


def iptw_cox(cohort: pd.DataFrame, endpoint: str, params, ps: PropensityResult | None = None) -> WeightedHR:
    """Marginal HR of the arm from a Cox model weighted by stabilised IPT weights.

    :func:`weighted_cox`: Efron ties, the arm as the only term, robust sandwich variance (Lin & Wei
    1989), which is what R ``coxph(..., weights = w, robust = TRUE)`` reports.
    Patients missing a propensity covariate are left out (complete cases).
    """
    ps = propensity_scores(cohort, params) if ps is None else ps
    time_col, event_col = f"{endpoint}_months", f"{endpoint}_event"
    df = pd.DataFrame(
        {
            "duration": cohort.loc[ps.frame.index, time_col].astype(float),
            "event": cohort.loc[ps.frame.index, event_col].astype(float),
            "treatment": ps.frame["treatment"],
            "weight": ps.frame["weight"],
        }
    ).dropna()
    return weighted_cox(df, params.alpha)


def weighted_cox(df: pd.DataFrame, alpha: float = 0.05) -> WeightedHR:
    """Cox model of ``duration``/``event`` on ``treatment`` alone, weighted by ``weight``, robust SE.

    The point estimate from lifelines ``CoxPHFitter(alpha).fit(df, weights_col="weight")`` (Efron
    ties); the Lin & Wei (1989) sandwich variance with tied event times handled by Efron's rule
    (:func:`lcnec_utils.methods.sandwich.robust_variance`), which is what R ``coxph(Surv(time,
    event) ~ trt, weights = w, robust = TRUE)`` reports and lifelines' ``robust=True`` is not when
    event times are tied; Wald CI exp(b ± z·SE_robust) and p.
    """
    from lifelines import CoxPHFitter

    from lcnec_utils.methods.sampling import sample_rows

    df = sample_rows(
        df[["duration", "event", "treatment", "weight"]],
        strata="treatment",
        what="the weighted (IPTW) Cox model and its robust variance",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines' note on non-integer weights: the sandwich answers it
        model = CoxPHFitter(alpha=alpha).fit(
            df, "duration", "event", weights_col="weight", fit_options={"precision": 1e-10}
        )
    z = z_two_sided(alpha)
    b = float(model.params_["treatment"])
    se = _tied_robust_se(df, model)
    a = df["treatment"].to_numpy()
    w = df["weight"].to_numpy()
    ess = {"treatment": effective_sample_size(w[a == 1]), "reference": effective_sample_size(w[a == 0])}
    return WeightedHR(
        math.exp(b),
        math.exp(b - z * se),
        math.exp(b + z * se),
        wald_p(b, se),
        se,
        len(df),
        int(df["event"].sum()),
        "Cox, stabilised IPT weights, Efron ties, robust SE",
        ess,
    )


def _tied_robust_se(df: pd.DataFrame, model) -> float:
    """The arm's robust SE of a fitted weighted lifelines model, ties by Efron (R's sandwich)."""
    v = robust_variance(
        df["duration"].to_numpy(),
        df["event"].to_numpy(),
        df[["treatment"]].to_numpy(),
        model.params_.to_numpy(),
        model.variance_matrix_.to_numpy(),
        df["weight"].to_numpy(),
    )
    return float(math.sqrt(v[0, 0]))


def adjusted_cox(
    cohort: pd.DataFrame, endpoint: str, params, covariates: list[str] | None = None
) -> WeightedHR:
    """Conditional HR of the arm adjusted for the propensity covariates (ordinary Cox, Wald CI)."""
    covariates = list(PS_COVARIATES if covariates is None else covariates)
    res = cox.fit_cox(cohort, endpoint, covariates, params)
    if not res.converged:
        return WeightedHR(None, None, None, None, None, res.n, res.events, res.method)
    arm = res.term("treatment")
    return WeightedHR(
        arm["hr"], arm["ci_low"], arm["ci_high"], arm["p"], arm["se"], res.n, res.events, res.method
    )


@dataclass(frozen=True)
class EValue:
    hr: float
    rr: float  # the HR on the risk-ratio scale used
    estimate: float  # E-value of the point estimate
    ci: float | None  # E-value of the CI limit closer to 1 (1 if the CI contains 1)
    rare: bool
    conversion: str


def hr_to_rr(hr: float, rare: bool) -> float:
    """Risk ratio that a hazard ratio stands for, VanderWeele & Ding (2017), Table 2.

    Rare outcome (< 15% at the end of follow-up): RR ≈ HR. Common outcome:
    RR ≈ (1 - 0.5^√HR) / (1 - 0.5^√(1/HR)) (VanderWeele 2020, derived for
    Weibull-type hazards; the R package EValue's ``evalues.HR(rare = FALSE)``).
    """
    if hr <= 0:
        raise ValueError("a hazard ratio must be positive")
    if rare:
        return float(hr)
    return float((1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr)))


def evalue_rr(rr: float) -> float:
    """E-value of a risk ratio: RR + sqrt(RR·(RR - 1)), with RR < 1 inverted first."""
    r = 1 / rr if rr < 1 else rr
    return float(r + math.sqrt(r * (r - 1)))


def evalue(
    hr: float, ci_low: float | None = None, ci_high: float | None = None, rare: bool = False
) -> EValue:
    """E-value of a hazard ratio and of its confidence limit closer to 1.

    The minimum strength of association, on the risk-ratio scale, that an
    unmeasured confounder would need with both the arm and the outcome,
    beyond the measured covariates, to move the estimate to 1
    (VanderWeele & Ding 2017). The HR is first put on the risk-ratio scale
    (:func:`hr_to_rr`); for the CI the limit closer to 1 is used, and the
    E-value is 1 when the interval contains 1.
    """
    rr = hr_to_rr(hr, rare)
    ci_e = None
    if ci_low is not None and ci_high is not None:
        if ci_low <= 1 <= ci_high:
            ci_e = 1.0
        else:
            limit = ci_high if hr < 1 else ci_low
            ci_e = evalue_rr(hr_to_rr(limit, rare))
    conversion = (
        "RR = HR (rare outcome)"
        if rare
        else "RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)) (common outcome)"
    )
    return EValue(float(hr), rr, evalue_rr(rr), ci_e, rare, conversion)


def format_balance(table: pd.DataFrame) -> pd.DataFrame:
    """Text version of :func:`balance_table` for the page."""
    return pd.DataFrame(
        {
            "Covariate": table["label"],
            "In the propensity model": table["in_model"].map({True: "yes", False: "no"}),
            "Mean, treatment": table["mean_treatment"].map("{:.2f}".format),
            "Mean, reference": table["mean_reference"].map("{:.2f}".format),
            "SMD before": table["smd_before"].map("{:.2f}".format),
            "Weighted mean, treatment": table["wmean_treatment"].map("{:.2f}".format),
            "Weighted mean, reference": table["wmean_reference"].map("{:.2f}".format),
            "SMD after weighting": table["smd_after"].map("{:.2f}".format),
        }
    )


#: The endpoints of the chapter, with their names in its prose and tables.
ENDPOINT_NAMES = {"pfs": "Progression-free survival", "os": "Overall survival"}


@dataclass
class ConfoundingChapter:
    """What the confounding chapter records, glues and shows (:func:`confounding_chapter`)."""

    covariates: list[str]  # the propensity covariates present in the cohort
    propensity: PropensityResult | None  # None without covariates or when the model cannot be fitted
    balance: pd.DataFrame | None  # :func:`balance_table`
    hazard_ratios: pd.DataFrame | None  # the arm's HR crude, adjusted and weighted, as printed
    results: dict[str, Any]  # the chapter's results keys, complete
    glue: dict[str, tuple]  # name: (value, format[, text when missing]) for the prose
    warnings: list[str] = field(default_factory=list)

    @property
    def no_propensity_reason(self) -> str | None:
        """Why there is no propensity model (None when there is one): no covariate, or a failed fit
        (whose reason the chapter shows from ``warnings``)."""
        if self.propensity is not None:
            return None
        if not self.covariates:
            names = ", ".join("ECOG" if c == "ecog" else c for c in PS_COVARIATES)
            return f"None of the propensity covariates ({names}) is in the cohort: no propensity model."
        return "The propensity model could not be fitted (see the note above): no balance table and no weighted estimate."


@dataclass
class _Estimates:
    """Per endpoint: the arm's HR crude, adjusted and weighted, E-values, event shares."""

    crude: dict[str, dict | None] = field(default_factory=dict)  # CoxResult.term of the arm-only model
    adjusted: dict[str, WeightedHR] = field(default_factory=dict)
    iptw: dict[str, WeightedHR] = field(default_factory=dict)
    evalues: dict[tuple[str, str], EValue] = field(default_factory=dict)  # (endpoint, published|iptw)
    event_share: dict[str, float] = field(default_factory=dict)


def confounding_chapter(
    cohort: pd.DataFrame, params, published: dict[str, Any] | None = None
) -> ConfoundingChapter:
    """The confounding chapter on ``cohort``: propensity model, balance, the arm's HR three ways, E-values.

    The propensity model uses those of :data:`PS_COVARIATES` present. For each
    endpoint present: the arm-only Cox model, :func:`adjusted_cox`, :func:`iptw_cox`
    and the E-values of the weighted HR and of the paper's adjusted HR
    (``published``, by default the paper's values), each treating the outcome as
    rare when fewer than :data:`COMMON_OUTCOME` of the cohort had the event.
    """
    paper = published_values() if published is None else published
    covariates = [c for c in PS_COVARIATES if c in cohort.columns]
    ps = propensity_scores(cohort, params, covariates) if covariates else None
    warnings_ = []
    if ps is not None and ps.frame["ps"].isna().all():
        warnings_.append("No propensity-score analysis on these data: " + "; ".join(ps.notes))
        ps = None
    balance = balance_table(ps, other_covariates(cohort, params, covariates)) if ps is not None else None
    values = _balance_values(ps, balance)
    est = _estimates(cohort, params, ps, covariates, paper)
    for ep in est.adjusted:
        for name, r in (("adjusted", est.adjusted[ep]), ("iptw", est.iptw[ep])):
            for k in ("hr", "ci_low", "ci_high", "p"):
                values[f"methods.{name}.{ep}.{k}"] = getattr(r, k)
    for (ep, src), e in est.evalues.items():
        values[f"methods.evalue.{ep}.{src}.estimate"] = e.estimate
        values[f"methods.evalue.{ep}.{src}.ci"] = e.ci
    return ConfoundingChapter(
        covariates=covariates,
        propensity=ps,
        balance=balance,
        hazard_ratios=None if ps is None else _hazard_ratio_table(est, covariates, params.alpha),
        results=complete("methods_confounding", values),
        glue={**_glue(cohort, params, covariates, values, est, paper), **_other_balance_glue(balance)},
        warnings=warnings_,
    )


#: The usual mark of adequate balance, |SMD| below it (Austin 2009).
SMD_TARGET = 0.1


def _other_balance_glue(balance: pd.DataFrame | None) -> dict[str, tuple]:
    """How the covariates outside the propensity model fare after weighting, in a phrase."""
    missing = "cannot be assessed (no propensity model, or no other covariate)"
    if balance is None or balance["in_model"].all():
        return {"other_balance": (None, "{}", missing)}
    rest = balance[~balance["in_model"]]
    off = rest[rest["smd_after"].abs() >= SMD_TARGET]
    worse = rest[rest["smd_after"].abs() > rest["smd_before"].abs()]
    words = (
        f"{len(off)} of the {len(rest)} other covariates of the Cox models have an |SMD| of "
        f"{SMD_TARGET:g} or more after weighting"
    )
    if len(off):
        words += (
            " ("
            + ", ".join(f"{r.label} {r.smd_before:.2f} → {r.smd_after:.2f}" for r in off.itertuples())
            + ")"
        )
    words += f", and {len(worse)} {'is' if len(worse) == 1 else 'are'} less balanced than before"
    return {"other_balance": (words, "{}", missing)}


def _balance_values(ps: PropensityResult | None, balance: pd.DataFrame | None) -> dict[str, Any]:
    """Results keys of the balance table and of the weights."""
    values: dict[str, Any] = {}
    if balance is None:
        return values
    for _, r in balance[balance["in_model"]].iterrows():
        values[f"methods.balance.{r['term']}.smd_before"] = r["smd_before"]
        values[f"methods.balance.{r['term']}.smd_after"] = r["smd_after"]
    w, a = ps.frame["weight"].to_numpy(), ps.frame["treatment"].to_numpy()
    values["methods.iptw.ess.treatment"] = effective_sample_size(w[a == 1])
    values["methods.iptw.ess.reference"] = effective_sample_size(w[a == 0])
    values["methods.iptw.weight_max"] = float(w.max())
    return values


def _estimates(
    cohort: pd.DataFrame, params, ps: PropensityResult | None, covariates: list[str], paper: dict[str, Any]
) -> _Estimates:
    est = _Estimates()
    for ep in ENDPOINT_NAMES:
        if not has_endpoint(cohort, ep):
            continue
        est.event_share[ep] = float(cohort[f"{ep}_event"].mean())
        rare = est.event_share[ep] < COMMON_OUTCOME
        crude = cox.univariable_cox(cohort, ep, params)
        est.crude[ep] = crude.term("treatment") if crude.converged else None
        if ps is not None:
            est.adjusted[ep] = adjusted_cox(cohort, ep, params, covariates)
            ipw = est.iptw[ep] = iptw_cox(cohort, ep, params, ps)
            est.evalues[(ep, "iptw")] = evalue(ipw.hr, ipw.ci_low, ipw.ci_high, rare=rare)
        hr, low, high = (paper.get(f"{ep}.cox_multivariable.{k}") for k in ("hr", "ci_low", "ci_high"))
        if hr is not None:
            est.evalues[(ep, "published")] = evalue(hr, low, high, rare=rare)
    return est


def _hazard_ratio_table(est: _Estimates, covariates: list[str], alpha: float) -> pd.DataFrame:
    """The arm's HR per endpoint: alone (unadjusted Cox), adjusted, weighted; intervals at ``alpha``."""
    rows = []
    for ep, label in ENDPOINT_NAMES.items():
        if ep not in est.crude:
            continue
        c = est.crude[ep]
        crude = (None,) * 4 if c is None else (c["hr"], c["ci_low"], c["ci_high"], c["p"])
        adjusted, iptw = est.adjusted[ep], est.iptw[ep]
        for text, hr in (
            ("Arm alone (unadjusted Cox, Wald CI)", crude),
            (
                "Cox adjusted for " + ", ".join(covariates),
                (adjusted.hr, adjusted.ci_low, adjusted.ci_high, adjusted.p),
            ),
            ("Cox weighted by stabilised IPTW, robust SE", (iptw.hr, iptw.ci_low, iptw.ci_high, iptw.p)),
        ):
            rows.append(
                {
                    "Endpoint": label,
                    "Estimate": text,
                    f"HR ({ci_label(alpha)})": format_hr_ci(*hr[:3], sep="–"),
                    "p": format_p(hr[3]),
                }
            )
    return pd.DataFrame(rows)


def _glue(
    cohort: pd.DataFrame,
    params,
    covariates: list[str],
    values: dict[str, Any],
    est: _Estimates,
    paper: dict[str, Any],
) -> dict[str, tuple]:
    """The numbers and phrases of the chapter's prose."""
    glue: dict[str, tuple] = {
        "ps_covariates": (", ".join(covariates) if covariates else "none available", "{}"),
        "smd_age": (values.get("methods.balance.age.smd_before"), "{:.2f}"),
        "smd_age_after": (values.get("methods.balance.age.smd_after"), "{:.2f}"),
        "ess_t": (values.get("methods.iptw.ess.treatment"), "{:.1f}"),
        "ess_r": (values.get("methods.iptw.ess.reference"), "{:.1f}"),
        "w_max": (values.get("methods.iptw.weight_max"), "{:.2f}"),
    }
    roles = arm_role(cohort, params.reference_group, params.treatment_group)
    age = cohort.groupby(roles)["age"].mean() if "age" in cohort.columns else {}
    glue["age_t"] = (age.get("treatment") if len(age) else None, "{:.1f}")
    glue["age_r"] = (age.get("reference") if len(age) else None, "{:.1f}")
    for ep in ENDPOINT_NAMES:
        c = est.crude.get(ep)
        glue[f"{ep}_crude"] = (None if c is None else (c["hr"], c["ci_low"], c["ci_high"]), "hr_ci")
        for name, r in (("adjusted", est.adjusted.get(ep)), ("iptw", est.iptw.get(ep))):
            glue[f"{ep}_{name}"] = (
                None if r is None or r.hr is None else (r.hr, r.ci_low, r.ci_high),
                "hr_ci",
            )
        for src in ("published", "iptw"):
            e = est.evalues.get((ep, src))
            glue[f"{ep}_ev_{src}"] = (None if e is None else e.estimate, "{:.2f}")
            glue[f"{ep}_ev_{src}_ci"] = (None if e is None else e.ci, "{:.2f}")
        glue[f"{ep}_event_share"] = (est.event_share.get(ep), "pct")
        glue[f"paper_{ep}_hr"] = (
            tuple(paper.get(f"{ep}.cox_multivariable.{k}") for k in ("hr", "ci_low", "ci_high")),
            "hr_ci",
        )
    directions = [d for d in (_direction(est, ep) for ep in ENDPOINT_NAMES) if d]
    glue["direction"] = (
        "; and ".join(directions) if directions else None,
        "{}",
        "cannot be assessed (no propensity covariates)",
    )
    readings = [r for r in (_marginal_reading(est, ep) for ep in ENDPOINT_NAMES) if r]
    glue["marginal_reading"] = (
        "; ".join(readings) if readings else None,
        "{}",
        "cannot be compared (no propensity covariates)",
    )
    any_rare = any(s < COMMON_OUTCOME for s in est.event_share.values())
    glue["outcome_kind"] = (
        "rare for at least one endpoint, so the HR is used as it is there"
        if any_rare
        else f"common for {'both endpoints' if len(est.event_share) > 1 else 'the endpoint analysed'} (each "
        f"share above {COMMON_OUTCOME:.0%}), so the common-outcome conversion is used",
        "{}",
    )
    glue.update(_evalue_exercise(paper.get("pfs.cox_multivariable.hr")))
    glue["common_outcome"] = (COMMON_OUTCOME, "pct")
    return glue


def _evalue_exercise(hr: float | None) -> dict[str, tuple]:
    """Exercise 1: the E-value of the paper's adjusted PFS HR as printed, by each conversion, by hand."""
    if hr is None:
        return {k: (None, "{}") for k in ("ex_hr", "ex_inv", "ex_rr_inv", "ex_rare", "ex_common", "ex_rr")}
    return {
        "ex_hr": (hr, "{:.2f}"),
        "ex_inv": (1 / hr, "{:.3f}"),
        "ex_rr_inv": (1 / hr_to_rr(hr, rare=False), "{:.3f}"),
        "ex_rare": (evalue(hr, rare=True).estimate, "{:.2f}"),
        "ex_common": (evalue(hr, rare=False).estimate, "{:.2f}"),
        "ex_rr": (hr_to_rr(hr, rare=False), "{:.3f}"),
    }


def _shift(crude: float, other: float) -> str:
    """How ``other`` stands against ``crude`` at the printed precision (two decimals)."""
    if f"{other:.2f}" == f"{crude:.2f}":
        return "unchanged at two decimals"
    return "closer to 1" if abs(math.log(other)) < abs(math.log(crude)) else "further from 1"


def _direction(est: _Estimates, ep: str) -> str | None:
    """How adjusting and weighting change the arm's HR for ``ep``, each judged at the printed
    precision: closer to 1, further from 1, or unchanged at two decimals."""
    c, a, w = est.crude.get(ep), est.adjusted.get(ep), est.iptw.get(ep)
    if c is None or a is None or w is None or a.hr is None or w.hr is None:
        return None
    return (
        f"takes the HR for {ENDPOINT_NAMES[ep].lower()} from {c['hr']:.2f} crude to {a.hr:.2f} adjusted "
        f"({_shift(c['hr'], a.hr)}) and {w.hr:.2f} weighted ({_shift(c['hr'], w.hr)})"
    )


def _marginal_reading(est: _Estimates, ep: str) -> str | None:
    """Exercise 2: whether the weighted (marginal) HR for ``ep`` is further from 1 than the adjusted
    (conditional) one, at three decimals, and whether that is the direction non-collapsibility alone
    would give (the marginal HR closer to 1)."""
    a, w = est.adjusted.get(ep), est.iptw.get(ep)
    if a is None or w is None or a.hr is None or w.hr is None:
        return None
    name = ENDPOINT_NAMES[ep].lower()
    pair = f"{w.hr:.3f} weighted against {a.hr:.3f} adjusted"
    if f"{w.hr:.3f}" == f"{a.hr:.3f}":
        return f"for {name} the two are equal at three decimals ({pair})"
    if abs(math.log(w.hr)) < abs(math.log(a.hr)):
        return f"for {name} the weighted HR is the closer to 1 ({pair}), as non-collapsibility would make it"
    return (
        f"for {name} the weighted HR is the further from 1 ({pair}), which non-collapsibility alone "
        "would not produce"
    )


#: The variances of the IPTW hazard ratio: R's sandwich, lifelines' tie-ignoring sandwich, model-based.
VARIANCE_SOFTWARE = {
    "robust": "sandwich (Lin & Wei), tied times by Efron's rule: R coxph with non-integer weights "
    "(robust by default), this book",
    "robust, ties ignored": "lifelines CoxPHFitter(robust=True): its score residuals treat tied times "
    "as ordered",
    "model-based": "inverse information of the weighted likelihood, weights taken as frequencies: "
    "lifelines' default, R coxph(robust = FALSE)",
}


def _each_arm_has_events(ps: PropensityResult, cohort: pd.DataFrame, endpoint: str) -> bool:
    """Whether the arm's weighted HR is finite: an arm without events sends it to 0 or infinity."""
    events = cohort.loc[ps.frame.index, f"{endpoint}_event"]
    by_arm = events.groupby(ps.frame["treatment"]).sum()
    return len(by_arm) == 2 and bool((by_arm > 0).all())


def variance_conventions(cohort: pd.DataFrame, endpoint: str, params, ps: PropensityResult) -> pd.DataFrame:
    """The IPTW hazard ratio of ``endpoint`` under the three variances of :data:`VARIANCE_SOFTWARE`.

    Same weights and point estimate (lifelines ``CoxPHFitter`` weighted, Efron ties); columns
    variance, programs, hr, se, ci_low, ci_high, p (Wald). The model-based variance treats the
    weights as frequencies, as if the pseudo-population were real patients; lifelines'
    ``robust=True`` differs from R's sandwich only through tied event times.
    """
    from lifelines import CoxPHFitter

    df = pd.DataFrame(
        {
            "duration": cohort.loc[ps.frame.index, f"{endpoint}_months"].astype(float),
            "event": cohort.loc[ps.frame.index, f"{endpoint}_event"].astype(float),
            "treatment": ps.frame["treatment"],
            "weight": ps.frame["weight"],
        }
    ).dropna()
    z = z_two_sided(params.alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = {
            robust: CoxPHFitter(alpha=params.alpha).fit(
                df, "duration", "event", weights_col="weight", robust=robust, fit_options={"precision": 1e-10}
            )
            for robust in (False, True)
        }
    b = float(fits[False].params_["treatment"])
    ses = {
        "robust": _tied_robust_se(df, fits[False]),
        "robust, ties ignored": float(fits[True].standard_errors_["treatment"]),
        "model-based": float(fits[False].standard_errors_["treatment"]),
    }
    rows = [
        {
            "variance": kind,
            "programs": VARIANCE_SOFTWARE[kind],
            "hr": math.exp(b),
            "se": se,
            "ci_low": math.exp(b - z * se),
            "ci_high": math.exp(b + z * se),
            "p": wald_p(b, se),
        }
        for kind, se in ses.items()
    ]
    return pd.DataFrame(rows)


def evalue_conventions(hr: float, ci_low: float, ci_high: float) -> pd.DataFrame:
    """The E-value of one hazard ratio under the three conversions to a risk ratio one meets.

    Rows: RR = HR (rare outcome; VanderWeele & Ding 2017), RR from the common-outcome
    conversion (1 − 0.5^√HR)/(1 − 0.5^√(1/HR)) (VanderWeele 2020; R package EValue,
    ``evalues.HR(rare = FALSE)``), and RR = √HR, the common-outcome conversion of an *odds*
    ratio wrongly applied to a hazard ratio. Columns conversion, rr, estimate, ci.
    """
    rows = [
        ("RR = HR (rare outcome)", evalue(hr, ci_low, ci_high, rare=True)),
        ("RR = (1 − 0.5^√HR)/(1 − 0.5^√(1/HR)) (common outcome)", evalue(hr, ci_low, ci_high, rare=False)),
        (
            "RR = √HR (the odds-ratio conversion, misapplied)",
            evalue(math.sqrt(hr), math.sqrt(ci_low), math.sqrt(ci_high), rare=True),
        ),
    ]
    return pd.DataFrame(
        [{"conversion": name, "rr": e.rr, "estimate": e.estimate, "ci": e.ci} for name, e in rows]
    )


def format_variance_conventions(tables: dict[str, pd.DataFrame], alpha: float = 0.05) -> pd.DataFrame:
    """Text version of :func:`variance_conventions` per endpoint (``tables``: label -> table); ``alpha``
    is the level the intervals were computed at (``params.alpha``), named in the header."""
    return pd.DataFrame(
        [
            {
                "Endpoint": label,
                "Variance": r["variance"],
                "Programs": r["programs"],
                "SE of log HR": f"{r['se']:.3f}",
                f"HR ({ci_label(alpha)})": format_hr_ci(r["hr"], r["ci_low"], r["ci_high"], sep="–"),
                "p": format_p(r["p"]),
            }
            for label, table in tables.items()
            for _, r in table.iterrows()
        ]
    )


def confounding_teaching(
    cohort: pd.DataFrame, params, chapter: ConfoundingChapter, published: dict[str, Any] | None = None
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame | None, dict[str, tuple]]:
    """The confounding chapter's conventions and teaching numbers: the IPTW variance both ways per
    endpoint (:func:`variance_conventions`), the E-value of the paper's adjusted PFS HR under each
    conversion (:func:`evalue_conventions`), and the glue of the positivity check (the propensity
    scores' range per arm), of the paper's ECOG HR as a benchmark for the E-value, and of the
    non-collapsibility exercise."""
    paper = published_values() if published is None else published
    ps = chapter.propensity
    variance: dict[str, pd.DataFrame] = {}
    glue: dict[str, tuple] = {}
    no_model = "not available (no propensity model)"
    for role in ("treatment", "reference"):
        glue[f"ps_range_{role}"] = (None, "{0[0]:.2f} to {0[1]:.2f}", no_model)
    glue["w_raw_max"] = (None, "{:.2f}", no_model)
    if ps is not None:
        for ep in ENDPOINT_NAMES:
            if has_endpoint(cohort, ep) and _each_arm_has_events(ps, cohort, ep):
                variance[ep] = variance_conventions(cohort, ep, params, ps)
        f = ps.frame
        for role, flag in (("treatment", 1), ("reference", 0)):
            sub = f.loc[f["treatment"] == flag, "ps"]
            glue[f"ps_range_{role}"] = ((float(sub.min()), float(sub.max())), "{0[0]:.2f} to {0[1]:.2f}")
        glue["w_raw_max"] = (float(f["weight_raw"].max()), "{:.2f}")
    hr, lo, hi = (paper.get(f"pfs.cox_multivariable.{k}") for k in ("hr", "ci_low", "ci_high"))
    table = None if hr is None else evalue_conventions(hr, lo, hi)
    if table is not None:
        for i, name in enumerate(("rare", "common", "sqrt")):
            glue[f"ev_{name}"] = (table["estimate"].iloc[i], "{:.2f}")
    glue["paper_ecog_hr"] = (paper.get("pfs.cox_multivariable.ecog.hr"), "{:.2f}")
    for ep in ENDPOINT_NAMES:
        v = variance.get(ep)
        for kind in VARIANCE_SOFTWARE:
            row = None if v is None else v[v["variance"] == kind].iloc[0]
            glue[f"{ep}_se_{kind.replace('-', '_').replace(', ', '_').replace(' ', '_')}"] = (
                None if row is None else row["se"],
                "{:.3f}",
            )
    return variance, table, glue


def format_evalue_conventions(table: pd.DataFrame) -> pd.DataFrame:
    """Text version of :func:`evalue_conventions`."""
    return pd.DataFrame(
        {
            "Conversion of the HR to a risk ratio": table["conversion"],
            "Risk ratio": table["rr"].map("{:.3f}".format),
            "E-value, estimate": table["estimate"].map("{:.2f}".format),
            "E-value, CI limit": table["ci"].map(lambda v: "—" if v is None else f"{v:.2f}"),
        }
    )
