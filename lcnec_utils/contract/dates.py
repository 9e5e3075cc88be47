"""Overall and progression-free survival derived from dates, as hospital systems export them.

From the mapping file's ``dates:`` (:class:`~lcnec_utils.contract.mapping.DateRules`):

- OS runs from the treatment start to death (event) or, for a patient alive,
  to the last contact (censored).
- PFS, when a progression date column is named, runs from the treatment start
  to progression or death, whichever came first (event), else to the last
  tumour assessment when that column is named, or the last contact (censored).
- Months are days / 30.4375, the mean Gregorian month (365.25 / 12), rounded
  to ``decimals`` when the mapping asks (the shipped cohort has one decimal).
- Impossible orders are errors naming the rows: a date before the treatment
  start, progression after death, a last contact after death, a patient with
  neither a date of death nor a last contact, progression after the last
  contact of a patient alive. A death, progression or contact after the data
  cut-off is an error, or, when the mapping says ``after_cutoff: censor``,
  censored at the cut-off (each such row recorded).
- A column mapped to ``os_event`` or ``pfs_event`` (a vital status, say) is
  checked against the dates: "dead" without a date of death is an error.

Dates are read as the file types them (Excel, SPSS, Stata and Parquet dates)
or as text: ISO 8601 (``2019-03-04``) always; another form when every text
date of the file reads one way only (``DD.MM.YYYY``; ``03/04/2019`` with no day
above 12 could be either day/month or month/day, an error) or when the mapping
gives ``format:``. A date is never quoted in a message: it could be a birth date.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lcnec_utils.contract.mapping import DateRules
from lcnec_utils.contract.problems import Coercion, DataProblem
from lcnec_utils.contract.readers.table import cell_text, is_typed_number

#: Days in the mean Gregorian month (365.25 / 12): months = days / DAYS_PER_MONTH.
DAYS_PER_MONTH = 30.4375
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
#: The written forms tried when a file's text dates are not ISO 8601, with their names for messages.
DATE_FORMATS = {
    "%d.%m.%Y": "DD.MM.YYYY",
    "%d/%m/%Y": "DD/MM/YYYY",
    "%m/%d/%Y": "MM/DD/YYYY",
    "%d-%m-%Y": "DD-MM-YYYY",
    "%Y/%m/%d": "YYYY/MM/DD",
}


def _rows(mask: pd.Series) -> list[int]:
    return [int(i) + 1 for i in mask.index[mask.to_numpy(dtype=bool)]]


def _strptime(text: str, fmt: str) -> _dt.date | None:
    try:
        return _dt.datetime.strptime(text, fmt).date()
    except ValueError:
        return None


def _iso(text: str) -> _dt.date | None:
    match = _ISO.fullmatch(text)
    if not match:
        return None
    try:
        return _dt.date.fromisoformat(match.group(1))
    except ValueError:
        return None


@dataclass
class DateFormat:
    """How a file writes its text dates that are not ISO 8601: the ``format`` (strptime), or None with
    the ``problem`` of the cells it leaves open."""

    format: str | None
    problem: str | None = None
    ambiguous_cells: set[str] = field(default_factory=set)


def decide_date_format(texts: list[str], declared: str | None = None) -> DateFormat:
    """The one form in which every non-ISO text date of a file reads (or the ``declared`` one)."""
    if declared is not None:
        return DateFormat(declared)
    others = sorted({t for t in texts if _iso(t) is None})
    if not others:
        return DateFormat(None)
    fits = [f for f in DATE_FORMATS if all(_strptime(t, f) is not None for t in others)]
    if len(fits) == 1:
        return DateFormat(fits[0])
    if not fits:
        return DateFormat(None)
    disagree = {t for t in others if len({_strptime(t, f) for f in fits}) > 1}
    if not disagree:
        return DateFormat(fits[0])
    names = " or ".join(DATE_FORMATS[f] for f in fits)
    return DateFormat(
        None,
        f"these dates read as {names}, and no date of the file tells which; state the form in the "
        f'mapping file\'s dates: (format: "{fits[0]}" for {DATE_FORMATS[fits[0]]})',
        disagree,
    )


def parse_date_column(
    column: pd.Series, header: str, file: str, form: DateFormat
) -> tuple[pd.Series, list[DataProblem]]:
    """A column of dates as datetime64 (NaT for empty cells) and a problem for the cells that are not
    dates (never quoted)."""
    values, bad, open_ = [], [], []
    for value in column:
        if value is None:
            values.append(None)
        elif isinstance(value, _dt.date):
            values.append(value.date() if isinstance(value, _dt.datetime) else value)
        elif is_typed_number(value):
            values.append(None)
            bad.append(True)
            open_.append(False)
            continue
        else:
            text = cell_text(value) or ""
            parsed = _iso(text) or (_strptime(text, form.format) if form.format else None)
            values.append(parsed)
            open_.append(text in form.ambiguous_cells)
            bad.append(parsed is None and text not in form.ambiguous_cells)
            continue
        bad.append(False)
        open_.append(False)
    parsed = pd.Series(pd.to_datetime(pd.Series(values, dtype=object)).to_numpy(), index=column.index)
    problems = []
    bad_mask, open_mask = pd.Series(bad, index=column.index), pd.Series(open_, index=column.index)
    if bad_mask.any():
        expected = "YYYY-MM-DD" + (f" or {DATE_FORMATS.get(form.format, form.format)}" if form.format else "")
        problems.append(
            DataProblem(
                file,
                header,
                _rows(bad_mask),
                f"not a date (expected {expected}; values not shown); in Excel format the column as dates, "
                "or state the form in the mapping file's dates: (format:)",
            )
        )
    if open_mask.any():
        problems.append(DataProblem(file, header, _rows(open_mask), form.problem or ""))
    return parsed, problems


@dataclass
class Derived:
    """The derived contract columns (text, as the contract writes them), the rows that could not be
    derived (``failed``), and what the derivation did."""

    columns: dict[str, pd.Series]
    problems: list[DataProblem] = field(default_factory=list)
    coercions: list[Coercion] = field(default_factory=list)
    failed: pd.Series | None = None
    description: list[str] = field(default_factory=list)
    period: str | None = None  # the months of the first and the last treatment start


def period_text(starts: pd.Series) -> str | None:
    """The months of the first and the last date of ``starts``: ``'March 2019 to November 2024'``."""
    starts = starts.dropna()
    if starts.empty:
        return None
    first, last = (f"{d:%B %Y}" for d in (starts.min(), starts.max()))
    return first if first == last else f"{first} to {last}"


def months_text(days: pd.Series, decimals: int | None) -> pd.Series:
    """Days as months (days / 30.4375) in the contract's notation, rounded to ``decimals`` if given."""
    months = days / DAYS_PER_MONTH

    def text(m: float) -> str | None:
        if np.isnan(m):
            return None
        if decimals is None:
            return repr(float(m)) if not float(m).is_integer() else str(int(m))
        return f"{round(float(m), decimals):.{decimals}f}"

    return months.map(text).astype(object)


def _roles(rules: DateRules) -> dict[str, str]:
    named = {
        "start": rules.start,
        "death": rules.death,
        "last_contact": rules.last_contact,
        "progression": rules.progression,
        "last_assessment": rules.last_assessment,
    }
    return {role: header for role, header in named.items() if header}


def read_dates(
    raw: pd.DataFrame, rules: DateRules, file: str
) -> tuple[dict[str, pd.Series], list[DataProblem]]:
    """The mapping's date columns as datetime64 per role (``start``, ``death``, ...), one written
    form for the whole file (:func:`decide_date_format`)."""
    roles = _roles(rules)
    texts = [v.strip() for h in roles.values() for v in raw[h] if isinstance(v, str)]
    form = decide_date_format(texts, rules.format)
    dates, problems = {}, []
    for role, header in roles.items():
        dates[role], found = parse_date_column(raw[header], header, file, form)
        problems += found
    return dates, problems


def _order_rules(d: dict[str, pd.Series], rules: DateRules) -> list[tuple[pd.Series, str, str]]:
    """(rows breaking it, column, message) for each order the dates must keep."""
    start, death, last = d["start"], d["death"], d["last_contact"]
    checks = [
        (start.isna(), rules.start, "no treatment start date; every patient needs one"),
        (
            start > pd.Timestamp(rules.cutoff),
            rules.start,
            f"the treatment starts after the data cut-off ({rules.cutoff.isoformat()})",
        ),
    ]
    for role, header in _roles(rules).items():
        if role != "start":
            checks.append(
                (d[role] < start, header, f"the date is before the treatment start ('{rules.start}')")
            )
    checks += [
        (
            death.isna() & last.isna(),
            rules.last_contact,
            f"neither a date of death ('{rules.death}') nor a last contact; give the last date "
            "the patient was known to be alive",
        ),
        (last > death, rules.last_contact, f"the last contact is after the date of death ('{rules.death}')"),
    ]
    if rules.progression:
        prog = d["progression"]
        checks += [
            (prog > death, rules.progression, f"progression after the date of death ('{rules.death}')"),
            (
                death.isna() & (prog > last),
                rules.progression,
                f"progression after the last contact ('{rules.last_contact}') of a patient alive; the last "
                "contact is at least the day progression was seen",
            ),
        ]
    if rules.last_assessment:
        checks.append(
            (
                d["last_assessment"] > death.fillna(last),
                rules.last_assessment,
                "the last tumour assessment is after the last contact or death",
            )
        )
    return checks


def _after_cutoff(d: dict[str, pd.Series], rules: DateRules, file: str, out: Derived) -> dict[str, pd.Series]:
    """Events and contacts after the cut-off: errors, or (``after_cutoff: censor``) censored there, each
    recorded. Returns the rows whose death and whose progression were censored at the cut-off."""
    cutoff = pd.Timestamp(rules.cutoff)
    censored = {role: pd.Series(False, index=d["start"].index) for role in ("death", "progression")}
    for role, header in _roles(rules).items():
        if role == "start":
            continue
        after = d[role] > cutoff
        if not after.any():
            continue
        if rules.after_cutoff == "error":
            out.problems.append(
                DataProblem(
                    file,
                    header,
                    _rows(after),
                    f"the date is after the data cut-off ({rules.cutoff.isoformat()}); correct it, or set "
                    "after_cutoff: censor in the mapping file's dates: to censor such patients at the cut-off",
                )
            )
            continue
        if role == "death":
            d["last_contact"] = d["last_contact"].mask(after, cutoff)
        if role in censored:
            censored[role] |= after
        d[role] = d[role].mask(after, pd.NaT if role in ("death", "progression") else cutoff)
        what = "censored at the data cut-off" if role in ("death", "progression") else "taken at the cut-off"
        out.coercions.append(
            Coercion(file, header, f"a date after the data cut-off: {what}", tuple(_rows(after)))
        )
    return censored


def _describe(rules: DateRules) -> list[str]:
    rounding = (
        f", rounded to {rules.decimals} decimal{'s' if rules.decimals != 1 else ''}"
        if rules.decimals is not None
        else ""
    )
    lines = [
        f"os_months and os_event: from '{rules.start}' to '{rules.death}' (death, an event) or else "
        f"'{rules.last_contact}' (censored); months = days / 30.4375{rounding}"
    ]
    if rules.progression:
        censor = (
            f"'{rules.last_assessment}', else '{rules.last_contact}'"
            if rules.last_assessment
            else f"'{rules.last_contact}'"
        )
        lines.append(
            f"pfs_months and pfs_event: from '{rules.start}' to '{rules.progression}' or '{rules.death}', "
            f"whichever came first (an event), or else {censor} (censored); months = days / 30.4375{rounding}"
        )
    after = "an error" if rules.after_cutoff == "error" else "censored at the cut-off"
    lines.append(
        f"data cut-off {rules.cutoff.isoformat()}; a death, progression or contact after it is {after}"
    )
    return lines


def _status_problems(
    status: dict[str, pd.Series],
    events: dict[str, pd.Series],
    censored: dict[str, pd.Series],
    file: str,
    failed: pd.Series,
) -> list[DataProblem]:
    """A mapped os_event (pfs_event) that the dates contradict; an event the mapping censored at the
    cut-off (``censored``: rows per event) agrees with a status of "dead" or "progressed"."""
    problems = []
    for name, event in events.items():
        given = status.get(name)
        if given is None:
            continue
        clash = given.notna() & ((given == "1") != event) & ~failed & ~censored[name]
        if clash.any():
            what = "a date of death" if name == "os_event" else "a date of progression or death"
            problems.append(
                DataProblem(
                    file,
                    name,
                    _rows(clash),
                    f"the column mapped to '{name}' and the dates disagree: an event needs {what} and a "
                    f"censored patient has none; correct the status or the dates",
                )
            )
    return problems


def derive_times(
    raw: pd.DataFrame, rules: DateRules, file: str, status: dict[str, pd.Series] | None = None
) -> Derived:
    """os_months, os_event (and pfs_months, pfs_event with a progression column) from the dates of
    ``raw`` (the file's columns) as the module's docstring says; ``status`` holds the columns mapped to
    os_event or pfs_event, in the contract's notation, to be checked against the dates."""
    out = Derived({}, description=_describe(rules))
    d, out.problems = read_dates(raw, rules, file)
    for mask, header, message in _order_rules(d, rules):
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            out.problems.append(DataProblem(file, header, _rows(mask), message))
    censored = _after_cutoff(d, rules, file, out)
    failed = pd.Series(raw.index.isin([r - 1 for p in out.problems for r in p.rows]), index=raw.index)
    start, death, last = d["start"], d["death"], d["last_contact"]
    os_event = death.notna()
    events = {"os_event": os_event}
    out.columns["os_months"] = months_text((death.fillna(last) - start).dt.days, rules.decimals)
    if rules.progression:
        first = pd.concat([d["progression"], death], axis=1).min(axis=1)
        censor = d["last_assessment"].fillna(last) if rules.last_assessment else last
        censor = censor.mask(censored["progression"], pd.Timestamp(rules.cutoff))
        events["pfs_event"] = first.notna()
        out.columns["pfs_months"] = months_text((first.fillna(censor) - start).dt.days, rules.decimals)
    cut = {"os_event": censored["death"], "pfs_event": censored["death"] | censored["progression"]}
    out.problems += _status_problems(status or {}, events, cut, file, failed)
    for name, event in events.items():
        out.columns[name] = event.map({True: "1", False: "0"}).astype(object)
    out.columns = {name: column.mask(failed, None) for name, column in out.columns.items()}
    out.failed = failed
    out.period = period_text(start[~failed])
    return out
