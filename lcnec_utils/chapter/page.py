"""What every chapter does around its analysis: parameters, data, notes, tables, glue, provenance.

A chapter notebook starts with ``ch = Chapter.start("survival", globals())``:
the parameters injected by papermill become a :class:`~lcnec_utils.contract.Parameters`
object, the data are loaded and validated, and the page shows the parameters
in force, a banner when the data are the synthetic reconstruction, and any
note made while reading the files. ``ch.finish()`` closes the page with its
provenance (data checksum, git commit, build date).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from IPython.display import HTML, Markdown, display

from lcnec_utils.chapter.downloads import download_link, downloads_dir, write_download
from lcnec_utils.chapter.footer import page_provenance, provenance_html
from lcnec_utils.chapter.header import SYNTHETIC_BANNER, is_synthetic, parameter_box_html
from lcnec_utils.chapter.intake import cohort_in_force, intake_columns, intake_files, intake_steps
from lcnec_utils.contract.intake import Intake
from lcnec_utils.contract.io import StudyData, arm_role, load_study, load_study_of
from lcnec_utils.contract.params import Parameters, make_parameters
from lcnec_utils.contract.published import published_values
from lcnec_utils.contract.results import ResultsRecorder
from lcnec_utils.contract.results_keys import complete as complete_keys
from lcnec_utils.stats.format import format_value
from lcnec_utils.tables.style import style_table

#: The endpoints a chapter analyses, by column prefix, with their names in the prose.
ENDPOINTS = {"pfs": "Progression-free survival", "os": "Overall survival"}

#: The text columns of the table of files read (:func:`intake_files`).
FILE_TEXT = ("table", "file", "format", "mapping file", "columns ignored")

#: How :meth:`Chapter.start` reads the study; the build's workers set a memoising one
#: (:func:`set_study_loader`), a notebook run by hand reads the files each time.
_study_loader: Callable[..., StudyData] = load_study


def arm_sizes(cohort: pd.DataFrame, params: Parameters) -> dict[str, int]:
    """Patients in all (``total``) and in each arm (``reference``, ``treatment``)."""
    roles = arm_role(cohort, params.reference_group, params.treatment_group)
    return {
        "total": len(cohort),
        "reference": int((roles == "reference").sum()),
        "treatment": int((roles == "treatment").sum()),
    }


def set_study_loader(loader: Callable[..., StudyData] | None) -> None:
    """Use ``loader`` (the signature of :func:`lcnec_utils.contract.load_study`) to read
    the study in :meth:`Chapter.start`; ``None`` restores the plain reader."""
    global _study_loader
    _study_loader = load_study if loader is None else loader


class Chapter:
    """One chapter's parameters, data and results recorder, and what it puts on its page."""

    def __init__(self, name: str, params: Parameters, study: StudyData):
        self.name = name
        self.params = params
        self.study = study
        self.recorder = ResultsRecorder(params.results_dir, name)

    @classmethod
    def start(cls, name: str, namespace: dict[str, Any], show: bool = True) -> Chapter:
        """The chapter ``name`` with the parameters papermill set in ``namespace`` (``globals()``),
        the study read and, with ``show``, the page's header shown."""
        overrides = {key: namespace[key] for key in Parameters.names() if namespace.get(key) is not None}
        params = make_parameters(overrides)
        study = load_study_of(params, _study_loader)
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

    def arm_sizes(self) -> dict[str, int]:
        return arm_sizes(self.cohort, self.params)

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

    def record(self, values: Mapping[str, Any], complete: bool = False) -> None:
        """Record results keys; with ``complete`` the chapter's keys (data/results_keys.yaml) that
        ``values`` lacks are recorded as None, and a key the file does not list raises ``KeyError``."""
        self.recorder.record(complete_keys(self.name, values) if complete else values)

    def show_header(self) -> None:
        """The synthetic-data banner (when it applies), the parameters in force and the reading notes."""
        if is_synthetic(self.params.data_path):
            display(Markdown(SYNTHETIC_BANNER))
        display(HTML(parameter_box_html(self.params)))
        for note in self.study.notes:
            # the page names the file, never its folder (which may hold a name or a ward)
            self.note(str(note).replace(note.file, os.path.basename(note.file)), kind="note")

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
        if isinstance(table, pd.DataFrame):
            shown = style_table(table, caption=caption, **style)
        elif hasattr(table, "style"):  # a tables.SummaryTable
            shown = table.style()
        else:
            shown = table
        display(HTML(str(shown)))
        if download is not None:
            filename = f"{self.name}-{download}.csv"
            write_download(table, downloads_dir(self.params), filename)
            display(Markdown(download_link(filename)))

    def glue(self, name: str, value: Any, display_value: bool = False) -> None:
        """Make ``value`` available to the prose as ``{glue:text}`name```."""
        from myst_nb import glue

        glue(name, value, display=display_value)

    def glue_text(self, name: str, value: Any, fmt: str = "{}", missing: str = "not available") -> None:
        """Glue ``value`` as finished text, so prose never formats a missing number.

        ``fmt`` is a format string or one of ``"p"`` (0.034, <0.001), ``"p_clause"`` (p = 0.034,
        p < 0.001: for a sentence that reads the p-value; ``"p_clause:4"`` four decimals), ``"pct"``
        (a proportion as 42.9%), ``"pct_ci"`` (a (low, high) pair as
        26.8%–73.2%), ``"hr_ci"`` (an (hr, low, high) triple as 0.51 (0.28–0.92)),
        ``"hr_ci_side"`` (the same, a bound that would print as 1.00 with a third decimal:
        0.44 (0.19–0.995)), ``"count:<noun>"`` (a count with its noun in the right number: with
        ``"count:treated patient"``, 1 treated patient, 3 treated patients; ``"count:<singular>|<plural>"``
        where the plural is not the singular with an "s"), ``"months"`` (a time that may be fractional,
        with its unit: 1 month, 1.5 months, 12 months).
        """
        # glued as a str: myst-nb reads text/plain back with literal_eval, which
        # keeps the quotes' content as written ("0.010", not the number 0.01)
        self.glue(name, format_value(value, fmt, missing))

    def glue_texts(self, texts: Mapping[str, tuple]) -> None:
        """:meth:`glue_text` for each ``name: (value, fmt[, missing])``, as a chapter's values hold them."""
        for name, spec in texts.items():
            self.glue_text(name, *spec)

    def glue_labels(self) -> None:
        """Glue the arm labels and sizes: ``treatment_label``, ``n_treatment``, the size with its noun
        ``n_treatment_patients`` ("1 patient", "14 patients"), ...; and the cohort in force in a
        phrase, ``cohort_in_force`` (:func:`~lcnec_utils.chapter.intake.cohort_in_force`)."""
        sizes = self.arm_sizes()
        for role in ("reference", "treatment"):
            self.glue_text(f"{role}_label", getattr(self.params, f"{role}_group"))
            self.glue_text(f"n_{role}", sizes[role])
            self.glue_text(f"n_{role}_patients", sizes[role], "count:patient")
        self.glue_text("cohort_in_force", cohort_in_force(self.params, self.study))

    def glue_published_sizes(self) -> None:
        """Glue the published study's numbers of patients: ``paper_n_total``, ``paper_n_treatment``,
        ``paper_n_reference`` (``data/published.yaml``), for prose that compares them with the cohort in force."""
        paper = published_values()
        for key in ("total", "treatment", "reference"):
            self.glue_text(f"paper_n_{key}", paper.get(f"n.{key}"), "{:.0f}")

    def show_intake(self) -> None:
        """How the files were read (:mod:`lcnec_utils.chapter.intake`): the files, the columns used,
        and the derivations and conversions, or a note that every value was read as written."""
        intake = self.study.intake or Intake()
        self.show_table(intake_files(intake), caption="Files read", text_columns=list(FILE_TEXT))
        self.show_table(
            intake_columns(intake), caption="Columns used", text_columns=["table", "found", "columns"]
        )
        steps = intake_steps(intake)
        if steps.empty:
            self.note("Every value was read as written: nothing was converted or derived from dates.")
        else:
            self.show_table(
                steps,
                caption="Derivations and conversions applied while reading",
                text_columns=["table", "column", "what was done"],
            )

    def finish(self) -> None:
        """Close the page with the provenance of its numbers."""
        display(HTML(provenance_html(page_provenance(self.params))))
