"""Published against reproduced: one row per printed number, with its status."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lcnec_utils.audit.consistency.findings import Finding, ref
from lcnec_utils.audit.consistency.paper import paper_consistency
from lcnec_utils.audit.consistency.published_index import where_text
from lcnec_utils.audit.tolerances import Tolerance, load_tolerances, tolerance_for
from lcnec_utils.contract.params import PROJECT_ROOT
from lcnec_utils.contract.published import bound_holds, load_published
from lcnec_utils.contract.results_keys import load_results_keys

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"


#: Statuses of the published-vs-reproduced rows, best first.
STATUSES = (
    "reproduced",
    "within rounding",
    "within tolerance",
    "paper inconsistent",
    "differs",
    "not targeted",
    "not computed",
)


#: The status that fails ``lcnec audit`` on the shipped cohort.
FAILING = "differs"


def chapter_pages(notebooks_dir: Path = NOTEBOOKS_DIR) -> dict[str, str]:
    """Chapter name -> notebook stem (``survival`` -> ``04_survival``), from the notebook files."""
    pages = {}
    for path in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        pages.setdefault(path.stem.split("_", 1)[1], path.stem)
    return pages


def _book_value(results: Mapping[str, Any], key: str, unit: str) -> float | None:
    v = results.get(key)
    if v is None or isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return 100.0 * float(v) if unit == "percent" else float(v)


def _printed(entry: Mapping[str, Any]) -> str:
    if entry["value"] is None:
        return f"p {entry['bound']}" if entry.get("unit") == "p" else str(entry["bound"])
    return f"{float(entry['value']):.{int(entry['decimals'])}f}"


def compare_entry(
    entry: Mapping[str, Any],
    results: Mapping[str, Any],
    tolerance: Tolerance,
    findings: Sequence[Finding] = (),
) -> dict[str, Any]:
    """One published number against the book: the row's value fields and status.

    ``findings`` are the consistency findings that show this printing cannot be
    right (``paper_wrong``); a finding's ``corrected`` value, where given, is the
    value the paper's own numbers imply.
    """
    key, unit = entry["key"], entry["unit"]
    dec = int(entry["decimals"])
    book = _book_value(results, key, unit)
    limit = tolerance.limit(dec)
    out: dict[str, Any] = {
        "book": book,
        "difference": None,
        "tolerance": tolerance.text(dec),
        "tolerance_value": limit,
        "tolerance_rule": tolerance.pattern,
        "corrected": None,
        "reason": "",
    }
    if book is None:
        why = (
            "no counterpart in results.json" if key not in results else "the book could not compute it (null)"
        )
        out.update(status="not computed", reason=why)
        return out
    published = None if entry["value"] is None else float(entry["value"])
    if published is not None:
        out["difference"] = book - published
    agreement = _agreement(entry, book, published)
    if agreement:
        out.update(status=agreement[0], reason=agreement[1])
        return out
    wrong = [f for f in findings if f.paper_wrong]
    if wrong:
        corrected, status, reason = _against_the_paper(entry, book, wrong, limit)
        out["corrected"] = corrected
        out.update(status=status, reason=reason)
        return out
    status, reason = _beyond_rounding(entry, book, published, limit)
    out.update(status=status, reason=reason)
    return out


def _agreement(entry: Mapping[str, Any], book: float, published: float | None) -> tuple[str, str] | None:
    """``(status, reason)`` when the book's value is the printed one, at most at its rounding, or
    satisfies the printed bound; None otherwise."""
    if published is None:
        if bound_holds(book, entry["bound"]):
            return "reproduced", f"the book's value satisfies the printed bound {entry['bound']}"
        return None
    diff = book - published
    eps = 1e-9 * max(1.0, abs(published))
    if abs(diff) <= eps:
        return "reproduced", "equal"
    if abs(diff) <= 0.5 * 10 ** -int(entry["decimals"]) + eps:
        return "within rounding", "agrees at the printed rounding"
    return None


def _against_the_paper(
    entry: Mapping[str, Any], book: float, wrong: Sequence[Finding], limit: float | None
) -> tuple[float | None, str, str]:
    """``(corrected, status, reason)`` of a printing the paper's own numbers contradict: the book
    against the value they imply where a finding gives one."""
    ids = ", ".join(f.id for f in wrong)
    printing = ref(entry["key"], entry.get("variant"))
    corrected = next((f.corrected[printing] for f in wrong if printing in f.corrected), None)
    if corrected is None:
        return None, "paper inconsistent", f"the printed value cannot be right ({ids})"
    half = 0.5 * 10 ** -int(entry["decimals"])
    c_limit = limit if limit is not None else half
    if abs(book - corrected) <= max(c_limit, half) + 1e-9:
        return (
            corrected,
            "paper inconsistent",
            f"the paper's own numbers give {corrected:g} ({ids}); the book agrees with that",
        )
    return (
        corrected,
        "differs" if limit is not None else "not targeted",
        f"the paper's own numbers give {corrected:g} ({ids}); the book is {book - corrected:+.4g} from that",
    )


def _beyond_rounding(
    entry: Mapping[str, Any], book: float, published: float | None, limit: float | None
) -> tuple[str, str]:
    """``(status, reason)`` of a book value beyond the printed rounding: within the key's
    tolerance, beyond it, or not targeted (no tolerance)."""
    if published is None:
        return (
            "differs" if limit is not None else "not targeted",
            f"the book's value does not satisfy the printed bound {entry['bound']}",
        )
    if limit is None:
        return "not targeted", "beyond rounding; the key has no tolerance"
    if abs(book - published) <= limit + 1e-9:
        return "within tolerance", "beyond rounding, within the tolerance"
    return "differs", "beyond the tolerance"


def published_vs_reproduced(
    results: Mapping[str, Any],
    published: Sequence[Mapping[str, Any]] | None = None,
    findings: Sequence[Finding] | None = None,
    tolerances: Sequence[Tolerance] | None = None,
) -> list[dict[str, Any]]:
    """One row per published number (every printing), in the order of ``published.yaml``."""
    published = load_published() if published is None else published
    findings = paper_consistency(published) if findings is None else findings
    rules = load_tolerances() if tolerances is None else tolerances
    keys = load_results_keys()
    pages = chapter_pages()
    by_ref: dict[str, list[Finding]] = {}
    for f in findings:
        if f.severity != "none":
            for k in f.keys:
                by_ref.setdefault(k, []).append(f)
    rows = []
    for i, e in enumerate(published, start=1):
        key, variant = e["key"], e.get("variant")
        meta = keys.get(key, {})
        chapter = meta.get("chapter")
        page = pages.get(chapter) if chapter else None
        related = by_ref.get(ref(key, variant), [])
        cmp = compare_entry(e, results, tolerance_for(key, rules), related)
        rows.append(
            {
                "id": f"P{i:03d}",
                "group": (e.get("source") or {}).get("where", ""),
                "where": where_text(e),
                "key": key,
                "variant": variant,
                "meaning": meta.get("meaning", ""),
                "unit": e["unit"],
                "decimals": int(e["decimals"]),
                "published": e["value"],
                "published_text": _printed(e),
                **cmp,
                "chapter": chapter,
                "link": f"{page}.html" if page else None,
                "findings": [f.id for f in related],
            }
        )
    return rows
