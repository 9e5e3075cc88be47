"""Write the tables of docs/spec/results-keys.md that list every key, from data/results_keys.yaml.

The dictionary (data/results_keys.yaml) is the one source; the spec page shows it
as two tables (placeholders, every key) between generated-block markers, so the
two never drift apart. ``--check`` exits 1 when the page is stale
(tests/test_spec.py runs it).

    .venv/bin/python tools/results_keys_table.py          # rewrite the blocks
    .venv/bin/python tools/results_keys_table.py --check  # exit 1 if stale
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DICTIONARY = ROOT / "data" / "results_keys.yaml"
PAGE = ROOT / "docs" / "spec" / "results-keys.md"
BLOCKS = ("placeholders", "keys")


def _code(text: str) -> str:
    """``<name>`` placeholders in backticks, as the page writes them."""
    text = " ".join(str(text).split()).replace("|", "\\|")  # a pipe would end the cell
    return re.sub(r"(<[a-z_0-9]+>)", r"`\1`", text)


def _values(values: list) -> str:
    return ", ".join(f"`{v}`" for v in values)


def placeholder_table(dictionary: dict) -> str:
    rows = ["| placeholder | values |", "|---|---|"]
    rows += [f"| `<{name}>` | {_values(values)} |" for name, values in dictionary["placeholders"].items()]
    return "\n".join(rows)


def key_table(dictionary: dict) -> str:
    rows = ["| key | unit | chapter | its own placeholders | meaning |", "|---|---|---|---|---|"]
    for name, meta in dictionary["keys"].items():
        pattern = meta.get("pattern", name)
        own = "; ".join(f"`<{p}>`: {_values(v)}" for p, v in (meta.get("values") or {}).items())
        rows.append(
            f"| `{pattern}` | {meta['unit']} | {meta['chapter']} | {own} | {_code(meta['meaning'])} |"
        )
    return "\n".join(rows)


def render(page: str, dictionary: dict) -> str:
    tables = {"placeholders": placeholder_table(dictionary), "keys": key_table(dictionary)}
    for block in BLOCKS:
        start = f"<!-- generated: {block} (tools/results_keys_table.py) -->"
        end = f"<!-- end generated: {block} -->"
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
        if not pattern.search(page):
            raise SystemExit(f"{PAGE}: no '{start}' ... '{end}' block")
        block_text = f"{start}\n{tables[block]}\n{end}"
        page = pattern.sub(lambda _m, text=block_text: text, page)
    return page


def main(argv: list[str]) -> int:
    dictionary = yaml.safe_load(DICTIONARY.read_text(encoding="utf-8"))
    page = PAGE.read_text(encoding="utf-8")
    new = render(page, dictionary)
    if "--check" in argv:
        if new != page:
            print(f"{PAGE.relative_to(ROOT)} is stale: run .venv/bin/python tools/results_keys_table.py")
            return 1
        return 0
    PAGE.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
