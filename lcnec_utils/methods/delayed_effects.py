"""Delayed separation: Fleming-Harrington weighted log-rank tests and the max-combo test (chapter 16).

The log-rank test weighs every event time alike. An effect that starts late
(a delayed separation, as immunotherapy trials often show: Chen 2013;
Alexander, Schoenfeld & Trippa 2018) is better detected by a test that
weighs late times more, FH(0, 1); an early effect by FH(1, 0), the Peto-Peto
test; FH(1, 1) weighs the middle. Choosing the weight after seeing the
curves inflates the type I error, so the max-combo test takes the largest
of the four standardised statistics and corrects for the choice through
their joint normal distribution (Lin et al. 2020). The statistics are in
:mod:`lcnec_utils.stats.weighted_logrank`; this module tabulates them for a
chapter, says where the difference comes from, and records them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from lcnec_utils.methods.glued import NO_PFS, ChapterNumbers
from lcnec_utils.stats.format import format_count, format_p
from lcnec_utils.stats.survival import endpoint_data, has_endpoint
from lcnec_utils.stats.weighted_logrank import (
    MAX_COMBO_WEIGHTS,
    MVN_ABSEPS,
    event_time_table,
    fh_label,
    fh_weights,
    max_combo,
)

#: What each weight emphasises, in words (Fleming & Harrington 1991).
EMPHASIS = {
    (0.0, 0.0): "every event time alike (log-rank)",
    (1.0, 0.0): "early differences (Peto-Peto)",
    (0.0, 1.0): "late differences",
    (1.0, 1.0): "differences in the middle",
}

#: Results-key names of the weights.
WEIGHT_KEYS = {(0.0, 0.0): "fh00", (1.0, 0.0): "fh10", (0.0, 1.0): "fh01", (1.0, 1.0): "fh11"}


def _arrays(cohort: pd.DataFrame, endpoint: str, params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group).frame
    return (
        f["time"].to_numpy(float),
        f["event"].to_numpy(int),
        (f["role"] == "treatment").to_numpy().astype(int),
    )


def fh_table(cohort: pd.DataFrame, endpoint: str, params) -> tuple[pd.DataFrame, Any]:
    """One row per FH(ρ, γ) of the max-combo set (weight, emphasis, U, V, Z, χ², p), and the max-combo result.

    Negative Z: fewer deaths (events) in the treatment arm than expected.
    """
    combo = max_combo(*_arrays(cohort, endpoint, params), MAX_COMBO_WEIGHTS, seed=int(params.seed))
    rows = [
        {
            "rho": t.rho,
            "gamma": t.gamma,
            "test": t.label,
            "emphasis": EMPHASIS[(t.rho, t.gamma)],
            "u": t.u,
            "variance": t.variance,
            "z": t.z,
            "chi2": t.chi2,
            "p": t.p,
        }
        for t in combo.tests
    ]
    return pd.DataFrame(rows), combo


def weight_curves(cohort: pd.DataFrame, endpoint: str, params) -> pd.DataFrame:
    """At each event time: pooled S(t−), each arm's events, the treatment arm's O − E and its
    running sum, and the four FH weights (columns ``w_FH(ρ,γ)``), for the weights figure."""
    table = event_time_table(*_arrays(cohort, endpoint, params))
    out = table[["time", "surv_before", "d", "d1", "o_minus_e"]].copy()
    out["cumulative_o_minus_e"] = out["o_minus_e"].cumsum()
    for r, g in MAX_COMBO_WEIGHTS:
        out[f"w_{fh_label(r, g)}"] = fh_weights(out["surv_before"], r, g)
    return out


def strongest(table: pd.DataFrame) -> dict[str, Any]:
    """The test with the largest |Z| and what its weight emphasises."""
    ok = table[np.isfinite(table["z"])]
    if ok.empty:
        return {"test": None, "emphasis": None, "z": None}
    r = ok.loc[ok["z"].abs().idxmax()]
    return {"test": r["test"], "emphasis": r["emphasis"], "z": float(r["z"])}


def half_time(curves: pd.DataFrame) -> float | None:
    """First event time at which the running O − E reaches half of its final value (None if it is 0)."""
    total = float(curves["cumulative_o_minus_e"].iloc[-1]) if len(curves) else 0.0
    if total == 0:
        return None
    reached = curves.loc[curves["cumulative_o_minus_e"] / total >= 0.5, "time"]
    return float(reached.iloc[0]) if len(reached) else None


def fh_results(table: pd.DataFrame, combo, endpoint: str) -> dict[str, Any]:
    """Keys ``methods.fh.<endpoint>.<fh00|fh10|fh01|fh11>.{z,chi2,p}`` and ``.maxcombo.{z_max,p}``."""

    def val(v):
        return None if v is None or not math.isfinite(v) else float(v)

    out: dict[str, Any] = {}
    for _, r in table.iterrows():
        key = WEIGHT_KEYS[(r["rho"], r["gamma"])]
        for k in ("z", "chi2", "p"):
            out[f"methods.fh.{endpoint}.{key}.{k}"] = val(r[k])
    out[f"methods.fh.{endpoint}.maxcombo.z_max"] = val(combo.z_max)
    out[f"methods.fh.{endpoint}.maxcombo.p"] = val(combo.p)
    return out


def format_fh_table(table: pd.DataFrame, combo) -> pd.DataFrame:
    """Text rows: test, what it emphasises, Z, χ², p; the max-combo last."""

    def num(v, d=2):
        return "—" if v is None or not math.isfinite(v) else f"{v:.{d}f}"

    rows = [
        {
            "Test": r["test"],
            "Weight emphasises": r["emphasis"],
            "Z": num(r["z"]),
            "χ² (1 df)": num(r["chi2"]),
            "p": "—" if not math.isfinite(r["p"]) else format_p(r["p"]),
        }
        for _, r in table.iterrows()
    ]
    rows.append(
        {
            "Test": "max-combo",
            "Weight emphasises": "the largest |Z| of the four, corrected for the choice",
            "Z": "max |Z| = " + num(combo.z_max),
            "χ² (1 df)": "—",
            "p": "—" if not math.isfinite(combo.p) else format_p(combo.p),
        }
    )
    return pd.DataFrame(rows)


def weight_at(curves: pd.DataFrame, time: float, rho: float, gamma: float) -> dict[str, float]:
    """Pooled S(t−) and the FH(ρ, γ) weight at the event time ``time`` (an exercise's answer)."""
    row = curves.loc[np.isclose(curves["time"], time)]
    if row.empty:
        raise ValueError(f"{time:g} is not an event time")
    s = float(row["surv_before"].iloc[0])
    return {"surv_before": s, "weight": float(fh_weights(s, rho, gamma))}


def where_it_comes_from(table: pd.DataFrame) -> str | None:
    """Which of the early-weighted FH(1,0) and the late-weighted FH(0,1) has the larger |Z|, with
    both and the middle-weighted FH(1,1)'s, as a clause; None if one of the three is missing. Only a
    comparison of the weights' fits: a part the smaller |Z| weighs most may still add to the
    difference (session 15's review: PFS's FH(1,1) came within 0.05 of FH(1,0), and OS's running
    O − E moves back and forth)."""
    z = {(r["rho"], r["gamma"]): r["z"] for _, r in table.iterrows()}
    early, late, middle = (abs(z.get(k, math.nan)) for k in ((1.0, 0.0), (0.0, 1.0), (1.0, 1.0)))
    if not all(math.isfinite(v) for v in (early, late, middle)):
        return None
    tail = f"; the middle-weighted FH(1,1) gives {middle:.2f}"
    if early == late:
        return (
            f"the early-weighted FH(1,0) and the late-weighted FH(0,1) have the same |Z|, {early:.2f}{tail}"
        )
    first, second = ("early-weighted FH(1,0)", "late-weighted FH(0,1)")[:: 1 if early > late else -1]
    big, small = max(early, late), min(early, late)
    return f"the {first} test has the larger |Z|, {big:.2f} against {small:.2f} for the {second}{tail}"


def _endpoint_texts(numbers, ep: str, table, combo, curves, missing: str) -> None:
    t = numbers.text
    rows = {} if table is None else {WEIGHT_KEYS[(r["rho"], r["gamma"])]: r for _, r in table.iterrows()}
    for key in WEIGHT_KEYS.values():
        r = rows.get(key)
        t(f"{ep}_z_{key}", None if r is None else r["z"], "{:.2f}", missing)
        t(f"{ep}_p_{key}", None if r is None else r["p"], "p_clause", missing)
    t(f"{ep}_zmax", None if combo is None else combo.z_max, "{:.2f}", missing)
    t(f"{ep}_maxcombo_p", None if combo is None else combo.p, "p_clause", missing)
    best = strongest(table) if table is not None else {}
    t(f"{ep}_strongest", best.get("test"), "{}", missing)
    t(f"{ep}_strongest_emphasis", best.get("emphasis"), "{}", missing)
    t(f"{ep}_where", None if table is None else where_it_comes_from(table), "{}", missing)
    t(f"{ep}_half_time", None if curves is None else half_time(curves), "{:.1f}", missing)


#: The endpoints as the chapter's sentences name them.
_ENDPOINT_WORDS = {"os": "overall survival", "pfs": "progression-free survival"}


class CorrelationRange(NamedTuple):
    """The smallest and the largest of the pairwise correlations that can be computed (``low``,
    ``high``), over ``pairs`` of the ``of`` pairs of statistics (a pair's correlation cannot be
    computed where either statistic has no variance)."""

    low: float
    high: float
    pairs: int
    of: int


def correlation_range(combo) -> CorrelationRange | None:
    """The smallest and the largest correlation between two of the max-combo's statistics (the
    off-diagonal of ``combo.correlation``, those that are finite), with how many of the pairs they
    cover; None when none is finite (no two statistics both have variance)."""
    corr = np.asarray(combo.correlation, float)
    upper = corr[np.triu_indices(len(corr), k=1)]
    finite = upper[np.isfinite(upper)]
    if finite.size == 0:
        return None
    return CorrelationRange(float(finite.min()), float(finite.max()), int(finite.size), int(upper.size))


def correlation_reading(ranges: Mapping[str, CorrelationRange | None]) -> str:
    """Chapter 16's method section on the cohort in force: the range of the pairwise correlations of
    the four statistics for each endpoint present (``ranges``: the endpoint in words, as
    ``_ENDPOINT_WORDS``, to :func:`correlation_range`), in the page's order, with how many pairs it
    covers where some cannot be computed. Their covariances Σ w_a w_b v cannot be negative, but how
    strongly they are correlated depends on the cohort: the page typed "some pairs strongly" whatever
    it was. A pair's correlation cannot be computed where either of its statistics has no variance."""

    def span(name: str, r: CorrelationRange) -> str:
        text = f"from {r.low:.2f} to {r.high:.2f} for {name}"
        if r.pairs < r.of:
            text += (
                f" ({format_count(r.pairs, 'pair')} of {r.of}; the others cannot be computed, one of their "
                "statistics having no variance)"
            )
        return text

    shown = [span(name, r) for name, r in ranges.items() if r is not None]
    undefined = [name for name, r in ranges.items() if r is None]
    if not shown:
        return (
            "On the cohort in force no correlation between them can be computed: no two of the statistics "
            "both have variance."
        )
    text = "On the cohort in force their pairwise correlations run " + " and ".join(shown)
    if undefined:
        text += f"; for {' and '.join(undefined)} none can be computed (no two of its statistics both have variance)"
    return text + "."


def union_reading(maxcombo_p: float | None, min_p: float | None, k: int = 4) -> str:
    """Exercise 2 of chapter 16, the end of a sentence on Bonferroni's bound (after "the statistics
    are positively correlated (...),"): each of the ``k`` usable statistics (those with variance, as
    :func:`~lcnec_utils.stats.weighted_logrank.max_combo` combines them) reaches the observed largest
    |Z| with the smallest single p, so their rejection regions' probabilities sum to ``k`` × ``min_p``,
    and the max-combo p, ``maxcombo_p``, is the probability of their union. How much of the sum the
    union is, rounded half up to a whole percentage; "overlap a great deal" below 50% (the union at
    most ``k``/2 times one region's probability). The integration's absolute error on p
    (:data:`~lcnec_utils.stats.weighted_logrank.MVN_ABSEPS`) is an error of MVN_ABSEPS / (``k`` ×
    ``min_p``) on the share: the share is printed only where both ends of that range round to the same
    whole percentage, else the range is printed, rounded outward ("between 75% and 92%"). The union lies between one region's probability and the sum,
    so the share lies between 100/``k``% (were the regions to coincide) and 100%; where the integrated
    max-combo p puts it outside that range, or the p is below ten times the integration's absolute
    error (:data:`~lcnec_utils.stats.weighted_logrank.MVN_ABSEPS`), the integration cannot resolve the
    share and no number is printed. Regions of correlated normal statistics always overlap, so where
    the share rounds to 100% the overlap is said to be slight. The page typed "overlap a great deal and
    their union is much smaller than the sum" whatever the cohort."""
    ok = all(v is not None and math.isfinite(v) for v in (maxcombo_p, min_p)) and min_p > 0 and k >= 1
    if not ok:
        return "so the regions overlap and their union is smaller than the sum."
    if k == 1:
        return "but only one statistic has variance: the max-combo p is its p, and the sum has one term."
    abseps = f"{MVN_ABSEPS:g}"
    if maxcombo_p < 10 * MVN_ABSEPS:
        return (
            f"but the max-combo p is below ten times the absolute error ({abseps}) of the numerical "
            "integration that computes it, so the integration cannot resolve how much of the sum it is."
        )
    exact = maxcombo_p / (k * min_p)
    if not 1 / k <= exact <= 1:
        return (
            f"but the max-combo p, computed by numerical integration to an absolute error of {abseps}, falls "
            f"outside the range it must lie in (from the smallest p to {k} times it), so the integration "
            "cannot resolve how much of the sum it is."
        )
    # the integration's absolute error on p is an error of MVN_ABSEPS / (k x min p) on the share
    low, high = (maxcombo_p - MVN_ABSEPS) / (k * min_p), (maxcombo_p + MVN_ABSEPS) / (k * min_p)
    share = _half_up_pct(exact)
    if _half_up_pct(low) != _half_up_pct(high):
        lo_pct = max(math.floor(100 * low), math.floor(100 / k))
        hi_pct = min(math.ceil(100 * high), 100)
        within = (
            f"their union, the max-combo p, is between {lo_pct}% and {hi_pct}% of the sum (the integration's "
            f"absolute error of {abseps} allows no closer figure)"
        )
        if hi_pct < 50:
            return f"so the regions overlap a great deal: {within}, less than half."
        return f"so the regions overlap: {within}."
    if share < 50:
        return (
            f"so the regions overlap a great deal: their union, the max-combo p, is {share}% of the sum, "
            "less than half."
        )
    if share >= 100:
        return (
            "but the regions overlap only slightly: their union, the max-combo p, rounds to 100% of the sum."
        )
    return f"so the regions overlap: their union, the max-combo p, is {share}% of the sum."


def _half_up_pct(share: float) -> int:
    """A share as a whole percentage rounded half up (Python's round goes half to even)."""
    return math.floor(100 * share + 0.5)


def weighted_logrank_page(cohort: pd.DataFrame, params) -> tuple[Any, dict, dict]:
    """Everything chapter 16 records and glues; the tables (with max-combo) and weight curves by endpoint."""

    numbers = ChapterNumbers()
    tables, curves = {}, {}
    for ep in ("os", "pfs"):
        if not has_endpoint(cohort, ep):
            _endpoint_texts(numbers, ep, None, None, None, NO_PFS)
            continue
        table, combo = fh_table(cohort, ep, params)
        tables[ep] = (table, combo)
        curves[ep] = weight_curves(cohort, ep, params)
        numbers.values.update(fh_results(table, combo, ep))
        _endpoint_texts(numbers, ep, table, combo, curves[ep], "not available")
    ranges = {_ENDPOINT_WORDS[ep]: correlation_range(combo) for ep, (_, combo) in tables.items()}
    numbers.text("fh_correlations", correlation_reading(ranges), "{}")
    _exercise_texts(numbers, tables.get("os"), curves.get("os"), str(params.reference_group))
    return numbers, tables, curves


def earlier_deaths_reading(curves: pd.DataFrame, time: float, reference_label: str) -> str:
    """Exercise 1 of chapter 16 on the deaths before ``time``, the treatment arm's first death (so
    every earlier death is the reference arm's): how many, and the FH(0,1) weights 1 − S(t−) they get
    (0 at the cohort's first death time, smaller than at ``time``), from the pooled ``curves`` of
    :func:`weight_curves`. The page typed "the earlier deaths ... hardly sees them" whatever the
    cohort, also where no death came earlier."""
    earlier = curves.loc[curves["time"] < time - 1e-9]
    n = int(earlier["d"].sum())
    if n == 0:
        return (
            f"No death of the {reference_label} arm comes earlier: this is the cohort's first death "
            "time, where S(t−) = 1 and both FH(0,1) and FH(1,1) give weight 0."
        )
    weights = 1.0 - earlier["surv_before"].to_numpy(float)
    if len(earlier) == 1:
        whole = "The one earlier death" if n == 1 else f"The {n} earlier deaths"
        verb = "comes" if n == 1 else "all come"
        return (
            f"{whole} of the {reference_label} arm {verb} at the cohort's first death time, where "
            "FH(0,1) gives weight 0."
        )
    return (
        f"The {n} earlier deaths of the {reference_label} arm get smaller FH(0,1) weights, from 0 at "
        f"the cohort's first death time to {weights.max():.3f} at the last before this one."
    )


def _exercise_texts(numbers, os_tests, os_curves: pd.DataFrame, reference_label: str) -> None:
    """Exercise 1: S(t−) and the FH(0,1), FH(1,1) weights at the treatment arm's first death;
    exercise 2: the smallest single p, Bonferroni's bound for the K statistics with variance and the max-combo p."""
    t = numbers.text
    first = os_curves.loc[os_curves["d1"] > 0, "time"]
    missing = "not available (no death in the treatment arm)"
    if len(first):
        w01 = weight_at(os_curves, float(first.iloc[0]), 0.0, 1.0)
        w11 = weight_at(os_curves, float(first.iloc[0]), 1.0, 1.0)
    t("ex1_time", float(first.iloc[0]) if len(first) else None, "{:.1f}", missing)
    t("ex1_surv", w01["surv_before"] if len(first) else None, "{:.3f}", missing)
    t("ex1_w01", w01["weight"] if len(first) else None, "{:.3f}", missing)
    t("ex1_w11", w11["weight"] if len(first) else None, "{:.3f}", missing)
    t(
        "ex1_earlier",
        earlier_deaths_reading(os_curves, float(first.iloc[0]), reference_label) if len(first) else None,
        "{}",
        "",
    )
    table, combo = os_tests
    p_min = float(np.nanmin(table["p"].to_numpy(float))) if np.isfinite(table["p"]).any() else None
    t("ex2_min_p", p_min, "p_clause")
    # Bonferroni's sum over the statistics max_combo combines: those with variance
    k = sum(1 for test in combo.tests if test.variance > 0)
    t("ex2_k", k, "{}")
    t("ex2_bonferroni", None if p_min is None else min(1.0, k * p_min), "p")
    t("ex2_maxcombo_p", combo.p, "p")
    off_diagonal = combo.correlation[~np.eye(len(combo.correlation), dtype=bool)]
    t("ex2_corr_min", float(np.nanmin(off_diagonal)), "{:.2f}")
    t("ex2_corr_max", float(np.nanmax(off_diagonal)), "{:.2f}")
    t("ex2_union", union_reading(combo.p, p_min, k), "{}")
