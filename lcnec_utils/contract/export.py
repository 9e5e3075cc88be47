"""The shipped cohort as a hospital would export it: dates instead of months, SPSS-style codes.

:func:`write_dates_export` writes ``data/lcnec_synthetic_cohort_dates.sav``
(SPSS, value labels), ``.xlsx`` (one sheet, dates as Excel dates, coded
values) and the mapping file ``.map.yaml`` that reads both back into the
contract. Built with that mapping, either gives the same ``results.json`` as
the CSV (``tests/test_intake_book.py``).

Treatment start dates come from the cohort's ``start_date`` column when it has
one; otherwise they are assigned, seeded, within the study's accrual
(January 2019 to December 2024) so that every event falls before the
31 December 2024 cut-off: a patient alive at last follow-up is censored at
the cut-off (start = cut-off - follow-up), a patient who died starts on a day
drawn uniformly from the accrual days that leave the death before the
cut-off. Each time becomes a whole number of days (months x 30.4375, rounded);
read back (days / 30.4375, rounded to one decimal) it is the cohort's month
again, since a day is 0.033 months, well inside the 0.05 of the rounding
(checked for every row when the export is made).

The files are written byte for byte the same on every run: the SPSS header's
creation stamp and the workbook's dates are fixed to the cut-off.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from lcnec_utils.contract.dates import DAYS_PER_MONTH, months_text
from lcnec_utils.contract.params import DATA_DIR, DEFAULT_COHORT
from lcnec_utils.contract.schema import ICI_CLASSES, MET_COLUMNS, RESPONSE_LEVELS, SEX_LEVELS

ACCRUAL_START = _dt.date(2019, 1, 1)
CUTOFF = _dt.date(2024, 12, 31)
EXPORT_SEED = 20190101
EXPORT_STEM = "lcnec_synthetic_cohort_dates"
REGIMENS = ("EP/EC/EL", "IP", "TP")
_YES_NO = {0: "no", 1: "yes"}

#: The export's variables: its name, the contract column, and its value labels (code -> label).
_CODED = {
    "Arm": ("group", {1: "Chemo", 2: "ICIs + Chemo"}),
    "VitalStatus": ("os_event", {1: "alive", 2: "dead"}),
    "Sex": ("sex", {i + 1: level for i, level in enumerate(SEX_LEVELS)}),
    "Regimen": ("chemo_regimen", {i + 1: level for i, level in enumerate(REGIMENS)}),
    "BestResponse": ("best_response", {i + 1: level for i, level in enumerate(RESPONSE_LEVELS)}),
    "ICIClass": ("ici_class", {i + 1: level for i, level in enumerate(ICI_CLASSES)}),
}
_PLAIN = {
    "PatientID": "patient_id",
    "AgeAtStart": "age",
    "ECOG": "ecog",
    "LDH": "ldh",
    "Sodium": "sodium",
    "CEA": "cea",
    "ProGRP": "progrp",
    "NSE": "nse",
}
_BINARY = {
    "Smoker": "smoking",
    **{"Met" + c.removeprefix("met_").title(): c for c in MET_COLUMNS},
    "ThoracicRT": "thoracic_rt",
    "OngoingTreatment": "ongoing_treatment",
}
_DATES = ("TreatmentStart", "ProgressionDate", "LastTumourAssessment", "DeathDate", "LastContact")
#: The mapping file's dates: section for the export.
DATE_RULES = {
    "start": "TreatmentStart",
    "progression": "ProgressionDate",
    "last_assessment": "LastTumourAssessment",
    "death": "DeathDate",
    "last_contact": "LastContact",
    "cutoff": CUTOFF,
    "decimals": 1,
    "after_cutoff": "error",
}


def _days(months: pd.Series) -> pd.Series:
    return (months * DAYS_PER_MONTH).round().astype(int)


def assign_start_dates(cohort: pd.DataFrame, seed: int = EXPORT_SEED) -> pd.Series:
    """Each patient's treatment start: the cohort's ``start_date`` when it has the column, else
    assigned as the module's docstring says (seeded; rows in file order)."""
    if "start_date" in cohort:
        return pd.to_datetime(cohort["start_date"]).dt.date
    rng = np.random.default_rng(seed)
    accrual_days = (CUTOFF - ACCRUAL_START).days
    starts = []
    for i, (days, died) in enumerate(zip(_days(cohort["os_months"]), cohort["os_event"] == 1)):
        latest = accrual_days - int(days)  # the last start whose follow-up ends by the cut-off
        if latest < 0:
            raise ValueError(
                f"row {i + 1}: {days} days of follow-up do not fit between the accrual start and the cut-off"
            )
        offset = int(rng.integers(0, latest + 1)) if died else latest
        starts.append(ACCRUAL_START + _dt.timedelta(days=offset))
    return pd.Series(starts, index=cohort.index)


def _check_expressible(cohort: pd.DataFrame) -> None:
    """Rows the dates cannot express under the derivation's rules (a death is a PFS event)."""
    bad = cohort["pfs_months"].isna() | ((cohort["pfs_event"] == 0) & (cohort["os_event"] == 1))
    if bad.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad))
        raise ValueError(f"rows {rows}: no PFS, or PFS censored before a death; dates cannot express them")


def _check_read_back(cohort: pd.DataFrame, os_days: pd.Series, pfs_days: pd.Series) -> None:
    """Rows whose whole days, read back as the mapping file reads them (days / 30.4375, rounded to
    ``DATE_RULES["decimals"]``), are not the cohort's months: their dates would change the cohort."""
    decimals = DATE_RULES["decimals"]
    bad = pd.Series(False, index=cohort.index)
    for column, days in (("os_months", os_days), ("pfs_months", pfs_days)):
        bad |= months_text(days, decimals) != cohort[column].map(lambda m: f"{m:.{decimals}f}")
    if bad.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad))
        raise ValueError(f"rows {rows}: whole days read back as months do not give the cohort's months")


def export_dates(cohort: pd.DataFrame, starts: pd.Series) -> pd.DataFrame:
    """The date columns of the export (datetime.date, None when not applicable)."""
    _check_expressible(cohort)
    os_days, pfs_days = _days(cohort["os_months"]), _days(cohort["pfs_months"])
    _check_read_back(cohort, os_days, pfs_days)
    died, progressed = cohort["os_event"] == 1, cohort["pfs_event"] == 1
    death_only = died & progressed & (pfs_days == os_days)  # the death is the PFS event
    out = pd.DataFrame(index=cohort.index, columns=list(_DATES), dtype=object)
    for i in cohort.index:
        start = starts[i]
        os_end = start + _dt.timedelta(days=int(os_days[i]))
        pfs_end = start + _dt.timedelta(days=int(pfs_days[i]))
        out.loc[i, "TreatmentStart"] = start
        out.loc[i, "DeathDate"] = os_end if died[i] else None
        out.loc[i, "LastContact"] = os_end
        out.loc[i, "ProgressionDate"] = pfs_end if progressed[i] and not death_only[i] else None
        out.loc[i, "LastTumourAssessment"] = None if progressed[i] else pfs_end
    if (out["LastContact"] > CUTOFF).any():
        raise ValueError("a last contact after the cut-off: the start dates do not fit the accrual")
    return out


def _codes(column: pd.Series, labels: dict[int, str]) -> pd.Series:
    by_label = {label: code for code, label in labels.items()}
    return column.map(by_label).astype(float)


def coding(cohort: pd.DataFrame) -> dict[str, tuple[str, dict[int, str]]]:
    """The coded variables: name -> (contract column, code -> value); regimens beyond the three
    listed get the codes from 4 on, in alphabetical order."""
    extra = sorted(set(cohort["chemo_regimen"].dropna()) - set(REGIMENS))
    coded = dict(_CODED)
    coded["Regimen"] = ("chemo_regimen", {**_CODED["Regimen"][1], **{4 + i: r for i, r in enumerate(extra)}})
    return coded


def hospital_table(cohort: pd.DataFrame, seed: int = EXPORT_SEED) -> pd.DataFrame:
    """The cohort as the hospital's export: dates, numeric codes, the hospital's variable names."""
    dates = export_dates(cohort, assign_start_dates(cohort, seed))
    coded = coding(cohort)
    out = pd.DataFrame({"PatientID": cohort["patient_id"], "Arm": _codes(cohort["group"], coded["Arm"][1])})
    for name in _DATES:
        out[name] = dates[name]
    out["VitalStatus"] = cohort["os_event"].map({0: 1.0, 1: 2.0})
    for name, column in _PLAIN.items():
        if name != "PatientID":
            out[name] = cohort[column].astype(float)
    out["Sex"] = _codes(cohort["sex"], coded["Sex"][1])
    for name, column in _BINARY.items():
        out[name] = cohort[column].astype(float)
    for name in ("Regimen", "BestResponse", "ICIClass"):
        out[name] = _codes(cohort[coded[name][0]], coded[name][1])
    return out


def value_labels(table: pd.DataFrame, cohort: pd.DataFrame) -> dict[str, dict[float, str]]:
    """The SPSS value labels of the export's coded and 0/1 variables."""
    labels = {name: {float(k): v for k, v in pairs.items()} for name, (_, pairs) in coding(cohort).items()}
    labels.update({name: {float(k): v for k, v in _YES_NO.items()} for name in _BINARY})
    return {name: pairs for name, pairs in labels.items() if name in table}


def mapping_document(cohort: pd.DataFrame) -> dict:
    """The mapping file of the export, as a YAML document (see docs/spec/data-contract.md)."""
    coded = coding(cohort)
    columns = {**_PLAIN, **_BINARY, **{name: column for name, (column, _) in coded.items()}}
    values = {column: dict(labels) for column, labels in coded.values()}
    values["os_event"] = {1: 0, 2: 1}
    return {"columns": columns, "values": values, "dates": dict(DATE_RULES)}


_MAPPING_HEADER = """\
# Mapping file of the shipped synthetic cohort's date-based export
# (lcnec_synthetic_cohort_dates.sav and .xlsx), written by `lcnec synth --export-dates`.
# It maps the hospital's variable names to the data contract's columns (columns:),
# its numeric codes to the contract's values (values:; in the .sav the same codes carry
# SPSS value labels), and derives os_months/os_event and pfs_months/pfs_event from the
# dates (dates:; months = days / 30.4375, rounded to one decimal as the CSV is).
# The schema: docs/spec/data-contract.md, section "The mapping file".
"""


def _fixed_zip(data: bytes) -> bytes:
    """A zip archive with every member's time, and the workbook's modification stamp (openpyxl sets it
    to the time of saving), set to the cut-off: the same bytes on every run."""
    stamp = f"{CUTOFF.isoformat()}T00:00:00Z".encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            info = zipfile.ZipInfo(
                member.filename, date_time=(CUTOFF.year, CUTOFF.month, CUTOFF.day, 0, 0, 0)
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = member.external_attr
            content = source.read(member.filename)
            if member.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, content)
            target.writestr(info, content)
    return out.getvalue()


def write_xlsx(table: pd.DataFrame, path: Path) -> Path:
    """One sheet, ``Patients``: the header, then a row per patient; dates as Excel dates (DD.MM.YYYY)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Patients"
    sheet.append(list(table.columns))
    for row in table.itertuples(index=False):
        sheet.append([None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in row])
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, (_dt.date, _dt.datetime)):
                cell.number_format = "DD.MM.YYYY"
    stamp = _dt.datetime(CUTOFF.year, CUTOFF.month, CUTOFF.day)
    book.properties.created = book.properties.modified = stamp
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_fixed_zip(buffer.getvalue()))
    return path


def write_sav(table: pd.DataFrame, labels: dict[str, dict[float, str]], path: Path) -> Path:
    """An SPSS system file with value labels and DATE11 dates; its creation stamp set to the cut-off."""
    import pyreadstat

    pyreadstat.write_sav(
        table,
        str(path),
        variable_value_labels=labels,
        variable_format={name: "DATE11" for name in _DATES},
        variable_measure={name: "nominal" for name in labels},
    )
    data = bytearray(path.read_bytes())
    # the header's creation date (9 bytes) and time (8 bytes) follow 92 bytes of fixed fields
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[
        CUTOFF.month - 1
    ]
    data[92:109] = f"{CUTOFF.day:02d} {month} {CUTOFF.year % 100:02d}00:00:00".encode()
    path.write_bytes(bytes(data))
    return path


def write_dates_export(
    cohort_csv: str | Path = DEFAULT_COHORT, out_dir: str | Path = DATA_DIR, seed: int = EXPORT_SEED
) -> list[Path]:
    """Write the date-based export of ``cohort_csv`` (.sav, .xlsx, .map.yaml) to ``out_dir``."""
    cohort = pd.read_csv(cohort_csv)
    table = hospital_table(cohort, seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mapping = out / f"{EXPORT_STEM}.map.yaml"
    text = yaml.safe_dump(mapping_document(cohort), sort_keys=False, allow_unicode=True, width=100)
    mapping.write_text(_MAPPING_HEADER + text, encoding="utf-8")
    return [
        write_sav(table, value_labels(table, cohort), out / f"{EXPORT_STEM}.sav"),
        write_xlsx(table, out / f"{EXPORT_STEM}.xlsx"),
        mapping,
    ]
