"""The rules of ``docs/architecture.md`` that no linter checks.

No chapter's cache key reaches the build code. Every subpackage ``__init__`` is what
``tools/gen_init.py`` writes, and the package is all in git. A stale ``__init__`` (a public name added, renamed or removed without rerunning the
generator) would hide the new name from ``from lcnec_utils.stats import ...`` and from
the build cache's import analysis; a folder of modules without ``__init__`` would be a
namespace package by accident, which import-linter cannot see as a layer. A file of the
package that git ignores is missing from every clone and skipped by ruff.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from lcnec_utils.build.cache import notebook_modules

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_init", ROOT / "tools" / "gen_init.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_init = _generator()
FOLDERS = gen_init.subpackage_dirs(ROOT)


def test_the_layers_are_all_found():
    names = {f.relative_to(ROOT / "lcnec_utils").as_posix() for f in FOLDERS}
    assert {
        "contract",
        "stats",
        "tables",
        "plots",
        "methods",
        "reconstruct",
        "audit",
        "chapter",
        "build",
    } <= names


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_init_is_what_the_generator_writes(folder):
    init = folder / "__init__.py"
    assert init.is_file(), (
        f"{init.relative_to(ROOT)} is missing: write its docstring, then run .venv/bin/python tools/gen_init.py"
    )
    assert init.read_text(encoding="utf-8") == gen_init.init_text(folder, ROOT), (
        f"{init.relative_to(ROOT)} is stale: run .venv/bin/python tools/gen_init.py"
    )


def test_public_names_follow_all_or_the_underscore_rule(tmp_path):
    plain = tmp_path / "plain.py"
    plain.write_text(
        "import os\nA = 1\n_b = 2\nc: int = 3\ndef f(): pass\nclass K: pass\nx, (y, _z) = 1, (2, 3)\n"
    )
    assert gen_init.public_names(plain) == ["A", "K", "c", "f", "x", "y"]
    chosen = tmp_path / "chosen.py"
    chosen.write_text('__all__ = ["g"]\ndef f(): pass\ndef g(): pass\n')
    assert gen_init.public_names(chosen) == ["g"]


def test_isort_order_puts_constants_then_classes_then_the_rest():
    names = ["fit_cox", "Z95", "CoxResult", "TABLE_COLUMNS", "km2", "km10", "ROLES", "A"]
    assert sorted(names, key=gen_init.isort_order) == [
        "ROLES",
        "TABLE_COLUMNS",
        "Z95",
        "A",
        "CoxResult",
        "fit_cox",
        "km2",
        "km10",
    ]


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_no_file_of_the_package_is_ignored_by_git():
    files = [p for p in (ROOT / "lcnec_utils").rglob("*.py") if "__pycache__" not in p.parts]
    proc = subprocess.run(
        ["git", "check-ignore", "--no-index", *[str(p.relative_to(ROOT)) for p in files]],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    ignored = proc.stdout.split()
    assert not ignored, (
        "git ignores these files of the package: ruff skips them, and one not yet tracked (a new module, "
        "an __init__) never reaches a clone: "
        + ", ".join(sorted(ignored))
        + " (anchor the pattern in .gitignore, e.g. '/build/' for the book's output folder)"
    )


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_no_chapter_depends_on_the_build_code(notebook):
    modules = notebook_modules(json.loads(notebook.read_text(encoding="utf-8")))
    assert "lcnec_utils.chapter.page" in modules  # the analysis sees the notebook's imports
    reaching = [m for m in modules if m == "lcnec_utils.cli" or m.startswith("lcnec_utils.build")]
    assert not reaching, f"{notebook.name}'s cache key holds the build code: {reaching}"
