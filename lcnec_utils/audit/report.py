"""The audit's HTML tables for the audit chapter: published vs reproduced, the consistency findings, summaries."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from lcnec_utils.audit.compare import STATUSES
from lcnec_utils.audit.consistency.findings import CHECKS, SEVERITIES
from lcnec_utils.stats.format import NA_TEXT, format_reproduced

#: Order of the groups ("where" in the paper) in the chapter.
GROUP_ORDER = (
    "Table 2",
    "Table 3",
    "Table 4",
    "Section 3.1",
    "Section 3.2",
    "Section 3.3",
    "Discussion",
    "Figure 1",
)


def _cell(text: Any) -> str:
    return "" if text is None else html.escape(str(text))


def _wrapped_table(caption: str | None, head: str, body: Sequence[str]) -> str:
    """An HTML table (caption on top, flush left) in the book's scrolling table wrapper."""
    cap = (
        f'<caption style="caption-side:top;text-align:left;font-weight:bold">{_cell(caption)}</caption>'
        if caption
        else ""
    )
    return (
        '<div class="lcnec-table lcnec-table-wrap" style="overflow-x:auto;max-width:100%">'
        f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def html_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[tuple[str, str]],
    caption: str | None = None,
    link_column: str | None = None,
    number_columns: Sequence[str] = (),
    min_widths: Mapping[str, str] | None = None,
) -> str:
    """A plain HTML table in the book's table style; ``link_column`` cells link to the row's ``link``."""
    head = "".join(
        f'<th style="text-align:{"right" if f in number_columns else "left"}">{_cell(label)}</th>'
        for f, label in columns
    )
    body = []
    for r in rows:
        cells = []
        for f, _ in columns:
            text = r.get(f)
            align = "right" if f in number_columns else "left"
            width = f";min-width:{min_widths[f]}" if min_widths and f in min_widths else ""
            style = (
                f' style="text-align:{align}{";white-space:nowrap" if f in number_columns else ""}{width}"'
            )
            if f == link_column and r.get("link"):
                cells.append(f'<td{style}><a href="{html.escape(r["link"])}">{_cell(text)}</a></td>')
            else:
                cells.append(f"<td{style}>{_cell(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return _wrapped_table(caption, head, body)


def findings_html(rows: Sequence[Mapping[str, Any]], caption: str | None = None) -> str:
    """Findings as a table: id, what (with where), expected, reported, severity; the explanation below, full width."""
    colours = {"high": "#b2182b", "medium": "#d6604d", "low": "#8c6d1f", "none": "#1b7837"}
    head = "".join(
        f'<th style="text-align:left">{h}</th>' for h in ("#", "What", "Expected", "Reported", "Severity")
    )
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
    return _wrapped_table(caption, head, body)


def _display_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        d = dict(r)
        where = r["where"]
        if r["group"] and where.startswith(r["group"]):
            where = where[len(r["group"]) :].lstrip(",: ") or where
        d["where_text"] = where
        d["key_text"] = r["key"] + (f" ({r['variant']})" if r["variant"] else "")
        count = r["unit"] == "count"
        if r["book"] is None:
            d["book_text"] = NA_TEXT
        elif count and float(r["book"]).is_integer():
            d["book_text"] = str(int(r["book"]))
        else:
            d["book_text"] = format_reproduced(r["book"], r["decimals"])
        if r["difference"] is None:
            d["difference_text"] = ""
        elif count and float(r["difference"]).is_integer():
            d["difference_text"] = f"{int(r['difference']):+d}" if r["difference"] else "0"
        else:
            d["difference_text"] = f"{r['difference']:+.{max(r['decimals'] + 2, 2)}f}"
        d["tolerance_short"] = "rounding" if "(rounding)" in r["tolerance"] else r["tolerance"]
        d["chapter_text"] = r["chapter"] or ""
        d["status_text"] = r["status"] + (
            f" ({', '.join(r['findings'])})" if r["findings"] and r["status"] == "paper inconsistent" else ""
        )
        out.append(d)
    return out


def groups_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The groups ("where" in the paper) present in ``rows``, in the chapter's order."""
    present = list(dict.fromkeys(r["group"] for r in rows))
    return sorted(present, key=lambda g: (GROUP_ORDER.index(g) if g in GROUP_ORDER else len(GROUP_ORDER), g))


STATUS_COLOURS = {
    "reproduced": "#1b7837",
    "within rounding": "#1b7837",
    "within tolerance": "#5aae61",
    "paper inconsistent": "#8c6d1f",
    "differs": "#b2182b",
    "not targeted": "#555",
    "not computed": "#555",
}


def published_table_html(audit: Mapping[str, Any], group: str) -> str:
    """The published-vs-reproduced rows of one group ("Table 2", "Section 3.3", ...).

    Each row: where (with the results key below it), published, book,
    difference, tolerance, status (with its reason as a tooltip) and a link to
    the chapter that computes the number.
    """
    rows = _display_rows([r for r in audit["published_vs_reproduced"] if r["group"] == group])
    heads = [
        ("#", "left"),
        ("Where in the paper", "left"),
        ("Published", "right"),
        ("Book", "right"),
        ("Status", "left"),
        ("Difference", "right"),
        ("Tolerance", "left"),
        ("Chapter", "left"),
    ]
    head = "".join(f'<th style="text-align:{a}">{h}</th>' for h, a in heads)
    body = []
    num = 'style="text-align:right;white-space:nowrap"'
    for r in rows:
        chapter = (
            f'<a href="{html.escape(r["link"])}">{_cell(r["chapter_text"])}</a>'
            if r.get("link")
            else _cell(r["chapter_text"])
        )
        body.append(
            "<tr>"
            f'<td style="white-space:nowrap">{_cell(r["id"])}</td>'
            f'<td style="min-width:11em">{_cell(r["where_text"])}<br>'
            f'<code style="font-size:0.8em">{_cell(r["key_text"])}</code></td>'
            f"<td {num}>{_cell(r['published_text'])}</td>"
            f"<td {num}>{_cell(r['book_text'])}</td>"
            f'<td style="min-width:7em;color:{STATUS_COLOURS.get(r["status"], "#333")}" title="{_cell(r["reason"])}">'
            f"{_cell(r['status_text'])}</td>"
            f"<td {num}>{_cell(r['difference_text'])}</td>"
            f'<td style="white-space:nowrap" title="{_cell(r["tolerance"])}">{_cell(r["tolerance_short"])}</td>'
            f"<td>{chapter}</td>"
            "</tr>"
        )
    return _wrapped_table(f"{group}: published vs reproduced", head, body)


def findings_table_html(
    audit: Mapping[str, Any], check: str | None = None, problems_only: bool = True
) -> str:
    """Consistency findings (of one ``check`` group), problems first by severity."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    rows = [
        f
        for f in audit["consistency"]
        if (check is None or f["check"] == check) and (not problems_only or f["severity"] != "none")
    ]
    rows = sorted(rows, key=lambda f: (rank[f["severity"]], f["id"]))
    caption = CHECKS.get(check, "Consistency findings") if check else "Consistency findings"
    return findings_html(rows, caption=caption)


def status_summary_table(audit: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Counts per status and per group, as rows for a table."""
    rows = audit["published_vs_reproduced"]
    out = []
    for g in groups_of(rows):
        sub = [r for r in rows if r["group"] == g]
        out.append(
            {"group": g, **{s: sum(1 for r in sub if r["status"] == s) for s in STATUSES}, "total": len(sub)}
        )
    out.append(
        {
            "group": "All",
            **{s: sum(1 for r in rows if r["status"] == s) for s in STATUSES},
            "total": len(rows),
        }
    )
    return out


def status_summary_html(audit: Mapping[str, Any]) -> str:
    """The table of :func:`status_summary_table`."""
    cols = [("group", "Where")] + [(s, s) for s in STATUSES] + [("total", "total")]
    return html_table(
        status_summary_table(audit),
        cols,
        caption="Published numbers by status",
        number_columns=[s for s in STATUSES] + ["total"],
    )


def severity_summary_html(audit: Mapping[str, Any]) -> str:
    """Counts of consistency findings per check and severity, as a table."""
    rows = []
    for check, label in CHECKS.items():
        sub = [f for f in audit["consistency"] if f["check"] == check]
        if sub:
            rows.append(
                {
                    "check": label,
                    **{s: sum(1 for f in sub if f["severity"] == s) for s in SEVERITIES},
                    "total": len(sub),
                }
            )
    rows.append(
        {
            "check": "All",
            **{s: sum(1 for f in audit["consistency"] if f["severity"] == s) for s in SEVERITIES},
            "total": len(audit["consistency"]),
        }
    )
    cols = (
        [("check", "Check")]
        + [(s, s if s != "none" else "consistent") for s in SEVERITIES]
        + [("total", "total")]
    )
    return html_table(
        rows, cols, caption="Consistency checks by severity", number_columns=list(SEVERITIES) + ["total"]
    )
