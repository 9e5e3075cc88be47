"""What the reading of a data file reports: problems (errors and warnings) and coercions.

A :class:`DataProblem` is one breach of the data contract or one warning,
phrased for the person who owns the file: file, column, rows (data rows
counted from 1 for the first row under the header), what was expected. A
:class:`Coercion` is one safe conversion the reading applied (``'1.0'`` read as
1, ``'male'`` as ``'Male'``, a header ``'Age'`` as ``age``), listed by
``lcnec validate`` and on the cohort chapter's intake section. Neither ever
quotes a patient id.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def rows_text(rows: list[int]) -> str:
    """``row 3`` or ``rows 1, 2 and 4 more``: at most ten row numbers, the rest counted."""
    shown = ", ".join(str(r) for r in rows[:10])
    more = f" and {len(rows) - 10} more" if len(rows) > 10 else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


@dataclass
class DataProblem:
    """One breach of the data contract, phrased for the person who owns the file."""

    file: str
    column: str | None
    rows: list[int]
    message: str
    severity: str = "error"  # "error" stops the run; "warning" is shown and the run goes on

    def __str__(self) -> str:
        where = f"{self.file}"
        if self.column:
            where += f", column '{self.column}'"
        if self.rows:
            where += f", {rows_text(self.rows)}"
        return f"{where}: {self.message}"


class DataValidationError(Exception):
    """The data break the contract; ``problems`` says where and how."""

    def __init__(self, problems: list[DataProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def refuse(file: str, message: str, column: str | None = None, rows: list[int] | None = None) -> None:
    """Raise a :class:`DataValidationError` of one problem."""
    raise DataValidationError([DataProblem(file, column, list(rows or []), message)])


@dataclass(frozen=True)
class Coercion:
    """One safe conversion applied while reading: on ``column`` (``None`` for whole rows), ``what``
    was done, in ``rows`` (1-based data rows). Its text gives the count, never the values of a row."""

    file: str
    column: str | None
    what: str
    rows: tuple[int, ...] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        return len(self.rows)

    def __str__(self) -> str:
        where = self.file + (f", column '{self.column}'" if self.column else "")
        count = f"{self.count} row{'s' if self.count != 1 else ''}: " if self.rows else ""
        return f"{where}: {count}{self.what}"
