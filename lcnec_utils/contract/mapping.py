"""The mapping file (``--map cohort.yaml``): a hospital export's names, codes and dates, mapped once.

The schema is specified in ``docs/spec/data-contract.md`` ("The mapping
file"); ``data/lcnec_synthetic_cohort_dates.map.yaml`` is a complete example.
Every key is checked before any data are read, and a wrong one is refused
with its path in the file (``values.sex.3``) and what it may hold.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Mapping as _Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lcnec_utils.contract.codes import code_key
from lcnec_utils.contract.problems import DataProblem, DataValidationError
from lcnec_utils.contract.schema import AE_SPEC, COHORT_SPEC, ColumnSpec

#: Keys of a table's section (the file's top level is the cohort's; ``adverse_events:`` the other's).
TABLE_KEYS = ("columns", "values", "missing", "decimal", "thousands", "sheet", "ignore")
DATE_KEYS = (
    "start",
    "death",
    "last_contact",
    "progression",
    "last_assessment",
    "cutoff",
    "format",
    "decimals",
    "after_cutoff",
)
AFTER_CUTOFF = ("error", "censor")
#: What PyYAML reads as booleans, so that ``{yes: 1}`` matches a cell ``yes``.
_YAML_TRUE, _YAML_FALSE = ("true", "yes", "on"), ("false", "no", "off")


@dataclass(frozen=True)
class DateRules:
    """How OS and PFS are derived from dates (:mod:`lcnec_utils.contract.dates`): the file's columns
    of each date, the data cut-off, how text dates are written, the rounding of the months, and
    whether an event or a contact after the cut-off is an error or censored at the cut-off."""

    start: str
    death: str
    last_contact: str
    cutoff: _dt.date
    progression: str | None = None
    last_assessment: str | None = None
    format: str | None = None
    decimals: int | None = None
    after_cutoff: str = "error"

    @property
    def headers(self) -> list[str]:
        """The file's date columns this derivation reads."""
        named = [self.start, self.death, self.last_contact, self.progression, self.last_assessment]
        return [h for h in named if h]


@dataclass(frozen=True)
class TableMapping:
    """One table's part of a mapping file (empty: the file already follows the contract)."""

    columns: dict[str, str] = field(default_factory=dict)  # file header -> contract name
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)  # column -> code key -> value
    missing: frozenset[str] = frozenset()
    decimal: str | None = None
    thousands: str | None = None
    sheet: str | None = None
    ignore: frozenset[str] = frozenset()
    dates: DateRules | None = None


@dataclass(frozen=True)
class Mapping:
    """A mapping file: its path, the cohort's part (the top level) and the adverse events' part."""

    file: str | None = None
    cohort: TableMapping = field(default_factory=TableMapping)
    adverse_events: TableMapping = field(default_factory=TableMapping)


class _Checker:
    """Collects the mapping file's errors, each naming its key."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[DataProblem] = []

    def error(self, key: str, message: str) -> None:
        self.problems.append(DataProblem(self.file, None, [], f"key '{key}': {message}"))

    def unknown_keys(self, where: str, given: _Mapping, known: tuple[str, ...]) -> None:
        for key in given:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.error(f"{where}{key}", f"not a key of the mapping file{hint}; known: {', '.join(known)}")

    def text(self, key: str, value: Any) -> str | None:
        if value is None or isinstance(value, (dict, list)):
            self.error(key, f"expected a name or a value, got {value!r}")
            return None
        return str(value).strip()


def _key_texts(key: Any) -> list[str]:
    """The cell texts a ``values:`` key matches (a YAML boolean matches every word YAML reads so)."""
    if isinstance(key, bool):
        return list(_YAML_TRUE if key else _YAML_FALSE)
    return [code_key(key) or ""]


def _target(spec: ColumnSpec, value: Any) -> tuple[bool, str | None]:
    """A ``values:`` target in the contract's notation, and whether it is a value of the column."""
    if value is None:
        return True, None
    if isinstance(value, bool):
        value = int(value)
    text = str(value).strip()
    if spec.kind == "binary":
        return text in ("0", "1"), text
    if spec.kind in ("number", "integer"):
        try:
            float(text)
        except ValueError:
            return False, text
        return True, text
    if spec.kind == "category":
        by_key = {" ".join(level.casefold().split()): level for level in spec.levels}
        level = by_key.get(" ".join(text.casefold().split()))
        return (level is not None or spec.open_levels), level or text
    return bool(text), text


def _values(check: _Checker, where: str, given: Any, specs: dict[str, ColumnSpec]) -> dict:
    if not isinstance(given, dict):
        check.error(f"{where}values", "expected contract columns, each with its codes: {sex: {1: Male}}")
        return {}
    out: dict[str, dict[str, str | None]] = {}
    for column, codes in given.items():
        key = f"{where}values.{column}"
        if column not in specs:
            close = difflib.get_close_matches(str(column), list(specs), n=1)
            check.error(
                key, "not a column of the contract" + (f" (did you mean '{close[0]}'?)" if close else "")
            )
            continue
        if not isinstance(codes, dict):
            check.error(key, "expected codes and their values, e.g. {1: Male, 2: Female}")
            continue
        out[column] = {}
        for code, value in codes.items():
            ok, target = _target(specs[column], value)
            if not ok:
                check.error(f"{key}.{code}", f"{value!r} is not a value of '{column}'")
            for text in _key_texts(code):
                out[column][text] = target
    return out


def _columns(check: _Checker, where: str, given: Any, specs: dict[str, ColumnSpec]) -> dict[str, str]:
    if not isinstance(given, dict):
        check.error(f"{where}columns", "expected the file's headers, each with its contract name")
        return {}
    out: dict[str, str] = {}
    for header, name in given.items():
        target = check.text(f"{where}columns.{header}", name)
        if target is None:
            continue
        if target not in specs:
            close = difflib.get_close_matches(target, list(specs), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            check.error(f"{where}columns.{header}", f"'{target}' is not a column of the contract{hint}")
        elif target in out.values():
            check.error(f"{where}columns.{header}", f"another header is already mapped to '{target}'")
        else:
            out[str(header).strip()] = target
    return out


def _mark(check: _Checker, key: str, value: Any, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        check.error(key, "expected one of " + ", ".join(repr(a) for a in allowed))
        return None
    return value


def _strings(check: _Checker, key: str, value: Any) -> frozenset[str]:
    items = value if isinstance(value, list) else [value]
    if any(isinstance(v, (dict, list)) or v is None for v in items):
        check.error(key, "expected a list of values, e.g. [99, unknown]")
        return frozenset()
    return frozenset(code_key(v) or "" for v in items)


def _date(check: _Checker, key: str, value: Any) -> _dt.date | None:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        check.error(key, f"expected a date as YYYY-MM-DD, got {value!r}")
        return None


def _dates(check: _Checker, where: str, given: Any) -> DateRules | None:
    key = f"{where}dates"
    if not isinstance(given, dict):
        check.error(key, "expected the date columns and the cut-off: {start: ..., cutoff: 2024-12-31}")
        return None
    check.unknown_keys(f"{key}.", given, DATE_KEYS)
    missing = [k for k in ("start", "death", "last_contact", "cutoff") if given.get(k) is None]
    for name in missing:
        check.error(f"{key}.{name}", "required to derive overall survival from dates")
    if missing:
        return None
    decimals = given.get("decimals")
    if decimals is not None and (isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0):
        check.error(f"{key}.decimals", "expected a whole number of decimals, e.g. 1")
        decimals = None
    cutoff = _date(check, f"{key}.cutoff", given["cutoff"])
    texts = {k: check.text(f"{key}.{k}", given[k]) for k in DATE_KEYS[:5] if given.get(k) is not None}
    return DateRules(
        start=texts.get("start") or "",
        death=texts.get("death") or "",
        last_contact=texts.get("last_contact") or "",
        cutoff=cutoff or _dt.date.max,
        progression=texts.get("progression"),
        last_assessment=texts.get("last_assessment"),
        format=None if given.get("format") is None else str(given["format"]),
        decimals=decimals,
        after_cutoff=_mark(check, f"{key}.after_cutoff", given.get("after_cutoff", "error"), AFTER_CUTOFF)
        or "error",
    )


def _table(check: _Checker, where: str, given: dict, specs: dict[str, ColumnSpec], dates_ok: bool):
    columns = _columns(check, where, given.get("columns", {}), specs)
    dates = None
    if given.get("dates") is not None:
        if not dates_ok:
            check.error(f"{where}dates", "dates are derived for the cohort table only")
        else:
            dates = _dates(check, where, given["dates"])
    if dates is not None:
        clash = [c for c in ("os_months", "pfs_months") if c in columns.values()]
        for name in clash:
            check.error(f"{where}columns", f"'{name}' is derived from the dates; do not map a column to it")
    sheet = given.get("sheet")
    return TableMapping(
        columns=columns,
        values=_values(check, where, given.get("values", {}), specs),
        missing=_strings(check, f"{where}missing", given.get("missing", [])),
        decimal=_mark(check, f"{where}decimal", given.get("decimal"), (".", ",")),
        thousands=_mark(check, f"{where}thousands", given.get("thousands"), (".", ",", "")),
        sheet=None if sheet is None else str(sheet),
        ignore=frozenset(str(h).strip() for h in (given.get("ignore") or [])),
        dates=dates,
    )


def parse_mapping(document: Any, file: str) -> Mapping:
    """A mapping file's parsed YAML checked against the schema; raises
    :class:`~lcnec_utils.contract.problems.DataValidationError` naming every wrong key."""
    check = _Checker(file)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        check.error("(top level)", "expected keys such as columns:, values:, dates:")
        raise DataValidationError(check.problems)
    check.unknown_keys("", document, (*TABLE_KEYS, "dates", "adverse_events"))
    cohort = _table(check, "", document, COHORT_SPEC, dates_ok=True)
    ae_part = document.get("adverse_events") or {}
    if not isinstance(ae_part, dict):
        check.error("adverse_events", "expected the same keys as the top level, for the adverse-event table")
        ae_part = {}
    check.unknown_keys("adverse_events.", ae_part, TABLE_KEYS)
    adverse_events = _table(check, "adverse_events.", ae_part, AE_SPEC, dates_ok=False)
    if check.problems:
        raise DataValidationError(check.problems)
    return Mapping(file, cohort, adverse_events)


def load_mapping(path: str | Path | None) -> Mapping:
    """The mapping file at ``path`` (read-only), or the empty mapping for None."""
    if path is None:
        return Mapping()
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise DataValidationError([DataProblem(file, None, [], "mapping file not found")])
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        where = getattr(err, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise DataValidationError(
            [DataProblem(file, None, [], f"the mapping file is not valid YAML{line}: {err}")]
        ) from None
    return parse_mapping(document, file)
