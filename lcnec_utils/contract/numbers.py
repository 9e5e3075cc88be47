"""The decimal mark of numbers written as text, decided from evidence, never guessed.

``3.010`` is 3.01 in Boston and 3010 in Berlin. A written number proves its
decimal mark when the mark cannot be a thousands separator: it is followed
by other than exactly three digits (``36.5``, ``12,25``), it follows a zero
or nothing (``0.125``), the number holds both marks (the last is the decimal
mark: ``3.010,5``), or one mark repeats (``1.234.567``: the other is the
decimal mark). A number column takes the mark its own numbers prove; a
column whose numbers prove nothing (LDH written ``437``, ``3.010``) takes the
mark the file's other columns prove, when they all agree. A cell whose mark
nothing decides is an error naming column and rows, and so is a cell that
contradicts the rest of its column. A mapping file may state the mark
(``decimal:``), which then rules. The delimiter is not used as evidence: a
semicolon file from an English-locale program writes decimal dots, and
LibreOffice lets any locale choose any separator.

No library decides this: pandas, the csv module and locale-aware parsers all
need the mark given, which is the question.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd

_WRITTEN = re.compile(r"[+-]?[\d.,]*\d[\d.,]*")
MARK_NAMES = {".": "dot", ",": "comma"}


def decimal_evidence(text: str) -> str | None:
    """The decimal mark ``text`` proves (``"."`` or ``","``), or None when it proves none."""
    if not _WRITTEN.fullmatch(text):
        return None
    digits = text.lstrip("+-")
    marks = [c for c in digits if c in ".,"]
    if not marks:
        return None
    if "." in marks and "," in marks:
        return marks[-1]
    mark = marks[0]
    if len(marks) > 1:
        return "," if mark == "." else "."
    before, after = digits.split(mark)
    if len(after) != 3 or before.strip("0") == "":
        return mark
    return None


def is_ambiguous(text: str) -> bool:
    """True for a written number whose one mark may be a decimal mark or a thousands separator."""
    return (
        bool(_WRITTEN.fullmatch(text)) and decimal_evidence(text) is None and bool(re.search(r"[.,]", text))
    )


@dataclass(frozen=True)
class NumberLocale:
    """How a file writes numbers: its ``decimal`` mark (None when no number tells) and ``thousands``
    separator (the other mark, unless the mapping file says otherwise; ``""`` for none)."""

    decimal: str | None
    thousands: str | None
    source: str  # "the file's numbers", "the mapping file", or "no number with a mark"

    def parse(self, text: str) -> str | None:
        """``text`` in the contract's notation (no thousands separator, decimal dot), or None when it
        is not a number written in this locale."""
        if self.decimal is None:
            return text if re.fullmatch(r"[+-]?\d+", text) else None
        d, t = re.escape(self.decimal), re.escape(self.thousands or "")
        whole = rf"\d{{1,3}}(?:{t}\d{{3}})+|\d+" if self.thousands else r"\d+"
        match = re.fullmatch(rf"([+-]?)({whole})?(?:{d}(\d+))?", text)
        if not match or not (match.group(2) or match.group(3)):
            return None
        sign, integer, fraction = match.groups()
        integer = (integer or "").replace(self.thousands or "\0", "") or "0"
        return f"{sign}{integer}" + (f".{fraction}" if fraction is not None else "")


def _other(mark: str) -> str:
    return "," if mark == "." else "."


def _locale(mark: str | None, source: str) -> NumberLocale:
    return NumberLocale(mark, None if mark is None else _other(mark), source)


@dataclass
class LocaleDecision:
    """Each number column's :class:`NumberLocale`, and the cells none can read: ``contrary`` (a decimal
    mark the rest of its column contradicts) and ``ambiguous`` (a mark nothing decides), per column;
    ``mixed`` when the file's columns prove different marks."""

    locales: dict[str, NumberLocale]
    contrary: dict[str, pd.Index]
    ambiguous: dict[str, pd.Index]
    mixed: bool = False

    def marks(self) -> dict[str, str | None]:
        return {name: locale.decimal for name, locale in self.locales.items()}


def decide_locale(
    columns: dict[str, pd.Series], decimal: str | None = None, thousands: str | None = None
) -> LocaleDecision:
    """The decimal mark of each number column from the text cells ``columns`` (name -> cells, missing
    as None): its own numbers' evidence; for a column without any, the file's, when every column
    with evidence agrees; or the mark the mapping file gives (``decimal``, ``thousands``) for all."""
    if decimal is not None:
        other = _other(decimal) if thousands is None else thousands
        return LocaleDecision({n: NumberLocale(decimal, other, "the mapping file") for n in columns}, {}, {})
    proofs = {name: cells.dropna().map(decimal_evidence).dropna() for name, cells in columns.items()}
    locales, contrary = {}, {}
    for name, proof in proofs.items():
        if proof.empty:
            continue
        ranked = Counter(proof).most_common()
        mark = None if len(ranked) > 1 and ranked[0][1] == ranked[1][1] else ranked[0][0]
        locales[name] = _locale(mark, "the column's numbers")
        if (proof != mark).any():
            contrary[name] = proof.index[proof != mark]
    proven = {locale.decimal for locale in locales.values() if locale.decimal}
    file_mark = next(iter(proven)) if len(proven) == 1 else None
    ambiguous = {}
    for name, cells in columns.items():
        if name in locales:
            continue
        locales[name] = _locale(
            file_mark, "the file's other numbers" if file_mark else "no number with a mark"
        )
        if file_mark is None:
            hits = cells.dropna().index[cells.dropna().map(is_ambiguous)]
            if len(hits):
                ambiguous[name] = hits
    return LocaleDecision(locales, contrary, ambiguous, mixed=len(proven) > 1)
