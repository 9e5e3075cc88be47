"""The book's figures in one colour-blind-safe style: Kaplan-Meier curves with numbers at risk, forest plots, flow and bars.

Every function returns a matplotlib Figure; nothing is saved here but by :func:`save_figure`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
    from lcnec_utils.plots.flow import (
        patient_flow,
    )
    from lcnec_utils.plots.forest import (
        LABEL_WIDTH,
        P_GAP,
        X_LIMITS,
        forest_plot,
    )
    from lcnec_utils.plots.immunotherapy import (
        WEIGHT_STYLES,
        bayes_plot,
        cumulative_incidence_plot,
        cure_fit_plot,
        fh_weights_plot,
        landmark_curve_plot,
    )
    from lcnec_utils.plots.methods import (
        GREY,
        beta_t_plot,
        bootstrap_histogram,
        loglog_plot,
        love_plot,
        median_intervals,
        power_curve_plot,
        propensity_overlap,
        rmst_curve_plot,
    )
    from lcnec_utils.plots.response import (
        response_bar,
    )
    from lcnec_utils.plots.style import (
        ARM_COLOURS,
        OKABE_ITO,
        RESPONSE_COLOURS,
        ROLE_ORDER,
        STYLE,
        save_figure,
        set_style,
    )
    from lcnec_utils.plots.survival import (
        LARGE_ARM,
        km_plot,
    )

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        "lcnec_utils.plots.flow": ("patient_flow",),
        "lcnec_utils.plots.forest": ("LABEL_WIDTH", "P_GAP", "X_LIMITS", "forest_plot"),
        "lcnec_utils.plots.immunotherapy": (
            "WEIGHT_STYLES",
            "bayes_plot",
            "cumulative_incidence_plot",
            "cure_fit_plot",
            "fh_weights_plot",
            "landmark_curve_plot",
        ),
        "lcnec_utils.plots.methods": (
            "GREY",
            "beta_t_plot",
            "bootstrap_histogram",
            "loglog_plot",
            "love_plot",
            "median_intervals",
            "power_curve_plot",
            "propensity_overlap",
            "rmst_curve_plot",
        ),
        "lcnec_utils.plots.response": ("response_bar",),
        "lcnec_utils.plots.style": (
            "ARM_COLOURS",
            "OKABE_ITO",
            "RESPONSE_COLOURS",
            "ROLE_ORDER",
            "STYLE",
            "save_figure",
            "set_style",
        ),
        "lcnec_utils.plots.survival": ("LARGE_ARM", "km_plot"),
    },
)
