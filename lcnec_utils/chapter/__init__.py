"""What a chapter notebook imports at run time: parameters, the study, glue, tables and notes on the page.

``ch = Chapter.start(name, globals())`` opens a chapter; the build sets the study loader with :func:`set_study_loader`.
``Chapter`` (page) draws on header, downloads and footer. What a chapter records and glues comes from one call:
reanalysis (survival, multivariable), response_text (the response chapter's reading), checking (audit) and
methods_glue (the methods chapters' prose, from what their notebook computed with lcnec_utils.methods;
confounding and power come whole from that package), with model_size naming and sizing the model with
covariates they fit (the paper's only when it has all of the paper's covariates).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.chapter.checking import (
        audit_glue,
    )
    from lcnec_utils.chapter.downloads import (
        download_link,
        downloads_dir,
        write_download,
    )
    from lcnec_utils.chapter.footer import (
        page_provenance,
        provenance_html,
    )
    from lcnec_utils.chapter.header import (
        PARAMETER_LABELS,
        SYNTHETIC_BANNER,
        is_synthetic,
        parameter_box_html,
    )
    from lcnec_utils.chapter.intake import (
        cohort_in_force,
        intake_columns,
        intake_files,
        intake_steps,
    )
    from lcnec_utils.chapter.methods_glue import (
        ARM_STABLE_RATIO,
        MEDIAN_CI_METHODS,
        MIN_EXPECTED_REJECTIONS,
        MIN_KEPT_SAMPLES,
        SMALL_SAMPLE_MODELS,
        STATSMODELS_PAIRS,
        arm_stability,
        medians_glue,
        medians_teaching_glue,
        min_kept_samples,
        ph_cut_glue,
        ph_epv_texts,
        ph_global_glue,
        ph_glue,
        ph_teaching_glue,
        rmst_glue,
        small_sample_glue,
        small_sample_teaching_glue,
        wald_reading,
    )
    from lcnec_utils.chapter.model_size import (
        EVENT_NOUNS,
        MANY_NOT_CONVERGED,
        BootstrapShares,
        adjustment_warning,
        coefficients_at_epv,
        confounders_at_rule,
        epv_values,
        event_names,
        full_epv_reading,
        instability_reading,
        model_epvs,
        model_in_force,
        model_question,
        paper_model_caution,
    )
    from lcnec_utils.chapter.page import (
        ENDPOINTS,
        FILE_TEXT,
        Chapter,
        arm_sizes,
        set_study_loader,
    )
    from lcnec_utils.chapter.reanalysis import (
        CAUTION_BASE_RATES,
        CAUTION_DIFFERENCE,
        KM_STEP_RTOL,
        PAPER_ALPHA,
        TABLE4_COLUMNS,
        KMStep,
        MultivariateChapter,
        SurvivalChapter,
        adjusted_pfs_reading,
        age_comparison,
        baseline_significance,
        fisher_power_caution,
        km_steps_reading,
        largest_km_step,
        multivariate_chapter,
        pfs_epv_caution,
        significant_covariates,
        survival_chapter,
        table4_comparison,
        table4_glue,
        term_phrase,
    )
    from lcnec_utils.chapter.response_text import (
        RATE_NAMES,
        RESPONSE_COLUMN,
        difference_phrase,
        fisher_disagreement,
        interval_overlap,
        response_glue,
        response_rates_sentence,
        response_reading,
        response_sizes,
    )

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        "lcnec_utils.chapter.checking": ("audit_glue",),
        "lcnec_utils.chapter.downloads": ("download_link", "downloads_dir", "write_download"),
        "lcnec_utils.chapter.footer": ("page_provenance", "provenance_html"),
        "lcnec_utils.chapter.header": (
            "PARAMETER_LABELS",
            "SYNTHETIC_BANNER",
            "is_synthetic",
            "parameter_box_html",
        ),
        "lcnec_utils.chapter.intake": ("cohort_in_force", "intake_columns", "intake_files", "intake_steps"),
        "lcnec_utils.chapter.methods_glue": (
            "ARM_STABLE_RATIO",
            "MEDIAN_CI_METHODS",
            "MIN_EXPECTED_REJECTIONS",
            "MIN_KEPT_SAMPLES",
            "SMALL_SAMPLE_MODELS",
            "STATSMODELS_PAIRS",
            "arm_stability",
            "medians_glue",
            "medians_teaching_glue",
            "min_kept_samples",
            "ph_cut_glue",
            "ph_epv_texts",
            "ph_global_glue",
            "ph_glue",
            "ph_teaching_glue",
            "rmst_glue",
            "small_sample_glue",
            "small_sample_teaching_glue",
            "wald_reading",
        ),
        "lcnec_utils.chapter.model_size": (
            "BootstrapShares",
            "EVENT_NOUNS",
            "MANY_NOT_CONVERGED",
            "adjustment_warning",
            "coefficients_at_epv",
            "confounders_at_rule",
            "epv_values",
            "event_names",
            "full_epv_reading",
            "instability_reading",
            "model_epvs",
            "model_in_force",
            "model_question",
            "paper_model_caution",
        ),
        "lcnec_utils.chapter.page": ("Chapter", "ENDPOINTS", "FILE_TEXT", "arm_sizes", "set_study_loader"),
        "lcnec_utils.chapter.reanalysis": (
            "CAUTION_BASE_RATES",
            "CAUTION_DIFFERENCE",
            "KMStep",
            "KM_STEP_RTOL",
            "MultivariateChapter",
            "PAPER_ALPHA",
            "SurvivalChapter",
            "TABLE4_COLUMNS",
            "adjusted_pfs_reading",
            "age_comparison",
            "baseline_significance",
            "fisher_power_caution",
            "km_steps_reading",
            "largest_km_step",
            "multivariate_chapter",
            "pfs_epv_caution",
            "significant_covariates",
            "survival_chapter",
            "table4_comparison",
            "table4_glue",
            "term_phrase",
        ),
        "lcnec_utils.chapter.response_text": (
            "RATE_NAMES",
            "RESPONSE_COLUMN",
            "difference_phrase",
            "fisher_disagreement",
            "interval_overlap",
            "response_glue",
            "response_rates_sentence",
            "response_reading",
            "response_sizes",
        ),
    },
)
