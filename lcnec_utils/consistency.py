"""The published paper's internal consistency, recomputed from its own printed numbers.

Nothing here reads the cohort: every check takes numbers as the paper prints
them (``data/published.yaml``) and asks whether they can all be right at the
printed rounding. The routines are the field's usual ones:

- :func:`percent_attainable` -- which integer counts give a printed percentage
  (the GRIM idea of Brown and Heathers 2017 applied to proportions);
- :func:`grim_attainable` -- whether a printed mean of integers is possible;
- :func:`fisher_recheck` -- a 2x2 p-value recomputed by Fisher's exact test and
  by the alternatives a reader might suspect (Pearson's chi-squared with and
  without Yates' continuity correction);
- :func:`t_test_from_summary` -- Student's and Welch's t-test from printed
  means and SDs, as the interval of p the printed rounding allows;
- :func:`hr_ci_p_coherence` -- a hazard ratio, its CI and its p on the log
  scale (Altman and Bland 2011, "How to obtain the P value from a confidence
  interval", BMJ 343:d2304);
- :func:`binary_term_min_ci_ratio` -- the narrowest CI a 0/1 term of a Cox
  model on a given number of events can have;
- :func:`km_rate_attainable` -- whether a Kaplan-Meier landmark rate is a value
  the curve of a small arm can take;
- :func:`median_ci_symmetric` -- SPSS's CI of a Kaplan-Meier median is
  median +- 1.96 SE, symmetric by construction;
- :func:`events_per_variable` -- against Peduzzi et al. 1995 and Vittinghoff
  and McCulloch 2007.

:func:`paper_consistency` runs them all over ``data/published.yaml`` and
returns one :class:`Finding` per check (consistent checks included, with
severity ``"none"``).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any, Iterable, Mapping, Sequence

from scipy import stats

Z95 = stats.norm.ppf(0.975)

#: Severity of a finding, most serious first. ``high``: a headline result or a
#: conclusion is affected; ``medium``: a printed number cannot be right (or
#: does not follow from the stated method) but no conclusion hinges on it;
#: ``low``: presentation (truncation, precision, wording); ``none``: consistent.
SEVERITIES = ("high", "medium", "low", "none")

ARM_N_KEYS = {"total": "n.total", "treatment": "n.treatment", "reference": "n.reference"}


# --------------------------------------------------------------------------
# Printed numbers and their rounding
# --------------------------------------------------------------------------


def _frac(x: float | int | str | Fraction) -> Fraction:
    return x if isinstance(x, Fraction) else Fraction(str(x))


def printed_interval(value: float, decimals: int, mode: str = "round") -> tuple[Fraction, Fraction]:
    """Half-open interval ``[lo, hi)`` of true values that print as ``value``.

    ``mode="round"``: rounded half-up to ``decimals`` places (value +- half a
    unit of the last printed decimal); ``mode="truncate"``: cut after
    ``decimals`` places (``[value, value + one unit)``).
    """
    unit = Fraction(1, 10**decimals)
    v = _frac(value)
    if mode == "round":
        return v - unit / 2, v + unit / 2
    if mode == "truncate":
        return v, v + unit
    raise ValueError(f"mode must be 'round' or 'truncate', not {mode!r}")


def prints_as(x: float | Fraction, value: float, decimals: int, mode: str = "round") -> bool:
    """True if the true value ``x`` prints as ``value`` at ``decimals`` places."""
    lo, hi = printed_interval(value, decimals, mode)
    return lo <= _frac(x) < hi


def _in_interval(x: float, value: float, decimals: int, mode: str = "round") -> bool:
    """Like :func:`prints_as` for a float computed in floating point (a hair of slack at the ends)."""
    lo, hi = printed_interval(value, decimals, mode)
    return float(lo) - 1e-12 <= x < float(hi) - 1e-15


def percent_attainable(pct: float, n: int, decimals: int, mode: str = "round") -> list[int]:
    """Counts ``k`` in ``0..n`` for which ``100 k / n`` prints as ``pct``.

    Exact rational arithmetic, so ties are decided as a journal rounds
    (half-up). An empty list means no count of ``n`` patients gives the
    printed percentage (the GRIM test of Brown and Heathers 2017, Social
    Psychological and Personality Science 8:363, applied to a proportion).

    >>> percent_attainable(28.6, 14, 1)
    [4]
    >>> percent_attainable(42.9, 17, 1)
    []
    """
    lo, hi = printed_interval(pct, decimals, mode)
    return [k for k in range(n + 1) if lo <= Fraction(100 * k, n) < hi]


def grim_attainable(mean: float, n: int, decimals: int) -> list[int]:
    """Integer sums ``S`` with ``S / n`` printing as ``mean`` (GRIM; Brown and Heathers 2017).

    Applies when the items are integers (ages in whole years).
    """
    lo, hi = printed_interval(mean, decimals)
    first = math.ceil(lo * n)
    return [s for s in range(first, math.floor(hi * n) + 1) if lo <= Fraction(s, n) < hi]


def total_matches_groups(total: int, parts: Iterable[int]) -> bool:
    """True if a printed total equals the sum of its printed groups."""
    return int(total) == sum(int(p) for p in parts)


def p_matches(p: float, printed: float, decimals: int) -> str | None:
    """How a computed ``p`` prints as ``printed``: ``"rounded"``, ``"truncated"`` or ``None``."""
    if _in_interval(p, printed, decimals, "round") or (printed == 1.0 and p >= 1 - 0.5 * 10**-decimals):
        return "rounded"
    if _in_interval(p, printed, decimals, "truncate"):
        return "truncated"
    return None


# --------------------------------------------------------------------------
# Categorical p-values
# --------------------------------------------------------------------------


def fisher_recheck(a: int, n1: int, b: int, n2: int, printed_p: float | None = None, decimals: int = 3) -> dict:
    """A 2x2 comparison recomputed from its counts (``a`` of ``n1`` vs ``b`` of ``n2``).

    Returns the two-sided p of Fisher's exact test (``scipy.stats.fisher_exact``;
    Fisher 1935, p = sum of the hypergeometric probabilities no larger than the
    observed table's), of Pearson's chi-squared test without and with Yates'
    continuity correction (``scipy.stats.chi2_contingency``), and, if
    ``printed_p`` is given, which of them print as it (rounded or truncated).

    >>> round(fisher_recheck(7, 14, 5, 17)["fisher"], 4)
    0.2883
    """
    table = [[a, n1 - a], [b, n2 - b]]
    out: dict[str, Any] = {"table": table, "fisher": float(stats.fisher_exact(table)[1])}
    if min(a + b, n1 + n2 - a - b) == 0:
        out["chi2"] = out["yates"] = 1.0
    else:
        out["chi2"] = float(stats.chi2_contingency(table, correction=False)[1])
        out["yates"] = float(stats.chi2_contingency(table, correction=True)[1])
    if printed_p is not None:
        out["matches"] = {
            test: p_matches(out[test], printed_p, decimals) for test in ("fisher", "chi2", "yates")
        }
    return out


# --------------------------------------------------------------------------
# Means and SDs
# --------------------------------------------------------------------------


def _t_p(m1, s1, n1, m2, s2, n2, equal_var: bool) -> float:
    return float(
        stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=equal_var).pvalue
    )


def t_test_from_summary(
    m1: float, s1: float, n1: int, m2: float, s2: float, n2: int,
    mean_decimals: int = 1, sd_decimals: int = 2, equal_var: bool = True, grid: int = 5,
) -> dict:
    """Two-sample t-test from printed means and SDs, honouring their rounding.

    Student's pooled-variance test (``equal_var=True``) or Welch's
    (``equal_var=False``; Welch 1947), via ``scipy.stats.ttest_ind_from_stats``.
    Each printed mean and SD stands for an interval of true values (+- half a
    unit of its last decimal); the p-value is evaluated on a ``grid``^4 lattice
    over that box, corners included, and ``p_min``/``p_max`` bound the p-values
    the printed summaries allow. (For Student's test |t| is monotone in each
    argument, so the corners give the exact bounds; for Welch's the degrees of
    freedom move too and the lattice is a close approximation.)
    """
    def axis(v, d):
        h = 0.5 * 10**-d
        return [v - h + 2 * h * i / (grid - 1) for i in range(grid)]

    ps = [
        _t_p(a, b, n1, c, e, n2, equal_var)
        for a, b, c, e in itertools.product(
            axis(m1, mean_decimals), axis(s1, sd_decimals), axis(m2, mean_decimals), axis(s2, sd_decimals)
        )
    ]
    return {
        "test": "Student" if equal_var else "Welch",
        "p": _t_p(m1, s1, n1, m2, s2, n2, equal_var),
        "p_min": min(ps),
        "p_max": max(ps),
    }


def combined_mean_sd(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int) -> tuple[float, float]:
    """Mean and SD (n - 1 denominator) of two groups pooled, from their means and SDs."""
    n = n1 + n2
    mean = (n1 * m1 + n2 * m2) / n
    ss = (n1 - 1) * s1**2 + (n2 - 1) * s2**2 + n1 * (m1 - mean) ** 2 + n2 * (m2 - mean) ** 2
    return mean, math.sqrt(ss / (n - 1))


def combined_mean_sd_range(
    m1, s1, n1, m2, s2, n2, mean_decimals: int = 1, sd_decimals: int = 2
) -> dict:
    """Interval of the pooled mean and SD over the rounding box of the groups' printed values."""
    h_m, h_s = 0.5 * 10**-mean_decimals, 0.5 * 10**-sd_decimals
    corners = [
        combined_mean_sd(a, b, n1, c, e, n2)
        for a in (m1 - h_m, m1 + h_m) for b in (s1 - h_s, s1 + h_s)
        for c in (m2 - h_m, m2 + h_m) for e in (s2 - h_s, s2 + h_s)
    ]
    means = [c[0] for c in corners]
    sds = [c[1] for c in corners]
    # the SD is not monotone in the means (they enter through the spread); add the centre
    centre = combined_mean_sd(m1, s1, n1, m2, s2, n2)
    return {
        "mean": centre[0], "sd": centre[1],
        "mean_min": min(means), "mean_max": max(means),
        "sd_min": min(sds + [centre[1]]), "sd_max": max(sds + [centre[1]]),
    }


# --------------------------------------------------------------------------
# Hazard ratios
# --------------------------------------------------------------------------


def _wald_p(log_hr: float, se: float) -> float:
    return float(2 * stats.norm.sf(abs(log_hr) / se))


def hr_ci_p_coherence(
    hr: float, ci_low: float, ci_high: float, p: float | None = None,
    decimals: int = 2, p_decimals: int = 3, level: float = 0.95,
) -> dict:
    """Does a printed HR (CI) agree with its printed p on the log scale?

    A Wald interval is log HR +- z SE, so SE = (log high - log low) / (2 z),
    z = log HR / SE and p = 2 (1 - Phi(|z|)) (Altman and Bland 2011, BMJ
    343:d2304). Each printed number stands for the interval its rounding
    allows (+- half a unit of its last decimal); ``p_min``/``p_max`` bound the
    p the printed HR and CI allow (|z| is monotone in each, so the corners of
    the box give the bounds). ``symmetric`` says whether log HR can be the
    midpoint of the log CI at the printed rounding, as a Wald interval must be.

    >>> hr_ci_p_coherence(0.51, 0.28, 0.92, 0.026)["coherent"]
    True
    >>> hr_ci_p_coherence(0.51, 0.28, 0.92, 0.26)["coherent"]
    False
    """
    z = stats.norm.ppf(0.5 + level / 2)
    h = 0.5 * 10**-decimals
    se = (math.log(ci_high) - math.log(ci_low)) / (2 * z)
    p_ci = _wald_p(math.log(hr), se)
    ps = []
    for a, lo, hi in itertools.product((hr - h, hr + h), (ci_low - h, ci_low + h), (ci_high - h, ci_high + h)):
        if lo <= 0 or hi <= lo or a <= 0:
            continue
        ps.append(_wald_p(math.log(a), (math.log(hi) - math.log(lo)) / (2 * z)))
    p_min, p_max = min(ps), max(ps)
    if hr - h <= 1 <= hr + h:
        p_max = 1.0
    mid_lo = (math.log(max(ci_low - h, 1e-12)) + math.log(ci_high - h)) / 2
    mid_hi = (math.log(ci_low + h) + math.log(ci_high + h)) / 2
    symmetric = math.log(max(hr - h, 1e-12)) <= mid_hi and math.log(hr + h) >= mid_lo
    out = {
        "se": se, "z": math.log(hr) / se, "p_from_ci": p_ci, "p_min": p_min, "p_max": p_max,
        "symmetric": symmetric, "log_midpoint": (math.log(ci_low) + math.log(ci_high)) / 2,
        "hr_in_ci": ci_low <= hr <= ci_high,
    }
    if p is not None:
        plo, phi = printed_interval(p, p_decimals)
        out["p_coherent"] = float(plo) <= p_max and float(phi) >= p_min
        out["coherent"] = out["p_coherent"] and symmetric and out["hr_in_ci"]
    return out


def binary_term_min_se(events: int) -> float:
    """Smallest model-based SE(log HR) of a 0/1 term in a Cox model with ``events`` events.

    The information about a 0/1 term is the sum, over event times, of the
    (weighted) variance of the term in the risk set, at most 1/4 each, so at
    most ``events`` / 4; adjusting for other terms can only raise the variance
    of its estimate above 1/information ([I^-1]_11 >= 1/I_11). Hence
    SE >= 2 / sqrt(events). (Cox 1972; the bound holds for Breslow's and
    Efron's handling of ties.)
    """
    return 2.0 / math.sqrt(events)


def binary_term_min_ci_ratio(events: int, level: float = 0.95) -> float:
    """Smallest upper/lower ratio of the Wald CI of a 0/1 Cox term: exp(2 z * 2/sqrt(events)).

    >>> round(binary_term_min_ci_ratio(31), 2)
    4.09
    """
    z = stats.norm.ppf(0.5 + level / 2)
    return math.exp(2 * z * binary_term_min_se(events))


def binary_term_min_p(hr: float, events: int, decimals: int = 2) -> float:
    """Smallest Wald p a 0/1 Cox term with printed ``hr`` can have on ``events`` events.

    Uses the largest |log HR| the printed rounding allows and the smallest SE
    of :func:`binary_term_min_se`.
    """
    h = 0.5 * 10**-decimals
    log_hr = max(abs(math.log(hr - h)), abs(math.log(hr + h)))
    return _wald_p(log_hr, binary_term_min_se(events))


def events_per_variable(events: float, terms: int) -> float:
    """Events per model term (EPV).

    Peduzzi et al. 1995 (J Clin Epidemiol 48:1503) found Cox estimates biased
    and their intervals unreliable below about 10 EPV; Vittinghoff and
    McCulloch 2007 (Am J Epidemiol 165:710) relaxed this to 5-9 for many
    purposes, with problems common below 5.

    >>> round(events_per_variable(28, 12), 2)
    2.33
    """
    return events / terms


# --------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------

#: Largest arm for which the censored enumeration is exact and fast (n = 17 takes < 1 s).
KM_ENUMERATION_MAX_N = 20


@lru_cache(maxsize=None)
def km_reachable_values(n: int) -> dict[Fraction, int]:
    """Every value a Kaplan-Meier curve on ``n`` patients can take, with the fewest censorings.

    Exact enumeration: a Kaplan-Meier estimate is a product of factors
    (1 - d_i / n_i) over event times (Kaplan and Meier 1958), where n_i falls
    by the events and censorings before each time. A dynamic programme over
    (patients at risk, value so far) visits every such product exactly once
    (as a fraction), recording the fewest censorings needed to reach it.
    Exponential in n in principle; limited to ``n <= KM_ENUMERATION_MAX_N``.
    """
    if n > KM_ENUMERATION_MAX_N:
        raise ValueError(
            f"exact enumeration of Kaplan-Meier values is limited to n <= {KM_ENUMERATION_MAX_N} (got {n})"
        )
    states: dict[int, dict[Fraction, int]] = {n: {Fraction(1): 0}}
    reached: dict[Fraction, int] = {}
    for r in range(n, -1, -1):
        for value, cens in states.get(r, {}).items():
            if reached.get(value, n + 1) > cens:
                reached[value] = cens
            if r == 0:
                continue
            nxt = states.setdefault(r - 1, {})
            if nxt.get(value, n + 1) > cens + 1:
                nxt[value] = cens + 1
            for d in range(1, r + 1):
                w = value * Fraction(r - d, r)
                nxt = states.setdefault(r - d, {})
                if nxt.get(w, n + 1) > cens:
                    nxt[w] = cens
    return reached


def km_rate_attainable(rate: float, n: int, decimals: int = 1, censoring: bool = False) -> list[tuple[Fraction, int]]:
    """Kaplan-Meier values on ``n`` patients that print as ``rate`` (in percent).

    Without censoring the curve only takes the values k/n. With censoring it
    takes any product of (1 - d_i/n_i); these are enumerated exactly by
    :func:`km_reachable_values` (n <= 20). Returns ``[(value, fewest
    censorings), ...]`` sorted by the censorings needed; empty if none.

    >>> [str(v) for v, _ in km_rate_attainable(42.9, 14)]
    ['3/7']
    """
    lo, hi = printed_interval(rate, decimals)
    lo, hi = lo / 100, hi / 100
    if not censoring:
        return [(Fraction(k, n), 0) for k in range(n + 1) if lo <= Fraction(k, n) < hi]
    hits = [(v, c) for v, c in km_reachable_values(n).items() if lo <= v < hi]
    return sorted(hits, key=lambda vc: (vc[1], vc[0]))


def median_ci_symmetric(median: float, ci_low: float, ci_high: float, decimals: int = 1) -> dict:
    """Can a printed median be the midpoint of its printed CI?

    SPSS's Kaplan-Meier procedure gives the median's CI as median +- 1.96 SE
    (SE from Greenwood's variance over a density estimate), symmetric by
    construction; the midpoint of limits that print as ``ci_low`` and
    ``ci_high`` lies within half a unit of their printed midpoint.
    """
    h = 0.5 * 10**-decimals
    mid_lo, mid_hi = (ci_low + ci_high) / 2 - h, (ci_low + ci_high) / 2 + h
    return {
        "midpoint": (ci_low + ci_high) / 2,
        "symmetric": (median - h) < mid_hi and (median + h) > mid_lo,
    }


def logrank_p_bound_from_medians(median_a: float, median_b: float, n_a: int, n_b: int) -> float:
    """Smallest log-rank p two exponential curves with these medians give on at most n_a + n_b events.

    An approximation, not a bound on every data set: under exponential
    survival the hazard ratio is the inverse ratio of the medians and the
    log-rank statistic is about log HR / sqrt(1/d_a + 1/d_b) (Peto and Peto
    1972), largest when every patient has an event.
    """
    z = abs(math.log(median_a / median_b)) / math.sqrt(1 / n_a + 1 / n_b)
    return float(2 * stats.norm.sf(z))


# --------------------------------------------------------------------------
# Findings
# --------------------------------------------------------------------------


@dataclass
class Finding:
    """One consistency check of the paper: what, where, expected, reported, severity, why."""

    check: str
    what: str
    where: str
    expected: str
    reported: str
    severity: str
    explanation: str
    keys: list[str] = field(default_factory=list)
    #: the printed number(s) under ``keys`` cannot all be right as printed
    paper_wrong: bool = False
    #: key -> the value (as printed, same unit) the paper's own numbers imply, where one does
    corrected: dict[str, float] = field(default_factory=dict)
    id: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


#: Groups of findings, in the order the chapter shows them.
CHECKS = {
    "percent": "Percentages against their n",
    "total": "Totals against the sum of their groups",
    "printing": "The same number printed twice",
    "categorical_p": "Categorical p-values from the printed counts",
    "age": "Age: means, SDs and the t-test",
    "hazard_ratio": "Hazard ratios, their CIs and p-values",
    "survival": "Kaplan-Meier medians, rates and log-rank tests",
    "text": "Text against tables",
    "model_size": "Size of the multivariable model",
}


def _fmt(x: float, d: int = 3) -> str:
    return f"{x:.{d}f}"


def _pct_of(v: Fraction) -> str:
    return f"{float(v) * 100:.2f}%"


class _Published:
    """Index of ``published.yaml`` entries by (key, variant)."""

    def __init__(self, entries: Sequence[Mapping[str, Any]]):
        self.entries = list(entries)
        self.by = {(e["key"], e.get("variant")): e for e in self.entries}

    def get(self, key, variant=None):
        return self.by.get((key, variant))

    def value(self, key, variant=None):
        e = self.get(key, variant)
        return None if e is None else e["value"]

    def where(self, key, variant=None) -> str:
        e = self.get(key, variant)
        if e is None:
            return ""
        return where_text(e)


def where_text(entry: Mapping[str, Any]) -> str:
    """'Table 2, Gender, Male, n (%) / Chemo-immune (n=14)' or 'Section 3.3: "quote"'."""
    src = entry.get("source") or {}
    parts = [src.get("where", "")]
    if src.get("row"):
        parts.append(" ".join(str(src["row"]).split()))
    if src.get("column"):
        parts.append(" ".join(str(src["column"]).split()))
    text = ", ".join(p for p in parts[:2] if p)
    if len(parts) > 2 and parts[2]:
        text += f" / {parts[2]}"
    if src.get("quote") and not src.get("row"):
        text += f': "{" ".join(str(src["quote"]).split())}"'
    return text


_ARM_OF = re.compile(r"\.(total|treatment|reference)$")


def ref(key: str, variant: str | None = None) -> str:
    """How a finding names one printing: ``key`` (the table's) or ``key@variant``."""
    return f"{key}@{variant}" if variant else key


def _arm_n(pub: _Published, arm: str) -> int:
    return int(pub.value(ARM_N_KEYS[arm]))


def _percent_findings(pub: _Published) -> list[Finding]:
    out = []
    for e in pub.entries:
        key, unit = e["key"], e["unit"]
        if unit != "percent" or e["value"] is None or ".rate_" in key:
            continue
        m = _ARM_OF.search(key)
        if not m:
            continue
        arm = m.group(1)
        n = _arm_n(pub, arm)
        pct, dec = float(e["value"]), int(e["decimals"])
        count_key = key.replace(".pct.", ".n.") if ".pct." in key else None
        if key == "safety.irae_any.treatment":
            count_key = "safety.irae_any.n.treatment"
        count = pub.value(count_key) if count_key else None
        ks = percent_attainable(pct, n, dec)
        ks_trunc = percent_attainable(pct, n, dec, "truncate")
        where = pub.where(key, e.get("variant"))
        what = f"{pct:g}% of {n} ({key}{' ' + e['variant'] if e.get('variant') else ''})"
        rk = ref(key, e.get("variant"))
        if count is not None:
            exact = Fraction(100 * int(count), n)
            expected = f"{int(count)}/{n} = {float(exact):.{dec + 2}f}%, printed {_round_str(exact, dec)}%"
        else:
            expected = "k/n for some count k: " + (", ".join(f"{k}/{n} = {100 * k / n:.{dec + 2}f}%" for k in ks) or "none")
        if ks and (count is None or int(count) in ks):
            out.append(Finding("percent", what, where, expected, f"{pct:g}%", "none",
                               f"{pct:g}% is {ks[0]}/{n} at the printed rounding.", [rk]))
        elif ks_trunc and (count is None or int(count) in ks_trunc):
            k = int(count) if count is not None else ks_trunc[0]
            out.append(Finding(
                "percent", what, where, expected, f"{pct:g}%", "low",
                f"No count of {n} rounds to {pct:g}%; {k}/{n} = {100 * k / n:.4f}% gives it only when "
                f"truncated, so the paper cut the digits instead of rounding them.",
                [rk], True, {rk: float(_round_str(Fraction(100 * k, n), dec))}))
        elif ks:
            out.append(Finding(
                "percent", what, where, expected, f"{pct:g}%", "medium",
                f"{pct:g}% is {ks[0]}/{n}, not the printed count {int(count)}/{n}: the count or the percentage is wrong.",
                [rk, count_key], True))
        else:
            k = int(count) if count is not None else int(round(pct * n / 100))
            corr = {rk: float(_round_str(Fraction(100 * k, n), dec))}
            out.append(Finding(
                "percent", what, where, expected, f"{pct:g}%", "medium",
                f"No count out of {n} gives {pct:g}% at {dec} decimal(s), rounded or truncated; the nearest is "
                f"{k}/{n} = {corr[rk]:.{dec}f}%.",
                [rk], True, corr))
    return out


def _precision_findings(pub: _Published) -> list[Finding]:
    """Percentages printed with more or fewer decimals than the rest of their table."""
    out = []
    groups: dict[str, list] = {}
    for e in pub.entries:
        if e["unit"] == "percent" and e["value"] is not None and not e.get("variant"):
            groups.setdefault(e["source"]["where"], []).append(e)
    for where, entries in groups.items():
        decs = [int(e["decimals"]) for e in entries]
        usual = max(set(decs), key=decs.count)
        odd = [e for e in entries if int(e["decimals"]) != usual]
        for e in odd:
            out.append(Finding(
                "percent", f"precision of {e['value']:g}% ({e['key']})", pub.where(e["key"]),
                f"{usual} decimal(s), as the other {len(entries) - len(odd)} percentages of {where}",
                f"{int(e['decimals'])} decimals", "low",
                f"{where} prints this percentage with {int(e['decimals'])} decimals and its other percentages with "
                f"{usual}; the value is right, the presentation inconsistent.", [e["key"]], False))
    return out


def _round_str(x: Fraction, dec: int) -> str:
    from .published import round_half_up

    return f"{round_half_up(float(x), dec):.{dec}f}"


def _row_of_count_key(key: str) -> tuple[str, str] | None:
    m = re.match(r"^(baseline\.[a-z0-9_]+)\.n\.(total|treatment|reference)$", key)
    return (m.group(1), m.group(2)) if m else None


def _total_findings(pub: _Published) -> list[Finding]:
    out = []
    rows = sorted({_row_of_count_key(e["key"])[0] for e in pub.entries if _row_of_count_key(e["key"])})
    for row in rows:
        t, a, b = (pub.value(f"{row}.n.{arm}") for arm in ("total", "treatment", "reference"))
        if None in (t, a, b):
            continue
        ok = total_matches_groups(t, (a, b))
        key = f"{row}.n.total"
        label = pub.get(key)["source"].get("row", row)
        if ok:
            out.append(Finding("total", f"{' '.join(str(label).split())}: total = sum of arms",
                               pub.where(key), f"{a} + {b} = {a + b}", f"{t}", "none",
                               "The total is the sum of the two arms.", [key]))
        else:
            n = _arm_n(pub, "total")
            pct_t = pub.value(f"{row}.pct.total")
            twins = [r for r in rows if r != row and pub.value(f"{r}.n.total") == t
                     and pub.value(f"{r}.pct.total") == pct_t]
            twin_note = ""
            if twins:
                twin_label = " ".join(str(pub.get(f"{twins[0]}.n.total")["source"].get("row", twins[0])).split())
                twin_note = f" The same '{t} ({pct_t:g})' is printed for the row '{twin_label}', a likely copying slip."
            out.append(Finding(
                "total", f"{' '.join(str(label).split())}: total = sum of arms", pub.where(key),
                f"{a} + {b} = {a + b}", f"{t}", "medium",
                f"The arms add up to {a + b} ({100 * (a + b) / n:.1f}%), not the printed total {t}; "
                f"the total and its percentage are wrong, or one arm's count is.{twin_note}",
                [key, f"{row}.pct.total"], True,
                {key: a + b, f"{row}.pct.total": float(_round_str(Fraction(100 * (a + b), n), 1))}))
    # groups of a partition: response categories, ICI classes, regimens
    partitions = {
        "Best response (PR + SD + PD, no CR or NE printed)": ["response.pr.n", "response.sd.n", "response.pd.n"],
        "ICI classes (PD-1 + PD-L1 + PD-1/CTLA-4)": ["ici_class.pd1.n", "ici_class.pdl1.n", "ici_class.pd1_ctla4.n"],
        "Chemotherapy regimens (EP/EC/EL + IP + TP)": [
            "baseline.chemo_regimen_ep_ec_el.n", "baseline.chemo_regimen_ip.n", "baseline.chemo_regimen_tp.n"],
    }
    for label, stems in partitions.items():
        for arm in ("treatment", "reference", "total"):
            parts = [pub.value(f"{s}.{arm}") for s in stems]
            if any(p is None for p in parts):
                continue
            n = _arm_n(pub, arm)
            ok = total_matches_groups(n, parts)
            out.append(Finding(
                "total", f"{label}, {arm} arm" if arm != "total" else f"{label}, all patients",
                pub.where(f"{stems[0]}.{arm}"), f"{n} patients", " + ".join(str(p) for p in parts) + f" = {sum(parts)}",
                "none" if ok else "medium",
                "The categories account for every patient." if ok else
                f"The categories add up to {sum(parts)}, not the {n} patients of the arm.",
                [f"{s}.{arm}" for s in stems], not ok))
    # ORR and DCR from the response categories
    for arm in ("treatment", "reference"):
        n = _arm_n(pub, arm)
        pr, sd = pub.value(f"response.pr.n.{arm}"), pub.value(f"response.sd.n.{arm}")
        for rate, count in (("orr", pr), ("dcr", None if pr is None or sd is None else pr + sd)):
            v = pub.value(f"response.{rate}.{arm}")
            if v is None or count is None:
                continue
            ok = _in_interval(100 * count / n, v, pub.get(f"response.{rate}.{arm}")["decimals"])
            out.append(Finding(
                "total", f"{rate.upper()} from the response rows, {arm} arm", pub.where(f"response.{rate}.{arm}"),
                f"{'PR' if rate == 'orr' else 'PR + SD'} = {count}/{n} = {100 * count / n:.1f}%", f"{v:g}%",
                "none" if ok else "medium",
                "The rate follows from the response rows (no complete response printed)." if ok else
                "The rate does not follow from the response rows.",
                [f"response.{rate}.{arm}"], not ok))
    return out


def _printing_findings(pub: _Published) -> list[Finding]:
    """A key printed twice (table and text) with different decimals or values."""
    out = []
    for e in pub.entries:
        variant = e.get("variant")
        base = pub.get(e["key"])
        if not variant or base is None or base["value"] is None:
            continue
        if e["value"] is None and e.get("bound"):
            op, limit = re.match(r"^(<=|>=|<|>)\s*([0-9.]+)$", e["bound"]).groups()
            v = float(base["value"])
            ok = {"<": v < float(limit), "<=": v <= float(limit), ">": v > float(limit), ">=": v >= float(limit)}[op]
            out.append(Finding(
                "printing", f"{e['key']}: {e['source']['where']} bound against {base['source']['where']}",
                f"{pub.where(e['key'], variant)}", f"{base['value']:g} (as in {base['source']['where']})",
                f"p {e['bound']}", "none" if ok else "medium",
                "The printed bound holds for the table's value." if ok else
                f"The text's bound p {e['bound']} does not hold for the table's {base['value']:g}.",
                [ref(e["key"], variant)], not ok))
            continue
        if e["value"] is None:
            continue
        a, da, b, db = float(base["value"]), int(base["decimals"]), float(e["value"]), int(e["decimals"])
        lo = max(printed_interval(a, da)[0], printed_interval(b, db)[0])
        hi = min(printed_interval(a, da)[1], printed_interval(b, db)[1])
        agree_round = lo < hi
        lo_t = max(printed_interval(a, da)[0], printed_interval(b, db, "truncate")[0])
        hi_t = min(printed_interval(a, da)[1], printed_interval(b, db, "truncate")[1])
        agree_trunc = lo_t < hi_t
        what = f"{e['key']}: {base['source']['where']} vs {e['source']['where']}"
        where = f"{pub.where(e['key'])}; {pub.where(e['key'], variant)}"
        headline = e["key"].startswith(("os.", "pfs."))
        if agree_round:
            sev, expl, wrong = "none", f"{b:g} and {a:g} are the same number at different precision.", False
        elif agree_trunc:
            sev, expl, wrong = "low", f"{b:g} is {a:g} truncated rather than rounded.", False
        else:
            sev = "high" if headline else "medium"
            expl = (f"The paper prints {a:.{da}f} in {base['source']['where']} and {b:.{db}f} in "
                    f"{e['source']['where']} for the same quantity; at most one can be right.")
            wrong = True
        keys = [ref(e["key"], variant), e["key"]] if wrong else [ref(e["key"], variant)]
        out.append(Finding("printing", what, where, f"{a:.{da}f} (as in {base['source']['where']})", f"{b:.{db}f}",
                           sev, expl, keys, wrong))
    return out


#: Table 2/3 p-values and the 2x2 table each comes from: p key -> (count stem, published count keys).
def _categorical_tests(pub: _Published) -> list[tuple[str, str, str]]:
    tests = []
    for e in pub.entries:
        key = e["key"]
        m = re.match(r"^baseline\.([a-z0-9_]+)\.p$", key)
        if m and e.get("variant") is None and e["value"] is not None:
            name = m.group(1)
            for row in (name, f"{name}_male", f"{name}_0_1"):
                if pub.value(f"baseline.{row}.n.treatment") is not None:
                    tests.append((key, f"baseline.{row}.n.treatment", f"baseline.{row}.n.reference"))
                    break
    for rate in ("orr", "dcr"):
        if pub.value(f"response.{rate}.p") is not None:
            tests.append((f"response.{rate}.p", f"response.{rate}.treatment", f"response.{rate}.reference"))
    return tests


def _count_of(pub: _Published, key: str, n: int) -> int | None:
    e = pub.get(key)
    if e is None or e["value"] is None:
        return None
    if e["unit"] == "count":
        return int(e["value"])
    ks = percent_attainable(float(e["value"]), n, int(e["decimals"]))
    return ks[0] if len(ks) == 1 else None


def _categorical_p_findings(pub: _Published) -> list[Finding]:
    out = []
    n1, n2 = _arm_n(pub, "treatment"), _arm_n(pub, "reference")
    for p_key, k1, k2 in _categorical_tests(pub):
        a, b = _count_of(pub, k1, n1), _count_of(pub, k2, n2)
        if a is None or b is None:
            continue
        e = pub.get(p_key)
        printed, dec = float(e["value"]), int(e["decimals"])
        r = fisher_recheck(a, n1, b, n2, printed, dec)
        what = f"{p_key}: {a}/{n1} vs {b}/{n2}"
        expected = f"Fisher {_fmt(r['fisher'], 4)}; chi-squared {_fmt(r['chi2'], 4)}; Yates {_fmt(r['yates'], 4)}"
        reported = f"{printed:.{dec}f}"
        matches = r["matches"]
        if matches["fisher"] == "rounded":
            out.append(Finding("categorical_p", what, pub.where(p_key), expected, reported, "none",
                               "Fisher's exact test on the printed counts gives the printed p.", [p_key]))
        elif matches["fisher"] == "truncated":
            out.append(Finding("categorical_p", what, pub.where(p_key), expected, reported, "low",
                               f"Fisher's exact test gives {r['fisher']:.5f}, which rounds to "
                               f"{_round_str(_frac(r['fisher']), dec)}; the paper truncated it.",
                               [p_key], True, {p_key: r["fisher"]}))
        else:
            alt = [t for t in ("chi2", "yates") if matches[t]]
            names = {"chi2": "Pearson's chi-squared test", "yates": "the chi-squared test with Yates' correction"}
            if alt:
                expl = (f"Fisher's exact test (the test the Methods name) gives {r['fisher']:.4f}; the printed "
                        f"{reported} is what {names[alt[0]]} gives, so the stated test was not the one used.")
            else:
                expl = (f"Fisher's exact test (the test the Methods name) gives {r['fisher']:.4f}, and neither "
                        f"chi-squared test gives {reported}: the printed p does not follow from the printed counts.")
            out.append(Finding("categorical_p", what, pub.where(p_key), expected, reported, "medium", expl,
                               [p_key], True, {p_key: r["fisher"]}))
    return out


def _age_findings(pub: _Published) -> list[Finding]:
    out = []
    g = {arm: (pub.get(f"baseline.age.mean.{arm}"), pub.get(f"baseline.age.sd.{arm}")) for arm in ARM_N_KEYS}
    if any(m is None or s is None for m, s in g.values()):
        return out
    n = {arm: _arm_n(pub, arm) for arm in ARM_N_KEYS}
    (mt, st), (mr, sr) = g["treatment"], g["reference"]
    md, sd_ = int(mt["decimals"]), int(st["decimals"])
    args = (mt["value"], st["value"], n["treatment"], mr["value"], sr["value"], n["reference"])
    # GRIM on each arm's mean (whole-year ages)
    for arm in ARM_N_KEYS:
        m = g[arm][0]
        sums = grim_attainable(m["value"], n[arm], int(m["decimals"]))
        out.append(Finding(
            "age", f"mean age {m['value']} of {n[arm]} whole-year ages ({arm})", pub.where(m["key"]),
            f"an integer sum S with S/{n[arm]} printing as {m['value']}",
            ", ".join(f"{s}/{n[arm]}" for s in sums) or "none",
            "none" if sums else "medium",
            "A mean of whole-year ages can be this value." if sums else
            "No sum of whole-year ages gives this mean (GRIM); ages may not be whole years, or the mean is wrong.",
            [m["key"]], not sums))
    # total from the arms
    comb = combined_mean_sd_range(*args, md, sd_)
    mtot, stot = g["total"]
    ok_m = comb["mean_min"] - 0.5 * 10**-md <= mtot["value"] <= comb["mean_max"] + 0.5 * 10**-md
    ok_s = comb["sd_min"] - 0.5 * 10**-sd_ <= stot["value"] <= comb["sd_max"] + 0.5 * 10**-sd_
    out.append(Finding(
        "age", "total mean ± SD of age from the two arms' means and SDs", pub.where(mtot["key"]),
        f"mean {comb['mean_min']:.2f}-{comb['mean_max']:.2f}, SD {comb['sd_min']:.2f}-{comb['sd_max']:.2f}",
        f"{mtot['value']} ± {stot['value']}", "none" if ok_m and ok_s else "medium",
        "The total column's mean and SD follow from the arms' (pooled with the between-arm spread)."
        if ok_m and ok_s else "The total column's mean or SD cannot come from the two arms' printed values.",
        [mtot["key"], stot["key"]], not (ok_m and ok_s)))
    # the p-value
    p_e = pub.get("baseline.age.p")
    if p_e is not None and p_e["value"] is not None:
        student = t_test_from_summary(*args, md, sd_, equal_var=True)
        welch = t_test_from_summary(*args, md, sd_, equal_var=False)
        plo, phi = printed_interval(p_e["value"], int(p_e["decimals"]))
        fits = [t for t in (student, welch) if t["p_min"] <= float(phi) and t["p_max"] >= float(plo)]
        expected = "; ".join(f"{t['test']} {t['p']:.4f} (range {t['p_min']:.3f}-{t['p_max']:.3f})" for t in (student, welch))
        out.append(Finding(
            "age", "age p-value from the printed means and SDs", pub.where(p_e["key"]),
            expected, f"{p_e['value']:.3f}", "none" if fits else "medium",
            ("The printed p is what " + " and ".join(t["test"] + "'s" for t in fits) +
             (" t-tests give" if len(fits) > 1 else " t-test gives") +
             " from the printed summaries (the Methods name no test for age).") if fits else
            "Neither Student's nor Welch's t-test gives the printed p from the printed means and SDs.",
            [p_e["key"]], not fits))
    return out


def _hr_groups(pub: _Published) -> list[tuple[str, dict]]:
    """``(prefix, {hr, ci_low, ci_high, p entries})`` for every printed HR of Table 4 (no variants)."""
    out = []
    for e in pub.entries:
        if e["key"].endswith(".hr") and e.get("variant") is None and e["unit"] == "ratio":
            prefix = e["key"][: -len(".hr")]
            parts = {s: pub.get(f"{prefix}.{s}") for s in ("hr", "ci_low", "ci_high", "p")}
            if all(v is not None and v["value"] is not None for v in parts.values()):
                out.append((prefix, parts))
    return out


def _term_label(entry: Mapping[str, Any]) -> str:
    return " ".join(str((entry.get("source") or {}).get("row", entry["key"])).split())


def _hr_findings(pub: _Published) -> list[Finding]:
    out = []
    n = _arm_n(pub, "total")
    max_events = n  # events are not printed; at most one per patient
    min_ratio = binary_term_min_ci_ratio(max_events)
    for prefix, parts in _hr_groups(pub):
        hr, lo, hi, p = (float(parts[s]["value"]) for s in ("hr", "ci_low", "ci_high", "p"))
        dec, pdec = int(parts["hr"]["decimals"]), int(parts["p"]["decimals"])
        label = _term_label(parts["hr"])
        where = pub.where(parts["hr"]["key"])
        ep = prefix.split(".")[0].upper()
        coh = hr_ci_p_coherence(hr, lo, hi, p, dec, pdec)
        shown = f"HR {hr:.2f} ({lo:.2f}-{hi:.2f}), p = {p:.{pdec}f}"
        if coh["coherent"]:
            out.append(Finding(
                "hazard_ratio", f"{ep} {label}: HR, CI and p on the log scale", where,
                f"p from the CI {coh['p_from_ci']:.3f} (range {coh['p_min']:.3f}-{coh['p_max']:.3f}); CI symmetric about log HR",
                shown, "none",
                "The p-value is the Wald p implied by the HR and its CI, and the CI is symmetric on the log scale.",
                [f"{prefix}.p"]))
        else:
            problems = []
            if not coh["hr_in_ci"]:
                problems.append("the HR lies outside its CI")
            if not coh["symmetric"]:
                problems.append(f"the CI is not symmetric about log HR (log midpoint {coh['log_midpoint']:.3f} vs log HR {math.log(hr):.3f})")
            if not coh.get("p_coherent", True):
                problems.append(f"the CI implies p = {coh['p_from_ci']:.3f} (at the printed rounding {coh['p_min']:.3f}-{coh['p_max']:.3f}), not {p:.{pdec}f}")
            out.append(Finding(
                "hazard_ratio", f"{ep} {label}: HR, CI and p on the log scale", where,
                f"p from the CI {coh['p_from_ci']:.3f} (range {coh['p_min']:.3f}-{coh['p_max']:.3f})", shown, "medium",
                "On the log scale " + "; ".join(problems) + ".",
                [f"{prefix}.p", f"{prefix}.ci_low", f"{prefix}.ci_high"], True))
        # labelled as a two-level comparison: is the CI wide enough for a 0/1 term?
        is_arm = prefix.count(".") == 1
        if re.search(r"vs\.?", label, re.IGNORECASE) or is_arm:
            h = 0.5 * 10**-dec
            ratio, ratio_max = hi / lo, (hi + h) / (lo - h)
            if ratio_max >= min_ratio:
                out.append(Finding(
                    "hazard_ratio", f"{ep} {label}: CI width of a two-level term", where,
                    f"upper/lower >= {min_ratio:.2f} (0/1 term, <= {max_events} events)", f"{ratio:.2f}", "none",
                    "The CI is wide enough for a two-level term on this many patients.", [f"{prefix}.ci_low", f"{prefix}.ci_high"]))
            elif is_arm:
                pmin = binary_term_min_p(hr, max_events, dec)
                out.append(Finding(
                    "hazard_ratio", f"{ep} {label}: CI width and p of the arm (a 0/1 term)", where,
                    f"upper/lower CI ratio >= {min_ratio:.2f}; p >= {pmin:.3f} for HR {hr:.2f}",
                    f"ratio {ratio:.2f} (at most {ratio_max:.2f} at the printed rounding); p = {p:.{pdec}f}",
                    "high",
                    f"A 0/1 term in a Cox model on {n} patients has SE(log HR) >= 2/sqrt({max_events}) = "
                    f"{binary_term_min_se(max_events):.3f}, so this CI is narrower than any such model can give and "
                    f"HR {hr:.2f} cannot reach p below {pmin:.3f}: the printed CI and p overstate the precision.",
                    [f"{prefix}.ci_low", f"{prefix}.ci_high", f"{prefix}.p"], True))
            else:
                out.append(Finding(
                    "hazard_ratio", f"{ep} {label}: label against the coding its CI implies", where,
                    f"upper/lower CI ratio >= {min_ratio:.2f} for a two-level term", f"{ratio:.2f}", "medium",
                    f"The row is labelled as a two-level comparison, but a 0/1 term on {n} patients cannot have a CI "
                    f"this narrow; the HR must be per unit (per year, per point), so the label misdescribes the coding.",
                    [f"{prefix}.hr"], False))
    return out


def _survival_findings(pub: _Published) -> list[Finding]:
    out = []
    for ep in ("pfs", "os"):
        for arm in ("treatment", "reference"):
            n = _arm_n(pub, arm)
            for variant in (None, "text-3.3"):
                e = pub.get(f"{ep}.rate_12m.{arm}", variant)
                if e is None or e["value"] is None:
                    continue
                rate, dec = float(e["value"]), int(e["decimals"])
                plain = km_rate_attainable(rate, n, dec)
                where = pub.where(e["key"], variant)
                what = f"{ep.upper()} 1-year rate {rate:.{dec}f}% on {n} patients ({arm}{', ' + variant if variant else ''})"
                if plain:
                    v = plain[0][0]
                    out.append(Finding("survival", what, where, f"k/{n} without censoring", f"{rate:g}%", "none",
                                       f"{rate:g}% is {v.numerator}/{v.denominator} ({_pct_of(v)}), a value the curve takes without censoring.",
                                       [ref(e["key"], variant)]))
                    continue
                cens = km_rate_attainable(rate, n, dec, censoring=True)
                if cens:
                    v, c = cens[0]
                    out.append(Finding(
                        "survival", what, where, f"k/{n} without censoring; products of (1 - d/n) with censoring",
                        f"{rate:g}%", "low",
                        f"No k/{n} gives {rate:.{dec}f}%; a curve with at least {c} patient{'s' if c > 1 else ''} "
                        f"censored before 12 months can "
                        f"({v.numerator}/{v.denominator} = {_pct_of(v)}), so the value is possible but implies early censoring.",
                        [ref(e["key"], variant)]))
                else:
                    out.append(Finding(
                        "survival", what, where, f"a Kaplan-Meier value on {n} patients", f"{rate:g}%", "medium",
                        f"No Kaplan-Meier curve on {n} patients, with or without censoring, takes the value {rate:g}%.",
                        [ref(e["key"], variant)], True))
            # median against the 1-year rate
            med = pub.value(f"{ep}.median.{arm}")
            for variant in (None, "text-3.3"):
                rate = pub.value(f"{ep}.rate_12m.{arm}", variant)
                if med is None or rate is None:
                    continue
                ok = (rate > 50) if med > 12 else (rate <= 50)
                out.append(Finding(
                    "survival", f"{ep.upper()} median {med:g} against the 1-year rate {rate:g}% ({arm}{', ' + variant if variant else ''})",
                    pub.where(f"{ep}.rate_12m.{arm}", variant),
                    "S(12) > 50%" if med > 12 else "S(12) <= 50%", f"{rate:g}%", "none" if ok else "medium",
                    "The 1-year rate lies on the side of 50% the median implies." if ok else
                    "A median beyond 12 months needs S(12) > 50% (and one before 12 months S(12) <= 50%); the printed pair contradicts this.",
                    [ref(f"{ep}.rate_12m.{arm}", variant)], not ok))
            # SPSS median CI symmetric
            lo, hi = pub.get(f"{ep}.median_ci_low.{arm}"), pub.get(f"{ep}.median_ci_high.{arm}")
            if med is not None and lo is not None and hi is not None:
                s = median_ci_symmetric(med, lo["value"], hi["value"], int(lo["decimals"]))
                out.append(Finding(
                    "survival", f"{ep.upper()} median {med:g} ({lo['value']:g}-{hi['value']:g}): symmetric CI ({arm})",
                    pub.where(lo["key"]), f"midpoint {med:g} (SPSS: median ± 1.96 SE)",
                    f"midpoint {s['midpoint']:.2f}", "none" if s["symmetric"] else "medium",
                    "The CI is symmetric about the median, as SPSS computes it." if s["symmetric"] else
                    f"SPSS (the stated software) gives median ± 1.96 SE, but this CI is centred on {s['midpoint']:.2f}, "
                    f"not {med:g}: a limit is misprinted or another method was used.",
                    [lo["key"], hi["key"]], not s["symmetric"]))
        # log-rank p against the medians (approximate)
        mt, mr, lr = pub.value(f"{ep}.median.treatment"), pub.value(f"{ep}.median.reference"), pub.value(f"{ep}.logrank.p")
        if None not in (mt, mr, lr):
            nt, nr = _arm_n(pub, "treatment"), _arm_n(pub, "reference")
            bound = logrank_p_bound_from_medians(mt, mr, nt, nr)
            plausible = lr >= bound / 2
            out.append(Finding(
                "survival", f"{ep.upper()} log-rank p against the medians {mt:g} vs {mr:g}", pub.where(f"{ep}.logrank.p"),
                f"p >= {bound:.3f} if both curves were exponential (every patient an event)", f"{lr:.3f}",
                "none" if plausible else "low",
                "The p-value is of the size the medians suggest." if plausible else
                f"Exponential curves with these medians would give p of at least {bound:.2f} even if every patient had an "
                f"event; {lr:.3f} needs curves that separate far more than their medians do (not decidable from the "
                f"paper: the event counts are not printed).",
                [f"{ep}.logrank.p"], False))
    return out


#: Statements of the text that the tables can check. ``check`` is evaluated on the published values.
TEXT_CLAIMS = [
    {
        "where": "Section 3.1",
        "quote": "No significant differences were observed in the baseline characteristics between the two treatment groups.",
        "kind": "all_p_at_least", "keys_pattern": r"^baseline\.[a-z0-9_]+\.p$", "alpha": 0.05, "severity": "medium",
    },
    {
        "where": "Section 3.1",
        "quote": "The ICIs + Chemo group included a higher proportion of patients aged over 65 years and with a history of smoking",
        "kind": "treatment_higher", "rows": ["age_ge65", "smoking"], "severity": "low",
    },
    {
        "where": "Section 3.1",
        "quote": "this group also had a higher prevalence of lung, liver, and brain metastases at diagnosis",
        "kind": "treatment_higher", "rows": ["met_intrapulmonary", "met_liver", "met_brain"], "severity": "low",
    },
    {
        "where": "Abstract; Section 3.3",
        "quote": "the ICIs + Chemo group reduced the risk of progression by 49% (HR = 0.51 ...)",
        "kind": "reduction_is_one_minus_hr", "key": "pfs.cox_multivariable.hr", "percent": 49, "severity": "low",
    },
    {
        "where": "Abstract; Section 3.3",
        "quote": "... and death by 45% (HR = 0.55; 95% CI, 0.30-1.01; p=0.054)",
        "kind": "reduction_is_one_minus_hr", "key": "os.cox_multivariable.hr", "percent": 45, "severity": "low",
    },
    {
        "where": "Section 3.3",
        "quote": "Only ECOG PS score (0–1 vs ≥2) was identified as an independent prognostic factor for PFS (HR = 1.48 ...), "
                 "indicating that patients with better performance status had a significantly more favorable prognosis.",
        "kind": "hr_below_one", "key": "pfs.cox_multivariable.ecog.hr", "severity": "high",
    },
]


def _claim_findings(pub: _Published) -> list[Finding]:
    out = []
    for claim in TEXT_CLAIMS:
        kind = claim["kind"]
        quote = claim["quote"]
        if kind == "all_p_at_least":
            rx = re.compile(claim["keys_pattern"])
            low = [(e["key"], e["value"]) for e in pub.entries
                   if rx.match(e["key"]) and e["value"] is not None and e["value"] < claim["alpha"]]
            ok = not low
            out.append(Finding(
                "text", f'"{quote}"', claim["where"], f"every baseline p >= {claim['alpha']:g}",
                ", ".join(f"{k} = {v:g}" for k, v in low) or "none below", "none" if ok else claim["severity"],
                "The baseline table has no p below the level." if ok else
                f"Table 2 prints {', '.join(f'p = {v:g}' for _, v in low)} for {', '.join(k.split('.')[1] for k, _ in low)}, "
                f"below {claim['alpha']:g}, so the text's claim of no significant difference is contradicted by its own table.",
                [k for k, _ in low], False))
        elif kind == "treatment_higher":
            for row in claim["rows"]:
                t, r = pub.value(f"baseline.{row}.pct.treatment"), pub.value(f"baseline.{row}.pct.reference")
                if t is None or r is None:
                    continue
                ok = t > r
                out.append(Finding(
                    "text", f'"{quote}" ({row})', claim["where"], "ICIs + Chemo % > Chemo %", f"{t:g}% vs {r:g}%",
                    "none" if ok else claim["severity"],
                    "Table 2 agrees with the text." if ok else
                    f"Table 2 gives {t:g}% in ICIs + Chemo against {r:g}% in Chemo: lower, not higher as the text says.",
                    [f"baseline.{row}.pct.treatment", f"baseline.{row}.pct.reference"], False))
        elif kind == "reduction_is_one_minus_hr":
            e = pub.get(claim["key"])
            if e is None or e["value"] is None:
                continue
            implied = 100 * (1 - float(e["value"]))
            ok = abs(implied - claim["percent"]) <= 0.5 + 100 * 0.5 * 10 ** -int(e["decimals"])
            out.append(Finding(
                "text", f'"{quote}"', claim["where"], f"1 - HR = {implied:.0f}%", f"{claim['percent']}%",
                "none" if ok else claim["severity"],
                f"The risk reduction in the text is 1 - HR ({implied:.0f}%)." if ok else
                f"1 - HR is {implied:.0f}%, not the {claim['percent']}% the text states.",
                [claim["key"]], False))
        elif kind == "hr_below_one":
            e = pub.get(claim["key"])
            if e is None:
                continue
            label = _term_label(e)
            ok = e["value"] < 1
            out.append(Finding(
                "text", f'"{quote}"', f"{claim['where']}; {pub.where(claim['key'])}",
                f"HR < 1 for '{label}' if better PS means better prognosis", f"HR {e['value']:.2f}",
                "none" if ok else claim["severity"],
                "The direction of the HR agrees with the text." if ok else
                f"As labelled ('{label}'), HR {e['value']:.2f} > 1 means the better performance status has the higher "
                f"hazard, the opposite of the text; only a per-point coding (higher ECOG = worse) fits both.",
                [claim["key"]], False))
    return out


def _model_size_findings(pub: _Published) -> list[Finding]:
    out = []
    n = _arm_n(pub, "total")
    for ep in ("pfs", "os"):
        terms = [prefix for prefix, _ in _hr_groups(pub) if prefix.startswith(f"{ep}.cox_multivariable")]
        if not terms:
            continue
        epv = events_per_variable(n, len(terms))
        out.append(Finding(
            "model_size", f"{ep.upper()} multivariable Cox model: events per variable", "Table 4",
            ">= 10 (Peduzzi et al. 1995); >= 5 at the least (Vittinghoff and McCulloch 2007)",
            f"{len(terms)} terms, events not printed (<= {n}): EPV <= {epv:.2f}", "high",
            f"With at most {n} events for {len(terms)} terms (at most {epv:.1f} per term), the model is far beyond what "
            f"the data support: its estimates are biased away from 1 and its CIs unreliable.",
            [f"{t}.hr" for t in terms], False))
    return out


def paper_consistency(published: Sequence[Mapping[str, Any]] | None = None) -> list[Finding]:
    """Every consistency check of the paper, one :class:`Finding` each (ids ``C001`` ...).

    ``published`` is the list of entries of ``data/published.yaml`` (default:
    :func:`lcnec_utils.published.load_published`).
    """
    if published is None:
        from .published import load_published

        published = load_published()
    pub = _Published(published)
    findings: list[Finding] = []
    for make in (_percent_findings, _precision_findings, _total_findings, _printing_findings, _categorical_p_findings,
                 _age_findings, _hr_findings, _survival_findings, _claim_findings, _model_size_findings):
        findings.extend(make(pub))
    order = {c: i for i, c in enumerate(CHECKS)}
    findings.sort(key=lambda f: order.get(f.check, 99))
    for i, f in enumerate(findings, start=1):
        f.id = f"C{i:03d}"
    return findings


def impugned_keys(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Keys whose printed value a finding shows cannot be right: ``{key: [findings]}``."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        if f.paper_wrong:
            for k in f.keys:
                out.setdefault(k, []).append(f)
    return out
