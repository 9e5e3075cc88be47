"""The one check every live-R reference test makes before calling Rscript.

Without Rscript or an R package a test needs, it skips, except with ``CI=true``, where it fails:
``make test`` installs them (``make system-deps``), so in CI a missing R is a defect, not a skip.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

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
