"""A Bayesian reading of the arm's hazard ratio (chapter 19).

The posterior of the log HR θ of the arm (arm-only Cox model) under three
normal priors, defined as Spiegelhalter, Abrams & Myles (2004) define their
"community of priors", around a design effect θ_A = log HR_A taken from
outside the data:

* **sceptical**: centred on no effect (θ = 0), with a spread such that the
  probability of an effect at least as large as the design effect is small,
  P(θ < θ_A) = γ (γ = 5%): σ = |θ_A| / z_{1−γ};
* **enthusiastic**: centred on the design effect, with the same spread, so
  that P(θ > 0) = γ: the probability of no benefit or harm is small;
* **neutral**: centred on no effect and wide, giving 95% probability to HRs
  between 1/R and R (R = 10): σ = log R / z_{0.975}; it rules out only
  implausibly large effects and lets the data speak.

The design HR is the inverse-variance pooled overall-survival HR of the two
phase III trials of first-line chemo-immunotherapy in extensive-stage small
cell lung cancer, IMpower133 (Horn et al. 2018) and CASPIAN (Paz-Ares et
al. 2019), whose treatment paradigm this study borrows. Each posterior is
computed twice: by the normal approximation to the Cox likelihood
(:func:`lcnec_utils.stats.posterior.normal_posterior`) and on an exact grid
over the Efron partial likelihood (:func:`lcnec_utils.stats.posterior.grid_posterior`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lcnec_utils.methods.design import external_trials
from lcnec_utils.methods.glued import NO_PFS, ChapterNumbers
from lcnec_utils.stats import cox
from lcnec_utils.stats.posterior import (
    NormalPosterior,
    arm_partial_loglik,
    grid_posterior,
    normal_posterior,
)
from lcnec_utils.stats.survival import endpoint_data, has_endpoint


def trial_hrs() -> tuple[dict[str, Any], ...]:
    """Overall-survival HRs (95% CI) of first-line chemo-immunotherapy against chemotherapy in
    extensive-stage SCLC, as the trials' primary publications report them: the trials of
    ``data/external_trials.yaml`` (:func:`lcnec_utils.methods.design.external_trials`), the same
    design values the power chapter uses."""
    trials, _ = external_trials()
    return tuple(
        {"trial": t.name, "hr": t.hr, "ci_low": t.ci_low, "ci_high": t.ci_high, "cite": t.citation}
        for t in trials.values()
    )


#: Prior probability of the sceptical prior's "design effect or better" and of the
#: enthusiastic prior's "no benefit" (Spiegelhalter et al. 2004 use 5%).
GAMMA = 0.05
#: The neutral prior gives 95% probability to HRs between 1/R and R.
NEUTRAL_RANGE = 10.0
#: The hazard ratio a clinician would call a worthwhile benefit.
WORTHWHILE_HR = 0.8
PRIOR_NAMES = ("sceptical", "neutral", "enthusiastic")


@dataclass(frozen=True)
class Prior:
    """A normal prior N(mean, sd²) on the log HR, with what it assumes in words."""

    name: str
    mean: float
    sd: float
    assumes: str

    @property
    def normal(self) -> NormalPosterior:
        return NormalPosterior(self.mean, self.sd)


def pooled_design_hr(trials=None, alpha: float = 0.05) -> dict[str, float]:
    """Inverse-variance (fixed-effect) pooled HR of ``trials`` (default: :func:`trial_hrs`) on the log scale.

    SE of each log HR from its CI: (log high − log low) / (2 z_{1−α/2}).
    Returns hr, ci_low, ci_high, log_hr and se of the pooled estimate.
    """
    trials = trial_hrs() if trials is None else trials
    z = stats.norm.ppf(1 - alpha / 2)
    logs = np.array([math.log(t["hr"]) for t in trials])
    ses = np.array([(math.log(t["ci_high"]) - math.log(t["ci_low"])) / (2 * z) for t in trials])
    w = 1 / ses**2
    est = float(np.sum(w * logs) / np.sum(w))
    se = float(math.sqrt(1 / np.sum(w)))
    return {
        "hr": math.exp(est),
        "ci_low": math.exp(est - z * se),
        "ci_high": math.exp(est + z * se),
        "log_hr": est,
        "se": se,
    }


def spiegelhalter_priors(
    design_hr: float, gamma: float = GAMMA, neutral_range: float = NEUTRAL_RANGE
) -> dict[str, Prior]:
    """The sceptical, neutral and enthusiastic priors of the log HR (module docstring)."""
    if not 0 < design_hr < 1:
        raise ValueError("design_hr must lie in (0, 1): a benefit")
    theta_a = math.log(design_hr)
    sd = abs(theta_a) / stats.norm.ppf(1 - gamma)
    neutral_sd = math.log(neutral_range) / stats.norm.ppf(0.975)
    pct = f"{100 * gamma:g}%"
    return {
        "sceptical": Prior(
            "sceptical",
            0.0,
            sd,
            f"no effect is most likely; an HR of {design_hr:.2f} or better has only {pct} probability",
        ),
        "neutral": Prior(
            "neutral",
            0.0,
            neutral_sd,
            f"no effect is most likely, but any HR between 1/{neutral_range:g} and {neutral_range:g} "
            "is plausible (95%)",
        ),
        "enthusiastic": Prior(
            "enthusiastic",
            theta_a,
            sd,
            f"the trials' HR of {design_hr:.2f} is most likely; no benefit or harm has only {pct} probability",
        ),
    }


def prior_events(prior_sd: float, allocation: float) -> float:
    """Events of data carrying as much information as the prior: 1 / (σ² p (1 − p)).

    From Var(log HR) ≈ 1 / (d p (1 − p)) with d events and a share p in the
    treatment arm (Schoenfeld 1983; 4/d for equal arms).
    """
    return 1.0 / (prior_sd**2 * allocation * (1 - allocation))


@dataclass(frozen=True)
class ArmLikelihood:
    """The arm-only Cox fit (estimate, SE, events, allocation) and the exact log-likelihood's inputs."""

    estimate: float | None
    se: float | None
    events: int
    allocation: float
    time: np.ndarray
    event: np.ndarray
    treatment: np.ndarray

    @property
    def normal(self) -> NormalPosterior | None:
        return None if self.estimate is None else NormalPosterior(self.estimate, self.se)


def arm_likelihood(cohort: pd.DataFrame, endpoint: str, params) -> ArmLikelihood:
    """The arm-only Cox model (lifelines, Efron; :func:`lcnec_utils.stats.cox.univariable_cox`)."""
    f = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group).frame
    res = cox.univariable_cox(cohort, endpoint, params)
    b, se = float(res.table["coef"].iloc[0]), float(res.table["se"].iloc[0])
    finite = res.converged and math.isfinite(b) and math.isfinite(se) and abs(b) < 20
    treatment = (f["role"] == "treatment").to_numpy().astype(int)
    return ArmLikelihood(
        b if finite else None,
        se if finite else None,
        int(f["event"].sum()),
        float(treatment.mean()),
        f["time"].to_numpy(float),
        f["event"].to_numpy(int),
        treatment,
    )


def common_grid(
    lik: ArmLikelihood, priors: dict[str, Prior], per_sd: int = 200, work: float = 5e7
) -> np.ndarray:
    """One β grid for every prior: 12 posterior SDs either side of each (normal-approximation) posterior,
    ``per_sd`` points per SD of the narrowest, 2,001 to 20,001 points; fewer (not below 2,001) when
    points × events would exceed ``work`` (a large cohort). The trapezoidal probabilities then err by
    about 1e-6 on the book's cohort."""
    if lik.estimate is None:
        centres = [(p.mean, p.sd) for p in priors.values()]
    else:
        centres = [
            (post.mean, post.sd)
            for post in (normal_posterior(p.mean, p.sd, lik.estimate, lik.se) for p in priors.values())
        ]
    lo = min(m - 12 * s for m, s in centres)
    hi = max(m + 12 * s for m, s in centres)
    wanted = (hi - lo) / min(s for _, s in centres) * per_sd
    points = int(np.clip(min(wanted, work / max(lik.events, 1)), 2001, 20001))
    return np.linspace(lo, hi, points)


def posterior_table(lik: ArmLikelihood, priors: dict[str, Prior], worthwhile: float = WORTHWHILE_HR):
    """One row per (prior, method): posterior median HR, 95% credible interval, P(HR < 1), P(HR < worthwhile).

    ``method`` is ``normal`` (normal approximation; absent when the Cox
    estimate is not finite) or ``grid`` (exact partial likelihood on
    :func:`common_grid`). Also returns the grid posteriors by prior name.
    """
    beta = common_grid(lik, priors)
    loglik = arm_partial_loglik(lik.time, lik.event, lik.treatment, beta)
    rows, grids = [], {}
    for name, prior in priors.items():
        summaries = {}
        if lik.normal is not None:
            summaries["normal"] = normal_posterior(prior.mean, prior.sd, lik.estimate, lik.se)
        grids[name] = summaries["grid"] = grid_posterior(beta, loglik, prior.mean, prior.sd)
        for method, post in summaries.items():
            rows.append(
                {
                    "prior": name,
                    "method": method,
                    "hr_median": post.hr_quantile(0.5),
                    "cri_low": post.hr_quantile(0.025),
                    "cri_high": post.hr_quantile(0.975),
                    "p_benefit": post.prob_hr_below(1.0),
                    "p_worthwhile": post.prob_hr_below(worthwhile),
                }
            )
    return pd.DataFrame(rows), grids


def bayes_results(table: pd.DataFrame, lik: ArmLikelihood, endpoint: str) -> dict[str, Any]:
    """Keys ``methods.bayes.<endpoint>.<prior>.<normal|grid>.<stat>`` and ``.likelihood.{log_hr,se}``."""
    out: dict[str, Any] = {
        f"methods.bayes.{endpoint}.likelihood.log_hr": lik.estimate,
        f"methods.bayes.{endpoint}.likelihood.se": lik.se,
    }
    for _, r in table.iterrows():
        for k in ("hr_median", "cri_low", "cri_high", "p_benefit", "p_worthwhile"):
            out[f"methods.bayes.{endpoint}.{r['prior']}.{r['method']}.{k}"] = float(r[k])
    return out


def prior_results(design: dict[str, float], priors: dict[str, Prior]) -> dict[str, Any]:
    """Keys ``methods.bayes.design_hr`` and ``methods.bayes.prior.<prior>.{mean,sd}``."""
    out: dict[str, Any] = {"methods.bayes.design_hr": design["hr"]}
    for name, p in priors.items():
        out[f"methods.bayes.prior.{name}.mean"] = p.mean
        out[f"methods.bayes.prior.{name}.sd"] = p.sd
    return out


def format_posterior_table(table: pd.DataFrame, worthwhile: float = WORTHWHILE_HR) -> pd.DataFrame:
    """Text rows of :func:`posterior_table`."""
    method_label = {"normal": "normal approximation", "grid": "exact grid"}
    return pd.DataFrame(
        {
            "Prior": table["prior"],
            "Computed by": table["method"].map(method_label),
            "Posterior median HR (95% CrI)": [
                f"{r.hr_median:.2f} ({r.cri_low:.2f}–{r.cri_high:.2f})" for r in table.itertuples()
            ],
            "P(HR < 1)": [f"{100 * v:.1f}%" for v in table["p_benefit"]],
            f"P(HR < {worthwhile:g})": [f"{100 * v:.1f}%" for v in table["p_worthwhile"]],
        }
    )


def format_priors(priors: dict[str, Prior]) -> pd.DataFrame:
    """One row per prior: mean and 95% range as HRs, the SD of the log HR and what it assumes."""
    z = stats.norm.ppf(0.975)
    return pd.DataFrame(
        {
            "Prior": list(priors),
            "Centre (HR)": [f"{math.exp(p.mean):.2f}" for p in priors.values()],
            "95% prior range (HR)": [
                f"{math.exp(p.mean - z * p.sd):.2f}–{math.exp(p.mean + z * p.sd):.2f}"
                for p in priors.values()
            ],
            "SD of log HR": [f"{p.sd:.3f}" for p in priors.values()],
            "What it assumes": [p.assumes for p in priors.values()],
        }
    )


def _endpoint_texts(numbers, ep: str, lik: ArmLikelihood | None, table: pd.DataFrame | None, missing: str):
    t = numbers.text
    est = None if lik is None or lik.estimate is None else lik.estimate
    z = stats.norm.ppf(0.975)
    hr_ci = None if est is None else (math.exp(est), math.exp(est - z * lik.se), math.exp(est + z * lik.se))
    t(f"{ep}_lik_hr", hr_ci, "hr_ci", missing if lik is None else "not estimable (an arm has no event)")
    t(f"{ep}_events", None if lik is None else lik.events, "{:d}", missing)
    rows = {} if table is None else {(r["prior"], r["method"]): r for _, r in table.iterrows()}
    for prior in PRIOR_NAMES:
        for method, suffix in (("normal", ""), ("grid", "_grid")):
            r = rows.get((prior, method))
            t(f"{ep}_{prior}_p1{suffix}", None if r is None else r["p_benefit"], "pct", missing)
            t(f"{ep}_{prior}_p08{suffix}", None if r is None else r["p_worthwhile"], "pct", missing)
            hr = None if r is None else (r["hr_median"], r["cri_low"], r["cri_high"])
            t(f"{ep}_{prior}_hr{suffix}", hr, "hr_ci", missing)
    gap = None
    if table is not None and (table["method"] == "normal").any():
        wide = table.pivot(index="prior", columns="method", values=["p_benefit", "p_worthwhile"])
        gap = max(
            float((wide[(k, "normal")] - wide[(k, "grid")]).abs().max())
            for k in ("p_benefit", "p_worthwhile")
        )
    t(f"{ep}_max_gap", None if gap is None else 100 * gap, "{:.1f}", missing)
    reading = None
    if gap is not None:
        reading = (
            "the Cox likelihood of the arm is close to normal on the log scale here"
            if gap < 0.01
            else "the normal approximation is not to be trusted here: read the exact grid"
        )
    t(f"{ep}_gap_reading", reading, "{}", missing)
    sceptic = rows.get(("sceptical", "grid"))
    verdict = None
    if sceptic is not None:
        verdict = (
            "a worthwhile benefit stays less likely than not"
            if sceptic["p_worthwhile"] < 0.5
            else "a worthwhile benefit becomes more likely than not"
        )
    t(f"{ep}_sceptic_verdict", verdict, "{}", missing)


def bayes_page(cohort: pd.DataFrame, params) -> tuple[Any, dict, dict]:
    """Everything chapter 19 records and glues; the priors, and per endpoint (likelihood, table, grids)."""

    design = pooled_design_hr()
    priors = spiegelhalter_priors(design["hr"])
    numbers = ChapterNumbers(values=prior_results(design, priors))
    fits = {}
    for ep in ("os", "pfs"):
        if not has_endpoint(cohort, ep):
            _endpoint_texts(numbers, ep, None, None, NO_PFS)
            continue
        lik = arm_likelihood(cohort, ep, params)
        table, grids = posterior_table(lik, priors)
        fits[ep] = (lik, table, grids)
        numbers.values.update(bayes_results(table, lik, ep))
        _endpoint_texts(numbers, ep, lik, table, "not available")
    _prior_texts(numbers, design, priors)
    _exercise_texts(numbers, priors, fits["os"][0])
    return numbers, priors, fits


def _prior_texts(numbers, design: dict[str, float], priors: dict[str, Prior]) -> None:
    t = numbers.text
    for trial in trial_hrs():
        t(f"{trial['trial'].lower()}_hr", (trial["hr"], trial["ci_low"], trial["ci_high"]), "hr_ci")
    t("design_hr", design["hr"], "{:.2f}")
    t("design_ci", (design["ci_low"], design["ci_high"]), "{0[0]:.2f}–{0[1]:.2f}")
    t("gamma_pct", GAMMA, "pct")
    t("neutral_r", NEUTRAL_RANGE, "{:g}")
    t("worthwhile", WORTHWHILE_HR, "{:g}")
    z = stats.norm.ppf(0.975)
    for name, p in priors.items():
        t(
            f"{name}_range",
            (math.exp(p.mean - z * p.sd), math.exp(p.mean + z * p.sd)),
            "{0[0]:.2f}–{0[1]:.2f}",
        )
        t(f"{name}_sd", p.sd, "{:.3f}")


def _exercise_texts(numbers, priors: dict[str, Prior], lik: ArmLikelihood) -> None:
    """Exercise 1: the sceptical posterior by hand; exercise 2: the priors' weight in events."""
    t = numbers.text
    missing = "not available (the Cox estimate is not finite)"
    sc = priors["sceptical"]
    post = None if lik.estimate is None else normal_posterior(sc.mean, sc.sd, lik.estimate, lik.se)
    t("ex1_b", lik.estimate, "{:.3f}", missing)
    t("ex1_se", lik.se, "{:.3f}", missing)
    t("ex1_w_prior", None if post is None else post.sd**2 / sc.sd**2, "{:.2f}", missing)
    t("ex1_post_mean", None if post is None else post.mean, "{:.3f}", missing)
    t("ex1_post_sd", None if post is None else post.sd, "{:.3f}", missing)
    t("ex1_post_hr", None if post is None else math.exp(post.mean), "{:.2f}", missing)
    t("ex2_alloc", lik.allocation, "{:.3f}")
    t("ex2_sceptical_events", prior_events(sc.sd, lik.allocation), "{:.0f}")
    t("ex2_neutral_events", prior_events(priors["neutral"].sd, lik.allocation), "{:.1f}")
    t("ex2_data_events", lik.events, "{:d}")
    more = prior_events(sc.sd, lik.allocation) > lik.events
    t(
        "ex2_compare",
        "more information than the study itself, which is why the data move it so little"
        if more
        else "less information than the study, so the data outweigh it",
    )
