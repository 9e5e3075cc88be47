"""The one check every live-R reference test makes before calling Rscript, and the call itself
for the scripts that read a CSV and write JSON (:func:`run_r_json`).

Without Rscript or an R package a test needs, it skips, except with ``CI=true``, where it fails:
``make test`` installs them (``make system-deps``), so in CI a missing R is a defect, not a skip.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

#: The Debian package of each R package the reference scripts load.
DEBIAN_PACKAGES = {"survival": "r-cran-survival", "mvtnorm": "r-cran-mvtnorm", "cmprsk": "r-cran-cmprsk"}


def skip_or_fail(message: str) -> None:
    """Skip the test with ``message``, or fail it under ``CI=true``."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@functools.cache
def _r_problem(packages: tuple[str, ...]) -> str | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript not found"
    if packages:
        code = "; ".join(f"library({p})" for p in packages)
        proc = subprocess.run([rscript, "-e", code], capture_output=True, text=True)
        if proc.returncode != 0:
            return "an R package is missing (" + proc.stderr.strip().splitlines()[-1] + ")"
    return None


def require_r(*packages: str) -> str:
    """The path of Rscript, after checking that it loads ``packages``; else :func:`skip_or_fail`
    naming the Debian packages to install."""
    problem = _r_problem(tuple(packages))
    if problem:
        debs = ["r-base-core", *(DEBIAN_PACKAGES.get(p, f"r-cran-{p}") for p in packages)]
        skip_or_fail(f"{problem}: run `make test`, which installs the Debian packages {' '.join(debs)}")
    return shutil.which("Rscript")


def run_r_json(script: Path, data: pd.DataFrame, folder: Path, **options: object) -> dict:
    """Run a reference script that reads ``--data=<csv>`` and writes ``--out=<json>``
    (``tests/r/cli_json.R``'s arguments): ``data`` written to ``folder``/data.csv, each of
    ``options`` passed as ``--key=value``; the script must succeed, and its JSON is returned."""
    csv, out = folder / "data.csv", folder / "out.json"
    data.to_csv(csv, index=False)
    args = [f"--{key}={value}" for key, value in options.items()]
    run = subprocess.run(
        ["Rscript", str(script), f"--data={csv}", f"--out={out}", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(out.read_text())
