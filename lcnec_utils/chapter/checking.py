"""The audit chapter's prose numbers, from the audit of the build's results (``audit.build_audit``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lcnec_utils.contract.published import study_description
from lcnec_utils.stats.attainable import binary_term_min_ci_ratio, binary_term_min_se
from lcnec_utils.stats.format import format_count


def audit_glue(report: Mapping[str, Any]) -> dict[str, tuple]:
    """How many published numbers were reproduced, within rounding or tolerance, or not; the
    consistency findings by severity; the verdict (a count with its noun and verb in the number it
    takes: "1 reproduced number is", "2 reproduced numbers are"); and, for the paper's own cohort size, the
    smallest standard error and CI ratio a binary Cox term can have (:mod:`lcnec_utils.stats.attainable`)."""
    summary = report["summary"]
    counts, severities = summary["status_counts"], summary["severity_counts"]
    glue: dict[str, tuple] = {
        "n_published": (summary["published_numbers"], "{}"),
        "n_published_numbers": (summary["published_numbers"], "count:number"),
    }
    for status, n in counts.items():
        glue["n_" + status.replace(" ", "_")] = (n, "{}")
    glue["n_agree"] = (counts["reproduced"] + counts["within rounding"] + counts["within tolerance"], "{}")
    glue["n_checks"] = (summary["consistency_checks"], "{}")
    glue["n_checks_counted"] = (summary["consistency_checks"], "count:check")
    for level, n in severities.items():
        glue["sev_" + level] = (n, "{}")
    glue["n_problems"] = (sum(n for level, n in severities.items() if level != "none"), "{}")
    glue["scope"] = (summary["scope"], "{}")
    out = summary["out_of_tolerance"]
    glue["verdict"] = (
        "no reproduced number is outside its tolerance"
        if not out
        else format_count(
            len(out),
            "reproduced number is outside its tolerance",
            "reproduced numbers are outside their tolerance",
        )
        + f" ({', '.join(out)})",
        "{}",
    )
    glue["n_high"] = (sum(1 for f in report["consistency"] if f["severity"] == "high"), "{}")
    study_n = study_description()["n"]
    for arm in ("total", "treatment", "reference"):
        glue[f"paper_n_{arm}"] = (study_n[arm], "{}")
    glue["min_se"] = (binary_term_min_se(study_n["total"]), "{:.2f}")
    glue["min_ratio"] = (binary_term_min_ci_ratio(study_n["total"]), "{:.2f}")
    return glue
