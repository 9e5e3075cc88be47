"""Content-addressed cache of executed chapters.

A chapter is re-executed only when something it depends on has changed: its
notebook, the parameters, the data and the analysis code it uses, never the
code that builds the book. Its **key** is the SHA-256 of a canonical JSON
document holding

* the notebook's own bytes;
* the analysis parameters (``Parameters`` without ``results_dir``, which names
  the build's staging folder; ``data_path``/``ae_path`` enter as the file's
  base name, shown on the page, plus the SHA-256 of its bytes);
* the bytes of every file of the project's ``data/`` (published numbers, data
  dictionary, tolerances, results keys, the shipped cohort and ensemble);
* the source of every ``lcnec_utils`` module the notebook can run, closed over
  the package's own imports (:mod:`.imports`: a static analysis that errs on
  the side of re-executing; the layers keep ``build`` and ``cli`` out of it);
* the environment: ``constraints.txt``, the Python version and the engine;
* for a chapter that reads the others' results (``lcnec.after_chapters``), the
  keys of the chapters it runs after.

An entry ``<cache>/<key[:2]>/<key>/`` holds the executed notebook, the results
fragment(s) and download tables it wrote, and ``record.json`` (execution
seconds, date, git commit). Entries are written to a temporary folder and
renamed into place, so concurrent builds never see half an entry. The cache
lives at ``.lcnec-cache/`` in the project (``$LCNEC_CACHE_DIR`` elsewhere;
``LCNEC_CACHE_DIR=off`` disables it) and outside any output folder, so the
atomic swap of a build never touches it. ``rm -rf .lcnec-cache`` empties it.

Provenance stays truthful. A reused notebook is the notebook as it was
executed: its footer keeps the git commit and the date of the build that
executed it (the key holds the bytes of every module it imports, so that
commit's code for this chapter is the code in force now, whatever else has
been committed since), and the Reproducibility page lists it with status
``cached`` and its original execution seconds. The page's own "Git commit"
row is the commit of the build that rendered the book. An up-to-date build
(see ``pipeline.build_key``) changes no file at all.

This module imports only the standard library: ``lcnec build`` decides that a
book is up to date without importing pandas, pandera or papermill.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from lcnec_utils.build.imports import PACKAGE_DIR, module_file, notebook_modules
from lcnec_utils.contract.provenance import sha256_bytes, sha256_file

PROJECT_ROOT = PACKAGE_DIR.parent
#: Bump when the layout of an entry or the meaning of a key changes.
CACHE_FORMAT = "lcnec-cache-2"


def cache_dir() -> Path | None:
    """Where entries live; ``None`` when ``LCNEC_CACHE_DIR`` is ``off``/``0``/``none``."""
    value = os.environ.get("LCNEC_CACHE_DIR")
    if value is not None and value.strip().lower() in ("off", "0", "none", "false", ""):
        return None
    return Path(value) if value else PROJECT_ROOT / ".lcnec-cache"


def canonical_json(value: Any) -> str:
    """The JSON text that is hashed: sorted keys, no spaces, ASCII."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def modules_digest(modules: Iterable[str]) -> dict[str, str]:
    """SHA-256 of each module's source file, by dotted name."""
    return {m: sha256_file(module_file(m)) or "missing" for m in modules}


@cache
def environment_fingerprint() -> dict[str, str]:
    """What decides the numbers besides the code: the pinned versions, the interpreter.

    ``pyproject.toml`` is not part of it: its dependency ranges decide nothing that
    ``constraints.txt`` does not pin, and its tool settings (lint, tests) no number.
    """
    return {
        "format": CACHE_FORMAT,
        "constraints": sha256_file(PROJECT_ROOT / "constraints.txt") or "none",
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
    }


def package_data_digest() -> dict[str, str]:
    """Every file of the project's ``data/``: published numbers, dictionaries, tolerances,
    and the shipped cohort and ensemble, which the reconstruction chapter reads whatever
    the data in force."""
    data = PROJECT_ROOT / "data"
    return {p.name: sha256_file(p) or "missing" for p in sorted(data.iterdir()) if p.is_file()}


def analysis_parameters(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters that decide a chapter's content: paths enter by name and content."""
    out = {}
    for name, value in parameters.items():
        if name == "results_dir":
            continue
        if name in ("data_path", "ae_path", "map_path"):
            out[name] = (
                None if not value else {"name": os.path.basename(str(value)), "sha256": sha256_file(value)}
            )
        else:
            out[name] = value
    return out


def notebook_key(
    path: Path,
    parameters: Mapping[str, Any],
    engine: str,
    depends_on: Mapping[str, str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The cache key of one chapter and the document it hashes."""
    raw = path.read_bytes()
    nb_json = json.loads(raw)
    document = {
        "notebook": {"name": path.name, "sha256": sha256_bytes(raw)},
        "parameters": analysis_parameters(parameters),
        "package_data": package_data_digest(),
        "modules": modules_digest(notebook_modules(nb_json)),
        "environment": environment_fingerprint(),
        "engine": engine,
        "depends_on": dict(sorted((depends_on or {}).items())),
    }
    return sha256_bytes(canonical_json(document).encode()), document


def tree_digest(
    folder: Path, skip: Iterable[str] = ("_build", "_generated", "_vendor", ".ipynb_checkpoints")
) -> str:
    """SHA-256 over the relative paths and bytes of every file under ``folder``."""
    skip = set(skip)
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in skip and d != "__pycache__")
        for name in sorted(files):
            p = Path(root) / name
            digest.update(str(p.relative_to(folder)).encode() + b"\0")
            digest.update((sha256_file(p) or "").encode() + b"\0")
    return digest.hexdigest()


class NotebookCache:
    """Entries under ``root``; every method is a no-op when ``root`` is ``None``."""

    def __init__(self, root: Path | None):
        self.root = root

    def entry(self, key: str) -> Path | None:
        return None if self.root is None else self.root / key[:2] / key

    def lookup(self, key: str) -> dict[str, Any] | None:
        """The record of a complete entry, or ``None``."""
        entry = self.entry(key)
        if entry is None:
            return None
        try:
            record = json.loads((entry / "record.json").read_text())
        except (OSError, ValueError):
            return None
        if not (entry / "notebook.ipynb").is_file():
            return None
        return record

    def restore(
        self, key: str, notebook_target: Path, fragments_dir: Path, downloads_dir: Path
    ) -> dict[str, Any]:
        """Copy an entry's notebook, fragments and downloads into a build."""
        entry = self.entry(key)
        assert entry is not None
        record = json.loads((entry / "record.json").read_text())
        shutil.copyfile(entry / "notebook.ipynb", notebook_target)
        for sub, target in (("fragments", fragments_dir), ("downloads", downloads_dir)):
            if (entry / sub).is_dir():
                target.mkdir(parents=True, exist_ok=True)
                for f in sorted((entry / sub).iterdir()):
                    shutil.copyfile(f, target / f.name)
        return record

    def store(
        self,
        key: str,
        notebook: Path,
        fragments: Iterable[Path],
        downloads: Iterable[Path],
        record: Mapping[str, Any],
        document: Mapping[str, Any] | None = None,
    ) -> None:
        """Write an entry atomically (an entry already present is kept)."""
        entry = self.entry(key)
        if entry is None or entry.exists():
            return
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.", dir=entry.parent))
        try:
            shutil.copyfile(notebook, tmp / "notebook.ipynb")
            for sub, files in (("fragments", fragments), ("downloads", downloads)):
                files = list(files)
                if files:
                    (tmp / sub).mkdir()
                    for f in files:
                        shutil.copyfile(f, tmp / sub / Path(f).name)
            (tmp / "record.json").write_text(json.dumps(dict(record), indent=2, sort_keys=True) + "\n")
            if document is not None:
                (tmp / "key.json").write_text(
                    json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"
                )
            os.rename(tmp, entry)
        except OSError:
            pass  # another build stored the same entry meanwhile, or the disk is full: no cache, no failure
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
