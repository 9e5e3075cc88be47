"""The survival and multivariable chapters' values: results keys, tables, notes and the prose's glue.

Each function takes the cohort and the parameters and returns what its chapter
records, glues and shows; the notebook calls it and puts the pieces on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lcnec_utils.chapter.page import ENDPOINTS, arm_sizes
from lcnec_utils.contract.params import Parameters
from lcnec_utils.stats.cox import CoxResult, available_covariates, fit_cox
from lcnec_utils.stats.survival import LogrankResult, has_endpoint, logrank, reverse_km_followup
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
    for role in ("treatment", "reference"):
        # the height of one step of the Kaplan-Meier curve at the start
        glue[f"step_{role}"] = (1 / sizes[role] if sizes[role] else None, "pct")
    glue["landmark"] = (params.landmark_months, "{:g}")
    for ep in ENDPOINTS:
        s, lr = summaries.get(ep), logranks.get(ep)
        for role in ("treatment", "reference"):
            glue[f"{ep}_median_{role}"] = (
                None if s is None else s.loc[role, "median"],
                "{:.1f}",
                "not reached",
            )
            glue[f"{ep}_rate_{role}"] = (None if s is None else s.loc[role, "rate"], "pct")
        glue[f"{ep}_logrank_p"] = (None if lr is None else lr.p, "p")
    return SurvivalChapter(summaries, logranks, results, glue)


@dataclass
class MultivariateChapter:
    """What the multivariable chapter records, glues and shows (:func:`multivariate_chapter`)."""

    models: dict[str, pd.DataFrame]  # tables.cox_table per endpoint present
    fits: dict[str, CoxResult]  # the multivariable model per endpoint present
    results: dict[str, Any]
    glue: dict[str, tuple]  # name: (value, format) for the prose
    notes: list[tuple[str, str]] = field(default_factory=list)  # (text, kind) for Chapter.note


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
    glue: dict[str, tuple] = {}
    for ep in ENDPOINTS:
        res = fits.get(ep)
        arm = None if res is None or not res.converged else res.term("treatment")
        glue[f"{ep}_hr"] = (None if arm is None else (arm["hr"], arm["ci_low"], arm["ci_high"]), "hr_ci")
        glue[f"{ep}_p"] = (None if arm is None else arm["p"], "p")
        glue[f"{ep}_epv"] = (None if res is None else res.events_per_variable, "{:.1f}")
        glue[f"{ep}_events"] = (None if res is None else res.events, "{}")
        glue[f"{ep}_terms"] = (None if res is None else len(res.table), "{}")
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
                    f"{ENDPOINTS[ep]}: {res.n_dropped} patients with a missing covariate are left out of the "
                    "multivariable model (complete cases).",
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
    return MultivariateChapter(models, fits, results, glue, notes)
