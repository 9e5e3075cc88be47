from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

#: Severity of a finding, most serious first. ``high``: a headline result or a
#: conclusion is affected; ``medium``: a printed number cannot be right (or
#: does not follow from the stated method) but no conclusion hinges on it;
#: ``low``: presentation (truncation, precision, wording); ``none``: consistent.
SEVERITIES = ("high", "medium", "low", "none")


ARM_N_KEYS = {"total": "n.total", "treatment": "n.treatment", "reference": "n.reference"}


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
