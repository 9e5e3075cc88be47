"""Kaplan-Meier estimation and the log-rank test by arm, with the conventions of SPSS and R spelled out.

Complete cases of an endpoint (:func:`endpoint_data`); the Kaplan-Meier curve
with Greenwood's SE (:func:`km_curve`); the median and its intervals (SPSS's
symmetric one, Brookmeyer-Crowley as R); landmark survival; the log-rank test;
reverse Kaplan-Meier follow-up; the restricted mean survival time difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from lcnec_utils.stats.normal import wald_p, z_two_sided

#: Tolerance for "S(t) equals 0.5": the one R uses in ``quantile.survfit``
#: (``sqrt(.Machine$double.eps)``); products like 3/4 * 2/3 are not exactly 0.5.
TOLERANCE = math.sqrt(np.finfo(float).eps)


ROLES = ("reference", "treatment")


ConfType = Literal["log-log", "log", "plain"]


class EndpointUnavailable(LookupError):
    """The cohort has no columns for this endpoint (an optional endpoint, e.g. PFS)."""


@dataclass
class EndpointData:
    """Complete cases of one endpoint: time, event and arm role per patient."""

    endpoint: str
    frame: pd.DataFrame  # columns: time, event, group, role
    n_dropped: int
    dropped_reasons: dict[str, int] = field(default_factory=dict)

    def arm(self, role: str) -> pd.DataFrame:
        return self.frame[self.frame["role"] == role]


def endpoint_columns(endpoint: str) -> tuple[str, str]:
    """Column names ``(f"{endpoint}_months", f"{endpoint}_event")``."""
    return f"{endpoint}_months", f"{endpoint}_event"


def has_endpoint(cohort: pd.DataFrame, endpoint: str) -> bool:
    """True if both columns of ``endpoint`` are present."""
    return all(c in cohort.columns for c in endpoint_columns(endpoint))


def endpoint_data(
    cohort: pd.DataFrame,
    endpoint: str,
    reference_group: str,
    treatment_group: str,
    extra_columns: list[str] | None = None,
) -> EndpointData:
    """Complete cases for ``endpoint`` in the two arms, with the count dropped.

    Rows of the two arms (and rows with no ``group``) missing any of the
    endpoint's columns or the group are dropped; ``dropped_reasons`` counts
    the missing values per column. Raises :class:`EndpointUnavailable` if the endpoint's columns are absent
    and ``ValueError`` if an arm label is not found in ``group``.
    """
    time_col, event_col = endpoint_columns(endpoint)
    missing = [c for c in (time_col, event_col) if c not in cohort.columns]
    if missing:
        raise EndpointUnavailable(
            f"endpoint '{endpoint}' needs column(s) {', '.join(missing)}, absent from the cohort"
        )
    if "group" not in cohort.columns:
        raise ValueError("the cohort has no 'group' column")
    labels = set(cohort["group"].dropna().unique())
    for label in (reference_group, treatment_group):
        if label not in labels:
            raise ValueError(
                f"arm '{label}' not found in column 'group' (values: {sorted(map(str, labels))})"
            )
    cols = [time_col, event_col, "group"] + list(extra_columns or [])
    sub = cohort.loc[cohort["group"].isin([reference_group, treatment_group]) | cohort["group"].isna(), cols]
    reasons = {c: int(sub[c].isna().sum()) for c in cols if sub[c].isna().any()}
    complete = sub.dropna()
    frame = pd.DataFrame(
        {
            "time": complete[time_col].astype(float).to_numpy(),
            "event": complete[event_col].astype(int).to_numpy(),
            "group": complete["group"].to_numpy(),
        },
        index=complete.index,
    )
    frame["role"] = np.where(frame["group"] == treatment_group, "treatment", "reference")
    for c in extra_columns or []:
        frame[c] = complete[c]
    return EndpointData(endpoint, frame, int(len(sub) - len(complete)), reasons)


def _arrays(times, events) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(times, dtype=float)
    e = np.asarray(events, dtype=float)
    if t.shape != e.shape:
        raise ValueError("times and events must have the same length")
    if np.isnan(t).any() or np.isnan(e).any():
        raise ValueError("times/events contain missing values; use endpoint_data() to take complete cases")
    if (t < 0).any():
        raise ValueError("times must be >= 0")
    if not np.isin(e, (0, 1)).all():
        raise ValueError("events must be 0 or 1")
    return t, e.astype(int)


@dataclass(frozen=True)
class KMCurve:
    """Kaplan-Meier estimate at the distinct event times, with Greenwood's SE.

    ``se`` is the standard error of S(t) (Greenwood 1926); ``se_log`` that of
    log S(t), which is R's ``survfit()$std.err``.
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_events: np.ndarray
    survival: np.ndarray
    se: np.ndarray
    n: int
    events: int
    last_time: float  # largest observed time, event or censored

    @property
    def se_log(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.survival > 0, self.se / self.survival, np.nan)


def km_curve(times, events) -> KMCurve:
    """Kaplan-Meier product-limit estimate with Greenwood's standard error.

    Thin wrapper of statsmodels ``SurvfuncRight`` (Kaplan & Meier 1958;
    Greenwood 1926); ties: events before censorings at the same time.
    """
    t, e = _arrays(times, events)
    n, d = len(t), int(e.sum())
    if d == 0:
        empty = np.array([], dtype=float)
        return KMCurve(empty, empty, empty, empty, empty, n, 0, float(t.max()) if n else math.nan)
    from statsmodels.duration.survfunc import SurvfuncRight

    sf = SurvfuncRight(t, e)
    return KMCurve(
        time=np.asarray(sf.surv_times, dtype=float),
        n_risk=np.asarray(sf.n_risk, dtype=float),
        n_events=np.asarray(sf.n_events, dtype=float),
        survival=np.asarray(sf.surv_prob, dtype=float),
        se=np.asarray(sf.surv_prob_se, dtype=float),
        n=n,
        events=d,
        last_time=float(t.max()),
    )


def _median_index(curve: KMCurve) -> int | None:
    hit = np.flatnonzero(curve.survival <= 0.5 + TOLERANCE)
    return int(hit[0]) if hit.size else None


def km_median(times, events) -> float | None:
    """Kaplan-Meier median: the first time S(t) <= 0.5 (SPSS and SAS convention).

    ``None`` when the curve never reaches 0.5 (median not reached). On a flat
    step exactly at 0.5 this returns the step's start, where R's ``survfit``
    returns the midpoint to the next event time (see
    :func:`median_ci_brookmeyer_crowley`). Reference: Collett (2015) §2.4.
    """
    curve = km_curve(times, events)
    i = _median_index(curve)
    return None if i is None else float(curve.time[i])


@dataclass(frozen=True)
class MedianCI:
    """A Kaplan-Meier median with its interval (None where not reached) and the method's name."""

    median: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None = None
    method: str = ""


def median_ci_spss(times, events, alpha: float = 0.05, epsilon: float = 0.05) -> MedianCI:
    """SPSS's "95% CI" of the Kaplan-Meier median: median ± z·SE (symmetric).

    SE(t̂50) = SE_Greenwood(Ŝ(t̂50)) / f̂(t̂50), with the uniform-kernel density
    estimate of Collett (2015, ch. 2, confidence intervals for the median and
    percentiles) that the SPSS Statistics Algorithms ("KM" chapter, percentiles) use:

        f̂ = [Ŝ(û) − Ŝ(l̂)] / (l̂ − û),
        û = max{t_j : Ŝ(t_j) >= 0.5 + ε},  l̂ = min{t_j : Ŝ(t_j) <= 0.5 − ε},  ε = 0.05

    (the t_j are the event times, with t_0 = 0, Ŝ = 1). Source for SPSS using
    this estimator with the 55th/45th percentiles: the "KM Analysis" section of
    the SPSS Statistical Algorithms as quoted on Cross Validated ("Kaplan Meier
    using survfit: confidence interval of the median"); the algorithms PDF
    itself could not be retrieved here. The bounds are not clipped at 0.
    Any piece missing (median not reached, no time with Ŝ <= 0.45) gives None.
    """
    curve = km_curve(times, events)
    i = _median_index(curve)
    if i is None:
        return MedianCI(None, None, None, None, "spss")
    median = float(curve.time[i])
    se_s = float(curve.se[i])
    t_all = np.concatenate(([0.0], curve.time))
    s_all = np.concatenate(([1.0], curve.survival))
    upper_side = np.flatnonzero(s_all >= 0.5 + epsilon - TOLERANCE)
    lower_side = np.flatnonzero(s_all <= 0.5 - epsilon + TOLERANCE)
    if not upper_side.size or not lower_side.size or not math.isfinite(se_s):
        return MedianCI(median, None, None, None, "spss")
    upper, lower = upper_side[-1], lower_side[0]
    density = (s_all[upper] - s_all[lower]) / (t_all[lower] - t_all[upper])
    if not density > 0:
        return MedianCI(median, None, None, None, "spss")
    se = se_s / density
    z = z_two_sided(alpha)
    return MedianCI(median, float(median - z * se), float(median + z * se), float(se), "spss")


def pointwise_band(
    curve: KMCurve, alpha: float = 0.05, transform: ConfType = "log-log"
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise (1-alpha) band of S(t) at the event times, as R ``survfit(conf.type=)``.

    Greenwood variance on the log scale (R's ``std.err``); "log-log" is
    exp(-exp(log(-log S) ± z·se/log S)) (Kalbfleisch & Prentice 1980), "log"
    is S·exp(±z·se) capped at 1, "plain" is S ± z·S·se clipped to [0, 1].
    NaN where R gives NA (S = 0 for every transform; S = 1 for log-log).
    """
    z = z_two_sided(alpha)
    s = curve.survival
    se = curve.se_log
    with np.errstate(divide="ignore", invalid="ignore"):
        if transform == "log-log":
            xx = np.where((s == 0) | (s == 1), np.nan, s)
            half = z * se / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - half))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + half))
        elif transform == "log":
            xx = np.where(s == 0, np.nan, s)
            lower = np.exp(np.log(xx) - z * se)
            upper = np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        elif transform == "plain":
            half = z * se * s  # NaN at S = 0, as R (Inf * 0)
            lower = np.maximum(s - half, 0.0)
            upper = np.minimum(s + half, 1.0)
        else:
            raise ValueError(f"transform must be 'log-log', 'log' or 'plain', got {transform!r}")
    return lower, upper


def _r_findq(x: np.ndarray, surv: np.ndarray, xmax: float, p: float = 0.5) -> float | None:
    """R survival's ``findq`` for one probability, on y = 1 - surv (NaN = R's NA).

    Written by hand because it *is* R's convention (survival 3.x
    ``quantile.survfit``): y gets a leading 0 at time 0, repeated values are
    dropped (first kept), then i1 = the point with the smallest y >= p - tol and
    i2 = the one with the smallest y >= p + tol (``approx(method="constant",
    f=1)``); the quantile is (x[i1] + x[i2]) / 2. So a flat stretch exactly at
    p gives the midpoint to the next time y moves above p, or to ``xmax`` (last
    observed time) if the last value of y is p; otherwise None (R's NA).
    """
    y = np.concatenate(([0.0], 1.0 - np.asarray(surv, dtype=float)))
    x = np.concatenate(([0.0], np.asarray(x, dtype=float)))
    # R: max(y) < p -> NA. Here with the tolerance, because the last-ulp rounding
    # of S differs between R's C code and statsmodels (0.75 * 2/3 may be 0.5 + 1e-16).
    if np.all(np.isnan(y)) or np.nanmax(y) < p - TOLERANCE:
        return None
    keep = ~pd.Series(y).duplicated().to_numpy()  # R duplicated(): NA equals NA
    x, y = x[keep], y[keep]
    last_is_na = bool(np.isnan(y[-1]))
    ok = ~np.isnan(y)  # approx() drops NA pairs
    xs, ys = x[ok], y[ok]

    def smallest_at_least(values):
        cand = np.flatnonzero(values >= p)
        return None if not cand.size else cand[np.argmin(values[cand])]

    i1 = smallest_at_least(ys + TOLERANCE)
    i2 = smallest_at_least(ys - TOLERANCE)
    if i1 is None:
        return None
    if i2 is not None:
        return float((xs[i1] + xs[i2]) / 2)
    if not last_is_na and abs(p - y[-1]) < TOLERANCE:
        return float((xs[i1] + xmax) / 2)
    return None


def median_ci_brookmeyer_crowley(
    times, events, alpha: float = 0.05, transform: ConfType = "log-log"
) -> MedianCI:
    """Brookmeyer-Crowley (1982) CI of the median, exactly as R ``quantile(survfit(...))``.

    The CI is where the pointwise band of S(t) (:func:`pointwise_band`)
    contains 0.5: lower limit = first time the *lower* band is <= 0.5, upper
    limit = first time the *upper* band is <= 0.5 (R ``doquant``: lower from
    ``1 - lower``, upper from ``1 - upper``). R's conventions are kept:
    on a flat stretch exactly at 0.5 the midpoint to the next drop (or to the
    last follow-up time) is taken, for the median itself too, so ``median``
    here can differ from :func:`km_median` (SPSS convention) on such a step.
    Unreached limits are None (R's NA). ``transform="log-log"`` is SAS's
    default and R ``conf.type="log-log"``; R's own default is "log".
    """
    curve = km_curve(times, events)
    if curve.events == 0:
        return MedianCI(None, None, None, None, f"brookmeyer-crowley {transform}")
    lower, upper = pointwise_band(curve, alpha, transform)
    med = _r_findq(curve.time, curve.survival, curve.last_time)
    lo = _r_findq(curve.time, lower, curve.last_time)
    hi = _r_findq(curve.time, upper, curve.last_time)
    return MedianCI(med, lo, hi, None, f"brookmeyer-crowley {transform}")


@dataclass(frozen=True)
class LandmarkSurvival:
    """S(t) at a landmark time with its CI and the number still at risk."""

    time: float
    survival: float | None
    ci_low: float | None
    ci_high: float | None
    n_risk: int | None = None


def landmark_survival(times, events, t: float, alpha: float = 0.05) -> LandmarkSurvival:
    """Kaplan-Meier S(t) with the Greenwood log-log CI (R ``summary(survfit(conf.type="log-log"), times=t)``).

    lifelines' default "exponential" Greenwood interval is the same log-log
    interval. S(t) is None beyond the last observed time unless the curve has
    already reached 0; the CI is None where R gives NA (S = 0). When no event
    has occurred by t (S = 1, Greenwood variance 0) the CI is [1, 1], as
    lifelines and as R before the first observed time; R 3.5 prints NA instead
    once a censored time precedes t (checked on 298 random samples: all other
    values agree with R to 1e-10).
    """
    curve = km_curve(times, events)
    tt, _ee = _arrays(times, events)
    n_risk = int((tt >= t).sum())
    if curve.n == 0:
        return LandmarkSurvival(t, None, None, None, 0)
    idx = np.searchsorted(curve.time, t, side="right") - 1
    s = 1.0 if idx < 0 else float(curve.survival[idx])
    if t > curve.last_time and s > 0:
        return LandmarkSurvival(t, None, None, None, 0)
    if idx < 0:
        return LandmarkSurvival(t, 1.0, 1.0, 1.0, n_risk)
    lower, upper = pointwise_band(curve, alpha, "log-log")
    lo, hi = float(lower[idx]), float(upper[idx])
    if s == 1.0:
        lo = hi = 1.0
    return LandmarkSurvival(t, s, None if math.isnan(lo) else lo, None if math.isnan(hi) else hi, n_risk)


@dataclass(frozen=True)
class LogrankResult:
    """Two-group log-rank test (Mantel 1966; Peto & Peto 1972)."""

    chi2: float | None
    df: int
    p: float | None
    observed: dict[str, int]
    expected: dict[str, float]
    n: dict[str, int]
    n_dropped: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"chi2": self.chi2, "df": self.df, "p": self.p}


def _observed_expected(time, event, is_treatment) -> tuple[dict, dict]:
    # lifelines' logrank_test does not return O and E per arm: E_k = sum_j d_j n_kj / n_j.
    order = np.argsort(time, kind="stable")
    t, e, g = time[order], event[order], is_treatment[order]
    _uniq, start = np.unique(t, return_index=True)
    n_total = len(t) - start  # at risk at each distinct time (sorted ascending)
    n_treat = np.cumsum(g[::-1])[::-1][start]
    d = np.add.reduceat(e, start)
    d_treat = np.add.reduceat(e * g, start)
    expected_treat = float(np.sum(d * n_treat / n_total))
    expected_ref = float(np.sum(d) - expected_treat)
    observed = {"reference": int(d.sum() - d_treat.sum()), "treatment": int(d_treat.sum())}
    return observed, {"reference": expected_ref, "treatment": expected_treat}


def logrank(cohort: pd.DataFrame, endpoint: str, reference_group: str, treatment_group: str) -> LogrankResult:
    """Two-group log-rank test, treatment vs reference, on complete cases.

    Statistic from lifelines ``logrank_test`` (chi-square, 1 df, the same as R
    ``survdiff`` and SPSS KM /TEST=LOGRANK); observed and expected events per
    arm computed alongside. chi2 and p are None if there is no event at all.
    """
    data = endpoint_data(cohort, endpoint, reference_group, treatment_group)
    ref, trt = data.arm("reference"), data.arm("treatment")
    f = data.frame
    observed, expected = _observed_expected(
        f["time"].to_numpy(), f["event"].to_numpy(), (f["role"] == "treatment").to_numpy().astype(int)
    )
    n = {"reference": len(ref), "treatment": len(trt)}
    if f["event"].sum() == 0 or len(ref) == 0 or len(trt) == 0:
        return LogrankResult(None, 1, None, observed, expected, n, data.n_dropped)
    from lifelines.statistics import logrank_test

    res = logrank_test(ref["time"], trt["time"], ref["event"], trt["event"])
    chi2 = float(res.test_statistic)
    p = float(res.p_value)
    return LogrankResult(
        chi2 if math.isfinite(chi2) else None,
        1,
        p if math.isfinite(p) else None,
        observed,
        expected,
        n,
        data.n_dropped,
    )


@dataclass(frozen=True)
class FollowUp:
    """Median follow-up with its CI over ``n`` patients."""

    median: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    method: str = "reverse Kaplan-Meier"


def reverse_km_followup(times, events, alpha: float = 0.05) -> FollowUp:
    """Median follow-up by the reverse Kaplan-Meier method (Schemper & Smith 1996).

    Kaplan-Meier with the censoring indicator swapped (censored = "event").
    Median as :func:`km_median` (first time <= 0.5); CI by Brookmeyer-Crowley
    log-log (R ``survfit(Surv(time, 1 - status) ~ 1, conf.type="log-log")``).
    """
    t, e = _arrays(times, events)
    reverse = 1 - e
    ci = median_ci_brookmeyer_crowley(t, reverse, alpha, "log-log")
    return FollowUp(km_median(t, reverse), ci.ci_low, ci.ci_high, len(t))


def fit_km(cohort: pd.DataFrame, endpoint: str, params) -> dict[str, Any]:
    """Fitted lifelines ``KaplanMeierFitter`` per arm role, labelled by group, for plots.

    Complete cases; the fitters' CI is lifelines' default (Greenwood,
    "exponential" = R's log-log) at level 1 - ``params.alpha``.
    """
    from lifelines import KaplanMeierFitter

    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    labels = {"reference": params.reference_group, "treatment": params.treatment_group}
    fitted = {}
    for role in ROLES:
        arm = data.arm(role)
        fitted[role] = KaplanMeierFitter(alpha=params.alpha).fit(
            arm["time"], arm["event"], label=labels[role]
        )
    return fitted


@dataclass(frozen=True)
class RMSTDifference:
    """Restricted mean survival time per arm up to ``tau`` and their difference."""

    tau: float
    rmst: dict[str, float]
    se: dict[str, float]
    difference: float
    ci_low: float
    ci_high: float
    p: float


def _rmst_se(curve: KMCurve, tau: float) -> float:
    # Hand-written: lifelines' return_variance gives Var[min(T, tau)], not the
    # estimator's sampling variance. Greenwood-type formula (Klein & Moeschberger
    # 2003, eq. 4.5.2; R print.survfit(rmean=) and survRM2):
    # Var = sum_{t_j <= tau} A_j^2 d_j / (n_j (n_j - d_j)),  A_j = int_{t_j}^{tau} S(u) du.
    keep = curve.time <= tau
    t = curve.time[keep]
    if t.size == 0:
        return 0.0
    s = curve.survival[keep]
    d, n = curve.n_events[keep], curve.n_risk[keep]
    widths = np.diff(np.append(t, tau))
    area_after = np.cumsum((s * widths)[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n - d > 0, d / (n * (n - d)), 0.0)
    return float(math.sqrt(np.sum(area_after**2 * terms)))


def rmst_difference(cohort: pd.DataFrame, endpoint: str, params, tau: float) -> RMSTDifference:
    """Difference in restricted mean survival time up to ``tau`` (treatment - reference).

    RMST per arm from lifelines ``restricted_mean_survival_time``; SE per arm
    by the Greenwood-type formula; normal CI and p (Royston & Parmar 2013).
    ``tau`` should not exceed the shorter arm's last follow-up time.
    """
    from lifelines.utils import restricted_mean_survival_time

    fitted = fit_km(cohort, endpoint, params)
    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    rmst, se = {}, {}
    for role in ROLES:
        rmst[role] = float(restricted_mean_survival_time(fitted[role], t=tau))
        arm = data.arm(role)
        se[role] = _rmst_se(km_curve(arm["time"], arm["event"]), tau)
    diff = rmst["treatment"] - rmst["reference"]
    sd = math.sqrt(se["treatment"] ** 2 + se["reference"] ** 2)
    z = z_two_sided(params.alpha)
    p = wald_p(diff, sd) if sd > 0 else math.nan
    return RMSTDifference(tau, rmst, se, diff, diff - z * sd, diff + z * sd, p)
