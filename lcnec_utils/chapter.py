"""What every chapter does around its analysis: parameters, data, notes, provenance.

A chapter notebook starts with ``ch = Chapter.start("survival", globals())``:
the parameters injected by papermill become a :class:`~lcnec_utils.params.Parameters`
object, the data are loaded and validated, and the page shows the parameters
in force, a banner when the data are the synthetic reconstruction, and any
note made while reading the files. ``ch.finish()`` closes the page with its
provenance (data checksum, git commit, build date).
"""

from __future__ import annotations

import datetime as _dt
import html
import os
from typing import Any

import pandas as pd
from IPython.display import HTML, Markdown, display

from .io import StudyData, arm_role, load_study
from .params import DEFAULT_COHORT, Parameters, make_parameters
from .results import ResultsRecorder

_PARAMETER_LABELS = {
    "data_path": "Cohort file",
    "ae_path": "Adverse-event file",
    "reference_group": "Reference arm",
    "treatment_group": "Treatment arm",
    "landmark_months": "Landmark (months)",
    "alpha": "Alpha (two-sided)",
    "covariates": "Cox covariates",
    "seed": "Random seed",
}


def is_synthetic(path: str | os.PathLike) -> bool:
    """True for the shipped reconstruction (named so in its file name)."""
    return "synthetic" in os.path.basename(str(path)).lower()


class Chapter:
    """One chapter's parameters, data and results recorder."""

    def __init__(self, name: str, params: Parameters, study: StudyData):
        self.name = name
        self.params = params
        self.study = study
        self.recorder = ResultsRecorder(params.results_dir, name)

    # ------------------------------------------------------------------ set-up
    @classmethod
    def start(cls, name: str, namespace: dict[str, Any], show: bool = True) -> "Chapter":
        overrides = {
            key: namespace[key]
            for key in Parameters.names()
            if namespace.get(key) is not None
        }
        if overrides.get("ae_path") == "":
            overrides["ae_path"] = None
        params = make_parameters(overrides)
        study = load_study(
            params.data_path, params.ae_path, params.reference_group, params.treatment_group
        )
        chapter = cls(name, params, study)
        if show:
            chapter.show_header()
        return chapter

    @property
    def cohort(self) -> pd.DataFrame:
        return self.study.cohort

    @property
    def adverse_events(self) -> pd.DataFrame | None:
        return self.study.adverse_events

    def roles(self) -> pd.Series:
        return arm_role(self.cohort, self.params.reference_group, self.params.treatment_group)

    # ------------------------------------------------------------------ display
    def show_header(self) -> None:
        if is_synthetic(self.params.data_path):
            display(
                Markdown(
                    ":::{warning} Synthetic data\n"
                    "These rows are a **synthetic cohort reconstructed from the published "
                    "aggregates**, not patients. Numbers that agree with the paper agree by "
                    "construction; see *How the synthetic cohort was built*.\n:::"
                )
            )
        display(HTML(self.parameter_box_html()))
        for note in self.study.notes:
            self.note(str(note), kind="note")

    def parameter_box_html(self) -> str:
        p = self.params
        rows = []
        for key, label in _PARAMETER_LABELS.items():
            value = getattr(p, key)
            if key in ("data_path", "ae_path"):
                value = os.path.basename(value) if value else "none"
            elif key == "covariates":
                value = ", ".join(value) if value else "none"
            rows.append(
                f"<tr><th>{html.escape(label)}</th><td>{html.escape(str(value))}</td></tr>"
            )
        return (
            '<details class="lcnec-params"><summary>Parameters in force</summary>'
            '<table class="lcnec-params-table">' + "".join(rows) + "</table></details>"
        )

    def note(self, text: str, kind: str = "note") -> None:
        """An admonition on the page (``note``, ``warning``, ``important``)."""
        display(Markdown(f":::{{{kind}}}\n{text}\n:::"))

    def show_table(self, table: pd.DataFrame | Any, caption: str | None = None) -> None:
        from .tables import style_table

        display(HTML(style_table(table, caption=caption) if isinstance(table, pd.DataFrame) else table))

    def glue(self, name: str, value: Any, display_value: bool = False) -> None:
        """Make ``value`` available to the prose as ``{glue:text}`name```."""
        from myst_nb import glue

        glue(name, value, display=display_value)

    def record(self, values: dict[str, Any]) -> None:
        self.recorder.record(values)

    # ------------------------------------------------------------------ closing
    def provenance(self) -> dict[str, str]:
        from .pipeline import git_commit, sha256_of

        return {
            "data_sha256": os.environ.get("LCNEC_DATA_SHA256") or sha256_of(self.params.data_path) or "unknown",
            "git_commit": os.environ.get("LCNEC_GIT_COMMIT") or git_commit() or "unknown",
            "build_date": os.environ.get("LCNEC_BUILD_DATE") or _dt.date.today().isoformat(),
        }

    def finish(self) -> None:
        prov = self.provenance()
        display(
            HTML(
                '<div class="lcnec-provenance">'
                f"Data file SHA-256 <code>{prov['data_sha256']}</code> · "
                f"git commit <code>{html.escape(prov['git_commit'])}</code> · "
                f"built {prov['build_date']}</div>"
            )
        )
