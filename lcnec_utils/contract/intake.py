"""What the reading of each file did, for ``lcnec validate`` and the cohort chapter's intake section.

An :class:`Intake` names files by their name only (a folder may hold a
person's or a ward's name), columns by their headers, and coercions by
column, what was done and how many rows: never a patient id, and never a
value of a column the book does not use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from lcnec_utils.contract.problems import Coercion

#: The source of a contract column computed from the mapping's dates.
DERIVED = "derived from dates"


@dataclass
class TableIntake:
    """One file as it was read: its ``format``, the ``mapping`` file applied, rows read and used,
    which header became which contract column, the headers ignored, derivations and coercions."""

    role: str  # "cohort" or "adverse events"
    file: str  # the file's name, without its folder
    format: str
    mapping: str | None
    rows_read: int
    rows_used: int
    columns_used: dict[str, str] = field(default_factory=dict)  # contract column -> file header
    columns_ignored: list[str] = field(default_factory=list)
    derivations: list[str] = field(default_factory=list)
    coercions: list[Coercion] = field(default_factory=list)
    period: str | None = None  # months of the first and last treatment start, when derived from dates
    cutoff: str | None = None  # the data cut-off (ISO date), when derived from dates

    def column_groups(self) -> dict[str, list[str]]:
        """The contract columns used, by how they were found: ``as named``, ``under another name``
        (``header -> column``), ``derived from dates``; only the groups that have a column."""
        groups = {
            "as named": [c for c, h in self.columns_used.items() if h == c],
            "under another name": [
                f"{h} -> {c}" for c, h in self.columns_used.items() if h not in (c, DERIVED)
            ],
            "derived from dates": [c for c, h in self.columns_used.items() if h == DERIVED],
        }
        return {label: names for label, names in groups.items() if names}

    def lines(self) -> list[str]:
        """The report of this file as lines of text, as ``lcnec validate`` prints it."""
        out = [f"{self.role}: {self.file}, {self.format}"]
        if self.mapping:
            out.append(f"  mapping file: {self.mapping}")
        empty = self.rows_read - self.rows_used
        out.append(
            f"  rows: {self.rows_read} read, {self.rows_used} used"
            + (f" ({empty} entirely empty ignored)" if empty else "")
        )
        for label, names in self.column_groups().items():
            out.append(f"  columns used {label}: {', '.join(names)}")
        if self.columns_ignored:
            out.append(f"  columns ignored: {', '.join(self.columns_ignored)}")
        out += [f"  derived: {d}" for d in self.derivations]
        if self.period:
            out.append(f"  treatment started: {self.period}")
        for c in self.coercions:
            where = f"column '{c.column}'" if c.column else "whole rows"
            count = f", {c.count} row{'s' if c.count != 1 else ''}" if c.rows else ""
            out.append(f"  read leniently: {where}{count}: {c.what}")
        return out


@dataclass
class Intake:
    """The files of one study as they were read (the cohort first)."""

    tables: list[TableIntake] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [line for table in self.tables for line in table.lines()]

    @property
    def coercion_count(self) -> int:
        return sum(len(t.coercions) for t in self.tables)


def file_name(path: str | os.PathLike | None) -> str | None:
    """A file's name without its folder."""
    return None if path is None else os.path.basename(str(path))
