"""Software conventions as data: what SPSS, SAS, Stata, R and the Python libraries print for the same number.

Where the programs differ (the Kaplan-Meier median and quartiles, the median's
confidence interval, the interval of a survival rate, tied event times in a Cox
model), each program's number is computed here: by calling the library where it
is installed (lifelines, statsmodels; R's numbers are reproduced by hand here and
checked against a live R in ``tests/test_conventions_r.py``), or by the
program's documented rule written out by hand (SPSS, SAS, Stata). Where each
rule is documented, and what could not be checked, is listed in
``docs/claims.md``.

* :func:`km_quantile`: a Kaplan-Meier quantile under a named rule;
* :func:`median_conventions`: each program's median, quartiles and default
  interval of the median, per arm;
* :func:`survival_conventions`: each program's median, landmark-rate interval
  and log-rank statistic (the survival chapter's numbers);
* :func:`ties_conventions`: the arm's hazard ratio with Efron's and Breslow's
  handling of tied times, and which programs use which by default.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.stats import cox
from lcnec_utils.stats.format import ci_label, format_hr_ci, format_p, z_label
from lcnec_utils.stats.normal import wald_p, z_two_sided
from lcnec_utils.stats.survival import (
    TOLERANCE,
    endpoint_data,
    km_curve,
    logrank,
    median_ci_brookmeyer_crowley,
    median_ci_spss,
    pointwise_band,
)

#: Rules for "the time at which the Kaplan-Meier curve reaches 1 − p" (p = 0.5: the median).
KM_QUANTILE_RULES = {
    "at_or_below": "first event time with S(t) ≤ 1 − p",
    "below": "first event time with S(t) < 1 − p",
    "midpoint": "first event time with S(t) ≤ 1 − p; on a flat step at exactly 1 − p, the midpoint "
    "to the next event time (none if the curve ends on it)",
    "midpoint_or_last": "as 'midpoint', but a curve that ends on the step takes the midpoint to the "
    "last follow-up time",
}

#: The programs compared, with their documented median rule and default interval of the median
#: (``{z}``: the multiplier at the level in force, 1.96 at SPSS's default 95%).
MEDIAN_SOFTWARE = {
    "SPSS": ("at_or_below", "median ± {z}·SE, SE = SE(Ŝ)/f̂ (Collett 2015)"),
    "SAS": (
        "midpoint",
        "Brookmeyer-Crowley, log-log band (CONFTYPE=LOGLOG), by the documented rule; SAS itself not run",
    ),
    "Stata": ("at_or_below", "not checked here"),
    "R": ("midpoint_or_last", 'Brookmeyer-Crowley, log band (conf.type = "log")'),
    "lifelines": ("library", "median of the band's limits, log-log band"),
    "statsmodels": ("library (S(t) < 1 − p)", "Brookmeyer-Crowley, log-log band (SAS's rule)"),
}

#: Long names of the programs for the pages' tables.
SOFTWARE_NAMES = {
    "SPSS": "SPSS (Kaplan-Meier)",
    "SAS": "SAS (PROC LIFETEST)",
    "Stata": "Stata (stci; rule not verified)",
    "R": "R (survival, survfit)",
    "lifelines": "lifelines (KaplanMeierFitter)",
    "statsmodels": "statsmodels (SurvfuncRight)",
}

QUARTILES = (0.25, 0.5, 0.75)


def _none_if_missing(x: Any) -> float | None:
    """A float, or None for None, NaN or an infinite value (a limit or quantile not reached)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def km_quantile(times, events, p: float = 0.5, rule: str = "at_or_below") -> float | None:
    """The Kaplan-Meier ``p`` quantile of the time (the time at which Ŝ reaches 1 − ``p``) under ``rule``.

    Rules (:data:`KM_QUANTILE_RULES`): ``at_or_below`` (SPSS; Stata's ``stci``),
    ``below`` (statsmodels' ``SurvfuncRight.quantile``, a strict inequality in
    its source), ``midpoint`` (SAS PROC LIFETEST, "Computational formulas":
    on a step exactly at 1 − p, the midpoint of the step) and
    ``midpoint_or_last`` (R ``quantile.survfit``, which takes the last
    follow-up time when the curve ends on such a step). "Exactly" is within R's
    tolerance, ``sqrt(.Machine$double.eps)``, so that the rule describes the
    arithmetic of the estimator, not its last bit. None when not reached.
    """
    if rule not in KM_QUANTILE_RULES:
        raise ValueError(f"rule must be one of {sorted(KM_QUANTILE_RULES)}, got {rule!r}")
    curve = km_curve(times, events)
    target = 1.0 - p
    s = curve.survival
    if rule == "below":
        hit = np.flatnonzero(s < target - TOLERANCE)
        return float(curve.time[hit[0]]) if hit.size else None
    hit = np.flatnonzero(s <= target + TOLERANCE)
    if not hit.size:
        return None
    i = int(hit[0])
    if rule == "at_or_below" or abs(s[i] - target) > TOLERANCE:
        return float(curve.time[i])
    if i + 1 < len(curve.time):
        return float((curve.time[i] + curve.time[i + 1]) / 2)
    return float((curve.time[i] + curve.last_time) / 2) if rule == "midpoint_or_last" else None


def lifelines_quantile(times, events, p: float = 0.5) -> float | None:
    """lifelines' quantile as the library computes it: ``qth_survival_time(1 - p, survival_function_)``.

    The source (``lifelines.utils.qth_survival_time``) takes the first time at
    which the stored floating-point Ŝ is at or below 1 − p, so a step that is
    0.5 in exact arithmetic but 0.5000000000000001 in floating point is passed
    over. ``median_survival_time_`` is the case p = 0.5. None when not reached.
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import qth_survival_time

    km = KaplanMeierFitter().fit(np.asarray(times, float), np.asarray(events, float))
    return _none_if_missing(qth_survival_time(1.0 - p, km.survival_function_))


def lifelines_median_ci(times, events, alpha: float = 0.05) -> tuple[float | None, float | None]:
    """lifelines' interval of the median: ``median_survival_times(confidence_interval_)``.

    The times at which the lower and the upper limit of the pointwise band
    (lifelines' "exponential Greenwood", the log-log band) fall to 0.5, the
    recipe lifelines' documentation gives.
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    km = KaplanMeierFitter(alpha=alpha).fit(np.asarray(times, float), np.asarray(events, float))
    ci = median_survival_times(km.confidence_interval_)
    lo, hi = np.asarray(ci, dtype=float).ravel()[:2]
    return _none_if_missing(lo), _none_if_missing(hi)


def statsmodels_quantile(times, events, p: float = 0.5) -> float | None:
    """statsmodels' ``SurvfuncRight(times, events).quantile(p)`` (first time with Ŝ < 1 − p)."""
    from statsmodels.duration.survfunc import SurvfuncRight

    if np.asarray(events).sum() == 0:
        return None
    return _none_if_missing(SurvfuncRight(np.asarray(times, float), np.asarray(events, float)).quantile(p))


def statsmodels_median_ci(times, events, alpha: float = 0.05) -> tuple[float | None, float | None]:
    """statsmodels' ``quantile_ci(0.5, alpha)`` with its default ``cloglog`` (log-log) transform.

    Its source cites SAS PROC LIFETEST's documentation for the method (the set
    of event times at which a z-test of S(t) = 0.5 does not reject). Where the band has not reached 0.5
    at the last event time it returns the event time after the last non-rejecting one (where Ŝ may be 0
    and the test undefined), not "not reached"; the SAS row therefore uses the book's own inversion.
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    t, e = np.asarray(times, float), np.asarray(events, float)
    if e.sum() == 0:
        return None, None
    with np.errstate(all="ignore"):
        lo, hi = SurvfuncRight(t, e).quantile_ci(0.5, alpha=alpha)
    return _none_if_missing(lo), _none_if_missing(hi)


def _quantiles(software: str, t, e) -> list[float | None]:
    """The software's Q1, median and Q3 (times at which Ŝ reaches 0.75, 0.5 and 0.25)."""
    if software == "lifelines":
        return [lifelines_quantile(t, e, p) for p in QUARTILES]
    if software == "statsmodels":
        return [statsmodels_quantile(t, e, p) for p in QUARTILES]
    rule = MEDIAN_SOFTWARE[software][0]
    return [km_quantile(t, e, p, rule) for p in QUARTILES]


def _median_ci(software: str, t, e, alpha: float) -> tuple[float | None, float | None]:
    """The software's default interval of the median (None, None where not checked)."""
    if software == "SPSS":
        ci = median_ci_spss(t, e, alpha)
        return ci.ci_low, ci.ci_high
    if software == "SAS":
        ci = median_ci_brookmeyer_crowley(t, e, alpha, "log-log")
        return ci.ci_low, ci.ci_high
    if software == "statsmodels":
        return statsmodels_median_ci(t, e, alpha)
    if software == "R":
        ci = median_ci_brookmeyer_crowley(t, e, alpha, "log")
        return ci.ci_low, ci.ci_high
    if software == "lifelines":
        return lifelines_median_ci(t, e, alpha)
    return None, None


def median_conventions(cohort: pd.DataFrame, endpoint: str, params) -> pd.DataFrame:
    """Each program's quartiles and default interval of the median, one row per (program, arm role).

    Columns software, rule, ci_method, role, group, q1, median, q3, ci_low,
    ci_high (None where not reached or not checked); the intervals at ``params.alpha``, SPSS's
    ci_method with its z at that level. Programs and rules:
    :data:`MEDIAN_SOFTWARE`; lifelines and statsmodels are called, the others
    computed by their rule (:func:`km_quantile`).
    """
    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    groups = {"treatment": params.treatment_group, "reference": params.reference_group}
    rows = []
    for software, (rule, ci_method) in MEDIAN_SOFTWARE.items():
        for role, group in groups.items():
            arm = data.arm(role)
            t, e = arm["time"].to_numpy(float), arm["event"].to_numpy(int)
            q1, med, q3 = _quantiles(software, t, e)
            lo, hi = _median_ci(software, t, e, params.alpha)
            rows.append(
                {
                    "software": software,
                    "rule": KM_QUANTILE_RULES.get(rule, rule),
                    "ci_method": ci_method.format(z=z_label(params.alpha)),
                    "role": role,
                    "group": group,
                    "q1": q1,
                    "median": med,
                    "q3": q3,
                    "ci_low": _none_if_missing(lo),
                    "ci_high": _none_if_missing(hi),
                }
            )
    return pd.DataFrame(rows)


def _time(x: float | None) -> str:
    # a None stored in a DataFrame comes back as NaN
    return "not reached" if x is None or pd.isna(x) else f"{x:.2f}".rstrip("0").rstrip(".")


def format_median_conventions(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One text row per (endpoint, program): median (Q1–Q3) and the default interval, per arm.

    ``tables`` maps an endpoint's label to its :func:`median_conventions` table.
    """
    rows = []
    for endpoint_label, table in tables.items():
        for software, sub in table.groupby("software", sort=False):
            row = {"Endpoint": endpoint_label, "Program": SOFTWARE_NAMES[software]}
            for _, r in sub.iterrows():
                row[f"{r['group']}: median (Q1 to Q3)"] = (
                    f"{_time(r['median'])} ({_time(r['q1'])} to {_time(r['q3'])})"
                )
                checked = r["ci_method"] != MEDIAN_SOFTWARE["Stata"][1]
                row[f"{r['group']}: default CI"] = (
                    f"{_time(r['ci_low'])} to {_time(r['ci_high'])}" if checked else "—"
                )
            row["Default interval of the median"] = sub["ci_method"].iloc[0]
            rows.append(row)
    return pd.DataFrame(rows)


def rate_interval(times, events, t: float, alpha: float, transform: str) -> tuple[float | None, ...]:
    """Ŝ(t) and its pointwise interval on the ``transform`` scale (None, None before the first event)."""
    curve = km_curve(times, events)
    idx = np.flatnonzero(curve.time <= t)
    if not idx.size:
        return 1.0, None, None
    lower, upper = pointwise_band(curve, alpha, transform)
    i = int(idx[-1])
    return float(curve.survival[i]), _none_if_missing(lower[i]), _none_if_missing(upper[i])


#: Default interval of a survival rate Ŝ(t) by program (None: the program prints none).
RATE_CI_SOFTWARE = {
    "SPSS": None,
    "SAS": "log-log",
    "R": "log",
    "lifelines": "log-log",
}


def survival_conventions(cohort: pd.DataFrame, endpoint: str, params) -> pd.DataFrame:
    """The survival chapter's numbers as each program prints them by default, one row per program.

    Columns software, median_<role>, rate_ci_<role> (the landmark rate's default
    interval: SPSS's Kaplan-Meier prints none, SAS's CONFTYPE default is
    log-log, R's ``conf.type`` default log, lifelines' band log-log), and
    logrank_chi2 (the same Mantel-Haenszel statistic in every program; lifelines'
    ``logrank_test`` and statsmodels' ``survdiff`` are called to show it).
    """
    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    chi2 = _logrank_chi2_by_library(cohort, endpoint, params)
    rows = []
    for software in ("SPSS", "SAS", "R", "lifelines", "statsmodels"):
        row: dict[str, Any] = {"software": software}
        for role in ("treatment", "reference"):
            arm = data.arm(role)
            t, e = arm["time"].to_numpy(float), arm["event"].to_numpy(int)
            row[f"median_{role}"] = _quantiles(software, t, e)[1]
            transform = RATE_CI_SOFTWARE.get(software)
            s, lo, hi = (
                rate_interval(t, e, params.landmark_months, params.alpha, transform)
                if transform
                else (None, None, None)
            )
            row[f"rate_{role}"], row[f"rate_ci_low_{role}"], row[f"rate_ci_high_{role}"] = s, lo, hi
            row["rate_ci"] = transform
        row["logrank_chi2"] = chi2.get(software, chi2["book"])
        rows.append(row)
    return pd.DataFrame(rows)


def _logrank_chi2_by_library(cohort: pd.DataFrame, endpoint: str, params) -> dict[str, float]:
    """The log-rank chi-square by the book (:func:`lcnec_utils.stats.survival.logrank`), lifelines'
    ``logrank_test`` and statsmodels' ``survdiff``."""
    from lifelines.statistics import logrank_test
    from statsmodels.duration.survfunc import survdiff

    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    t, e = data.frame["time"].to_numpy(float), data.frame["event"].to_numpy(int)
    g = (data.frame["role"] == "treatment").to_numpy()
    book = logrank(cohort, endpoint, params.reference_group, params.treatment_group).chi2
    ll = logrank_test(t[g], t[~g], e[g], e[~g]).test_statistic
    sm = survdiff(t, e, g.astype(int))[0]
    return {"book": float(book), "lifelines": float(ll), "statsmodels": float(sm)}


def format_survival_conventions(tables: dict[str, pd.DataFrame], params) -> pd.DataFrame:
    """Text version of :func:`survival_conventions` per endpoint (``tables``: label -> table)."""
    landmark = f"{params.landmark_months:g}"
    rows = []
    for endpoint_label, table in tables.items():
        for _, r in table.iterrows():
            row = {"Endpoint": endpoint_label, "Program": SOFTWARE_NAMES[r["software"]]}
            for role, group in (("treatment", params.treatment_group), ("reference", params.reference_group)):
                row[f"{group}: median"] = _time(r[f"median_{role}"])
                lo, hi = r[f"rate_ci_low_{role}"], r[f"rate_ci_high_{role}"]
                row[f"{group}: {landmark}-month rate CI"] = (
                    "not printed" if r["rate_ci"] is None else f"{_pct(lo)} to {_pct(hi)}"
                )
            row["Rate CI scale"] = r["rate_ci"] or "—"
            row["Log-rank chi-square"] = f"{r['logrank_chi2']:.3f}"
            rows.append(row)
    return pd.DataFrame(rows)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


#: Default handling of tied event times in Cox regression, by program.
TIES_SOFTWARE = {
    "efron": "R coxph (default), lifelines CoxPHFitter (only method)",
    "breslow": "SPSS COXREG, SAS PHREG (default), Stata stcox (default), statsmodels PHReg (default)",
}


def breslow_cox(dm: cox.DesignMatrix, alpha: float = 0.05) -> pd.DataFrame:
    """The Cox model of ``dm`` with Breslow's ties: statsmodels ``PHReg(ties="breslow")``, Wald CI and p.

    Columns term, coef, se, hr, ci_low, ci_high, p. R ``coxph(ties = "breslow")``
    gives the same (``tests/test_conventions_r.py``).
    """
    from statsmodels.duration.hazard_regression import PHReg

    frame = dm.frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = PHReg(
            frame["duration"].to_numpy(float),
            frame[dm.terms].to_numpy(float),
            status=frame["event"].to_numpy(float),
            ties="breslow",
        ).fit(gtol=1e-10)
    z = z_two_sided(alpha)
    coef, se = np.asarray(fit.params, float), np.asarray(fit.bse, float)
    return pd.DataFrame(
        {
            "term": dm.terms,
            "coef": coef,
            "se": se,
            "hr": np.exp(coef),
            "ci_low": np.exp(coef - z * se),
            "ci_high": np.exp(coef + z * se),
            "p": [wald_p(b, s) for b, s in zip(coef, se)],
        }
    )


def ties_conventions(cohort: pd.DataFrame, endpoint: str, params, covariates: list[str]) -> pd.DataFrame:
    """The arm's hazard ratio with Efron's and with Breslow's ties, arm alone and with ``covariates``.

    One row per (model, ties): model ("arm alone", "adjusted"), ties, programs
    (:data:`TIES_SOFTWARE`), hr, ci_low, ci_high, p, events, tied_events (events
    sharing their time with another event: where the two methods can differ).
    Efron by :func:`lcnec_utils.stats.cox.fit_cox` (lifelines), Breslow by
    :func:`breslow_cox`.
    """
    rows = []
    for model, covs in (("arm alone", []), ("adjusted", list(covariates))):
        dm = cox.design_matrix(
            cohort, covs, params.reference_group, params.treatment_group, endpoint=endpoint
        )
        efron = cox.fit_design(dm, params.alpha)
        event_times = dm.frame.loc[dm.frame["event"] == 1, "duration"]
        tied = int(event_times.duplicated(keep=False).sum())
        fits = {"efron": efron.term("treatment") if efron.converged else None}
        b = breslow_cox(dm, params.alpha).set_index("term").loc["treatment"]
        fits["breslow"] = b.to_dict()
        for ties, arm in fits.items():
            rows.append(
                {
                    "model": model,
                    "ties": ties,
                    "programs": TIES_SOFTWARE[ties],
                    "hr": None if arm is None else float(arm["hr"]),
                    "ci_low": None if arm is None else float(arm["ci_low"]),
                    "ci_high": None if arm is None else float(arm["ci_high"]),
                    "p": None if arm is None else float(arm["p"]),
                    "events": int(dm.frame["event"].sum()),
                    "tied_events": tied,
                }
            )
    return pd.DataFrame(rows)


def format_ties_conventions(tables: dict[str, pd.DataFrame], alpha: float = 0.05) -> pd.DataFrame:
    """Text version of :func:`ties_conventions` per endpoint (``tables``: label -> table); ``alpha``
    is the level the tables' intervals were computed at (``params.alpha``), named in the header."""

    rows = []
    for endpoint_label, table in tables.items():
        for _, r in table.iterrows():
            rows.append(
                {
                    "Endpoint": endpoint_label,
                    "Model": r["model"],
                    "Ties": "Efron" if r["ties"] == "efron" else "Breslow",
                    "Programs using it by default": r["programs"],
                    f"HR of the arm ({ci_label(alpha)})": format_hr_ci(
                        r["hr"], r["ci_low"], r["ci_high"], sep="–"
                    ),
                    "p": format_p(r["p"]),
                    "Events (tied)": f"{r['events']} ({r['tied_events']})",
                }
            )
    return pd.DataFrame(rows)
