"""Survival numbers: Kaplan-Meier rates a small arm can reach, SPSS's symmetric median CI, log-rank p against medians."""

from __future__ import annotations

import math
from fractions import Fraction

from scipy import stats

from lcnec_utils.audit.consistency.findings import Finding, ref
from lcnec_utils.audit.consistency.published_index import PublishedIndex
from lcnec_utils.stats.attainable import km_rate_attainable


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


def _pct_of(v: Fraction) -> str:
    return f"{float(v) * 100:.2f}%"


def survival_findings(pub: PublishedIndex) -> list[Finding]:
    """Per endpoint and arm: each 1-year rate against the values a Kaplan-Meier curve on the
    arm can take, the median against the 1-year rate, SPSS's symmetric median CI; per endpoint
    the log-rank p against the medians."""
    out = []
    for ep in ("pfs", "os"):
        for arm in ("treatment", "reference"):
            for variant in (None, "text-3.3"):
                out += _rate_finding(pub, ep, arm, variant)
            for variant in (None, "text-3.3"):
                out += _median_against_rate_finding(pub, ep, arm, variant)
            out += _median_ci_finding(pub, ep, arm)
        out += _logrank_finding(pub, ep)
    return out


def _rate_finding(pub: PublishedIndex, ep: str, arm: str, variant: str | None) -> list[Finding]:
    """A printed 1-year rate: a value k/n, a value only a censored curve takes, or none at all."""
    e = pub.get(f"{ep}.rate_12m.{arm}", variant)
    if e is None or e["value"] is None:
        return []
    n = pub.arm_n(arm)
    rate, dec = float(e["value"]), int(e["decimals"])
    where = pub.where(e["key"], variant)
    what = (
        f"{ep.upper()} 1-year rate {rate:.{dec}f}% on {n} patients ({arm}{', ' + variant if variant else ''})"
    )
    plain = km_rate_attainable(rate, n, dec)
    if plain:
        v = plain[0][0]
        return [
            Finding(
                "survival",
                what,
                where,
                f"k/{n} without censoring",
                f"{rate:g}%",
                "none",
                f"{rate:g}% is {v.numerator}/{v.denominator} ({_pct_of(v)}), a value the curve takes without censoring.",
                [ref(e["key"], variant)],
            )
        ]
    cens = km_rate_attainable(rate, n, dec, censoring=True)
    if cens:
        v, c = cens[0]
        return [
            Finding(
                "survival",
                what,
                where,
                f"k/{n} without censoring; products of (1 - d/n) with censoring",
                f"{rate:g}%",
                "low",
                f"No k/{n} gives {rate:.{dec}f}%; a curve with at least {c} patient{'s' if c > 1 else ''} "
                f"censored before 12 months can "
                f"({v.numerator}/{v.denominator} = {_pct_of(v)}), so the value is possible but implies early censoring.",
                [ref(e["key"], variant)],
            )
        ]
    return [
        Finding(
            "survival",
            what,
            where,
            f"a Kaplan-Meier value on {n} patients",
            f"{rate:g}%",
            "medium",
            f"No Kaplan-Meier curve on {n} patients, with or without censoring, takes the value {rate:g}%.",
            [ref(e["key"], variant)],
            True,
        )
    ]


def _median_against_rate_finding(
    pub: PublishedIndex, ep: str, arm: str, variant: str | None
) -> list[Finding]:
    """The median against the 1-year rate: a median beyond 12 months needs S(12) > 50%."""
    med = pub.value(f"{ep}.median.{arm}")
    rate = pub.value(f"{ep}.rate_12m.{arm}", variant)
    if med is None or rate is None:
        return []
    ok = (rate > 50) if med > 12 else (rate <= 50)
    return [
        Finding(
            "survival",
            f"{ep.upper()} median {med:g} against the 1-year rate {rate:g}% ({arm}{', ' + variant if variant else ''})",
            pub.where(f"{ep}.rate_12m.{arm}", variant),
            "S(12) > 50%" if med > 12 else "S(12) <= 50%",
            f"{rate:g}%",
            "none" if ok else "medium",
            "The 1-year rate lies on the side of 50% the median implies."
            if ok
            else "A median beyond 12 months needs S(12) > 50% (and one before 12 months S(12) <= 50%); the printed pair contradicts this.",
            [ref(f"{ep}.rate_12m.{arm}", variant)],
            not ok,
        )
    ]


def _median_ci_finding(pub: PublishedIndex, ep: str, arm: str) -> list[Finding]:
    """The median's CI against SPSS's, which is symmetric about the median."""
    med = pub.value(f"{ep}.median.{arm}")
    lo, hi = pub.get(f"{ep}.median_ci_low.{arm}"), pub.get(f"{ep}.median_ci_high.{arm}")
    if med is None or lo is None or hi is None:
        return []
    s = median_ci_symmetric(med, lo["value"], hi["value"], int(lo["decimals"]))
    return [
        Finding(
            "survival",
            f"{ep.upper()} median {med:g} ({lo['value']:g}-{hi['value']:g}): symmetric CI ({arm})",
            pub.where(lo["key"]),
            f"midpoint {med:g} (SPSS: median ± 1.96 SE)",
            f"midpoint {s['midpoint']:.2f}",
            "none" if s["symmetric"] else "medium",
            "The CI is symmetric about the median, as SPSS computes it."
            if s["symmetric"]
            else f"SPSS (the stated software) gives median ± 1.96 SE, but this CI is centred on {s['midpoint']:.2f}, "
            f"not {med:g}: a limit is misprinted or another method was used.",
            [lo["key"], hi["key"]],
            not s["symmetric"],
        )
    ]


def _logrank_finding(pub: PublishedIndex, ep: str) -> list[Finding]:
    """The log-rank p against the smallest p exponential curves with the printed medians give
    (an approximation: the event counts are not printed)."""
    mt, mr, lr = (
        pub.value(f"{ep}.median.treatment"),
        pub.value(f"{ep}.median.reference"),
        pub.value(f"{ep}.logrank.p"),
    )
    if None in (mt, mr, lr):
        return []
    bound = logrank_p_bound_from_medians(mt, mr, pub.arm_n("treatment"), pub.arm_n("reference"))
    plausible = lr >= bound / 2
    return [
        Finding(
            "survival",
            f"{ep.upper()} log-rank p against the medians {mt:g} vs {mr:g}",
            pub.where(f"{ep}.logrank.p"),
            f"p >= {bound:.3f} if both curves were exponential (every patient an event)",
            f"{lr:.3f}",
            "none" if plausible else "low",
            "The p-value is of the size the medians suggest."
            if plausible
            else f"Exponential curves with these medians would give p of at least {bound:.2f} even if every patient had an "
            f"event; {lr:.3f} needs curves that separate far more than their medians do (not decidable from the "
            f"paper: the event counts are not printed).",
            [f"{ep}.logrank.p"],
            False,
        )
    ]
