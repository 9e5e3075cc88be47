"""The data contract as pandera schemas, and the messages a user sees.

The cohort and adverse-event tables arrive here in the contract's own
notation (:mod:`lcnec_utils.contract.io` read, mapped and coerced them, each
conversion recorded) and are validated strictly before anything is computed:
``1`` not ``1.0``, ``Male`` not ``male``, a dot as the decimal mark. Every
problem becomes one :class:`~lcnec_utils.contract.problems.DataProblem`:
file, column, offending rows as 1-based data-row numbers (the header is row
0, so a spreadsheet shows the same row one line lower), what was expected.
Patient ids are never quoted.

Every check of a single column (type, range, allowed values, empty and
repeated cells) and every rule across the cells of one row (pfs_months within
os_months, times that look like days, known patients in the adverse events, an
adverse event's onset within its patient's follow-up) is a pandera check; what
is left here by hand are the whole-table rules (two groups, arm parameters) and
the warnings.

Contract: ``docs/spec/data-contract.md``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from lcnec_utils.contract.problems import DataProblem

BINARY = ("0", "1")
SEX_LEVELS = ("Male", "Female")
RESPONSE_LEVELS = ("CR", "PR", "SD", "PD", "NE")
ICI_CLASSES = ("PD-1", "PD-L1", "PD-1/CTLA-4")
MET_COLUMNS = (
    "met_bone",
    "met_liver",
    "met_brain",
    "met_adrenal",
    "met_pleura",
    "met_intrapulmonary",
    "met_other",
)
LAB_COLUMNS = ("ldh", "sodium", "cea", "progrp", "nse")
#: Above this many months an OS or PFS time is taken to be in days (20 years of
#: follow-up is implausible for stage IV LCNEC; 240 days is an ordinary value).
DAYS_SUSPECT_MONTHS = 240.0
#: An arm smaller than this still builds, with a warning.
MIN_ARM_SIZE = 3


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str  # "id", "text", "number", "integer", "binary", "category"
    required: bool = False
    low: float | None = None
    high: float | None = None
    levels: tuple[str, ...] = ()
    open_levels: bool = False  # other levels allowed (reported as they are)


COHORT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("patient_id", "id", required=True),
    ColumnSpec("group", "text", required=True),
    ColumnSpec("os_months", "number", required=True, low=0),
    ColumnSpec("os_event", "binary", required=True),
    ColumnSpec("pfs_months", "number", low=0),
    ColumnSpec("pfs_event", "binary"),
    ColumnSpec("age", "number", low=18, high=110),
    ColumnSpec("sex", "category", levels=SEX_LEVELS),
    ColumnSpec("ecog", "integer", low=0, high=4),
    ColumnSpec("smoking", "binary"),
    *(ColumnSpec(c, "binary") for c in MET_COLUMNS),
    ColumnSpec("chemo_regimen", "category", levels=("EP/EC/EL", "IP", "TP"), open_levels=True),
    ColumnSpec("thoracic_rt", "binary"),
    *(ColumnSpec(c, "number", low=0) for c in LAB_COLUMNS),
    ColumnSpec("best_response", "category", levels=RESPONSE_LEVELS),
    ColumnSpec("ici_class", "category", levels=ICI_CLASSES),
    ColumnSpec("ongoing_treatment", "binary"),
)

AE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("patient_id", "text", required=True),
    ColumnSpec("term", "text", required=True),
    ColumnSpec("grade", "integer", required=True, low=1, high=5),
    ColumnSpec("immune_related", "binary", required=True),
    ColumnSpec("onset_months", "number", low=0),
)

COHORT_SPEC = {c.name: c for c in COHORT_COLUMNS}
AE_SPEC = {c.name: c for c in AE_COLUMNS}


def _as_number(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def _is_integer_text(s: pd.Series) -> pd.Series:
    return s.str.fullmatch(r"[+-]?\d+")


def _expected(spec: ColumnSpec) -> str:
    if spec.kind == "binary":
        return "0 or 1"
    if spec.kind in ("number", "integer"):
        what = "a whole number" if spec.kind == "integer" else "a number"
        if spec.low is not None and spec.high is not None:
            return f"{what} from {spec.low:g} to {spec.high:g}"
        if spec.low is not None:
            return f"{what} >= {spec.low:g}"
        return what
    if spec.kind == "category":
        return "one of " + ", ".join(f"'{v}'" for v in spec.levels)
    return "non-empty text"


def _column_checks(spec: ColumnSpec) -> list[pa.Check]:
    """pandera checks on the text of one column; the error text is the expectation."""
    expect = _expected(spec)
    checks: list[pa.Check] = []
    if spec.kind == "binary":
        checks.append(pa.Check.isin(list(BINARY), error=expect))
    elif spec.kind == "number":
        checks.append(pa.Check(lambda s: _as_number(s).notna(), error=expect))
    elif spec.kind == "integer":
        checks.append(pa.Check(lambda s: _is_integer_text(s), error=expect))
    elif spec.kind == "category" and not spec.open_levels:
        checks.append(pa.Check.isin(list(spec.levels), error=expect))
    if spec.kind in ("number", "integer"):
        low, high = spec.low, spec.high
        if low is not None:
            checks.append(pa.Check(lambda s, low=low: ~(_as_number(s) < low), error=expect))
        if high is not None:
            checks.append(pa.Check(lambda s, high=high: ~(_as_number(s) > high), error=expect))
    return checks


@dataclass(frozen=True)
class RowRule:
    """A rule across the cells of one row, checked by pandera as a frame-wide check.

    ``passes`` returns True for the rows that keep the rule; the problem is
    reported on ``column`` with ``message(frame, failing_index)``.
    """

    key: str
    column: str
    needs: tuple[str, ...]
    passes: Callable[[pd.DataFrame], pd.Series]
    message: Callable[[pd.DataFrame, pd.Index], str]


def _days_rule(column: str) -> RowRule:
    return RowRule(
        f"{column} in days",
        column,
        (column,),
        lambda d: ~(_as_number(d[column]) > DAYS_SUSPECT_MONTHS),
        lambda d, i: (
            f"times up to {_as_number(d.loc[i, column]).max():g} look like days, not "
            "months; divide by 30.4375 to convert days to months"
        ),
    )


COHORT_ROW_RULES: tuple[RowRule, ...] = (
    RowRule(
        "patient id present",
        "patient_id",
        ("patient_id",),
        lambda d: d["patient_id"].notna(),
        lambda d, i: "empty patient id; every row needs a pseudonymous id (it is never shown in the book)",
    ),
    _days_rule("os_months"),
    _days_rule("pfs_months"),
    RowRule(
        "pfs pair",
        "pfs_months",
        ("pfs_months", "pfs_event"),
        lambda d: d["pfs_months"].isna() == d["pfs_event"].isna(),
        lambda d, i: "'pfs_months' and 'pfs_event' must be both given or both empty",
    ),
    RowRule(
        "pfs within os",
        "pfs_months",
        ("pfs_months", "os_months"),
        lambda d: ~(_as_number(d["pfs_months"]) > _as_number(d["os_months"]) + 1e-9),
        lambda d, i: (
            "pfs_months is longer than os_months; progression-free survival cannot outlast overall survival"
        ),
    ),
)


def _known_patient_rule(patient_ids: pd.Series) -> RowRule:
    known = set(patient_ids.dropna())
    return RowRule(
        "known patient",
        "patient_id",
        ("patient_id",),
        lambda d: d["patient_id"].isna() | d["patient_id"].isin(known),
        lambda d, i: "adverse events for patients who are not in the cohort table",
    )


def _onset_within_follow_up_rule(patient_ids: pd.Series, os_months: pd.Series) -> RowRule:
    os_of = dict(zip(patient_ids, _as_number(os_months)))
    return RowRule(
        "onset within follow-up",
        "onset_months",
        ("onset_months", "patient_id"),
        lambda d: ~(_as_number(d["onset_months"]) > d["patient_id"].map(os_of) + 1e-9),
        lambda d, i: (
            "onset_months is later than the patient's os_months; an adverse event cannot start "
            "after death or the last follow-up"
        ),
    )


def _frame_schema(
    specs: Iterable[ColumnSpec], present: set[str], rules: Iterable[RowRule] = ()
) -> pa.DataFrameSchema:
    columns = {}
    for spec in specs:
        if spec.name not in present:
            continue
        columns[spec.name] = pa.Column(
            str,
            checks=_column_checks(spec),
            nullable=not spec.required or spec.kind == "id",
            unique=spec.kind == "id",
            coerce=False,
        )
    checks = [
        pa.Check(rule.passes, name=rule.key, error=rule.key) for rule in rules if set(rule.needs) <= present
    ]
    return pa.DataFrameSchema(columns, checks=checks, strict=False)


#: Placeholders for "missing"; the contract wants them empty (the reading empties NA, N/A, NaN, .,
#: #N/A, NULL and None, and a mapping file's own codes, before the contract is checked).
NA_TOKENS = {"na", "n/a", "nan", "null", "none", ".", "-", "--", "?", "missing", "unknown", "#n/a"}
_YES = {"yes", "y", "true", "t", "ja", "oui", "si", "sí", "x"}
_NO = {"no", "n", "false", "f", "nein", "non"}
_MAP = "in a mapping file (--map)"
_DECIMAL_ZERO = re.compile(r"[+-]?\d+[.,]0+")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_DATE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T].*)?")

#: What 1 and 0 mean, per 0/1 column, for the recoding hint.
_BINARY_MEANING = {
    "os_event": "1 = died, 0 = alive at last follow-up (censored)",
    "pfs_event": "1 = progressed or died, 0 = neither at last follow-up (censored)",
    "immune_related": "1 = immune-related, 0 = not",
}


def _shown(values: list[str]) -> str:
    """The offending values, quoted; dates (possibly of birth) are never echoed."""
    safe = [v for v in values if not _DATE.fullmatch(v)]
    dated = len(values) - len(safe)
    text = ", ".join(repr(v) for v in safe[:5]) + (" ..." if len(safe) > 5 else "")
    if dated:
        text += ("; " if text else "") + f"{dated} date value{'s' if dated > 1 else ''} (not shown)"
    return text


def _hint(spec: ColumnSpec | None, bad: list[str]) -> str:
    """How to fix the values ``bad`` of a column with contract ``spec``."""
    if spec is None:
        return ""
    low = [b.lower() for b in bad]
    hints: list[str] = []
    if any(b in NA_TOKENS for b in low):
        if spec.required:
            hints.append("this column is required: every row needs a value")
        else:
            hints.append(
                f"leave a missing value as an empty cell, or list the placeholder under missing: {_MAP}"
            )
    if spec.kind == "binary":
        if any(_DECIMAL_ZERO.fullmatch(b) for b in bad):
            hints.append(
                "write whole numbers 0 and 1, not 0.0 and 1.0: the export stored the column "
                "as decimals, so convert it to integer (in Excel, format it with 0 decimal places)"
            )
        if any(b in _YES or b in _NO for b in low):
            hints.append(f"recode yes/true as 1 and no/false as 0, or map the words {_MAP}")
        meaning = _BINARY_MEANING.get(spec.name)
        hints.append(f"code the column as {meaning}" if meaning else "code the column as 0 = no, 1 = yes")
        hints.append(
            f"other codes (e.g. 1 = alive, 2 = dead) are recoded by values: {{{spec.name}: ...}} {_MAP}"
        )
    elif spec.kind in ("number", "integer"):
        if any(_DECIMAL_COMMA.fullmatch(b) for b in bad):
            hints.append("use a dot as the decimal separator: 12.5, not 12,5")
        if spec.kind == "integer" and any(_DECIMAL_ZERO.fullmatch(b) for b in bad):
            hints.append("write whole numbers without decimals (2, not 2.0)")
        if any(_DATE.fullmatch(b) for b in bad):
            hints.append("dates are not accepted here; give the value the column asks for")
        if spec.low is not None and any((_as_number(pd.Series([b])) < spec.low).any() for b in bad):
            if spec.name == "age" and spec.low == 18:
                hints.append("the study includes adults only, 18 and over")
            else:
                hints.append(f"values below {spec.low:g} are not allowed")
        if spec.high is not None and any((_as_number(pd.Series([b])) > spec.high).any() for b in bad):
            hints.append(f"values above {spec.high:g} are not allowed")
    elif spec.kind == "category":
        by_case = {v.lower(): v for v in spec.levels}
        fixes = sorted({f"'{b}' -> '{by_case[b.lower()]}'" for b in bad if b.lower() in by_case})
        if fixes:
            hints.append("the values are case-sensitive: " + ", ".join(fixes))
        else:
            hints.append(f"other spellings or codes are recoded by values: {{{spec.name}: ...}} {_MAP}")
    return "; ".join(hints)


def _problems_from_pandera(
    err: pa.errors.SchemaErrors, file: str, raw: pd.DataFrame, rules: Iterable[RowRule] = ()
) -> list[DataProblem]:
    fc = err.failure_cases
    problems: list[DataProblem] = []
    by_key = {rule.key: rule for rule in rules}
    row_rules = fc["check"].isin(list(by_key))
    seen: set[tuple[str | None, int]] = set()
    for (column, check), cases in fc[~row_rules].groupby(["column", "check"], sort=False, dropna=False):
        column = None if pd.isna(column) else str(column)
        check = str(check)
        # one message per cell: a value that is not a number also fails its range check
        indices = [int(i) for i in cases["index"].dropna().unique() if (column, int(i)) not in seen]
        if check.startswith("column_in_dataframe"):
            continue  # columns present are the only ones in the schema
        if not indices and check not in ("field_uniqueness", "not_nullable"):
            continue
        seen.update((column, i) for i in indices)
        rows = sorted(i + 1 for i in indices)
        if check == "field_uniqueness":
            if column == "patient_id":
                message = (
                    "each patient must have one row with a unique id; these rows share an id "
                    "with another row (ids are not shown): remove the repeated rows or correct the ids"
                )
            else:
                message = "values must be unique; these rows share a value with another row"
        elif check == "not_nullable":
            message = "empty cells where a value is required (missing codes such as NA count as empty)"
        else:
            spec = COHORT_SPEC.get(column or "") or AE_SPEC.get(column or "")
            mask = cases["index"].isin(indices)
            bad = cases.loc[mask, "failure_case"].astype(str).unique().tolist()
            message = f"expected {check}; found {_shown(bad)}"
            hint = _hint(spec, bad)
            if hint:
                message += f"; {hint}"
        problems.append(DataProblem(file, column, rows, message))
    for key, cases in fc[row_rules].groupby("check", sort=False):
        rule = by_key[str(key)]
        index = pd.Index(sorted(int(i) for i in cases["index"].dropna().unique()))
        problems.append(DataProblem(file, rule.column, [i + 1 for i in index], rule.message(raw, index)))
    return problems


def _missing_required(
    frame: pd.DataFrame, specs: Iterable[ColumnSpec], file: str, other_headers: Iterable[str] = ()
) -> list[DataProblem]:
    problems = []
    present = list(frame.columns)
    known = {s.name for s in specs}
    # a header that is not in the contract (the reading set it aside) is a candidate for a misspelling
    candidates = {
        c.strip().lower().replace(" ", "_"): c for c in [*present, *other_headers] if c not in known
    }
    for spec in specs:
        if spec.required and spec.name not in present:
            close = difflib.get_close_matches(spec.name, list(candidates), n=1, cutoff=0.6)
            hint = (
                f"; did you mean '{candidates[close[0]]}'? rename that column to '{spec.name}' "
                f"or map it {_MAP}"
                if close
                else "; add it (see the data contract for its meaning)"
            )
            problems.append(DataProblem(file, spec.name, [], f"required column is missing{hint}"))
    return problems


def _rows(mask: pd.Series) -> list[int]:
    """The 1-based row numbers of a mask's hits (a table's index is its rows counted from 0)."""
    return [int(i) + 1 for i in mask.index[mask.to_numpy(dtype=bool)]]


def validate_cohort_frame(
    raw: pd.DataFrame,
    file: str,
    reference_group: str | None = None,
    treatment_group: str | None = None,
    other_headers: Iterable[str] = (),
) -> list[DataProblem]:
    """All contract breaches of a cohort table read as text (empty cells as NA); ``other_headers``
    are the file's headers outside the contract, suggested for a missing required column."""
    problems = _missing_required(raw, COHORT_COLUMNS, file, other_headers)
    if len(raw) == 0:
        problems.append(DataProblem(file, None, [], "the file has a header but no patient rows"))
        return problems
    if problems:
        return problems
    schema = _frame_schema(COHORT_COLUMNS, set(raw.columns), COHORT_ROW_RULES)
    try:
        schema.validate(raw, lazy=True)
    except pa.errors.SchemaErrors as err:
        problems.extend(_problems_from_pandera(err, file, raw, COHORT_ROW_RULES))
    problems.extend(_cross_column_problems(raw, file))
    problems.extend(_group_problems(raw, file, reference_group, treatment_group))
    return problems


def _cross_column_problems(raw: pd.DataFrame, file: str) -> list[DataProblem]:
    """What pandera's column and row checks cannot say: a column of a pair absent, and
    the warning for patients without any covariate."""
    problems = []
    if "pfs_event" in raw and "pfs_months" not in raw:
        problems.append(
            DataProblem(file, "pfs_months", [], "'pfs_event' is given but 'pfs_months' is missing")
        )
    if "pfs_months" in raw and "pfs_event" not in raw:
        problems.append(
            DataProblem(file, "pfs_event", [], "'pfs_months' is given but 'pfs_event' is missing")
        )
    covariates = [c.name for c in COHORT_COLUMNS if not c.required and c.name in raw]
    covariates = [c for c in covariates if c not in ("pfs_months", "pfs_event")]
    if covariates:
        all_missing = raw[covariates].isna().all(axis=1)
        if all_missing.any() and len(covariates) > 1:
            problems.append(
                DataProblem(
                    file,
                    None,
                    _rows(all_missing),
                    "every covariate is empty for these patients; they enter the survival analyses only",
                    severity="warning",
                )
            )
    return problems


def _group_problems(
    raw: pd.DataFrame, file: str, reference_group: str | None, treatment_group: str | None
) -> list[DataProblem]:
    """The whole-table rules of the arm column: exactly two groups, the arm parameters among
    them, and warnings for an arm too small or without events."""
    groups = raw["group"].dropna()
    labels = sorted(groups.unique())
    if len(labels) != 2:
        return [_group_count_problem(raw, file, groups, labels)]
    return _arm_parameter_problems(file, labels, reference_group, treatment_group) + _small_arm_problems(
        raw, file, labels
    )


def _group_counts_text(labels: list[str], sizes: dict[str, int]) -> str:
    """``'A' (12), 'B' (3)``; with many distinct values (probably not the arm column) only the
    repeated ones are quoted, since a value seen once could identify a patient."""
    if len(labels) <= 4:
        return ", ".join(f"'{g}' ({sizes[g]})" for g in labels)
    shown = [g for g in labels if sizes[g] > 1]
    once = len(labels) - len(shown)
    counts = ", ".join(f"'{g}' ({sizes[g]})" for g in shown)
    return (
        counts
        + ("; " if shown else "")
        + (
            f"{once} value{'s' if once > 1 else ''} that occur{'' if once > 1 else 's'} once (not shown)"
            if once
            else ""
        )
    )


def _group_count_problem(raw: pd.DataFrame, file: str, groups: pd.Series, labels: list[str]) -> DataProblem:
    """The error for a group column with other than two values, with the likeliest fix."""
    sizes = {g: int((groups == g).sum()) for g in labels}
    message = (
        f"expected exactly two groups (the two treatment arms), found {len(labels)}: "
        + _group_counts_text(labels, sizes)
    )
    folded: dict[str, list[str]] = {}
    for g in labels:
        folded.setdefault(" ".join(g.lower().split()), []).append(g)
    twins = [v for v in folded.values() if len(v) > 1]
    rows: list[int] = []
    if twins:
        message += (
            "; "
            + "; ".join(" and ".join(f"'{g}'" for g in v) + " differ only in case or spacing" for v in twins)
            + ": spell each arm the same way in every row"
        )
    elif len(labels) > 4:
        message += "; is this the column of the treatment arm?"
    elif len(labels) > 2:
        smallest = min(labels, key=lambda g: ((groups == g).sum(), g))
        rows = _rows(raw["group"] == smallest)
        message += f"; the rows listed are those of the smallest group, '{smallest}'"
    elif len(labels) == 1:
        message += "; the comparison needs both arms in one file"
    return DataProblem(file, "group", rows, message)


def _arm_parameter_problems(
    file: str, labels: list[str], reference_group: str | None, treatment_group: str | None
) -> list[DataProblem]:
    """An arm parameter (``reference_group``, ``treatment_group``) that names no group of the data."""
    problems = []
    for param, label in (("reference_group", reference_group), ("treatment_group", treatment_group)):
        if label is not None and label not in labels:
            close = difflib.get_close_matches(label, labels, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else "."
            problems.append(
                DataProblem(
                    file,
                    "group",
                    [],
                    f"{param} '{label}' is not a group in the data (groups: "
                    + ", ".join(f"'{g}'" for g in labels)
                    + f"){hint} Set it with -p {param} VALUE.",
                )
            )
    return problems


def _small_arm_problems(raw: pd.DataFrame, file: str, labels: list[str]) -> list[DataProblem]:
    """Warnings for an arm with fewer than ``MIN_ARM_SIZE`` patients or no event of an endpoint."""
    problems = []
    for label in labels:
        in_arm = raw["group"] == label
        if in_arm.sum() < MIN_ARM_SIZE:
            problems.append(
                DataProblem(
                    file,
                    "group",
                    _rows(in_arm),
                    f"group '{label}' has only {int(in_arm.sum())} patient"
                    f"{'s' if in_arm.sum() != 1 else ''} (fewer than {MIN_ARM_SIZE}); "
                    "the book is built but estimates for this arm will be unstable",
                    severity="warning",
                )
            )
        for endpoint, what in (("os", "deaths"), ("pfs", "progressions or deaths")):
            col = f"{endpoint}_event"
            if col in raw and (raw.loc[in_arm, col] == "1").sum() == 0:
                problems.append(
                    DataProblem(
                        file,
                        col,
                        _rows(in_arm),
                        f"group '{label}' has no {what} ({col} is 0 in all its rows); its median "
                        f"{endpoint.upper()} and the {endpoint.upper()} hazard ratio cannot be "
                        "estimated and will be reported as not available",
                        severity="warning",
                    )
                )
    return problems


def validate_ae_frame(
    raw: pd.DataFrame,
    file: str,
    patient_ids: pd.Series | None,
    other_headers: Iterable[str] = (),
    os_months: pd.Series | None = None,
) -> list[DataProblem]:
    """All contract breaches of an adverse-event table read as text; ``os_months`` (the cohort's, in
    the order of ``patient_ids``) adds the rule that no event starts after death or last follow-up."""
    problems = _missing_required(raw, AE_COLUMNS, file, other_headers)
    if problems:
        return problems
    rules: tuple[RowRule, ...] = ()
    if patient_ids is not None:
        rules += (_known_patient_rule(patient_ids),)
        if os_months is not None:
            rules += (_onset_within_follow_up_rule(patient_ids, os_months),)
    schema = _frame_schema(AE_COLUMNS, set(raw.columns), rules)
    try:
        schema.validate(raw, lazy=True)
    except pa.errors.SchemaErrors as err:
        problems.extend(_problems_from_pandera(err, file, raw, rules))
    return problems


def typed_cohort(raw: pd.DataFrame) -> pd.DataFrame:
    """The validated text table converted to analysis types (numbers, 0/1 integers)."""
    out = raw.copy()
    for spec in COHORT_COLUMNS:
        if spec.name not in out:
            continue
        col = out[spec.name]
        if spec.kind == "number":
            out[spec.name] = pd.to_numeric(col, errors="raise").astype(float)
        elif spec.kind in ("binary", "integer"):
            out[spec.name] = pd.to_numeric(col, errors="raise").astype("Int64")
    return out


def typed_ae(raw: pd.DataFrame) -> pd.DataFrame:
    """The validated adverse-event table with ``grade`` and ``immune_related`` as integers and
    ``onset_months``, when given, as a number."""
    out = raw.copy()
    out["grade"] = pd.to_numeric(out["grade"]).astype(int)
    out["immune_related"] = pd.to_numeric(out["immune_related"]).astype(int)
    if "onset_months" in out:
        out["onset_months"] = pd.to_numeric(out["onset_months"]).astype(float)
    return out


def errors_only(problems: list[DataProblem]) -> list[DataProblem]:
    """The problems that stop a run (warnings left out)."""
    return [p for p in problems if p.severity == "error"]
