"""Write each ``lcnec_utils`` subpackage's ``__init__.py``: lazy re-exports of its modules' public names.

Run from the repository root after adding, removing or renaming a module or a public name::

    .venv/bin/python tools/gen_init.py           # rewrite the stale __init__ files
    .venv/bin/python tools/gen_init.py --check   # write nothing; exit 1 naming the stale ones

A module's public names are its ``__all__`` when it declares one, else its top-level
functions, classes and assigned names without a leading underscore. Each ``__init__``
keeps its docstring (what the subpackage is for, written by hand) and gets the rest
from the modules: the names under ``TYPE_CHECKING`` for readers, IDEs and the build
cache's import analysis, and the same table for :func:`lcnec_utils._lazy.exports`,
which imports a home module on first use. The text is written as ``ruff format`` and
ruff's import sorting leave it, so a fresh ``__init__`` passes ``ruff check`` as is.
The package's own ``lcnec_utils/__init__.py`` is written by hand and left alone.
``tests/test_architecture.py`` fails when an ``__init__`` differs from what this
script would write.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

PACKAGE = "lcnec_utils"
LINE_LENGTH = 110  # [tool.ruff] line-length in pyproject.toml

_HEADER = """
from __future__ import annotations

from typing import TYPE_CHECKING

from lcnec_utils._lazy import exports

if TYPE_CHECKING:  # the same names, loaded on first use (lcnec starts without pandas)
"""


def public_names(module: Path) -> list[str]:
    """The names a module exports: its ``__all__`` if it has one, else its top-level
    definitions and assignments without a leading underscore, sorted."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if "__all__" in targets:
                return sorted(ast.literal_eval(node.value))
            found.update(n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
    return sorted(name for name in found if not name.startswith("_"))


def _natural(text: str) -> tuple:
    """Natural order, digits compared as numbers (ruff's isort compares names so)."""
    return tuple((0, int(run), "") if run.isdigit() else (1, 0, run) for run in re.findall(r"\d+|\D+", text))


def isort_order(name: str) -> tuple:
    """Where ruff's isort (order-by-type, case-insensitive) puts ``name`` in a ``from`` import:
    CONSTANTS, then Classes, then the rest, each in natural order of the lower-cased name."""
    if len(name) > 1 and name.upper() == name and name.lower() != name:
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return (kind, _natural(name.lower()), _natural(name))


def _tuple_entry(key: str, names: list[str], indent: str) -> str:
    """``"key": ("a", "b"),`` on one line when it fits, else one name a line (as ruff format)."""
    quoted = [f'"{n}"' for n in names]
    flat = f'{indent}"{key}": ({", ".join(quoted)}{"," if len(quoted) == 1 else ""}),'
    if len(flat) <= LINE_LENGTH:
        return flat + "\n"
    inner = "".join(f"{indent}    {q},\n" for q in quoted)
    return f'{indent}"{key}": (\n{inner}{indent}),\n'


def _from_import(module: str, names: list[str]) -> str:
    inner = "".join(f"        {n},\n" for n in sorted(names, key=isort_order))
    return f"    from {module} import (\n{inner}    )\n"


def _subpackage_import(package: str, subpackages: list[str]) -> str:
    flat = f"    from {package} import {', '.join(subpackages)}\n"
    if len(flat) - 1 <= LINE_LENGTH:
        return flat
    return _from_import(package, subpackages)


def subpackage_dirs(root: Path) -> list[Path]:
    """Every folder below ``root/lcnec_utils`` that holds Python modules (the package itself excluded)."""
    package = root / PACKAGE
    folders = {p.parent for p in package.rglob("*.py") if "__pycache__" not in p.parts}
    return sorted(f for f in folders if f != package)


def init_text(folder: Path, root: Path) -> str:
    """The ``__init__.py`` this script writes for the subpackage in ``folder``.

    Raises ``FileNotFoundError`` when the folder has no ``__init__.py`` yet: its docstring,
    which says what the subpackage is for, has to be written by hand first.
    """
    init = folder / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    dotted = folder.relative_to(root).as_posix().replace("/", ".")
    homes = []
    for module in sorted(folder.glob("*.py")):
        names = [] if module.name == "__init__.py" else public_names(module)
        if names:
            homes.append((f"{dotted}.{module.stem}", names))
    subpackages = sorted(d.name for d in folder.iterdir() if (d / "__init__.py").is_file())
    text = f'"""{doc}\n"""\n' + _HEADER
    if subpackages:
        text += _subpackage_import(dotted, subpackages)
    text += "".join(_from_import(module, names) for module, names in homes)
    text += "\n__all__, __getattr__, __dir__ = exports(\n    __name__,\n    {\n"
    text += "".join(_tuple_entry(module, names, " " * 8) for module, names in homes)
    text += "    },\n"
    if subpackages:
        text += f"    subpackages=({', '.join(repr(s) for s in subpackages)},),\n".replace("'", '"')
    return text + ")\n"


def stale_inits(root: Path) -> dict[Path, str]:
    """``{__init__ path: text it should have}`` for every missing or out-of-date ``__init__``
    (the text is empty for a missing one)."""
    stale = {}
    for folder in subpackage_dirs(root):
        init = folder / "__init__.py"
        if not init.is_file():
            stale[init] = ""
            continue
        want = init_text(folder, root)
        if init.read_text(encoding="utf-8") != want:
            stale[init] = want
    return stale


def main(argv: list[str]) -> int:
    root = Path.cwd()
    check = "--check" in argv
    status = 0
    for init, want in stale_inits(root).items():
        rel = init.relative_to(root)
        if not want:
            print(
                f"{rel} is missing: write it with a docstring saying what the subpackage is for, then run again"
            )
            status = 1
        elif check:
            print(f"{rel} is stale: run .venv/bin/python tools/gen_init.py")
            status = 1
        else:
            init.write_text(want, encoding="utf-8")
            print(f"wrote {rel}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
