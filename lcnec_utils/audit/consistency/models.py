"""Table 4's Cox models: a hazard ratio, its CI and p on one log scale; model size against events."""

from __future__ import annotations

import itertools
import math
import re

from scipy import stats

from lcnec_utils.audit.consistency.findings import Finding
from lcnec_utils.audit.consistency.published_index import PublishedIndex, row_label
from lcnec_utils.stats.attainable import (
    binary_term_min_ci_ratio,
    binary_term_min_p,
    binary_term_min_se,
    events_per_variable,
)
from lcnec_utils.stats.format import format_hr_ci
from lcnec_utils.stats.normal import wald_p
from lcnec_utils.stats.rounding import printed_interval


def hr_ci_p_coherence(
    hr: float,
    ci_low: float,
    ci_high: float,
    p: float | None = None,
    decimals: int = 2,
    p_decimals: int = 3,
    level: float = 0.95,
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
    p_ci = wald_p(math.log(hr), se)
    ps = []
    for a, lo, hi in itertools.product(
        (hr - h, hr + h), (ci_low - h, ci_low + h), (ci_high - h, ci_high + h)
    ):
        if lo <= 0 or hi <= lo or a <= 0:
            continue
        ps.append(wald_p(math.log(a), (math.log(hi) - math.log(lo)) / (2 * z)))
    p_min, p_max = min(ps), max(ps)
    if hr - h <= 1 <= hr + h:
        p_max = 1.0
    mid_lo = (math.log(max(ci_low - h, 1e-12)) + math.log(ci_high - h)) / 2
    mid_hi = (math.log(ci_low + h) + math.log(ci_high + h)) / 2
    symmetric = math.log(max(hr - h, 1e-12)) <= mid_hi and math.log(hr + h) >= mid_lo
    out = {
        "se": se,
        "z": math.log(hr) / se,
        "p_from_ci": p_ci,
        "p_min": p_min,
        "p_max": p_max,
        "symmetric": symmetric,
        "log_midpoint": (math.log(ci_low) + math.log(ci_high)) / 2,
        "hr_in_ci": ci_low <= hr <= ci_high,
    }
    if p is not None:
        plo, phi = printed_interval(p, p_decimals)
        out["p_coherent"] = float(plo) <= p_max and float(phi) >= p_min
        out["coherent"] = out["p_coherent"] and symmetric and out["hr_in_ci"]
    return out


def _hr_groups(pub: PublishedIndex) -> list[tuple[str, dict]]:
    """``(prefix, {hr, ci_low, ci_high, p entries})`` for every printed HR of Table 4 (no variants)."""
    out = []
    for e in pub.entries:
        if e["key"].endswith(".hr") and e.get("variant") is None and e["unit"] == "ratio":
            prefix = e["key"][: -len(".hr")]
            parts = {s: pub.get(f"{prefix}.{s}") for s in ("hr", "ci_low", "ci_high", "p")}
            if all(v is not None and v["value"] is not None for v in parts.values()):
                out.append((prefix, parts))
    return out


def hr_findings(pub: PublishedIndex) -> list[Finding]:
    """Each printed HR with its CI and p: coherent on the log scale, and for a two-level term
    (or the arm) a CI no narrower than a 0/1 term on this many patients allows."""
    out = []
    n = pub.arm_n("total")
    for prefix, parts in _hr_groups(pub):
        label = row_label(parts["hr"])
        out.append(_coherence_finding(pub, prefix, parts, label))
        # labelled as a two-level comparison: is the CI wide enough for a 0/1 term?
        is_arm = prefix.count(".") == 1
        if re.search(r"vs\.?", label, re.IGNORECASE) or is_arm:
            out.append(_two_level_finding(pub, prefix, parts, label, n, is_arm))
    return out


def _coherence_finding(pub: PublishedIndex, prefix: str, parts: dict, label: str) -> Finding:
    """The HR, its CI and p against one another on the log scale (:func:`hr_ci_p_coherence`)."""
    hr, lo, hi, p = (float(parts[s]["value"]) for s in ("hr", "ci_low", "ci_high", "p"))
    dec, pdec = int(parts["hr"]["decimals"]), int(parts["p"]["decimals"])
    where = pub.where(parts["hr"]["key"])
    what = f"{prefix.split('.')[0].upper()} {label}: HR, CI and p on the log scale"
    coh = hr_ci_p_coherence(hr, lo, hi, p, dec, pdec)
    shown = f"HR {format_hr_ci(hr, lo, hi)}, p = {p:.{pdec}f}"
    p_range = f"p from the CI {coh['p_from_ci']:.3f} (range {coh['p_min']:.3f}-{coh['p_max']:.3f})"
    if coh["coherent"]:
        return Finding(
            "hazard_ratio",
            what,
            where,
            f"{p_range}; CI symmetric about log HR",
            shown,
            "none",
            "The p-value is the Wald p implied by the HR and its CI, and the CI is symmetric on the log scale.",
            [f"{prefix}.p"],
        )
    problems = []
    if not coh["hr_in_ci"]:
        problems.append("the HR lies outside its CI")
    if not coh["symmetric"]:
        problems.append(
            f"the CI is not symmetric about log HR (log midpoint {coh['log_midpoint']:.3f} vs log HR {math.log(hr):.3f})"
        )
    if not coh.get("p_coherent", True):
        problems.append(
            f"the CI implies p = {coh['p_from_ci']:.3f} (at the printed rounding {coh['p_min']:.3f}-{coh['p_max']:.3f}), not {p:.{pdec}f}"
        )
    return Finding(
        "hazard_ratio",
        what,
        where,
        p_range,
        shown,
        "medium",
        "On the log scale " + "; ".join(problems) + ".",
        [f"{prefix}.p", f"{prefix}.ci_low", f"{prefix}.ci_high"],
        True,
    )


def _two_level_finding(
    pub: PublishedIndex, prefix: str, parts: dict, label: str, n: int, is_arm: bool
) -> Finding:
    """The CI of a term labelled as a two-level comparison against the narrowest a 0/1 term on
    ``n`` patients (at most ``n`` events) can have: fine, the arm's overstated precision, or a
    label that misdescribes a per-unit coding."""
    hr, lo, hi, p = (float(parts[s]["value"]) for s in ("hr", "ci_low", "ci_high", "p"))
    dec, pdec = int(parts["hr"]["decimals"]), int(parts["p"]["decimals"])
    where = pub.where(parts["hr"]["key"])
    ep = prefix.split(".")[0].upper()
    max_events = n  # events are not printed; at most one per patient
    min_ratio = binary_term_min_ci_ratio(max_events)
    h = 0.5 * 10**-dec
    ratio, ratio_max = hi / lo, (hi + h) / (lo - h)
    if ratio_max >= min_ratio:
        return Finding(
            "hazard_ratio",
            f"{ep} {label}: CI width of a two-level term",
            where,
            f"upper/lower >= {min_ratio:.2f} (0/1 term, <= {max_events} events)",
            f"{ratio:.2f}",
            "none",
            "The CI is wide enough for a two-level term on this many patients.",
            [f"{prefix}.ci_low", f"{prefix}.ci_high"],
        )
    if is_arm:
        pmin = binary_term_min_p(hr, max_events, dec)
        return Finding(
            "hazard_ratio",
            f"{ep} {label}: CI width and p of the arm (a 0/1 term)",
            where,
            f"upper/lower CI ratio >= {min_ratio:.2f}; p >= {pmin:.3f} for HR {hr:.2f}",
            f"ratio {ratio:.2f} (at most {ratio_max:.2f} at the printed rounding); p = {p:.{pdec}f}",
            "high",
            f"A 0/1 term in a Cox model on {n} patients has SE(log HR) >= 2/sqrt({max_events}) = "
            f"{binary_term_min_se(max_events):.3f}, so this CI is narrower than any such model can give and "
            f"HR {hr:.2f} cannot reach p below {pmin:.3f}: the printed CI and p overstate the precision.",
            [f"{prefix}.ci_low", f"{prefix}.ci_high", f"{prefix}.p"],
            True,
        )
    return Finding(
        "hazard_ratio",
        f"{ep} {label}: label against the coding its CI implies",
        where,
        f"upper/lower CI ratio >= {min_ratio:.2f} for a two-level term",
        f"{ratio:.2f}",
        "medium",
        f"The row is labelled as a two-level comparison, but a 0/1 term on {n} patients cannot have a CI "
        f"this narrow; the HR must be per unit (per year, per point), so the label misdescribes the coding.",
        [f"{prefix}.hr"],
        False,
    )


def model_size_findings(pub: PublishedIndex) -> list[Finding]:
    """Events per variable of each multivariable model, with the events bounded by the patients."""
    out = []
    n = pub.arm_n("total")
    for ep in ("pfs", "os"):
        terms = [prefix for prefix, _ in _hr_groups(pub) if prefix.startswith(f"{ep}.cox_multivariable")]
        if not terms:
            continue
        epv = events_per_variable(n, len(terms))
        out.append(
            Finding(
                "model_size",
                f"{ep.upper()} multivariable Cox model: events per variable",
                "Table 4",
                ">= 10 (Peduzzi et al. 1995); >= 5 (the book's reading of Vittinghoff and McCulloch 2007, who found problems uncommon at 5-9)",
                f"{len(terms)} terms, events not printed (<= {n}): EPV <= {epv:.2f}",
                "high",
                f"With at most {n} events for {len(terms)} terms (at most {epv:.1f} events per variable), the model is far beyond what "
                f"the data support: its estimates may be biased and its CIs unreliable.",
                [f"{t}.hr" for t in terms],
                False,
            )
        )
    return out
