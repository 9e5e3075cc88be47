"""Reading a cohort as hospitals export it, mapped once, and never silently misread.

Each file goes through the same steps, each in its own module:

1. read, read-only, in the format its content shows (:mod:`.readers`: CSV/TSV,
   Excel, SPSS, Stata, Parquet); rows that are entirely empty are dropped;
2. its headers matched to the contract's columns (:mod:`.headers`: the
   mapping file's ``columns:``, the same names, names that differ only in case,
   spaces or punctuation; a near miss is an error);
3. value codes recoded (:mod:`.codes`: the mapping's ``values:``, SPSS/Stata
   value labels);
4. cells coerced to the contract's notation (:mod:`.coerce`: missing codes,
   the file's decimal mark, whole numbers, 0/1 words, listed values in any case);
5. OS and PFS derived from dates when the mapping has ``dates:`` (:mod:`.dates`);
6. the contract checked on the result (:mod:`.schema`), then typed.

Every conversion is recorded in the file's
:class:`~lcnec_utils.contract.intake.TableIntake`; every value that cannot be
read safely is an error naming file, column, rows and the fix. Columns outside
the contract are dropped so that identifying extras (names, dates of birth)
never reach a page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lcnec_utils.contract import schema
from lcnec_utils.contract.codes import apply_codes
from lcnec_utils.contract.coerce import coerce_table, missing_cells
from lcnec_utils.contract.dates import Derived, derive_times
from lcnec_utils.contract.headers import resolve_headers
from lcnec_utils.contract.intake import DERIVED, Intake, TableIntake, file_name
from lcnec_utils.contract.mapping import DateRules, Mapping, TableMapping, load_mapping
from lcnec_utils.contract.problems import Coercion, DataProblem, DataValidationError
from lcnec_utils.contract.readers.dispatch import read_table
from lcnec_utils.contract.readers.table import RawTable, is_missing

COHORT, ADVERSE_EVENTS = "cohort", "adverse events"


@dataclass
class LoadedTable:
    """A validated table with the notes made while reading it and how it was read."""

    frame: pd.DataFrame
    notes: list[DataProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    intake: TableIntake | None = None


@dataclass
class ContractText:
    """A file's contract columns in the contract's notation (text, pd.NA for missing) before the
    contract is checked: the ``problems`` found so far, the cells already refused (``reported``,
    as (column, row index)), the warnings (``notes``) and the :class:`TableIntake`."""

    frame: pd.DataFrame
    problems: list[DataProblem]
    notes: list[DataProblem]
    reported: set[tuple[str, int]]
    intake: TableIntake


def drop_empty_rows(raw: RawTable) -> tuple[pd.DataFrame, list[Coercion]]:
    """The rows with at least one value (rows keep their numbers); a record of those dropped
    (Excel's trailing rows, blank lines of separators only)."""
    empty = raw.frame.map(is_missing).all(axis=1) if len(raw.frame.columns) else pd.Series(dtype=bool)
    if not empty.any():
        return raw.frame, []
    rows = tuple(int(i) + 1 for i in raw.frame.index[empty])
    return raw.frame[~empty], [Coercion(raw.file, None, "entirely empty rows ignored", rows)]


def _id_headers(mapping: TableMapping) -> tuple[str, ...]:
    return ("patient_id", *[h for h, name in mapping.columns.items() if name == "patient_id"])


def _decimal_note(raw: RawTable, records: list[Coercion]) -> list[DataProblem]:
    columns = [c.column for c in records if "decimal comma" in c.what]
    if not columns:
        return []
    listed = ", ".join(f"'{c}'" for c in columns)
    return [DataProblem(raw.file, None, [], f"decimal commas read as decimal points in {listed}", "warning")]


def _derive(
    frame: pd.DataFrame,
    text: pd.DataFrame,
    rules: DateRules,
    file: str,
    out_records: list[Coercion],
    reported: set[tuple[str, int]],
) -> Derived:
    """The dates' derivation (:func:`derive_times`) from the file's columns ``frame``, written into the
    contract's columns ``text``; its records added to ``out_records``, the rows it could not derive to
    ``reported``."""
    for header in rules.headers:
        frame[header], records = missing_cells(frame[header], header, file)
        out_records += records
    status = {c: text[c] for c in ("os_event", "pfs_event") if c in text}
    derived = derive_times(frame, rules, file, status)
    if status:
        derived.description.append(", ".join(status) + " as the file gives it: checked against the dates")
    for name, column in derived.columns.items():
        text[name] = column
        reported.update((name, int(i)) for i in frame.index[derived.failed])
    out_records += derived.coercions
    return derived


def contract_text(
    path: str | Path,
    specs: dict[str, schema.ColumnSpec],
    mapping: TableMapping,
    role: str,
    sheet: str | None = None,
    map_file: str | None = None,
) -> ContractText:
    """Steps 1-5 of the module's docstring for one file: its contract columns in the contract's notation."""
    raw = read_table(path, sheet or mapping.sheet, _id_headers(mapping))
    file = raw.file
    frame, records = drop_empty_rows(raw)
    derived_names = ["os_months"] + (["pfs_months"] if mapping.dates and mapping.dates.progression else [])
    headers = resolve_headers(
        list(frame.columns), specs, file, mapping, derived_names if mapping.dates else ()
    )
    problems = list(headers.problems)
    records += headers.coercions
    used = frame[list(headers.renames)].rename(columns=headers.renames)
    labels = {headers.renames[h]: v for h, v in raw.value_labels.items() if h in headers.renames}
    used, code_records = apply_codes(used, specs, mapping.values, labels, file)
    coerced = coerce_table(
        used, specs, file, decimal=mapping.decimal, thousands=mapping.thousands, missing=mapping.missing
    )
    records += code_records + coerced.coercions
    problems += coerced.problems
    text, reported = coerced.frame, set(coerced.reported)
    derivations: list[str] = []
    period = None
    if mapping.dates is not None and not headers.problems:
        derived = _derive(frame.copy(), text, mapping.dates, file, records, reported)
        problems += derived.problems
        derivations, period = derived.description, derived.period
    order = [name for name in specs if name in text.columns]
    text = text[order].astype(object).where(text[order].notna(), pd.NA)
    intake = TableIntake(
        role,
        file_name(file) or file,
        raw.describe(),
        file_name(map_file),
        len(raw.frame),
        len(frame),
        _sources(order, headers.renames, derivations),
        headers.ignored,
        derivations,
        records,
        period,
        mapping.dates.cutoff.isoformat() if mapping.dates and derivations else None,
    )
    return ContractText(text, problems, list(raw.notes) + _decimal_note(raw, records), reported, intake)


def _sources(order: list[str], renames: dict[str, str], derivations: list[str]) -> dict[str, str]:
    """Each contract column's source: its file header, or ``derived from dates``."""
    derived = {"os_months", "os_event", "pfs_months", "pfs_event"} if derivations else set()
    by_name = {name: header for header, name in renames.items()}
    return {name: DERIVED if name in derived else by_name[name] for name in order}


def _unreported(problems: list[DataProblem], reported: set[tuple[str, int]]) -> list[DataProblem]:
    """The contract's problems without the cells an earlier step already refused."""
    out = []
    for p in problems:
        if p.column is None or not p.rows:
            out.append(p)
            continue
        rows = [r for r in p.rows if (p.column, r - 1) not in reported]
        if rows:
            out.append(DataProblem(p.file, p.column, rows, p.message, p.severity) if rows != p.rows else p)
    return out


def _finish(read: ContractText, contract_problems: list[DataProblem]) -> list[DataProblem]:
    problems = read.notes + read.problems + _unreported(contract_problems, read.reported)
    errors = schema.errors_only(problems)
    if errors:
        raise DataValidationError(errors)
    return problems


def load_cohort(
    path: str | Path,
    reference_group: str | None = None,
    treatment_group: str | None = None,
    *,
    mapping: Mapping | None = None,
    sheet: str | None = None,
) -> LoadedTable:
    """Read, map, coerce and validate a cohort table; raise :class:`DataValidationError` on any error."""
    mapping = mapping or Mapping()
    read = contract_text(path, schema.COHORT_SPEC, mapping.cohort, COHORT, sheet, mapping.file)
    found = schema.validate_cohort_frame(
        read.frame, str(path), reference_group, treatment_group, read.intake.columns_ignored
    )
    problems = _finish(read, found)
    frame = schema.typed_cohort(read.frame).reset_index(drop=True)
    return LoadedTable(frame, problems, read.intake.columns_ignored, read.intake)


def load_adverse_events(
    path: str | Path,
    cohort: pd.DataFrame | None = None,
    *,
    mapping: Mapping | None = None,
    sheet: str | None = None,
) -> LoadedTable:
    """Read, map, coerce and validate an adverse-event table against the cohort's patient ids."""
    mapping = mapping or Mapping()
    read = contract_text(path, schema.AE_SPEC, mapping.adverse_events, ADVERSE_EVENTS, sheet, mapping.file)
    ids = cohort["patient_id"] if cohort is not None else None
    os_months = cohort["os_months"] if cohort is not None else None
    found = schema.validate_ae_frame(read.frame, str(path), ids, read.intake.columns_ignored, os_months)
    problems = _finish(read, found)
    known = [c.name for c in schema.AE_COLUMNS if c.name in read.frame.columns]
    frame = schema.typed_ae(read.frame[known]).reset_index(drop=True)
    return LoadedTable(frame, problems, read.intake.columns_ignored, read.intake)


@dataclass
class StudyData:
    """The cohort and, when given, its adverse events, both validated, and how they were read."""

    cohort: pd.DataFrame
    adverse_events: pd.DataFrame | None
    notes: list[DataProblem]
    ignored_columns: list[str]
    intake: Intake | None = None


def load_study(
    data_path: str | Path,
    ae_path: str | Path | None = None,
    reference_group: str | None = None,
    treatment_group: str | None = None,
    *,
    map_path: str | Path | None = None,
    sheet: str | None = None,
) -> StudyData:
    """Load both tables, collecting every error of both before raising.

    ``map_path`` is a mapping file (:mod:`lcnec_utils.contract.mapping`);
    ``sheet`` the cohort's sheet in an Excel workbook (default: the mapping's,
    else the first).
    """
    mapping = load_mapping(map_path)
    errors: list[DataProblem] = []
    cohort = ae = None
    notes: list[DataProblem] = []
    ignored: list[str] = []
    intake = Intake()
    try:
        loaded = load_cohort(data_path, reference_group, treatment_group, mapping=mapping, sheet=sheet)
        cohort, notes, ignored = loaded.frame, loaded.notes, loaded.ignored_columns
        intake.tables.append(loaded.intake)
    except DataValidationError as err:
        errors.extend(err.problems)
    if ae_path:
        try:
            loaded_ae = load_adverse_events(ae_path, cohort, mapping=mapping)
            ae = loaded_ae.frame
            notes += loaded_ae.notes
            intake.tables.append(loaded_ae.intake)
        except DataValidationError as err:
            errors.extend(err.problems)
    if errors:
        raise DataValidationError(errors)
    return StudyData(cohort, ae, notes, ignored, intake)


def load_study_of(params: Any, loader: Callable[..., StudyData] | None = None) -> StudyData:
    """The study a :class:`~lcnec_utils.contract.params.Parameters` names: its cohort and adverse-event
    files, arm labels, mapping file and sheet, read by :func:`load_study` (or by ``loader``, a function
    with its signature, such as the build's memoised one)."""
    return (loader or load_study)(
        params.data_path,
        params.ae_path,
        params.reference_group,
        params.treatment_group,
        map_path=params.map_path,
        sheet=params.sheet,
    )


def arm_role(cohort: pd.DataFrame, reference_group: str, treatment_group: str) -> pd.Series:
    """'reference' / 'treatment' per patient from the group labels."""
    role = cohort["group"].map({reference_group: "reference", treatment_group: "treatment"})
    return role.astype("string")
