"""The paper's tables rebuilt from patient rows, one module per table, data first and formatted last.

Table 2 (baseline), Table 3 (response, safety), the survival summary, Table 4 (Cox), the cohort's missingness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.tables.arms import (
        ARMS,
        PRINT_ORDER,
        Arms,
        arm_labels,
        split_arms,
    )
    from lcnec_utils.tables.baseline import (
        LAB_ROWS,
        SECTION_LABS,
        SECTION_METS,
        SECTION_REGIMEN,
        STANDARD_REGIMENS,
        baseline_table,
    )
    from lcnec_utils.tables.cells import (
        NOT_IN_DATA,
        as_float,
        blank_as_missing,
        missing_note,
    )
    from lcnec_utils.tables.cohort import (
        PRIVATE_COLUMNS,
        data_dictionary_summary,
        format_missingness,
        load_data_dictionary,
        missingness_table,
    )
    from lcnec_utils.tables.multivariable import (
        cox_results,
        cox_table,
        forest_rows,
        format_cox_table,
    )
    from lcnec_utils.tables.response import (
        response_table,
    )
    from lcnec_utils.tables.safety import (
        IRAE_COLUMNS,
        PAPER_IRAE_TERMS,
        SafetyTables,
        safety_tables,
    )
    from lcnec_utils.tables.style import (
        PROSE_COLUMNS,
        HTMLTable,
        style_table,
    )
    from lcnec_utils.tables.summary import (
        STATS_COLUMNS,
        SummaryTable,
        TableRows,
        object_frame,
        stats_frame,
        stats_row,
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
        "lcnec_utils.tables.arms": ("ARMS", "Arms", "PRINT_ORDER", "arm_labels", "split_arms"),
        "lcnec_utils.tables.baseline": (
            "LAB_ROWS",
            "SECTION_LABS",
            "SECTION_METS",
            "SECTION_REGIMEN",
            "STANDARD_REGIMENS",
            "baseline_table",
        ),
        "lcnec_utils.tables.cells": ("NOT_IN_DATA", "as_float", "blank_as_missing", "missing_note"),
        "lcnec_utils.tables.cohort": (
            "PRIVATE_COLUMNS",
            "data_dictionary_summary",
            "format_missingness",
            "load_data_dictionary",
            "missingness_table",
        ),
        "lcnec_utils.tables.multivariable": ("cox_results", "cox_table", "forest_rows", "format_cox_table"),
        "lcnec_utils.tables.response": ("response_table",),
        "lcnec_utils.tables.safety": ("IRAE_COLUMNS", "PAPER_IRAE_TERMS", "SafetyTables", "safety_tables"),
        "lcnec_utils.tables.style": ("HTMLTable", "PROSE_COLUMNS", "style_table"),
        "lcnec_utils.tables.summary": (
            "STATS_COLUMNS",
            "SummaryTable",
            "TableRows",
            "object_frame",
            "stats_frame",
            "stats_row",
        ),
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
