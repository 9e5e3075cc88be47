"""The test session's two longest pure computations, started in a process of their own when the
session begins so that they fill the core the single-threaded tests leave idle (about 5 of the
suite's 23 minutes on 2 cores; ``conftest.py`` starts it, the fixtures wait for its files).

    python tests/background_search.py OUT_DIR

Writes, each file renamed into place when complete:

- ``reconstruction.pkl``: ``reconstruct(DEFAULT_SEED)`` (the ``default_reconstruction`` fixture);
- ``witnesses.pkl``: each committed witness's schedule run from that reconstruction's state before
  its last step (``reach.witness_start``) onto the committed cohort's rows
  (``reach.schedule_witness``, what ``benchmarks/table4_reach.py --write`` saves), both at once in
  a pool of two processes (the ``made_by_schedules`` fixture), keyed by file name.

Nothing here asserts: the tests compare what it wrote with the committed files. Run alone, it
computes exactly what the fixtures computed in the test process before (the reconstruction does not
depend on its process, ``test_the_joint_search_does_not_depend_on_the_number_of_processes``).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import pickle
import sys
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # as conftest.py sets them for the test process


def witness_schedules() -> dict[str, str]:
    """Each committed witness's file name and the schedule that makes it (``reach.SCHEDULES``)."""
    from lcnec_utils import reconstruct

    return {reconstruct.WITNESS_FILE: "long", reconstruct.KEPT_WITNESS_FILE: "table4_stage"}


def _dump(obj, path: Path) -> None:
    partial = path.with_suffix(".partial")
    with partial.open("wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)


def make_witnesses(reconstruction) -> dict:
    """Each committed witness's schedule run from ``reconstruction``'s state before its last step
    (``reach.witness_start``) onto the committed cohort's rows, both at once in a pool of two
    processes, keyed by file name (about 4 minutes each on one core)."""
    import pandas as pd

    from lcnec_utils.contract.params import DEFAULT_COHORT
    from lcnec_utils.reconstruct import reach

    cohort, start = pd.read_csv(DEFAULT_COHORT), reach.witness_start(reconstruction)
    names = witness_schedules()
    with cf.ProcessPoolExecutor(max_workers=len(names), mp_context=mp.get_context("spawn")) as pool:
        jobs = {
            name: pool.submit(reach.schedule_witness, cohort, s, start=start) for name, s in names.items()
        }
        return {name: job.result() for name, job in jobs.items()}


def main(out: Path) -> None:
    from lcnec_utils import reconstruct

    made = reconstruct.reconstruct(reconstruct.DEFAULT_SEED)
    _dump(made, out / "reconstruction.pkl")
    _dump(make_witnesses(made), out / "witnesses.pkl")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
