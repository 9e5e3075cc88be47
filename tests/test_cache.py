"""The cache of executed chapters (issue 8, part 1): what re-executes a chapter,
what does not, and that a book made from the cache says so.

Facts only, no timings. Every build here uses its own cache folder
(``LCNEC_CACHE_DIR``), so the project's cache and the other tests' builds
play no part.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from lcnec_utils.build import cache, pipeline
from lcnec_utils.cli import EXIT_OK, main
from lcnec_utils.contract.params import DEFAULT_AE, DEFAULT_COHORT, make_parameters

pytestmark = pytest.mark.book


def runs(out: Path) -> dict[str, str]:
    record = json.loads((out / "build-record.json").read_text())
    return {r["notebook"]: r["status"] for r in record["runs"]}


# --------------------------------------------------------------------------- keys (fast)


def test_a_notebooks_modules_are_closed_over_the_packages_imports():
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": "from lcnec_utils import rmst, methodplots\n"
                "from lcnec_utils.chapter import Chapter",
            }
        ]
    }
    modules = cache.notebook_modules(nb)
    assert {"lcnec_utils.methods.rmst", "lcnec_utils.methodplots", "lcnec_utils.chapter"} <= set(modules)
    # chapter -> io -> schema and params, found through relative imports
    assert {"lcnec_utils.contract.io", "lcnec_utils.contract.schema", "lcnec_utils.contract.params"} <= set(
        modules
    )
    assert "lcnec_utils.reconstruct" not in modules and "lcnec_utils.cli" not in modules


def test_keys_follow_source_parameters_data_and_code(tmp_path, monkeypatch):
    chapters = pipeline.execution_order(pipeline.chapter_notebooks())
    params = make_parameters({})
    base = {p.source.name: p.key for p in pipeline.plan_chapters(chapters, params, "warm")}
    assert base == {p.source.name: p.key for p in pipeline.plan_chapters(chapters, params, "warm")}

    # the staging path of the results is not part of a key
    moved = make_parameters({"results_dir": str(tmp_path / "elsewhere")})
    assert base == {p.source.name: p.key for p in pipeline.plan_chapters(chapters, moved, "warm")}

    # a parameter changes every key
    other = {
        p.source.name: p.key
        for p in pipeline.plan_chapters(chapters, make_parameters({"landmark_months": 24}), "warm")
    }
    assert all(other[n] != base[n] for n in base)

    # the data's bytes (not their path) change every key
    same = tmp_path / DEFAULT_COHORT.name
    shutil.copyfile(DEFAULT_COHORT, same)
    copy_params = make_parameters({"data_path": str(same)})
    assert base == {p.source.name: p.key for p in pipeline.plan_chapters(chapters, copy_params, "warm")}
    edited = pd.read_csv(same, dtype=str, keep_default_na=False)
    edited.loc[0, "age"] = str(int(edited.loc[0, "age"]) + 1)  # one patient a year older
    edited.to_csv(same, index=False)
    assert same.read_bytes() != DEFAULT_COHORT.read_bytes()
    changed = {p.source.name: p.key for p in pipeline.plan_chapters(chapters, copy_params, "warm")}
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
    edited = {p.source.name: p.key for p in pipeline.plan_chapters(chapters, params, "warm")}
    moved_keys = {n for n in base if edited[n] != base[n]}
    importers = {
        p.name
        for p in chapters
        if "lcnec_utils.methods.rmst" in cache.notebook_modules(json.loads(p.read_text()))
    }
    summaries = {p.name for p in chapters if pipeline.runs_after_chapters(p)}
    assert "13_methods_rmst.ipynb" in moved_keys
    assert moved_keys == importers | summaries
    assert "02_baseline.ipynb" not in moved_keys


# --------------------------------------------------------------------------- builds


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


def test_a_cold_build_executes_every_chapter_and_fills_the_cache(cached_builds):
    statuses = runs(cached_builds["first"])
    assert statuses and set(statuses.values()) == {"ok"}
    assert cached_builds["entries"] == len(statuses)


def test_nothing_changed_means_nothing_done(cached_builds, capsys):
    assert cached_builds["unchanged"], "an up-to-date build touched files of the book"
    out = cached_builds["first"]
    import os

    os.environ["LCNEC_CACHE_DIR"] = str(cached_builds["root"] / "cache")
    try:
        assert main(["build", "--out", str(out)]) == EXIT_OK
    finally:
        del os.environ["LCNEC_CACHE_DIR"]
    assert "is up to date" in capsys.readouterr().out


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


def test_a_change_to_the_data_re_executes_every_chapter(cached_builds, tmp_path, monkeypatch):
    monkeypatch.setenv("LCNEC_CACHE_DIR", str(cached_builds["root"] / "cache"))
    frame = pd.read_csv(DEFAULT_COHORT, dtype=str, keep_default_na=False)
    frame.loc[0, "age"] = str(int(frame.loc[0, "age"]) + 1)
    data = tmp_path / DEFAULT_COHORT.name
    frame.to_csv(data, index=False)
    out = tmp_path / "build"
    assert main(["build", "--data", str(data), "--ae", str(DEFAULT_AE), "--out", str(out)]) == EXIT_OK
    assert set(runs(out).values()) == {"ok"}


def test_a_changed_notebook_re_executes_itself_and_the_summaries_only(cached_builds, tmp_path, monkeypatch):
    monkeypatch.setenv("LCNEC_CACHE_DIR", str(cached_builds["root"] / "cache"))
    sources = tmp_path / "notebooks"
    sources.mkdir()
    chapters = pipeline.chapter_notebooks()
    for nb in chapters:
        shutil.copyfile(nb, sources / nb.name)
    edited = sources / "03_response.ipynb"
    nb = nbformat.read(edited, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("An added sentence."))
    nbformat.write(nb, edited)
    out = tmp_path / "build"
    pipeline.build(out_dir=out, notebooks=sorted(sources.glob("*.ipynb")), progress=lambda m: None)
    executed = {n for n, s in runs(out).items() if s == "ok"}
    summaries = {p.name for p in chapters if pipeline.runs_after_chapters(p)}
    assert executed == {"03_response.ipynb"} | summaries
    assert (out / "results.json").read_bytes() == (cached_builds["first"] / "results.json").read_bytes()


def test_cache_key_covers_every_file_of_the_project_data_folder():
    # the reconstruction chapter reads the shipped ensemble and cohort whatever the data in
    # force: a change to any file of data/ must re-execute the chapters
    from lcnec_utils.build.cache import package_data_digest
    from lcnec_utils.contract.params import DATA_DIR

    digest = package_data_digest()
    assert set(digest) == {p.name for p in DATA_DIR.iterdir() if p.is_file()}
    assert {"lcnec_synthetic_ensemble.csv", "lcnec_synthetic_cohort.csv", "published.yaml"} <= set(digest)
