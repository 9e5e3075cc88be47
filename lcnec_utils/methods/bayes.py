"""A Bayesian reading of the arm's hazard ratio (chapter 19).

The posterior of the log HR θ of the arm (arm-only Cox model) under three
normal priors, defined as Spiegelhalter, Abrams & Myles (2004) define their
"community of priors", around the trials' pooled effect θ_A = log HR_A, taken
from outside the data:

* **sceptical**: centred on no effect (θ = 0), with a spread such that the
  probability of an effect at least as large as the trials' pooled effect is
  small, P(θ < θ_A) = γ (γ = 5%): σ = |θ_A| / z_{1−γ};
* **enthusiastic**: centred on the trials' pooled effect, with the same
  spread, so that P(θ > 0) = γ: the probability of no benefit or harm is small;
* **neutral**: centred on no effect and wide, giving 95% probability to HRs
  between 1/R and R (R = 10): σ = log R / z_{0.975}; it rules out only
  implausibly large effects and lets the data speak.

HR_A is the inverse-variance pooled HR, for the endpoint being read (overall or
progression-free survival), of the two phase III trials of first-line
chemo-immunotherapy in extensive-stage small cell lung cancer, IMpower133 (Horn
et al. 2018) and CASPIAN (Paz-Ares et al. 2019), whose treatment paradigm this
study borrows (``data/external_trials.yaml``). Chapter 14 plans each endpoint
with one trial's HR for that endpoint (the file's ``design_trial``), not this
pooled one. Each posterior is computed twice: by the normal approximation to the Cox
likelihood (:func:`lcnec_utils.stats.posterior.normal_posterior`) and on an
exact grid over the Efron partial likelihood
(:func:`lcnec_utils.stats.posterior.grid_posterior`).
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
from lcnec_utils.stats.format import format_hr_bound, format_hr_ci, format_value
from lcnec_utils.stats.posterior import (
    NormalPosterior,
    arm_partial_loglik,
    grid_posterior,
    normal_posterior,
)
from lcnec_utils.stats.survival import endpoint_data, has_endpoint

#: The endpoints the chapter reads, as its prose names them.
ENDPOINT_LABELS = {"os": "overall survival", "pfs": "progression-free survival"}
#: The fields of ``data/external_trials.yaml`` that hold each endpoint's HR and 95% CI.
TRIAL_FIELDS = {"os": ("hr", "ci_low", "ci_high"), "pfs": ("pfs_hr", "pfs_ci_low", "pfs_ci_high")}


def trial_hrs(endpoint: str = "os") -> tuple[dict[str, Any], ...]:
    """The HRs (95% CI) of first-line chemo-immunotherapy against chemotherapy in extensive-stage SCLC
    for ``endpoint`` (``"os"`` or ``"pfs"``), as the trials' primary publications report them: the
    trials of ``data/external_trials.yaml`` (:func:`lcnec_utils.methods.design.external_trials`), whose
    design trial's HRs the power chapter plans with."""
    trials, _ = external_trials()
    fields = TRIAL_FIELDS[endpoint]
    return tuple(
        {
            "trial": t.name,
            "hr": getattr(t, fields[0]),
            "ci_low": getattr(t, fields[1]),
            "ci_high": getattr(t, fields[2]),
            "cite": t.citation,
        }
        for t in trials.values()
    )


#: Prior probability of the sceptical prior's "the trials' pooled effect or better" and of the
#: enthusiastic prior's "no benefit" (Spiegelhalter et al. 2004 use 5%).
GAMMA = 0.05
#: The neutral prior gives 95% probability to HRs between 1/R and R.
NEUTRAL_RANGE = 10.0
#: The hazard ratio a clinician would call a worthwhile benefit.
WORTHWHILE_HR = 0.8
#: A reading calls the combination promising when it makes a worthwhile benefit more likely than
#: not: P(HR < WORTHWHILE_HR) above this level, i.e. the posterior median HR below WORTHWHILE_HR.
PROMISING_LEVEL = 0.5
#: The largest gap (as a proportion) between the grid's and the normal approximation's
#: probabilities at which the page calls the Cox likelihood close to normal.
GAP_LIMIT = 0.01
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


def pooled_trial_hr(endpoint: str = "os", trials=None, alpha: float = 0.05) -> dict[str, float]:
    """Inverse-variance (fixed-effect) pooled HR of ``trials`` (default: :func:`trial_hrs` of
    ``endpoint``) on the log scale: the trials' pooled effect.

    SE of each log HR from its CI: (log high − log low) / (2 z_{1−α/2}).
    Returns hr, ci_low, ci_high, log_hr and se of the pooled estimate.
    """
    trials = trial_hrs(endpoint) if trials is None else trials
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
    trials_hr: float, gamma: float = GAMMA, neutral_range: float = NEUTRAL_RANGE
) -> dict[str, Prior]:
    """The sceptical, neutral and enthusiastic priors of the log HR around the trials' pooled HR
    ``trials_hr`` (module docstring)."""
    if not 0 < trials_hr < 1:
        raise ValueError("trials_hr must lie in (0, 1): a benefit")
    theta_a = math.log(trials_hr)
    sd = abs(theta_a) / stats.norm.ppf(1 - gamma)
    neutral_sd = math.log(neutral_range) / stats.norm.ppf(0.975)
    pct = f"{100 * gamma:g}%"
    return {
        "sceptical": Prior(
            "sceptical",
            0.0,
            sd,
            f"no effect is most likely; an HR of {trials_hr:.2f} or better has only {pct} probability",
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
            f"the trials' HR of {trials_hr:.2f} is most likely; no benefit or harm has only {pct} probability",
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


def prior_results(endpoint: str, pooled: dict[str, float], priors: dict[str, Prior]) -> dict[str, Any]:
    """Keys ``methods.bayes.<endpoint>.trials_hr`` and ``methods.bayes.<endpoint>.prior.<prior>.{mean,sd}``;
    for overall survival also the keys of the book's earlier releases, ``methods.bayes.design_hr`` and
    ``methods.bayes.prior.<prior>.{mean,sd}`` (the priors were built from the trials' OS HRs for
    both endpoints then): a released results key is kept, not renamed."""
    out: dict[str, Any] = {f"methods.bayes.{endpoint}.trials_hr": pooled["hr"]}
    for name, p in priors.items():
        out[f"methods.bayes.{endpoint}.prior.{name}.mean"] = p.mean
        out[f"methods.bayes.{endpoint}.prior.{name}.sd"] = p.sd
    if endpoint == "os":
        out["methods.bayes.design_hr"] = pooled["hr"]
        for name, p in priors.items():
            out[f"methods.bayes.prior.{name}.mean"] = p.mean
            out[f"methods.bayes.prior.{name}.sd"] = p.sd
    return out


def format_posterior_table(table: pd.DataFrame, worthwhile: float = WORTHWHILE_HR) -> pd.DataFrame:
    """Text rows of :func:`posterior_table` (a bound that would print as 1.00 gets a third decimal)."""
    method_label = {"normal": "normal approximation", "grid": "exact grid"}
    return pd.DataFrame(
        {
            "Prior": table["prior"],
            "Computed by": table["method"].map(method_label),
            "Posterior median HR (95% CrI)": [
                format_hr_ci(r.hr_median, r.cri_low, r.cri_high, sep="–", side_of_one=True)
                for r in table.itertuples()
            ],
            "P(HR < 1)": [f"{100 * v:.1f}%" for v in table["p_benefit"]],
            f"P(HR < {worthwhile:g})": [f"{100 * v:.1f}%" for v in table["p_worthwhile"]],
        }
    )


def format_priors(priors: dict[str, dict[str, Prior]]) -> pd.DataFrame:
    """One row per endpoint and prior (``priors``: endpoint -> name -> :class:`Prior`): the centre and
    95% range as HRs, the SD of the log HR and what it assumes."""
    z = stats.norm.ppf(0.975)
    rows = [(ep, p) for ep, by_name in priors.items() for p in by_name.values()]
    return pd.DataFrame(
        {
            "Endpoint": [ENDPOINT_LABELS[ep].capitalize() for ep, _ in rows],
            "Prior": [p.name for _, p in rows],
            "Centre (HR)": [f"{math.exp(p.mean):.2f}" for _, p in rows],
            "95% prior range (HR)": [
                f"{format_hr_bound(math.exp(p.mean - z * p.sd))}–{format_hr_bound(math.exp(p.mean + z * p.sd))}"
                for _, p in rows
            ],
            "SD of log HR": [f"{p.sd:.3f}" for _, p in rows],
            "What it assumes": [p.assumes for _, p in rows],
        }
    )


def quoted_rows(table: pd.DataFrame) -> dict[str, pd.Series]:
    """The row of each prior that the prose quotes: the normal approximation, or the exact grid where
    the Cox estimate is not finite (no normal row)."""
    rows: dict[str, pd.Series] = {}
    for _, r in table.iterrows():
        if r["method"] == "normal" or r["prior"] not in rows:
            rows[r["prior"]] = r
    return rows


def _listing(names: list[str]) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _pct(p: float) -> str:
    return format_value(p, "pct")


def _priors_phrase(names: list[str], probs: dict[str, float]) -> str:
    """``"the neutral and enthusiastic priors (90.2% and 86.6%)"``."""
    noun = "prior" if len(names) == 1 else "priors"
    return f"the {_listing(names)} {noun} ({_listing([_pct(probs[n]) for n in names])})"


#: What the set of priors under which a worthwhile benefit is more likely than not says of the
#: paper's "promising". Under the normal approximation the sets are nested, sceptical ⊂ neutral and
#: sceptical ⊂ enthusiastic (each posterior mean is its prior's weight times the prior mean plus the
#: rest times the estimate; the sceptical prior is the narrower of the two centred on no effect and
#: the enthusiastic one is centred on a benefit), and neutral ⊂ enthusiastic when the trials' pooled
#: HR is below the worthwhile one (as both endpoints' pooled HRs of data/external_trials.yaml are).
PROMISING_VERDICTS = {
    frozenset(): "no reading makes the combination promising, not even the enthusiast's",
    frozenset({"enthusiastic"}): "only the enthusiast's reading makes it promising, and that reading "
    "borrows its confidence from the trials in small-cell lung cancer rather than from the study",
    frozenset({"neutral"}): "the data alone make the combination promising; the enthusiastic prior, "
    "which pulls the estimate toward the trials' smaller effect, does not",
    frozenset({"neutral", "enthusiastic"}): "a reader who lets the data speak finds the combination as "
    "promising as the enthusiast does: only the sceptical prior separates the readings",
    frozenset(PRIOR_NAMES): "every reading makes the combination promising, the sceptic's included",
}


def promising_split(
    table: pd.DataFrame, level: float = PROMISING_LEVEL, worthwhile: float = WORTHWHILE_HR
) -> tuple[list[str], list[str], dict[str, float]]:
    """The priors whose quoted posterior (:func:`quoted_rows`) gives P(HR < ``worthwhile``) above
    ``level``, those that do not, and each prior's probability."""
    rows = quoted_rows(table)
    probs = {name: float(rows[name]["p_worthwhile"]) for name in PRIOR_NAMES if name in rows}
    meets = [name for name, p in probs.items() if p > level]
    return meets, [name for name in probs if name not in meets], probs


def promising_reading(
    tables: dict[str, pd.DataFrame], level: float = PROMISING_LEVEL, worthwhile: float = WORTHWHILE_HR
) -> str | None:
    """Per endpoint, the priors under which P(HR < ``worthwhile``) is above ``level`` and those under
    which it is not, with the probabilities; then what that says of the paper's "promising"
    (:data:`PROMISING_VERDICTS`), for both endpoints at once when they agree. None without a table."""
    if not tables:
        return None
    head = f"P(HR < {worthwhile:g}) is above {100 * level:g}%"
    listings, verdicts = [], {}
    for ep, table in tables.items():
        meets, fails, probs = promising_split(table, level, worthwhile)
        if not fails:
            where = f"under all three priors ({_listing([_pct(p) for p in probs.values()])})"
        elif not meets:
            where = f"under none of the three priors ({_listing([_pct(p) for p in probs.values()])})"
        else:
            where = f"under {_priors_phrase(meets, probs)} and not under {_priors_phrase(fails, probs)}"
        listings.append(f"for {ENDPOINT_LABELS[ep]}, {'' if listings else head + ' '}{where}")
        key = frozenset(meets)
        if key in PROMISING_VERDICTS:
            verdicts[ep] = PROMISING_VERDICTS[key]
        else:  # a set the normal approximation does not allow (the exact grid might)
            noun = "prior" if len(meets) == 1 else "priors"
            verdicts[ep] = f"the combination is promising only under the {_listing(meets)} {noun}"
    text = "; ".join(listings) + ". "
    if len(set(verdicts.values())) == 1:
        scope = "both endpoints" if len(verdicts) == 2 else ENDPOINT_LABELS[next(iter(verdicts))]
        text += f"For {scope}, {next(iter(verdicts.values()))}."
    else:
        text += (
            "; ".join(
                f"{'For' if i == 0 else 'for'} {ENDPOINT_LABELS[ep]}, {v}"
                for i, (ep, v) in enumerate(verdicts.items())
            )
            + "."
        )
    return text[0].upper() + text[1:]


def _change(before: float, after: float) -> str:
    b, a = _pct(before), _pct(after)
    if a == b:
        return f"leaves {{what}} at {a}"
    return f"{'raises' if after > before else 'lowers'} {{what}} from {b} to {a}"


def enthusiast_reading(
    endpoint: str,
    lik: ArmLikelihood,
    table: pd.DataFrame,
    trials_hr: float,
    worthwhile: float = WORTHWHILE_HR,
) -> str:
    """What the enthusiastic prior does to ``endpoint``'s reading, against the neutral (data-led) one:
    where it moves the study's HR (toward the trials' pooled ``trials_hr``) and how it changes
    P(HR < 1) and P(HR < ``worthwhile``), from the quoted rows (:func:`quoted_rows`)."""
    rows = quoted_rows(table)
    neutral, enthusiast = rows["neutral"], rows["enthusiastic"]
    label = ENDPOINT_LABELS[endpoint]
    if lik.estimate is None:
        pull = f"For {label} the enthusiastic prior, centred on the trials' {trials_hr:.2f},"
    else:
        pull = (
            f"For {label} the enthusiastic prior pulls the study's hazard ratio of "
            f"{math.exp(lik.estimate):.2f} toward the trials' {trials_hr:.2f} (posterior median "
            f"{enthusiast['hr_median']:.2f}); against the neutral prior it"
        )
    benefit = _change(neutral["p_benefit"], enthusiast["p_benefit"]).format(what="P(HR < 1)")
    worth = _change(neutral["p_worthwhile"], enthusiast["p_worthwhile"]).format(
        what=f"P(HR < {worthwhile:g})"
    )
    return f"{pull} {benefit} and {worth}."


def gap_reading(gaps: dict[str, float | None], limit: float = GAP_LIMIT) -> str | None:
    """What the largest gaps between the exact grid and the normal approximation (``gaps``: endpoint
    -> gap as a proportion, None without a normal approximation) say, for every endpoint that has
    one: below ``limit`` the Cox likelihood of the arm is close to normal on the log scale."""
    shown = {ep: g for ep, g in gaps.items() if g is not None}
    if not shown:
        return None
    short = {ep: ep.upper() for ep in shown}
    close = [short[ep] for ep, g in shown.items() if g < limit]
    far = [short[ep] for ep, g in shown.items() if g >= limit]
    parts = []
    if close:
        scope = "both endpoints" if len(close) == 2 else close[0]
        parts.append(f"for {scope} the Cox likelihood of the arm is close to normal on the log scale")
    if far:
        scope = "both endpoints" if len(far) == 2 else far[0]
        parts.append(f"for {scope} the normal approximation is not to be trusted: read the exact grid")
    return "; ".join(parts)


def hand_decimals(weight: float, estimate: float, mean: float, digits: int = 3, most: int = 5) -> int:
    """The fewest decimals (from ``digits`` to ``most``) to print the prior's weight ``weight`` with,
    so that (1 − weight) × ``estimate``, both as printed (the estimate to ``digits`` decimals), rounds
    to the posterior ``mean`` as printed to ``digits`` decimals: a reader's hand computation then
    reproduces the page. ``most`` when none does."""
    target = f"{mean:.{digits}f}"
    shown = round(estimate, digits)
    for k in range(digits, most + 1):
        if f"{(1 - round(weight, k)) * shown:.{digits}f}" == target:
            return k
    return most


def max_gap(table: pd.DataFrame) -> float | None:
    """The largest absolute gap between the exact grid's and the normal approximation's P(HR < 1) and
    P(HR < worthwhile) over the priors; None without a normal approximation."""
    if not (table["method"] == "normal").any():
        return None
    wide = table.pivot(index="prior", columns="method", values=["p_benefit", "p_worthwhile"])
    return max(
        float((wide[(k, "normal")] - wide[(k, "grid")]).abs().max()) for k in ("p_benefit", "p_worthwhile")
    )


def _endpoint_texts(numbers, ep: str, lik: ArmLikelihood | None, table: pd.DataFrame | None, missing: str):
    t = numbers.text
    est = None if lik is None or lik.estimate is None else lik.estimate
    z = stats.norm.ppf(0.975)
    hr_ci = None if est is None else (math.exp(est), math.exp(est - z * lik.se), math.exp(est + z * lik.se))
    t(f"{ep}_lik_hr", hr_ci, "hr_ci_side", missing if lik is None else "not estimable (an arm has no event)")
    t(f"{ep}_events", None if lik is None else lik.events, "{:d}", missing)
    # the same with its noun, in the number it takes: os_deaths ("1 death"), pfs_events_counted ("29 events")
    counted, noun = ("os_deaths", "death") if ep == "os" else (f"{ep}_events_counted", "event")
    t(counted, None if lik is None else lik.events, f"count:{noun}", missing)
    rows = {} if table is None else {(r["prior"], r["method"]): r for _, r in table.iterrows()}
    for prior in PRIOR_NAMES:
        for method, suffix in (("normal", ""), ("grid", "_grid")):
            r = rows.get((prior, method))
            t(f"{ep}_{prior}_p1{suffix}", None if r is None else r["p_benefit"], "pct", missing)
            t(f"{ep}_{prior}_p08{suffix}", None if r is None else r["p_worthwhile"], "pct", missing)
            hr = None if r is None else (r["hr_median"], r["cri_low"], r["cri_high"])
            t(f"{ep}_{prior}_hr{suffix}", hr, "hr_ci_side", missing)
    gap = None if table is None else max_gap(table)
    # two decimals: one rounded 0.239 down to 0.2 beside a table showing 77.0% against 77.2%
    t(f"{ep}_max_gap", None if gap is None else 100 * gap, "{:.2f}", missing)
    sceptic = None if table is None else quoted_rows(table).get("sceptical")
    verdict = None
    if sceptic is not None:
        verdict = (
            "a worthwhile benefit stays less likely than not"
            if sceptic["p_worthwhile"] <= PROMISING_LEVEL
            else "a worthwhile benefit becomes more likely than not"
        )
    t(f"{ep}_sceptic_verdict", verdict, "{}", missing)


def bayes_page(cohort: pd.DataFrame, params) -> tuple[Any, dict, dict]:
    """Everything chapter 19 records and glues; the priors by endpoint, and per endpoint with data
    (likelihood, table, grids). Each endpoint's priors are built from the trials' HRs for that endpoint."""
    pooled = {ep: pooled_trial_hr(ep) for ep in ENDPOINT_LABELS}
    priors = {ep: spiegelhalter_priors(pooled[ep]["hr"]) for ep in ENDPOINT_LABELS}
    numbers = ChapterNumbers()
    fits = {}
    for ep in ENDPOINT_LABELS:
        if not has_endpoint(cohort, ep):
            _endpoint_texts(numbers, ep, None, None, NO_PFS)
            continue
        lik = arm_likelihood(cohort, ep, params)
        table, grids = posterior_table(lik, priors[ep])
        fits[ep] = (lik, table, grids)
        numbers.values.update(prior_results(ep, pooled[ep], priors[ep]))
        numbers.values.update(bayes_results(table, lik, ep))
        _endpoint_texts(numbers, ep, lik, table, "not available")
    t = numbers.text
    t("gap_reading", gap_reading({ep: max_gap(table) for ep, (_, table, _) in fits.items()}))
    t("promising_level", PROMISING_LEVEL, "{:.0%}")
    t("promising_reading", promising_reading({ep: table for ep, (_, table, _) in fits.items()}))
    t(
        "enthusiast_reading",
        " ".join(
            enthusiast_reading(ep, lik, table, pooled[ep]["hr"]) for ep, (lik, table, _) in fits.items()
        ),
    )
    _prior_texts(numbers, pooled, priors)
    _exercise_texts(numbers, priors["os"], fits["os"][0])
    return numbers, priors, fits


def _prior_texts(numbers, pooled: dict[str, dict[str, float]], priors: dict[str, dict[str, Prior]]) -> None:
    """The trials' HRs, each endpoint's pooled HR and priors (names ending ``_os``, ``_pfs``: the priors
    come from the trials, whatever the cohort holds) and chapter 14's design trial."""
    t = numbers.text
    for ep in ENDPOINT_LABELS:
        tag = "" if ep == "os" else "_pfs"
        for trial in trial_hrs(ep):
            t(f"{trial['trial'].lower()}{tag}_hr", (trial["hr"], trial["ci_low"], trial["ci_high"]), "hr_ci")
        t(f"trials_hr_{ep}", pooled[ep]["hr"], "{:.2f}")
        t(f"trials_ci_{ep}", (pooled[ep]["ci_low"], pooled[ep]["ci_high"]), "{0[0]:.2f}–{0[1]:.2f}")
        z = stats.norm.ppf(0.975)
        for name, p in priors[ep].items():
            low, high = math.exp(p.mean - z * p.sd), math.exp(p.mean + z * p.sd)
            t(f"{name}_range_{ep}", f"{format_hr_bound(low)}–{format_hr_bound(high)}")
            t(f"{name}_sd_{ep}", p.sd, "{:.3f}")
    trials, design = external_trials()
    t("design_trial", design)
    t("design_trial_hr", trials[design].hr, "{:.2f}")
    t("design_trial_pfs_hr", trials[design].endpoint("pfs").hr, "{:.2f}")
    t("gamma_pct", GAMMA, "pct")
    t("neutral_r", NEUTRAL_RANGE, "{:g}")
    t("worthwhile", WORTHWHILE_HR, "{:g}")


def _exercise_texts(numbers, priors: dict[str, Prior], lik: ArmLikelihood) -> None:
    """Exercise 1: the sceptical posterior for OS by hand (the weight printed with as many decimals as
    the hand computation needs, :func:`hand_decimals`); exercise 2: the OS priors' weight in events."""
    t = numbers.text
    missing = "not available (the Cox estimate is not finite)"
    sc = priors["sceptical"]
    post = None if lik.estimate is None else normal_posterior(sc.mean, sc.sd, lik.estimate, lik.se)
    weight = None if post is None else post.sd**2 / sc.sd**2
    decimals = 3 if post is None else hand_decimals(weight, lik.estimate, post.mean)
    t("ex1_b", lik.estimate, "{:.3f}", missing)
    t("ex1_se", lik.se, "{:.3f}", missing)
    t("ex1_w_prior", weight, f"{{:.{decimals}f}}", missing)
    t("ex1_post_mean", None if post is None else post.mean, "{:.3f}", missing)
    t("ex1_post_sd", None if post is None else post.sd, "{:.3f}", missing)
    t("ex1_post_hr", None if post is None else math.exp(post.mean), "{:.2f}", missing)
    t("ex2_alloc", lik.allocation, "{:.3f}")
    t("ex2_sceptical_events", prior_events(sc.sd, lik.allocation), "{:.0f}")
    t("ex2_neutral_events", prior_events(priors["neutral"].sd, lik.allocation), "{:.1f}")
    t("ex2_data_events", lik.events, "{:d}")
    t("ex2_data_deaths", lik.events, "count:death")
    more = prior_events(sc.sd, lik.allocation) > lik.events
    t(
        "ex2_compare",
        "more information than the study itself, which is why the data move it so little"
        if more
        else "less information than the study, so the data outweigh it",
    )
