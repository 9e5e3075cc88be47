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

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from r_support import require_r, run_r_json

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
        data = res.data[["duration", "event", *terms]].rename(columns={"duration": "time"})
        r = run_r_json(
            R_SCRIPT, data, tmp_path_factory.mktemp(f"zph-{name}"), terms=",".join(terms),
            term=terms.index(term) + 1,
        )  # fmt: skip
        out[name] = (res, term, r)
    return out


def _r_points(r: dict) -> pd.DataFrame:
    return pd.DataFrame({"g": r["points"]["x"], "beta_t": r["points"]["y"], "var": r["zph_var"]})


@pytest.mark.parametrize("case", CASES)
def test_the_points_are_what_plot_cox_zph_draws(drawn, case):
    """beta_t's g, β(t) and var are cox.zph's x, y and var (the points R plots), up to lifelines' β̂;
    g, which does not depend on β̂, is cox.zph's x to the last bit (ph.km_before: survfitKM's
    arithmetic) and the times are cox.zph's."""
    res, term, r = drawn[case]
    assert r["survival"][0] >= 3 and r["transform"] == 1  # cox.zph's default scale, "km"
    assert r["points"]["x"] == r["zph_x"] and r["points"]["y"] == r["zph_y"]
    pts = ph.beta_t(res, term)
    assert len(pts) == r["events"] == len(r["zph_x"])
    assert pts["time"].tolist() == r["zph_time"]  # both in time order
    assert pts["g"].tolist() == r["zph_x"]
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
    """zph_axis_ticks gives the times R prints under its transformed axis and where it prints them,
    to the last bit: from cox.zph's own x and time, and from the book's points, whose g is cox.zph's
    x to the last bit, so that a time falling on a rounding tie (PFS: 6.55 months) rounds as R
    rounds it (6.5). R prints a time twice after rounding at the same place (OS: 12); it is kept once."""
    res, term, r = drawn[case]
    theirs = _ticks_as_r(r)
    for pts in (pd.DataFrame({"g": r["zph_x"], "time": r["zph_time"]}), ph.beta_t(res, term)):
        at, labels = ph.zph_axis_ticks(pts)
        assert [float(v) for v in labels] == sorted(theirs)
        assert at.tolist() == [theirs[v] for v in sorted(theirs)]


#: Matrices for R's ``qr()$rank``: a random full-rank one, one with a column a multiple of another up
#: to noise at the scales below (R's tol 1e-7 relative to the column's norm decides), a zero column.
QR_NOISE = (1e-3, 1e-6, 1e-8, 1e-10, 1e-13)


def _qr_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    out = [rng.normal(size=(9, 4))]
    for noise in QR_NOISE:
        m = rng.normal(size=(9, 4))
        m[:, 2] = 2 * m[:, 0] - m[:, 1] + noise * rng.normal(size=9)
        out.append(m)
    zero = rng.normal(size=(6, 3))
    zero[:, 0] = 0.0
    out.append(zero)
    pts = pd.DataFrame({"g": [0.0, 0.0, 0.2, 0.2, 0.5, 0.5], "beta_t": 0.1, "var": 1.0})
    grid = np.linspace(0.0, 0.5, ph.ZPH_NSMO)  # 3 distinct event times for 4 df
    out.append(ph._ns_basis(np.r_[grid, pts["g"]], ph.ZPH_DF)[ph.ZPH_NSMO :])
    return out


def test_the_spline_fit_is_singular_where_rs_qr_says_so(tmp_path):
    """ph._r_qr_rank is R's ``qr(x)$rank`` (LINPACK dqrdc2, tol 1e-7), by which plot.cox.zph skips a
    term: on near-collinear columns at several noise levels, where numpy's SVD rank can disagree, a
    zero column, and the spline basis of 3 distinct event times (4 df: singular, no band)."""
    require_r()
    cases = _qr_cases()
    text = "\n".join(
        f"{m.shape[0]} {m.shape[1]} " + " ".join(f"{v:.17g}" for v in m.flatten(order="F")) for m in cases
    )
    (tmp_path / "m.txt").write_text(text + "\n")
    code = (
        f'for (l in readLines("{tmp_path / "m.txt"}")) {{ v <- as.numeric(strsplit(l, " ")[[1]]); '
        'cat(qr(matrix(v[-(1:2)], v[1], v[2]))$rank, "\\n") }'
    )
    run = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    theirs = [int(v) for v in run.stdout.split()]
    assert [ph._r_qr_rank(m) for m in cases] == theirs
    assert theirs[0] == 4 and theirs[-1] < ph.ZPH_DF and 3 in theirs[1:-2] and 4 in theirs[1:-2]
    assert any(np.linalg.matrix_rank(m) != r for m, r in zip(cases, theirs, strict=True))  # not numpy's
