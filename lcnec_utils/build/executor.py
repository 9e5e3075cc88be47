"""Execute chapters with papermill in a pool of worker processes.

Each chapter is one ``papermill.execute_notebook`` call in a worker process
(``concurrent.futures.ProcessPoolExecutor``, one worker per core). Two
papermill engines are offered:

``warm`` (default)
    Papermill engine ``lcnec-warm``: the worker starts one IPython kernel *in
    its own process* (``ipykernel.inprocess``) and imports the book's heavy
    modules (pandas, lifelines, matplotlib, pandera, the ``lcnec_utils``
    modules) once; each chapter then runs in a fresh session of that kernel
    (``reset(new_session=True)``: empty namespace, execution count 1, the
    matplotlib style, pandas options and warning filters put back). The
    outputs are the kernel's own messages turned into notebook outputs with
    ``nbformat.v4.output_from_msg``, as nbclient does. What a chapter costs is
    then its computation, not a kernel start and ~3 s of imports.
``kernel``
    Papermill's own ``nbclient`` engine: a new ``python3`` kernel process per
    chapter (the classic way, about 3-4 s of start-up and imports each).

Worker processes are *spawned* with ``PYTHONHASHSEED=0`` so set and dict
orders of strings do not depend on the process, as in the kernels before, and
with one BLAS thread each (``chapters.WORKER_ENVIRONMENT``).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

#: Cell tags that papermill uses for the parameter cells; hidden in the book.
PARAMETER_TAGS = {"parameters", "injected-parameters"}
#: Imported once per worker by the warm engine (what the chapters import).
PRELOAD = (
    "pandas",
    "numpy",
    "scipy.stats",
    "matplotlib.pyplot",
    "matplotlib_inline.backend_inline",
    "IPython.display",
    "myst_nb",
    # every module of these packages (their __init__ loads its names only on first use)
    "lcnec_utils.contract.*",
    "lcnec_utils.stats.*",
    "lcnec_utils.tables.*",
    "lcnec_utils.plots.*",
    "lcnec_utils.methods.*",
    "lcnec_utils.audit.*",
    "lcnec_utils.chapter.*",
)

_STATE: dict[str, Any] = {}


def init_worker(engine: str, kernel_log: str | None = None) -> None:
    """Pool initializer: quiet kernel chatter; for ``warm`` start the kernel and import."""
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    _STATE["engine"] = engine
    _STATE["setup_seconds"] = 0.0
    if kernel_log:
        # the worker's own stderr (kernel start-up chatter) goes to a log
        log = os.open(kernel_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        os.dup2(log, 2)
        os.close(log)
    if engine != "warm":
        return
    start = time.perf_counter()
    _register_engine()
    km, kc = _warm_kernel()
    # imported inside the kernel, as a chapter would: pyplot then finds the
    # IPython shell and hooks the inline backend's figure output into it
    code = "\n".join(f"try:\n    import {name}\nexcept ImportError:\n    pass" for name in _preload_modules())
    _run_code(kc, code)
    km.kernel.shell.reset(new_session=True)
    _memoise_load_study()
    _STATE["baseline"] = _snapshot_state()
    _STATE["setup_seconds"] = time.perf_counter() - start


def _preload_modules() -> list[str]:
    """:data:`PRELOAD` with each ``package.*`` expanded to the package's modules."""
    import importlib
    import pkgutil

    names: list[str] = []
    for name in PRELOAD:
        if name.endswith(".*"):
            package = importlib.import_module(name[:-2])
            found = pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")
            names += [m.name for m in found if not m.ispkg]
        else:
            names.append(name)
    return names


def _register_engine() -> None:
    from papermill.engines import papermill_engines

    papermill_engines.register("lcnec-warm", WarmEngine)


def _warm_kernel():
    if "kc" not in _STATE:
        from ipykernel.inprocess.manager import InProcessKernelManager

        km = InProcessKernelManager()
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        _STATE["km"], _STATE["kc"] = km, kc
        _run_code(kc, "pass")  # the first request sets the kernel up
    return _STATE["km"], _STATE["kc"]


def _memoise_load_study() -> None:
    """Read and validate a cohort once per worker, not once per chapter.

    ``Chapter.start`` calls ``load_study``; on 100,000 rows the pandera
    validation alone takes ~6 s. The worker keeps the last study it loaded,
    keyed on the files' paths *and* SHA-256 (a changed file is read again),
    and hands every chapter deep copies, so no chapter sees another's changes.
    """
    from lcnec_utils.chapter import set_study_loader
    from lcnec_utils.contract import io
    from lcnec_utils.contract.provenance import sha256_file

    original = io.load_study
    memo: dict[tuple, Any] = {}

    def load_study(data_path, ae_path=None, reference_group=None, treatment_group=None, **options):
        key = (
            str(data_path),
            sha256_file(data_path),
            str(ae_path),
            sha256_file(ae_path),
            reference_group,
            treatment_group,
            tuple(sorted(options.items())),
            sha256_file(options.get("map_path")),
        )
        if key not in memo:
            memo.clear()
            memo[key] = original(data_path, ae_path, reference_group, treatment_group, **options)
        s = memo[key]
        return dataclasses.replace(
            s,
            cohort=s.cohort.copy(deep=True),
            adverse_events=None if s.adverse_events is None else s.adverse_events.copy(deep=True),
            notes=list(s.notes),
            ignored_columns=list(s.ignored_columns),
            intake=copy.deepcopy(s.intake),
        )

    set_study_loader(load_study)


def _snapshot_state() -> dict[str, Any]:
    import matplotlib

    snap: dict[str, Any] = {
        "rc": {k: v for k, v in matplotlib.rcParams.items()},
        "filters": list(warnings.filters),
    }
    with contextlib.suppress(ImportError):
        import pandas as pd

        # deprecated options warn when read (pandas 2.2: use_inf_as_na, data_manager) and no chapter sets them
        deprecated = getattr(pd._config.config, "_deprecated_options", {})
        snap["pandas"] = {
            k: pd.get_option(k) for k in pd._config.config._registered_options if k not in deprecated
        }
    return snap


def _restore_state(snap: dict[str, Any]) -> None:
    """Put back what a chapter may change in the worker process."""
    import matplotlib
    import matplotlib.pyplot as plt

    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(snap["rc"])
    warnings.filters[:] = snap["filters"]
    warnings._filters_mutated()  # type: ignore[attr-defined]
    for module in list(sys.modules.values()):
        registry = getattr(module, "__warningregistry__", None)
        if isinstance(registry, dict):
            registry.clear()
    if "pandas" in snap:
        import pandas as pd

        for key, value in snap["pandas"].items():
            with contextlib.suppress(Exception):
                if pd.get_option(key) != value:
                    pd.set_option(key, value)


def _run_code(kc, code: str, timeout: float = 3600.0):
    """Execute ``code``; return (outputs, reply content) as nbclient would record them."""
    import nbformat

    msg_id = kc.execute(code, store_history=True, allow_stdin=False, stop_on_error=True)
    outputs: list = []
    display_index: dict[str, list[int]] = {}
    clear_pending = False
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        content = msg["content"]
        if kind == "status":
            if content.get("execution_state") == "idle":
                break
            continue
        if kind in ("execute_input", "comm_open", "comm_msg", "comm_close"):
            continue
        if kind == "clear_output":
            if content.get("wait"):
                clear_pending = True
            else:
                outputs.clear()
                display_index.clear()
            continue
        if kind == "update_display_data":
            display_id = content.get("transient", {}).get("display_id")
            for i in display_index.get(display_id, []):
                outputs[i]["data"] = content["data"]
                outputs[i]["metadata"] = content.get("metadata", {})
            continue
        if kind not in ("stream", "display_data", "execute_result", "error"):
            continue
        if clear_pending:
            outputs.clear()
            display_index.clear()
            clear_pending = False
        out = nbformat.v4.output_from_msg(msg)
        display_id = content.get("transient", {}).get("display_id")
        if display_id:
            display_index.setdefault(display_id, []).append(len(outputs))
        outputs.append(out)
    reply = kc.get_shell_msg(timeout=timeout)
    while reply.get("parent_header", {}).get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return outputs, reply["content"]


try:  # papermill is imported by the workers only
    from papermill.engines import Engine as _PapermillEngine
except ImportError:  # pragma: no cover
    _PapermillEngine = object  # type: ignore[assignment,misc]


class CellError(RuntimeError):
    pass


class WarmEngine(_PapermillEngine):  # type: ignore[misc,valid-type]
    """Papermill engine: the worker's in-process kernel, a fresh session per notebook."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        km, kc = _warm_kernel()
        _restore_state(_STATE["baseline"])
        shell = km.kernel.shell
        shell.reset(new_session=True)
        shell.execution_count = 1
        for index, cell in enumerate(nb_man.nb.cells):
            try:
                nb_man.cell_start(cell, index)
                if cell.cell_type == "code":
                    cell.outputs = []
                    if cell.source.strip():
                        outputs, reply = _run_code(kc, cell.source)
                        cell.outputs = outputs
                        cell.execution_count = reply.get("execution_count")
                        if reply.get("status") == "error":
                            raise CellError(f"{reply.get('ename')}: {reply.get('evalue')}")
            except CellError as err:
                nb_man.cell_exception(nb_man.nb.cells[index], cell_index=index, exception=err)
                break
            finally:
                nb_man.cell_complete(nb_man.nb.cells[index], cell_index=index)
        return nb_man.nb


def ping() -> int:
    """A no-op task: submitting it starts a worker (and its warm-up) ahead of the chapters."""
    return os.getpid()


@contextlib.contextmanager
def _environment(env: dict[str, str]):
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_notebook(task: dict[str, Any]) -> dict[str, Any]:
    """Execute one chapter (in a worker); the record says what happened, never raises."""
    import papermill

    engine = task["engine"]
    source, target = Path(task["source"]), Path(task["target"])
    start = time.perf_counter()
    record: dict[str, Any] = {"notebook": source.name, "status": "ok", "error": None, "pid": os.getpid()}
    try:
        with _environment(task["env"]):
            Path(task["env"]["LCNEC_DOWNLOADS_DIR"]).mkdir(parents=True, exist_ok=True)
            papermill.execute_notebook(
                str(source),
                str(target),
                parameters=task["parameters"],
                kernel_name="python3",
                engine_name="lcnec-warm" if engine == "warm" else None,
                cwd=str(target.parent),
                progress_bar=False,
                log_output=False,
                report_mode=False,
            )
    except papermill.PapermillExecutionError as err:
        record["status"] = "failed"
        record["error"] = f"chapter {source.name} failed in cell {err.exec_count}: {err.ename}: {err.evalue}"
    except Exception as err:
        record["status"] = "failed"
        record["error"] = f"chapter {source.name} could not be executed: {type(err).__name__}: {err}"
    record["seconds"] = time.perf_counter() - start
    record["worker_setup_seconds"] = _STATE.get("setup_seconds", 0.0)
    if record["status"] == "ok":
        hide_parameter_cells(target)
        record["cell_seconds"] = _cell_seconds(target)
    return record


def hide_parameter_cells(path: Path) -> None:
    """Tag papermill's parameter cells ``remove-cell`` so the rendered page hides them."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if PARAMETER_TAGS & set(tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(nb, path)


def _cell_seconds(path: Path) -> float:
    """Seconds spent in the cells (papermill's per-cell durations)."""
    import json

    nb = json.loads(path.read_text())
    return float(
        sum((c.get("metadata", {}).get("papermill", {}).get("duration") or 0.0) for c in nb.get("cells", []))
    )
