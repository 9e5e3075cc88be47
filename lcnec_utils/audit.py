"""The reproduction audit: every published number against the book's, and the paper against itself.

Two tables, both generated:

1. **Published vs reproduced** -- one row per number of ``data/published.yaml``
   (every printing, text variants included): where the paper prints it, the
   printed value, the book's value from ``results.json`` (proportions x 100),
   the difference, the tolerance of ``data/audit_tolerances.yaml`` and a
   status:

   ``reproduced``         equal (counts; values the paper prints exactly)
   ``within rounding``    |book - published| <= half a unit of the last printed decimal
   ``within tolerance``   beyond rounding but within the key's tolerance
   ``paper inconsistent`` beyond rounding, and the paper's own numbers show the
                          printed value cannot be right (a consistency finding);
                          where those numbers imply a value, the book must be
                          within tolerance of it, else the row ``differs``
   ``differs``            beyond the tolerance
   ``not targeted``       beyond rounding, but the key has no tolerance
                          (informative only)
   ``not computed``       no counterpart in ``results.json`` (or null there)

   A printed bound ("p > 0.05") is ``reproduced`` when the book's value
   satisfies it.

2. **Consistency** -- :func:`lcnec_utils.consistency.paper_consistency`.

:func:`build_audit` returns both as data, :func:`write_audit` writes
``audit.json`` beside ``results.json``, :func:`audit_command` is ``lcnec
audit``: it prints the summary and returns 1 when a row whose tolerance
applies is out of it (status ``differs``) on a build of the shipped synthetic
cohort with the default analysis parameters (on any other cohort the
comparison is informative and it returns 0).
"""

from __future__ import annotations

import fnmatch
import hashlib
import html
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from .consistency import CHECKS, SEVERITIES, Finding, paper_consistency, ref, where_text
from .params import DATA_DIR, DEFAULT_COHORT, PROJECT_ROOT, Parameters

TOLERANCES_PATH = DATA_DIR / "audit_tolerances.yaml"
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
#: Parameters that change what the chapters compute (a build with others is not the reproduction).
ANALYSIS_PARAMETERS = ("reference_group", "treatment_group", "landmark_months", "alpha", "covariates")
#: Order of the groups ("where" in the paper) in the chapter.
GROUP_ORDER = ("Table 2", "Table 3", "Table 4", "Section 3.1", "Section 3.2", "Section 3.3", "Discussion", "Figure 1")


# --------------------------------------------------------------------------
# Tolerances
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Tolerance:
    """``kind`` is ``exact``, ``rounding``, ``absolute`` or ``none``; ``value`` the absolute tolerance."""

    kind: str
    value: float | None
    pattern: str
    why: str

    def limit(self, decimals: int) -> float | None:
        """Largest allowed |book - published| (``None``: not targeted)."""
        if self.kind == "exact":
            return 0.0
        if self.kind == "rounding":
            return 0.5 * 10**-decimals
        if self.kind == "absolute":
            return float(self.value)
        return None

    def text(self, decimals: int) -> str:
        if self.kind == "exact":
            return "exact"
        if self.kind == "rounding":
            return f"±{0.5 * 10**-decimals:g} (rounding)"
        if self.kind == "absolute":
            return f"±{self.value:g}"
        return "none"


def load_tolerances(path: str | Path | None = None) -> list[Tolerance]:
    """The rules of ``data/audit_tolerances.yaml``, in order."""
    doc = yaml.safe_load(Path(path or TOLERANCES_PATH).read_text(encoding="utf-8"))
    rules = []
    for i, rule in enumerate(doc.get("rules") or []):
        tol = rule.get("tolerance")
        if tol in ("exact", "rounding"):
            kind, value = tol, None
        elif tol is None:
            kind, value = "none", None
        elif isinstance(tol, (int, float)) and not isinstance(tol, bool) and tol >= 0:
            kind, value = "absolute", float(tol)
        else:
            raise ValueError(f"{path or TOLERANCES_PATH}: rules[{i}]: tolerance {tol!r} is not exact, rounding, a number or null")
        rules.append(Tolerance(kind, value, str(rule["pattern"]), " ".join(str(rule.get("why", "")).split())))
    return rules


def tolerance_for(key: str, rules: Sequence[Tolerance]) -> Tolerance:
    """The first rule whose pattern matches ``key``."""
    for rule in rules:
        if fnmatch.fnmatchcase(key, rule.pattern):
            return rule
    return Tolerance("none", None, "", "no rule matches")


# --------------------------------------------------------------------------
# Chapters and links
# --------------------------------------------------------------------------


def chapter_pages(notebooks_dir: Path = NOTEBOOKS_DIR) -> dict[str, str]:
    """Chapter name -> notebook stem (``survival`` -> ``04_survival``), from the notebook files."""
    pages = {}
    for path in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        pages.setdefault(path.stem.split("_", 1)[1], path.stem)
    return pages


# --------------------------------------------------------------------------
# Published vs reproduced
# --------------------------------------------------------------------------


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
        "book": book, "difference": None, "tolerance": tolerance.text(dec), "tolerance_value": limit,
        "tolerance_rule": tolerance.pattern, "corrected": None, "reason": "",
    }
    if book is None:
        why = "no counterpart in results.json" if key not in results else "the book could not compute it (null)"
        out.update(status="not computed", reason=why)
        return out
    if entry["value"] is None:
        holds = _bound_holds(book, entry["bound"])
        if holds:
            out.update(status="reproduced", reason=f"the book's value satisfies the printed bound {entry['bound']}")
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
        corrected = next((f.corrected[ref(key, variant)] for f in wrong if ref(key, variant) in f.corrected), None)
        if corrected is not None:
            out["corrected"] = corrected
            c_limit = limit if limit is not None else half
            if abs(book - corrected) <= max(c_limit, half) + 1e-9:
                out.update(status="paper inconsistent",
                           reason=f"the paper's own numbers give {corrected:g} ({ids}); the book agrees with that")
            else:
                out.update(status="differs" if limit is not None else "not targeted",
                           reason=f"the paper's own numbers give {corrected:g} ({ids}); the book is "
                                  f"{book - corrected:+.4g} from that")
            return out
        out.update(status="paper inconsistent", reason=f"the printed value cannot be right ({ids})")
        return out
    if published is None:
        out.update(status="differs" if limit is not None else "not targeted",
                   reason=f"the book's value does not satisfy the printed bound {entry['bound']}")
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
    from .published import load_published, load_results_keys

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
        rows.append({
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
        })
    return rows


# --------------------------------------------------------------------------
# The audit as data
# --------------------------------------------------------------------------


def is_shipped_cohort(data_path: str | Path | None) -> bool | None:
    """True if ``data_path`` is the shipped synthetic cohort (same file, or same bytes); None if unknown."""
    if not data_path:
        return None
    path = Path(data_path)
    try:
        if path.resolve() == DEFAULT_COHORT.resolve():
            return True
        if path.is_file() and DEFAULT_COHORT.is_file():
            return _sha256(path) == _sha256(DEFAULT_COHORT)
    except OSError:
        return None
    return False


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def non_default_parameters(parameters: Mapping[str, Any] | None) -> list[str]:
    """Analysis parameters set to something other than the published analysis's."""
    if not parameters:
        return []
    default = Parameters()
    out = []
    for name in ANALYSIS_PARAMETERS:
        if name in parameters and parameters[name] is not None:
            want, got = getattr(default, name), parameters[name]
            if isinstance(want, float):
                same = isinstance(got, (int, float)) and float(got) == want
            else:
                same = (list(got) if isinstance(got, (list, tuple)) else got) == want
            if not same:
                out.append(name)
    return out


def build_audit(
    results: Mapping[str, Any],
    published: Sequence[Mapping[str, Any]] | None = None,
    *,
    data_path: str | Path | None = None,
    parameters: Mapping[str, Any] | None = None,
    tolerances: Sequence[Tolerance] | None = None,
) -> dict[str, Any]:
    """Both tables of the audit and their summary, as plain data (JSON-ready).

    ``results`` is the merged ``results.json``; ``published`` the entries of
    ``data/published.yaml`` (default: loaded). ``data_path`` and
    ``parameters`` describe the build: the comparison is a *reproduction*
    (and a ``differs`` row a failure) only on the shipped synthetic cohort
    with the default analysis parameters; when they are not given the build is
    taken to be the shipped one.
    """
    from .published import load_published

    published = load_published() if published is None else list(published)
    findings = paper_consistency(published)
    rows = published_vs_reproduced(results, published, findings, tolerances)
    shipped = is_shipped_cohort(data_path)
    changed = non_default_parameters(parameters)
    reproduction = (shipped is not False) and not changed
    status_counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    severity_counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    failing = [r for r in rows if r["status"] == FAILING]
    if shipped is False:
        scope = "a user's cohort: the comparison with the published numbers is informative only"
    elif changed:
        scope = f"non-default analysis parameters ({', '.join(changed)}): the comparison is informative only"
    else:
        scope = "the shipped synthetic cohort with the published analysis: every tolerance applies"
    return {
        "summary": {
            "published_numbers": len(rows),
            "status_counts": status_counts,
            "out_of_tolerance": [r["id"] for r in failing],
            "consistency_checks": len(findings),
            "severity_counts": severity_counts,
            "reproduction_build": reproduction,
            "scope": scope,
            "passed": not (reproduction and failing),
        },
        "cohort": {
            "data_path": None if data_path is None else str(data_path),
            "shipped_synthetic": shipped,
            "non_default_parameters": changed,
        },
        "published_vs_reproduced": rows,
        "consistency": [f.as_dict() for f in findings],
        "tolerances": [
            {"pattern": t.pattern, "tolerance": t.kind if t.kind != "absolute" else t.value, "why": t.why}
            for t in (load_tolerances() if tolerances is None else tolerances)
        ],
    }


def write_audit(
    results: Mapping[str, Any],
    path: str | Path,
    *,
    data_path: str | Path | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Write ``audit.json`` (the :func:`build_audit` dict) to ``path``; returns the dict."""
    audit = build_audit(results, data_path=data_path, parameters=parameters)
    Path(path).write_text(json.dumps(audit, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return audit


# --------------------------------------------------------------------------
# lcnec audit
# --------------------------------------------------------------------------


def _build_parameters(out_dir: Path) -> dict[str, Any] | None:
    """The parameters papermill injected into the first executed chapter of a build."""
    import nbformat

    for nb_path in sorted((out_dir / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        try:
            nb = nbformat.read(nb_path, as_version=4)
        except Exception:  # noqa: BLE001 - an unreadable notebook just leaves it unknown
            continue
        params = (nb.metadata.get("papermill") or {}).get("parameters")
        if params:
            return dict(params)
    return None


def summary_text(audit: Mapping[str, Any]) -> str:
    """The summary ``lcnec audit`` prints."""
    s = audit["summary"]
    lines = [f"reproduction audit: {s['published_numbers']} published numbers; {s['scope']}"]
    width = max(len(k) for k in STATUSES)
    for status in STATUSES:
        lines.append(f"  {status:<{width}}  {s['status_counts'].get(status, 0):>4}")
    sev = s["severity_counts"]
    lines.append(
        f"paper consistency: {s['consistency_checks']} checks; findings "
        + ", ".join(f"{sev.get(k, 0)} {k}" for k in SEVERITIES if k != "none")
        + f"; {sev.get('none', 0)} consistent"
    )
    failing = [r for r in audit["published_vs_reproduced"] if r["status"] == FAILING]
    if failing:
        lines.append(f"{len(failing)} reproduced number(s) out of tolerance:")
        for r in failing:
            lines.append(
                f"  {r['id']} {r['key']}{' (' + r['variant'] + ')' if r['variant'] else ''}: "
                f"published {r['published_text']}, book {_fmt_num(r['book'], r['decimals'])}, "
                f"tolerance {r['tolerance']} [{r['where']}]"
            )
    return "\n".join(lines)


def audit_command(out_dir: str | Path = "build", stream=None) -> int:
    """``lcnec audit [--out DIR]``: print the audit of the build in ``out_dir``.

    Recomputes the audit from ``DIR/results.json`` (so it always uses the
    current ``published.yaml`` and tolerances) and reads which cohort and
    parameters the build used from the executed chapters. Returns 1 when a
    number whose tolerance applies is out of it on the shipped cohort with the
    published analysis, 2 when there is no ``results.json``, else 0.
    """
    stream = stream or sys.stdout
    out_dir = Path(out_dir)
    results_path = out_dir / "results.json"
    if not results_path.is_file():
        print(f"error: no results.json in {out_dir}; run `lcnec build --out {out_dir}` first", file=sys.stderr)
        return 2
    results = json.loads(results_path.read_text())
    params = _build_parameters(out_dir)
    data_path = None if params is None else params.get("data_path")
    saved = out_dir / "audit.json"
    if data_path is None and saved.is_file():
        data_path = (json.loads(saved.read_text()).get("cohort") or {}).get("data_path")
    audit = build_audit(results, data_path=data_path, parameters=params)
    print(summary_text(audit), file=stream)
    s = audit["summary"]
    if s["out_of_tolerance"] and not s["reproduction_build"]:
        print("(not a reproduction build: differences are reported, not failed)", file=stream)
    return 0 if s["passed"] else 1


# --------------------------------------------------------------------------
# Tables for the chapter
# --------------------------------------------------------------------------


def _cell(text: Any) -> str:
    return "" if text is None else html.escape(str(text))


def html_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]], caption: str | None = None,
               link_column: str | None = None, number_columns: Sequence[str] = (),
               min_widths: Mapping[str, str] | None = None) -> str:
    """A plain HTML table in the book's table style; ``link_column`` cells link to the row's ``link``."""
    head = "".join(
        f'<th style="text-align:{"right" if f in number_columns else "left"}">{_cell(label)}</th>' for f, label in columns
    )
    body = []
    for r in rows:
        cells = []
        for f, _ in columns:
            text = r.get(f)
            align = "right" if f in number_columns else "left"
            width = f";min-width:{min_widths[f]}" if min_widths and f in min_widths else ""
            style = f' style="text-align:{align}{";white-space:nowrap" if f in number_columns else ""}{width}"'
            if f == link_column and r.get("link"):
                cells.append(f'<td{style}><a href="{html.escape(r["link"])}">{_cell(text)}</a></td>')
            else:
                cells.append(f"<td{style}>{_cell(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f'<caption style="caption-side:top;text-align:left;font-weight:bold">{_cell(caption)}</caption>' if caption else ""
    return (
        '<div class="lcnec-table lcnec-table-wrap" style="overflow-x:auto;max-width:100%">'
        f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def findings_html(rows: Sequence[Mapping[str, Any]], caption: str | None = None) -> str:
    """Findings as a table: id, what (with where), expected, reported, severity; the explanation below, full width."""
    colours = {"high": "#b2182b", "medium": "#d6604d", "low": "#8c6d1f", "none": "#1b7837"}
    head = "".join(f'<th style="text-align:left">{h}</th>' for h in ("#", "What", "Expected", "Reported", "Severity"))
    body = []
    for f in rows:
        sev = f["severity"]
        body.append(
            "<tr>"
            f'<td style="white-space:nowrap;border-bottom:none">{_cell(f["id"])}</td>'
            f'<td style="min-width:16em;border-bottom:none">{_cell(f["what"])}<br><span style="font-size:0.85em;color:#555">{_cell(f["where"])}</span></td>'
            f'<td style="min-width:10em;border-bottom:none">{_cell(f["expected"])}</td>'
            f'<td style="min-width:6em;border-bottom:none">{_cell(f["reported"])}</td>'
            f'<td style="color:{colours.get(sev, "#333")};font-weight:600;border-bottom:none">{_cell(sev if sev != "none" else "consistent")}</td>'
            "</tr>"
            f'<tr><td></td><td colspan="4" style="font-size:0.9em;padding-bottom:0.8em">{_cell(f["explanation"])}</td></tr>'
        )
    if not rows:
        body.append('<tr><td colspan="5">No finding: every check of this kind is consistent.</td></tr>')
    cap = f'<caption style="caption-side:top;text-align:left;font-weight:bold">{_cell(caption)}</caption>' if caption else ""
    return (
        '<div class="lcnec-table lcnec-table-wrap" style="overflow-x:auto;max-width:100%">'
        f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _display_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        d = dict(r)
        where = r["where"]
        if r["group"] and where.startswith(r["group"]):
            where = where[len(r["group"]):].lstrip(",: ") or where
        d["where_text"] = where
        d["key_text"] = r["key"] + (f" ({r['variant']})" if r["variant"] else "")
        count = r["unit"] == "count"
        if r["book"] is None:
            d["book_text"] = "—"
        elif count and float(r["book"]).is_integer():
            d["book_text"] = str(int(r["book"]))
        else:
            d["book_text"] = _fmt_num(r["book"], r["decimals"])
        if r["difference"] is None:
            d["difference_text"] = ""
        elif count and float(r["difference"]).is_integer():
            d["difference_text"] = f"{int(r['difference']):+d}" if r["difference"] else "0"
        else:
            d["difference_text"] = f"{r['difference']:+.{max(r['decimals'] + 2, 2)}f}"
        d["tolerance_short"] = "rounding" if "(rounding)" in r["tolerance"] else r["tolerance"]
        d["chapter_text"] = r["chapter"] or ""
        d["status_text"] = r["status"] + (f" ({', '.join(r['findings'])})" if r["findings"] and r["status"] == "paper inconsistent" else "")
        out.append(d)
    return out


PVR_COLUMNS = [
    ("id", "#"), ("where_text", "Where in the paper"), ("key_text", "Key"), ("published_text", "Published"),
    ("book_text", "Book"), ("difference_text", "Difference"), ("tolerance", "Tolerance"),
    ("status_text", "Status"), ("chapter_text", "Chapter"),
]
FINDING_COLUMNS = [
    ("id", "#"), ("what", "What"), ("where", "Where"), ("expected", "Expected"), ("reported", "Reported"),
    ("severity", "Severity"), ("explanation", "Why"),
]


def groups_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    present = list(dict.fromkeys(r["group"] for r in rows))
    return sorted(present, key=lambda g: (GROUP_ORDER.index(g) if g in GROUP_ORDER else len(GROUP_ORDER), g))


STATUS_COLOURS = {
    "reproduced": "#1b7837", "within rounding": "#1b7837", "within tolerance": "#5aae61",
    "paper inconsistent": "#8c6d1f", "differs": "#b2182b", "not targeted": "#555", "not computed": "#555",
}


def published_table_html(audit: Mapping[str, Any], group: str) -> str:
    """The published-vs-reproduced rows of one group ("Table 2", "Section 3.3", ...).

    Each row: where (with the results key below it), published, book,
    difference, tolerance, status (with its reason as a tooltip) and a link to
    the chapter that computes the number.
    """
    rows = _display_rows([r for r in audit["published_vs_reproduced"] if r["group"] == group])
    heads = [("#", "left"), ("Where in the paper", "left"), ("Published", "right"), ("Book", "right"),
             ("Status", "left"), ("Difference", "right"), ("Tolerance", "left"), ("Chapter", "left")]
    head = "".join(f'<th style="text-align:{a}">{h}</th>' for h, a in heads)
    body = []
    num = 'style="text-align:right;white-space:nowrap"'
    for r in rows:
        chapter = (f'<a href="{html.escape(r["link"])}">{_cell(r["chapter_text"])}</a>'
                   if r.get("link") else _cell(r["chapter_text"]))
        body.append(
            "<tr>"
            f'<td style="white-space:nowrap">{_cell(r["id"])}</td>'
            f'<td style="min-width:11em">{_cell(r["where_text"])}<br>'
            f'<code style="font-size:0.8em">{_cell(r["key_text"])}</code></td>'
            f"<td {num}>{_cell(r['published_text'])}</td>"
            f"<td {num}>{_cell(r['book_text'])}</td>"
            f'<td style="min-width:7em;color:{STATUS_COLOURS.get(r["status"], "#333")}" title="{_cell(r["reason"])}">'
            f'{_cell(r["status_text"])}</td>'
            f"<td {num}>{_cell(r['difference_text'])}</td>"
            f'<td style="white-space:nowrap" title="{_cell(r["tolerance"])}">{_cell(r["tolerance_short"])}</td>'
            f"<td>{chapter}</td>"
            "</tr>"
        )
    cap = f'<caption style="caption-side:top;text-align:left;font-weight:bold">{_cell(group)}: published vs reproduced</caption>'
    return (
        '<div class="lcnec-table lcnec-table-wrap" style="overflow-x:auto;max-width:100%">'
        f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def findings_table_html(audit: Mapping[str, Any], check: str | None = None, problems_only: bool = True) -> str:
    """Consistency findings (of one ``check`` group), problems first by severity."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    rows = [f for f in audit["consistency"] if (check is None or f["check"] == check)
            and (not problems_only or f["severity"] != "none")]
    rows = sorted(rows, key=lambda f: (rank[f["severity"]], f["id"]))
    caption = CHECKS.get(check, "Consistency findings") if check else "Consistency findings"
    return findings_html(rows, caption=caption)


def status_summary_table(audit: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Counts per status and per group, as rows for a table."""
    rows = audit["published_vs_reproduced"]
    out = []
    for g in groups_of(rows):
        sub = [r for r in rows if r["group"] == g]
        out.append({"group": g, **{s: sum(1 for r in sub if r["status"] == s) for s in STATUSES}, "total": len(sub)})
    out.append({"group": "All", **{s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}, "total": len(rows)})
    return out


def status_summary_html(audit: Mapping[str, Any]) -> str:
    cols = [("group", "Where")] + [(s, s) for s in STATUSES] + [("total", "total")]
    return html_table(status_summary_table(audit), cols, caption="Published numbers by status",
                      number_columns=[s for s in STATUSES] + ["total"])


def severity_summary_html(audit: Mapping[str, Any]) -> str:
    rows = []
    for check, label in CHECKS.items():
        sub = [f for f in audit["consistency"] if f["check"] == check]
        if sub:
            rows.append({"check": label, **{s: sum(1 for f in sub if f["severity"] == s) for s in SEVERITIES},
                         "total": len(sub)})
    rows.append({"check": "All", **{s: sum(1 for f in audit["consistency"] if f["severity"] == s) for s in SEVERITIES},
                 "total": len(audit["consistency"])})
    cols = [("check", "Check")] + [(s, s if s != "none" else "consistent") for s in SEVERITIES] + [("total", "total")]
    return html_table(rows, cols, caption="Consistency checks by severity", number_columns=list(SEVERITIES) + ["total"])
