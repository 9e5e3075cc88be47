"""Sweeps over parameter sets, locally or on a Dask cluster.

``lcnec sweep --grid grid.yaml [--scheduler ADDRESS] [--out DIR]`` runs the
book's analysis functions once per point of a grid of parameters and writes
one table of headline numbers per point (``sweep.csv`` and ``sweep.json``).
A grid file lists values per parameter; the points are every combination::

    landmark_months: [6, 12, 24]
    covariates: [[age, ecog], default]     # "default": the book's default value
    alpha: [0.05]

A point runs the *analysis functions* (``survival_results``,
``followup_results``, ``cox_results``), not the whole HTML book:
rendering is a single-machine, file-system job (Sphinx, a staging folder
swapped into place) of ~10 s a point that produces pages nobody compares
across points, while the analysis is a pure function of the data and the
parameters, cheap to ship to any worker and trivially comparable.

Execution goes through joblib: the ``loky`` process backend on this machine,
or the ``dask`` backend on a ``distributed.Client(ADDRESS)`` when a scheduler
is given (``joblib.parallel_config(backend="dask")``), so the same command runs
on a laptop or a cluster. The cohort is read once by the client and sent with
the tasks, so the workers need no access to the client's files. Results do
not depend on the backend (each point is deterministic); a test checks the
Dask result against the local one on a ``LocalCluster``.

The reconstruction ensemble (``lcnec synth --ensemble N --scheduler ADDRESS``)
uses the same path: ``reconstruct.ensemble`` calls ``joblib.Parallel`` without
naming a backend, so it runs on the cluster inside :func:`joblib_backend`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from lcnec_utils.tables.multivariable import cox_results
from lcnec_utils.tables.survival import survival_results

#: The headline numbers of a point (besides the parameters), by results key.
HEADLINE_PATTERNS = (
    "n.total",
    "os.median.reference",
    "os.median.treatment",
    "pfs.median.reference",
    "pfs.median.treatment",
    "os.logrank.p",
    "pfs.logrank.p",
    "os.cox_univariable.hr",
    "os.cox_univariable.ci_low",
    "os.cox_univariable.ci_high",
    "os.cox_univariable.p",
    "pfs.cox_univariable.hr",
    "pfs.cox_univariable.ci_low",
    "pfs.cox_univariable.ci_high",
    "pfs.cox_univariable.p",
    "os.cox_multivariable.hr",
    "os.cox_multivariable.ci_low",
    "os.cox_multivariable.ci_high",
    "os.cox_multivariable.p",
    "pfs.cox_multivariable.hr",
    "pfs.cox_multivariable.ci_low",
    "pfs.cox_multivariable.ci_high",
    "pfs.cox_multivariable.p",
)
LANDMARK_HEADLINES = ("os.{lk}.reference", "os.{lk}.treatment", "pfs.{lk}.reference", "pfs.{lk}.treatment")


class SweepError(ValueError):
    """A grid file that cannot be swept."""


def read_grid(path: str | Path) -> dict[str, list[Any]]:
    grid = yaml.safe_load(Path(path).read_text())
    if not isinstance(grid, dict) or not grid:
        raise SweepError(f"{path}: a grid is a mapping of parameter names to lists of values")
    return {k: (v if isinstance(v, list) else [v]) for k, v in grid.items()}


def grid_points(grid: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination, in the order of the file (last parameter varies fastest);
    the value ``default`` stands for the book's default and leaves the parameter out."""
    from lcnec_utils.contract.params import Parameters, make_parameters

    names = list(grid)
    unknown = [n for n in names if n not in Parameters.names() or n == "results_dir"]
    if unknown:
        raise SweepError(
            f"not sweepable parameters: {', '.join(unknown)}; use: "
            + ", ".join(n for n in Parameters.names() if n != "results_dir")
        )
    points = []
    for combo in itertools.product(*(grid[n] for n in names)):
        point = {n: v for n, v in zip(names, combo) if v != "default"}
        make_parameters(point)  # names and types checked before anything runs
        points.append(point)
    return points


def _json_number(value: Any) -> Any:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return value
    return None if not math.isfinite(f) else (int(f) if isinstance(value, int) else f)


def analyse_point(cohort, point: Mapping[str, Any]) -> dict[str, Any]:
    """The headline numbers of one parameter set on ``cohort`` (runs on a worker)."""
    import warnings

    from lcnec_utils.contract.io import arm_role
    from lcnec_utils.contract.params import make_parameters
    from lcnec_utils.stats import survival

    params = make_parameters(dict(point))
    values: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        roles = arm_role(cohort, params.reference_group, params.treatment_group)
        values["n.total"] = int(roles.notna().sum()) if hasattr(roles, "notna") else len(cohort)
        for ep in ("os", "pfs"):
            if survival.has_endpoint(cohort, ep):
                values.update(survival_results(cohort, ep, params))
                values.update(cox_results(cohort, ep, params))
    lk = params.landmark_key
    wanted = list(HEADLINE_PATTERNS) + [p.format(lk=lk) for p in LANDMARK_HEADLINES]
    row: dict[str, Any] = {
        "landmark_months": params.landmark_months,
        "covariates": ",".join(params.covariates),
        "alpha": params.alpha,
        "reference_group": params.reference_group,
        "treatment_group": params.treatment_group,
        "seed": params.seed,
    }
    for key in wanted:
        row[key.replace(f".{lk}.", ".landmark_rate.")] = _json_number(values.get(key))
    return row


@contextlib.contextmanager
def joblib_backend(scheduler: str | None, n_jobs: int = -1) -> Iterator[None]:
    """Run the ``joblib.Parallel`` calls inside on local ``loky`` processes, or on the Dask cluster at ``scheduler``."""
    import joblib

    if not scheduler:
        with joblib.parallel_config(backend="loky", n_jobs=n_jobs):
            yield
        return
    from distributed import Client

    with Client(scheduler, timeout="30s"), joblib.parallel_config(backend="dask", n_jobs=-1):
        yield


def run_sweep(
    grid: Mapping[str, list[Any]],
    data_path: str | None = None,
    ae_path: str | None = None,
    scheduler: str | None = None,
    n_jobs: int = -1,
    *,
    map_path: str | None = None,
    sheet: str | None = None,
) -> list[dict[str, Any]]:
    """The rows of the sweep, one per grid point, in grid order; the cohort is read once, through
    the mapping file ``map_path`` (and Excel ``sheet``) when given, as ``lcnec build`` reads it."""
    from joblib import Parallel, delayed

    from lcnec_utils.contract.io import load_study_of
    from lcnec_utils.contract.params import make_parameters

    points = grid_points(grid)
    read = {"ae_path": ae_path, "map_path": map_path, "sheet": sheet}
    base = make_parameters({"data_path": data_path, **read} if data_path else read)
    study = load_study_of(base)
    cohort = study.cohort
    for point in points:
        if data_path:
            point.setdefault("data_path", str(data_path))
    with joblib_backend(scheduler, n_jobs):
        rows = Parallel()(delayed(analyse_point)(cohort, point) for point in points)
    for i, row in enumerate(rows):
        row["point"] = i
    return rows


def write_sweep(rows: list[dict[str, Any]], out_dir: str | Path) -> list[Path]:
    import pandas as pd

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)
    frame = frame[["point"] + [c for c in frame.columns if c != "point"]]
    csv = out / "sweep.csv"
    frame.to_csv(csv, index=False, lineterminator="\n")
    js = out / "sweep.json"
    js.write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n")
    return [csv, js]


def ensemble_table(n: int, seed: int, n_jobs: int = -1, scheduler: str | None = None):
    """``reconstruct.ensemble`` on local processes or on the Dask cluster at ``scheduler``."""
    from lcnec_utils import reconstruct

    with joblib_backend(scheduler, n_jobs):
        return reconstruct.ensemble(n, seed=seed, n_jobs=-1 if scheduler else n_jobs)
