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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import HTML, Markdown, display

from lcnec_utils.contract.io import StudyData, arm_role, load_study
from lcnec_utils.contract.params import Parameters, make_parameters
from lcnec_utils.contract.results import ResultsRecorder
from lcnec_utils.stats.format import format_value

_PARAMETER_LABELS = {
    "data_path": "Cohort file",
    "ae_path": "Adverse-event file",
    "reference_group": "Reference arm",
    "treatment_group": "Treatment arm",
    "landmark_months": "Landmark (months)",
    "landmark_analysis_months": "Landmark of the landmark analysis (months)",
    "alpha": "Alpha (two-sided)",
    "covariates": "Cox covariates",
    "seed": "Random seed",
}


def is_synthetic(path: str | os.PathLike) -> bool:
    """True for the shipped reconstruction and for registry draws from it (``lcnec synth``),
    both named so in their file names."""
    name = os.path.basename(str(path)).lower()
    return "synthetic" in name or name.startswith("registry_n")


#: How :meth:`Chapter.start` reads the study; the build's workers set a memoising one
#: (:func:`set_study_loader`), a notebook run by hand reads the files each time.
_study_loader: Callable[..., StudyData] = load_study


def set_study_loader(loader: Callable[..., StudyData] | None) -> None:
    """Use ``loader`` (the signature of :func:`lcnec_utils.contract.load_study`) to read
    the study in :meth:`Chapter.start`; ``None`` restores the plain reader."""
    global _study_loader
    _study_loader = load_study if loader is None else loader


class Chapter:
    """One chapter's parameters, data and results recorder."""

    def __init__(self, name: str, params: Parameters, study: StudyData):
        self.name = name
        self.params = params
        self.study = study
        self.recorder = ResultsRecorder(params.results_dir, name)

    # ------------------------------------------------------------------ set-up
    @classmethod
    def start(cls, name: str, namespace: dict[str, Any], show: bool = True) -> Chapter:
        overrides = {key: namespace[key] for key in Parameters.names() if namespace.get(key) is not None}
        if overrides.get("ae_path") == "":
            overrides["ae_path"] = None
        params = make_parameters(overrides)
        study = _study_loader(
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
                    ":::{admonition} Synthetic data\n:class: warning\n"
                    "These rows are a **synthetic cohort reconstructed from the published "
                    "aggregates**, not patients. Numbers that agree with the paper agree by "
                    "construction; see *How the synthetic cohort was built*.\n:::"
                )
            )
        display(HTML(self.parameter_box_html()))
        for note in self.study.notes:
            # the page names the file, never its folder (which may hold a name or a ward)
            self.note(str(note).replace(note.file, os.path.basename(note.file)), kind="note")

    def parameter_box_html(self) -> str:
        p = self.params
        rows = []
        for key, label in _PARAMETER_LABELS.items():
            value = getattr(p, key)
            if key in ("data_path", "ae_path"):
                value = os.path.basename(value) if value else "none"
            elif key == "covariates":
                value = ", ".join(value) if value else "none"
            rows.append(f"<tr><th>{html.escape(label)}</th><td>{html.escape(str(value))}</td></tr>")
        return (
            '<details class="lcnec-params"><summary>Parameters in force</summary>'
            '<table class="lcnec-params-table">' + "".join(rows) + "</table></details>"
        )

    def note(self, text: str, kind: str = "note") -> None:
        """An admonition on the page (``note``, ``warning``, ``important``)."""
        display(Markdown(f":::{{{kind}}}\n{text}\n:::"))

    def show_table(
        self,
        table: pd.DataFrame | Any,
        caption: str | None = None,
        download: str | None = None,
        **style: Any,
    ) -> None:
        """Show a formatted table in the book's style (``tables.style_table`` options in ``style``).

        With ``download="name"`` the table is also written as
        ``<chapter>-<name>.csv`` to the build's downloads and linked under it.
        """
        from lcnec_utils.tables.style import style_table

        if isinstance(table, pd.DataFrame):
            shown = style_table(table, caption=caption, **style)
        elif hasattr(table, "style"):  # a tables.SummaryTable
            shown = table.style()
        else:
            shown = table
        display(HTML(str(shown)))
        if download is not None:
            self.offer_download(table, download)

    @property
    def downloads_dir(self) -> Path:
        """Where tables are written for download: set by the pipeline, else beside the results."""
        return Path(
            os.environ.get("LCNEC_DOWNLOADS_DIR") or Path(self.params.results_dir).parent / "downloads"
        )

    def offer_download(self, table: Any, name: str) -> None:
        """Write ``table`` (a DataFrame or anything with ``.formatted()``) as CSV and link it."""
        frame = table if isinstance(table, pd.DataFrame) else table.formatted()
        filename = f"{self.name}-{name}.csv"
        self.downloads_dir.mkdir(parents=True, exist_ok=True)
        frame.to_csv(self.downloads_dir / filename, index=False, lineterminator="\n")
        display(Markdown(f"{{download}}`Download this table (CSV) <../downloads/{filename}>`"))

    def glue(self, name: str, value: Any, display_value: bool = False) -> None:
        """Make ``value`` available to the prose as ``{glue:text}`name```."""
        from myst_nb import glue

        glue(name, value, display=display_value)

    def glue_text(self, name: str, value: Any, fmt: str = "{}", missing: str = "not available") -> None:
        """Glue ``value`` as finished text, so prose never formats a missing number.

        ``fmt`` is a format string or one of ``"p"`` (0.034, <0.001), ``"pct"``
        (a proportion as 42.9%), ``"pct_ci"`` (a (low, high) pair as
        26.8%–73.2%), ``"hr_ci"`` (an (hr, low, high) triple as 0.51 (0.28–0.92)).
        """
        # glued as a str: myst-nb reads text/plain back with literal_eval, which
        # keeps the quotes' content as written ("0.010", not the number 0.01)
        self.glue(name, format_value(value, fmt, missing))

    def glue_labels(self) -> None:
        """Glue the arm labels and sizes: ``treatment_label``, ``n_treatment``, ..."""
        sizes = self.arm_sizes()
        for role in ("reference", "treatment"):
            self.glue_text(f"{role}_label", getattr(self.params, f"{role}_group"))
            self.glue_text(f"n_{role}", sizes[role])

    def arm_sizes(self) -> dict[str, int]:
        roles = self.roles()
        return {
            "total": len(self.cohort),
            "reference": int((roles == "reference").sum()),
            "treatment": int((roles == "treatment").sum()),
        }

    def has_endpoint(self, endpoint: str) -> bool:
        return {f"{endpoint}_months", f"{endpoint}_event"} <= set(self.cohort.columns)

    def patient_flow(self) -> dict[str, Any]:
        """Numbers for :func:`lcnec_utils.plots.patient_flow`.

        The screening counts exist only for the published study (its Figure 1);
        on any other cohort the diagram starts at the patients in the file.
        """
        sizes = self.arm_sizes()
        screened, excluded = None, {}
        if is_synthetic(self.params.data_path):
            from lcnec_utils.contract.published import published_values

            screened = published_values().get("flow.screened")
            if screened is not None:
                excluded = {"not eligible": int(screened) - sizes["total"]}
        return {
            "screened": screened,
            "excluded_reasons": excluded,
            "included": sizes["total"],
            "n_reference": sizes["reference"],
            "n_treatment": sizes["treatment"],
            "labels": {"reference": self.params.reference_group, "treatment": self.params.treatment_group},
        }

    def record(self, values: dict[str, Any]) -> None:
        self.recorder.record(values)

    # ------------------------------------------------------------------ closing
    def provenance(self) -> dict[str, str]:
        from lcnec_utils.contract.provenance import git_commit, sha256_file

        return {
            "data_sha256": os.environ.get("LCNEC_DATA_SHA256")
            or sha256_file(self.params.data_path)
            or "unknown",
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
