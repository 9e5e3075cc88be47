"""The tables of the specifications in ``docs/spec/``, and the results keys they promise.

``SPEC_DIR`` is the repository's own copy (the one to extend); ``ORIGINAL_SPEC_DIR`` the
project's original (``../shared/spec/``), absent from a clone on its own.
``tests/test_spec.py`` checks that the copy keeps every promise of the original.
"""

import itertools
import re
from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parents[1] / "docs" / "spec"
ORIGINAL_SPEC_DIR = Path(__file__).resolve().parents[2] / "shared" / "spec"
SPEC = SPEC_DIR / "results-keys.md"
#: The header of the table of keys in the original's notation (``{os,pfs}.median.{...}``).
KEY_TABLE = ("key", "meaning")


def markdown_table(path: Path, header: tuple[str, ...]) -> list[list[str]]:
    """The rows, as lists of stripped cells, of the first table of ``path`` whose header is ``header``."""
    rows: list[list[str]] = []
    inside = False
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = (
            [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
            if line.startswith("|")
            else None
        )
        if cells is None:
            if inside:
                break
            continue
        if not inside:
            inside = tuple(cells) == header
            continue
        if not set("".join(cells)) <= set("-: "):  # the |---|---| line under the header
            rows.append(cells)
    if not inside:
        raise ValueError(f"{path} has no table with the header {' | '.join(header)}")
    return rows


def code_names(cell: str) -> list[str]:
    """The names written in backticks in a table cell."""
    return re.findall(r"`([^`]+)`", cell)


def expand_braces(pattern: str) -> list[str]:
    """``{os,pfs}.events.{reference,treatment}`` as its four keys; ``{...}`` stands for the arms."""
    parts = re.split(r"(\{[^}]*\})", pattern.replace("{...}", "{reference,treatment}"))
    options = [p[1:-1].split(",") if p.startswith("{") else [p] for p in parts]
    return ["".join(combo) for combo in itertools.product(*options)]


def spec_keys(spec: Path = SPEC) -> list[str]:
    """Every key of the specification's key table, patterns expanded; ``baseline.<column>.p``
    (one key per compared column) is left out."""
    keys: list[str] = []
    for row in markdown_table(spec, KEY_TABLE):
        for pattern in code_names(row[0]):
            if "<" not in pattern:
                keys.extend(expand_braces(pattern))
    return sorted(set(keys))
