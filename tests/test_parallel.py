"""Parallel execution: chapters executed by a pool of two
workers give the same results.json and the same notebook outputs as one worker
executing them one after the other; the warm engine gives the numbers of a
kernel process per chapter.

Outputs are compared cell by cell (``outputs`` and execution counts), leaving
out only the glued timings of the chapters that report their own run time
(names ending in ``seconds``). The sequential build runs with ``--force``
after the parallel one filled the cache: it also shows that ``--force``
executes every chapter.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lcnec_utils.build import pipeline
from lcnec_utils.cli import EXIT_OK, main

pytestmark = pytest.mark.book


def outputs(path: Path) -> list:
    nb = json.loads(path.read_text())
    cells = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name", "")
            if name.endswith("seconds"):
                continue
            kept.append(out)
        cells.append((cell["source"], cell.get("execution_count"), kept))
    return cells


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    root = tmp_path_factory.mktemp("parallel")
    mp = pytest.MonkeyPatch()
    mp.setenv("LCNEC_CACHE_DIR", str(root / "cache"))  # filled by the parallel build
    try:
        made = {"progress": []}
        out = root / "parallel" / "build"
        pipeline.build(out_dir=out, jobs=2, progress=made["progress"].append)
        made["parallel"] = out
        # --force: the sequential build executes everything although the cache holds it all
        for name, extra in (
            ("sequential", ["--jobs", "1", "--force"]),
            ("kernel", ["--jobs", "2", "--engine", "kernel"]),
        ):
            out = root / name / "build"
            assert main(["build", "--out", str(out), *extra]) == EXIT_OK
            made[name] = out
        yield made
    finally:
        mp.undo()


def test_force_executed_every_chapter_despite_a_full_cache(books):
    record = json.loads((books["sequential"] / "build-record.json").read_text())
    assert {r["status"] for r in record["runs"]} == {"ok"}


def test_two_workers_ran_the_chapters(books):
    record = json.loads((books["parallel"] / "build-record.json").read_text())
    assert len({r["pid"] for r in record["runs"]}) == 2
    record = json.loads((books["sequential"] / "build-record.json").read_text())
    assert len({r["pid"] for r in record["runs"]}) == 1


def test_parallel_and_sequential_give_the_same_results_and_outputs(books):
    a, b = books["parallel"], books["sequential"]
    assert (a / "results.json").read_bytes() == (b / "results.json").read_bytes()
    names = sorted(p.name for p in (a / "notebooks").glob("*.ipynb"))
    assert names == sorted(p.name for p in (b / "notebooks").glob("*.ipynb"))
    differ = [n for n in names if outputs(a / "notebooks" / n) != outputs(b / "notebooks" / n)]
    assert not differ, f"outputs differ: {differ}"


def test_the_warm_engine_gives_the_numbers_and_outputs_of_a_kernel_per_chapter(books):
    a, b = books["parallel"], books["kernel"]
    assert (a / "results.json").read_bytes() == (b / "results.json").read_bytes()
    names = sorted(p.name for p in (a / "notebooks").glob("*.ipynb"))
    differ = [n for n in names if outputs(a / "notebooks" / n) != outputs(b / "notebooks" / n)]
    assert not differ, f"outputs differ: {differ}"


def test_progress_is_one_display(books):
    """One numbered line per chapter as it finishes, from the parent process."""
    lines = books["progress"]
    done = [ln for ln in lines if " done in " in ln]
    total = len(json.loads((books["parallel"] / "build-record.json").read_text())["runs"])
    assert [ln.split("]")[0] for ln in done] == [f"[{k}/{total}" for k in range(1, total + 1)]
    assert sum("executing on 2 worker processes" in ln for ln in lines) == 1
