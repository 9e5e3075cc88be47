"""How numbers are printed in the book: p-values, counts with percentages, intervals, the dash.

One home for the printed form, so a table, a glued sentence and a download
show a number the same way. ``NA_TEXT`` (an em dash) stands for a number that
could not be computed.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from lcnec_utils.contract.published import round_half_up
from lcnec_utils.stats.normal import z_two_sided

NA_TEXT = "—"


def is_missing(x: Any) -> bool:
    """True for ``None`` and for what pandas counts as missing (NaN, ``pd.NA``, ``NaT``)."""
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def format_n_pct(n: Any, d: Any, digits: int = 1) -> str:
    """``"n (pct)"`` with the percentage of ``d`` to ``digits`` decimals, e.g.
    ``format_n_pct(7, 14) == "7 (50.0)"``; ``"—"`` when ``n`` or ``d`` is
    unknown or ``d`` is 0 (a percentage of nobody is not a number)."""
    if is_missing(n) or is_missing(d) or d == 0:
        return NA_TEXT if is_missing(n) else f"{int(n)} ({NA_TEXT})"
    return f"{int(n)} ({100.0 * n / d:.{digits}f})"


def format_pct(p: Any, digits: int = 1) -> str:
    """A proportion in [0, 1] printed as a percentage without the sign."""
    return NA_TEXT if is_missing(p) else f"{100.0 * p:.{digits}f}"


def format_count(n: Any, singular: str, plural: str | None = None) -> str:
    """A count with its noun in the number the count takes, so that a glued count never reads
    "1 treated patients": ``format_count(1, "treated patient") == "1 treated patient"``,
    ``format_count(3, "treated patient") == "3 treated patients"``, ``format_count(0, "death") ==
    "0 deaths"``. ``plural`` where adding an "s" is wrong, e.g. a phrase with its verb:
    ``format_count(2, "finding is", "findings are") == "2 findings are"``. ``n`` must be a whole number."""
    if float(n) != int(n):
        raise ValueError(f"a count must be a whole number, not {n!r}")
    n = int(n)
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def format_months(months: Any) -> str:
    """A time in months with its unit in the number it takes, the value as ``{:g}`` prints it, so that
    a glued time that may be whole or fractional never reads "1 months": ``format_months(1.0) ==
    "1 month"``, ``format_months(12.0) == "12 months"``, ``format_months(1.5) == "1.5 months"``."""
    shown = f"{months:g}"
    return f"{shown} month" if shown == "1" else f"{shown} months"


def format_mean_sd(mean: Any, sd: Any, digits: int = 1, sd_digits: int = 2) -> str:
    """``"mean ± SD"``, by default as in the paper's Table 2 (``"70.4 ± 7.01"``)."""
    if is_missing(mean):
        return NA_TEXT
    sd_text = NA_TEXT if is_missing(sd) else f"{sd:.{sd_digits}f}"
    return f"{mean:.{digits}f} ± {sd_text}"


def format_median_iqr(median: Any, q1: Any, q3: Any, digits: int = 2) -> str:
    """``"median (Q1–Q3)"`` as in Table 2, e.g. ``"278.00 (234.00–458.00)"``."""
    if is_missing(median):
        return NA_TEXT
    lo = NA_TEXT if is_missing(q1) else f"{q1:.{digits}f}"
    hi = NA_TEXT if is_missing(q3) else f"{q3:.{digits}f}"
    return f"{median:.{digits}f} ({lo}–{hi})"


def format_ci(low: Any, high: Any, digits: int = 1, scale: float = 100.0) -> str:
    """``"low–high"`` of a proportion's CI in percent (``scale=1`` for raw)."""
    if is_missing(low) or is_missing(high):
        return NA_TEXT
    return f"{scale * low:.{digits}f}–{scale * high:.{digits}f}"


def format_interval(
    low: Any, high: Any, digits: int = 1, scale: float = 1.0, sep: str = "–", unreached: str = "not reached"
) -> str:
    """``"low–high"`` of an interval whose upper limit may not be reached, as a Kaplan-Meier
    median's: ``unreached`` for a missing upper limit, ``"—"`` for a missing lower one or both."""
    if is_missing(low) and is_missing(high):
        return NA_TEXT
    lo = NA_TEXT if is_missing(low) else f"{low * scale:.{digits}f}"
    hi = unreached if is_missing(high) else f"{high * scale:.{digits}f}"
    return f"{lo}{sep}{hi}"


def format_rounded(x: float, decimals: int) -> str:
    """``x`` as a journal prints it: rounded half-up (ties away from zero) to ``decimals`` places."""
    return f"{round_half_up(float(x), decimals):.{decimals}f}"


def format_reproduced(x: float | None, decimals: int) -> str:
    """A reproduced number beside one printed with ``decimals`` places: two places more (one
    from 10,000 up), so that a reader sees on which side of the rounding it lies."""
    if is_missing(x):
        return NA_TEXT
    return f"{x:.{max(decimals + 2, 2)}f}" if abs(x) < 1e4 else f"{x:.1f}"


def format_p(p: Any, digits: int = 3) -> str:
    """A p-value as journals print it: ``"0.034"``, ``"<0.001"``, ``"1.000"``;
    ``"—"`` when it could not be computed."""
    if is_missing(p):
        return NA_TEXT
    p = float(p)
    floor = 10.0 ** (-digits)
    if p < floor:
        return f"<{floor:.{digits}f}"
    return f"{min(p, 1.0):.{digits}f}"


def format_p_clause(p: Any, digits: int = 3) -> str:
    """A p-value as a sentence states it: ``"p = 0.034"``, ``"p < 0.001"`` (not ``"p = <0.001"``);
    ``"p = —"`` when it could not be computed."""
    text = format_p(p, digits)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def format_hr_bound(x: float, digits: int = 2) -> str:
    """An interval bound of a hazard ratio to ``digits`` decimals, with one more when ``digits``
    decimals would print it as 1 (``1.00``) and it is not 1, so that the reader sees on which side
    of no effect it lies: ``format_hr_bound(0.99502) == "0.995"`` (beside a Wald p of 0.049),
    ``format_hr_bound(0.9949) == "0.99"``, ``format_hr_bound(1.0) == "1.00"``."""
    text = f"{x:.{digits}f}"
    return f"{x:.{digits + 1}f}" if text == f"{1:.{digits}f}" and x != 1.0 else text


def format_bootstrap_bound(value: float) -> str:
    """A bound of a bootstrap percentile interval of an HR, which the resamples can push towards 0 or
    far above 1: three significant figures, "below 0.001" under 0.001 (two decimals printed it
    "0.00", three "0.000"), thousands with a separator: ``format_bootstrap_bound(0.0004) == "below
    0.001"``, ``format_bootstrap_bound(2.891) == "2.89"``, ``format_bootstrap_bound(1234.6) == "1,235"``."""
    if value < 0.001:
        return "below 0.001"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def format_bootstrap_ci(hr, lo, hi) -> str:
    """An HR to two decimals with its bootstrap percentile interval, the bounds by
    :func:`format_bootstrap_bound` and joined by "to" (a bound may be words): ``"0.53 (below 0.001 to
    5.83)"``; an em dash if any value is missing or not finite."""
    if any(v is None or not math.isfinite(float(v)) for v in (hr, lo, hi)):
        return NA_TEXT
    return f"{hr:.2f} ({format_bootstrap_bound(lo)} to {format_bootstrap_bound(hi)})"


def format_hr_ci(hr, lo, hi, digits: int = 2, sep: str = "-", side_of_one: bool = False) -> str:
    """``"0.51 (0.28-0.92)"``; an em dash if any value is missing or not finite. With
    ``side_of_one``, a bound that would print as 1.00 gets a third decimal
    (:func:`format_hr_bound`): ``"0.44 (0.19-0.995)"``."""
    values = [hr, lo, hi]
    if any(v is None or not math.isfinite(float(v)) for v in values):
        return NA_TEXT
    if side_of_one:
        return f"{hr:.{digits}f} ({format_hr_bound(lo, digits)}{sep}{format_hr_bound(hi, digits)})"
    return f"{hr:.{digits}f} ({lo:.{digits}f}{sep}{hi:.{digits}f})"


def ci_label(alpha: float = 0.05, kind: str = "CI") -> str:
    """A two-sided interval's level as a table header says it: ``"95% CI"`` at alpha 0.05,
    ``"90% CI"`` at 0.10, ``"97.5% CI"`` at 0.025."""
    return f"{100 * (1 - alpha):.10g}% {kind}"


def format_alpha_pct(alpha: float) -> str:
    """A significance level as a percentage, exactly, with the decimals it needs: ``"5%"`` at 0.05,
    ``"2.5%"`` at 0.025, ``"0.1%"`` at 0.001 (``f"{alpha:.0%}"`` printed "2%" and "0%")."""
    return f"{round(100 * alpha, 10):g}%"


def z_label(alpha: float = 0.05) -> str:
    """The multiplier z_{1-alpha/2} of a two-sided (1 - alpha) Wald interval as a label prints it,
    four significant digits without trailing zeros: ``"1.96"`` at alpha 0.05, ``"1.645"`` at 0.10,
    ``"2.576"`` at 0.01 (:func:`lcnec_utils.stats.normal.z_two_sided`)."""
    return f"{z_two_sided(alpha):.4g}"


def format_value(value: Any, fmt: str = "{}", missing: str = "not available") -> str:
    """Text of a number for the prose; ``missing`` where it cannot be computed.

    ``fmt`` is a ``str.format`` pattern or one of ``"p"`` (:func:`format_p`), ``"p_clause"``
    (:func:`format_p_clause`, for a sentence that reads the p-value: ``p = 0.034``, ``p < 0.001``;
    ``"p_clause:4"`` with four decimals),
    ``"pct"`` (a proportion as ``42.9%``), ``"pct_ci"`` (a (low, high) pair as
    ``26.8%–73.2%``), ``"hr_ci"`` (an (hr, low, high) triple as ``0.51 (0.28–0.92)``),
    ``"hr_ci_side"`` (the same, a bound that would print as 1.00 with a third decimal, as
    ``0.44 (0.19–0.995)``: :func:`format_hr_bound`) and ``"count:<noun>"`` or
    ``"count:<singular>|<plural>"`` (a count with its noun in the right number, ``1 treated patient``,
    ``3 treated patients``: :func:`format_count`); ``"months"`` (a time that may be fractional with
    its unit, ``1 month``, ``1.5 months``, ``12 months``: :func:`format_months`).
    """
    parts = value if isinstance(value, tuple) else (value,)
    if any(is_missing(v) for v in parts):
        return missing
    if fmt == "p":
        return format_p(value)
    if fmt == "p_clause" or fmt.startswith("p_clause:"):
        return format_p_clause(value, int(fmt.partition(":")[2] or 3))
    if fmt == "pct":
        return f"{format_pct(value)}%"
    if fmt == "pct_ci":
        return f"{100 * value[0]:.1f}%–{100 * value[1]:.1f}%"
    if fmt == "hr_ci":
        return f"{value[0]:.2f} ({value[1]:.2f}–{value[2]:.2f})"
    if fmt == "hr_ci_side":
        return format_hr_ci(*value, sep="–", side_of_one=True)
    if fmt == "months":
        return format_months(value)
    if fmt.startswith("count:"):
        singular, _, plural = fmt.removeprefix("count:").partition("|")
        return format_count(value, singular, plural or None)
    return fmt.format(value)
