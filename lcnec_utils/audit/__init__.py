"""The reproduction audit: every published number against the book's, and the paper checked against itself.

:mod:`compare` and :mod:`record` build ``audit.json``; :mod:`report` renders it; :mod:`consistency` holds the paper's own checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.audit import consistency
    from lcnec_utils.audit.compare import (
        FAILING,
        NOTEBOOKS_DIR,
        STATUSES,
        chapter_pages,
        compare_entry,
        published_vs_reproduced,
    )
    from lcnec_utils.audit.headline import (
        HEADLINES,
        headline_table,
    )
    from lcnec_utils.audit.record import (
        ANALYSIS_PARAMETERS,
        SHIPPED_EXPORTS,
        SHIPPED_MAP,
        audit_command,
        build_audit,
        is_shipped_cohort,
        non_default_parameters,
        summary_text,
        write_audit,
    )
    from lcnec_utils.audit.report import (
        GROUP_ORDER,
        STATUS_COLOURS,
        findings_html,
        findings_table_html,
        groups_of,
        html_table,
        published_table_html,
        severity_summary_html,
        status_summary_html,
        status_summary_table,
    )
    from lcnec_utils.audit.tolerances import (
        TOLERANCES_PATH,
        Tolerance,
        load_tolerances,
        tolerance_for,
    )

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        "lcnec_utils.audit.compare": (
            "FAILING",
            "NOTEBOOKS_DIR",
            "STATUSES",
            "chapter_pages",
            "compare_entry",
            "published_vs_reproduced",
        ),
        "lcnec_utils.audit.headline": ("HEADLINES", "headline_table"),
        "lcnec_utils.audit.record": (
            "ANALYSIS_PARAMETERS",
            "SHIPPED_EXPORTS",
            "SHIPPED_MAP",
            "audit_command",
            "build_audit",
            "is_shipped_cohort",
            "non_default_parameters",
            "summary_text",
            "write_audit",
        ),
        "lcnec_utils.audit.report": (
            "GROUP_ORDER",
            "STATUS_COLOURS",
            "findings_html",
            "findings_table_html",
            "groups_of",
            "html_table",
            "published_table_html",
            "severity_summary_html",
            "status_summary_html",
            "status_summary_table",
        ),
        "lcnec_utils.audit.tolerances": ("TOLERANCES_PATH", "Tolerance", "load_tolerances", "tolerance_for"),
    },
    subpackages=("consistency",),
)
