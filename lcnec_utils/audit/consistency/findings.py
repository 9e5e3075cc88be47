"""What a consistency check of the paper reports: a :class:`Finding`, its severity, and the kinds of check."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: Severity of a finding, most serious first. ``high``: a headline result or a
#: conclusion is affected; ``medium``: a printed number cannot be right (or
#: does not follow from the stated method) but no conclusion hinges on it;
#: ``low``: presentation (truncation, precision, wording); ``none``: consistent.
SEVERITIES = ("high", "medium", "low", "none")


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


def ref(key: str, variant: str | None = None) -> str:
    """How a finding names one printing: ``key`` (the table's) or ``key@variant``."""
    return f"{key}@{variant}" if variant else key
