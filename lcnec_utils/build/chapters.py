"""The chapters of a build: which, in what order, their cache keys, and their execution.

A chapter is restored from the cache of executed chapters (:mod:`.cache`) when
its key is there, and otherwise executed by papermill in a pool of worker
processes (:mod:`.executor`). The independent chapters run in parallel; the
chapters that read every other chapter's results (notebook metadata
``lcnec.after_chapters``) run after them, one after the other.

Each chapter writes its results fragments to a folder of its own, named
relative to the executed notebook (``FRAGMENTS_REL``), so the injected
parameter cell is the same in every build and a cached notebook names no other
build's staging folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lcnec_utils.contract.params import PROJECT_ROOT, Parameters

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
BOOK_DIR = PROJECT_ROOT / "book"
#: Results fragments, relative to the executed notebooks' folder ``<staging>/book/notebooks``.
FRAGMENTS_REL = "../../results-fragments"


class BuildError(RuntimeError):
    """A step of the build failed; the message is meant for the user as it is."""


@dataclass
class ChapterPlan:
    """A chapter to build: its notebook, whether it runs after the others, its cache key."""

    source: Path
    after_chapters: bool
    key: str
    document: dict[str, Any]

    @property
    def results_dir(self) -> str:
        return results_dir(self.source, self.after_chapters)


def results_dir(source: Path, after_chapters: bool) -> str:
    """Where a chapter writes its results fragments, relative to the executed notebook:
    a folder of its own, or the shared one of the chapters that run after the others."""
    return f"{FRAGMENTS_REL}/all" if after_chapters else f"{FRAGMENTS_REL}/{source.stem}"


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


def injected_parameters(params: Parameters, results_dir: str) -> dict[str, Any]:
    """The values papermill injects into a chapter's parameter cell.

    Papermill cannot tell "no adverse-event file" (``None``) from "use the
    default": the empty string says "none" to the notebooks.
    """
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
        parameters = injected_parameters(params, results_dir(source, after))
        key, document = notebook_key(source, parameters, engine, depends)
        plans.append(ChapterPlan(source, after, key, document))
        (earlier_after if after else independent)[source.name] = key
    return plans


def default_jobs() -> int:
    """Worker processes: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


#: The environment the worker processes start with: a fixed hash seed, so the order of sets and
#: dicts of strings is the same in every build (as in a kernel of its own), and one BLAS thread
#: each, since the pool already runs one worker per core: more threads only wait for a core
#: (on a busy 2-core machine the reconstruction chapter took 84 s with OpenBLAS's two threads
#: per worker, 12 s with one) and change no number.
WORKER_ENVIRONMENT = {
    "PYTHONHASHSEED": "0",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set, put back as it was on leaving."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def start_pool(workers: int, engine: str, log_path: str | Path):
    """A pool of ``workers`` spawned processes (environment :data:`WORKER_ENVIRONMENT`),
    warming up (kernel, imports) at once."""
    import concurrent.futures as cf
    import multiprocessing

    from lcnec_utils.build.executor import init_worker, ping

    with _environment(WORKER_ENVIRONMENT):
        pool = cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(engine, str(log_path)),
        )
        for _ in range(workers):  # start every worker now: they warm up while the data are validated
            pool.submit(ping)
    return pool


def _progress_line(done: int, total: int, run: dict[str, Any]) -> str:
    if run["status"] == "cached":
        return (
            f"[{done}/{total}] {run['notebook']} done in 0.0 s (cached: executed in "
            f"{run['seconds']:.1f} s on {run.get('executed', '?')})"
        )
    return f"[{done}/{total}] {run['notebook']} done in {run['seconds']:.1f} s"


@dataclass
class ChapterExecution:
    """The chapters of one build in its staging folder: restored, executed, stored.

    ``runs`` collects one record per chapter (status ``cached`` or ``ok``);
    ``pool`` is started on first need unless the build started it already.
    """

    plans: list[ChapterPlan]
    params: Parameters
    staging: Path
    env: dict[str, str]
    progress: Callable[[str], None]
    engine: str = "warm"
    jobs: int | None = None
    use_cache: bool = True
    pool: Any = None
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from lcnec_utils.build.cache import NotebookCache, cache_dir

        self.cache = NotebookCache(cache_dir())
        self.executed_dir = self.staging / "book" / "notebooks"
        self.fragments = self.staging / "results-fragments"
        self.all_fragments = self.fragments / "all"
        self.all_fragments.mkdir(parents=True, exist_ok=True)
        self.downloads = self.staging / "downloads-by-chapter"
        self._announced = False

    def fragments_dir(self, plan: ChapterPlan) -> Path:
        return self.all_fragments if plan.after_chapters else self.fragments / plan.source.stem

    def _done(self, plan: ChapterPlan, run: dict[str, Any]) -> None:
        self.runs[plan.source.name] = run
        self.progress(_progress_line(len(self.runs), len(self.plans), run))

    def restore(self, plan: ChapterPlan) -> bool:
        """Copy the chapter's cache entry into the build; False when there is none to use."""
        record = self.cache.lookup(plan.key) if self.use_cache else None
        if record is None:
            return False
        target = self.executed_dir / plan.source.name
        self.cache.restore(plan.key, target, self.fragments_dir(plan), self.downloads / plan.source.stem)
        run = {
            "notebook": plan.source.name,
            "status": "cached",
            "seconds": float(record.get("seconds", 0.0)),
            "executed": record.get("executed"),
            "git_commit": record.get("git_commit"),
            "key": plan.key,
        }
        self._done(plan, run)
        return True

    def task(self, plan: ChapterPlan) -> dict[str, Any]:
        """What a worker needs to execute the chapter (:func:`.executor.run_notebook`)."""
        return {
            "engine": self.engine,
            "source": str(plan.source),
            "target": str(self.executed_dir / plan.source.name),
            "parameters": injected_parameters(self.params, plan.results_dir),
            "env": dict(self.env, LCNEC_DOWNLOADS_DIR=str(self.downloads / plan.source.stem)),
        }

    def store(self, plan: ChapterPlan, result: dict[str, Any], before: set[str] | None = None) -> None:
        """Record an executed chapter and store it in the cache; a failed one stops the build.

        ``before`` names the fragments already in the shared folder of the
        summarising chapters: only what this chapter wrote is stored with it.
        """
        if result["status"] != "ok":
            raise BuildError(result["error"])
        fragments = sorted(self.fragments_dir(plan).glob("*.json"))
        if before is not None:
            fragments = [f for f in fragments if f.name not in before]
        downloads_dir = self.downloads / plan.source.stem
        downloads = sorted(downloads_dir.glob("*")) if downloads_dir.is_dir() else []
        record = {
            "notebook": plan.source.name,
            "seconds": result["seconds"],
            "cell_seconds": result.get("cell_seconds"),
            "engine": self.engine,
            "executed": self.env["LCNEC_BUILD_DATE"],
            "git_commit": self.env["LCNEC_GIT_COMMIT"],
        }
        target = self.executed_dir / plan.source.name
        self.cache.store(plan.key, target, fragments, downloads, record, plan.document)
        extra = {"worker_setup_seconds": result.get("worker_setup_seconds"), "pid": result.get("pid")}
        self._done(plan, {**record, "status": "ok", "key": plan.key, **extra})

    def workers(self, chapters: int):
        """The pool, started with at most ``chapters`` workers if the build did not start it."""
        if self.pool is None:
            workers = max(1, min(self.jobs or default_jobs(), chapters))
            (self.staging / "logs").mkdir(exist_ok=True)
            self.pool = start_pool(workers, self.engine, self.staging / "logs" / "workers.kernel.log")
        if not self._announced:
            n = self.pool._max_workers
            self.progress(
                f"executing on {n} worker process{'es' if n > 1 else ''} ({self.engine} engine) ..."
            )
            self._announced = True
        return self.pool

    def run_in_parallel(
        self, plans: list[ChapterPlan], previous_seconds: dict[str, float], later: int
    ) -> None:
        """Execute independent chapters at once, the longest of the last build first.

        ``later`` counts the chapters still to run after these (a pool started
        here gets no more workers than there are chapters).
        """
        import concurrent.futures as cf

        from lcnec_utils.build.executor import run_notebook

        order = sorted(plans, key=lambda p: -previous_seconds.get(p.source.name, 0.0))
        pool = self.workers(len(plans) + later)
        futures = {pool.submit(run_notebook, self.task(p)): p for p in order}
        try:
            for future in cf.as_completed(futures):
                self.store(futures[future], future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise

    def gather_fragments(self, plans: list[ChapterPlan]) -> None:
        """Copy the independent chapters' fragments into the summarising chapters' folder."""
        for plan in plans:
            for f in sorted(self.fragments_dir(plan).glob("*.json")):
                shutil.copyfile(f, self.all_fragments / f.name)

    def run_after_the_others(self, plan: ChapterPlan) -> None:
        """Execute a summarising chapter (it reads the shared folder of fragments)."""
        from lcnec_utils.build.executor import run_notebook

        before = {f.name for f in self.all_fragments.glob("*.json")}
        result = self.workers(1).submit(run_notebook, self.task(plan)).result()
        self.store(plan, result, before)

    def shutdown(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


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
    execution order. Raises :class:`BuildError` on the first failing chapter.

    A summarising chapter is looked up in the cache only once every chapter
    before it is known, as its key holds theirs.
    """
    execution = ChapterExecution(plans, params, staging, env, progress, engine, jobs, use_cache, pool)
    independent = [p for p in plans if not p.after_chapters]
    summarising = [p for p in plans if p.after_chapters]
    try:
        to_run = [p for p in independent if not execution.restore(p)]
        if to_run:
            execution.run_in_parallel(to_run, previous_seconds or {}, later=len(summarising))
        execution.gather_fragments(independent)
        for plan in summarising:  # in order: each may read the one before
            if not execution.restore(plan):
                execution.run_after_the_others(plan)
    finally:
        execution.shutdown()
    return [execution.runs[p.source.name] for p in plans]
