"""Shared fixtures: each whole-book build, and the default seed's reconstruction, is made once
per test session.

A test that asks for one of these builds (directly or through another fixture)
is a ``book`` test whether or not it is marked, so ``make test-fast`` never
builds a book by accident.

The tests run with one BLAS thread (as the build's workers do): their matrices
are small, and on a busy 2-core machine OpenBLAS's waiting threads turned 5 s
of work into 70 s of CPU. Set before numpy is first imported.

The default seed's reconstruction and the witnesses' schedules (about 5 minutes of both cores)
run in a process of their own from the moment the session knows it needs them
(``background_search.py``), beside the tests that leave a core idle; their fixtures wait for
its files.
"""

import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from lcnec_utils.cli import main  # noqa: E402
from lcnec_utils.contract.params import DEFAULT_COHORT  # noqa: E402

BOOK_FIXTURES = {"default_build", "minimal_build"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items):
    for item in items:
        if BOOK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.book)


#: The background process (``background_search.py``) and its folder, once started.
_BACKGROUND: dict = {}


def pytest_collection_finish(session):
    """Start ``background_search.py`` when a selected test needs the default reconstruction."""
    if not any("default_reconstruction" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    out = Path(tempfile.mkdtemp(prefix="lcnec-background-"))
    log = (out / "log.txt").open("wb")
    script = Path(__file__).with_name("background_search.py")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(out)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    _BACKGROUND.update(proc=proc, out=out, log=log)


def pytest_sessionfinish(session):
    proc = _BACKGROUND.get("proc")
    if proc is None:
        return
    if proc.poll() is None:  # a run that stopped before needing it all: stop its pool too
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
    _BACKGROUND["log"].close()
    shutil.rmtree(_BACKGROUND["out"], ignore_errors=True)


def background_result(name: str):
    """What ``background_search.py`` wrote as ``name``, waiting for it. :func:`pytest_collection_finish`
    starts it for every session with a test that needs the default reconstruction, the only fixtures
    that ask; a failed run raises with its log."""
    proc = _BACKGROUND.get("proc")
    if proc is None:
        raise RuntimeError(f"background_search.py was not started, so there is no {name}")
    path = _BACKGROUND["out"] / name
    while not path.exists():
        if proc.poll() is not None and not path.exists():
            log = (_BACKGROUND["out"] / "log.txt").read_text(errors="replace")
            raise RuntimeError(f"background_search.py exited with {proc.returncode} before {name}:\n{log}")
        time.sleep(0.5)
    with path.open("rb") as f:
        return pickle.load(f)


@pytest.fixture(scope="session")
def default_reconstruction():
    """``reconstruct(DEFAULT_SEED)`` (about a minute on 2 cores, made by ``background_search.py``
    from the session's start): the committed files are what it writes, and the witnesses'
    schedules start from its state before the search's last step."""
    return background_result("reconstruction.pkl")


@pytest.fixture(scope="session")
def default_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("book") / "build"
    status = main(["build", "--out", str(out)])
    assert status == 0
    return out


@pytest.fixture(scope="session")
def minimal_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("minimal")
    cohort = pd.read_csv(DEFAULT_COHORT)[["patient_id", "group", "os_months", "os_event"]]
    path = folder / "required_only.csv"
    cohort.to_csv(path, index=False)
    out = folder / "build"
    status = main(["build", "--data", str(path), "--out", str(out)])
    assert status == 0
    return out


@pytest.fixture(scope="session")
def default_pdf_build(default_build):
    """The shipped cohort's book with its print edition (``lcnec build --pdf`` on the
    up-to-date book adds the PDFs and the download links to the same folder)."""
    assert main(["build", "--pdf", "--out", str(default_build)]) == 0
    return default_build


@pytest.fixture(scope="session")
def minimal_pdf_build(minimal_build):
    """The required-columns-only cohort's book with its print edition."""
    cohort = minimal_build.parent / "required_only.csv"
    assert main(["build", "--pdf", "--data", str(cohort), "--out", str(minimal_build)]) == 0
    return minimal_build
