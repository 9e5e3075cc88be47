"""A folder any static host serves as it is: the HTML book of a finished build, made portable.

``lcnec publish --out DIR --to public`` copies ``DIR/html`` (with its PDFs when
the build made them, ``lcnec build --pdf``), takes the build machine's folders
out of every text file (:mod:`lcnec_utils.build.portable`), adds ``.nojekyll``
(GitHub Pages would otherwise skip the ``_static`` folders) and checks the
result: every link and every resource relative and resolving to a file of the
folder, no absolute path of the machine left. Only a folder that passes
replaces the previous one.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from lcnec_utils.build.portable import ABSOLUTE_PATH, machine_paths, strip_machine_paths

#: Files whose text is rewritten and checked; everything else is copied as it is.
TEXT_SUFFIXES = {".html", ".js", ".json", ".ipynb", ".txt", ".md", ".csv", ".yaml", ".yml", ".css", ".svg"}
#: Sphinx's record of its configuration: no use to a reader.
LEFT_OUT = (".buildinfo",)

_LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"']*)["']""", re.I)


class PublishError(RuntimeError):
    """The folder would not serve as it is; the message lists why."""


def _local_target(page: Path, url: str) -> Path | None:
    """The file ``url`` on ``page`` points to, or None for another host, an anchor, a script URL."""
    parsed = urlparse(url)
    if (
        parsed.scheme
        or parsed.netloc
        or url.startswith(("#", "mailto:", "javascript:", "data:"))
        or not parsed.path
    ):
        return None
    return (page.parent / unquote(parsed.path)).resolve()


def site_problems(folder: str | Path) -> list[str]:
    """Why ``folder`` would not serve as it is from any address: links or resources that are
    absolute (``/...``, ``file:``) or point at no file of the folder, and text naming an
    absolute path of a machine."""
    folder = Path(folder).resolve()
    problems = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(folder).as_posix()
        for found in sorted(set(ABSOLUTE_PATH.findall(text))):
            problems.append(f"{where}: names the absolute path {found}")
        if path.suffix != ".html":
            continue
        for url in sorted(set(_LINK.findall(text))):
            if "{{" in url:
                continue  # a theme's template shipped among the static files, not a page
            if url.startswith(("/", "file:")):
                problems.append(f"{where}: absolute link {url}")
                continue
            target = _local_target(path, url)
            if target is None:
                continue
            if not target.is_relative_to(folder):
                problems.append(f"{where}: link {url} leaves the folder")
            elif not (target.is_file() or (target / "index.html").is_file()):
                problems.append(f"{where}: link {url} points at no file")
    return problems


def _make_portable(folder: Path, rules) -> int:
    """Rewrite the text files of ``folder`` without the machine's paths; how many changed."""
    changed = 0
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            portable = strip_machine_paths(text, rules)
            if portable != text:
                path.write_text(portable, encoding="utf-8", errors="surrogateescape")
                changed += 1
    return changed


def publish(out_dir: str | Path, target: str | Path, progress: Callable[[str], None] = print) -> Path:
    """Copy the book of ``out_dir`` to ``target`` as a folder a static host serves as it is."""
    out_dir, target = Path(out_dir).resolve(), Path(target).resolve()
    html = out_dir / "html"
    if not (html / "index.html").is_file():
        raise PublishError(f"no finished book in {out_dir}: run `lcnec build --out {out_dir}` first")
    if target == out_dir or html.is_relative_to(target) or target.is_relative_to(html):
        raise PublishError(f"publish to a folder of its own, not {target}")
    staging = target.with_name(f".{target.name}.publishing-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(html, staging, ignore=shutil.ignore_patterns(*LEFT_OUT))
    try:
        changed = _make_portable(staging, machine_paths(out_dir))
        (staging / ".nojekyll").write_text("")
        problems = site_problems(staging)
        if problems:
            raise PublishError("the folder would not serve as it is:\n  " + "\n  ".join(problems[:20]))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pdfs = len(list((target / "pdf").glob("*.pdf")))
    progress(
        f"published {sum(1 for _ in target.rglob('*.html'))} pages"
        + (f" and {pdfs} PDFs" if pdfs else " (no PDFs: build with --pdf to add them)")
        + f" to {target} ({changed} files made portable)"
    )
    return target
