"""Sentences of the paper's text checked against its own tables."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lcnec_utils.audit.consistency.findings import Finding
from lcnec_utils.audit.consistency.published_index import PublishedIndex, row_label

#: Statements of the text that the tables can check; ``kind`` names the check applied to the published values.
TEXT_CLAIMS = [
    {
        "where": "Section 3.1",
        "quote": "No significant differences were observed in the baseline characteristics between the two treatment groups.",
        "kind": "all_p_at_least",
        "keys_pattern": r"^baseline\.[a-z0-9_]+\.p$",
        "alpha": 0.05,
        "severity": "medium",
    },
    {
        "where": "Section 3.1",
        "quote": "The ICIs + Chemo group included a higher proportion of patients aged over 65 years and with a history of smoking",
        "kind": "treatment_higher",
        "rows": ["age_ge65", "smoking"],
        "severity": "low",
    },
    {
        "where": "Section 3.1",
        "quote": "this group also had a higher prevalence of lung, liver, and brain metastases at diagnosis",
        "kind": "treatment_higher",
        "rows": ["met_intrapulmonary", "met_liver", "met_brain"],
        "severity": "low",
    },
    {
        "where": "Abstract; Section 3.3",
        "quote": "the ICIs + Chemo group reduced the risk of progression by 49% (HR = 0.51 ...)",
        "kind": "reduction_is_one_minus_hr",
        "key": "pfs.cox_multivariable.hr",
        "percent": 49,
        "severity": "low",
    },
    {
        "where": "Abstract; Section 3.3",
        "quote": "... and death by 45% (HR = 0.55; 95% CI, 0.30-1.01; p=0.054)",
        "kind": "reduction_is_one_minus_hr",
        "key": "os.cox_multivariable.hr",
        "percent": 45,
        "severity": "low",
    },
    {
        "where": "Section 3.3",
        "quote": "Only ECOG PS score (0–1 vs ≥2) was identified as an independent prognostic factor for PFS (HR = 1.48 ...), "
        "indicating that patients with better performance status had a significantly more favorable prognosis.",
        "kind": "hr_below_one",
        "key": "pfs.cox_multivariable.ecog.hr",
        "severity": "high",
    },
]


def claim_findings(pub: PublishedIndex) -> list[Finding]:
    """Each statement of :data:`TEXT_CLAIMS` checked against the printed values."""
    out = []
    for claim in TEXT_CLAIMS:
        out.extend(_CLAIM_CHECKS[claim["kind"]](pub, claim))
    return out


def _all_p_at_least(pub: PublishedIndex, claim: dict[str, Any]) -> list[Finding]:
    """ "No significant differences": every p matching ``keys_pattern`` at least ``alpha``."""
    rx = re.compile(claim["keys_pattern"])
    low = [
        (e["key"], e["value"])
        for e in pub.entries
        if rx.match(e["key"]) and e["value"] is not None and e["value"] < claim["alpha"]
    ]
    ok = not low
    return [
        Finding(
            "text",
            f'"{claim["quote"]}"',
            claim["where"],
            f"every baseline p >= {claim['alpha']:g}",
            ", ".join(f"{k} = {v:g}" for k, v in low) or "none below",
            "none" if ok else claim["severity"],
            "The baseline table has no p below the level."
            if ok
            else f"Table 2 prints {', '.join(f'p = {v:g}' for _, v in low)} for {', '.join(k.split('.')[1] for k, _ in low)}, "
            f"below {claim['alpha']:g}, so the text's claim of no significant difference is contradicted by its own table.",
            [k for k, _ in low],
            False,
        )
    ]


def _treatment_higher(pub: PublishedIndex, claim: dict[str, Any]) -> list[Finding]:
    """ "A higher proportion in the ICIs + Chemo group": each row's treatment % above the reference %."""
    out = []
    for row in claim["rows"]:
        t, r = pub.value(f"baseline.{row}.pct.treatment"), pub.value(f"baseline.{row}.pct.reference")
        if t is None or r is None:
            continue
        ok = t > r
        out.append(
            Finding(
                "text",
                f'"{claim["quote"]}" ({row})',
                claim["where"],
                "ICIs + Chemo % > Chemo %",
                f"{t:g}% vs {r:g}%",
                "none" if ok else claim["severity"],
                "Table 2 agrees with the text."
                if ok
                else f"Table 2 gives {t:g}% in ICIs + Chemo against {r:g}% in Chemo: lower, not higher as the text says.",
                [f"baseline.{row}.pct.treatment", f"baseline.{row}.pct.reference"],
                False,
            )
        )
    return out


def _reduction_is_one_minus_hr(pub: PublishedIndex, claim: dict[str, Any]) -> list[Finding]:
    """ "Reduced the risk by X%": X against 1 - HR at the printed rounding."""
    e = pub.get(claim["key"])
    if e is None or e["value"] is None:
        return []
    implied = 100 * (1 - float(e["value"]))
    ok = abs(implied - claim["percent"]) <= 0.5 + 100 * 0.5 * 10 ** -int(e["decimals"])
    return [
        Finding(
            "text",
            f'"{claim["quote"]}"',
            claim["where"],
            f"1 - HR = {implied:.0f}%",
            f"{claim['percent']}%",
            "none" if ok else claim["severity"],
            f"The risk reduction in the text is 1 - HR ({implied:.0f}%)."
            if ok
            else f"1 - HR is {implied:.0f}%, not the {claim['percent']}% the text states.",
            [claim["key"]],
            False,
        )
    ]


def _hr_below_one(pub: PublishedIndex, claim: dict[str, Any]) -> list[Finding]:
    """ "Better performance status, better prognosis": the HR of the term as labelled below 1."""
    e = pub.get(claim["key"])
    if e is None:
        return []
    label = row_label(e)
    ok = e["value"] < 1
    return [
        Finding(
            "text",
            f'"{claim["quote"]}"',
            f"{claim['where']}; {pub.where(claim['key'])}",
            f"HR < 1 for '{label}' if better PS means better prognosis",
            f"HR {e['value']:.2f}",
            "none" if ok else claim["severity"],
            "The direction of the HR agrees with the text."
            if ok
            else f"As labelled ('{label}'), HR {e['value']:.2f} > 1 means the better performance status has the higher "
            f"hazard, the opposite of the text; only a per-point coding (higher ECOG = worse) fits both.",
            [claim["key"]],
            False,
        )
    ]


_CLAIM_CHECKS: dict[str, Callable[[PublishedIndex, dict[str, Any]], list[Finding]]] = {
    "all_p_at_least": _all_p_at_least,
    "treatment_higher": _treatment_higher,
    "reduction_is_one_minus_hr": _reduction_is_one_minus_hr,
    "hr_below_one": _hr_below_one,
}
