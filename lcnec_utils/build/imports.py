"""The package code a chapter runs: a static analysis of ``lcnec_utils`` imports.

A chapter's cache key holds the source of every module the chapter can run, so
the analysis errs towards too many modules, never too few:

* imports anywhere count (inside functions too), except in ``if TYPE_CHECKING:``
  blocks, which never run;
* ``from lcnec_utils.methods import rmst_table`` counts the module that defines
  ``rmst_table``: the subpackages' ``__init__`` re-export their modules' names
  lazily (:func:`lcnec_utils._lazy.exports`), so importing one name loads its
  home module only, and the table handed to ``exports`` says which that is;
* a name bound to a subpackage (``from lcnec_utils import tables``) counts the
  home module of each attribute read from it (``tables.baseline_table``), and
  every module of the subpackage when the name is used otherwise (passed on,
  ``getattr``), or an attribute is not in the table;
* importing a module runs its packages' ``__init__``, which count as well.

Only the standard library is imported: ``lcnec build`` decides that a book is
up to date without importing pandas.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE = "lcnec_utils"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def module_file(name: str) -> Path | None:
    """The source file of the ``lcnec_utils`` module ``name`` (``None`` for a name that is not one)."""
    if name == PACKAGE:
        return PACKAGE_DIR / "__init__.py"
    if not name.startswith(PACKAGE + "."):
        return None
    rel = name[len(PACKAGE) + 1 :].replace(".", "/")
    for candidate in (PACKAGE_DIR / f"{rel}.py", PACKAGE_DIR / rel / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_package(name: str) -> bool:
    path = module_file(name)
    return path is not None and path.name == "__init__.py"


def _package_modules(package: str) -> set[str]:
    """Every module under ``package``'s folder, the package itself included."""
    folder = module_file(package).parent  # type: ignore[union-attr]
    found = {package}
    for path in folder.rglob("*.py"):
        rel = path.relative_to(folder).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        if "__pycache__" not in parts:
            found.add(".".join((package, *parts)))
    return found


def _parse(source: str) -> ast.Module:
    """The syntax tree of ``source``; IPython magics (``%``, ``!`` lines) are left out."""
    try:
        return ast.parse(source)
    except SyntaxError:
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        return ast.parse("\n".join(lines))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> Iterator[tuple[ast.AST, ast.AST | None]]:
    """Every node that can run, with its parent; the bodies of ``if TYPE_CHECKING:`` are left out."""
    todo: list[tuple[ast.AST, ast.AST | None]] = [(tree, None)]
    while todo:
        node, parent = todo.pop()
        yield node, parent
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend((child, node) for child in node.orelse)
        else:
            todo.extend((child, node) for child in ast.iter_child_nodes(node))


@cache
def _reexports(package: str, mtime_ns: int) -> dict[str, str] | None:
    """Name -> home module of the names ``package``'s ``__init__`` re-exports through
    :func:`lcnec_utils._lazy.exports`; ``None`` when it defines another ``__getattr__``."""
    tree = _parse(module_file(package).read_text(encoding="utf-8"))  # type: ignore[union-attr]
    table: dict[str, str] = {}
    for node in tree.body:
        call = node.value if isinstance(node, (ast.Assign, ast.Expr)) else None
        if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "exports":
            for home, names in ast.literal_eval(call.args[1]).items():
                table.update(dict.fromkeys(names, home))
            for keyword in call.keywords:
                if keyword.arg == "subpackages":
                    table.update({sub: f"{package}.{sub}" for sub in ast.literal_eval(keyword.value)})
            return table
    defines_getattr = any(
        isinstance(node, ast.FunctionDef) and node.name == "__getattr__" for node in tree.body
    )
    return None if defines_getattr else table


def _attribute(package: str, attr: str) -> tuple[set[str], str | None]:
    """What reading ``package.attr`` loads, and the package it is when it is one."""
    sub = f"{package}.{attr}"
    if module_file(sub) is not None:
        return {sub}, sub if _is_package(sub) else None
    path = module_file(package)
    table = _reexports(package, path.stat().st_mtime_ns)  # type: ignore[union-attr]
    if table is None or attr not in table:
        return _package_modules(package), None
    return {table[attr]}, None


def _import_base(node: ast.ImportFrom, current: str | None) -> str | None:
    """The absolute module of a ``from ... import``; ``None`` outside the package."""
    if node.level:
        if current is None:
            return None
        parts = (current if _is_package(current) else current.rsplit(".", 1)[0]).split(".")
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return base if base == PACKAGE or base.startswith(PACKAGE + ".") else None


def _bindings(nodes: Iterable[ast.AST], current: str | None) -> tuple[set[str], dict[str, str]]:
    """Modules the import statements load, and the local names they bind to packages."""
    found: set[str] = set()
    packages: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    found.add(alias.name)
                    bound = alias.asname and alias.name
                    packages[alias.asname or PACKAGE] = bound or PACKAGE
        elif isinstance(node, ast.ImportFrom) and (base := _import_base(node, current)):
            found.add(base)
            for alias in node.names:
                if alias.name == "*":
                    found |= _package_modules(base) if _is_package(base) else set()
                    continue
                loaded, package = _attribute(base, alias.name) if _is_package(base) else (set(), None)
                found |= loaded
                if package is not None:
                    packages[alias.asname or alias.name] = package
    return found, {name: pkg for name, pkg in packages.items() if _is_package(pkg)}


def _attribute_reads(nodes: list[tuple[ast.AST, ast.AST | None]], packages: Mapping[str, str]) -> set[str]:
    """Modules loaded by reading attributes of the names bound to packages (``tables.x.y``)."""
    parents = {id(node): parent for node, parent in nodes}
    found: set[str] = set()
    for node, _ in nodes:
        if not (isinstance(node, ast.Name) and node.id in packages):
            continue
        package: str | None = packages[node.id]
        chain: ast.AST = node
        while package is not None:
            parent = parents.get(id(chain))
            if not (isinstance(parent, ast.Attribute) and parent.value is chain):
                if chain is node:  # the package itself is handed on: any of its names may be read
                    found |= _package_modules(package)
                break
            loaded, package = _attribute(package, parent.attr)
            found |= loaded
            chain = parent
    return found


def imported_modules(source: str, current: str | None = None) -> set[str]:
    """The ``lcnec_utils`` modules that running ``source`` can load (see the module docstring).

    ``current`` is the dotted name of the module the source belongs to, for
    relative imports. A source that cannot be parsed depends on the whole package.
    """
    try:
        tree = _parse(source)
    except SyntaxError:
        return _package_modules(PACKAGE)
    nodes = list(_runtime_nodes(tree))
    found, packages = _bindings((node for node, _ in nodes), current)
    found |= _attribute_reads(nodes, packages)
    return {m for m in found if module_file(m) is not None}


@cache
def _module_imports(name: str, mtime_ns: int) -> tuple[str, ...]:
    path = module_file(name)
    return tuple(sorted(imported_modules(path.read_text(encoding="utf-8"), current=name)))  # type: ignore[union-attr]


def module_closure(roots: Iterable[str]) -> list[str]:
    """The modules reachable from ``roots`` through the package's imports, with the
    ``__init__`` of their packages (sorted)."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_file(name)
        if path is None:
            continue
        todo.extend(_module_imports(name, path.stat().st_mtime_ns))
        parent = name.rsplit(".", 1)[0]
        if parent != name and parent.startswith(PACKAGE):
            todo.append(parent)  # importing a submodule runs its package's __init__
    return sorted(seen)


def notebook_code(nb_json: Mapping[str, Any]) -> str:
    """The code cells of a notebook (JSON), one after the other."""
    cells = nb_json.get("cells", [])
    return "\n\n".join(
        "".join(c.get("source", "")) if isinstance(c.get("source"), list) else str(c.get("source", ""))
        for c in cells
        if c.get("cell_type") == "code"
    )


def notebook_modules(nb_json: Mapping[str, Any]) -> list[str]:
    """The ``lcnec_utils`` modules a notebook can run, closed over the package's imports."""
    return module_closure(imported_modules(notebook_code(nb_json)) | {PACKAGE})
