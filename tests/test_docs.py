"""The repository's own documents point at files that exist in a clone of it.

A clone has no ``../shared``: the README, CONTRIBUTING.md and ``docs/`` link the
repository's copies (``docs/spec/``). Every relative link must resolve inside the
repository, and every file path they write in backticks under one of the
repository's folders must exist (placeholders such as ``NN_name`` or ``<topic>`` aside).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN = re.compile(r"`([^`\s]+)`")
#: The tracked top-level folders: a path written under one of them names a file of the repository.
FOLDERS = ("book/", "benchmarks/", "data/", "docs/", "lcnec_utils/", "notebooks/", "tests/", "tools/")
PLACEHOLDER = re.compile(r"[<>*{}]|NN")


def relative_links(path: Path) -> list[str]:
    targets = [t.split("#", 1)[0] for t in LINK.findall(path.read_text(encoding="utf-8"))]
    return [t for t in targets if t and not re.match(r"[a-z]+:", t)]


def written_paths(path: Path) -> list[str]:
    spans = CODE_SPAN.findall(path.read_text(encoding="utf-8"))
    return [s for s in spans if s.startswith(FOLDERS) and not PLACEHOLDER.search(s)]


def _inside_the_repository(target: Path) -> bool:
    return target.resolve().is_relative_to(ROOT)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve_inside_the_repository(document):
    links = relative_links(document)
    broken = [t for t in links if not (document.parent / t).exists()]
    outside = [t for t in links if not _inside_the_repository(document.parent / t)]
    assert not broken, f"{document.name}: links to nothing: {broken}"
    assert not outside, f"{document.name}: links outside the repository: {outside}"


#: docs/OPEN-TARGETS.md is a record of the reconstruction's searches, which names files of their time.
CURRENT = [d for d in DOCUMENTS if d.name != "OPEN-TARGETS.md"]


@pytest.mark.parametrize("document", CURRENT, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_file_paths_written_in_the_documents_exist(document):
    missing = [p for p in written_paths(document) if not (ROOT / p).exists()]
    assert not missing, f"{document.name} names files that do not exist: {missing}"


def test_the_readme_links_the_specifications_and_the_contributors_guides():
    links = set(relative_links(ROOT / "README.md"))
    assert {
        "docs/spec/data-contract.md",
        "docs/spec/results-keys.md",
        "CONTRIBUTING.md",
        "docs/architecture.md",
    } <= links
    assert "../shared" not in (ROOT / "README.md").read_text(encoding="utf-8")
