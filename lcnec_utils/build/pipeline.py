"""Build the book: validate the data, execute the chapters with papermill, render.

A build is staged in a sibling folder of the output and swapped in only when
every step succeeded, so a failed or interrupted build leaves the last good
book where it was. Layout of a finished output folder::

    DIR/results.json        flat headline numbers (docs/spec/results-keys.md)
    DIR/notebooks/*.ipynb   the executed chapters
    DIR/html/               the rendered Jupyter Book
    DIR/build-log.txt       Sphinx's log of the rendering

Jupyter Book runs with execution off (papermill has executed the chapters)
and ``-W -n --keep-going``: any Sphinx warning fails the build.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Light imports only: an up-to-date ``lcnec build`` must finish in well under
# 3 s, so pandas, pandera, nbformat and papermill are imported where used.
from lcnec_utils.build.chapters import (
    BOOK_DIR,
    BuildError,
    ChapterPlan,
    chapter_notebooks,
    default_jobs,
    execute_chapters,
    execution_order,
    plan_chapters,
    start_pool,
)
from lcnec_utils.contract.params import PROJECT_ROOT, Parameters, make_parameters
from lcnec_utils.contract.provenance import git_commit, sha256_file

DEFAULT_OUT = PROJECT_ROOT / "build"
BUILD_RECORD = "build-record.json"
#: How a worker executes a chapter (:mod:`.executor`); the first is the default.
ENGINES = ("warm", "kernel")


@dataclass
class ChapterRun:
    """One chapter of a finished build, as the Reproducibility page lists it."""

    notebook: str
    seconds: float
    status: str  # "ok", "cached" (reused from the cache, with its original seconds) or "failed"


@dataclass
class BuildResult:
    """A finished build: its folder, its merged results and its chapters."""

    out_dir: Path
    results: dict[str, Any]
    chapters: list[ChapterRun] = field(default_factory=list)
    render_seconds: float = 0.0

    @property
    def html_index(self) -> Path:
        return self.out_dir / "html" / "index.html"


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
    book: Path,
    runs: list[ChapterRun],
    params: Parameters,
    out_dir: Path,
    env: dict[str, str],
    downloads: Path,
) -> None:
    """The generated half of ``reproducibility.md`` (included from ``_generated/``)."""
    from lcnec_utils.build.reproducibility import rebuild_command, reproducibility_markdown
    from lcnec_utils.contract.params import Parameters as _Defaults

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


def build_key(plans: list[ChapterPlan], params: Parameters, out_dir: Path, book_dir: Path = BOOK_DIR) -> str:
    """Everything a finished book depends on: the chapters' keys, book/'s files, the
    parameters, the output folder (named in the rebuild command) and the code of
    ``lcnec_utils.build`` (which writes pages, not chapters: a change renders again)."""
    from lcnec_utils.build.cache import (
        analysis_parameters,
        canonical_json,
        environment_fingerprint,
        tree_digest,
    )
    from lcnec_utils.contract.provenance import sha256_bytes

    document = {
        "chapters": [[p.source.name, p.key] for p in plans],
        "book": tree_digest(book_dir),
        "parameters": analysis_parameters(params.as_dict()),
        "out_dir": str(out_dir),
        "environment": environment_fingerprint(),
        "build_code": tree_digest(Path(__file__).parent),
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


def validation_key(params: Parameters) -> str:
    """What the validation of the data depends on: the files' bytes, the arm labels, the code."""
    from lcnec_utils.build.cache import canonical_json, environment_fingerprint, modules_digest
    from lcnec_utils.build.imports import module_closure
    from lcnec_utils.contract.provenance import sha256_bytes, sha256_file

    document = {
        "data": sha256_file(params.data_path),
        "ae": sha256_file(params.ae_path) if params.ae_path else None,
        "groups": [params.reference_group, params.treatment_group],
        "map": sha256_file(params.map_path) if params.map_path else None,
        "sheet": params.sheet,
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
    from lcnec_utils.contract.io import load_study_of

    study = load_study_of(params)
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


@dataclass
class EarlyWorkers:
    """The worker pool a build starts before it validates the data (the workers
    import and start their kernels meanwhile), and the log of their start-up."""

    pool: Any = None
    log: str | None = None

    @classmethod
    def start(cls, chapters: int, engine: str, jobs: int | None) -> EarlyWorkers:
        """Workers for ``chapters`` chapters to execute (none for none)."""
        if not chapters:
            return cls()
        handle, log = tempfile.mkstemp(prefix="lcnec-workers-", suffix=".log")
        os.close(handle)
        return cls(start_pool(max(1, min(jobs or default_jobs(), chapters)), engine, log), log)

    def stop(self) -> None:
        """End the pool at once, workers still warming up included (a no-op once the
        chapters' execution has shut it down).

        A worker's warm-up (imports, kernel) runs to its end unless the process is
        terminated, and the interpreter waits for it at exit: refused data would
        otherwise cost every worker's warm-up before the command returns.
        """
        if self.pool is None:
            return
        processes = list((self.pool._processes or {}).values())  # the executor names no public accessor
        self.pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()

    def move_log(self, target: Path) -> None:
        if self.log and os.path.exists(self.log):
            shutil.move(self.log, target)

    def discard_log(self) -> None:
        if self.log and os.path.exists(self.log):
            os.unlink(self.log)


def _report_up_to_date(out_dir: Path, record: dict[str, Any], progress: Callable[[str], None]) -> BuildResult:
    """The book already in ``out_dir``, its warnings repeated; nothing is written."""
    for note in record.get("notes", []):
        progress(f"warning: {note}")
    progress(
        f"the book in {out_dir} is up to date (nothing changed since it was built); use --force to rebuild"
    )
    results = json.loads((out_dir / "results.json").read_text())
    runs = [ChapterRun(r["notebook"], r["seconds"], r["status"]) for r in record.get("runs", [])]
    return BuildResult(out_dir, results, runs, 0.0)


def _validate(
    params: Parameters, force: bool, workers: EarlyWorkers, progress: Callable[[str], None]
) -> list[str]:
    """:func:`validate_data`, its notes (small arm, no events, encoding) shown on the terminal."""
    try:
        notes = validate_data(params, use_cache=not force)
    except BaseException:
        workers.stop()
        raise
    for note in notes:
        progress(f"warning: {note}")
    return notes


def _stage(out_dir: Path) -> Path:
    """A staging folder beside ``out_dir`` holding a copy of ``book/`` (MathJax vendored),
    ready for the executed notebooks, the downloads and the logs."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.with_name(f".{out_dir.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    book = staging / "book"
    shutil.copytree(BOOK_DIR, book)
    vendor_mathjax(book / "_vendor")
    (book / "notebooks").mkdir(exist_ok=True)
    (book / "downloads").mkdir()
    (staging / "logs").mkdir()
    return staging


def build_environment(params: Parameters) -> dict[str, str]:
    """Environment variables of the chapters: provenance for their footers, the figure backend,
    and a fixed hash seed (the order of sets of strings)."""
    return {
        "LCNEC_GIT_COMMIT": git_commit() or "unknown",
        "LCNEC_BUILD_DATE": _dt.date.today().isoformat(),
        "LCNEC_DATA_SHA256": sha256_file(params.data_path) or "unknown",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONHASHSEED": "0",
    }


def _merge_results(staging: Path, params: Parameters, runs: list[ChapterRun]) -> dict[str, Any]:
    """Gather the chapters' downloads, merge their results fragments into ``results.json``,
    write ``audit.json`` and ``execution.json``; the merged results."""
    from lcnec_utils.audit.record import write_audit
    from lcnec_utils.contract.results import merge_fragments, write_results

    downloads = staging / "book" / "downloads"
    for folder in sorted((staging / "downloads-by-chapter").glob("*")):
        for f in sorted(folder.iterdir()):
            shutil.copyfile(f, downloads / f.name)
    shutil.rmtree(staging / "downloads-by-chapter", ignore_errors=True)
    results = merge_fragments(staging / "results-fragments" / "all")
    write_results(results, staging / "results.json")
    write_audit(results, staging / "audit.json", data_path=params.data_path, parameters=params.as_dict())
    for name in ("results.json", "audit.json"):
        shutil.copy2(staging / name, downloads / name)
    (staging / "execution.json").write_text(json.dumps([r.__dict__ for r in runs], indent=2) + "\n")
    return results


def _render(
    staging: Path,
    runs: list[ChapterRun],
    params: Parameters,
    out_dir: Path,
    env: dict[str, str],
    progress: Callable[[str], None],
) -> float:
    """Write the Reproducibility page, render the book, keep the executed notebooks beside
    the HTML and drop the sources; the seconds of the rendering."""
    book = staging / "book"
    write_reproducibility_page(book, runs, params, out_dir, env, book / "downloads")
    progress("rendering the book with Jupyter Book ...")
    seconds = render_book(book, staging, staging / "build-log.txt")
    shutil.copytree(book / "notebooks", staging / "notebooks")
    shutil.rmtree(book)
    shutil.rmtree(staging / "results-fragments", ignore_errors=True)
    return seconds


def _provenance(params: Parameters, env: dict[str, str]) -> dict[str, str | None]:
    """What the print edition's title page and footer name: the files, their checksum, the code."""
    return {
        "data_file": os.path.basename(params.data_path),
        "ae_file": os.path.basename(params.ae_path) if params.ae_path else None,
        "data_sha256": env["LCNEC_DATA_SHA256"],
        "git_commit": env["LCNEC_GIT_COMMIT"],
        "build_date": env["LCNEC_BUILD_DATE"],
    }


def _write_record(staging: Path, record: dict[str, Any]) -> None:
    (staging / BUILD_RECORD).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def _keep_failed(staging: Path, out_dir: Path, workers: EarlyWorkers) -> None:
    """After a failure: stop the workers and keep the half-built output as ``<out>-failed``."""
    workers.stop()
    workers.discard_log()
    failed = out_dir.with_name(f"{out_dir.name}-failed")
    shutil.rmtree(failed, ignore_errors=True)
    if staging.exists():
        staging.rename(failed)


def _engine(engine: str | None) -> str:
    """The engine asked for, else ``$LCNEC_ENGINE``, else the default."""
    engine = engine or os.environ.get("LCNEC_ENGINE") or ENGINES[0]
    if engine not in ENGINES:
        raise BuildError(f"unknown engine {engine!r}: use " + " or ".join(repr(e) for e in ENGINES))
    return engine


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
    merge ``results.json``, render the book, swap it into ``out_dir``.

    With nothing changed since the book in ``out_dir`` was built (same build
    key) nothing is done at all. ``force`` ignores the cache and the up-to-date
    check; ``jobs`` is the number of worker processes (default: the cores);
    ``engine`` is ``"warm"`` (default) or ``"kernel"`` (see :mod:`.executor`).
    """
    engine = _engine(engine)
    params = resolve_parameters(data_path, ae_path, overrides)
    out_dir = Path(out_dir).resolve()
    chapters = notebooks if notebooks is not None else chapter_notebooks()
    plans = plan_chapters(execution_order(chapters), params, engine)
    key = build_key(plans, params, out_dir)
    _restore_interrupted_swap(out_dir)
    record = None if force else _up_to_date(out_dir, key)
    if record is not None:
        return _report_up_to_date(out_dir, record, progress)

    from lcnec_utils.build.cache import NotebookCache, cache_dir

    cache = NotebookCache(cache_dir())
    workers = EarlyWorkers.start(sum(force or cache.lookup(p.key) is None for p in plans), engine, jobs)
    notes = _validate(params, force, workers, progress)
    staging = _stage(out_dir)
    params.results_dir = str(staging / "results-fragments" / "all")
    env = build_environment(params)
    try:
        started = time.perf_counter()
        run_records = execute_chapters(
            plans,
            params,
            staging,
            env,
            progress,
            use_cache=not force,
            jobs=jobs,
            engine=engine,
            previous_seconds=_previous_seconds(out_dir),
            pool=workers.pool,
        )
        workers.move_log(staging / "logs" / "workers.kernel.log")
        execute_seconds = time.perf_counter() - started
        runs = [ChapterRun(r["notebook"], r["seconds"], r["status"]) for r in run_records]
        results = _merge_results(staging, params, runs)
        render_seconds = _render(staging, runs, params, out_dir, env, progress)
        _write_record(
            staging,
            {
                "build_key": key,
                "engine": engine,
                "jobs": jobs or default_jobs(),
                "notes": notes,
                "provenance": _provenance(params, env),
                "execute_seconds": execute_seconds,
                "render_seconds": render_seconds,
                "runs": run_records,
            },
        )
        swap_into_place(staging, out_dir)
    except BaseException:
        _keep_failed(staging, out_dir, workers)
        raise
    return BuildResult(out_dir, results, runs, render_seconds)
