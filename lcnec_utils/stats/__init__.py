"""The statistics the analyses use: survival, Cox models, classical tests, normal quantiles, rounding and printed form.

Estimators only; no tables, figures or pages. Imports only :mod:`lcnec_utils.contract`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.stats.attainable import (
        KM_ENUMERATION_MAX_N,
        binary_term_min_ci_ratio,
        binary_term_min_p,
        binary_term_min_se,
        events_per_variable,
        km_rate_attainable,
        km_rate_path,
        km_reachable_paths,
        km_reachable_values,
    )
    from lcnec_utils.stats.classical import (
        FFH_MAX_TABLES,
        clopper_pearson,
        fisher_freeman_halton_p,
        fisher_p,
        mann_whitney_p,
        spss_quartiles,
        student_t_p,
    )
    from lcnec_utils.stats.cox import (
        TABLE_COLUMNS,
        TERM_LABELS,
        CoxResult,
        DesignMatrix,
        available_covariates,
        design_matrix,
        firth_cox,
        fit_cox,
        not_fitted,
        ridge_cox,
        schoenfeld_test,
        term_label,
        univariable_cox,
    )
    from lcnec_utils.stats.format import (
        NA_TEXT,
        format_ci,
        format_hr_ci,
        format_mean_sd,
        format_median_iqr,
        format_n_pct,
        format_p,
        format_pct,
        format_value,
        is_missing,
    )
    from lcnec_utils.stats.normal import (
        Z95,
        wald_p,
        z_of_p,
        z_two_sided,
    )
    from lcnec_utils.stats.rounding import (
        as_fraction,
        in_printed_interval,
        printed_interval,
        prints_as,
    )
    from lcnec_utils.stats.survival import (
        ROLES,
        TOLERANCE,
        ConfType,
        EndpointData,
        EndpointUnavailable,
        FollowUp,
        KMCurve,
        LandmarkSurvival,
        LogrankResult,
        MedianCI,
        RMSTDifference,
        endpoint_columns,
        endpoint_data,
        fit_km,
        has_endpoint,
        km_curve,
        km_median,
        landmark_survival,
        logrank,
        median_ci_brookmeyer_crowley,
        median_ci_spss,
        pointwise_band,
        reverse_km_followup,
        rmst_difference,
    )

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        "lcnec_utils.stats.attainable": (
            "KM_ENUMERATION_MAX_N",
            "binary_term_min_ci_ratio",
            "binary_term_min_p",
            "binary_term_min_se",
            "events_per_variable",
            "km_rate_attainable",
            "km_rate_path",
            "km_reachable_paths",
            "km_reachable_values",
        ),
        "lcnec_utils.stats.classical": (
            "FFH_MAX_TABLES",
            "clopper_pearson",
            "fisher_freeman_halton_p",
            "fisher_p",
            "mann_whitney_p",
            "spss_quartiles",
            "student_t_p",
        ),
        "lcnec_utils.stats.cox": (
            "CoxResult",
            "DesignMatrix",
            "TABLE_COLUMNS",
            "TERM_LABELS",
            "available_covariates",
            "design_matrix",
            "firth_cox",
            "fit_cox",
            "not_fitted",
            "ridge_cox",
            "schoenfeld_test",
            "term_label",
            "univariable_cox",
        ),
        "lcnec_utils.stats.format": (
            "NA_TEXT",
            "format_ci",
            "format_hr_ci",
            "format_mean_sd",
            "format_median_iqr",
            "format_n_pct",
            "format_p",
            "format_pct",
            "format_value",
            "is_missing",
        ),
        "lcnec_utils.stats.normal": ("Z95", "wald_p", "z_of_p", "z_two_sided"),
        "lcnec_utils.stats.rounding": ("as_fraction", "in_printed_interval", "printed_interval", "prints_as"),
        "lcnec_utils.stats.survival": (
            "ConfType",
            "EndpointData",
            "EndpointUnavailable",
            "FollowUp",
            "KMCurve",
            "LandmarkSurvival",
            "LogrankResult",
            "MedianCI",
            "RMSTDifference",
            "ROLES",
            "TOLERANCE",
            "endpoint_columns",
            "endpoint_data",
            "fit_km",
            "has_endpoint",
            "km_curve",
            "km_median",
            "landmark_survival",
            "logrank",
            "median_ci_brookmeyer_crowley",
            "median_ci_spss",
            "pointwise_band",
            "reverse_km_followup",
            "rmst_difference",
        ),
    },
)
