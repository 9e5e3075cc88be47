"""The published paper's internal consistency, recomputed from its own printed numbers, by kind of check.

Counts and percentages, recomputed tests, Cox models, survival numbers, text claims; :func:`paper_consistency` runs them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.audit.consistency.claims import (
        TEXT_CLAIMS,
    )
    from lcnec_utils.audit.consistency.counts import (
        combined_mean_sd,
        combined_mean_sd_range,
        grim_attainable,
        percent_attainable,
        total_matches_groups,
    )
    from lcnec_utils.audit.consistency.findings import (
        ARM_N_KEYS,
        CHECKS,
        SEVERITIES,
        Finding,
        ref,
        where_text,
    )
    from lcnec_utils.audit.consistency.models import (
        hr_ci_p_coherence,
    )
    from lcnec_utils.audit.consistency.paper import (
        impugned_keys,
        paper_consistency,
    )
    from lcnec_utils.audit.consistency.survival import (
        logrank_p_bound_from_medians,
        median_ci_symmetric,
    )
    from lcnec_utils.audit.consistency.tests import (
        fisher_recheck,
        p_matches,
        t_test_from_summary,
    )

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        "lcnec_utils.audit.consistency.claims": ("TEXT_CLAIMS",),
        "lcnec_utils.audit.consistency.counts": (
            "combined_mean_sd",
            "combined_mean_sd_range",
            "grim_attainable",
            "percent_attainable",
            "total_matches_groups",
        ),
        "lcnec_utils.audit.consistency.findings": (
            "ARM_N_KEYS",
            "CHECKS",
            "Finding",
            "SEVERITIES",
            "ref",
            "where_text",
        ),
        "lcnec_utils.audit.consistency.models": ("hr_ci_p_coherence",),
        "lcnec_utils.audit.consistency.paper": ("impugned_keys", "paper_consistency"),
        "lcnec_utils.audit.consistency.survival": ("logrank_p_bound_from_medians", "median_ci_symmetric"),
        "lcnec_utils.audit.consistency.tests": ("fisher_recheck", "p_matches", "t_test_from_summary"),
    },
)
