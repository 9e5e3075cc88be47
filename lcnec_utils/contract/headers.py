"""Which column of a file is which column of the contract: the mapping's names, then the same names,
then names that differ only in case, spaces or punctuation; a near miss never passes silently.

In this order: a header the mapping file names (``columns:``) is the
contract column it maps to; a header spelt as a contract column is that
column; a header equal to one except in case, spaces or punctuation
(``Age``, ``OS Months``, ``patient-id``) is that column, reported, when no
other header claims it (two claimants are an error naming both). A header
that only resembles an absent optional column (``ECOG PS``, ``ldh_iu_l``,
``age_at_start``: a contract name with a suffix, or a close spelling) is an
error: left aside it would switch off the analyses that need the column with
nothing but a warning. The fix is to rename it, map it, or list it under
``ignore:`` in the mapping file. Every other header is ignored, by name.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lcnec_utils.contract.mapping import TableMapping
from lcnec_utils.contract.problems import Coercion, DataProblem
from lcnec_utils.contract.schema import ColumnSpec


def normal_name(header: str) -> str:
    """A header without case, spaces and punctuation: ``'OS Months'`` and ``'os_months'`` are ``'osmonths'``."""
    return re.sub(r"[\W_]+", "", str(header).casefold())


def near_contract_name(header: str, names: Iterable[str]) -> str | None:
    """The contract name ``header`` resembles without being it: the name with a suffix
    (``ecog_ps``, ``age_at_start``, ``AgeAtStart``) or a close spelling (difflib ratio of at least 0.85)."""
    names = list(names)
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(header))  # AgeAtStart: Age At Start
    words = "_".join(re.sub(r"[\W_]+", " ", spaced.casefold()).split())
    prefixed = [name for name in names if words.startswith(f"{name}_")]
    if prefixed:
        return max(prefixed, key=len)
    close = difflib.get_close_matches(words, names, n=1, cutoff=0.85)
    return close[0] if close else None


def closest_contract_name(header: str, names: Iterable[str]) -> tuple[str | None, str]:
    """The contract name a header most likely is, and why: ``'same name'``, ``'same but for case,
    spaces or punctuation'``, ``'resembles'``; ``(None, '')`` when none is close."""
    names = list(names)
    if header in names:
        return header, "same name"
    by_normal = {normal_name(n): n for n in names}
    if normal_name(header) in by_normal:
        return by_normal[normal_name(header)], "same but for case, spaces or punctuation"
    near = near_contract_name(header, names)
    return (near, "resembles") if near else (None, "")


@dataclass
class Headers:
    """How a file's headers were read: ``renames`` (file header -> contract name, every column used),
    the headers ``ignored``, the headers read as a contract name (``coercions``), and the ``problems``."""

    renames: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    coercions: list[Coercion] = field(default_factory=list)
    problems: list[DataProblem] = field(default_factory=list)


def _listed(headers: Iterable[str]) -> str:
    return ", ".join(f"'{h}'" for h in headers)


def _mapped(out: Headers, headers: list[str], mapping: TableMapping, consumed: set[str], file: str) -> None:
    """The mapping's ``columns:`` whose header is in the file; a problem for each that is not."""
    for header, name in mapping.columns.items():
        if header in headers:
            out.renames[header] = name
            continue
        close = difflib.get_close_matches(header, headers, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else f"; its columns are {_listed(headers)}"
        out.problems.append(
            DataProblem(
                file, None, [], f"the mapping file maps a column '{header}' that is not in the file{hint}"
            )
        )
    for header in consumed - set(headers):
        out.problems.append(
            DataProblem(
                file, None, [], f"the mapping file's dates: name a column '{header}' that is not in the file"
            )
        )


def _same_names(
    out: Headers, free: list[str], specs: dict[str, ColumnSpec], derived: set[str], file: str
) -> set[str]:
    """Headers spelt as a contract name, then those equal to one but for case, spaces or punctuation;
    the headers that claimed a contract name (used, or in a problem)."""
    taken = set(out.renames.values())
    claims: dict[str, list[str]] = {}
    for header in free:
        if header in specs:
            claims.setdefault(header, []).append(header)
    by_normal = {normal_name(n): n for n in specs}
    for header in free:
        name = by_normal.get(normal_name(header))
        if name is not None and header != name:
            claims.setdefault(name, []).append(header)
    for name, headers in claims.items():
        if name in derived:
            out.problems.append(
                DataProblem(
                    file,
                    name,
                    [],
                    f"the file has a column {_listed(headers)} but the mapping file derives '{name}' from "
                    "dates; list the column under ignore: in the mapping file, or remove dates:",
                )
            )
        elif name in taken:
            source = next(h for h, n in out.renames.items() if n == name)
            out.problems.append(
                DataProblem(
                    file,
                    name,
                    [],
                    f"the mapping file maps '{source}' to '{name}' but the file also has {_listed(headers)}; "
                    "list the one not to use under ignore: in the mapping file",
                )
            )
        elif len(headers) > 1:
            out.problems.append(
                DataProblem(
                    file,
                    name,
                    [],
                    f"the columns {_listed(headers)} could each be '{name}'; rename or delete all but one, "
                    "or map one and list the others under ignore: in a mapping file (--map)",
                )
            )
        else:
            out.renames[headers[0]] = name
            if headers[0] != name:
                out.coercions.append(Coercion(file, name, f"header '{headers[0]}' read as '{name}'"))
    return {h for headers in claims.values() for h in headers}


def resolve_headers(
    headers: list[str],
    specs: dict[str, ColumnSpec],
    file: str,
    mapping: TableMapping | None = None,
    derived: Iterable[str] = (),
) -> Headers:
    """Which header is which contract column (see the module's docstring); ``derived`` are the
    contract columns the mapping derives from dates (no header may claim them)."""
    mapping = mapping or TableMapping()
    out = Headers()
    consumed = set(mapping.dates.headers) if mapping.dates else set()
    _mapped(out, headers, mapping, consumed, file)
    free = [h for h in headers if h not in out.renames and h not in consumed and h not in mapping.ignore]
    claimed = _same_names(out, free, specs, set(derived), file)
    used = set(out.renames.values()) | set(derived)
    absent = [name for name, spec in specs.items() if name not in used and not spec.required]
    for header in free:
        if header in claimed:
            continue
        near = near_contract_name(header, absent)
        if near is None:
            out.ignored.append(header)
            continue
        out.problems.append(
            DataProblem(
                file,
                header,
                [],
                f"this column resembles the contract's '{near}', which the file lacks; rename it to "
                f"'{near}', or map it in a mapping file (--map, columns: {{{header}: {near}}}), or list it "
                "under ignore: there if it is another quantity",
            )
        )
    out.ignored += [h for h in headers if h in mapping.ignore]
    return out
