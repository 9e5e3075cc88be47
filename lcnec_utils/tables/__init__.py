"""The paper's tables rebuilt from patient rows, one module per table, data first and formatted last.

Table 2 (baseline), Table 3 (response, safety), the survival summary, Table 4 (Cox), the cohort's missingness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.tables.baseline import (
        LAB_ROWS,
        SECTION_LABS,
        SECTION_METS,
        SECTION_REGIMEN,
        STANDARD_REGIMENS,
        baseline_table,
    )
    from lcnec_utils.tables.cohort import (
        data_dictionary_summary,
        format_missingness,
        load_data_dictionary,
        missingness_table,
    )
    from lcnec_utils.tables.common import (
        ARMS,
        CONTRACT_COLUMNS,
        NOT_IN_DATA,
        PRINT_ORDER,
        PRIVATE_COLUMNS,
        ROLES,
        SummaryTable,
        arm_labels,
    )
    from lcnec_utils.tables.multivariable import (
        cox_results,
        cox_table,
        forest_rows,
        format_cox_table,
    )
    from lcnec_utils.tables.response import (
        RESPONSE_CATEGORIES,
        response_table,
    )
    from lcnec_utils.tables.safety import (
        ICI_CLASSES,
        PAPER_IRAE_TERMS,
        SafetyTables,
        safety_tables,
    )
    from lcnec_utils.tables.style import (
        PROSE_COLUMNS,
        HTMLTable,
        style_table,
    )
    from lcnec_utils.tables.survival import (
        SUMMARY_COLUMNS,
        followup_results,
        format_summary,
        results_keys,
        survival_results,
        survival_summary,
    )

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        "lcnec_utils.tables.baseline": (
            "LAB_ROWS",
            "SECTION_LABS",
            "SECTION_METS",
            "SECTION_REGIMEN",
            "STANDARD_REGIMENS",
            "baseline_table",
        ),
        "lcnec_utils.tables.cohort": (
            "data_dictionary_summary",
            "format_missingness",
            "load_data_dictionary",
            "missingness_table",
        ),
        "lcnec_utils.tables.common": (
            "ARMS",
            "CONTRACT_COLUMNS",
            "NOT_IN_DATA",
            "PRINT_ORDER",
            "PRIVATE_COLUMNS",
            "ROLES",
            "SummaryTable",
            "arm_labels",
        ),
        "lcnec_utils.tables.multivariable": ("cox_results", "cox_table", "forest_rows", "format_cox_table"),
        "lcnec_utils.tables.response": ("RESPONSE_CATEGORIES", "response_table"),
        "lcnec_utils.tables.safety": ("ICI_CLASSES", "PAPER_IRAE_TERMS", "SafetyTables", "safety_tables"),
        "lcnec_utils.tables.style": ("HTMLTable", "PROSE_COLUMNS", "style_table"),
        "lcnec_utils.tables.survival": (
            "SUMMARY_COLUMNS",
            "followup_results",
            "format_summary",
            "results_keys",
            "survival_results",
            "survival_summary",
        ),
    },
)
