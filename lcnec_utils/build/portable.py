"""Absolute paths of the build machine, and text without them.

A finished book names the machine it was built on in a few places: the
rebuild command (``--out /home/.../build``), the executed notebooks'
papermill metadata and injected parameters, ``audit.json``'s cohort path.
What is published (the site, the PDF) says the same relative to the project
(``data/lcnec_synthetic_cohort.csv``), or names the file alone when it lies
outside the project.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

from lcnec_utils.contract.params import PROJECT_ROOT

#: An absolute path under one of the usual roots of a Unix machine: what a published file must not hold.
ABSOLUTE_PATH = re.compile(r"(?<![\w.~/:-])/(?:home|root|tmp|work|Users|var|opt|mnt|srv|private)/[\w.+-]+")


#: The end of the staging folder a build executed its notebooks in (``<parent>/.<out>.staging-<pid>/``).
_STAGING = re.compile(r"/\.([\w.+-]+?)\.staging-\d+/")
_PATH_ENDS = " \t\r\n\"'<>"


def _drop_staging(text: str) -> str:
    """``text`` without the staging folders' paths (what follows them stays)."""
    if ".staging-" not in text:
        return text
    pieces, done = [], 0
    for match in _STAGING.finditer(text):
        # back to the start of the path: a regex cannot search backwards, and a forward one
        # tried at every slash of a long image string takes seconds
        start = max(text.rfind(end, done, match.start()) for end in _PATH_ENDS) + 1
        pieces.append(text[done : max(start, done)])
        done = match.end()
    return "".join(pieces) + text[done:]


def _replace(literal: str, pattern: re.Pattern, replacement: str, text: str) -> str:
    return pattern.sub(replacement, text) if literal in text else text


def _recorded_folders(out_dir: Path) -> tuple[set[str], set[str], set[str]]:
    """The project folder the build ran in, the folders of the data files it read and the
    output folder it was built for (from the executed notebooks' papermill record and
    audit.json): a book may have been moved since."""
    projects, data, built_in = {str(PROJECT_ROOT)}, set(), set()
    try:
        cohort = json.loads((out_dir / "audit.json").read_text()).get("cohort", {})
        if cohort.get("data_path"):
            data.add(os.path.dirname(str(cohort["data_path"])))
    except (OSError, ValueError):
        pass
    for notebook in sorted((out_dir / "notebooks").glob("*.ipynb"))[:1]:
        papermill = json.loads(notebook.read_text()).get("metadata", {}).get("papermill", {})
        for key in ("data_path", "ae_path"):
            value = papermill.get("parameters", {}).get(key)
            if value:
                data.add(os.path.dirname(str(value)))
        if papermill.get("input_path"):
            projects.add(str(Path(papermill["input_path"]).parent.parent))
        output = str(papermill.get("output_path", ""))
        staging = _STAGING.search(output)
        if staging and output.startswith("/"):
            built_in.add(output[: staging.start()] + "/" + staging.group(1))
    return (
        {f for f in projects if f != "/"},
        {f for f in data if f.startswith("/") and f != "/"},
        {f for f in built_in if f.startswith("/")},
    )


def machine_paths(out_dir: str | Path) -> list[Callable[[str], str]]:
    """Rules (text -> text) that make ``out_dir``'s text name no folder of the machine: the
    build's staging folder goes, the output folder becomes its name, the project's and the
    data's folders go (their files keep their names), the home folder becomes ``~``."""
    out_dir = Path(out_dir).resolve()

    def prefix(folder: str, replacement: str = "") -> Callable[[str], str]:
        return partial(_replace, folder, re.compile(re.escape(folder.rstrip("/")) + r"/"), replacement)

    projects, data, built_in = _recorded_folders(out_dir)
    rules: list[Callable[[str], str]] = [_drop_staging]
    for folder in sorted({str(out_dir), *built_in}, key=len, reverse=True):
        rules.append(
            partial(_replace, folder, re.compile(re.escape(folder) + r"(?![\w.-])"), Path(folder).name)
        )
    # the project first, so that a data file inside it keeps its place there (data/...)
    rules += [prefix(folder) for folder in sorted(projects, key=len, reverse=True)]
    rules += [prefix(folder) for folder in sorted(data, key=len, reverse=True)]
    home = str(Path.home())
    if home != "/":
        rules.append(prefix(home, "~/"))
    return rules


def strip_machine_paths(text: str, rules: list[Callable[[str], str]]) -> str:
    """``text`` with :func:`machine_paths`'s rules applied in order."""
    for rule in rules:
        text = rule(text)
    return text
