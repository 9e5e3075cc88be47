"""The survival and multivariable chapters' values: results keys, tables, notes and the prose's glue.

Each function takes the cohort and the parameters and returns what its chapter
records, glues and shows; the notebook calls it and puts the pieces on the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from lcnec_utils.chapter.page import ENDPOINTS, arm_sizes
from lcnec_utils.contract.params import Parameters
from lcnec_utils.methods.smallsample import EPV_FLOOR, EPV_RULE, epv_as_printed, epv_verdict
from lcnec_utils.reconstruct.bounds import term_plans
from lcnec_utils.reconstruct.settings import TABLE4
from lcnec_utils.reconstruct.targets import published_targets
from lcnec_utils.stats.attainable import events_per_variable
from lcnec_utils.stats.classical import fisher_power, fisher_rejection_region
from lcnec_utils.stats.cox import CoxResult, available_covariates, fit_cox
from lcnec_utils.stats.format import (
    ci_label,
    format_count,
    format_hr_bound,
    format_hr_ci,
    format_p_clause,
    format_pct,
)
from lcnec_utils.stats.survival import (
    LogrankResult,
    endpoint_data,
    has_endpoint,
    km_curve,
    logrank,
    reverse_km_followup,
)
from lcnec_utils.tables.multivariable import cox_results, cox_table
from lcnec_utils.tables.survival import survival_results, survival_summary


@dataclass
class SurvivalChapter:
    """What the survival chapter records, glues and shows (:func:`survival_chapter`)."""

    summaries: dict[str, pd.DataFrame]  # tables.survival_summary per endpoint present
    logranks: dict[str, LogrankResult]  # per endpoint present
    results: dict[str, Any]
    glue: dict[str, tuple]  # name: (value, format[, text when missing]) for the prose


def survival_chapter(cohort: pd.DataFrame, params: Parameters) -> SurvivalChapter:
    """Kaplan-Meier summaries and log-rank tests per endpoint, and the median follow-up.

    The follow-up is the reverse Kaplan-Meier median of overall survival
    (:func:`lcnec_utils.stats.reverse_km_followup`), on the patients with a known time.
    """
    results: dict[str, Any] = {}
    summaries, logranks = {}, {}
    for ep in ENDPOINTS:
        results.update(survival_results(cohort, ep, params))
        if has_endpoint(cohort, ep):
            summaries[ep] = survival_summary(cohort, ep, params)
            logranks[ep] = logrank(cohort, ep, params.reference_group, params.treatment_group)
    known = cohort["os_months"].notna()
    followup = reverse_km_followup(cohort["os_months"].dropna(), cohort.loc[known, "os_event"])
    results["followup.median"] = followup.median
    sizes = arm_sizes(cohort, params)
    glue: dict[str, tuple] = {"followup": (followup.median, "{:.1f}")}
    glue["km_steps"] = (km_steps_reading(sizes, largest_km_step(cohort, params), params), "{}")
    glue["landmark"] = (params.landmark_months, "{:g}")
    # the landmark with its unit, "12 months" ("1 month" for a landmark of 1)
    glue["landmark_months"] = (params.landmark_months, "months")
    for ep in ENDPOINTS:
        s, lr = summaries.get(ep), logranks.get(ep)
        for role in ("treatment", "reference"):
            glue[f"{ep}_median_{role}"] = (
                None if s is None else s.loc[role, "median"],
                "{:.1f}",
                "not reached",
            )
            glue[f"{ep}_rate_{role}"] = (None if s is None else s.loc[role, "rate"], "pct")
        glue[f"{ep}_logrank_p"] = (None if lr is None else lr.p, "p_clause")
    return SurvivalChapter(summaries, logranks, results, glue)


@dataclass(frozen=True)
class KMStep:
    """One step of a Kaplan-Meier curve: the curve (``endpoint``, arm ``role``), its ``time``, the
    ``events`` there among ``at_risk`` patients, and the survival just ``before`` and ``after`` it.
    For the largest step (:func:`largest_km_step`), ``equal`` holds the other steps of the same size."""

    endpoint: str
    role: str
    time: float
    events: int
    at_risk: int
    before: float
    after: float
    equal: tuple[KMStep, ...] = ()

    @property
    def size(self) -> float:
        return self.before - self.after


#: Relative tolerance under which two Kaplan-Meier steps count as equal (S(t−)·d/n(t) computed along
#: two curves differs in the last bits: 12/14·2/11 and 12/14·9/11·2/9 are both 24/154).
KM_STEP_RTOL = 1e-9


def largest_km_step(cohort: pd.DataFrame, params: Parameters) -> KMStep | None:
    """The largest single step of the Kaplan-Meier curves of each endpoint present and each arm: a
    step is S(t−)·d/n(t), the survival just before the event time t times the events there over the
    patients at risk, so without censoring d/n of the arm, and larger once censoring has thinned the
    risk set. The first of equal steps (endpoints in :data:`ENDPOINTS` order, treatment arm first,
    earlier times first), with the others of the same size (within :data:`KM_STEP_RTOL`) in its
    ``equal``; None where no curve has an event."""
    steps: list[KMStep] = []
    for ep in ENDPOINTS:
        if not has_endpoint(cohort, ep):
            continue
        data = endpoint_data(cohort, ep, params.reference_group, params.treatment_group)
        for role in ("treatment", "reference"):
            arm = data.arm(role)
            curve = km_curve(arm["time"], arm["event"])
            before = 1.0
            for t, d, n, after in zip(curve.time, curve.n_events, curve.n_risk, curve.survival):
                if d > 0:
                    steps.append(KMStep(ep, role, float(t), int(d), int(n), float(before), float(after)))
                before = after
    if not steps:
        return None
    top = max(step.size for step in steps)
    tied = [step for step in steps if math.isclose(step.size, top, rel_tol=KM_STEP_RTOL, abs_tol=0.0)]
    return replace(tied[0], equal=tuple(tied[1:]))


def _km_step_when(step: KMStep) -> str:
    """A step's events, time and risk set: "2 events at 11.5 months among 11 patients at risk"."""
    return (
        f"{format_count(step.events, 'event')} at {step.time:.1f} months among "
        f"{format_count(step.at_risk, 'patient')} at risk"
    )


def _km_step_curve(step: KMStep, params: Parameters) -> tuple[str, str]:
    """A step's endpoint in words and its arm's label."""
    return ENDPOINTS[step.endpoint].lower(), str(getattr(params, f"{step.role}_group"))


def _km_step_equals(largest: KMStep, params: Parameters) -> str:
    """The steps as large as the largest, after its own description: none, the one other (on which
    curve, when, and the survival before and after it), or how many there are."""
    if not largest.equal:
        return ""
    if len(largest.equal) > 1:
        return f"; one of {len(largest.equal) + 1} equal largest steps"
    other = largest.equal[0]
    endpoint, label = _km_step_curve(other, params)
    curve = (
        "the same curve"
        if (other.endpoint, other.role) == (largest.endpoint, largest.role)
        else f"the {endpoint} curve of the {label} arm"
    )
    return (
        f"; one of 2 equal largest steps, the other on {curve}, {_km_step_when(other)}: from "
        f"{format_pct(other.before)}% to {format_pct(other.after)}%"
    )


def km_steps_reading(sizes: Mapping[str, int], largest: KMStep | None, params: Parameters) -> str:
    """The survival chapter's sentence on the curves' steps: how far one patient moves each arm's curve
    before any censoring (1/n of the arm, ``sizes`` from :func:`~lcnec_utils.chapter.page.arm_sizes`)
    and the largest single step of any curve (``largest``, :func:`largest_km_step`), with where it is
    and, where other steps are as large, the other one or how many there are. The page typed "large
    steps" whatever the arms' sizes."""
    roles = ("treatment", "reference")
    arms = " and ".join(format_count(sizes[role], "patient") for role in roles)
    first = " or ".join(format_pct(1 / sizes[role]) for role in roles)
    lead = (
        f"Two arms of {arms} give step curves: before any censoring, one patient moves a curve by "
        f"{first} percentage points"
    )
    if largest is None:
        return f"{lead}; with no event recorded, no curve has a step yet."
    return (
        f"{lead}, and the largest single step of the curves is {format_pct(largest.size)} percentage "
        f"points ({', '.join(_km_step_curve(largest, params))} arm, {_km_step_when(largest)}: from "
        f"{format_pct(largest.before)}% to "
        f"{format_pct(largest.after)}%{_km_step_equals(largest, params)})."
    )


@dataclass
class MultivariateChapter:
    """What the multivariable chapter records, glues and shows (:func:`multivariate_chapter`)."""

    models: dict[str, pd.DataFrame]  # tables.cox_table per endpoint present
    fits: dict[str, CoxResult]  # the multivariable model per endpoint present
    results: dict[str, Any]
    glue: dict[str, tuple]  # name: (value, format) for the prose
    notes: list[tuple[str, str]] = field(default_factory=list)  # (text, kind) for Chapter.note
    table4: pd.DataFrame | None = None  # the paper's Table 4 beside this cohort's (table4_comparison)


#: The alpha of the paper's printed intervals (``table4.ci_level`` of data/reconstruction_targets.yaml).
PAPER_ALPHA = round(1.0 - float(TABLE4["ci_level"]), 10)

#: Columns of :func:`table4_comparison`.
TABLE4_COLUMNS = ["endpoint", "term", "statistic", "published", "book", "tolerance", "status", "evidence"]


def age_comparison(results: Mapping[str, Any], treatment_label: str) -> str | None:
    """The baseline chapter's sentence on the arms' mean ages (``results``: the baseline table's
    keys ``baseline.age.mean.<role>`` and ``baseline.age.p``): whether the ``treatment_label`` arm
    was older or younger on average, read at the one decimal printed (the same there: "of the same
    mean age"), both means and Student's p as a clause; None where the cohort has no ages."""
    t, r = results.get("baseline.age.mean.treatment"), results.get("baseline.age.mean.reference")
    if t is None or r is None:
        return None
    shown_t, shown_r = f"{t:.1f}", f"{r:.1f}"
    if shown_t == shown_r:
        which = "were of the same mean age"
    else:
        which = "were older on average" if t > r else "were younger on average"
    p = results.get("baseline.age.p")
    test = "" if p is None else f"; Student's t-test {format_p_clause(p)}"
    return f"Patients in the {treatment_label} arm {which} ({shown_t} against {shown_r} years{test})."


def baseline_significance(results: Mapping[str, Any], alpha: float) -> str:
    """The baseline chapter's count of tests with p below ``alpha`` (``results``: the baseline table's
    keys; each ``*.p`` that was computed is one test), as a sentence whose verb agrees with its count
    (review 57: a test's p-value, not a comparison, falls below a level)."""
    ps = [v for k, v in results.items() if k.endswith(".p") and v is not None]
    n = sum(1 for v in ps if v < alpha)
    level = f"the two-sided level of {alpha:g}"
    if n == 0:
        return f"In all, none of the {len(ps)} baseline tests has a p-value below {level}."
    verb = "has" if n == 1 else "have"
    return f"In all, {n} of the {len(ps)} baseline tests {verb} a p-value below {level}."


#: The difference in a characteristic's share between the arms that chapter 2's caution on power
#: reads (percentage points as a proportion), and the lower arm's shares it is computed at.
CAUTION_DIFFERENCE = 0.2
CAUTION_BASE_RATES = tuple(round(0.1 * k, 1) for k in range(9))


def _pct_bound(p: float) -> str:
    """A probability as a whole percentage, "<1%" and ">99%" where it would round to 0 or 100."""
    return "<1%" if p < 0.005 else ">99%" if p >= 0.995 else f"{format_pct(p, 0)}%"


def fisher_power_caution(n_treatment: int, n_reference: int, alpha: float) -> str:
    """Chapter 2's first caution, from the numbers: the exact power of Fisher's test at ``alpha``
    (:func:`lcnec_utils.stats.classical.fisher_power`) for a difference of
    :data:`CAUTION_DIFFERENCE` in a characteristic's share, with either arm the higher and the
    lower share at each of :data:`CAUTION_BASE_RATES`, as its smallest and largest value over
    those, and what that range means for a "not significant" row. With equal arms the power does
    not depend on which arm has more, and the sentence does not say it does."""
    if not n_treatment or not n_reference:
        return "With an empty arm, Fisher's test compares nothing."
    points = round(100 * CAUTION_DIFFERENCE)
    region = fisher_rejection_region(n_treatment, n_reference, alpha)
    powers = [
        fisher_power(n_treatment, n_reference, *pair, alpha, region=region)
        for base in CAUTION_BASE_RATES
        for pair in ((base + CAUTION_DIFFERENCE, base), (base, base + CAUTION_DIFFERENCE))
    ]
    low, high = min(powers), max(powers)
    depends = "how common the characteristic is" + (
        "" if n_treatment == n_reference else " and which arm has more of it"
    )
    if high < 0.5:
        verdict = f'most such differences come out "not significant" at {alpha:g}'
    elif low > 0.5:
        verdict = f"most such differences come out significant at {alpha:g}"
    else:
        verdict = f"whether most such differences come out significant at {alpha:g} depends on {depends}"
    if _pct_bound(low) == _pct_bound(high):
        where = f"in {_pct_bound(low)} of samples at every share tested"
    else:
        where = f"in {_pct_bound(low)} to {_pct_bound(high)} of samples, depending on {depends}"
    return (
        f"With {n_treatment} and {n_reference} patients, Fisher's test at {alpha:g} detects a "
        f"difference of {points} percentage points in a characteristic (say "
        f"{round(100 * (0.5 - CAUTION_DIFFERENCE / 2))}% against {round(100 * (0.5 + CAUTION_DIFFERENCE / 2))}%) "
        f"{where} (exact binomial power): {verdict}."
    )


def table4_comparison(results: Mapping[str, Any]) -> pd.DataFrame:
    """The paper's Table 4 beside this cohort's multivariable models, term by term: each term's HR,
    CI bounds and p as printed and as the book computes them (``results``: the chapter's results
    keys), the reconstruction's tolerance (data/reconstruction_targets.yaml) and a status, per
    statistic: "within tolerance", "not estimated" (the model gave no value), "out of reach" (no
    cohort with the printed counts can give it together with the HR: for an interval, both bounds
    together, and with the p where the p can be met, which comes first; the SE floor of a 0/1 term,
    :func:`lcnec_utils.reconstruct.bounds.term_plan`, whose evidence the last column gives) or
    "differs"."""
    rows = []
    for plan in term_plans(published_targets()):
        for stat in ("hr", "ci_low", "ci_high", "p"):
            which = "ci" if stat.startswith("ci") else stat
            book = results.get(f"{plan.prefix}.{stat}")
            tol = plan.tol[which]
            if book is None or book != book:  # no value, or NaN
                status, evidence = "not estimated", plan.why_not(which)
            elif abs(book - plan.printed[stat]) <= tol:
                status, evidence = "within tolerance", ""
            elif not plan.reachable(which):
                status, evidence = "out of reach", plan.why_not(which)
            else:
                status, evidence = "differs", ""
            rows.append(
                [ENDPOINTS[plan.ep], plan.term, stat, plan.printed[stat], book, tol, status, evidence]
            )
    return pd.DataFrame(rows, columns=TABLE4_COLUMNS)


def term_phrase(values: Mapping[str, float]) -> str:
    """A Cox term's HR, interval and p as the pages quote them ("HR 1.48, 1.01-2.16, p = 0.043"),
    from a mapping with keys hr, ci_low, ci_high, p. An interval bound that two decimals would
    print as 1.00 gets a third, so that the reader sees on which side of no effect it lies
    ("1.49, 1.002-2.22" beside p = 0.049)."""
    low, high = format_hr_bound(values["ci_low"]), format_hr_bound(values["ci_high"])
    return f"HR {values['hr']:.2f}, {low}-{high}, {format_p_clause(values['p'])}"


def table4_glue(published: Mapping[str, Any] | None = None) -> dict[str, tuple]:
    """What the page says about Table 4 from data, not typed: the reconstruction's tolerances for its
    terms (``t4_tolerances``, data/reconstruction_targets.yaml) and the paper's printed ECOG term
    for progression (``paper_ecog_pfs``, data/published.yaml)."""
    tol = TABLE4["tolerances"]
    tg = published_targets(published)
    ecog = {s: tg.get(f"pfs.cox_multivariable.ecog.{s}") for s in ("hr", "ci_low", "ci_high", "p")}
    return {
        "t4_tolerances": (
            f"HR within {tol['hr']:g}, each interval bound within {tol['ci']:g}, p within {tol['p']:g}",
            "{}",
        ),
        "paper_ecog_pfs": (None if None in ecog.values() else term_phrase(ecog), "{}"),
    }


def significant_covariates(results: Mapping[str, Any], level: float) -> str:
    """The covariate terms of both multivariable models (Table 4's rows, the arm left out) whose
    Wald p is below ``level`` on the data in force, as a phrase ("ecog (progression-free
    survival)"; "none"): the page sets the paper's "only ECOG" beside it (on the shipped cohort
    they agree by construction: the reconstruction's default seed keeps the paper's conclusions)."""
    found = [
        f"{plan.term} ({ENDPOINTS[plan.ep].lower()})"
        for plan in term_plans(published_targets())
        if plan.term != "treatment"
        and (p := results.get(f"{plan.prefix}.p")) is not None
        and p == p
        and p < level
    ]
    return ", ".join(found) if found else "none"


def adjusted_pfs_reading(arm: Mapping[str, float] | None, epv: float | None, alpha: float) -> str:
    """The Cox chapter's last reading of the paper's "independent predictive factor", from the PFS
    model's arm term (``arm``: keys hr, ci_low, ci_high, p at ``alpha``; None when there is no model or
    it did not converge) and its events per variable (``epv``, the events divided by the number of the
    model's coefficients: :func:`lcnec_utils.stats.attainable.events_per_variable`): how fragile the
    conditional estimates are (below :data:`~lcnec_utils.methods.smallsample.EPV_FLOOR`, below the
    rule of ten, or meeting it),
    and which adjusted association, if any, the interval supports (longer or shorter progression-free
    survival, or none when it includes 1). Before the review the page typed "fragile" and "longer"
    whatever the cohort. ``epv`` is compared as printed, to one decimal
    (:func:`~lcnec_utils.methods.smallsample.epv_as_printed`): 4.96 prints 5.0 and is not "below 5"."""
    independent = '"Independent" only says that each coefficient is conditional on the others'
    epv = None if epv is None else epv_as_printed(epv)
    if epv is None:
        first = f"{independent}."
    elif epv < EPV_FLOOR:
        first = (
            f"{independent}, and with {epv:.1f} events per variable, below {EPV_FLOOR:g}, those "
            "conditional estimates are fragile (the small-sample chapter)."
        )
    elif epv < EPV_RULE:
        first = (
            f"{independent}, and with {epv:.1f} events per variable, between {EPV_FLOOR:g} and the rule of "
            f"{EPV_RULE:g}, those conditional estimates sit where the small-sample chapter's two rules "
            "disagree."
        )
    else:
        first = (
            f"{independent}; with {epv:.1f} events per variable the model meets the rule of "
            f"{EPV_RULE:g}, which speaks to the estimates' small-sample behaviour, not to confounding."
        )
    if arm is None or not all(math.isfinite(float(arm[k])) for k in ("hr", "ci_low", "ci_high")):
        return (
            f"{first} The model gives no adjusted hazard ratio of the arm for progression-free "
            "survival on the data in force, so there is no adjusted association to read."
        )
    hr, lo, hi = arm["hr"], arm["ci_low"], arm["ci_high"]
    estimate = f"HR {format_hr_ci(hr, lo, hi, sep='–', side_of_one=True)}, {format_p_clause(arm['p'])}"
    if hi < 1 or lo > 1:
        which = "longer" if hi < 1 else "shorter"
        if epv is not None and epv < EPV_FLOOR:
            # review 61: at this EPV the Wald interval itself is not to be taken at face value
            return (
                f"{first} At most, the model suggests an adjusted association of the ICI with {which} "
                f"progression-free survival ({estimate}; its {ci_label(alpha)} is Wald's, not to be taken "
                "at face value with so few events per variable: the small-sample chapter gives "
                "Firth's), from a non-randomised comparison."
            )
        return (
            f"{first} The defensible reading is an adjusted association of the ICI with {which} "
            f"progression-free survival ({estimate}; {ci_label(alpha)} in brackets), from a non-randomised "
            "comparison."
        )
    return (
        f"{first} The defensible reading is that the adjusted model leaves the direction open: the "
        f"{ci_label(alpha)} of the arm's hazard ratio includes 1 ({estimate}), in a non-randomised "
        "comparison."
    )


def pfs_epv_caution(events: int | None, terms: int | None) -> str:
    """The Cox chapter's caution on the size of the PFS model: its coefficients (``terms``) and events,
    their ratio (the events per variable) and where that stands
    (:func:`~lcnec_utils.methods.smallsample.epv_verdict`); ``events`` None where the cohort has no PFS
    model. On a cohort without PFS columns the page printed "spends not available parameters on not
    available events"."""
    if events is None or terms is None:
        return (
            "The cohort has no progression-free survival columns, so there is no PFS model whose "
            "events per variable could be counted."
        )
    epv = events_per_variable(events, terms)
    return (
        f"The PFS model spends {format_count(terms, 'parameter')} on {format_count(events, 'event')}: "
        f"{epv:.1f} events per variable, which {epv_verdict(epv)}."
    )


def multivariate_chapter(cohort: pd.DataFrame, params: Parameters) -> MultivariateChapter:
    """The Cox models of each endpoint with the covariates present, and what the page must say about them:
    covariates absent from the data, patients left out (complete cases), models that did not converge."""
    covariates, absent = available_covariates(cohort, params.covariates)
    results: dict[str, Any] = {}
    models, fits = {}, {}
    for ep in ENDPOINTS:
        results.update(cox_results(cohort, ep, params))
        if has_endpoint(cohort, ep):
            models[ep] = cox_table(cohort, ep, params)
            fits[ep] = fit_cox(cohort, ep, covariates, params)
    glue: dict[str, tuple] = table4_glue()
    # the paper's claim ("only ECOG") is at its own level, whatever level the book is built at
    paper_level = float(TABLE4["significance_level"])
    glue["significant_covariates"] = (significant_covariates(results, paper_level), "{}")
    glue["sig_level"] = (paper_level, "{:g}")
    glue["paper_ci_level"] = (100 * (1 - PAPER_ALPHA), "{:g}%")
    for ep in ENDPOINTS:
        res = fits.get(ep)
        arm = None if res is None or not res.converged else res.term("treatment")
        glue[f"{ep}_hr"] = (None if arm is None else (arm["hr"], arm["ci_low"], arm["ci_high"]), "hr_ci")
        glue[f"{ep}_p"] = (None if arm is None else arm["p"], "p_clause")
        glue[f"{ep}_epv"] = (None if res is None else res.events_per_variable, "{:.1f}")
        glue[f"{ep}_events"] = (None if res is None else res.events, "{}")
        glue[f"{ep}_terms"] = (None if res is None else len(res.table), "{}")
    pfs_fit = fits.get("pfs")
    glue["pfs_epv_caution"] = (
        pfs_epv_caution(*((None, None) if pfs_fit is None else (pfs_fit.events, len(pfs_fit.table)))),
        "{}",
    )
    pfs_arm = pfs_fit.term("treatment") if pfs_fit is not None and pfs_fit.converged else None
    glue["pfs_adjusted_reading"] = (
        adjusted_pfs_reading(pfs_arm, None if pfs_fit is None else pfs_fit.events_per_variable, params.alpha),
        "{}",
    )
    notes = []
    if absent:
        notes.append(
            (
                "Covariates not in the data, left out of the multivariable model: " + ", ".join(absent) + ".",
                "note",
            )
        )
    for ep, res in fits.items():
        if res.n_dropped:
            notes.append(
                (
                    f"{ENDPOINTS[ep]}: "
                    + format_count(
                        res.n_dropped,
                        "patient with a missing covariate is",
                        "patients with a missing covariate are",
                    )
                    + " left out of the multivariable model (complete cases).",
                    "note",
                )
            )
        if not res.converged:
            notes.append(
                (
                    f"{ENDPOINTS[ep]}: the multivariable model did not converge ({'; '.join(res.warnings)}); "
                    "its hazard ratios are not shown.",
                    "warning",
                )
            )
    # the paper prints 95% intervals: the comparison reads the book's at the same level
    paper_params = params if params.alpha == PAPER_ALPHA else replace(params, alpha=PAPER_ALPHA)
    at_paper_level = (
        results
        if paper_params is params
        else {k: v for ep in ENDPOINTS for k, v in cox_results(cohort, ep, paper_params).items()}
    )
    return MultivariateChapter(models, fits, results, glue, notes, table4_comparison(at_paper_level))
