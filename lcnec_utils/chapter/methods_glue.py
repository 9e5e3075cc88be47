"""The prose's numbers of the methods chapters on medians, small-sample Cox, proportional hazards and RMST.

These chapters compute with :mod:`lcnec_utils.methods` in their notebook; the
functions here turn what they computed (results keys, tables, bootstrap results)
into ``{name: (value, format[, text when missing])}`` for
:meth:`~lcnec_utils.chapter.Chapter.glue_texts`. They never call
:mod:`lcnec_utils.methods` themselves: every chapter imports this package, and the
build's cache re-executes a chapter when a module it imports changes, so the
clinical chapters must not depend on the methods modules.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lcnec_utils.chapter.model_size import (
    EVENT_NOUNS,
    BootstrapShares,
    adjustment_warning,
    coefficients_at_epv,
    confounders_at_rule,
    epv_values,
    event_names,
    full_epv_reading,
    instability_reading,
    model_question,
    paper_model_caution,
)
from lcnec_utils.chapter.page import ENDPOINTS
from lcnec_utils.contract.params import PAPER_COVARIATES, Parameters
from lcnec_utils.contract.published import published_values
from lcnec_utils.methods.model_name import MODEL_FITTED_HERE, FittedModel, arm_and, fitted_model
from lcnec_utils.methods.smallsample import EPV_FLOOR, EPV_RULE, epv_as_printed, epv_verdict
from lcnec_utils.stats.cox import term_in_prose
from lcnec_utils.stats.format import (
    ci_label,
    format_alpha_pct,
    format_bootstrap_bound,
    format_count,
    format_p,
    format_p_clause,
    z_label,
)
from lcnec_utils.stats.survival import endpoint_data, median_ci_brookmeyer_crowley

_ROLES = ("treatment", "reference")

#: The CI methods of the medians chapter's prose, as in ``methods.medians`` keys.
MEDIAN_CI_METHODS = ("spss", "bc_loglog", "bc_log", "bc_plain")

#: Brookmeyer-Crowley bands of survival.py and the statsmodels quantile_ci transform that should match them.
STATSMODELS_PAIRS = {"bc_plain": "sm_linear", "bc_log": "sm_log", "bc_loglog": "sm_cloglog"}


def medians_glue(
    values: Mapping[str, Any],
    intervals: Mapping[str, pd.DataFrame],
    followup: Mapping[str, Any],
    cohort: pd.DataFrame,
    params: Parameters,
    published: Mapping[str, Any] | None = None,
) -> dict[str, tuple]:
    """The medians chapter: each arm's median and its CI by method, the paper's intervals, follow-up.

    ``values`` are the chapter's results keys, ``intervals`` the ``methods.median_table``
    of each endpoint present, ``followup`` the ``methods.followup_summary``;
    ``published`` by default the paper's values. ``level`` and ``z`` name the intervals' level and
    SPSS's multiplier at ``params.alpha`` ("95" and "1.96" at 0.05).
    """
    paper = published_values() if published is None else published
    glue: dict[str, tuple] = {
        "level": (100 * params.confidence_level, "{:g}"),
        "z": (z_label(params.alpha), "{}"),
    }
    for ep in ENDPOINTS:
        for role in _ROLES:
            glue.update(_median_texts(values, paper, ep, role))
    glue["fu_reverse"] = (followup["reverse_km"], "{:.1f}", "not reached")
    lo, hi = followup["reverse_km_ci_low"], followup["reverse_km_ci_high"]
    glue["fu_reverse_ci"] = (
        None if lo is None else f"{lo:.1f} to " + ("not reached" if hi is None else f"{hi:.1f}"),
        "{}",
    )
    glue.update(_published_centring(paper, params))
    glue["fu_naive"] = (followup["naive_all"], "{:.1f}")
    glue["fu_censored"] = (followup["censored"], "{:.1f}")
    glue["n_censored"] = (followup["n_censored"], "{}")
    glue["n_censored_patients"] = (followup["n_censored"], "count:patient")
    glue["paper_followup"] = (paper.get("followup.median"), "{:g}")
    glue["sm_agreement"] = (_statsmodels_agreement(intervals, params), "{}")
    glue.update(_median_exercise(intervals, cohort, params))
    return glue


def _median_texts(
    values: Mapping[str, Any], paper: Mapping[str, Any], ep: str, role: str
) -> dict[str, tuple]:
    """One arm's medians, its interval by each method and the paper's interval."""

    def get(key: str) -> Any:
        return values.get(f"methods.medians.{ep}.{key}.{role}")

    glue: dict[str, tuple] = {
        f"{ep}_median_{role}": (get("median"), "{:.1f}", "not reached"),
        f"{ep}_median_r_{role}": (get("median_r"), "{:.2f}", "not reached"),
    }
    for m in MEDIAN_CI_METHODS:
        lo, hi = get(f"{m}.ci_low"), get(f"{m}.ci_high")
        text = (
            "not computable"
            if lo is None and hi is None
            else f"{'—' if lo is None else f'{lo:.1f}'} to {'not reached' if hi is None else f'{hi:.1f}'}"
        )
        glue[f"{ep}_{m}_{role}"] = (text, "{}")
    plo, phi = paper.get(f"{ep}.median_ci_low.{role}"), paper.get(f"{ep}.median_ci_high.{role}")
    glue[f"paper_{ep}_ci_{role}"] = ((plo, phi), "{0[0]:.1f} to {0[1]:.1f}" if plo is not None else "{}")
    glue[f"paper_{ep}_mid_{role}"] = (None if plo is None else (plo + phi) / 2, "{:.2f}")
    glue[f"paper_{ep}_median_{role}"] = (paper.get(f"{ep}.median.{role}"), "{:.1f}")
    return glue


def _published_centring(paper: Mapping[str, Any], params: Parameters) -> dict[str, tuple]:
    """Which published intervals are centred on their median (SPSS's median ± 1.96·SE is symmetric)."""
    centred, off = [], []
    for ep in ENDPOINTS:
        for role in _ROLES:
            lo, hi, m = (paper.get(f"{ep}.{k}.{role}") for k in ("median_ci_low", "median_ci_high", "median"))
            if None in (lo, hi, m):
                continue
            name = (
                f"{ep.upper()} {getattr(params, role + '_group')} {lo:.1f} to {hi:.1f} "
                f"(median {m:.1f}, midpoint {(lo + hi) / 2:.2f})"
            )
            (centred if abs((lo + hi) / 2 - m) <= 0.06 else off).append(name)
    return {
        "paper_centred": (f"{len(centred)} of the {len(centred) + len(off)}", "{}"),
        "paper_off": ("none" if not off else "; ".join(off), "{}"),
    }


def _statsmodels_agreement(intervals: Mapping[str, pd.DataFrame], params: Parameters) -> str:
    """statsmodels' quantile_ci against the Brookmeyer-Crowley limits of survival.py, limit by limit."""
    agree, differ = 0, []
    for ep, table in intervals.items():
        t = table.set_index(["role", "method"])
        for role in _ROLES:
            for bc, sm in STATSMODELS_PAIRS.items():
                for lim in ("ci_low", "ci_high"):
                    a, b = (_limit(t.loc[(role, method), lim]) for method in (bc, sm))
                    if (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-9):
                        agree += 1
                    else:
                        differ.append(
                            f"{ep.upper()} {getattr(params, role + '_group')}, {bc.replace('bc_', '')} band, "
                            f"{'upper' if lim == 'ci_high' else 'lower'} limit: "
                            f"{'not reached' if a is None else f'{a:.1f}'} against "
                            f"{'not reached' if b is None else f'{b:.1f}'}"
                        )
    return (
        f"statsmodels' quantile_ci agrees with the Brookmeyer-Crowley limits of survival.py on {agree} of "
        f"{agree + len(differ)} limits."
        + (
            ""
            if not differ
            else " It differs where the band does not reach 0.5 before the last event time: R and survival.py "
            "then report the limit as not reached, statsmodels returns the event time after the last one at "
            "which the test does not reject, even where the curve has reached 0 there and the test is "
            "undefined (" + "; ".join(differ) + ")."
        )
    )


def _limit(x: Any) -> float | None:
    """A CI limit of a median table, None when not reached (None or NaN)."""
    return None if x is None or x != x else x


def _median_exercise(
    intervals: Mapping[str, pd.DataFrame], cohort: pd.DataFrame, params: Parameters
) -> dict[str, tuple]:
    """Exercise 2: the reference arm's PFS (else OS) median at the 90% level against its 95%
    interval (both log-log Brookmeyer-Crowley; fixed levels, whatever ``params.alpha`` is, so that
    the exercise contrasts two levels in every build)."""
    ep = "pfs" if "pfs" in intervals else "os"
    data = endpoint_data(cohort, ep, params.reference_group, params.treatment_group).arm("reference")

    def interval(alpha: float) -> tuple:
        ci = median_ci_brookmeyer_crowley(data["time"], data["event"], alpha, "log-log")
        pair = (ci.ci_low, ci.ci_high) if ci.ci_low is not None and ci.ci_high is not None else None
        return (pair, "{0[0]:.1f} to {0[1]:.1f}")

    return {"ex_ep": (ENDPOINTS[ep].lower(), "{}"), "ex_ci90": interval(0.10), "ex_ci95": interval(0.05)}


#: The models of the small-sample chapter's prose, as rows of ``methods.comparison_table``.
SMALL_SAMPLE_MODELS = ("univariable", "full", "firth", "ridge", "reduced")


def small_sample_glue(
    comparisons: Mapping[str, pd.DataFrame],
    bootstraps: Mapping[str, Any],
    reduced: list[str],
    params: Parameters,
    published: Mapping[str, Any] | None = None,
) -> dict[str, tuple]:
    """The small-sample Cox chapter: the arm's HR and EPV under each model, the bootstrap, the exercises.

    ``comparisons`` are the ``methods.comparison_table`` of each endpoint present,
    ``bootstraps`` its ``methods.bootstrap_arm_hr`` (a ``BootstrapResult``),
    ``reduced`` the covariates of the reduced model (``reduced_terms`` lists them by name: "the arm, age
    and ECOG PS"); ``published`` by default the paper's values.
    """
    paper = published_values() if published is None else published
    first = next(iter(comparisons.values()), None)
    n_terms = None if first is None else int(first.set_index("model").loc["full", "terms"])
    glue: dict[str, tuple] = {
        "n_terms": (n_terms, "{}"),
        "reduced_terms": (arm_and(reduced), "{}"),
        "reduced_n": (1 + len(reduced), "{}"),
        # the counts with their nouns, in the number each takes ("1 term", "12 terms"); the paper's
        # model's size is the paper's (the arm and PAPER_COVARIATES), the fitted one's is model_question's
        "paper_terms_counted": (1 + len(PAPER_COVARIATES), "count:term"),
        "paper_covariates_counted": (len(PAPER_COVARIATES), "count:covariate"),
        "reduced_terms_counted": (1 + len(reduced), "count:term"),
        "reduced_parameters": (1 + len(reduced), "count:parameter"),
    }
    for ep in ENDPOINTS:
        comparison = None if ep not in comparisons else comparisons[ep].set_index("model")
        for m in SMALL_SAMPLE_MODELS:
            r = None if comparison is None else comparison.loc[m]
            ok = r is not None and bool(r["converged"])
            glue[f"{ep}_{m}_hr"] = (
                (r["hr"], r["ci_low"], r["ci_high"]) if ok else None,
                "hr_ci",
                "not estimable",
            )
            glue[f"{ep}_{m}_epv"] = (None if r is None else r["epv"], "{:.1f}")
        events = None if ep not in comparisons else int(comparisons[ep].iloc[0]["events"])
        glue[f"{ep}_events"] = (events, "{}")
        glue[f"{ep}_events_counted"] = (events, "count:event", "no recorded events")
        noun = EVENT_NOUNS[ep]
        glue[f"{ep}_{noun}s"] = (events, f"count:{noun}", f"no recorded {noun}s")
        glue.update(_bootstrap_texts(ep, bootstraps.get(ep)))
        glue[f"paper_{ep}_hr"] = (
            tuple(paper.get(f"{ep}.cox_multivariable.{k}") for k in ("hr", "ci_low", "ci_high")),
            "hr_ci",
        )
    glue["seed"] = (params.seed, "{}")
    glue["boot_B"] = (next((b.B for b in bootstraps.values()), None), "{:,}")
    for ep in ENDPOINTS:  # exercise 1: parameters each endpoint could support at 10 and 5 events each
        events = None if ep not in comparisons else int(comparisons[ep].iloc[0]["events"])
        # compared as printed, as the verdicts are: 249 events carry 25 coefficients at ten (9.96, "10.0")
        k10 = None if events is None else coefficients_at_epv(events, EPV_RULE)
        glue[f"ex_{ep}_k10"] = (k10, "{}")
        glue[f"ex_{ep}_k10_coefficients"] = (k10, "count:coefficient")
        glue[f"ex_{ep}_k5"] = (None if events is None else coefficients_at_epv(events, EPV_FLOOR), "{}")
    return glue


def _bootstrap_texts(ep: str, b: Any) -> dict[str, tuple]:
    """The bootstrap of the full model's arm HR for ``ep`` (None: the endpoint is absent)."""
    return {
        # "below 0.001" rather than "0.000" for a bound the resamples push to 0
        f"{ep}_boot_ci": (
            None
            if b is None or b.ci_low is None
            else f"{format_bootstrap_bound(b.ci_low)} to {format_bootstrap_bound(b.ci_high)}",
            "{}",
        ),
        f"{ep}_boot_median": (None if b is None else b.median_hr, "{:.2f}"),
        f"{ep}_boot_nc": (None if b is None else b.share_not_converged, "pct"),
        f"{ep}_boot_extreme": (None if b is None else b.share_extreme, "pct"),
        f"{ep}_boot_const": (None if b is None else b.n_with_constant_term, "{}"),
        f"{ep}_boot_seconds": (None if b is None else b.seconds, "{:.1f}"),
    }


def ph_glue(values: Mapping[str, Any], params: Parameters, cut_months: float) -> dict[str, tuple]:
    """The proportional-hazards chapter: the Schoenfeld tests' p, the arm's HR before and after
    ``cut_months``, and whether any test rejects at ``params.alpha`` (``values``: its results keys)."""
    glue: dict[str, tuple] = {"cut": (cut_months, "{:g}")}
    for ep in ENDPOINTS:
        for m in ("univariable", "full"):
            glue[f"{ep}_{m}_p"] = (values.get(f"methods.ph.{ep}.{m}.p"), "p_clause")
            glue[f"{ep}_{m}_p_id"] = (values.get(f"methods.ph.{ep}.{m}.p_identity"), "p_clause")
        for period in ("early", "late"):
            k = f"methods.ph.{ep}.{period}"
            hr = values.get(f"{k}.hr")
            glue[f"{ep}_{period}_hr"] = (
                None if hr is None else (hr, values[f"{k}.ci_low"], values[f"{k}.ci_high"]),
                "hr_ci",
                "not estimable",
            )
    alpha_ok = [
        v is None or v >= params.alpha
        for ep in ENDPOINTS
        for k, v in values.items()
        if k.startswith(f"methods.ph.{ep}.")
        and (k.endswith(".p") or k.endswith(".p_identity"))
        and ".early." not in k
        and ".late." not in k
    ]
    glue["verdict"] = (
        f"none of the tests rejects proportional hazards at the {format_alpha_pct(params.alpha)} level"
        if all(alpha_ok)
        else f"at least one test rejects proportional hazards at the {format_alpha_pct(params.alpha)} level",
        "{}",
    )
    return glue


def rmst_glue(
    values: Mapping[str, Any], max_taus: Mapping[str, float], alpha: float = 0.05
) -> dict[str, tuple]:
    """The RMST chapter: each endpoint's largest usable τ (``max_taus``, per endpoint present) and,
    at 12 and 24 months, the RMST per arm and their difference with its CI, also as "x months more"
    or "less" (``values``: its results keys, their intervals at ``alpha``, named in the text, as is
    ``level``)."""
    glue: dict[str, tuple] = {"level": (100 * (1 - alpha), "{:g}")}
    for ep in ENDPOINTS:
        glue[f"{ep}_max_tau"] = (max_taus.get(ep), "{:.1f}")
        for tau in ("12m", "24m"):
            k = f"methods.rmst.{ep}.{tau}"
            d = values.get(f"{k}.difference")
            glue[f"{ep}_{tau}_diff"] = (
                None if d is None else (d, values[f"{k}.ci_low"], values[f"{k}.ci_high"]),
                "{0[0]:.1f} months (" + ci_label(alpha) + " {0[1]:.1f} to {0[2]:.1f})",
                "not estimable (beyond follow-up)",
            )
            glue[f"{ep}_{tau}_more"] = (
                None if d is None else f"{abs(d):.1f} months {'more' if d >= 0 else 'less'}",
                "{}",
                "an amount this cohort cannot estimate",
            )
            glue[f"{ep}_{tau}_p"] = (values.get(f"{k}.p"), "p_clause")
            glue[f"{ep}_{tau}_t"] = (values.get(f"{k}.rmst.treatment"), "{:.1f}")
            glue[f"{ep}_{tau}_r"] = (values.get(f"{k}.rmst.reference"), "{:.1f}")
    return glue


def _arm_name(ep: str, role: str, params: Parameters) -> str:
    return f"{ENDPOINTS[ep].lower()}, {getattr(params, role + '_group')} arm"


def _fmt_time(x: float | None) -> str:
    return "not reached" if x is None or x != x else f"{x:g}"


def medians_teaching_glue(
    details: Mapping[tuple[str, str], Any],
    conventions: Mapping[str, pd.DataFrame],
    values: Mapping[str, Any],
    params: Parameters,
) -> dict[str, tuple]:
    """The medians chapter's reading of SPSS's interval, the flat steps and the exercises.

    ``details`` is ``methods.spss_details`` (an ``SPSSMedianDetail`` or None per (endpoint, role)),
    ``conventions`` the ``methods.median_conventions`` table per endpoint present, ``values`` the
    chapter's results keys. The steepest and the flattest curve around the median (largest and
    smallest density f̂) show which way the density moves SPSS's interval.
    """
    known = {k: d for k, d in details.items() if d is not None}
    glue: dict[str, tuple] = {}
    for name, pick in (("steep", max), ("flat", min)):
        key = pick(known, key=lambda k: known[k].density) if known else None
        glue[f"{name}_text"] = (None if key is None else _density_text(known[key], key, values, params), "{}")
    glue["flat_steps"] = (_flat_steps(conventions, params), "{}")
    glue["flat_conclusion"] = (_flat_conclusion(conventions), "{}")
    glue["bc_overlap"] = (_bc_overlap(values), "{}")
    ex = known.get(("pfs", "treatment")) or next(iter(known.values()), None)
    fields = ("median", "se_survival", "upper_time", "upper_survival", "lower_time", "lower_survival")
    fields += ("density", "se", "ci_low", "ci_high")
    # the median with its unit ("1 month", "5.2 months"): the prose reads "The median is ..."
    fmts = ("months", "{:.4f}", "{:g}", "{:.4f}", "{:g}", "{:.4f}", "{:.4f}", "{:.3f}", "{:.2f}", "{:.2f}")
    for f, fmt in zip(fields, fmts):
        glue[f"ex1_{f}"] = (None if ex is None else getattr(ex, f), fmt)
    ex1_key = ("pfs", "treatment") if ("pfs", "treatment") in known else next(iter(known), None)
    glue["ex1_arm"] = (None if ex1_key is None else _arm_name(*ex1_key, params), "{}")
    glue.update(_conventions_exercise(conventions, params))
    return glue


def _density_text(d: Any, key: tuple[str, str], values: Mapping[str, Any], params: Parameters) -> str:
    ep, role = key
    lo, hi = (values.get(f"methods.medians.{ep}.bc_loglog.{k}.{role}") for k in ("ci_low", "ci_high"))
    return (
        f"{_arm_name(ep, role, params)}: Ŝ falls from {d.upper_survival:.3f} at {d.upper_time:g} months to "
        f"{d.lower_survival:.3f} at {d.lower_time:g}, so f̂ = {d.density:.3f} per month, resting on the "
        f"{d.events_between} event{'s' if d.events_between != 1 else ''} after û up to l̂; SE(median) = "
        f"{d.se:.2f} months and SPSS's interval runs from {d.ci_low:.1f} to {d.ci_high:.1f} months "
        f"(width {d.ci_high - d.ci_low:.1f}), against {_fmt_time(lo)} to {_fmt_time(hi)} for the log-log "
        "Brookmeyer-Crowley interval"
    )


def _flat_steps(conventions: Mapping[str, pd.DataFrame], params: Parameters) -> str:
    """The arms whose curve sits exactly at 0.5 over a step, with each program's median."""
    parts = []
    for ep, table in conventions.items():
        t = table.set_index(["software", "role"])["median"]
        for role in _ROLES:
            spss, r = t[("SPSS", role)], t[("R", role)]
            if spss is None or r is None or abs(spss - r) < 1e-9:
                continue
            parts.append(
                f"{_arm_name(ep, role, params)}: {_fmt_time(spss)} months by SPSS's rule, {_fmt_time(r)} by "
                f"R's and SAS's midpoint, {_fmt_time(t[('lifelines', role)])} by lifelines and "
                f"{_fmt_time(t[('statsmodels', role)])} by statsmodels"
            )
    if not parts:
        return "no curve of this cohort sits exactly at 0.5 over a step, so here the rules agree"
    return "; ".join(parts)


def _flat_conclusion(conventions: Mapping[str, pd.DataFrame]) -> str:
    """How many of the cohort's medians lie on a flat step at exactly 0.5 (SPSS's and R's medians differ)."""
    total = flat = 0
    for table in conventions.values():
        t = table.set_index(["software", "role"])["median"]
        for role in _ROLES:
            if t[("SPSS", role)] is None:
                continue
            total += 1
            flat += t[("R", role)] is not None and abs(t[("SPSS", role)] - t[("R", role)]) > 1e-9
    if not flat:
        return f"None of the cohort's {total} medians lies on a flat step at exactly 0.5, so here the rules agree"
    return (
        f"{flat} of the cohort's {total} medians lie on a flat step at exactly 0.5, where R or SAS would "
        "have printed a different median from SPSS's"
    )


def _bc_overlap(values: Mapping[str, Any]) -> str:
    """Whether the arms' log-log Brookmeyer-Crowley intervals overlap, per endpoint present."""
    parts = []
    for ep in ENDPOINTS:
        lims = {
            role: [values.get(f"methods.medians.{ep}.bc_loglog.{k}.{role}") for k in ("ci_low", "ci_high")]
            for role in _ROLES
        }
        if all(v is None for lim in lims.values() for v in lim):
            continue
        lo_t, hi_t = lims["treatment"]
        lo_r, hi_r = lims["reference"]
        inf = float("inf")
        overlap = (lo_t or 0) <= (hi_r if hi_r is not None else inf) and (lo_r or 0) <= (
            hi_t if hi_t is not None else inf
        )
        parts.append(f"{'overlap' if overlap else 'do not overlap'} for {ENDPOINTS[ep].lower()}")
    return "; they ".join(parts) if parts else "cannot be compared"


def _conventions_exercise(conventions: Mapping[str, pd.DataFrame], params: Parameters) -> dict[str, tuple]:
    """Exercise 3: each program's median for one arm, the first with a flat step at 0.5 if any."""
    pick = None
    for ep, table in conventions.items():
        t = table.set_index(["software", "role"])["median"]
        for role in _ROLES:
            if pick is None or (t[("SPSS", role)] != t[("R", role)] and pick[2] == "same"):
                pick = (ep, role, "same" if t[("SPSS", role)] == t[("R", role)] else "differ")
    glue: dict[str, tuple] = {
        "ex3_arm": (None if pick is None else _arm_name(pick[0], pick[1], params), "{}")
    }
    for software in ("SPSS", "SAS", "R", "lifelines", "statsmodels"):
        v = None
        if pick is not None:
            v = conventions[pick[0]].set_index(["software", "role"])["median"][(software, pick[1])]
        # SPSS's comes first in the prose and carries the unit ("1 month", "5.2 months")
        fmt = "months" if software == "SPSS" else "{:g}"
        glue[f"ex3_{software.lower()}"] = (None if v is None else v, fmt, "not reached")
    return glue


#: How far the arm's HR may move between the small-sample estimators (largest / smallest) to "hardly move".
ARM_STABLE_RATIO = 1.25


def arm_stability(ranges: Mapping[str, tuple[float, float] | None]) -> str | None:
    """Whether the arm's HR "hardly moves" between the estimators: the largest ratio of the highest to the
    lowest HR over the endpoints present, against :data:`ARM_STABLE_RATIO`, stated with the ratio."""
    ratios = [hi / lo for lo, hi in (r for r in ranges.values() if r is not None) if lo > 0]
    if not ratios:
        return None
    worst = max(ratios)
    verb = "hardly moves" if worst <= ARM_STABLE_RATIO else "moves"
    return f"{verb} (the largest estimate is at most {worst:.2f} times the smallest)"


def wald_reading(comparisons: Mapping[str, pd.DataFrame]) -> str:
    """What the paper's models' events per variable say of their Wald intervals: below the rule of
    ten (Peduzzi et al. 1995), where they found the intervals' coverage and the Wald tests degrade; at or
    above it the rule is met, a rule of thumb and not a guarantee."""
    epvs = [
        float(t.set_index("model").loc["full", "epv"])
        for t in comparisons.values()
        if t is not None and pd.notna(t.set_index("model").loc["full", "epv"])
    ]
    if not epvs:
        return "Without a fitted full model there are no Wald intervals to judge"
    if min(epv_as_printed(e) for e in epvs) >= EPV_RULE:
        # Peduzzi et al. call ten the most prudent level, not one above which Wald intervals are exact
        return (
            "At these events per variable the model meets the rule of ten, the level Peduzzi and "
            "colleagues found the most prudent; it is a rule of thumb, not a guarantee that the Wald "
            "intervals of the ordinary fit have their nominal coverage"
        )
    return (
        "At these events per variable the model is below the rule of ten, where Peduzzi and colleagues found "
        "the intervals' coverage and the Wald tests degrade"
    )


def small_sample_teaching_glue(
    comparisons: Mapping[str, pd.DataFrame],
    full_fits: Mapping[str, Any],
    n_patients: int,
    ridge_penalizer: float,
    published: Mapping[str, Any] | None = None,
    model: FittedModel | None = None,
    bootstraps: Mapping[str, Any] | None = None,
) -> dict[str, tuple]:
    """The small-sample chapter's reading: the model fitted and its size (``model``, named by
    :func:`~lcnec_utils.methods.model_name.fitted_model`; by default "the model fitted here", or the
    arm alone where the full model has one term), how far the arm's HR moves between the models, which
    covariate estimates are unstable, the full and reduced models' EPV against the rules, the warning
    that goes with the defensible summary, the paper's own model's size, the ridge penalty as lifelines
    applies it, and the exercises' counts. ``full_fits`` are the full models (``CoxResult``) per
    endpoint present, ``bootstraps`` their ``methods.bootstrap_arm_hr`` (``BootstrapResult``), read
    by :func:`~lcnec_utils.chapter.model_size.instability_reading`."""
    paper = published_values() if published is None else published
    glue: dict[str, tuple] = {"paper_pfs_hr_only": (paper.get("pfs.cox_multivariable.hr"), "{:.2f}")}
    first = next(iter(comparisons.values()), None)
    n_terms = None if first is None else int(first.set_index("model").loc["full", "terms"])
    if model is None:
        model = fitted_model([]) if n_terms == 1 else MODEL_FITTED_HERE
    glue["paper_reduction"] = (
        None if paper.get("pfs.cox_multivariable.hr") is None else 1 - paper["pfs.cox_multivariable.hr"],
        "{:.0%}",
    )
    ranges: dict[str, tuple[float, float] | None] = {}
    events_by_ep: dict[str, int] = {}
    # each endpoint's full model has its own complete cases, so its own terms (a covariate constant in
    # one endpoint's complete cases has no term there): the readings take both per endpoint
    terms_by_ep: dict[str, int] = {}
    conf10: dict[str, int] = {}
    for ep in ENDPOINTS:
        table = comparisons.get(ep)
        ok = None if table is None else table[table["model"].isin(SMALL_SAMPLE_MODELS) & table["converged"]]
        ranges[ep] = None if ok is None or ok.empty else (float(ok["hr"].min()), float(ok["hr"].max()))
        glue[f"{ep}_arm_range"] = (ranges[ep], "{0[0]:.2f} to {0[1]:.2f}")
        rows = None if table is None else table.set_index("model")
        full_epv = None if rows is None else rows.loc["full", "epv"]
        glue[f"{ep}_full_verdict"] = (epv_verdict(full_epv), "{}")
        reduced_epv = None if rows is None else rows.loc["reduced", "epv"]
        glue[f"{ep}_reduced_verdict"] = (epv_verdict(reduced_epv), "{}")
        # the full model's own events (its complete cases), not the arm-only row's (all patients):
        # the EPV readings take events and terms from the same row (model_size.model_epvs)
        if rows is not None and pd.notna(rows.loc["full", "events"]) and pd.notna(full_epv):
            events_by_ep[ep] = int(rows.loc["full", "events"])
            terms_by_ep[ep] = int(rows.loc["full", "terms"])
        events = None if table is None else int(table.iloc[0]["events"])
        if events is not None:
            conf10[ep] = confounders_at_rule(events)
        glue[f"ex_{ep}_conf10"] = (conf10.get(ep), "{}")
        glue[f"ex_{ep}_conf10_confounders"] = (conf10.get(ep), "count:confounder")
        glue[f"ex_{ep}_conf5"] = (None if events is None else confounders_at_rule(events, EPV_FLOOR), "{}")
    glue["model_question"] = (model_question(model, terms_by_ep, events_by_ep), "{}")
    glue["full_epv_text"] = (full_epv_reading(model, terms_by_ep, events_by_ep), "{}")
    glue["adjust_warning"] = (adjustment_warning(model, terms_by_ep, events_by_ep, conf10), "{}")
    glue["paper_model_caution"] = (paper_model_caution(paper), "{}")
    glue["wald_reading"] = (wald_reading(comparisons), "{}")
    glue["arm_stability"] = (arm_stability(ranges), "{}", "cannot be compared (no model converged)")
    glue["unstable_text"] = (_unstable_covariate(full_fits), "{}")
    glue["model_long"] = (model.long, "{}")
    shares = {
        ep: BootstrapShares(
            b.share_not_converged,
            b.share_extreme,
            None if b.ci_low is None else (b.ci_low, b.ci_high),
            b.share_below,
            b.share_above,
            b.alpha,
        )
        for ep, b in (bootstraps or {}).items()
        if b is not None
    }
    glue["instability_text"] = (
        instability_reading(model, events_by_ep, terms_by_ep, shares, _unstable_covariate(full_fits)),
        "{}",
    )
    glue["ridge_lambda"] = (ridge_penalizer, "{:g}")
    glue["ridge_n"] = (n_patients, "{}")
    glue["n_patients"] = (n_patients, "{}")
    glue["ridge_weight"] = (n_patients * ridge_penalizer / 2, "{:g}")
    glue["ridge_theta"] = (n_patients * ridge_penalizer, "{:g}")
    return glue


def _unstable_covariate(full_fits: Mapping[str, Any]) -> str | None:
    """The covariate of the paper's models with the widest interval, its HR for each endpoint."""
    rows = []
    for res in full_fits.values():
        if res is None or not res.converged:
            continue
        for _, r in res.table.iterrows():
            if r["term"] != "treatment" and r["ci_low"] > 0:
                rows.append((r["ci_high"] / r["ci_low"], r["term"], r["label"]))
    if not rows:
        return None
    _, term, _label = max(rows)
    parts = []
    for ep, res in full_fits.items():
        if res is None or not res.converged or term not in list(res.table["term"]):
            continue
        r = res.term(term)
        parts.append(f"{r['hr']:.2f} ({r['ci_low']:.2f} to {r['ci_high']:.2f}) for {EVENT_NOUNS[ep]}")
    return f"{term_in_prose(term)}: HR " + " and ".join(parts)


def _rejections(
    conventions: Mapping[str, pd.DataFrame],
    test: str,
    alpha: float,
    named: FittedModel = MODEL_FITTED_HERE,
) -> str:
    """Which of ``test``'s p-values (both models, both time scales) fall below ``alpha``, as a phrase;
    the model with covariates by its name ``named``."""
    hits = []
    for ep, table in conventions.items():
        t = table[(table["test"] == test) & (table["p"] < alpha)]
        for _, r in t.iterrows():
            model = "the arm-only model" if r["model"] == "univariable" else named.short
            scale = "1 − KM" if r["transform"] == "km" else "t"
            hits.append(f"{EVENT_NOUNS[ep]} in {model} on the {scale} scale ({format_p_clause(r['p'])})")
    if not hits:
        return f"none of its tests rejects proportional hazards at the {format_alpha_pct(alpha)} level"
    return f"it rejects proportional hazards at the {format_alpha_pct(alpha)} level for " + "; ".join(hits)


def _p_ranges(p_values: Mapping[str, pd.Series], alpha: float) -> tuple[list[str], list[str]]:
    """Per endpoint with any p-value: "from <min> to <max> for <endpoint>", and the endpoints whose
    p-values fall on both sides of ``alpha``."""
    parts, straddling = [], []
    for ep, p in p_values.items():
        p = p.dropna()
        if p.empty:
            continue
        if p.min() < alpha <= p.max():
            straddling.append(EVENT_NOUNS[ep])
        parts.append(f"from {format_p(p.min())} to {format_p(p.max())} for {EVENT_NOUNS[ep]}")
    return parts, straddling


def _formula_spread(
    conventions: Mapping[str, pd.DataFrame], alpha: float, model: FittedModel = MODEL_FITTED_HERE
) -> str | None:
    """How far the test p-values of the model with covariates (named by ``model``) move with the formula
    and the time scale, per endpoint, and for which endpoints they fall on both sides of ``alpha`` (the
    reading of "significant or not")."""
    parts, straddling = _p_ranges(
        {ep: t.loc[t["model"] == "full", "p"] for ep, t in conventions.items()}, alpha
    )
    if not parts:
        return None
    side = (
        f"on both sides of the {format_alpha_pct(alpha)} level for {' and '.join(straddling)}: there the "
        "choice of formula and time "
        'scale decides between "significant" and "not"'
        if straddling
        else f"on one side of the {format_alpha_pct(alpha)} level for each endpoint: here the choice does not "
        "change the verdict"
    )
    return f"the p-values of {model.short} run " + " and ".join(parts) + ", " + side


def ph_epv_texts(
    epvs: Mapping[str, float],
    model: FittedModel = MODEL_FITTED_HERE,
    null_rates: Mapping[str, Mapping[str, float] | None] | None = None,
    alpha: float = 0.05,
) -> dict[str, str]:
    """The proportional-hazards chapter's three readings of the events per variable of its model with
    covariates (``epvs``: that model's events over its coefficients, per endpoint present; ``model``:
    its name, :func:`~lcnec_utils.methods.model_name.fitted_model`, "the paper's model" only when all
    the paper's covariates and no other are in it), each against the rule of ten
    (:data:`~lcnec_utils.methods.smallsample.EPV_RULE`, compared as printed, to one decimal) endpoint by
    endpoint: ``ph_epv_check`` (the method section: below the rule, the model's fit, and the tests built
    on it, are to be read with caution), ``ph_lesson`` (after the formulas' spread) and ``ph_epv_conclusion`` (what it
    means for the paper). The page typed "so few events per variable", "these few events" and "no answer
    is reliable" whatever the cohort, and called the arm alone "the paper's model" on a cohort with
    none of its covariates. The rule of ten (Peduzzi et al. 1995) concerns the model's coefficients,
    intervals and Wald tests, so it is said of the fit the tests are computed from, not of the tests.

    The lesson ends with what the chapter measured of the tests themselves (:func:`_lesson_size`): the
    simulated size at ``alpha`` of the exact test of the arm's term in ``model`` (``null_rates``:
    ``methods.ph_null_rates`` per endpoint, None where it was not run), and that their power was not
    simulated; without ``null_rates`` it says that neither was."""
    if not epvs:
        none = "No model was fitted, so there are no events per variable to read."
        return {"ph_epv_check": none, "ph_lesson": "", "ph_epv_conclusion": ""}

    low = [ep for ep in epvs if epv_as_printed(epvs[ep]) < EPV_RULE]
    met = [ep for ep in epvs if ep not in low]
    rule = "the rule of ten (the small-sample chapter)"
    choice = "a choice among tests made after seeing their p-values would"
    name, short = model.long[0].upper() + model.long[1:], model.short
    unstable = (
        "its fit is one the rule of ten warns about, so the tests built on it are to be read with caution"
    )
    if not met:
        check = f"{name} has {epv_values(epvs, low)}, below {rule}: {unstable}."
    elif not low:
        check = f"{name} has {epv_values(epvs, met)}, at or above {rule}; that does not make a large-sample test exact."
    else:
        check = (
            f"{name} has {epv_values(epvs, low)}, below {rule}, and {epv_values(epvs, met)}, at or above it: for {event_names(low)} "
            f"{unstable}."
        )
    measured = _lesson_size(null_rates, alpha, model)
    if low:
        lesson = (
            f"Below the rule of ten, as {short} is for {event_names(low)}, the fit a proportional-hazards test is "
            "built on is one that rule warns about (it concerns the coefficients and their Wald tests, not "
            "this test directly), so the test's answer, either way, is to be read with that caution, and "
            f"{choice} be a choice of conclusion. {measured}"
        )
    else:
        lesson = (
            f"Even with {short} at or above the rule of ten, a proportional-hazards test cannot certify "
            f"proportionality (a large p-value is not proof of it), and {choice} still be a choice "
            f"of conclusion. {measured}"
        )
    if not met:
        conclusion = (
            f"With {short} below the rule of ten for {event_names(low)}, the tests rest on a fit that rule warns "
            "about, and their answer is to be read with that caution."
        )
    elif not low:
        conclusion = f"With {short} at or above the rule of ten, the tests' answer is still no proof of proportionality."
    else:
        conclusion = (
            f"With {short} below the rule of ten for {event_names(low)}, that answer rests on a fit that rule warns "
            f"about and is to be read with that caution; for "
            f"{event_names(met)}, at or above the rule, the tests' answer is still no proof of proportionality."
        )
    return {"ph_epv_check": check, "ph_lesson": lesson, "ph_epv_conclusion": conclusion}


def ph_teaching_glue(
    conventions: Mapping[str, pd.DataFrame],
    readings: Mapping[str, Mapping[str, float]],
    gaps: Mapping[str, pd.DataFrame],
    params: Parameters,
    model: FittedModel | None = None,
    null_rates: Mapping[str, Mapping[str, float] | None] | None = None,
) -> dict[str, tuple]:
    """The proportional-hazards chapter's comparison of the two test formulas, the guided reading of the
    β(t) and log-log plots, and the exercises. ``conventions``: ``methods.ph_test_conventions`` per
    endpoint; ``readings``: ``methods.zph_band_reading`` of the arm-only model's β(t) band (None
    where R's spline fit would be singular); ``gaps``: ``methods.loglog_gaps``; ``model``: the name of
    the model with covariates (:func:`~lcnec_utils.methods.model_name.fitted_model`), by default "the
    model fitted here"; ``null_rates``: ``methods.ph_null_rates`` per endpoint (None where not run), the
    simulated size the lesson cites (:func:`ph_epv_texts`)."""
    named = model or MODEL_FITTED_HERE  # the loop below reuses the name model for the table's rows
    glue: dict[str, tuple] = {
        "verdict_score": (_rejections(conventions, "score", params.alpha, named), "{}"),
        "verdict_approx": (_rejections(conventions, "approximation", params.alpha, named), "{}"),
        # the model with covariates by name, for the page's sentences and its tables
        "ph_model": (named.short, "{}"),
        "ph_model_long": (named.long, "{}"),
        "formula_spread": (_formula_spread(conventions, params.alpha, named), "{}", "cannot be compared"),
        "zph_settings": (_zph_settings(), "{}"),
        "zph_multiplier": (_zph_multiplier(), "{:g}"),
    }
    for ep in ENDPOINTS:
        table = conventions.get(ep)
        for model in ("univariable", "full"):
            for tr in ("km", "identity"):
                for test in ("score", "approximation"):
                    row = (
                        None
                        if table is None
                        else table[
                            (table["model"] == model) & (table["transform"] == tr) & (table["test"] == test)
                        ]
                    )
                    p = None if row is None or row.empty else row["p"].iloc[0]
                    chi2 = None if row is None or row.empty else row["chi2"].iloc[0]
                    glue[f"{ep}_{model}_{tr}_{test}_p"] = (p, "p_clause")
                    glue[f"{ep}_{model}_{tr}_{test}_chi2"] = (chi2, "{:.2f}")
            full = None if table is None else table[table["model"] == model].iloc[0]
            glue[f"{ep}_{model}_epv"] = (None if full is None else full["events"] / full["terms"], "{:.1f}")
        r = readings.get(ep)
        glue[f"{ep}_band_text"] = (
            None if r is None else _band_text(r),
            "{}",
            "no band (the spline fit is singular, as with too few distinct event times; R skips it)",
        )
        g = gaps.get(ep)
        glue[f"{ep}_loglog_text"] = (None if g is None else _gap_text(g), "{}")
    epvs = {ep: glue[f"{ep}_full_epv"][0] for ep in ENDPOINTS if glue[f"{ep}_full_epv"][0] is not None}
    texts = ph_epv_texts(epvs, named, null_rates, params.alpha)
    glue.update({name: (text, "{}") for name, text in texts.items()})
    return glue


def _zph_settings() -> str:
    """The spline's degrees of freedom and the points it is drawn at (``plot.cox.zph``'s defaults, as
    ``methods.zph_band`` takes them)."""
    from lcnec_utils.methods.ph import ZPH_DF, ZPH_NSMO

    return f"a natural cubic spline with {ZPH_DF} degrees of freedom, drawn at {ZPH_NSMO} points"


def _zph_multiplier() -> float:
    """The band's half-width in standard errors (``plot.cox.zph``'s 2)."""
    from lcnec_utils.methods.ph import ZPH_SE_MULTIPLIER

    return ZPH_SE_MULTIPLIER


def _hr_text(x: float) -> str:
    """An HR of the band's limits to two significant digits, trailing zeros kept (0.024, 0.0016, 0.50,
    3.2, 69, 250)."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    r = float(f"{x:.2g}")
    return f"{r:.{max(0, 1 - math.floor(math.log10(abs(r))))}f}"


def _band_text(r: Mapping[str, Any]) -> str:
    """The band's reading (``methods.zph_band_reading``): its HR limits at the first and the last event,
    its width there against its narrowest, and the spans of time over which the constant HR lies
    outside it (or that it lies inside throughout)."""
    return (
        f"at the first event ({_months(r['first_time'])}) the band runs from an HR of "
        f"{_hr_text(r['hr_first_low'])} to {_hr_text(r['hr_first_high'])}, at the last "
        f"({_months(r['last_time'])}) from {_hr_text(r['hr_last_low'])} to {_hr_text(r['hr_last_high'])}; "
        f"on the log scale it is {r['width_first']:.1f} and {r['width_last']:.1f} times as wide there "
        f"as at its narrowest (near {_months(round(r['narrowest_time'], 1))}), and the model's constant "
        f"HR, {r['hr_model']:.2f}, lies {_outside_text(r['outside'])}"
    )


def _outside_text(spans) -> str:
    """Where the constant HR leaves the band (``zph_band_reading``'s ``outside``), in months to one
    decimal: "inside it throughout" or, per span, "above it from 1 to 2.3 months" (the side named
    where it changes), a span that rounds to one time given as "near" it."""
    if not spans:
        return "inside it throughout"
    parts, side = [], None
    for s in spans:
        a, b = round(s["start"], 1), round(s["end"], 1)
        when = f"near {_months(a)}" if a == b else f"from {a:g} to {_months(b)}"
        parts.append(when if s["side"] == side else f"{s['side']} it {when}")
        side = s["side"]
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def _months(x: float) -> str:
    return "1 month" if x == 1 else f"{x:g} months"


def _gap_text(gaps: pd.DataFrame) -> str:
    parts = [
        f"{h:.2f} at {t:g} months" if h == h else f"none at {t:g} months (a curve still at 1)"
        for t, h in zip(gaps["time"], gaps["hr"])
    ]
    return ", ".join(parts)


def _global_phrase(table: pd.DataFrame, model: FittedModel = MODEL_FITTED_HERE) -> str:
    terms, events = int(table["df"].iloc[0]), int(table["events"].iloc[0])
    if terms == 1:
        return f"the one term of {model.long}, on {events} events"
    return f"all {terms} terms of {model.short} at once ({terms} df, on {events} events)"


def _global_spread(tables: Mapping[str, pd.DataFrame], alpha: float) -> str | None:
    """How far the global test's p moves with the formula and the time scale, per endpoint, and where
    it falls on both sides of ``alpha`` (which of those p-values to read: :func:`_null_size`)."""
    parts, straddling = _p_ranges({ep: t["p"] for ep, t in tables.items()}, alpha)
    if not parts:
        return None
    side = (
        f"on both sides of the {format_alpha_pct(alpha)} level for {' and '.join(straddling)}"
        if straddling
        else f"on one side of the {format_alpha_pct(alpha)} level for each endpoint"
    )
    return "its p-values run " + " and ".join(parts) + ", " + side


_NULL_TESTS = {
    "score_global": "the exact global test",
    "approximation_global": "the old approximation's global test",
}

#: The fewest samples kept by the simulation under proportional hazards whose rejection rate the page
#: judges against alpha: at 100 kept samples two simulation standard errors at 0.05 are 4.4 percentage
#: points; with fewer, more. Below alpha = 0.05 the minimum grows with :data:`MIN_EXPECTED_REJECTIONS`
#: (:func:`min_kept_samples`).
MIN_KEPT_SAMPLES = 100

#: The fewest rejections the simulation must expect under proportional hazards, alpha times the samples
#: kept, before the page judges a rejection rate: 100 samples at 0.001 expect 0.1 rejections, and a rate
#: of 0 or 1 in 100 says nothing of a size of 0.1%. At 5 the minimum is :data:`MIN_KEPT_SAMPLES` for
#: alpha of 0.05 and above, 5 / alpha below it (5,000 samples at 0.001).
MIN_EXPECTED_REJECTIONS = 5


def min_kept_samples(alpha: float) -> int:
    """The fewest kept samples whose rejection rate at ``alpha`` the page judges: at least
    :data:`MIN_KEPT_SAMPLES`, and at least enough for :data:`MIN_EXPECTED_REJECTIONS` rejections to be
    expected under the null (100 at 0.05 and 0.1, 200 at 0.025, 5,000 at 0.001)."""
    return max(MIN_KEPT_SAMPLES, math.ceil(round(MIN_EXPECTED_REJECTIONS / alpha, 6)))


def _size_judgement(rate: float, kept: int, alpha: float) -> str:
    """``above``, ``below`` or ``nominal``: a simulated rejection rate against ``alpha``, beyond two
    binomial standard errors of ``kept`` replicates or not; ``too few`` below :func:`min_kept_samples`
    kept replicates, where it is not judged."""
    if kept < min_kept_samples(alpha):
        return "too few"
    se = math.sqrt(alpha * (1 - alpha) / kept)
    return "above" if rate > alpha + 2 * se else "below" if rate < alpha - 2 * se else "nominal"


def _too_few_text(
    rates: Mapping[str, Mapping[str, float]], eps: list[str], alpha: float, judging: bool
) -> str:
    """ "the simulation kept only 30 samples for death, fewer than the 100 needed" (``judging``: "... to
    judge a rate"), and where :data:`MIN_EXPECTED_REJECTIONS` sets the minimum, why: "... needed at
    0.1%, where a test of size 0.1% would expect 5 rejections in 5,000 samples"."""
    kept = " and ".join(
        f"{format_count(int(rates[ep]['kept']), 'sample')} for {EVENT_NOUNS[ep]}" for ep in eps
    )
    need = min_kept_samples(alpha)
    text = f"the simulation kept only {kept}, fewer than the {need:,} needed" + (
        " to judge a rate" if judging else ""
    )
    if need > MIN_KEPT_SAMPLES:
        text += (
            f" at {format_alpha_pct(alpha)}, where a test of size {format_alpha_pct(alpha)} would expect "
            f"{MIN_EXPECTED_REJECTIONS} rejections in {need:,} samples"
        )
    return text


def _points(err: float, alpha: float) -> str:
    """Two simulation standard errors in percentage points, with the decimals of :func:`_rate_text`
    (more where that prints 0), "point" for one."""
    shown = format_alpha_pct(alpha)
    decimals = len(shown[:-1].split(".")[1]) if "." in shown else 0
    text = f"{100 * err:.{decimals}f}"
    while float(text) == 0 and err > 0 and decimals < 4:
        decimals += 1
        text = f"{100 * err:.{decimals}f}"
    return text


def _null_size(null_rates: Mapping[str, Mapping[str, float] | None], alpha: float) -> str | None:
    """What the simulation under proportional hazards says of the global tests' size in this design
    (``null_rates``: ``methods.ph_null_rates`` per endpoint, None where it was not run), as sentences.
    The exact test of the arm's term, simulated in the same samples, is said with the arm's term
    (:func:`_term_size`), not again here. An endpoint with fewer than :func:`min_kept_samples` kept
    samples is not judged: its rates are printed, but the rates' uncertainty and every judgement name
    only the endpoints judged. Alpha is printed as a percentage ("the 5% level") and the rates as
    :func:`_rate_text` prints them."""
    rates = {ep: r for ep, r in null_rates.items() if r is not None and r["kept"] > 0}
    if not rates:
        return None
    eps = [ep for ep in ENDPOINTS if ep in rates]
    kept = " and ".join(f"{int(rates[ep]['kept']):,} of {int(rates[ep]['reps']):,}" for ep in eps)
    pct = format_alpha_pct(alpha)
    judged = {
        key: {ep: _size_judgement(rates[ep][key], rates[ep]["kept"], alpha) for ep in eps}
        for key in _NULL_TESTS
    }
    judged_eps = [ep for ep in eps if rates[ep]["kept"] >= min_kept_samples(alpha)]
    few = [ep for ep in eps if ep not in judged_eps]
    parts = [
        f"{what} in " + " and ".join(_rate_text(rates[ep][key], alpha, judged[key][ep]) for ep in eps)
        for key, what in _NULL_TESTS.items()
    ]
    text = (
        f"Simulated under proportional hazards in this very design (for {event_names(eps)}: the "
        "model's own covariates and fitted coefficients, an exponential baseline hazard, censoring "
        f"matching the share of events; each sample refitted as R's coxph fits it; {kept} samples kept, "
        "those R would warn about (no convergence, or a coefficient that may be infinite) or whose "
        "information matrix was singular dropped), "
        f"the global tests reject at the {pct} level on the 1 − KM scale with these rates: "
        + "; ".join(parts)
    )
    if judged_eps:
        errs = [
            _points(
                max(
                    2 * math.sqrt(rates[ep][k] * (1 - rates[ep][k]) / rates[ep]["kept"]) for k in _NULL_TESTS
                ),
                alpha,
            )
            for ep in judged_eps
        ]
        unit = "percentage point" if float(errs[0]) == 1 else "percentage points"
        each = " and ".join(
            f"±{e}{' ' + unit if i == 0 else ''} for {EVENT_NOUNS[ep]}"
            for i, (e, ep) in enumerate(zip(errs, judged_eps))
        )
        text += f" (with the samples kept, two simulation standard errors are up to {each})"
    text += "."
    if few:
        too_few = _too_few_text(rates, few, alpha, judging=True)
        text += f" {too_few[0].upper() + too_few[1:]}, so {'its rates are' if len(few) == 1 else 'their rates are'} not judged."
    if not judged_eps:
        return text

    def group(key: str, j: str) -> list[str]:
        return [ep for ep in judged_eps if judged[key][ep] == j]

    said = []
    above = group("score_global", "above")
    # "not evidence" only where it rejects in most samples; a size just above alpha makes its p-values
    # weaker evidence, as the arm's term's reading says (review 80)
    if most := [ep for ep in above if rates[ep]["score_global"] > 0.5]:
        said.append(
            f"So for {event_names(most)} the exact global test's p-values below the {pct} level are not "
            f"evidence against proportional hazards: it would reject at the {pct} level in most samples even "
            "if the hazards were proportional (it tests as many added coefficients as the model has, on the "
            "same few events)."
        )
    if some := [ep for ep in above if ep not in most]:
        said.append(
            f"So for {event_names(some)} the exact global test's p-values just below the {pct} level are "
            "weaker evidence against proportional hazards than they look."
        )
    within = "within two simulation standard errors of " + pct
    if nominal := group("score_global", "nominal"):
        said.append(f"For {event_names(nominal)} the exact global test rejects {within}.")
    if below := group("score_global", "below"):
        said.append(
            f"For {event_names(below)} the exact global test rejects less often than in {pct} of samples, by over "
            "two simulation standard errors."
        )
    if nominal := group("approximation_global", "nominal"):
        said.append(f"For {event_names(nominal)} the old approximation rejects {within}.")
    if above := group("approximation_global", "above"):
        far = [ep for ep in above if rates[ep]["approximation_global"] < rates[ep]["score_global"] / 2]
        said.append(
            f"For {event_names(above)} the old approximation rejects more often than in {pct} of the samples kept"
            + (
                f", but far less often than the exact test{'' if far == above else ' for ' + event_names(far)}: of the "
                f"two, its p-values are the less misleading {'there' if far == above else 'for ' + event_names(far)}"
                if far
                else ""
            )
            + "."
        )
    if below := group("approximation_global", "below"):
        said.append(
            f"For {event_names(below)} the old approximation rejects less often than in {pct} of samples, by over "
            "two simulation standard errors."
        )
    return text + " " + " ".join(said)


def _term_rates(
    null_rates: Mapping[str, Mapping[str, float] | None] | None,
) -> dict[str, Mapping[str, float]]:
    """The endpoints whose simulation of the exact test of the arm's term kept a sample, in page order."""
    rates = {
        ep: r
        for ep, r in (null_rates or {}).items()
        if r is not None and r["kept"] > 0 and math.isfinite(r["score_term"])
    }
    return {ep: rates[ep] for ep in ENDPOINTS if ep in rates}


def _term_size_reading(rates: Mapping[str, Mapping[str, float]], alpha: float) -> str:
    """The one per-endpoint reading of the simulated size of the exact test of the arm's term on the
    1 − KM scale (``rates``: :func:`_term_rates`), which :func:`_term_size` prints and
    :func:`_term_size_recalled` recalls: each endpoint by :func:`_size_judgement`, with its kept
    samples, and, below :func:`min_kept_samples`, that too few were kept. It continues "the exact test
    on the 1 − KM scale ..." and is sentences: "rejects at the 5% level in 12% of the 988 samples kept
    for progression and 13% of the 738 kept for death, more than 5% by over two simulation standard
    errors. So for progression and death its p-values just below the 5% level are weaker evidence
    against proportional hazards than they look"."""
    eps = list(rates)
    pct = format_alpha_pct(alpha)
    judged = {ep: _size_judgement(rates[ep]["score_term"], rates[ep]["kept"], alpha) for ep in eps}
    few = [ep for ep in eps if judged[ep] == "too few"]
    if len(few) == len(eps):
        return "has a size this page does not judge: " + _too_few_text(rates, few, alpha, judging=False)
    reading = {
        "above": f"more than {pct} by over two simulation standard errors",
        "nominal": f"within two simulation standard errors of {pct}",
        "below": f"less than {pct} by over two simulation standard errors",
    }
    groups: dict[str, list[str]] = {}
    for ep in eps:
        if ep not in few:
            groups.setdefault(judged[ep], []).append(ep)
    parts, first = [], True
    for j, group in groups.items():
        shares = []
        for ep in group:
            unit = " samples" if first else ""
            rate = _rate_text(rates[ep]["score_term"], alpha, j)
            shares.append(f"{rate} of the {int(rates[ep]['kept']):,}{unit} kept for {EVENT_NOUNS[ep]}")
            first = False
        parts.append(f"{' and '.join(shares)}, {reading[j]}")
    sentences = [f"rejects at the {pct} level in " + "; ".join(parts)]
    if few:
        too_few = _too_few_text(rates, few, alpha, judging=True)
        sentences.append(too_few[0].upper() + too_few[1:])
    above = [ep for ep in eps if judged[ep] == "above"]
    below = [ep for ep in eps if judged[ep] == "below"]
    if above:
        sentences.append(
            f"So for {event_names(above)} its p-values just below the {pct} level are weaker evidence against "
            "proportional hazards than they look"
        )
    if below:
        sentences.append(
            f"{'For' if above else 'So for'} {event_names(below)} it rejects less often than its {pct} level says"
        )
    return ". ".join(sentences)


def _term_size(
    null_rates: Mapping[str, Mapping[str, float] | None],
    alpha: float,
    model: FittedModel = MODEL_FITTED_HERE,
) -> str | None:
    """The simulated size of the exact test of the arm's term in the model with covariates (``model``),
    as sentences (:func:`_term_size_reading`) that say it is the only test of the arm's term simulated:
    the results sentence lists p-values of other tests and time scales before it."""
    rates = _term_rates(null_rates)
    if not rates:
        return None
    return (
        "Of these tests only one had its size simulated: under proportional hazards in "
        f"{model.short}, the exact test on the 1 − KM scale " + _term_size_reading(rates, alpha) + "."
    )


def _size_recalled(rates: Mapping[str, Mapping[str, float]], alpha: float) -> str:
    """:func:`_term_size_reading` without its numbers: "more than 5% for progression and death"."""
    pct = format_alpha_pct(alpha)
    reading = {
        "above": f"more than {pct}",
        "nominal": f"within two simulation standard errors of {pct}",
        "below": f"less than {pct}",
        "too few": "not judged (too few samples kept)",
    }
    groups: dict[str, list[str]] = {}
    for ep in rates:
        groups.setdefault(_size_judgement(rates[ep]["score_term"], rates[ep]["kept"], alpha), []).append(ep)
    return " and ".join(f"{reading[j]} for {event_names(eps)}" for j, eps in groups.items())


def _term_size_recalled(null_rates: Mapping[str, Mapping[str, float] | None], alpha: float) -> str | None:
    """The same reading recalled without its numbers, for the page's conclusion, where it follows "by
    R's current test" and says which of its tests it is: "the simulated size of its exact test on the
    1 − KM scale, given above, is more than 5% for progression and death"."""
    rates = _term_rates(null_rates)
    if not rates:
        return None
    return "the simulated size of its exact test on the 1 − KM scale, given above, is " + _size_recalled(
        rates, alpha
    )


def _rate_text(rate: float, alpha: float, judged: str) -> str:
    """A simulated rejection rate as a percentage with as many decimals as ``alpha``'s
    (:func:`~lcnec_utils.stats.format.format_alpha_pct`: none at 5%, one at 2.5%), and one more where
    it would print as ``alpha``'s but is judged off it."""
    shown = format_alpha_pct(alpha)
    decimals = len(shown[:-1].split(".")[1]) if "." in shown else 0
    text = f"{100 * rate:.{decimals}f}%"
    return f"{100 * rate:.{decimals + 1}f}%" if judged in ("above", "below") and text == shown else text


def _lesson_size(
    null_rates: Mapping[str, Mapping[str, float] | None] | None,
    alpha: float,
    model: FittedModel = MODEL_FITTED_HERE,
) -> str:
    """The end of chapter 11's lesson: what the chapter measured of the tests of the arm's term. That
    is the simulated size at ``alpha`` of one of them, the exact test in ``model`` on the 1 − KM scale
    (``null_rates``: ``methods.ph_null_rates`` per endpoint, None where it was not run), recalled from
    the results section without its numbers (:func:`_size_recalled`, as the conclusion recalls it); the
    approximation, the other time scales and the arm-only model's test were not simulated, nor was any
    test's power."""
    rates = _term_rates(null_rates)
    if not rates:
        return (
            "This page did not simulate the tests' size or power in this design, so how often they reject "
            "when the hazards are proportional, and how often they detect a departure, is not measured here."
        )
    return (
        "Of the tests of the arm's term, this chapter simulated the size of one, under proportional hazards "
        f"in {model.short}: the exact test on the 1 − KM scale. The approximation, the other time scales "
        "and the arm-only model's test were not simulated. The exact test's simulated size, given with the "
        f"results above, is {_size_recalled(rates, alpha)}. The tests' power, how often they would detect a "
        "given departure from proportional hazards, was not simulated either, so the weight of a large "
        "p-value is not measured here."
    )


def ph_global_glue(
    global_tests: Mapping[str, pd.DataFrame],
    rank_tests: Mapping[str, Mapping[str, float]],
    lifelines_defaults: Mapping[str, Any],
    params: Parameters,
    null_rates: Mapping[str, Mapping[str, float] | None] | None = None,
    model: FittedModel | None = None,
) -> dict[str, tuple]:
    """The proportional-hazards chapter's global test and lifelines' defaults. ``global_tests``:
    ``methods.ph_global_tests`` per endpoint present; ``rank_tests``: ``methods.arm_test_on_rank_scale``
    per endpoint present; ``lifelines_defaults``: ``methods.lifelines_ph_defaults()``; ``null_rates``:
    ``methods.ph_null_rates`` per endpoint present (None where not run); ``model``: the name of the
    model with covariates (:func:`~lcnec_utils.methods.model_name.fitted_model`)."""
    null_rates = null_rates or {}
    named = model or MODEL_FITTED_HERE
    glue: dict[str, tuple] = {
        "global_spread": (_global_spread(global_tests, params.alpha), "{}", "cannot be computed"),
        "global_size": (
            _null_size(null_rates, params.alpha),
            "{}",
            "The tests' size under proportional hazards was not simulated on this cohort.",
        ),
        "term_size": (
            _term_size(null_rates, params.alpha, named),
            "{}",
            "The size of the tests of the arm's term in this design was not simulated.",
        ),
        "term_size_recalled": (
            _term_size_recalled(null_rates, params.alpha),
            "{}",
            "its size in this design was not simulated",
        ),
        "lifelines_transform": (lifelines_defaults.get("time_transform"), "{}"),
        "lifelines_threshold": (lifelines_defaults.get("p_value_threshold"), "{:g}"),
    }
    for ep in ENDPOINTS:
        table = global_tests.get(ep)
        glue[f"{ep}_global_what"] = (None if table is None else _global_phrase(table, named), "{}")
        for test, tr in (("score", "km"), ("score", "rank"), ("score", "identity"), ("approximation", "km")):
            row = None if table is None else table[(table["test"] == test) & (table["transform"] == tr)]
            ok = row is not None and not row.empty
            glue[f"{ep}_global_{test}_{tr}_p"] = (row["p"].iloc[0] if ok else None, "p_clause")
            glue[f"{ep}_global_{test}_{tr}_chi2"] = (row["chi2"].iloc[0] if ok else None, "{:.2f}")
        r = rank_tests.get(ep)
        for key in ("r_default", "lifelines", "score", "score_event_count", "approximation_rank"):
            name = {"score": "rank_score", "lifelines": "lifelines_default"}.get(key, key)
            glue[f"{ep}_full_{name}_p"] = (None if r is None else r[key], "p_clause")
    return glue


def _cut_text(ep: str, at: Mapping[str, int], left: pd.DataFrame, right: pd.DataFrame, cohort, params, cut):
    from lcnec_utils.stats.format import format_hr_ci
    from lcnec_utils.stats.survival import km_median

    noun = "progression" if ep == "pfs" else "death"
    n = sum(at.values())
    if n == 0:
        return f"for {ENDPOINTS[ep].lower()} no {noun} falls exactly at {cut:g} months, so both conventions give the same HRs"

    def hrs(t):
        return " and ".join(
            format_hr_ci(h, lo, hi, sep="–") if h == h else "not estimable"
            for h, lo, hi in zip(t["hr"], t["ci_low"], t["ci_high"])
        )

    hit = [r for r in _ROLES if at[r]]
    arms = (
        f"in the {getattr(params, hit[0] + '_group')} arm"
        if len(hit) == 1
        else ", ".join(f"{at[r]} in the {getattr(params, r + '_group')} arm" for r in hit)
    )
    text = (
        f"for {ENDPOINTS[ep].lower()} {n} {noun}{'s' if n > 1 else ''} ({arms}) fall{'' if n > 1 else 's'} "
        f"exactly at {cut:g} months: counted in the earlier period, as R's survSplit does, instead of "
        f"the later one, the HRs before and after move from {hrs(left)} to {hrs(right)}"
    )
    data = endpoint_data(cohort, ep, params.reference_group, params.treatment_group)
    medians = [
        getattr(params, r + "_group")
        for r in _ROLES
        if km_median(data.arm(r)["time"], data.arm(r)["event"]) == cut
    ]
    if medians:
        text += f" ({cut:g} months is also the median of the {' and the '.join(medians)} arm)"
    return text


def ph_cut_glue(
    at_cut: Mapping[str, Mapping[str, int]],
    pieces: Mapping[str, pd.DataFrame],
    pieces_right: Mapping[str, pd.DataFrame],
    cohort: pd.DataFrame,
    params: Parameters,
    cut: float,
) -> dict[str, tuple]:
    """Whether the piecewise cut falls on an event, per endpoint present, and the HRs by either
    convention (``at_cut``: ``methods.events_at``; ``pieces`` and ``pieces_right``:
    ``methods.piecewise_hr`` with ``closed="left"`` and ``"right"``)."""
    texts = [
        _cut_text(ep, at_cut[ep], pieces[ep], pieces_right[ep], cohort, params, cut)
        for ep in ENDPOINTS
        if ep in at_cut
    ]
    return {"cut_events": ("; ".join(texts) if texts else None, "{}", "no endpoint can be checked")}
