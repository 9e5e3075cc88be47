"""Kaplan-Meier medians under each convention, their confidence intervals side by side, follow-up.

Everything is computed by :mod:`lcnec_utils.stats.survival` (SPSS's interval,
Brookmeyer-Crowley with three transforms, reverse Kaplan-Meier) and by
statsmodels' ``SurvfuncRight.quantile_ci`` as an independent cross-check;
this module only lines the results up.

Conventions (each program's, computed in :mod:`lcnec_utils.methods.conventions`):

* median, "first at or below": the first event time with Ŝ(t) <= 0.5 (SPSS;
  :func:`lcnec_utils.stats.survival.km_median`);
* median, "midpoint": R's ``survfit`` and SAS's PROC LIFETEST take the
  midpoint between that time and the next event time when Ŝ stays exactly at
  0.5 over a flat step (statsmodels takes the first time Ŝ < 0.5, lifelines the
  first time its floating-point Ŝ <= 0.5);
* intervals: SPSS's median ± z·SE (SE from Greenwood's variance over a
  density estimate), and Brookmeyer & Crowley (1982): every time whose
  pointwise band for S(t) contains 0.5, with the band built on the plain,
  log or log(-log) scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.stats import survival
from lcnec_utils.stats.format import ci_label, format_interval, z_label

#: Interval methods in display order: key -> label; ``{z}`` is the multiplier at the level in force.
CI_METHODS = {
    "spss": "SPSS: median ± {z}·SE",
    "bc_plain": "Brookmeyer-Crowley, plain band",
    "bc_log": "Brookmeyer-Crowley, log band (R default)",
    "bc_loglog": "Brookmeyer-Crowley, log-log band (SAS default)",
    "sm_linear": "statsmodels quantile_ci, linear",
    "sm_log": "statsmodels quantile_ci, log",
    "sm_cloglog": "statsmodels quantile_ci, cloglog",
}
_BC = {"bc_plain": "plain", "bc_log": "log", "bc_loglog": "log-log"}
_SM = {"sm_linear": "linear", "sm_log": "log", "sm_cloglog": "cloglog"}


def _finite(v) -> float | None:
    """A float, or None for a missing or non-finite value (pandas turns None into NaN)."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def statsmodels_quantile_ci(
    times, events, method: str, alpha: float = 0.05
) -> tuple[float | None, float | None]:
    """statsmodels ``SurvfuncRight(times, events).quantile_ci(0.5, alpha, method)``.

    statsmodels inverts a z-test of S(t) = 0.5 on the ``method`` scale at the
    event times (its source cites SAS PROC LIFETEST's documentation for the
    method) and returns observed event times;
    an unreached limit is None (statsmodels returns inf or nan).
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    t = np.asarray(times, dtype=float)
    e = np.asarray(events, dtype=float)
    if e.sum() == 0:
        return None, None
    with np.errstate(all="ignore"):
        lo, hi = SurvfuncRight(t, e).quantile_ci(0.5, alpha=alpha, method=method)
    return _finite(lo), _finite(hi)


def median_table(cohort: pd.DataFrame, endpoint: str, params) -> pd.DataFrame:
    """One row per (arm role, CI method): both median conventions and the interval.

    Columns role, group, method, label (:data:`CI_METHODS`, SPSS's z at ``params.alpha``), median
    (first at or below 0.5), median_r (R's midpoint convention), ci_low, ci_high, width. None where a
    limit is not reached. Raises :class:`lcnec_utils.stats.survival.EndpointUnavailable`
    if the endpoint's columns are absent.
    """
    data = survival.endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    labels = {"reference": params.reference_group, "treatment": params.treatment_group}
    rows = []
    for role in ("treatment", "reference"):
        arm = data.arm(role)
        t, e = arm["time"].to_numpy(), arm["event"].to_numpy()
        med = survival.km_median(t, e)
        med_r = survival.median_ci_brookmeyer_crowley(t, e, params.alpha, "log").median
        for method, label in CI_METHODS.items():
            if method == "spss":
                ci = survival.median_ci_spss(t, e, params.alpha)
                lo, hi = ci.ci_low, ci.ci_high
            elif method in _BC:
                ci = survival.median_ci_brookmeyer_crowley(t, e, params.alpha, _BC[method])
                lo, hi = ci.ci_low, ci.ci_high
            else:
                lo, hi = statsmodels_quantile_ci(t, e, _SM[method], params.alpha)
            rows.append(
                {
                    "role": role,
                    "group": labels[role],
                    "method": method,
                    "label": label.format(z=z_label(params.alpha)),
                    "median": med,
                    "median_r": med_r,
                    "ci_low": _finite(lo),
                    "ci_high": _finite(hi),
                    "width": None if lo is None or hi is None else float(hi) - float(lo),
                }
            )
    return pd.DataFrame(rows)


def median_results(table: pd.DataFrame, endpoint: str) -> dict[str, Any]:
    """Keys ``methods.medians.<endpoint>.{median,median_r}.<group>`` and
    ``methods.medians.<endpoint>.<method>.{ci_low,ci_high}.<group>``."""
    out: dict[str, Any] = {}
    for _, r in table.iterrows():
        role = r["role"]
        out[f"methods.medians.{endpoint}.median.{role}"] = _finite(r["median"])
        out[f"methods.medians.{endpoint}.median_r.{role}"] = _finite(r["median_r"])
        out[f"methods.medians.{endpoint}.{r['method']}.ci_low.{role}"] = _finite(r["ci_low"])
        out[f"methods.medians.{endpoint}.{r['method']}.ci_high.{role}"] = _finite(r["ci_high"])
    return out


def format_median_table(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Wide text table: one row per CI method, one column per arm; ``alpha`` is the level
    :func:`median_table` computed the intervals at (``params.alpha``), named in the header."""

    def interval(lo, hi):
        return format_interval(_finite(lo), _finite(hi), sep=" to ")

    out = {}
    for role in ("treatment", "reference"):
        sub = table[table["role"] == role]
        group = sub["group"].iloc[0]
        out[group] = [interval(lo, hi) for lo, hi in zip(sub["ci_low"], sub["ci_high"])]
    labels = list(table.loc[table["role"] == "treatment", "label"])
    return pd.DataFrame({f"{ci_label(alpha)} of the median (months)": labels, **out})


def followup_summary(cohort: pd.DataFrame, params, endpoint: str = "os") -> dict[str, Any]:
    """Median follow-up three ways, both arms pooled.

    ``reverse_km`` (Schemper & Smith 1996; :func:`lcnec_utils.stats.survival.reverse_km_followup`,
    with its Brookmeyer-Crowley log-log CI), ``naive_all`` (the median of
    every observed time, deaths included: too short, because a death ends
    the observation, not the follow-up) and ``censored`` (the median time of
    the patients still alive: the "known alive" estimate, which ignores the
    follow-up the dead would have had).
    """
    data = survival.endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    t, e = data.frame["time"].to_numpy(), data.frame["event"].to_numpy()
    fu = survival.reverse_km_followup(t, e, params.alpha)
    censored = t[e == 0]
    return {
        "reverse_km": fu.median,
        "reverse_km_ci_low": fu.ci_low,
        "reverse_km_ci_high": fu.ci_high,
        "naive_all": float(np.median(t)) if t.size else None,
        "censored": float(np.median(censored)) if censored.size else None,
        "n": int(t.size),
        "n_censored": int(censored.size),
    }


def followup_results(summary: dict[str, Any]) -> dict[str, Any]:
    """Keys ``methods.followup.median.{reverse_km,naive_all,censored}`` and the reverse-KM CI."""
    return {
        "methods.followup.median.reverse_km": summary["reverse_km"],
        "methods.followup.median.naive_all": summary["naive_all"],
        "methods.followup.median.censored": summary["censored"],
        "methods.followup.ci_low.reverse_km": summary["reverse_km_ci_low"],
        "methods.followup.ci_high.reverse_km": summary["reverse_km_ci_high"],
    }


@dataclass(frozen=True)
class MedianNumbers:
    """What chapter 9 computes before it glues: each present endpoint's interval table
    (:func:`median_table`), the follow-up summary (:func:`followup_summary`) and the chapter's results
    keys from both (:func:`followup_results`, :func:`median_results`)."""

    intervals: dict[str, pd.DataFrame]
    followup: dict[str, Any]
    values: dict[str, Any]


def median_numbers(cohort: pd.DataFrame, params) -> MedianNumbers:
    """:class:`MedianNumbers` of ``cohort`` at ``params`` (the endpoints it has, PFS first)."""
    intervals = {
        ep: median_table(cohort, ep, params) for ep in ("pfs", "os") if survival.has_endpoint(cohort, ep)
    }
    followup = followup_summary(cohort, params)
    values = followup_results(followup)
    for ep, table in intervals.items():
        values.update(median_results(table, ep))
    return MedianNumbers(intervals, followup, values)


@dataclass(frozen=True)
class SPSSMedianDetail:
    """The pieces of SPSS's median interval: SE(median) = SE(Ŝ(median)) / f̂, f̂ from the 55%/45% points."""

    median: float
    se_survival: float  # Greenwood SE of Ŝ at the median
    upper_time: float  # û: last event time (or 0) with Ŝ >= 0.5 + ε
    upper_survival: float
    lower_time: float  # l̂: first event time with Ŝ <= 0.5 - ε
    lower_survival: float
    density: float  # f̂ = (Ŝ(û) - Ŝ(l̂)) / (l̂ - û), per month
    se: float
    ci_low: float
    ci_high: float
    events_between: int  # the events at times after û up to l̂: all that f̂ rests on


def spss_median_detail(times, events, alpha: float = 0.05, epsilon: float = 0.05) -> SPSSMedianDetail | None:
    """The quantities behind :func:`lcnec_utils.stats.survival.median_ci_spss`, for teaching.

    The density estimate of Collett (2015; ε = 0.05): f̂ = [Ŝ(û) − Ŝ(l̂)] / (l̂ − û)
    with û the last event time at which Ŝ >= 0.5 + ε and l̂ the first at which Ŝ <= 0.5 − ε (time 0 counts,
    with Ŝ = 1). A flat curve around the median has a small f̂, so a large
    SE(median) and a wide interval; a steep one a narrow interval. None when
    the interval cannot be computed (median not reached, no Ŝ <= 0.5 − ε).
    """
    ci = survival.median_ci_spss(times, events, alpha, epsilon)
    if ci.se is None:
        return None
    curve = survival.km_curve(times, events)
    times_arr = np.asarray(times, float)
    t_all = np.concatenate(([0.0], curve.time))
    s_all = np.concatenate(([1.0], curve.survival))
    tol = survival.TOLERANCE
    upper = np.flatnonzero(s_all >= 0.5 + epsilon - tol)[-1]
    lower = np.flatnonzero(s_all <= 0.5 - epsilon + tol)[0]
    i = int(np.flatnonzero(curve.survival <= 0.5 + tol)[0])
    density = (s_all[upper] - s_all[lower]) / (t_all[lower] - t_all[upper])
    return SPSSMedianDetail(
        float(ci.median),
        float(curve.se[i]),
        float(t_all[upper]),
        float(s_all[upper]),
        float(t_all[lower]),
        float(s_all[lower]),
        float(density),
        float(ci.se),
        float(ci.ci_low),
        float(ci.ci_high),
        int(np.sum(np.asarray(events)[(times_arr > t_all[upper]) & (times_arr <= t_all[lower])])),
    )


def spss_details(cohort: pd.DataFrame, params) -> dict[tuple[str, str], SPSSMedianDetail | None]:
    """:func:`spss_median_detail` per (endpoint, arm role) present."""
    out: dict[tuple[str, str], SPSSMedianDetail | None] = {}
    for ep in ("pfs", "os"):
        if not survival.has_endpoint(cohort, ep):
            continue
        data = survival.endpoint_data(cohort, ep, params.reference_group, params.treatment_group)
        for role in ("treatment", "reference"):
            arm = data.arm(role)
            out[(ep, role)] = spss_median_detail(arm["time"], arm["event"], params.alpha)
    return out
