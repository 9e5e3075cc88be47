"""Benchmark of ``lcnec build``: prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_build.py            # everything (~5 min on 2 cores)
    .venv/bin/python benchmarks/bench_build.py --sizes 31 10000   # skip the 100,000-row build

From one run on one machine it prints

1. the **cold build** (empty cache, no previous book) of the shipped cohort;
2. the **warm rebuild** (nothing changed: the whole ``lcnec build`` command,
   Python start-up included);
3. **Jupyter Book executing the same notebooks itself** (a copy of ``book/``
   with the source notebooks and ``execute_notebooks: force``; their
   parameter cells default to the shipped data) and the ratio cold / JB;
4. where the cold build's time goes: starting kernels and importing (the warm
   engine pays it once per worker; the ``kernel`` engine once per chapter, also
   measured), computing (the cells), rendering (``jupyter-book build``), and
   the rest (validation, staging, MathJax, merging);
5. registry scale: a cold build on ``lcnec synth --registry N`` cohorts for
   each N, with wall time and peak memory. Peak memory is the largest sum of
   the resident set sizes of the build and all its descendants (workers,
   kernels, Sphinx), sampled every 50 ms with psutil; the largest single
   process (``/usr/bin/time``'s maximum resident set size) is printed beside it.

Every build uses its own empty cache folder (``LCNEC_CACHE_DIR``), so no run
is served by another's cache. Timings are of this machine at this moment.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LCNEC = [str(BIN / "lcnec")] if (BIN / "lcnec").exists() else [sys.executable, "-m", "lcnec_utils.cli"]


def run_measured(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> dict:
    """Wall time, peak summed RSS of the process tree, exit status and output of ``cmd``."""
    import psutil

    timer = ["/usr/bin/time", "-f", "MAXRSS_KB=%M"] if Path("/usr/bin/time").exists() else []
    start = time.perf_counter()
    proc = subprocess.Popen(
        timer + cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not done.is_set():
            total = 0
            try:
                procs = [root] + root.children(recursive=True)
            except psutil.Error:
                break
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            peak = max(peak, total)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - start
    found = re.findall(r"MAXRSS_KB=(\d+)", output)
    largest = int(found[-1]) / 1024 if found else float("nan")
    return {
        "seconds": seconds,
        "peak_tree_mb": peak / 2**20,
        "largest_process_mb": largest,
        "status": proc.returncode,
        "output": output,
    }


def build(out: Path, cache: Path, *extra: str) -> dict:
    res = run_measured(LCNEC + ["build", "--out", str(out), *extra], env={"LCNEC_CACHE_DIR": str(cache)})
    if res["status"] != 0:
        print(res["output"][-3000:])
        raise SystemExit(f"build failed: {' '.join(extra)}")
    record = out / "build-record.json"
    res["record"] = json.loads(record.read_text()) if record.is_file() else None
    return res


def first_cell_seconds(out: Path) -> float:
    """Seconds of each chapter's first cell after the parameters (its imports and
    ``Chapter.start``: reading and validating the data), summed; papermill's timings."""
    total = 0.0
    for path in sorted((out / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            tags = set(cell.get("metadata", {}).get("tags", []))
            if cell["cell_type"] != "code" or tags & {"parameters", "injected-parameters"}:
                continue
            total += cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0
            break
    return total


def split(record: dict, out: Path) -> dict:
    """Kernel start, imports + data, computing, rendering from a build record."""
    runs = [r for r in record["runs"] if r["status"] == "ok"]
    cells = sum(r.get("cell_seconds") or 0.0 for r in runs)
    first = first_cell_seconds(out)
    if record["engine"] == "warm":
        setups = {r["pid"]: r.get("worker_setup_seconds") or 0.0 for r in runs}
        kernel = sum(setups.values())
        kernel_note = f"{len(setups)} worker(s), once each"
    else:
        kernel = sum(r["seconds"] - (r.get("cell_seconds") or 0.0) for r in runs)
        kernel_note = f"{len(runs)} kernels, one per chapter"
    return {
        "kernel": kernel,
        "kernel_note": kernel_note,
        "compute": cells - first,
        "first": first,
        "execute_wall": record["execute_seconds"],
        "render": record["render_seconds"],
    }


def jupyter_book_executing(work: Path) -> dict:
    """``jupyter-book build`` on a copy of book/ that executes the source notebooks itself."""
    import yaml

    from lcnec_utils.build.pipeline import vendor_mathjax

    book = work / "book"
    shutil.copytree(ROOT / "book", book)
    shutil.copytree(ROOT / "notebooks", book / "notebooks")
    vendor_mathjax(book / "_vendor")  # as the pipeline does, so both books render the same files
    (book / "_generated").mkdir(exist_ok=True)
    (book / "_generated" / "reproducibility.md").write_text("(generated by lcnec build)\n")
    config = yaml.safe_load((book / "_config.yml").read_text())
    config["execute"] = {"execute_notebooks": "force", "timeout": 600}
    (book / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    jb = str(BIN / "jupyter-book")
    res = run_measured(
        [jb, "build", str(book), "--path-output", str(work / "out"), "--keep-going"],
        env={"MPLBACKEND": "module://matplotlib_inline.backend_inline"},
    )
    executed = [float(x) for x in re.findall(r"Executed notebook in ([0-9.]+) seconds", res["output"])]
    res["notebooks_executed"] = len(executed)
    res["execute_seconds"] = sum(executed)
    res["errors"] = len(re.findall(r"Executing notebook failed|CellExecutionError", res["output"]))
    return res


def registry_build(n: int, work: Path) -> dict:
    from lcnec_utils.reconstruct.registry import write_registry

    if n == 31:
        data, ae = None, None  # the shipped cohort is the 31-patient book
    else:
        data, ae = write_registry(n, work / f"registry{n}")
    out = work / f"reg{n}" / "build"
    extra = [] if data is None else ["--data", str(data), "--ae", str(ae)]
    res = build(out, work / f"cache-reg{n}", *extra)
    res["results"] = json.loads((out / "results.json").read_text())
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[31, 10_000, 100_000])
    parser.add_argument("--skip-jb", action="store_true", help="do not time Jupyter Book's executing build")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lcnec-bench-"))
    cores = len(os.sched_getaffinity(0))
    print(f"machine: {cores} cores; python {sys.version.split()[0]}; work folder {work}")
    try:
        cold = build(work / "cold" / "build", work / "cache")
        warm = build(work / "cold" / "build", work / "cache")
        warm_noop = "up to date" in warm["output"]
        s = split(cold["record"], work / "cold" / "build")
        rest = cold["seconds"] - s["execute_wall"] - s["render"]
        kernel_engine = build(work / "kernel" / "build", work / "cache-kernel", "--engine", "kernel")
        k = split(kernel_engine["record"], work / "kernel" / "build")
        print()
        print(
            f"cold build (shipped cohort, {len(cold['record']['runs'])} notebooks, warm engine, "
            f"{cold['record']['jobs']} workers): {cold['seconds']:.1f} s wall, peak {cold['peak_tree_mb']:.0f} MB"
        )
        print(f"  executing the notebooks        {s['execute_wall']:6.1f} s wall")
        print(
            f"    starting kernels (+ imports) {s['kernel']:6.1f} s ({s['kernel_note']}, in parallel; "
            "the warm engine imports the book's modules here)"
        )
        print(f"    first cell (imports, data)   {s['first']:6.1f} s (summed over the chapters)")
        print(f"    computing (other cells)      {s['compute']:6.1f} s (summed over the chapters)")
        print(f"  rendering (jupyter-book)       {s['render']:6.1f} s")
        print(f"  the rest (validate, stage, merge, MathJax, swap, Python start-up) {rest:.1f} s")
        print(
            f"warm rebuild (nothing changed):  {warm['seconds']:.2f} s wall (whole command)"
            + ("" if warm_noop else " -- NOT a no-op: sources changed during the benchmark; rerun")
        )
        print(
            f"cold build with the kernel engine (a kernel per chapter): {kernel_engine['seconds']:.1f} s wall;"
            f" starting kernels {k['kernel']:.1f} s ({k['kernel_note']}), first cells (imports, data)"
            f" {k['first']:.1f} s, computing {k['compute']:.1f} s,"
            f" rendering {k['render']:.1f} s"
        )
        if not args.skip_jb:
            jb = jupyter_book_executing(work / "jb")
            ratio = cold["seconds"] / jb["seconds"]
            print(
                f"Jupyter Book executing the same notebooks itself (execute_notebooks: force): "
                f"{jb['seconds']:.1f} s wall ({jb['notebooks_executed']} notebooks executed in "
                f"{jb['execute_seconds']:.1f} s, sequentially; exit status {jb['status']}"
                f"{', ' + str(jb['errors']) + ' execution errors' if jb['errors'] else ''})"
            )
            print(f"ratio cold build / Jupyter Book executing build: {ratio:.2f} (target <= 0.50)")
        print()
        print("registry scale (cold builds, empty cache):")
        print(
            f"  {'N':>8} {'wall s':>8} {'peak MB (tree)':>15} {'largest process MB':>19}  OS HR (univariable)"
        )
        for n in args.sizes:
            r = registry_build(n, work)
            hr = r["results"].get("os.cox_univariable.hr")
            print(
                f"  {n:>8} {r['seconds']:>8.1f} {r['peak_tree_mb']:>15.0f} {r['largest_process_mb']:>19.0f}  "
                f"{hr if hr is None else round(hr, 3)}",
                flush=True,
            )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
