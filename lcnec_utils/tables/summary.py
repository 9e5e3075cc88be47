"""A table of the paper as data: :class:`SummaryTable`, and :class:`TableRows` that a table function fills.

Every table is data first: a ``pandas.DataFrame`` of numbers (``.data``, one
row per table row; ``.stats``, every statistic per row and arm in long form),
the dotted results keys (``.results()``), and only last the printed form
(``.formatted()``, ``.style()``). An optional column that is absent, or
partly missing, never stops a table: the row says so in its ``note`` and any
number that cannot be computed is ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.contract.params import Parameters
from lcnec_utils.tables.arms import Arms, arm_labels
from lcnec_utils.tables.style import HTMLTable, style_table

#: Columns of a table's ``stats``: the row's key, the arm, and every statistic a row can have.
STATS_COLUMNS = (
    "key",
    "arm",
    "n",
    "denominator",
    "pct",
    "mean",
    "sd",
    "median",
    "q1",
    "q3",
    "ci_low",
    "ci_high",
)


def object_frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """Object DataFrame that keeps integers as integers and gaps as ``None``."""
    out = pd.DataFrame(rows, columns=list(columns), dtype=object)
    return out.where(out.notna(), None) if len(out) else out


def stats_row(key: str, arm: str, **values: Any) -> dict[str, Any]:
    """One ``stats`` row: the statistics given, every other one ``None``."""
    row: dict[str, Any] = dict.fromkeys(STATS_COLUMNS)
    row.update(key=key, arm=arm, **values)
    return row


def stats_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The ``stats`` frame of a table from its :func:`stats_row` rows."""
    return object_frame(rows, STATS_COLUMNS)


def _none(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, (float, np.floating)) and not np.isfinite(x):
        return None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    return x


@dataclass
class SummaryTable:
    """A table as data: ``data`` (one row per table row: ``key``, ``label``,
    ``section``, ``kind``, the headline number per arm in ``total``,
    ``reference``, ``treatment`` -- a count for ``n_pct``/``rate`` rows, the
    mean for ``mean_sd``, the median for ``median_iqr`` --, ``p``, ``test``,
    ``n_missing``, ``note``); ``stats`` (long form: ``key``, ``arm`` and every
    statistic); ``labels`` and ``n`` per arm; table-level ``notes``."""

    data: pd.DataFrame
    stats: pd.DataFrame
    labels: dict[str, str]
    n: dict[str, int]
    notes: list[str] = field(default_factory=list)
    title: str = ""
    _results: dict[str, Any] = field(default_factory=dict, repr=False)
    _formatter: Callable[[SummaryTable], pd.DataFrame] | None = field(default=None, repr=False)

    def results(self) -> dict[str, Any]:
        """The table's results keys (``docs/CONVENTIONS.md``); ``None`` where
        the number cannot be computed."""
        return {k: _none(v) for k, v in self._results.items()}

    def stat(self, key: str, arm: str, name: str) -> Any:
        """Statistic ``name`` of row ``key`` in ``arm`` (``None`` if absent)."""
        row = self.stats[(self.stats["key"] == key) & (self.stats["arm"] == arm)]
        return None if row.empty else _none(row.iloc[0][name])

    def column_header(self, arm: str) -> str:
        """The printed header of an arm's column: label and size."""
        return f"{self.labels[arm]} (n={self.n[arm]})"

    def formatted(self) -> pd.DataFrame:
        """The printed table: strings only, arms in the paper's order."""
        if self._formatter is None:
            raise NotImplementedError
        return self._formatter(self)

    def style(self) -> HTMLTable:
        """The printed table in the book's HTML style, with the table's notes."""
        return style_table(self.formatted(), caption=self.title or None, notes=self.notes)

    def to_html(self) -> str:
        """The HTML of :meth:`style` (what Jupyter shows)."""
        return self.style().to_html()

    def _repr_html_(self) -> str:
        return self.to_html()


@dataclass
class TableRows:
    """The parts of a :class:`SummaryTable` as a table function builds them, row by row:
    ``data`` rows, ``stats`` rows (:func:`stats_row`) and the results keys."""

    data: list[dict[str, Any]] = field(default_factory=list)
    stats: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)

    def add_stats(self, key: str, arm: str, **values: Any) -> None:
        """Add the ``stats`` row of ``key`` in ``arm`` (statistics not given are None)."""
        self.stats.append(stats_row(key, arm, **values))

    def summary_table(
        self,
        columns: Sequence[str],
        arms: Arms,
        params: Parameters,
        notes: list[str],
        title: str,
        formatter: Callable[[SummaryTable], pd.DataFrame],
    ) -> SummaryTable:
        """The finished table: ``data`` with ``columns``, labels and sizes of ``arms``."""
        return SummaryTable(
            data=object_frame(self.data, columns),
            stats=stats_frame(self.stats),
            labels=arm_labels(params),
            n=arms.n,
            notes=notes,
            title=title,
            _results=self.results,
            _formatter=formatter,
        )
