"""The published paper's internal consistency, recomputed from its own printed numbers, by kind of check.

Counts and percentages, recomputed tests, Cox models, survival numbers, text claims; :func:`paper_consistency` runs them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.audit.consistency.claims import (
        TEXT_CLAIMS,
        claim_findings,
    )
    from lcnec_utils.audit.consistency.counts import (
        combined_mean_sd,
        combined_mean_sd_range,
        grim_attainable,
        percent_attainable,
        percent_findings,
        precision_findings,
        printing_findings,
        total_findings,
        total_matches_groups,
    )
    from lcnec_utils.audit.consistency.findings import (
        CHECKS,
        SEVERITIES,
        Finding,
        ref,
    )
    from lcnec_utils.audit.consistency.hypothesis_tests import (
        age_findings,
        categorical_p_findings,
        fisher_recheck,
        p_matches,
        t_test_from_summary,
    )
    from lcnec_utils.audit.consistency.models import (
        hr_ci_p_coherence,
        hr_findings,
        model_size_findings,
    )
    from lcnec_utils.audit.consistency.paper import (
        paper_consistency,
    )
    from lcnec_utils.audit.consistency.published_index import (
        ARM_N_KEYS,
        ARM_OF,
        PublishedIndex,
        row_label,
        where_text,
    )
    from lcnec_utils.audit.consistency.survival import (
        logrank_p_bound_from_medians,
        median_ci_symmetric,
        survival_findings,
    )

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        "lcnec_utils.audit.consistency.claims": ("TEXT_CLAIMS", "claim_findings"),
        "lcnec_utils.audit.consistency.counts": (
            "combined_mean_sd",
            "combined_mean_sd_range",
            "grim_attainable",
            "percent_attainable",
            "percent_findings",
            "precision_findings",
            "printing_findings",
            "total_findings",
            "total_matches_groups",
        ),
        "lcnec_utils.audit.consistency.findings": ("CHECKS", "Finding", "SEVERITIES", "ref"),
        "lcnec_utils.audit.consistency.hypothesis_tests": (
            "age_findings",
            "categorical_p_findings",
            "fisher_recheck",
            "p_matches",
            "t_test_from_summary",
        ),
        "lcnec_utils.audit.consistency.models": ("hr_ci_p_coherence", "hr_findings", "model_size_findings"),
        "lcnec_utils.audit.consistency.paper": ("paper_consistency",),
        "lcnec_utils.audit.consistency.published_index": (
            "ARM_N_KEYS",
            "ARM_OF",
            "PublishedIndex",
            "row_label",
            "where_text",
        ),
        "lcnec_utils.audit.consistency.survival": (
            "logrank_p_bound_from_medians",
            "median_ci_symmetric",
            "survival_findings",
        ),
    },
)
