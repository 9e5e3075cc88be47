"""What the bad-input catalogue's cases are made of: the :class:`Case`, the shipped tables to mutate,
and the functions that write an input in a test's folder and return the command line.

``tests/test_bad_inputs.py`` holds the catalogue (``CASES``) and runs it;
``tests/intake_catalogue.py`` adds the cases of real hospital exports (formats,
number locales, near-miss headers, mapping files, dates).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from lcnec_utils.contract.params import DATA_DICTIONARY, DEFAULT_AE, DEFAULT_COHORT

COHORT = pd.read_csv(DEFAULT_COHORT, dtype=str, keep_default_na=False)
AE = pd.read_csv(DEFAULT_AE, dtype=str, keep_default_na=False)
IDS = list(COHORT["patient_id"])
TREATMENT, REFERENCE = "ICIs + Chemo", "Chemo"
N = len(COHORT)
#: The shipped tables as a statistics program reads them (numbers as numbers, empty cells missing):
#: what the book must read from every cell a case leaves untouched (:func:`expected_cells`).
SHIPPED = {"cohort": pd.read_csv(DEFAULT_COHORT), "adverse_events": pd.read_csv(DEFAULT_AE)}
#: The shipped cohort's columns outside the contract, in file order: each is documented under
#: ``extra_columns`` in data/data_dictionary.yaml, kept in the file and ignored like any extra column.
DOCUMENTED_EXTRAS = [
    c for c in COHORT.columns if c in yaml.safe_load(DATA_DICTIONARY.read_text())["extra_columns"]
]


@dataclass
class Case:
    """``make(tmp_path)`` writes the input and returns the command line (without ``lcnec``).

    ``expect`` are texts the answer must contain, ``absent`` texts it must not;
    ``values`` are cells of the table the book reads from an accepted input,
    ``{column: {row: value}}`` with rows counted from 1 (``adverse_events.<column>``
    for the adverse-event table).
    """

    name: str
    make: Callable[[Path], list[str]]
    status: int
    expect: list[str]
    absent: list[str] = field(default_factory=list)
    values: dict[str, dict[int, Any]] = field(default_factory=dict)


def cohort() -> pd.DataFrame:
    return COHORT.copy()


def expected_cells(where: str, written: dict[int, Any] | None = None) -> dict[int, Any]:
    """Every cell of column ``where`` (``adverse_events.<column>`` for the adverse-event table) as
    ``Case.values`` states it, ``{row: value}`` with rows from 1: the shipped file's value (None when
    empty), except the cells the case wrote, whose values ``written`` gives. Read with pandas, not
    the book's loader, so that the loader is checked against a reading of its own."""
    table, column = where.split(".", 1) if "." in where else ("cohort", where)
    cells = {i + 1: None if pd.isna(v) else v for i, v in enumerate(SHIPPED[table][column])}
    return cells | (written or {})


def ignored(*added: str) -> str:
    """The ignored columns as an answer lists them for the shipped cohort with columns ``added`` at
    its end (or listed under ``ignore:`` in a mapping file): the documented extra columns, then those."""
    return ", ".join([*DOCUMENTED_EXTRAS, *added])


def write(frame: pd.DataFrame, path: Path, **kw) -> Path:
    frame.to_csv(path, index=False, **kw)
    return path


def rows_of(mask) -> str:
    """The rows part of a message for a boolean mask over the cohort (1-based)."""
    rows = [i + 1 for i, hit in enumerate(mask) if hit]
    shown = ", ".join(map(str, rows[:10])) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
    return f"row{'s' if len(rows) > 1 else ''} {shown}"


def put(path: Path, content, **kw) -> Path:
    """Write ``content`` to ``path``: bytes, text, a frame (as CSV), or a function of the path."""
    if callable(content):
        content(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    elif content is not None:
        write(content, path, **kw)
    return path


def build_cohort(frame_or_bytes, name="cohort.csv", extra=(), **kw) -> Callable[[Path], list[str]]:
    """``lcnec build --data <file> --ae <shipped AE>`` on a mutated cohort."""

    def make(tmp: Path) -> list[str]:
        path = put(tmp / name, frame_or_bytes, **kw)
        return ["build", "--data", str(path), "--ae", str(DEFAULT_AE), "--out", str(tmp / "out"), *extra]

    return make


def validate_cohort(
    content, name="cohort.csv", ae=True, extra=(), mapping: str | None = None, **kw
) -> Callable[[Path], list[str]]:
    """``lcnec validate <file>`` with the arms named (the build of accepted files is tested elsewhere);
    ``ae`` the shipped adverse events, or a frame or text written as ``ae.csv``; ``mapping`` the text
    of a mapping file written as ``map.yaml``."""

    def make(tmp: Path) -> list[str]:
        path = put(tmp / name, content, **kw)
        args = ["validate", str(path)]
        if ae is True:
            args += ["--ae", str(DEFAULT_AE)]
        elif ae is not False:
            args += ["--ae", str(put(tmp / "ae.csv", ae))]
        if mapping is not None:
            args += ["--map", str(put(tmp / "map.yaml", mapping))]
        return [*args, "--reference-group", REFERENCE, "--treatment-group", TREATMENT, *extra]

    return make


def build_ae(frame_or_text, name="ae.csv") -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        path = put(tmp / name, frame_or_text)
        return ["build", "--ae", str(path), "--out", str(tmp / "out")]

    return make


def build_params(*pairs: str) -> Callable[[Path], list[str]]:
    def make(tmp: Path) -> list[str]:
        args = ["build", "--out", str(tmp / "out")]
        for name, value in zip(pairs[::2], pairs[1::2]):
            args += ["-p", name, value]
        return args

    return make


def mut(**changes) -> pd.DataFrame:
    """The cohort with ``column=(row indices, value)`` changes."""
    frame = cohort()
    for column, (index, value) in changes.items():
        frame.loc[index, column] = value
    return frame


def as_bytes(frame: pd.DataFrame, **kw) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, **kw)
    return buffer.getvalue().encode()
