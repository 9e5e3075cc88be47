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

import contextlib
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

import nbformat

from .audit import write_audit
from .io import load_study
from .params import PROJECT_ROOT, Parameters, make_parameters
from .results import merge_fragments, write_results

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
BOOK_DIR = PROJECT_ROOT / "book"
DEFAULT_OUT = PROJECT_ROOT / "build"
#: Cell tags that papermill uses for the parameter cells; hidden in the book.
PARAMETER_TAGS = {"parameters", "injected-parameters"}


class BuildError(RuntimeError):
    """A step of the build failed; the message is meant for the user as it is."""


@dataclass
class ChapterRun:
    notebook: str
    seconds: float
    status: str  # "ok" or "failed"


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


def sha256_of(path: str | Path | None) -> str | None:
    if not path or not Path(path).is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit(root: Path = PROJECT_ROOT) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        return out + ("+uncommitted" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


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


def hide_parameter_cells(path: Path) -> None:
    """Tag papermill's parameter cells ``remove-cell`` so the rendered page hides them."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if PARAMETER_TAGS & set(tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(nb, path)


@contextlib.contextmanager
def _kernel_stderr_to(log_path: Path):
    """Send what the kernel process writes to stderr (its start-up chatter) to a log.

    The kernel inherits file descriptor 2 when papermill starts it, so the
    redirection is done at the descriptor level and undone afterwards.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def execute_chapter(
    source: Path,
    target: Path,
    parameters: dict[str, Any],
    env: dict[str, str] | None = None,
    kernel_log: Path | None = None,
) -> float:
    """Run one chapter with papermill; return the seconds it took."""
    import papermill

    start = time.perf_counter()
    old_env = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        with _kernel_stderr_to(kernel_log or Path(os.devnull)):
            papermill.execute_notebook(
                str(source),
                str(target),
                parameters=parameters,
                kernel_name="python3",
                cwd=str(target.parent),
                progress_bar=False,
                log_output=False,
                report_mode=False,
            )
    except papermill.PapermillExecutionError as err:
        raise BuildError(
            f"chapter {source.name} failed in cell {err.exec_count}: {err.ename}: {err.evalue}"
        ) from None
    finally:
        for key, value in old_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    hide_parameter_cells(target)
    return time.perf_counter() - start


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
    from .params import Parameters as _Defaults
    from .provenance import rebuild_command, reproducibility_markdown

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


def _swap_into_place(staging: Path, out_dir: Path) -> None:
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
    """A build killed between the two renames of ``_swap_into_place`` left no ``out_dir``
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


def build(
    data_path: str | None = None,
    ae_path: str | None = None,
    overrides: dict[str, Any] | None = None,
    out_dir: str | Path = DEFAULT_OUT,
    progress: Callable[[str], None] = print,
    notebooks: list[Path] | None = None,
) -> BuildResult:
    """Validate, execute every chapter in order, merge ``results.json``, render the book."""
    params = resolve_parameters(data_path, ae_path, overrides)
    study = load_study(params.data_path, params.ae_path, params.reference_group, params.treatment_group)
    for note in study.notes:  # warnings (small arm, no events, encoding) also on the terminal
        progress(f"warning: {note}")

    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _restore_interrupted_swap(out_dir)
    staging = out_dir.with_name(f".{out_dir.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    book = staging / "book"
    shutil.copytree(BOOK_DIR, book)
    vendor_mathjax(book / "_vendor")
    executed_dir = book / "notebooks"
    executed_dir.mkdir(exist_ok=True)
    downloads = book / "downloads"
    downloads.mkdir()
    fragments = staging / "results-fragments"
    (staging / "logs").mkdir()
    params.results_dir = str(fragments)

    env = {
        "LCNEC_GIT_COMMIT": git_commit() or "unknown",
        "LCNEC_BUILD_DATE": _dt.date.today().isoformat(),
        "LCNEC_DATA_SHA256": sha256_of(params.data_path) or "unknown",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONHASHSEED": "0",
        "LCNEC_DOWNLOADS_DIR": str(downloads),
    }
    chapters = execution_order(notebooks if notebooks is not None else chapter_notebooks())
    # papermill cannot tell "no adverse-event file" (None) from "use the default":
    # the empty string says "none" to the notebooks.
    injected = dict(params.as_dict(), ae_path=params.ae_path or "")
    runs: list[ChapterRun] = []
    try:
        for i, source in enumerate(chapters, start=1):
            progress(f"[{i}/{len(chapters)}] executing {source.name} ...")
            seconds = execute_chapter(
                source, executed_dir / source.name, injected, env, staging / "logs" / f"{source.stem}.kernel.log"
            )
            runs.append(ChapterRun(source.name, seconds, "ok"))
            progress(f"[{i}/{len(chapters)}] {source.name} done in {seconds:.1f} s")
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
        shutil.rmtree(fragments, ignore_errors=True)
        _swap_into_place(staging, out_dir)
    except BaseException:
        failed = out_dir.with_name(f"{out_dir.name}-failed")
        shutil.rmtree(failed, ignore_errors=True)
        if staging.exists():
            staging.rename(failed)
        raise
    return BuildResult(out_dir, results, runs, render_seconds)
