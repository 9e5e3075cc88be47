"""The data contract and the published study: parameters, schemas, file reading, the paper's numbers, results keys.

The lowest layer: it imports nothing else of the package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.contract.io import (
        LoadedTable,
        StudyData,
        arm_role,
        load_adverse_events,
        load_cohort,
        load_study,
        read_table_text,
    )
    from lcnec_utils.contract.params import (
        DATA_DICTIONARY,
        DATA_DIR,
        DEFAULT_AE,
        DEFAULT_COHORT,
        PAPER_COVARIATES,
        PROJECT_ROOT,
        ParameterError,
        Parameters,
        make_parameters,
    )
    from lcnec_utils.contract.provenance import (
        git_commit,
        sha256_bytes,
        sha256_file,
    )
    from lcnec_utils.contract.published import (
        OPTIONAL_FIELDS,
        PUBLISHED_PATH,
        PUBLISHED_UNITS,
        REQUIRED_FIELDS,
        PublishedDataError,
        bound_holds,
        load_published,
        published_values,
        read_yaml,
        round_half_up,
        study_description,
    )
    from lcnec_utils.contract.results import (
        ResultsRecorder,
        merge_fragments,
        to_json_value,
        write_results,
    )
    from lcnec_utils.contract.results_keys import (
        RESULTS_KEYS_PATH,
        RESULTS_UNIT_OF,
        complete,
        expand_pattern,
        expected_keys,
        ici_class_key,
        load_results_keys,
        results_unit,
        slug,
    )
    from lcnec_utils.contract.schema import (
        AE_COLUMNS,
        AE_SPEC,
        BINARY,
        COHORT_COLUMNS,
        COHORT_ROW_RULES,
        COHORT_SPEC,
        DAYS_SUSPECT_MONTHS,
        ICI_CLASSES,
        LAB_COLUMNS,
        MET_COLUMNS,
        MIN_ARM_SIZE,
        NA_TOKENS,
        RESPONSE_LEVELS,
        SEX_LEVELS,
        ColumnSpec,
        DataProblem,
        DataValidationError,
        RowRule,
        errors_only,
        typed_ae,
        typed_cohort,
        validate_ae_frame,
        validate_cohort_frame,
    )

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        "lcnec_utils.contract.io": (
            "LoadedTable",
            "StudyData",
            "arm_role",
            "load_adverse_events",
            "load_cohort",
            "load_study",
            "read_table_text",
        ),
        "lcnec_utils.contract.params": (
            "DATA_DICTIONARY",
            "DATA_DIR",
            "DEFAULT_AE",
            "DEFAULT_COHORT",
            "PAPER_COVARIATES",
            "PROJECT_ROOT",
            "ParameterError",
            "Parameters",
            "make_parameters",
        ),
        "lcnec_utils.contract.provenance": ("git_commit", "sha256_bytes", "sha256_file"),
        "lcnec_utils.contract.published": (
            "OPTIONAL_FIELDS",
            "PUBLISHED_PATH",
            "PUBLISHED_UNITS",
            "PublishedDataError",
            "REQUIRED_FIELDS",
            "bound_holds",
            "load_published",
            "published_values",
            "read_yaml",
            "round_half_up",
            "study_description",
        ),
        "lcnec_utils.contract.results": (
            "ResultsRecorder",
            "merge_fragments",
            "to_json_value",
            "write_results",
        ),
        "lcnec_utils.contract.results_keys": (
            "RESULTS_KEYS_PATH",
            "RESULTS_UNIT_OF",
            "complete",
            "expand_pattern",
            "expected_keys",
            "ici_class_key",
            "load_results_keys",
            "results_unit",
            "slug",
        ),
        "lcnec_utils.contract.schema": (
            "AE_COLUMNS",
            "AE_SPEC",
            "BINARY",
            "COHORT_COLUMNS",
            "COHORT_ROW_RULES",
            "COHORT_SPEC",
            "ColumnSpec",
            "DAYS_SUSPECT_MONTHS",
            "DataProblem",
            "DataValidationError",
            "ICI_CLASSES",
            "LAB_COLUMNS",
            "MET_COLUMNS",
            "MIN_ARM_SIZE",
            "NA_TOKENS",
            "RESPONSE_LEVELS",
            "RowRule",
            "SEX_LEVELS",
            "errors_only",
            "typed_ae",
            "typed_cohort",
            "validate_ae_frame",
            "validate_cohort_frame",
        ),
    },
)
