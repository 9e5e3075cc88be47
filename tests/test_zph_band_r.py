"""Chapter 11's β(t) spline and band against what R's ``plot.cox.zph`` draws, computed live.

``tests/r/zph_band_reference.R`` fits ``coxph`` (Efron ties) to a design matrix written to CSV, calls
``plot(cox.zph(fit), var = term)`` with its defaults on a null device and records, by tracers on
graphics' ``points.default`` and ``lines.default``, the points and the three lines R draws: the
natural-spline fit at ``nsmo`` points and the ±2 SE lines. Nothing from R is pasted here; the data
are: the book's shipped cohort (arm-only model per endpoint, the model of the chapter's figure) and
R's ``ovarian`` data (26 rows, ``coxph(Surv(futime, fustat) ~ rx + age)``), pasted below.

Tolerance 1e-6, absolute, on the log-HR scale. If Rscript is missing the tests skip, except with
CI=true.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from r_support import require_r

from lcnec_utils.contract.params import DEFAULT_COHORT, Parameters
from lcnec_utils.methods import ph
from lcnec_utils.stats import cox

pytestmark = pytest.mark.r

R_SCRIPT = Path(__file__).parent / "r" / "zph_band_reference.R"
TOL = 1e-6

#: R's ``survival::ovarian`` (survival 3.5-3): futime, fustat, rx, age.
OVARIAN = [
    (59, 1, 1, 72.3315),
    (115, 1, 1, 74.4932),
    (156, 1, 1, 66.4658),
    (421, 0, 2, 53.3644),
    (431, 1, 1, 50.3397),
    (448, 0, 1, 56.4301),
    (464, 1, 2, 56.9370),
    (475, 1, 2, 59.8548),
    (477, 0, 1, 64.1753),
    (563, 1, 2, 55.1781),
    (638, 1, 1, 56.7562),
    (744, 0, 2, 50.1096),
    (769, 0, 2, 59.6301),
    (770, 0, 2, 57.0521),
    (803, 0, 1, 39.2712),
    (855, 0, 1, 43.1233),
    (1040, 0, 1, 38.8932),
    (1106, 0, 1, 44.6000),
    (1129, 0, 2, 53.9068),
    (1206, 0, 2, 44.2055),
    (1227, 0, 2, 59.5890),
    (268, 1, 1, 74.5041),
    (329, 1, 1, 43.1370),
    (353, 1, 2, 63.2192),
    (365, 1, 2, 64.4247),
    (377, 0, 2, 58.3096),
]


def _ovarian() -> cox.CoxResult:
    frame = pd.DataFrame(OVARIAN, columns=["duration", "event", "rx", "age"]).astype(float)
    frame["event"] = frame["event"].astype(int)
    return cox.fit_design(cox.DesignMatrix(frame, ["rx", "age"], {}, 0, {}), 0.05)


def _cohort_model(endpoint: str) -> cox.CoxResult:
    return cox.univariable_cox(pd.read_csv(DEFAULT_COHORT), endpoint, Parameters())


CASES = {
    "pfs-arm": (lambda: _cohort_model("pfs"), "treatment"),
    "os-arm": (lambda: _cohort_model("os"), "treatment"),
    "ovarian-rx": (_ovarian, "rx"),
    "ovarian-age": (_ovarian, "age"),
}


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """case -> (the fitted CoxResult, the term, what R's plot.cox.zph drew)."""
    require_r("survival")
    out = {}
    for name, (make, term) in CASES.items():
        res = make()
        terms = list(res.model.params_.index)
        folder = tmp_path_factory.mktemp(f"zph-{name}")
        csv, js = folder / "data.csv", folder / "out.json"
        res.data[["duration", "event", *terms]].rename(columns={"duration": "time"}).to_csv(csv, index=False)
        run = subprocess.run(
            [
                "Rscript",
                str(R_SCRIPT),
                f"--data={csv}",
                f"--out={js}",
                f"--terms={','.join(terms)}",
                f"--term={terms.index(term) + 1}",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
        out[name] = (res, term, json.loads(js.read_text()))
    return out


def _r_points(r: dict) -> pd.DataFrame:
    return pd.DataFrame({"g": r["points"]["x"], "beta_t": r["points"]["y"], "var": r["zph_var"]})


@pytest.mark.parametrize("case", CASES)
def test_the_points_are_what_plot_cox_zph_draws(drawn, case):
    """beta_t's g, β(t) and var are cox.zph's x, y and var (the points R plots), up to lifelines' β̂."""
    res, term, r = drawn[case]
    assert r["survival"][0] >= 3 and r["transform"] == 1  # cox.zph's default scale, "km"
    assert r["points"]["x"] == r["zph_x"] and r["points"]["y"] == r["zph_y"]
    pts = ph.beta_t(res, term)
    assert len(pts) == r["events"] == len(r["zph_x"])
    ours = pts.sort_values(["g", "beta_t"])[["g", "beta_t"]].to_numpy()
    theirs = _r_points(r).sort_values(["g", "beta_t"])[["g", "beta_t"]].to_numpy()
    assert np.max(np.abs(ours - theirs)) < TOL
    assert pts["var"].iloc[0] == pytest.approx(r["zph_var"], abs=TOL)
    assert pts["beta"].iloc[0] == pytest.approx(r["coef"], abs=TOL)


@pytest.mark.parametrize("case", CASES)
def test_zph_band_is_the_fit_and_band_plot_cox_zph_draws(drawn, case):
    """ph.zph_band of the book's points is R's spline fit and ±2 SE lines at R's nsmo points."""
    res, term, r = drawn[case]
    assert (r["defaults"]["df"], r["defaults"]["nsmo"]) == (ph.ZPH_DF, ph.ZPH_NSMO)
    band = ph.zph_band(ph.beta_t(res, term))
    assert len(band) == len(r["fit"]["x"]) == ph.ZPH_NSMO
    for col, theirs in (
        ("g", r["fit"]["x"]),
        ("fit", r["fit"]["y"]),
        ("high", r["upper"]),
        ("low", r["lower"]),
    ):
        assert np.max(np.abs(band[col].to_numpy() - np.asarray(theirs))) < TOL, col


@pytest.mark.parametrize("case", CASES)
def test_from_rs_own_points_the_band_is_rs_to_rounding(drawn, case):
    """Given cox.zph's own x, y and var, the spline, the fit and the band are R's to 1e-12: what
    differs above is only lifelines' β̂ (converged to about 1e-9), not the band's arithmetic."""
    _, _, r = drawn[case]
    grid = np.linspace(min(r["zph_x"]), max(r["zph_x"]), ph.ZPH_NSMO)
    basis = ph._ns_basis(np.r_[grid, r["zph_x"]], ph.ZPH_DF)
    theirs = np.asarray(r["ns"]).reshape(basis.shape, order="F")
    assert np.max(np.abs(basis - theirs)) < 1e-12  # splines::ns itself, not only its span
    band = ph.zph_band(_r_points(r))
    assert np.max(np.abs(band["fit"].to_numpy() - r["fit"]["y"])) < 1e-12
    assert np.max(np.abs(band["high"].to_numpy() - r["upper"])) < 1e-12
    assert np.max(np.abs(band["low"].to_numpy() - r["lower"])) < 1e-12


def _ticks_as_r(r: dict) -> dict[float, float]:
    return dict(zip(r["axis"]["labels"], r["axis"]["at"], strict=True))  # a time printed twice: once


@pytest.mark.parametrize("case", CASES)
def test_the_axis_is_labelled_in_time_where_r_labels_it(drawn, case):
    """zph_axis_ticks of cox.zph's own x and time gives the times R prints under its transformed axis
    and where it prints them (R's approx and signif arithmetic, to the last bit). From the book's
    points, whose g differs from R's x in the last bits, the same, except that a time falling on a
    rounding tie (PFS: 6.55 months, 6.5 in R) may round to the other neighbour, placed where that
    time lies."""
    res, term, r = drawn[case]
    theirs = _ticks_as_r(r)
    at, labels = ph.zph_axis_ticks(pd.DataFrame({"g": r["zph_x"], "time": r["zph_time"]}))
    assert [float(v) for v in labels] == sorted(theirs)
    assert np.max(np.abs(at - np.array([theirs[v] for v in sorted(theirs)]))) < 1e-12
    pts = ph.beta_t(res, term)
    at, labels = ph.zph_axis_ticks(pts)
    assert len(labels) == len(theirs)
    for a, ours, (r_label, r_at) in zip(at, map(float, labels), sorted(theirs.items()), strict=True):
        if ours != r_label:  # a tie: both are the unrounded time's neighbours at 2 digits
            assert abs(ours - r_label) == pytest.approx(10 ** (math.floor(math.log10(r_label)) - 1))
            assert a == pytest.approx(np.interp(ours, pts["time"], pts["g"]), abs=TOL)
        else:
            assert a == pytest.approx(r_at, abs=TOL)
