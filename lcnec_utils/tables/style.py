"""The book's HTML form of a table: right-aligned figures, escaped text, a scrolling wrapper."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

PROSE_COLUMNS = {"Note", "Notes"}  # text columns that hold sentences


class HTMLTable(str):
    """A formatted table for Jupyter Book: the HTML of a pandas ``Styler``
    wrapped in ``<div class="lcnec-table-wrap" style="overflow-x:auto">`` so
    that wide tables scroll on phones instead of overflowing the page,
    followed by the table's notes. It is a ``str`` (so ``IPython.display.HTML``
    takes it) that Jupyter also renders directly (``_repr_html_``); the
    ``Styler`` is kept in ``.styler``."""

    styler: Any
    notes: list[str]

    def __new__(cls, styler: Any, notes: Sequence[str] = ()) -> HTMLTable:
        notes = list(notes)
        body = styler.to_html()
        notes_html = "".join(
            f'<p class="lcnec-table-note" style="font-size:0.85em;margin:0.2em 0">{html.escape(n)}</p>'
            for n in notes
        )
        text = (
            '<div class="lcnec-table lcnec-table-wrap" style="overflow-x:auto;max-width:100%;'
            '-webkit-overflow-scrolling:touch">' + body + notes_html + "</div>"
        )
        obj = super().__new__(cls, text)
        obj.styler = styler
        obj.notes = notes
        return obj

    def to_html(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return str(self)


def style_table(
    df: pd.DataFrame,
    caption: str | None = None,
    notes: Sequence[str] = (),
    text_columns: Iterable[str] | None = None,
) -> HTMLTable:
    """Render a formatted (string) table: numbers right-aligned in tabular
    figures, text columns (the first column and ``Test``/``Note`` by default)
    left-aligned, cell text HTML-escaped (``"<0.001"``), no index, and a
    deterministic element id (a hash of the content) so rebuilt pages are
    byte-identical."""
    df = df.reset_index(drop=True)
    if text_columns is None:
        text_columns = [df.columns[0]] if len(df.columns) else []
        text_columns += [c for c in df.columns if str(c) in {"Test", "Term"} | PROSE_COLUMNS]
    text_columns = [c for c in text_columns if c in df.columns]
    number_columns = [c for c in df.columns if c not in text_columns]
    uid = hashlib.sha1((df.to_csv(index=False) + str(caption)).encode("utf-8")).hexdigest()[:10]
    from pandas.io.formats.style import Styler

    styler = Styler(df, uuid=uid, cell_ids=False)
    styler = styler.format(escape="html", na_rep="").hide(axis="index")
    cell = {"padding": "0.25em 0.6em", "vertical-align": "top"}
    styler = styler.set_table_styles(
        [
            {"selector": "", "props": [("border-collapse", "collapse"), ("font-size", "0.9em")]},
            {
                "selector": "th",
                "props": [("text-align", "right"), ("border-bottom", "1px solid #444"), *cell.items()],
            },
            {"selector": "td", "props": list(cell.items())},
            {
                "selector": "caption",
                "props": [("caption-side", "top"), ("text-align", "left"), ("font-weight", "bold")],
            },
        ]
    )
    # per-column class selectors (td.colN) keep the CSS small on 100-row tables
    col_styles: dict[Any, list[dict[str, Any]]] = {}
    for c in number_columns:
        col_styles[c] = [
            {
                "selector": "td",
                "props": [
                    ("text-align", "right"),
                    ("white-space", "nowrap"),
                    ("font-variant-numeric", "tabular-nums"),
                ],
            }
        ]
    for c in text_columns:
        td = [("text-align", "left")]
        if str(c) in PROSE_COLUMNS:  # sentences wrap at a readable width, not squeezed by identifiers
            td.append(("min-width", "24em"))
        col_styles[c] = [
            {"selector": "td", "props": td},
            {"selector": "th", "props": [("text-align", "left")]},
        ]
    if col_styles:
        styler = styler.set_table_styles(col_styles, overwrite=False)
    if caption:
        styler = styler.set_caption(html.escape(caption))
    return HTMLTable(styler, notes)
