"""How the data were read, as the cohort chapter shows it, and the cohort in force in a sentence.

The tables come from the :class:`~lcnec_utils.contract.intake.Intake` the
loader recorded: files by name, formats, the mapping file, rows, which header
became which contract column, the headers ignored (by name), the derivations
from dates and every conversion with the number of rows it touched. No patient
id and no value of an ignored column is in it (the loader never records one).
"""

from __future__ import annotations

import os

import pandas as pd

from lcnec_utils.chapter.header import is_synthetic
from lcnec_utils.contract.intake import Intake
from lcnec_utils.contract.io import StudyData, arm_role
from lcnec_utils.contract.params import Parameters


def intake_files(intake: Intake) -> pd.DataFrame:
    """One row per file read: its role, name, format, mapping file, rows read and used, headers ignored."""
    return pd.DataFrame(
        [
            {
                "table": t.role,
                "file": t.file,
                "format": t.format,
                "mapping file": t.mapping or "none",
                "rows read": t.rows_read,
                "rows used": t.rows_used,
                "columns ignored": ", ".join(t.columns_ignored) or "none",
            }
            for t in intake.tables
        ],
        columns=["table", "file", "format", "mapping file", "rows read", "rows used", "columns ignored"],
    )


def intake_columns(intake: Intake) -> pd.DataFrame:
    """The contract columns used, per table and by how they were found: as named, under another name
    (``header -> column``), derived from dates."""
    rows = [
        {"table": t.role, "found": label, "columns": ", ".join(names)}
        for t in intake.tables
        for label, names in t.column_groups().items()
    ]
    return pd.DataFrame(rows, columns=["table", "found", "columns"])


def intake_steps(intake: Intake) -> pd.DataFrame:
    """One row per derivation from dates and per conversion applied while reading: the table, the
    column (blank for whole rows or a derivation), what was done and how many rows it touched."""
    rows = []
    for t in intake.tables:
        rows += [{"table": t.role, "column": "", "what was done": d, "rows": None} for d in t.derivations]
        for c in t.coercions:
            rows.append(
                {"table": t.role, "column": c.column or "", "what was done": c.what, "rows": c.count or None}
            )
    return pd.DataFrame(rows, columns=["table", "column", "what was done", "rows"]).astype({"rows": "Int64"})


def cohort_in_force(params: Parameters, study: StudyData) -> str:
    """The cohort this build analyses in one phrase: the file, the patients per arm and, when the
    times were derived from dates, the treatment period and the data cut-off."""
    roles = arm_role(study.cohort, params.reference_group, params.treatment_group)
    file = os.path.basename(str(params.data_path))
    arms = (
        f"{len(study.cohort)} patients, {int((roles == 'treatment').sum())} in the "
        f"{params.treatment_group} arm and {int((roles == 'reference').sum())} in the "
        f"{params.reference_group} arm"
    )
    tables = study.intake.tables if study.intake else []
    period = next((t for t in tables if t.period), None)
    when = f"; treatment started {period.period}, data cut-off {period.cutoff}" if period else ""
    if is_synthetic(params.data_path):
        return f"the shipped synthetic cohort ({file}), reconstructed from the published aggregates: {arms}{when}"
    return f"the cohort of {file}: {arms}{when}"
