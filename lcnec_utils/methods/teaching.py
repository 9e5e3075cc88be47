"""The numbers of the re-analysis chapters' teaching sections (survival, Cox, safety, reconstruction, audit):
the exercises' solutions and the reading of the paper's conclusion, as ``{name: (value, format[, text when
missing])}`` for :meth:`lcnec_utils.chapter.Chapter.glue_texts`.

Each function computes what the text states, from the cohort in force or the
paper's printed numbers; ``tests/test_exercises.py`` recomputes every number
independently (lifelines, statsmodels, scipy, or by hand).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lcnec_utils.stats import cox
from lcnec_utils.stats.format import format_count, format_pct
from lcnec_utils.stats.normal import Z95, wald_p, z_two_sided
from lcnec_utils.stats.survival import endpoint_data, has_endpoint, km_curve, landmark_survival


def _first_endpoint(cohort: pd.DataFrame) -> str:
    return "pfs" if has_endpoint(cohort, "pfs") else "os"


def km_factors(times, events, t: float) -> list[tuple[float, int, int]]:
    """The Kaplan-Meier factors up to ``t``: (event time, number at risk, events) per event time <= t."""
    curve = km_curve(times, events)
    keep = curve.time <= t
    return [
        (float(a), int(n), int(d))
        for a, n, d in zip(curve.time[keep], curve.n_risk[keep], curve.n_events[keep])
    ]


def logrank_by_hand(times, events, treatment) -> dict[str, float]:
    """The log-rank statistic written out: O and E of the treatment arm and the hypergeometric variance V.

    At each distinct event time, E adds d·n₁/n and V adds d·(n₁/n)·(1 − n₁/n)·(n − d)/(n − 1);
    chi-square (O − E)²/V on 1 df (Mantel 1966). Returns observed, expected, variance, chi2, p.
    """
    t = np.asarray(times, float)
    e = np.asarray(events, int)
    g = np.asarray(treatment, int)
    observed = expected = variance = 0.0
    for u in np.unique(t[e == 1]):
        at_risk = t >= u
        n, n1 = at_risk.sum(), (at_risk & (g == 1)).sum()
        d = ((t == u) & (e == 1)).sum()
        observed += ((t == u) & (e == 1) & (g == 1)).sum()
        expected += d * n1 / n
        if n > 1:
            variance += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1)
    chi2 = (observed - expected) ** 2 / variance
    return {
        "observed": float(observed),
        "expected": float(expected),
        "variance": float(variance),
        "chi2": float(chi2),
        "p": float(stats.chi2.sf(chi2, 1)),
    }


def survival_exercises(cohort: pd.DataFrame, params) -> dict[str, tuple]:
    """Survival chapter. 1: the treatment arm's landmark rate of the first endpoint as a product of
    Kaplan-Meier factors. 2: the overall-survival log-rank test by hand."""
    ep = _first_endpoint(cohort)
    data = endpoint_data(cohort, ep, params.reference_group, params.treatment_group)
    arm = data.arm("treatment")
    factors = km_factors(arm["time"], arm["event"], params.landmark_months)
    rate = landmark_survival(arm["time"], arm["event"], params.landmark_months, params.alpha).survival
    text = " × ".join(f"(1 − {d}/{n})" for _, n, d in factors) if factors else "1 (no event before it)"
    os_data = endpoint_data(cohort, "os", params.reference_group, params.treatment_group).frame
    lr = logrank_by_hand(os_data["time"], os_data["event"], (os_data["role"] == "treatment").astype(int))
    return {
        "ex1_endpoint": (ep.upper(), "{}"),
        "ex1_factors": (text, "{}"),
        "ex1_n_factors": (len(factors), "{}"),
        "ex1_rate": (rate, "{:.4f}"),
        "ex2_observed": (lr["observed"], "{:g}"),
        "ex2_expected": (lr["expected"], "{:.2f}"),
        "ex2_variance": (lr["variance"], "{:.2f}"),
        "ex2_chi2": (lr["chi2"], "{:.2f}"),
        "ex2_p": (lr["p"], "p_clause"),
    }


#: A difference of two percentages, printed in percentage points so that it does not read as relative.
PERCENTAGE_POINTS = "{:.1f} percentage points"


#: The survival chapter's noun for each endpoint's events, glued with the count (``pfs_progressions``).
_EVENT_NOUN = {"pfs": "progression", "os": "death"}


def survival_reading(cohort: pd.DataFrame, params, published: Mapping[str, Any]) -> dict[str, tuple]:
    """Survival chapter, what it means for the paper's conclusion: the paper's log-rank p-values and medians
    beside the cohort's, the 12-month rates' difference per endpoint present, in percentage points, and
    the events with their noun in the number the count takes (``pfs_progressions``, ``os_deaths``: "1
    death", "25 deaths")."""
    glue: dict[str, tuple] = {}
    for ep in ("pfs", "os"):
        glue[f"paper_{ep}_p"] = (published.get(f"{ep}.logrank.p"), "{:g}")
        for role in ("treatment", "reference"):
            glue[f"paper_{ep}_median_{role}"] = (published.get(f"{ep}.median.{role}"), "{:g}")
        counted = f"{ep}_{_EVENT_NOUN[ep]}s"
        if not has_endpoint(cohort, ep):
            glue[f"{ep}_rate_diff"] = (None, PERCENTAGE_POINTS)
            glue[f"{ep}_events"] = (None, "{}", "no recorded")
            glue[counted] = (None, f"count:{_EVENT_NOUN[ep]}", f"no recorded {_EVENT_NOUN[ep]}s")
            continue
        data = endpoint_data(cohort, ep, params.reference_group, params.treatment_group)
        rates = {
            r: landmark_survival(data.arm(r)["time"], data.arm(r)["event"], params.landmark_months).survival
            for r in ("treatment", "reference")
        }
        glue[f"{ep}_rate_diff"] = (100 * (rates["treatment"] - rates["reference"]), PERCENTAGE_POINTS)
        glue[f"{ep}_events"] = (int(data.frame["event"].sum()), "{}")
        glue[counted] = (glue[f"{ep}_events"][0], f"count:{_EVENT_NOUN[ep]}")
    return glue


def cox_exercises(cohort: pd.DataFrame, params, covariates: list[str]) -> dict[str, tuple]:
    """Cox chapter. 1: the adjusted arm HR's Wald interval and p by hand from its coefficient and SE.
    2: age's HR per ten years from the per-year coefficient. 3: the adjusted arm HR for death with
    Breslow's ties (statsmodels ``PHReg``), the default of SPSS, against Efron's."""
    from lcnec_utils.methods.conventions import breslow_cox

    ep = _first_endpoint(cohort)
    z = z_two_sided(params.alpha)
    glue: dict[str, tuple] = {
        "ex_endpoint": (ep.upper(), "{}"),
        "ex_z": (z, "{:.3f}"),
        "ex_level": (100 * (1 - params.alpha), "{:g}"),
    }
    res = cox.fit_cox(cohort, ep, covariates, params)
    arm = res.term("treatment") if res.converged else None
    b = None if arm is None else arm["coef"]
    se = None if arm is None else arm["se"]
    glue["ex1_coef"] = (b, "{:.4f}")
    glue["ex1_se"] = (se, "{:.4f}")
    glue["ex1_ci"] = (
        None if b is None else (math.exp(b), math.exp(b - z * se), math.exp(b + z * se)),
        "hr_ci",
    )
    glue["ex1_z"] = (None if b is None else b / se, "{:.3f}")
    glue["ex1_p"] = (None if b is None else wald_p(b, se), "p_clause")
    age = res.term("age") if res.converged and "age" in list(res.table["term"]) else None
    glue["ex2_hr_year"] = (None if age is None else age["hr"], "{:.3f}")
    glue["ex2_hr_decade"] = (
        None
        if age is None
        else (
            math.exp(10 * age["coef"]),
            math.exp(10 * (age["coef"] - z * age["se"])),
            math.exp(10 * (age["coef"] + z * age["se"])),
        ),
        "hr_ci",
    )
    dm = cox.design_matrix(cohort, covariates, params.reference_group, params.treatment_group, endpoint="os")
    efron = cox.fit_design(dm, params.alpha).term("treatment")
    breslow = breslow_cox(dm, params.alpha).set_index("term").loc["treatment"]
    three = "{0[0]:.3f} ({0[1]:.3f}–{0[2]:.3f})"
    glue["ex3_efron"] = ((efron["hr"], efron["ci_low"], efron["ci_high"]), three)
    glue["ex3_breslow"] = ((breslow["hr"], breslow["ci_low"], breslow["ci_high"]), three)
    glue["ex3_efron_p"] = (efron["p"], "p_clause:4")
    glue["ex3_breslow_p"] = (float(breslow["p"]), "p_clause:4")
    event_times = dm.frame.loc[dm.frame["event"] == 1, "duration"]
    glue["ex3_tied"] = (int(event_times.duplicated(keep=False).sum()), "{}")
    glue["ex3_events"] = (int(dm.frame["event"].sum()), "{}")
    glue["ex3_ties_reading"] = (ties_reading(glue["ex3_events"][0], glue["ex3_tied"][0]), "{}")
    return glue


def ties_reading(events: int, tied: int) -> str:
    """The Cox chapter's exercise 3: how many of the model's ``events`` deaths share their time with
    another (``tied``), and what that allows: Breslow's and Efron's partial likelihoods differ only at
    tied event times, so without a tie they give the same estimate (the page typed "can differ"
    whatever the count)."""
    if events == 0:
        return "There are no deaths, so there is no tie for the two approximations to handle."
    if tied == 0:
        whole = (
            "The one death shares its time with no other"
            if events == 1
            else (f"None of the {events} deaths shares its time with another")
        )
        return (
            f"{whole}, so the two approximations give the same partial likelihood and the same "
            "estimate: they differ only at tied times."
        )
    return (
        f"Of the {events} deaths, {tied} share their time with another, so the two approximations "
        "can differ; the size of the difference grows with the share of tied events."
    )


def cox_reading(published: Mapping[str, Any]) -> dict[str, tuple]:
    """Cox chapter, what it means for the paper's conclusion: the paper's adjusted PFS hazard ratio of the
    arm (its "independent predictive factor") and its ECOG hazard ratio (its "independent prognostic
    factor")."""
    return {
        "paper_pfs_hr": (
            tuple(published.get(f"pfs.cox_multivariable.{k}") for k in ("hr", "ci_low", "ci_high")),
            "hr_ci",
        ),
        "paper_ecog_hr": (
            tuple(published.get(f"pfs.cox_multivariable.ecog.{k}") for k in ("hr", "ci_low", "ci_high")),
            "hr_ci",
        ),
    }


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson 1934) two-sided interval of a binomial proportion k/n, from the beta quantiles."""
    lo = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def safety_exercises(results: Mapping[str, Any], n_treated: int, alpha: float = 0.05) -> dict[str, tuple]:
    """Safety chapter. 1: the exact interval of the share with any irAE. 2: the one-sided upper bound on the
    rate of grade >= 3 events when none was seen, exactly 1 − alpha^(1/n), and the rule of three, 3/n,
    beside the exact 95% bound it approximates (1 − 0.05^(1/n))."""
    k = results.get("safety.irae_any.n.treatment")
    glue: dict[str, tuple] = {
        "ex_n": (n_treated, "{}"),
        "ex_n_patients": (n_treated, "count:patient"),
        "ex_level": (100 * (1 - alpha), "{:g}%"),
        "ex_alpha": (alpha, "{:g}"),
    }
    glue["ex1_k"] = (k, "{}")
    glue["ex1_ci"] = (
        None if k is None or not n_treated else clopper_pearson(int(k), n_treated, alpha),
        "pct_ci",
    )
    # the exercise is about immune-related events of grade >= 3, not adverse events of any kind
    zero = results.get("safety.irae_any.grade3plus.n.treatment")
    glue["ex2_zero"] = (zero, "{}")
    glue["ex2_exact"] = (None if not n_treated else 1 - alpha ** (1 / n_treated), "pct")
    glue["ex2_rule3"] = (None if not n_treated else 3 / n_treated, "pct")
    # the rule of three approximates the 95% bound whatever the level in force (3 ~ -ln 0.05)
    glue["ex2_exact95"] = (None if not n_treated else 1 - 0.05 ** (1 / n_treated), "pct")
    glue["ex1_precision"] = (share_precision(glue["ex1_ci"][0], n_treated), "{}")
    glue["ex2_premise"] = (grade3_premise(zero, n_treated), "{}")
    glue["missed_event"] = (missed_event_caution(n_treated), "{}")
    return glue


def missed_event_caution(n_treated: int) -> str:
    """The safety chapter's sentence on rare events: the chance 0.9^n that an event affecting one
    treated patient in ten is seen in none of the ``n_treated`` patients, and what it means (more
    likely missed than seen from 50%, easily missed from 20%, still possibly from 5%; below that,
    the same chance for an event affecting one patient in a hundred, 0.99^n, which is itself below
    5% from n = 299 on: then neither is likely to be missed). A chance below 0.05% prints as "below
    0.1%", and one that one decimal would print as a threshold of the branches (50.0%, 20.0%, 5.0%)
    gets two, so that a chance on either side of it reads so: 0.99^298 = 0.05004 prints 5.00%,
    0.99^299 = 0.04954 prints 4.95%. The page typed "can easily be missed" for any arm size."""
    if not n_treated:
        return "With no treated patient, no adverse event could be seen at all."

    def shown(chance: float) -> str:
        # below 0.05% one decimal would print 0.0% (review 61)
        if chance < 0.0005:
            return "below 0.1%"
        one = format_pct(chance)
        return f"{format_pct(chance, 2) if one in ('50.0', '20.0', '5.0') else one}%"

    p, rarer = 0.9**n_treated, 0.99**n_treated
    with_n = f"With {format_count(n_treated, 'treated patient')}"
    chance = f"the chance of seeing none is {shown(p)}, that is 0.9 to the power {n_treated}"
    lead = f"{with_n}, an event that affects one patient in ten"
    if p >= 0.5:
        return f"{lead} is more likely to be missed altogether than seen: {chance}."
    if p >= 0.2:
        return f"{lead} can easily be missed altogether: {chance}."
    if p >= 0.05:
        return f"{lead} can still be missed altogether: {chance}."
    if rarer >= 0.05:
        return (
            f"{lead} is unlikely to be missed altogether ({chance}), but one that affects one patient in "
            f"a hundred goes unseen with probability {shown(rarer)} (0.99 to the power {n_treated})."
        )
    return (
        f"{with_n}, neither an event that affects one patient in ten nor one that affects one patient in "
        f"a hundred is likely to be missed altogether: the chance of seeing none is {shown(p)} for the "
        f"first (0.9 to the power {n_treated}) and {shown(rarer)} for the second (0.99 to the power "
        f"{n_treated})."
    )


def share_precision(interval: tuple[float, float] | None, n: int) -> str:
    """The safety chapter's exercise 1: the width of the share's exact interval (``interval``, as
    proportions) in percentage points and what it means for ``n`` patients ("known only to within
    tens of percentage points" from a width of 20 points); the page typed that verdict for any arm.
    No interval with treated patients: the cohort records no immune-related events to count."""
    if not n:
        return "Without treated patients there is no share to estimate."
    if interval is None:
        return "The cohort in force records no immune-related adverse events to count, so there is no share to estimate."
    width = 100 * (interval[1] - interval[0])
    if width >= 20:
        return (
            f"The interval is {width:.1f} percentage points wide: with {n} patients the share is known "
            "only to within tens of percentage points."
        )
    return f"The interval is {width:.1f} percentage points wide, the precision that {n} patients give."


def grade3_premise(k: int | None, n: int) -> str:
    """The safety chapter's exercise 2 starts from no grade >= 3 irAE among the ``n`` treated
    patients; with ``k`` (``safety.irae_any.grade3plus.n.treatment``: patients with an
    immune-related adverse event of grade >= 3, not an adverse event of any kind) such patients on
    the cohort in force it says so and asks the reader to suppose none (the page typed "{k} treated
    patients had ..." and then read it as none)."""
    if not n:
        return "Suppose an arm of n treated patients in which none had an irAE of grade 3 or higher."
    if k is None:
        return (
            "The cohort in force records no grades of immune-related adverse events; suppose that "
            f"none of the {n} treated patients had one of grade 3 or higher."
        )
    k = int(k)
    if k == 0:
        return f"None of the {n} treated patients had an irAE of grade 3 or higher."
    verb = "was" if k == 1 else "were"
    return (
        f"On the cohort in force {k} of the {n} treated patients {verb} recorded with an irAE of grade 3 "
        "or higher; suppose instead that none had been."
    )


def reconstruction_exercises(published: Mapping[str, Any], pfs_events: int) -> dict[str, tuple]:
    """Reconstruction chapter. 1: the SE that the paper's treatment-arm PFS interval implies if it is
    SPSS's median ± z·SE, and its centre. 2: the smallest standard error a 0/1 arm term can have with
    d events (2/√d: its information is at most d/4) and the narrowest interval ratio it allows, against
    the paper's adjusted PFS interval. Both read the paper's printed 95% intervals, so z is the 95%
    one whatever level the book is built at."""
    z = Z95
    lo, hi = published.get("pfs.median_ci_low.treatment"), published.get("pfs.median_ci_high.treatment")
    med = published.get("pfs.median.treatment")
    glue: dict[str, tuple] = {"ex_z": (z, "{:.2f}")}
    glue["ex1_interval"] = (None if lo is None else (lo, hi), "{0[0]:g} to {0[1]:g}")
    glue["ex1_median"] = (med, "{:g}")
    glue["ex1_centre"] = (None if lo is None else (lo + hi) / 2, "{:.2f}")
    glue["ex1_se"] = (None if lo is None else (hi - lo) / (2 * z), "{:.3f}")
    floor = 2 / math.sqrt(pfs_events)
    glue["ex2_events"] = (pfs_events, "{}")
    glue["ex2_se_floor"] = (floor, "{:.3f}")
    glue["ex2_ratio_floor"] = (math.exp(2 * z * floor), "{:.2f}")
    plo, phi = published.get("pfs.cox_multivariable.ci_low"), published.get("pfs.cox_multivariable.ci_high")
    glue["ex2_paper_ci"] = (None if plo is None else (plo, phi), "{0[0]:g} to {0[1]:g}")
    glue["ex2_paper_ratio"] = (None if plo is None else phi / plo, "{:.2f}")
    glue["ex2_paper_se"] = (None if plo is None else math.log(phi / plo) / (2 * z), "{:.3f}")
    return glue


def audit_exercises(published: Mapping[str, Any], n_treated: int) -> dict[str, tuple]:
    """Audit chapter. 1: the k/n nearest the text's 1-year OS rate of the treatment arm (a Kaplan-Meier
    rate without censoring is some k/n). 2: the p-value and the centre that the paper's adjusted OS
    hazard ratio and interval imply (SE from the printed 95% interval's width on the log scale, so the
    95% z whatever level the book is built at)."""
    from lcnec_utils.contract.published import published_values

    rate = published_values(variant="text-3.3").get("os.rate_12m.treatment")
    glue: dict[str, tuple] = {"ex_n": (n_treated, "{}"), "ex_n_patients": (n_treated, "count:patient")}
    glue["ex1_rate"] = (rate, "{:g}%")
    if rate is not None and n_treated:
        k = round(rate / 100 * n_treated)
        glue["ex1_k"] = (k, "{}")
        glue["ex1_kn"] = (100 * k / n_treated, "{:.2f}%")
        glue["ex1_next"] = (100 * (k + 1) / n_treated, "{:.2f}%")
    hr, lo, hi = (published.get(f"os.cox_multivariable.{k}") for k in ("hr", "ci_low", "ci_high"))
    z = Z95
    ok = None not in (hr, lo, hi)
    se = math.log(hi / lo) / (2 * z) if ok else None
    glue["ex2_hr"] = ((hr, lo, hi) if ok else None, "hr_ci")
    glue["ex2_se"] = (se, "{:.4f}")
    glue["ex2_z"] = (None if not ok else math.log(hr) / se, "{:.3f}")
    glue["ex2_p"] = (None if not ok else wald_p(math.log(hr), se), "p_clause:4")
    glue["ex2_paper_p"] = (published.get("os.cox_multivariable.p"), "{:g}")
    glue["ex2_centre"] = (None if not ok else math.sqrt(lo * hi), "{:.3f}")
    return glue
