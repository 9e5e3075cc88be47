"""Tolerant and safe: the cells of a table turned into the contract's notation, every change recorded.

What is read as what (each change a :class:`~lcnec_utils.contract.problems.Coercion`):

- ``NA``, ``N/A``, ``NaN``, ``.``, ``#N/A``, ``NULL``, ``None`` (any case) and
  empty cells are missing; a mapping file may add its own codes.
- Numbers written as text take the file's decimal mark
  (:mod:`lcnec_utils.contract.numbers`): ``12,5`` is 12.5 in a file of
  decimal commas, ``3.010`` is 3010 there; a mark nothing decides is an error.
- Whole numbers written with zero decimals (``1.0``, what pandas, R and Excel
  write when a column has a missing value) are whole numbers in 0/1 and
  integer columns; ``1.5`` stays what it is, and the contract refuses it.
- 0/1 columns take ``true``/``false`` and ``yes``/``no`` in any case.
- Listed values match whatever their case and spacing (``male``, ``PD-1 ``)
  and are read in their canonical form (``Male``, ``PD-1``).

A value that cannot be read safely is left as written, for the contract
(:mod:`lcnec_utils.contract.schema`) to refuse with the fix. Numbers and
dates of a typed format (Excel, SPSS, Stata, Parquet) are already numbers:
they are written in the contract's notation without a record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from lcnec_utils.contract.numbers import MARK_NAMES, LocaleDecision, NumberLocale, decide_locale
from lcnec_utils.contract.problems import Coercion, DataProblem
from lcnec_utils.contract.readers.table import cell_text, is_typed_number
from lcnec_utils.contract.schema import ColumnSpec

#: Cells that mean "missing" in R (NA), pandas (NaN), SPSS and Stata (.), Excel (#N/A) and databases.
MISSING_TEXT = frozenset({"na", "n/a", "nan", ".", "#n/a", "null", "none"})
TRUE_TEXT = frozenset({"1", "true", "yes"})
FALSE_TEXT = frozenset({"0", "false", "no"})
_ZERO_DECIMALS = re.compile(r"([+-]?\d+)\.0+")
NUMERIC_KINDS = ("number", "integer", "binary")


@dataclass
class Coerced:
    """A table in the contract's notation (text cells, None for missing) and what it took."""

    frame: pd.DataFrame
    coercions: list[Coercion] = field(default_factory=list)
    problems: list[DataProblem] = field(default_factory=list)
    reported: set[tuple[str, int]] = field(default_factory=set)  # (column, row index) already refused
    locales: dict[str, NumberLocale] = field(default_factory=dict)  # per number column


def _rows(index: Iterable) -> tuple[int, ...]:
    return tuple(sorted(int(i) + 1 for i in index))


def _quoted(values: Iterable[str], limit: int = 4) -> str:
    distinct = sorted(set(values))
    return "/".join(f"'{v}'" for v in distinct[:limit]) + ("/..." if len(distinct) > limit else "")


def missing_cells(
    column: pd.Series, name: str, file: str, extra: frozenset[str] = frozenset()
) -> tuple[pd.Series, list[Coercion]]:
    """Text cells that mean "missing" (:data:`MISSING_TEXT` and the mapping's ``extra`` codes) as None."""
    text = column.map(lambda v: v.strip().casefold() if isinstance(v, str) else None)
    hit = text.isin(MISSING_TEXT | extra)
    if not hit.any():
        return column, []
    shown = _quoted(column[hit].map(str.strip))
    return column.mask(hit, None), [
        Coercion(file, name, f"{shown} read as missing", _rows(column.index[hit]))
    ]


def _numeric_text(column: pd.Series, locale: NumberLocale) -> tuple[pd.Series, pd.Series]:
    """Cells in the contract's notation: typed numbers as numbers, text through the file's locale
    (unreadable text left as written); and where a text cell's mark was read (decimal comma, thousands)."""
    out, changed = [], []
    for value in column:
        if value is None:
            out.append(None)
            changed.append(False)
        elif is_typed_number(value) or not isinstance(value, str):
            out.append(cell_text(value))
            changed.append(False)
        else:
            parsed = locale.parse(value)
            out.append(value if parsed is None else parsed)
            changed.append(parsed is not None and parsed != value and not _ZERO_DECIMALS.fullmatch(value))
    return pd.Series(out, index=column.index, dtype=object), pd.Series(changed, index=column.index)


def _whole_numbers(column: pd.Series, raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``2.0`` as 2 where the cell was written as text (a typed 2.0 already reads 2)."""
    written = raw.map(lambda v: isinstance(v, str))
    match = column.map(lambda v: _ZERO_DECIMALS.fullmatch(v) if isinstance(v, str) else None)
    hit = written & match.notna()
    return column.mask(hit, match[hit].map(lambda m: m and m.group(1))), hit


def coerce_numeric(
    raw: pd.Series, spec: ColumnSpec, locale: NumberLocale, file: str
) -> tuple[pd.Series, list[Coercion]]:
    """A number, integer or 0/1 column in the contract's notation, with its records."""
    column, marked = _numeric_text(raw, locale)
    records = []
    if marked.any():
        how = []
        if locale.decimal == ",":
            how.append("decimal comma read as a decimal point")
        if locale.thousands and any(locale.thousands in str(v) for v in raw[marked]):
            how.append(f"thousands separator '{locale.thousands}' removed")
        records.append(Coercion(file, spec.name, "; ".join(how) or "number read", _rows(raw.index[marked])))
    if spec.kind in ("integer", "binary"):
        column, whole = _whole_numbers(column, raw)
        if whole.any():
            shown = _quoted(raw[whole].map(str.strip))
            records.append(
                Coercion(file, spec.name, f"{shown} read as whole numbers", _rows(raw.index[whole]))
            )
    if spec.kind == "binary":
        column, words = _binary_words(column)
        if words.any():
            shown = _quoted(raw[words].map(str.strip))
            records.append(Coercion(file, spec.name, f"{shown} read as 1/0", _rows(raw.index[words])))
    return column, records


def _binary_words(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    folded = column.map(lambda v: v.casefold() if isinstance(v, str) else None)
    true, false = folded.isin(TRUE_TEXT - {"1"}), folded.isin(FALSE_TEXT - {"0"})
    return column.mask(true, "1").mask(false, "0"), true | false


def level_key(text: str) -> str:
    """A listed value's spelling without case and spaces (``'pd-1 / ctla-4'`` -> ``'pd-1/ctla-4'``)."""
    return re.sub(r"\s+", "", text.casefold())


def coerce_category(raw: pd.Series, spec: ColumnSpec, file: str) -> tuple[pd.Series, list[Coercion]]:
    """A column of listed values, each matched whatever its case and spacing, in its canonical form."""
    canonical = {level_key(level): level for level in spec.levels}
    column = raw.map(cell_text)
    matched = column.map(lambda v: canonical.get(level_key(v)) if v is not None else None)
    hit = matched.notna() & (matched != column)
    if not hit.any():
        return column, []
    pairs = sorted({f"'{a}' as '{b}'" for a, b in zip(column[hit], matched[hit])})
    what = "read " + ", ".join(pairs[:5]) + (" ..." if len(pairs) > 5 else "")
    return column.mask(hit, matched), [Coercion(file, spec.name, what, _rows(raw.index[hit]))]


def _locale_problems(decision: LocaleDecision, raw: dict[str, pd.Series], file: str) -> list[DataProblem]:
    """A problem per column for the cells whose decimal mark is contradicted or undecided."""
    problems = []
    state = 'in a mapping file (--map) with `decimal: "."` or `decimal: ","`'
    for name, index in decision.contrary.items():
        mark = decision.locales[name].decimal
        shown = ", ".join(f"'{v}'" for v in list(dict.fromkeys(raw[name][index]))[:5])
        other = f"a decimal {MARK_NAMES[mark]}" if mark else "the other decimal mark just as often"
        problems.append(
            DataProblem(
                file,
                name,
                list(_rows(index)),
                f"{shown}: a decimal mark that the column's other numbers contradict (they use {other}); "
                f"write the column's numbers with one decimal mark, or state it {state}",
            )
        )
    why = "the file's other columns use both marks" if decision.mixed else "no other number of the file tells"
    for name, index in decision.ambiguous.items():
        shown = ", ".join(f"'{v}'" for v in list(dict.fromkeys(raw[name][index]))[:5])
        problems.append(
            DataProblem(
                file,
                name,
                list(_rows(index)),
                f"{shown}: the mark may be a decimal mark or a thousands separator ('3.010' is 3.01 or 3010) "
                f"and {why} which; write the numbers without thousands separators, or state the decimal "
                f"mark {state}",
            )
        )
    return problems


def coerce_table(
    frame: pd.DataFrame,
    specs: dict[str, ColumnSpec],
    file: str,
    *,
    decimal: str | None = None,
    thousands: str | None = None,
    missing: frozenset[str] = frozenset(),
) -> Coerced:
    """The contract's columns of ``frame`` (contract names, object cells) in the contract's notation.

    ``decimal`` and ``thousands`` state the number locale (default: decided from
    the file); ``missing`` adds codes read as missing.
    """
    out = Coerced(pd.DataFrame(index=frame.index))
    cleaned = {}
    for name in frame.columns:
        cleaned[name], records = missing_cells(frame[name], name, file, missing)
        out.coercions += records
    numeric = [n for n in frame.columns if specs[n].kind in NUMERIC_KINDS]
    text_cells = {n: cleaned[n].map(lambda v: v if isinstance(v, str) else None) for n in numeric}
    decision = decide_locale(text_cells, decimal, thousands)
    out.locales = decision.locales
    out.problems += _locale_problems(decision, text_cells, file)
    for name, index in {**decision.contrary, **decision.ambiguous}.items():
        out.reported.update((name, int(i)) for i in index)
    for name in frame.columns:
        spec = specs[name]
        convert: Callable = {
            "category": lambda r, s=spec: coerce_category(r, s, file),
            **{
                k: lambda r, s=spec: coerce_numeric(r, s, decision.locales[s.name], file)
                for k in NUMERIC_KINDS
            },
        }.get(spec.kind, lambda r: (r.map(cell_text), []))
        out.frame[name], records = convert(cleaned[name])
        out.coercions += records
    return out
