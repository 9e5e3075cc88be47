"""Build the book: validate the data, execute the chapters with papermill, render.

A build is staged in a sibling folder of the output and swapped in only when
every step succeeded, so a failed or interrupted build leaves the last good
book where it was. Layout of a finished output folder::

    DIR/results.json        flat headline numbers (shared/spec/results-keys.md)
    DIR/notebooks/*.ipynb   the executed chapters
    DIR/html/               the rendered Jupyter Book
    DIR/build-log.txt       Sphinx's log of the rendering

Jupyter Book runs with execution off (papermill has executed the chapters)
and ``-W -n --keep-going``: any Sphinx warning fails the build.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

# Light imports only: an up-to-date ``lcnec build`` must finish in well under
# 3 s, so pandas, pandera, nbformat and papermill are imported where used.
from lcnec_utils.contract.params import PROJECT_ROOT, Parameters, make_parameters
from lcnec_utils.contract.provenance import git_commit, sha256_file

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
BOOK_DIR = PROJECT_ROOT / "book"
DEFAULT_OUT = PROJECT_ROOT / "build"


class BuildError(RuntimeError):
    """A step of the build failed; the message is meant for the user as it is."""


@dataclass
class ChapterRun:
    notebook: str
    seconds: float
    status: str  # "ok", "cached" (reused from the cache, with its original seconds) or "failed"


@dataclass
class BuildResult:
    out_dir: Path
    results: dict[str, Any]
    chapters: list[ChapterRun] = field(default_factory=list)
    render_seconds: float = 0.0

    @property
    def html_index(self) -> Path:
        return self.out_dir / "html" / "index.html"


def chapter_notebooks(notebooks_dir: Path = NOTEBOOKS_DIR, toc: Path = BOOK_DIR / "_toc.yml") -> list[Path]:
    """The notebooks the book's table of contents lists, in file-name order."""
    import yaml

    entries = yaml.safe_load(toc.read_text())
    files = [entries["root"]] + [
        chapter["file"] for part in entries.get("parts", []) for chapter in part.get("chapters", [])
    ]
    listed = {Path(f).name for f in files if f.startswith("notebooks/")}
    return sorted(p for p in notebooks_dir.glob("*.ipynb") if p.stem in listed)


def runs_after_chapters(path: Path) -> bool:
    """True for a notebook that reads the other chapters' results (metadata ``lcnec.after_chapters``)."""
    meta = json.loads(path.read_text()).get("metadata", {})
    return bool(meta.get("lcnec", {}).get("after_chapters"))


def execution_order(notebooks: list[Path]) -> list[Path]:
    """Independent chapters first, then those that summarise the others' results."""
    return sorted(notebooks, key=lambda p: (runs_after_chapters(p), p.name))


def vendor_mathjax(static_dir: Path) -> None:
    """Copy MathJax 3 (from the ``django-static-mathjax`` wheel) into ``static_dir/mathjax``.

    The book must render formulas offline and fetch nothing from other hosts;
    ``_config.yml`` points ``mathjax_path`` at ``mathjax/tex-mml-chtml.js``.
    Only the CHTML bundle and what it loads at run time are copied.
    """
    import mathjax

    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    target = static_dir / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(es5 / "tex-mml-chtml.js", target / "tex-mml-chtml.js")
    for sub in ("input", "output/chtml", "ui", "a11y", "adaptors", "sre"):
        if (es5 / sub).exists():
            shutil.copytree(es5 / sub, target / sub, dirs_exist_ok=True)






def resolve_parameters(
    data_path: str | None, ae_path: str | None, overrides: dict[str, Any] | None
) -> Parameters:
    """Parameters for a build: defaults, then ``-p`` overrides, then the file options."""
    values = dict(overrides or {})
    if data_path is not None:
        values["data_path"] = data_path
        if ae_path is None and "ae_path" not in values:
            values["ae_path"] = None  # a user's cohort does not inherit the shipped AE table
    if ae_path is not None:
        values["ae_path"] = ae_path
    params = make_parameters(values)
    params.data_path = str(Path(params.data_path).resolve())
    if params.ae_path:
        params.ae_path = str(Path(params.ae_path).resolve())
    return params




def render_book(book_dir: Path, out_dir: Path, log_path: Path) -> float:
    """``jupyter-book build`` with warnings as errors; the HTML goes to ``out_dir/html``."""
    start = time.perf_counter()
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [
        str(jb) if jb.exists() else "jupyter-book",
        "build",
        str(book_dir),
        "--path-output",
        str(out_dir / "_jb"),
        "-W",
        "-n",
        "--keep-going",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log_path.write_text(proc.stdout + "\n" + proc.stderr)
    if proc.returncode != 0:
        lines = [
            ln
            for ln in (proc.stdout + proc.stderr).splitlines()
            if "WARNING" in ln or "ERROR" in ln or "Error" in ln
        ]
        detail = "\n  ".join(lines[:20]) or "(see the log)"
        raise BuildError(f"rendering the book failed; Sphinx said:\n  {detail}\nfull log: {log_path}")
    html = out_dir / "_jb" / "_build" / "html"
    shutil.move(str(html), str(out_dir / "html"))
    shutil.rmtree(out_dir / "_jb", ignore_errors=True)
    return time.perf_counter() - start


def write_reproducibility_page(
    book: Path, runs: list[ChapterRun], params: Parameters, out_dir: Path, env: dict[str, str], downloads: Path
) -> None:
    """The generated half of ``reproducibility.md`` (included from ``_generated/``)."""
    from lcnec_utils.contract.params import Parameters as _Defaults
    from lcnec_utils.build.reproducibility import rebuild_command, reproducibility_markdown

    command = rebuild_command(params, out_dir, _Defaults())
    provenance = {
        "data_sha256": env["LCNEC_DATA_SHA256"],
        "git_commit": env["LCNEC_GIT_COMMIT"],
        "build_date": env["LCNEC_BUILD_DATE"],
    }
    names = sorted(p.name for p in downloads.iterdir())
    text = reproducibility_markdown([r.__dict__ for r in runs], command, provenance, names)
    generated = book / "_generated"
    generated.mkdir(exist_ok=True)
    (generated / "reproducibility.md").write_text(text)


def swap_into_place(staging: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``staging`` with two renames (the old book survives a crash)."""
    previous = out_dir.with_name(f".{out_dir.name}.previous-{os.getpid()}")
    if out_dir.exists():
        out_dir.rename(previous)
    try:
        staging.rename(out_dir)
    except BaseException:
        if previous.exists() and not out_dir.exists():
            previous.rename(out_dir)  # the second rename failed: put the old book back
        raise
    shutil.rmtree(previous, ignore_errors=True)


def _restore_interrupted_swap(out_dir: Path) -> None:
    """A build killed between the two renames of ``swap_into_place`` left no ``out_dir``
    but the last good book as ``.<name>.previous-<pid>``: put it back before building.
    Other ``previous`` folders are remains of an interrupted clean-up and are removed."""
    left = list(out_dir.parent.glob(f".{out_dir.name}.previous-*"))
    if not out_dir.exists():
        whole = [p for p in left if (p / "results.json").is_file() and (p / "html" / "index.html").is_file()]
        if whole:
            last = max(whole, key=lambda p: (p / "results.json").stat().st_mtime)
            last.rename(out_dir)
            left.remove(last)
    for stale in left:
        shutil.rmtree(stale, ignore_errors=True)
    # staging folders of builds that were killed (their process is gone)
    for staging in out_dir.parent.glob(f".{out_dir.name}.staging-*"):
        pid = staging.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(staging, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: Folder (relative to the executed notebooks' working directory,
#: ``<staging>/book/notebooks``) where the chapters write their results
#: fragments: relative, so the injected parameter cell is the same in every
#: build and a cached notebook names no other build's staging folder.
FRAGMENTS_REL = "../../results-fragments"
BUILD_RECORD = "build-record.json"


@dataclass
class ChapterPlan:
    source: Path
    after_chapters: bool
    key: str
    document: dict[str, Any]


def default_jobs() -> int:
    """Worker processes: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _injected(params: Parameters, results_dir: str) -> dict[str, Any]:
    # papermill cannot tell "no adverse-event file" (None) from "use the default":
    # the empty string says "none" to the notebooks.
    return dict(params.as_dict(), ae_path=params.ae_path or "", results_dir=results_dir)


def plan_chapters(chapters: list[Path], params: Parameters, engine: str) -> list[ChapterPlan]:
    """Cache keys of the chapters in execution order; a summarising chapter's key
    includes the keys of every chapter it runs after."""
    from lcnec_utils.build.cache import notebook_key

    plans: list[ChapterPlan] = []
    independent: dict[str, str] = {}
    earlier_after: dict[str, str] = {}
    for source in chapters:
        after = runs_after_chapters(source)
        depends = {**independent, **earlier_after} if after else None
        results_dir = f"{FRAGMENTS_REL}/all" if after else f"{FRAGMENTS_REL}/{source.stem}"
        key, document = notebook_key(source, _injected(params, results_dir), engine, depends)
        plans.append(ChapterPlan(source, after, key, document))
        (earlier_after if after else independent)[source.name] = key
    return plans


def build_key(plans: list[ChapterPlan], params: Parameters, out_dir: Path, book_dir: Path = BOOK_DIR) -> str:
    """Everything a finished book depends on: the chapters' keys, book/'s files,
    the parameters and the output folder (named in the rebuild command)."""
    from lcnec_utils.build.cache import analysis_parameters, canonical_json, environment_fingerprint, tree_digest
    from lcnec_utils.contract.provenance import sha256_bytes

    document = {
        "chapters": [[p.source.name, p.key] for p in plans],
        "book": tree_digest(book_dir),
        "parameters": analysis_parameters(params.as_dict()),
        "out_dir": str(out_dir),
        "environment": environment_fingerprint(),
        "pipeline": sha256_bytes(Path(__file__).read_bytes()),
    }
    return sha256_bytes(canonical_json(document).encode())


def _up_to_date(out_dir: Path, key: str) -> dict[str, Any] | None:
    """The record of the book in ``out_dir`` when it was built with ``key`` and is whole."""
    try:
        record = json.loads((out_dir / BUILD_RECORD).read_text())
    except (OSError, ValueError):
        return None
    if record.get("build_key") != key:
        return None
    if not ((out_dir / "results.json").is_file() and (out_dir / "html" / "index.html").is_file()):
        return None
    return record


def _previous_seconds(out_dir: Path) -> dict[str, float]:
    """Execution seconds of the last build, to start the longest chapters first."""
    try:
        runs = json.loads((out_dir / BUILD_RECORD).read_text()).get("runs", [])
        return {r["notebook"]: float(r["seconds"]) for r in runs}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _progress_line(done: int, total: int, run: dict[str, Any]) -> str:
    if run["status"] == "cached":
        return (
            f"[{done}/{total}] {run['notebook']} done in 0.0 s (cached: executed in "
            f"{run['seconds']:.1f} s on {run.get('executed', '?')})"
        )
    return f"[{done}/{total}] {run['notebook']} done in {run['seconds']:.1f} s"


def start_pool(workers: int, engine: str, log_path: str | Path):
    """A pool of ``workers`` spawned processes, warming up (kernel, imports) at once."""
    import concurrent.futures as cf
    import multiprocessing

    from lcnec_utils.build.executor import init_worker, ping

    # spawned workers with a fixed hash seed (as the kernels had before)
    saved = os.environ.get("PYTHONHASHSEED")
    os.environ["PYTHONHASHSEED"] = "0"
    try:
        pool = cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(engine, str(log_path)),
        )
        for _ in range(workers):  # start every worker now: they warm up while the data are validated
            pool.submit(ping)
    finally:
        if saved is None:
            os.environ.pop("PYTHONHASHSEED", None)
        else:
            os.environ["PYTHONHASHSEED"] = saved
    return pool


def validation_key(params: Parameters) -> str:
    """What the validation of the data depends on: the files' bytes, the arm labels, the code."""
    from lcnec_utils.build.cache import canonical_json, environment_fingerprint, modules_digest, module_closure
    from lcnec_utils.contract.provenance import sha256_bytes, sha256_file

    document = {
        "data": sha256_file(params.data_path),
        "ae": sha256_file(params.ae_path) if params.ae_path else None,
        "groups": [params.reference_group, params.treatment_group],
        "modules": modules_digest(module_closure(["lcnec_utils.contract.io"])),
        "environment": environment_fingerprint(),
    }
    return sha256_bytes(canonical_json(document).encode())


def validate_data(params: Parameters, use_cache: bool = True) -> list[str]:
    """Validate the data (raises ``DataValidationError``); the notes as text.

    A successful validation is remembered in the cache under
    :func:`validation_key`, so the same bytes are not validated twice (~6 s
    on 100,000 rows); a failed one is never remembered.
    """
    from lcnec_utils.build.cache import cache_dir

    root = cache_dir()
    entry = None if root is None else root / "validation" / f"{validation_key(params)}.json"
    if use_cache and entry is not None and entry.is_file():
        try:
            return list(json.loads(entry.read_text())["notes"])
        except (OSError, ValueError, KeyError):
            pass
    from lcnec_utils.contract.io import load_study

    study = load_study(params.data_path, params.ae_path, params.reference_group, params.treatment_group)
    notes = [str(note) for note in study.notes]
    if entry is not None:
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            tmp = entry.with_name(f".{entry.name}.{os.getpid()}")
            tmp.write_text(json.dumps({"notes": notes}) + "\n")
            os.replace(tmp, entry)
        except OSError:
            pass
    return notes


def execute_chapters(
    plans: list[ChapterPlan],
    params: Parameters,
    staging: Path,
    env: dict[str, str],
    progress: Callable[[str], None],
    *,
    use_cache: bool = True,
    jobs: int | None = None,
    engine: str = "warm",
    previous_seconds: dict[str, float] | None = None,
    pool: Any = None,
) -> list[dict[str, Any]]:
    """Restore cached chapters, execute the others in a process pool (independent
    chapters in parallel, then the summarising ones in order); return the runs in
    execution order. Raises :class:`BuildError` on the first failing chapter."""
    import concurrent.futures as cf

    from lcnec_utils.build.cache import NotebookCache, cache_dir
    from lcnec_utils.build.executor import run_notebook

    cache = NotebookCache(cache_dir())
    executed_dir = staging / "book" / "notebooks"
    fragments = staging / "results-fragments"
    all_fragments = fragments / "all"
    all_fragments.mkdir(parents=True, exist_ok=True)
    by_notebook = staging / "downloads-by-chapter"
    total = len(plans)
    runs: dict[str, dict[str, Any]] = {}
    done = 0

    def frag_dir(plan: ChapterPlan) -> Path:
        return all_fragments if plan.after_chapters else fragments / plan.source.stem

    def task(plan: ChapterPlan) -> dict[str, Any]:
        rel = f"{FRAGMENTS_REL}/all" if plan.after_chapters else f"{FRAGMENTS_REL}/{plan.source.stem}"
        return {
            "engine": engine,
            "source": str(plan.source),
            "target": str(executed_dir / plan.source.name),
            "parameters": _injected(params, rel),
            "env": dict(env, LCNEC_DOWNLOADS_DIR=str(by_notebook / plan.source.stem)),
        }

    def try_cache(plan: ChapterPlan) -> bool:
        nonlocal done
        if not use_cache:
            return False
        record = cache.lookup(plan.key)
        if record is None:
            return False
        cache.restore(plan.key, executed_dir / plan.source.name, frag_dir(plan), by_notebook / plan.source.stem)
        run = {
            "notebook": plan.source.name,
            "status": "cached",
            "seconds": float(record.get("seconds", 0.0)),
            "executed": record.get("executed"),
            "git_commit": record.get("git_commit"),
            "key": plan.key,
        }
        runs[plan.source.name] = run
        done += 1
        progress(_progress_line(done, total, run))
        return True

    def finished(plan: ChapterPlan, result: dict[str, Any], before: set[str] | None = None) -> None:
        nonlocal done
        if result["status"] != "ok":
            raise BuildError(result["error"])
        target = executed_dir / plan.source.name
        frag_files = sorted(frag_dir(plan).glob("*.json"))
        if before is not None:  # the shared folder: only what this chapter wrote
            frag_files = [f for f in frag_files if f.name not in before]
        downloads = sorted((by_notebook / plan.source.stem).glob("*")) if (by_notebook / plan.source.stem).is_dir() else []
        record = {
            "notebook": plan.source.name,
            "seconds": result["seconds"],
            "cell_seconds": result.get("cell_seconds"),
            "engine": engine,
            "executed": env["LCNEC_BUILD_DATE"],
            "git_commit": env["LCNEC_GIT_COMMIT"],
        }
        cache.store(plan.key, target, frag_files, downloads, record, plan.document)
        runs[plan.source.name] = {**record, "status": "ok", "key": plan.key,
                                  "worker_setup_seconds": result.get("worker_setup_seconds"), "pid": result.get("pid")}
        done += 1
        progress(_progress_line(done, total, runs[plan.source.name]))

    independent = [p for p in plans if not p.after_chapters]
    summarising = [p for p in plans if p.after_chapters]
    to_run = [p for p in independent if not try_cache(p)]
    # the summarising chapters can only be reused when every chapter before them is known
    pending_after = list(summarising)

    def get_pool(n: int):
        nonlocal pool
        if pool is None:
            workers = max(1, min(jobs or default_jobs(), n))
            (staging / "logs").mkdir(exist_ok=True)
            pool = start_pool(workers, engine, staging / "logs" / "workers.kernel.log")
        progress(f"executing on {pool._max_workers} worker process{'es' if pool._max_workers > 1 else ''} "
                 f"({engine} engine) ...")
        return pool

    try:
        if to_run:
            order = sorted(to_run, key=lambda p: -(previous_seconds or {}).get(p.source.name, 0.0))
            ex = get_pool(len(to_run) + len(pending_after))
            futures = {ex.submit(run_notebook, task(p)): p for p in order}
            try:
                for fut in cf.as_completed(futures):
                    finished(futures[fut], fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
        for plan in independent:  # gather the fragments for the summarising chapters
            for f in sorted(frag_dir(plan).glob("*.json")):
                shutil.copyfile(f, all_fragments / f.name)
        for plan in pending_after:  # in order: each may read the one before
            if try_cache(plan):
                continue
            before = {f.name for f in all_fragments.glob("*.json")}
            result = (pool or get_pool(1)).submit(run_notebook, task(plan)).result()
            finished(plan, result, before)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return [runs[p.source.name] for p in plans]


def build(
    data_path: str | None = None,
    ae_path: str | None = None,
    overrides: dict[str, Any] | None = None,
    out_dir: str | Path = DEFAULT_OUT,
    progress: Callable[[str], None] = print,
    notebooks: list[Path] | None = None,
    *,
    force: bool = False,
    jobs: int | None = None,
    engine: str | None = None,
) -> BuildResult:
    """Validate, execute the chapters (cached ones reused, the others in parallel),
    merge ``results.json``, render the book.

    With nothing changed since the book in ``out_dir`` was built (same build
    key) nothing is done at all. ``force`` ignores the cache and the up-to-date
    check; ``jobs`` is the number of worker processes (default: the cores);
    ``engine`` is ``"warm"`` (default) or ``"kernel"`` (see :mod:`.executor`).
    """
    engine = engine or os.environ.get("LCNEC_ENGINE") or "warm"
    if engine not in ("warm", "kernel"):
        raise BuildError(f"unknown engine {engine!r}: use 'warm' or 'kernel'")
    params = resolve_parameters(data_path, ae_path, overrides)
    out_dir = Path(out_dir).resolve()
    chapters = execution_order(notebooks if notebooks is not None else chapter_notebooks())
    plans = plan_chapters(chapters, params, engine)
    key = build_key(plans, params, out_dir)
    _restore_interrupted_swap(out_dir)
    if not force:
        record = _up_to_date(out_dir, key)
        if record is not None:
            for note in record.get("notes", []):
                progress(f"warning: {note}")
            progress(f"the book in {out_dir} is up to date (nothing changed since it was built); use --force to rebuild")
            results = json.loads((out_dir / "results.json").read_text())
            runs = [ChapterRun(r["notebook"], r["seconds"], r["status"]) for r in record.get("runs", [])]
            return BuildResult(out_dir, results, runs, 0.0)

    import tempfile

    from lcnec_utils.audit.record import write_audit
    from lcnec_utils.build.cache import NotebookCache, cache_dir
    from lcnec_utils.contract.results import merge_fragments, write_results

    cache = NotebookCache(cache_dir())
    missing = [p for p in plans if force or cache.lookup(p.key) is None]
    pool = None
    worker_log = None
    if missing:  # start the workers first: they import and start kernels while the data are validated
        handle, worker_log = tempfile.mkstemp(prefix="lcnec-workers-", suffix=".log")
        os.close(handle)
        pool = start_pool(max(1, min(jobs or default_jobs(), len(missing))), engine, worker_log)
    try:
        notes = validate_data(params, use_cache=not force)
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    for note in notes:  # warnings (small arm, no events, encoding) also on the terminal
        progress(f"warning: {note}")

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.with_name(f".{out_dir.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    book = staging / "book"
    shutil.copytree(BOOK_DIR, book)
    vendor_mathjax(book / "_vendor")
    executed_dir = book / "notebooks"
    executed_dir.mkdir(exist_ok=True)
    downloads = book / "downloads"
    downloads.mkdir()
    fragments = staging / "results-fragments" / "all"
    (staging / "logs").mkdir()
    params.results_dir = str(fragments)

    env = {
        "LCNEC_GIT_COMMIT": git_commit() or "unknown",
        "LCNEC_BUILD_DATE": _dt.date.today().isoformat(),
        "LCNEC_DATA_SHA256": sha256_file(params.data_path) or "unknown",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONHASHSEED": "0",
    }
    try:
        started = time.perf_counter()
        run_records = execute_chapters(
            plans, params, staging, env, progress,
            use_cache=not force, jobs=jobs, engine=engine, previous_seconds=_previous_seconds(out_dir),
            pool=pool,
        )
        if worker_log and os.path.exists(worker_log):
            shutil.move(worker_log, staging / "logs" / "workers.kernel.log")
        execute_seconds = time.perf_counter() - started
        runs = [ChapterRun(r["notebook"], r["seconds"], r["status"]) for r in run_records]
        for folder in sorted((staging / "downloads-by-chapter").glob("*")):
            for f in sorted(folder.iterdir()):
                shutil.copyfile(f, downloads / f.name)
        shutil.rmtree(staging / "downloads-by-chapter", ignore_errors=True)
        results = merge_fragments(fragments)
        write_results(results, staging / "results.json")
        write_audit(results, staging / "audit.json", data_path=params.data_path, parameters=params.as_dict())
        for name in ("results.json", "audit.json"):
            shutil.copy2(staging / name, downloads / name)
        (staging / "execution.json").write_text(
            json.dumps([r.__dict__ for r in runs], indent=2) + "\n"
        )
        write_reproducibility_page(book, runs, params, out_dir, env, downloads)
        progress("rendering the book with Jupyter Book ...")
        render_seconds = render_book(book, staging, staging / "build-log.txt")
        shutil.copytree(executed_dir, staging / "notebooks")
        shutil.rmtree(book)
        shutil.rmtree(staging / "results-fragments", ignore_errors=True)
        (staging / BUILD_RECORD).write_text(json.dumps({
            "build_key": key,
            "engine": engine,
            "jobs": jobs or default_jobs(),
            "notes": notes,
            "provenance": {  # what the print edition's title page and footer name
                "data_file": os.path.basename(params.data_path),
                "ae_file": os.path.basename(params.ae_path) if params.ae_path else None,
                "data_sha256": env["LCNEC_DATA_SHA256"],
                "git_commit": env["LCNEC_GIT_COMMIT"],
                "build_date": env["LCNEC_BUILD_DATE"],
            },
            "execute_seconds": execute_seconds,
            "render_seconds": render_seconds,
            "runs": run_records,
        }, indent=2, sort_keys=True) + "\n")
        swap_into_place(staging, out_dir)
    except BaseException:
        if pool is not None:  # already shut down when the chapters ran; here for earlier failures
            pool.shutdown(wait=False, cancel_futures=True)
        if worker_log and os.path.exists(worker_log):
            os.unlink(worker_log)
        failed = out_dir.with_name(f"{out_dir.name}-failed")
        shutil.rmtree(failed, ignore_errors=True)
        if staging.exists():
            staging.rename(failed)
        raise
    return BuildResult(out_dir, results, runs, render_seconds)
