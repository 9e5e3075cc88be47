"""The landing page's headline numbers: the book's value beside the paper's.

A join on the results keys (``docs/spec/results-keys.md``) between the
build's ``results.json`` and ``data/published.yaml``; the full
number-by-number comparison is the audit chapter's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from lcnec_utils.stats.format import format_value

#: (results key, what it is, format, factor applied to the published value
#: to put it on the results.json scale: percent -> proportion)
HEADLINES: tuple[tuple[str, str, str, float], ...] = (
    ("pfs.median.treatment", "Median PFS, treatment arm (months)", "{:.1f}", 1),
    ("pfs.median.reference", "Median PFS, reference arm (months)", "{:.1f}", 1),
    ("pfs.logrank.p", "PFS log-rank p", "p", 1),
    ("pfs.cox_multivariable.hr", "PFS hazard ratio, multivariable", "{:.2f}", 1),
    ("os.median.treatment", "Median OS, treatment arm (months)", "{:.1f}", 1),
    ("os.median.reference", "Median OS, reference arm (months)", "{:.1f}", 1),
    ("os.logrank.p", "OS log-rank p", "p", 1),
    ("os.cox_multivariable.hr", "OS hazard ratio, multivariable", "{:.2f}", 1),
    ("response.orr.treatment", "Objective response, treatment arm", "pct", 0.01),
    ("response.orr.reference", "Objective response, reference arm", "pct", 0.01),
    ("response.dcr.treatment", "Disease control, treatment arm", "pct", 0.01),
    ("response.dcr.reference", "Disease control, reference arm", "pct", 0.01),
    ("followup.median", "Median follow-up (months)", "{:.1f}", 1),
)


def headline_table(results: Mapping[str, Any], published: Mapping[str, Any]) -> pd.DataFrame:
    """One row per headline number: label, the paper's value, this build's value (as text)."""
    rows = []
    for key, label, fmt, factor in HEADLINES:
        paper = published.get(key)
        rows.append(
            {
                "Quantity": label,
                "Published study": format_value(
                    None if paper is None else paper * factor, fmt, "not reported"
                ),
                "This book": format_value(results.get(key), fmt, "not available"),
            }
        )
    return pd.DataFrame(rows)
