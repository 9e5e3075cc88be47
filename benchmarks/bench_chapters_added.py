"""What chapters 15 to 19 (the part *Questions immunotherapy studies raise*) add to the cold build: the
benchmark's cold build with and without them, in the same run (prints figures, asserts nothing).

    .venv/bin/python benchmarks/bench_chapters_added.py            # 2 rounds (~4 cold builds)
    .venv/bin/python benchmarks/bench_chapters_added.py --rounds 3
    .venv/bin/python benchmarks/bench_chapters_added.py --only 17_ 18_   # what two chapters add

"Without" is a copy of this working tree whose ``book/_toc.yml`` lacks the part *Questions
immunotherapy studies raise* and whose pages that link to it (the landing page, the STROBE
page) are taken from ``--base`` (default: the merge base with ``main``), run with ``PYTHONPATH``
pointing at the copy (so its ``lcnec_utils`` and ``book/`` are the ones built); "with" is the
tree itself. The builds
alternate (without, with, without, with, ...), each cold with its own empty cache
(``benchmarks/bench_build.py``'s ``build``), so a change of the machine's load falls on both.
Printed per build: wall time, CPU seconds of the whole process tree (user + system, from the
children's resource usage: unlike wall time it hardly moves with the machine's load), executing
and rendering seconds (build record), and the new chapters' own execution seconds; then the
means and what the new part adds.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import LCNEC, ROOT, run_measured

PART = "Questions immunotherapy studies raise"
#: The part's chapters, by the prefix of their notebooks.
NEW_CHAPTERS = ("15_", "16_", "17_", "18_", "19_")
#: Pages that link the new chapters: in the copy without them, their version at the base commit.
LINKING_PAGES = ("notebooks/00_overview.ipynb", "book/strobe.md")


def tree_without_part(work: Path, base: str, only: tuple[str, ...] | None = None) -> Path:
    """A copy of the tracked and new files of the working tree, the new part (or, with ``only``, its
    chapters whose notebooks start with those prefixes) taken out of the TOC and the pages linking
    it as they were at ``base``."""
    copy = work / "without"
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    files += [str(p.relative_to(ROOT)) for p in (ROOT / "lcnec_utils" / "build").glob("*.py")]
    for rel in set(files):
        src = ROOT / rel
        if src.is_file():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, copy / rel)
    toc_path = copy / "book" / "_toc.yml"
    toc = yaml.safe_load(toc_path.read_text())
    if only is None:
        toc["parts"] = [p for p in toc["parts"] if p.get("caption") != PART]
    else:
        for part in toc["parts"]:
            if part.get("caption") == PART:
                part["chapters"] = [c for c in part["chapters"] if not Path(c["file"]).name.startswith(only)]
    toc_path.write_text(yaml.safe_dump(toc, sort_keys=False))
    for rel in LINKING_PAGES:
        old = subprocess.run(
            ["git", "show", f"{base}:{rel}"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        (copy / rel).write_bytes(old)
    return copy


def cold_build(out: Path, cache: Path, pythonpath: Path | None, chapters: tuple[str, ...]) -> dict:
    env = {"LCNEC_CACHE_DIR": str(cache)}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = run_measured(LCNEC + ["build", "--out", str(out)], env=env, cwd=pythonpath or ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if res["status"] != 0:
        print(res["output"][-3000:])
        raise SystemExit("build failed")
    import json

    record = json.loads((out / "build-record.json").read_text())
    new = [r for r in record["runs"] if r["notebook"].startswith(chapters)]
    return {
        "wall": res["seconds"],
        "cpu": cpu,
        "execute": record["execute_seconds"],
        "render": record["render_seconds"],
        "notebooks": len(record["runs"]),
        "new_chapters": {r["notebook"]: r["seconds"] for r in new},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--base", default=None, help="commit whose linking pages the copy uses")
    parser.add_argument(
        "--only", nargs="+", default=None, help="notebook prefixes to take out (default: the whole part)"
    )
    args = parser.parse_args()
    base = (
        args.base
        or subprocess.run(
            ["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    work = Path(tempfile.mkdtemp(prefix="lcnec-bench-added-"))
    print(
        f"machine: {len(os.sched_getaffinity(0))} cores; load average {os.getloadavg()[0]:.1f}; work {work}"
    )
    try:
        only = tuple(args.only) if args.only else None
        chapters = only or NEW_CHAPTERS
        without_tree = tree_without_part(work, base, only)
        results: dict[str, list[dict]] = {"without": [], "with": []}
        for i in range(args.rounds):
            for kind, path in (("without", without_tree), ("with", None)):
                r = cold_build(work / f"{kind}{i}" / "build", work / f"cache-{kind}{i}", path, chapters)
                results[kind].append(r)
                extra = "".join(f", {k} {v:.1f} s" for k, v in r["new_chapters"].items())
                print(
                    f"round {i + 1} {kind:>7}: {r['notebooks']} notebooks, wall {r['wall']:.1f} s, "
                    f"CPU {r['cpu']:.1f} s, "
                    f"executing {r['execute']:.1f} s, rendering {r['render']:.1f} s{extra}",
                    flush=True,
                )
        for what in ("wall", "cpu", "execute", "render"):
            before = statistics.mean(r[what] for r in results["without"])
            after = statistics.mean(r[what] for r in results["with"])
            print(
                f"mean {what:>7}: without {before:.1f} s, with {after:.1f} s, added {after - before:+.1f} s"
            )
        own = [sum(r["new_chapters"].values()) for r in results["with"]]
        print(
            f"the new chapters' own execution, summed over the {len(chapters)}: "
            f"{', '.join(f'{s:.1f} s' for s in own)}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
