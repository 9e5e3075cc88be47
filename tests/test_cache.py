"""The cache of executed chapters: what re-executes a chapter, what does not,
and that a book made from the cache says so.

Facts only, no timings. Every build here uses its own cache folder
(``LCNEC_CACHE_DIR``), so the project's cache and the other tests' builds
play no part. The keys are checked without building; the builds share one
cold build (``cached_builds``) and reuse what it executed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from lcnec_utils.build import cache, chapters, imports, pipeline
from lcnec_utils.build.cache import environment_fingerprint, package_data_digest
from lcnec_utils.cli import EXIT_OK, main
from lcnec_utils.contract.params import DATA_DIR, DEFAULT_AE, DEFAULT_COHORT, PROJECT_ROOT, make_parameters


def runs(out: Path) -> dict[str, str]:
    record = json.loads((out / "build-record.json").read_text())
    return {r["notebook"]: r["status"] for r in record["runs"]}


def code_cell(source: str) -> dict:
    return {"cells": [{"cell_type": "code", "source": source}]}


def summaries() -> set[str]:
    """The chapters that run after all others and read every chapter's results."""
    return {p.name for p in chapters.chapter_notebooks() if chapters.runs_after_chapters(p)}


def test_a_notebooks_modules_are_the_home_modules_of_the_names_it_imports():
    modules = set(
        imports.notebook_modules(
            code_cell(
                "from lcnec_utils.methods import rmst, rmst_table\n"
                "from lcnec_utils import tables\n"
                "tables.baseline_table(cohort, params)\n"
                "from lcnec_utils.chapter.page import Chapter"
            )
        )
    )
    assert {"lcnec_utils.methods.rmst", "lcnec_utils.tables.baseline", "lcnec_utils.chapter.page"} <= modules
    # chapter.page -> contract.io -> schema and params, closed over the package's imports
    assert {
        "lcnec_utils.contract.io",
        "lcnec_utils.contract.schema",
        "lcnec_utils.contract.params",
    } <= modules
    # names the chapter does not import: their modules are not part of its key
    assert "lcnec_utils.methods.power" not in modules and "lcnec_utils.tables.safety" not in modules
    assert not any(
        m.startswith(("lcnec_utils.build", "lcnec_utils.reconstruct", "lcnec_utils.cli")) for m in modules
    )


def test_a_package_handed_on_whole_counts_all_its_modules():
    modules = set(imports.notebook_modules(code_cell("from lcnec_utils import methods\nhelp(methods)")))
    assert {"lcnec_utils.methods.rmst", "lcnec_utils.methods.power"} <= modules


def test_no_chapter_runs_build_code():
    for path in chapters.chapter_notebooks():
        modules = imports.notebook_modules(json.loads(path.read_text()))
        assert "lcnec_utils.chapter.page" in modules, path.name
        build_code = [m for m in modules if m.startswith("lcnec_utils.build") or m == "lcnec_utils.cli"]
        assert not build_code, (path.name, build_code)


def test_the_environment_of_a_key_is_the_pins_the_interpreter_and_not_the_tool_settings():
    fingerprint = environment_fingerprint()
    assert fingerprint["constraints"] == cache.sha256_file(PROJECT_ROOT / "constraints.txt")
    assert "python" in fingerprint
    assert not any("pyproject" in str(v) or "pyproject" in k for k, v in fingerprint.items())


def test_keys_follow_source_parameters_data_and_code(tmp_path, monkeypatch):
    order = chapters.execution_order(chapters.chapter_notebooks())
    params = make_parameters({})
    base = {p.source.name: p.key for p in chapters.plan_chapters(order, params, "warm")}
    assert base == {p.source.name: p.key for p in chapters.plan_chapters(order, params, "warm")}

    # the staging path of the results is not part of a key
    moved = make_parameters({"results_dir": str(tmp_path / "elsewhere")})
    assert base == {p.source.name: p.key for p in chapters.plan_chapters(order, moved, "warm")}

    # a parameter changes every key
    other = {
        p.source.name: p.key
        for p in chapters.plan_chapters(order, make_parameters({"landmark_months": 24}), "warm")
    }
    assert all(other[n] != base[n] for n in base)

    # the data's bytes (not their path) change every key
    same = tmp_path / DEFAULT_COHORT.name
    shutil.copyfile(DEFAULT_COHORT, same)
    copy_params = make_parameters({"data_path": str(same)})
    assert base == {p.source.name: p.key for p in chapters.plan_chapters(order, copy_params, "warm")}
    edited = pd.read_csv(same, dtype=str, keep_default_na=False)
    edited.loc[0, "age"] = str(int(edited.loc[0, "age"]) + 1)  # one patient a year older
    edited.to_csv(same, index=False)
    assert same.read_bytes() != DEFAULT_COHORT.read_bytes()
    changed = {p.source.name: p.key for p in chapters.plan_chapters(order, copy_params, "warm")}
    assert all(changed[n] != base[n] for n in base)

    # a module's source changes the chapters that import it (and the summaries), no other
    real = cache.modules_digest
    monkeypatch.setattr(
        cache,
        "modules_digest",
        lambda mods: {
            m: (d + "-edited" if m == "lcnec_utils.methods.rmst" else d) for m, d in real(mods).items()
        },
    )
    edited = {p.source.name: p.key for p in chapters.plan_chapters(order, params, "warm")}
    moved_keys = {n for n in base if edited[n] != base[n]}
    assert moved_keys == {"13_methods_rmst.ipynb"} | summaries()


def test_cache_key_covers_every_file_of_the_project_data_folder():
    # the reconstruction chapter reads the shipped ensemble and cohort whatever the data in
    # force: a change to any file of data/ must re-execute the chapters
    digest = package_data_digest()
    assert set(digest) == {p.name for p in DATA_DIR.iterdir() if p.is_file()}
    assert {"lcnec_synthetic_ensemble.csv", "lcnec_synthetic_cohort.csv", "published.yaml"} <= set(digest)


@pytest.fixture(scope="module")
def cached_builds(tmp_path_factory):
    """A cold build, the same command again, a second output from the cache
    (``--force`` is tested in test_parallel.py)."""
    root = tmp_path_factory.mktemp("cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("LCNEC_CACHE_DIR", str(root / "cache"))
    try:
        first = root / "first" / "build"
        assert main(["build", "--out", str(first)]) == EXIT_OK
        entries = len(list((root / "cache").glob("*/*/record.json")))
        stamp = {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()}
        assert main(["build", "--out", str(first)]) == EXIT_OK  # nothing changed
        unchanged = stamp == {p: p.stat().st_mtime_ns for p in first.rglob("*") if p.is_file()}
        second = root / "second" / "build"
        assert main(["build", "--out", str(second)]) == EXIT_OK  # same analysis, other folder
        yield {"root": root, "first": first, "second": second, "unchanged": unchanged, "entries": entries}
    finally:
        mp.undo()


@pytest.mark.book
def test_a_cold_build_executes_every_chapter_and_fills_the_cache(cached_builds):
    statuses = runs(cached_builds["first"])
    assert statuses and set(statuses.values()) == {"ok"}
    assert cached_builds["entries"] == len(statuses)


@pytest.mark.book
def test_nothing_changed_means_nothing_done(cached_builds, capsys, monkeypatch):
    assert cached_builds["unchanged"], "an up-to-date build touched files of the book"
    monkeypatch.setenv("LCNEC_CACHE_DIR", str(cached_builds["root"] / "cache"))
    assert main(["build", "--out", str(cached_builds["first"])]) == EXIT_OK
    assert "is up to date" in capsys.readouterr().out


@pytest.mark.book
def test_an_up_to_date_build_imports_no_analysis_library(cached_builds):
    """``lcnec build`` on an up-to-date book decides so from hashes alone."""
    first = str(cached_builds["first"])
    code = (
        "import sys\n"
        "from lcnec_utils.cli import main\n"
        f"assert main(['build', '--out', {first!r}]) == 0\n"
        "print(sorted(m for m in ('pandas', 'pandera', 'papermill', 'nbformat', 'matplotlib') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(os.environ, LCNEC_CACHE_DIR=str(cached_builds["root"] / "cache")),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "is up to date" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.book
def test_a_second_book_reuses_every_chapter_and_says_so(cached_builds):
    first, second = cached_builds["first"], cached_builds["second"]
    assert set(runs(second).values()) == {"cached"}
    assert (first / "results.json").read_bytes() == (second / "results.json").read_bytes()
    page = (second / "html" / "reproducibility.html").read_text()
    assert "cached" in page
    # the reused notebooks are the executed ones, footers (commit, date) included
    for nb in (first / "notebooks").glob("*.ipynb"):
        assert nb.read_bytes() == (second / "notebooks" / nb.name).read_bytes(), nb.name
    # the downloads of the chapters came along
    names = {p.name for p in (first / "html" / "_downloads").rglob("*.csv")}
    assert names and names == {p.name for p in (second / "html" / "_downloads").rglob("*.csv")}


@pytest.mark.book
def test_a_change_to_the_data_re_executes_every_chapter(cached_builds, tmp_path, monkeypatch):
    monkeypatch.setenv("LCNEC_CACHE_DIR", str(cached_builds["root"] / "cache"))
    frame = pd.read_csv(DEFAULT_COHORT, dtype=str, keep_default_na=False)
    frame.loc[0, "age"] = str(int(frame.loc[0, "age"]) + 1)
    data = tmp_path / DEFAULT_COHORT.name
    frame.to_csv(data, index=False)
    out = tmp_path / "build"
    assert main(["build", "--data", str(data), "--ae", str(DEFAULT_AE), "--out", str(out)]) == EXIT_OK
    assert set(runs(out).values()) == {"ok"}


@pytest.mark.book
def test_a_changed_notebook_re_executes_itself_and_the_summaries_only(cached_builds, tmp_path, monkeypatch):
    monkeypatch.setenv("LCNEC_CACHE_DIR", str(cached_builds["root"] / "cache"))
    sources = tmp_path / "notebooks"
    sources.mkdir()
    for nb in chapters.chapter_notebooks():
        shutil.copyfile(nb, sources / nb.name)
    edited = sources / "03_response.ipynb"
    nb = nbformat.read(edited, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("An added sentence."))
    nbformat.write(nb, edited)
    out = tmp_path / "build"
    pipeline.build(out_dir=out, notebooks=sorted(sources.glob("*.ipynb")), progress=lambda m: None)
    executed = {n for n, s in runs(out).items() if s == "ok"}
    assert executed == {"03_response.ipynb"} | summaries()
    assert (out / "results.json").read_bytes() == (cached_builds["first"] / "results.json").read_bytes()


def copy_project(target: Path) -> Path:
    """What ``lcnec build`` reads, copied: the package, the notebooks, the book, the data, the pins."""
    for folder in ("lcnec_utils", "notebooks", "book", "data"):
        shutil.copytree(PROJECT_ROOT / folder, target / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("constraints.txt", "pyproject.toml"):
        shutil.copyfile(PROJECT_ROOT / name, target / name)
    return target


def build_copy(project: Path, cache_root: Path) -> dict[str, str]:
    """``lcnec build`` of the copied project, run by its own package; the chapters' statuses."""
    out = project / "build"
    proc = subprocess.run(
        [sys.executable, "-m", "lcnec_utils.cli", "build", "--out", str(out)],
        cwd=project,
        env=dict(os.environ, LCNEC_CACHE_DIR=str(cache_root), PYTHONPATH=str(project)),
        capture_output=True,
        text=True,
    )
    assert proc.returncode == EXIT_OK, proc.stdout[-3000:] + proc.stderr[-3000:]
    return runs(out)


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


@pytest.mark.book
def test_build_code_never_re_executes_a_chapter_and_analysis_code_re_executes_its_chapter(
    cached_builds, tmp_path
):
    """In a copy of the project, with the cache the cold build filled (the keys do not depend on
    where the project lies): a change to the build code or to the tool settings of pyproject.toml
    re-executes no chapter; a change to ``methods/rmst.py`` re-executes the chapter that uses it
    and the chapters that read every chapter's results, no other."""
    project = copy_project(tmp_path / "project")
    cache_root = cached_builds["root"] / "cache"
    append(project / "lcnec_utils" / "build" / "pipeline.py", "\n# an edit of the build code\n")
    append(project / "pyproject.toml", "\n# an edit of the tool settings\n")
    statuses = build_copy(project, cache_root)
    assert statuses and set(statuses.values()) == {"cached"}, statuses

    append(project / "lcnec_utils" / "methods" / "rmst.py", "\n# an edit of an analysis module\n")
    statuses = build_copy(project, cache_root)
    executed = {name for name, status in statuses.items() if status == "ok"}
    assert executed == {"13_methods_rmst.ipynb"} | summaries()
    assert {status for name, status in statuses.items() if name not in executed} == {"cached"}
    first = cached_builds["first"] / "results.json"
    assert (project / "build" / "results.json").read_bytes() == first.read_bytes()
