"""The methods chapters' analyses: median conventions, small-sample Cox, proportional hazards, confounding, RMST, power.

Each module returns the values its chapter shows and records; :mod:`sampling` is the large-cohort branch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.methods.confounding import (
        COMMON_OUTCOME,
        PS_COVARIATES,
        EValue,
        PropensityResult,
        WeightedHR,
        adjusted_cox,
        balance_table,
        effective_sample_size,
        evalue,
        evalue_rr,
        format_balance,
        hr_to_rr,
        iptw_cox,
        iptw_weights,
        propensity_scores,
        smd,
        weighted_cox,
    )
    from lcnec_utils.methods.medians import (
        CI_METHODS,
        followup_results,
        followup_summary,
        format_median_table,
        median_results,
        median_table,
        statsmodels_quantile_ci,
    )
    from lcnec_utils.methods.ph import (
        CUT_MONTHS,
        beta_t,
        ph_results,
        ph_tests,
        piecewise_hr,
        smooth,
    )
    from lcnec_utils.methods.power import (
        CHUNK_CELLS,
        MAX_CELLS,
        MIN_LARGE_SIMS,
        SimulatedPower,
        logrank_z,
        patients_needed,
        power_curve,
        required_events,
        schoenfeld_events,
        schoenfeld_power,
        simulate_logrank_power,
    )
    from lcnec_utils.methods.rmst import (
        TAUS,
        format_rmst_table,
        max_tau,
        rmst_curve,
        rmst_results,
        rmst_table,
    )
    from lcnec_utils.methods.sampling import (
        BOOTSTRAP_CELLS,
        BOOTSTRAP_RESAMPLES,
        LARGE_N,
        SAMPLE_N,
        analysis_sample,
        announce,
        announce_text,
        bootstrap_plan,
        is_large,
        sample_rows,
    )
    from lcnec_utils.methods.smallsample import (
        COMPARISON_COLUMNS,
        MAX_ABS_COEF,
        MODEL_LABELS,
        REDUCED_COVARIATES,
        BatchCoxFit,
        BootstrapResult,
        batch_cox_efron,
        bootstrap_arm_hr,
        comparison_results,
        comparison_table,
        firth_arm,
        format_comparison,
        resample_weights,
    )

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        "lcnec_utils.methods.confounding": (
            "COMMON_OUTCOME",
            "EValue",
            "PS_COVARIATES",
            "PropensityResult",
            "WeightedHR",
            "adjusted_cox",
            "balance_table",
            "effective_sample_size",
            "evalue",
            "evalue_rr",
            "format_balance",
            "hr_to_rr",
            "iptw_cox",
            "iptw_weights",
            "propensity_scores",
            "smd",
            "weighted_cox",
        ),
        "lcnec_utils.methods.medians": (
            "CI_METHODS",
            "followup_results",
            "followup_summary",
            "format_median_table",
            "median_results",
            "median_table",
            "statsmodels_quantile_ci",
        ),
        "lcnec_utils.methods.ph": (
            "CUT_MONTHS",
            "beta_t",
            "ph_results",
            "ph_tests",
            "piecewise_hr",
            "smooth",
        ),
        "lcnec_utils.methods.power": (
            "CHUNK_CELLS",
            "MAX_CELLS",
            "MIN_LARGE_SIMS",
            "SimulatedPower",
            "logrank_z",
            "patients_needed",
            "power_curve",
            "required_events",
            "schoenfeld_events",
            "schoenfeld_power",
            "simulate_logrank_power",
        ),
        "lcnec_utils.methods.rmst": (
            "TAUS",
            "format_rmst_table",
            "max_tau",
            "rmst_curve",
            "rmst_results",
            "rmst_table",
        ),
        "lcnec_utils.methods.sampling": (
            "BOOTSTRAP_CELLS",
            "BOOTSTRAP_RESAMPLES",
            "LARGE_N",
            "SAMPLE_N",
            "analysis_sample",
            "announce",
            "announce_text",
            "bootstrap_plan",
            "is_large",
            "sample_rows",
        ),
        "lcnec_utils.methods.smallsample": (
            "BatchCoxFit",
            "BootstrapResult",
            "COMPARISON_COLUMNS",
            "MAX_ABS_COEF",
            "MODEL_LABELS",
            "REDUCED_COVARIATES",
            "batch_cox_efron",
            "bootstrap_arm_hr",
            "comparison_results",
            "comparison_table",
            "firth_arm",
            "format_comparison",
            "resample_weights",
        ),
    },
)
