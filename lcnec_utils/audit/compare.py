"""Published against reproduced: one row per printed number, with its status."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lcnec_utils.audit.consistency.findings import (
    Finding,
    ref,
    where_text,
)
from lcnec_utils.audit.consistency.paper import paper_consistency
from lcnec_utils.audit.tolerances import Tolerance, load_tolerances, tolerance_for
from lcnec_utils.contract.params import (
    PROJECT_ROOT,
)

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


def _bound_holds(value: float, bound: str) -> bool:
    import re

    op, limit = re.match(r"^(<=|>=|<|>)\s*([0-9.]+)$", bound.strip()).groups()
    limit = float(limit)
    return {"<": value < limit, "<=": value <= limit, ">": value > limit, ">=": value >= limit}[op]


def _fmt_num(x: float | None, decimals: int) -> str:
    if x is None:
        return ""
    return f"{x:.{max(decimals + 2, 2)}f}" if abs(x) < 1e4 else f"{x:.1f}"


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
    key, variant, unit = entry["key"], entry.get("variant"), entry["unit"]
    dec = int(entry["decimals"])
    book = _book_value(results, key, unit)
    limit = tolerance.limit(dec)
    half = 0.5 * 10**-dec
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
    if entry["value"] is None:
        holds = _bound_holds(book, entry["bound"])
        if holds:
            out.update(
                status="reproduced", reason=f"the book's value satisfies the printed bound {entry['bound']}"
            )
            return out
        published = None
    else:
        published = float(entry["value"])
        diff = book - published
        out["difference"] = diff
        eps = 1e-9 * max(1.0, abs(published))
        if abs(diff) <= eps:
            out.update(status="reproduced", reason="equal")
            return out
        if abs(diff) <= half + eps:
            out.update(status="within rounding", reason="agrees at the printed rounding")
            return out
    wrong = [f for f in findings if f.paper_wrong]
    if wrong:
        ids = ", ".join(f.id for f in wrong)
        corrected = next(
            (f.corrected[ref(key, variant)] for f in wrong if ref(key, variant) in f.corrected), None
        )
        if corrected is not None:
            out["corrected"] = corrected
            c_limit = limit if limit is not None else half
            if abs(book - corrected) <= max(c_limit, half) + 1e-9:
                out.update(
                    status="paper inconsistent",
                    reason=f"the paper's own numbers give {corrected:g} ({ids}); the book agrees with that",
                )
            else:
                out.update(
                    status="differs" if limit is not None else "not targeted",
                    reason=f"the paper's own numbers give {corrected:g} ({ids}); the book is "
                    f"{book - corrected:+.4g} from that",
                )
            return out
        out.update(status="paper inconsistent", reason=f"the printed value cannot be right ({ids})")
        return out
    if published is None:
        out.update(
            status="differs" if limit is not None else "not targeted",
            reason=f"the book's value does not satisfy the printed bound {entry['bound']}",
        )
        return out
    if limit is None:
        out.update(status="not targeted", reason="beyond rounding; the key has no tolerance")
    elif abs(book - published) <= limit + 1e-9:
        out.update(status="within tolerance", reason="beyond rounding, within the tolerance")
    else:
        out.update(status="differs", reason="beyond the tolerance")
    return out


def published_vs_reproduced(
    results: Mapping[str, Any],
    published: Sequence[Mapping[str, Any]] | None = None,
    findings: Sequence[Finding] | None = None,
    tolerances: Sequence[Tolerance] | None = None,
) -> list[dict[str, Any]]:
    """One row per published number (every printing), in the order of ``published.yaml``."""
    from lcnec_utils.contract.published import load_published
    from lcnec_utils.contract.results_keys import load_results_keys

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
