"""`lcnec sweep` over a grid of parameter sets, locally (loky) and on a Dask
cluster started by the test: the same rows either way."""

import json
import math

import pytest

from lcnec_utils.build.sweep import SweepError, grid_points, read_grid
from lcnec_utils.cli import EXIT_OK, main

GRID = "landmark_months: [6, 12, 24]\ncovariates: [[age, ecog], default]\n"


def _same(a, b):
    assert len(a) == len(b)
    for ra, rb in zip(a, b):
        assert ra.keys() == rb.keys()
        for k in ra:
            x, y = ra[k], rb[k]
            if isinstance(x, float) and isinstance(y, float):
                assert math.isclose(x, y, rel_tol=0, abs_tol=0), (k, x, y)  # same code, same numbers
            else:
                assert x == y, (k, x, y)


def test_grid_points_are_every_combination_with_default(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text(GRID)
    points = grid_points(read_grid(path))
    assert points == [
        {"landmark_months": 6, "covariates": ["age", "ecog"]},
        {"landmark_months": 6},
        {"landmark_months": 12, "covariates": ["age", "ecog"]},
        {"landmark_months": 12},
        {"landmark_months": 24, "covariates": ["age", "ecog"]},
        {"landmark_months": 24},
    ]
    with pytest.raises(SweepError):
        grid_points({"results_dir": ["x"]})


def test_sweep_on_a_local_dask_cluster_equals_the_local_run(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    grid = tmp_path / "grid.yaml"
    grid.write_text(GRID)
    assert main(["sweep", "--grid", str(grid), "--out", str(tmp_path / "local"), "--jobs", "2"]) == EXIT_OK
    local = json.loads((tmp_path / "local" / "sweep.json").read_text())
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        status = main(
            [
                "sweep",
                "--grid",
                str(grid),
                "--out",
                str(tmp_path / "dask"),
                "--scheduler",
                cluster.scheduler_address,
            ]
        )
        assert status == EXIT_OK
        # the tasks ran on the cluster's workers
        with distributed.Client(cluster.scheduler_address) as client:
            done = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.transition_log))
        assert done > 0
    out = capsys.readouterr().out
    assert "the Dask cluster at tcp://" in out
    remote = json.loads((tmp_path / "dask" / "sweep.json").read_text())
    _same(local, remote)
    assert len(local) == 6
    by_point = {(r["landmark_months"], r["covariates"]): r for r in local}
    assert by_point[(12, "age,ecog")]["os.landmark_rate.treatment"] is not None
    # the landmark changes the landmark rate, the covariate set the adjusted HR, nothing else
    assert (
        by_point[(6, "age,ecog")]["os.landmark_rate.treatment"]
        != by_point[(24, "age,ecog")]["os.landmark_rate.treatment"]
    )
    assert (
        by_point[(6, "age,ecog")]["os.cox_univariable.hr"]
        == by_point[(24, "age,ecog")]["os.cox_univariable.hr"]
    )
    full = next(r for r in local if r["covariates"] != "age,ecog")
    assert full["os.cox_multivariable.hr"] != by_point[(6, "age,ecog")]["os.cox_multivariable.hr"]


def test_a_bad_grid_exits_4(tmp_path, capsys):
    grid = tmp_path / "grid.yaml"
    grid.write_text("landmark_month: [6]\n")
    assert main(["sweep", "--grid", str(grid), "--out", str(tmp_path / "x")]) == 4
    assert "landmark_months" in capsys.readouterr().err


def test_a_sweep_reads_a_hospital_export_through_its_mapping_file_as_build_does(tmp_path):
    """The shipped cohort's date-based SPSS export, read with its mapping file, gives the same rows
    as the shipped CSV."""
    from lcnec_utils.audit.record import SHIPPED_EXPORTS, SHIPPED_MAP

    grid = tmp_path / "grid.yaml"
    grid.write_text("landmark_months: [6, 12]\n")
    assert main(["sweep", "--grid", str(grid), "--out", str(tmp_path / "csv"), "--jobs", "1"]) == EXIT_OK
    sav = next(p for p in SHIPPED_EXPORTS if p.suffix == ".sav")
    argv = ["sweep", "--grid", str(grid), "--out", str(tmp_path / "sav"), "--jobs", "1"]
    assert main(argv + ["--data", str(sav), "--map", str(SHIPPED_MAP)]) == EXIT_OK
    csv_rows = json.loads((tmp_path / "csv" / "sweep.json").read_text())
    sav_rows = json.loads((tmp_path / "sav" / "sweep.json").read_text())
    _same(csv_rows, sav_rows)
