"""The top of a chapter's page: the banner for synthetic data and the parameters in force."""

from __future__ import annotations

import html
import os

from lcnec_utils.contract.params import Parameters

#: The parameters the box at the top of a page lists, with their labels.
PARAMETER_LABELS = {
    "data_path": "Cohort file",
    "ae_path": "Adverse-event file",
    "map_path": "Mapping file",
    "sheet": "Excel sheet",
    "reference_group": "Reference arm",
    "treatment_group": "Treatment arm",
    "landmark_months": "Landmark of the milestone rates (months)",
    "landmark_analysis_months": "Landmark of the landmark analysis (months)",
    "alpha": "Alpha (two-sided)",
    "covariates": "Cox covariates",
    "seed": "Random seed",
}

#: The warning every page shows when its numbers come from the reconstruction, not patients.
SYNTHETIC_BANNER = (
    ":::{admonition} Synthetic data\n:class: warning\n"
    "These rows are a **synthetic cohort reconstructed from the published "
    "aggregates**, not patients. Numbers that agree with the paper agree by "
    "construction; see *How the synthetic cohort was built*.\n:::"
)


def is_synthetic(path: str | os.PathLike) -> bool:
    """True for the shipped reconstruction and for registry draws from it (``lcnec synth``),
    both named so in their file names."""
    name = os.path.basename(str(path)).lower()
    return "synthetic" in name or name.startswith("registry_n")


def parameter_box_html(params: Parameters) -> str:
    """A folded table of the parameters in force; files by their name only, never their folder
    (which may hold a person's or a ward's name)."""
    rows = []
    for key, label in PARAMETER_LABELS.items():
        value = getattr(params, key)
        if key in ("map_path", "sheet") and not value:
            continue  # shown only when the cohort was read through them
        if key in ("data_path", "ae_path", "map_path"):
            value = os.path.basename(value) if value else "none"
        elif key == "covariates":
            value = ", ".join(value) if value else "none"
        rows.append(f"<tr><th>{html.escape(label)}</th><td>{html.escape(str(value))}</td></tr>")
    return (
        '<details class="lcnec-params"><summary>Parameters in force</summary>'
        '<table class="lcnec-params-table">' + "".join(rows) + "</table></details>"
    )
