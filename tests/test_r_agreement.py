"""Agreement with R's survival package, computed live.

``tests/r/survival_reference.R`` runs R (Debian r-base-core + r-cran-survival)
once per dataset on the same CSV the helpers of ``lcnec_utils.stats.survival`` and
``lcnec_utils.stats.cox`` read, and writes JSON; nothing from R is pasted here.

Datasets: the shipped cohort (OS and PFS, arm alone and the paper's
covariates), and public data shipped inside lifelines: Rossi (recidivism, arm =
financial aid, 6 covariates), Waltons (two groups, heavy ties), the NCCTG lung
data (arm = sex, covariates with missing values: complete cases), and a tiny
hand-made data set that puts the Kaplan-Meier curve on a flat step at 0.5.

Tolerance ``TOL = 1e-4``:
  * absolute for probabilities (S(t), band limits, landmark rates and CIs),
    p-values, and for times (medians, CI limits: data values, so any mismatch
    is a whole step), RMST (same unit as the time) and event counts;
  * relative for Cox coefficients, SEs, hazard ratios and their CIs, the
    log-rank chi-square and expected counts, log-scale standard errors, the
    RMST standard error and the proportional-hazards statistics (each with an
    absolute floor of 1e-8 for values near 0).

Differences by design, tested as such:
  * Kaplan-Meier median on a flat step exactly at 0.5: ``km_median`` (SPSS/SAS)
    gives the step's start, R the midpoint to the next event time (or the last
    follow-up time); ``median_ci_brookmeyer_crowley`` follows R.
  * Proportional-hazards test: ``cox.schoenfeld_test`` (lifelines
    ``proportional_hazard_test``) is the Grambsch-Therneau (1994) approximation
    that ``cox.zph`` computed before survival 3.0; survival >= 3.0 computes the
    exact score test of adding g(t)·x to the model (full information matrix,
    and for "km" g = 1 - KM at t-, left-continuous). We check ours against the
    old formula computed here in numpy from R's scaled-Schoenfeld ingredients,
    and R's value against a numpy implementation of the score test.
  * Landmark CI where S(t) = 1 after a censored time: R prints NA, ours [1, 1]
    (documented in ``landmark_survival``); checked if it occurs.

Found with this suite and fixed in ``cox.fit_design``: lifelines' default
Newton-Raphson precision (1e-7, a stop on the Newton decrement) left the
coefficient up to ~5e-4·SE from the maximum (flat/os/arm: -0.077904 vs R
-0.078146); the helpers now fit with precision 1e-9.

If Rscript (or library(survival)) is missing the tests skip, except with
CI=true where they fail: run ``make test``, which installs the Debian packages.
"""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from r_support import require_r

from lcnec_utils.contract.params import DEFAULT_COHORT, PAPER_COVARIATES, Parameters
from lcnec_utils.stats import cox
from lcnec_utils.stats import survival as sv
from lcnec_utils.tables.survival import survival_summary

pytestmark = pytest.mark.r

R_SCRIPT = Path(__file__).parent / "r" / "survival_reference.R"
TOL = 1e-4
TRANSFORMS = ("plain", "log", "log-log")
ROLES = ("reference", "treatment")
EPS = math.sqrt(np.finfo(float).eps)  # R's tolerance for "S equals 0.5"


# --------------------------------------------------------------------------
# Data sets (cohort format) and the R runs
# --------------------------------------------------------------------------


@dataclass
class Dataset:
    name: str
    cohort: pd.DataFrame
    reference: str
    treatment: str
    endpoints: list[str]
    covariates: list[str] = field(default_factory=list)
    landmark: float = 12.0
    tau: float | None = None  # RMST horizon; default: the shortest arm's last time

    @property
    def params(self) -> Parameters:
        return Parameters(
            reference_group=self.reference,
            treatment_group=self.treatment,
            landmark_months=self.landmark,
            covariates=list(self.covariates),
        )

    def rmst_tau(self) -> float:
        if self.tau is not None:
            return self.tau
        last = []
        for ep in self.endpoints:
            d = sv.endpoint_data(self.cohort, ep, self.reference, self.treatment).frame
            last += [d.loc[d["role"] == r, "time"].max() for r in ROLES]
        return float(min(last))


def _shipped_cohort() -> Dataset:
    return Dataset(
        "cohort",
        pd.read_csv(DEFAULT_COHORT),
        "Chemo",
        "ICIs + Chemo",
        ["os", "pfs"],
        list(PAPER_COVARIATES),
        landmark=12.0,
    )


def _rossi() -> Dataset:
    from lifelines.datasets import load_rossi

    r = load_rossi()
    cohort = pd.DataFrame(
        {
            "patient_id": [f"r{i}" for i in range(len(r))],
            "group": np.where(r["fin"] == 1, "Aid", "No aid"),
            "os_months": r["week"].astype(float),
            "os_event": r["arrest"].astype(int),
        }
    )
    covs = ["age", "race", "wexp", "mar", "paro", "prio"]
    for c in covs:
        cohort[c] = r[c].to_numpy()
    return Dataset("rossi", cohort, "No aid", "Aid", ["os"], covs, landmark=26.0, tau=52.0)


def _waltons() -> Dataset:
    from lifelines.datasets import load_waltons

    w = load_waltons()
    cohort = pd.DataFrame(
        {
            "patient_id": [f"w{i}" for i in range(len(w))],
            "group": w["group"].to_numpy(),
            "os_months": w["T"].astype(float).to_numpy(),
            "os_event": w["E"].astype(int).to_numpy(),
        }
    )
    return Dataset("waltons", cohort, "control", "miR-137", ["os"], [], landmark=30.0)


def _lung() -> Dataset:
    from lifelines.datasets import load_lung

    lu = load_lung()
    cohort = pd.DataFrame(
        {
            "patient_id": [f"l{i}" for i in range(len(lu))],
            "group": np.where(lu["sex"] == 2, "Female", "Male"),
            "os_months": lu["time"].astype(float).to_numpy(),  # days, whatever the column name
            "os_event": lu["status"].astype(int).to_numpy(),
            "age": lu["age"].to_numpy(),
            "ecog": lu["ph.ecog"].to_numpy(),
            "wt_loss": lu["wt.loss"].to_numpy(),  # 14 missing: complete cases
        }
    )
    return Dataset(
        "lung", cohort, "Male", "Female", ["os"], ["age", "ecog", "wt_loss"], landmark=365.0, tau=730.0
    )


def _flat() -> Dataset:
    # reference: 1..6 all die: S = 5/6, 4/6, 3/6 (exactly 0.5 on [3, 4)), ...
    # treatment: 1, 2, 3+, 4+: S = 0.75, 0.5 and flat at 0.5 to the last time 4
    t = [1, 2, 3, 4, 5, 6, 1, 2, 3, 4]
    e = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    g = ["A"] * 6 + ["B"] * 4
    cohort = pd.DataFrame(
        {
            "patient_id": [f"f{i}" for i in range(10)],
            "group": g,
            "os_months": np.asarray(t, float),
            "os_event": e,
        }
    )
    return Dataset("flat", cohort, "A", "B", ["os"], [], landmark=2.5)


DATASETS = {"cohort": _shipped_cohort, "rossi": _rossi, "waltons": _waltons, "lung": _lung, "flat": _flat}
#: (dataset, endpoint) pairs run by the parametrised tests
CASES = [
    ("cohort", "os"),
    ("cohort", "pfs"),
    ("rossi", "os"),
    ("waltons", "os"),
    ("lung", "os"),
    ("flat", "os"),
]
CASE_IDS = [f"{d}-{e}" for d, e in CASES]


@pytest.fixture(scope="session")
def rscript() -> str:
    return require_r("survival")


@pytest.fixture(scope="session")
def reference(rscript, tmp_path_factory):
    """``reference(name) -> (Dataset, R JSON)``: one Rscript call per data set.

    All calls are started at once (about 1.5 s each, mostly loading R) and
    collected on first use.
    """
    workdir = tmp_path_factory.mktemp("r_agreement")
    running: dict[str, tuple[Dataset, subprocess.Popen, Path]] = {}
    for name, make in DATASETS.items():
        ds = make()
        csv, out = workdir / f"{name}.csv", workdir / f"{name}.json"
        ds.cohort.to_csv(csv, index=False)
        cmd = [
            rscript,
            str(R_SCRIPT),
            f"--data={csv}",
            f"--out={out}",
            f"--reference={ds.reference}",
            f"--treatment={ds.treatment}",
            f"--endpoints={','.join(ds.endpoints)}",
            f"--covariates={','.join(ds.covariates)}",
            f"--landmark={ds.landmark!r}",
            f"--tau={ds.rmst_tau()!r}",
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        running[name] = (ds, proc, out)
    cache: dict[str, tuple[Dataset, dict]] = {}

    def get(name: str):
        if name not in cache:
            ds, proc, out = running[name]
            _, stderr = proc.communicate(timeout=120)
            assert proc.returncode == 0, f"R failed on {name}:\n{stderr}"
            cache[name] = (ds, json.loads(out.read_text()))
        return cache[name]

    yield get
    for _, proc, _ in running.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _arm(ds: Dataset, endpoint: str, role: str | None):
    d = sv.endpoint_data(ds.cohort, endpoint, ds.reference, ds.treatment).frame
    if role not in (None, "pooled"):
        d = d[d["role"] == role]
    return d["time"].to_numpy(), d["event"].to_numpy()


# --------------------------------------------------------------------------
# Comparison helpers
# --------------------------------------------------------------------------


def _nan(x):
    return math.nan if x is None else float(x)


def assert_abs(ours, r, what, tol=TOL):
    """Absolute agreement; None/NaN (ours) must meet null (R's NA) and vice versa."""
    o = np.atleast_1d(np.asarray([_nan(v) for v in np.atleast_1d(np.asarray(ours, dtype=object))]))
    w = np.atleast_1d(np.asarray([_nan(v) for v in np.atleast_1d(np.asarray(r, dtype=object))]))
    assert o.shape == w.shape, f"{what}: {o.shape} values vs R's {w.shape}"
    np.testing.assert_array_equal(np.isnan(o), np.isnan(w), err_msg=f"{what}: NA pattern, ours {o} R {w}")
    ok = ~np.isnan(o)
    np.testing.assert_allclose(o[ok], w[ok], rtol=0, atol=tol, err_msg=what)


def assert_rel(ours, r, what, tol=TOL):
    o = np.atleast_1d(np.asarray(ours, dtype=float))
    w = np.atleast_1d(np.asarray([_nan(v) for v in np.atleast_1d(np.asarray(r, dtype=object))]))
    assert o.shape == w.shape, what
    np.testing.assert_array_equal(np.isnan(o), np.isnan(w), err_msg=f"{what}: NA pattern")
    ok = ~np.isnan(o)
    np.testing.assert_allclose(o[ok], w[ok], rtol=tol, atol=1e-8, err_msg=what)


def _flat_half_step(time, surv, last_time):
    """(start, R's midpoint) of a flat step of S exactly at 0.5, else None."""
    s = np.asarray(surv, float)
    hit = np.flatnonzero(np.abs(s - 0.5) < EPS)
    if not hit.size:
        return None
    i = hit[0]
    nxt = time[i + 1] if i + 1 < len(time) else last_time
    return float(time[i]), (float(time[i]) + float(nxt)) / 2


# --------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name,endpoint", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("role", ["pooled", *ROLES])
def test_km_curve_and_bands(reference, name, endpoint, role):
    """S(t), n at risk, events, std.err (of log S) and the three pointwise bands at every event time."""
    ds, r = reference(name)
    km = r["endpoints"][endpoint]["km"][role]
    t, e = _arm(ds, endpoint, role)
    curve = sv.km_curve(t, e)
    assert curve.n == km["n"] and curve.events == km["events"]
    assert curve.last_time == pytest.approx(km["last_time"], abs=TOL)
    ev = np.asarray(km["n_event"], float) > 0  # R lists censoring-only times too
    r_time = np.asarray(km["time"], float)
    assert_abs(curve.time, r_time[ev], f"{name}/{endpoint}/{role} event times")
    np.testing.assert_array_equal(curve.n_risk, np.asarray(km["n_risk"], float)[ev])
    np.testing.assert_array_equal(curve.n_events, np.asarray(km["n_event"], float)[ev])
    assert_abs(curve.survival, np.asarray(km["surv"], float)[ev], f"{name}/{endpoint}/{role} S(t)")
    r_se = np.asarray([_nan(v) for v in km["std_err"]])[ev]
    finite = np.isfinite(r_se)  # R: Inf/NaN once S = 0
    assert_rel(curve.se_log[finite], r_se[finite], f"{name}/{endpoint}/{role} std.err")
    # every time R lists (censoring-only times too): the step function at that time
    idx = np.searchsorted(curve.time, r_time, side="right") - 1
    step_s = np.where(idx < 0, 1.0, curve.survival[np.maximum(idx, 0)])
    step_se = np.where(idx < 0, 0.0, curve.se_log[np.maximum(idx, 0)])
    assert_abs(step_s, km["surv"], f"{name}/{endpoint}/{role} S(t) at all times")
    r_se_all = np.asarray([_nan(v) for v in km["std_err"]])
    fin = np.isfinite(r_se_all)
    assert_rel(step_se[fin], r_se_all[fin], f"{name}/{endpoint}/{role} std.err at all times")
    for transform in TRANSFORMS:
        lower, upper = sv.pointwise_band(curve, 0.05, transform)
        band = km["band"][transform]
        r_lo = [band["lower"][i] for i in np.flatnonzero(ev)]
        r_hi = [band["upper"][i] for i in np.flatnonzero(ev)]
        assert_abs(lower, r_lo, f"{name}/{endpoint}/{role} {transform} lower")
        assert_abs(upper, r_hi, f"{name}/{endpoint}/{role} {transform} upper")


@pytest.mark.parametrize("name,endpoint", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("role", ["pooled", *ROLES])
def test_median_and_brookmeyer_crowley_ci(reference, name, endpoint, role):
    """quantile(survfit(conf.type = plain/log/log-log), 0.5); km_median except on a flat step at 0.5."""
    ds, r = reference(name)
    km = r["endpoints"][endpoint]["km"][role]
    t, e = _arm(ds, endpoint, role)
    for transform in TRANSFORMS:
        q = km["quantile"][transform]
        ci = sv.median_ci_brookmeyer_crowley(t, e, 0.05, transform)
        what = f"{name}/{endpoint}/{role} {transform}"
        assert_abs([ci.median, ci.ci_low, ci.ci_high], [q["median"], q["lower"], q["upper"]], what)
    r_median = km["quantile"]["log-log"]["median"]
    ours = sv.km_median(t, e)
    ev = np.asarray(km["n_event"], float) > 0
    flat = _flat_half_step(
        np.asarray(km["time"], float)[ev], np.asarray(km["surv"], float)[ev], km["last_time"]
    )
    if flat is None:
        assert_abs(ours, r_median, f"{name}/{endpoint}/{role} median")
    else:  # by design: SPSS/SAS first time S <= 0.5 vs R's midpoint of the flat step
        start, midpoint = flat
        assert ours == pytest.approx(start, abs=TOL)
        assert r_median == pytest.approx(midpoint, abs=TOL)
        assert abs(ours - r_median) > TOL


def test_flat_step_at_half_documented_difference(reference):
    """The tiny data set: both kinds of flat step, both conventions, stated values."""
    ds, r = reference("flat")
    km = r["endpoints"]["os"]["km"]
    # reference arm 1..6 all events: S = 0.5 on [3, 4)
    assert sv.km_median(*_arm(ds, "os", "reference")) == 3.0
    assert km["reference"]["quantile"]["log"]["median"] == 3.5
    # treatment arm 1, 2, 3+, 4+: S = 0.5 from 2 to the last time 4
    assert sv.km_median(*_arm(ds, "os", "treatment")) == 2.0
    assert km["treatment"]["quantile"]["log"]["median"] == 3.0
    for role in ROLES:
        bc = sv.median_ci_brookmeyer_crowley(*_arm(ds, "os", role), transform="log")
        assert bc.median == km[role]["quantile"]["log"]["median"]


@pytest.mark.parametrize("name,endpoint", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("role", ["pooled", *ROLES])
def test_landmark_survival(reference, name, endpoint, role):
    """summary(survfit(conf.type = "log-log"), times = landmark): S, CI, n at risk."""
    ds, r = reference(name)
    lm_r = r["endpoints"][endpoint]["km"][role]["landmark"]
    t, e = _arm(ds, endpoint, role)
    lm = sv.landmark_survival(t, e, ds.landmark)
    what = f"{name}/{endpoint}/{role} S({ds.landmark:g})"
    assert lm.n_risk == lm_r["n_risk"]
    if lm.survival == 1.0 and lm_r["lower"] is None:  # by design, see landmark_survival
        assert (lm.ci_low, lm.ci_high) == (1.0, 1.0) and lm_r["surv"] == 1.0
        return
    assert_abs([lm.survival, lm.ci_low, lm.ci_high], [lm_r["surv"], lm_r["lower"], lm_r["upper"]], what)


@pytest.mark.parametrize("name,endpoint", CASES, ids=CASE_IDS)
def test_rmst_per_arm(reference, name, endpoint):
    """print(survfit, rmean = tau): RMST and its SE per arm; the difference is theirs."""
    ds, r = reference(name)
    km = r["endpoints"][endpoint]["km"]
    tau = ds.rmst_tau()
    res = sv.rmst_difference(ds.cohort, endpoint, ds.params, tau)
    for role in ROLES:
        assert km[role]["rmean"]["tau"] == pytest.approx(tau)
        assert_abs(res.rmst[role], km[role]["rmean"]["rmean"], f"{name}/{endpoint}/{role} rmean")
        assert_rel(res.se[role], km[role]["rmean"]["se"], f"{name}/{endpoint}/{role} se(rmean)")
    assert_abs(
        res.difference,
        km["treatment"]["rmean"]["rmean"] - km["reference"]["rmean"]["rmean"],
        f"{name}/{endpoint} RMST difference",
    )


@pytest.mark.parametrize("name,endpoint", CASES, ids=CASE_IDS)
def test_reverse_km_followup(reference, name, endpoint):
    """survfit(Surv(time, 1 - event) ~ 1, conf.type = "log-log"): median follow-up and its CI."""
    ds, r = reference(name)
    rev = r["endpoints"][endpoint]["reverse"]
    t, e = _arm(ds, endpoint, None)
    fu = sv.reverse_km_followup(t, e)
    assert_abs([fu.ci_low, fu.ci_high], [rev["lower"], rev["upper"]], f"{name}/{endpoint} follow-up CI")
    curve = sv.km_curve(t, 1 - e)
    flat = _flat_half_step(curve.time, curve.survival, curve.last_time) if curve.events else None
    if flat is None:
        assert_abs(fu.median, rev["median"], f"{name}/{endpoint} median follow-up")
    else:  # the flat-step convention again (km_median)
        assert fu.median == pytest.approx(flat[0], abs=TOL)
        assert rev["median"] == pytest.approx(flat[1], abs=TOL)


@pytest.mark.parametrize("name,endpoint", CASES, ids=CASE_IDS)
def test_logrank(reference, name, endpoint):
    """survdiff(Surv(time, event) ~ arm): chisq, p, observed and expected per arm."""
    ds, r = reference(name)
    lr_r = r["endpoints"][endpoint]["logrank"]
    lr = sv.logrank(ds.cohort, endpoint, ds.reference, ds.treatment)
    assert_rel(lr.chi2, lr_r["chisq"], f"{name}/{endpoint} chisq")
    assert_abs(lr.p, lr_r["p"], f"{name}/{endpoint} p")
    assert [lr.observed[k] for k in ROLES] == lr_r["observed"]
    assert_rel([lr.expected[k] for k in ROLES], lr_r["expected"], f"{name}/{endpoint} expected")


@pytest.mark.parametrize("name,endpoint", CASES, ids=CASE_IDS)
def test_survival_summary_table(reference, name, endpoint):
    """survival_summary's R-defined columns: BC log-log CI of the median, landmark rate and CI."""
    ds, r = reference(name)
    km = r["endpoints"][endpoint]["km"]
    table = survival_summary(ds.cohort, endpoint, ds.params)
    for role in ROLES:
        row, q, lm = table.loc[role], km[role]["quantile"]["log-log"], km[role]["landmark"]
        assert row["n"] == km[role]["n"] and row["events"] == km[role]["events"]
        assert_abs(
            [row["median_ci_bc_low"], row["median_ci_bc_high"]],
            [q["lower"], q["upper"]],
            f"{name}/{endpoint}/{role} BC CI",
        )
        if not (row["rate"] == 1.0 and lm["lower"] is None):
            assert_abs(
                [row["rate"], row["rate_ci_low"], row["rate_ci_high"]],
                [lm["surv"], lm["lower"], lm["upper"]],
                f"{name}/{endpoint}/{role} rate",
            )
        # the median column is km_median (flat-step convention: see the median test)
        t, e = _arm(ds, endpoint, role)
        assert row["median"] == sv.km_median(t, e)


# --------------------------------------------------------------------------
# Cox
# --------------------------------------------------------------------------

COX_CASES = [
    (d, e, m)
    for d, e in CASES
    for m in ("arm", "multi")
    if m == "arm" or DATASETS[d] in (_shipped_cohort, _rossi, _lung)
]
COX_IDS = [f"{d}-{e}-{m}" for d, e, m in COX_CASES]


def _r_term(term: str) -> str:
    return "sex_male" if term == "sexMale" else term


def _fit(ds: Dataset, endpoint: str, model: str) -> cox.CoxResult:
    if model == "arm":
        return cox.univariable_cox(ds.cohort, endpoint, ds.params)
    return cox.fit_cox(ds.cohort, endpoint, ds.covariates, ds.params)


@pytest.mark.parametrize("name,endpoint,model", COX_CASES, ids=COX_IDS)
def test_cox_efron(reference, name, endpoint, model):
    """coxph(ties = "efron"): coefficients, SEs, HRs, Wald CIs and p-values, n and events."""
    ds, r = reference(name)
    c = r["endpoints"][endpoint]["cox"][model]
    res = _fit(ds, endpoint, model)
    assert c["warnings"] == [], f"R warned: {c['warnings']}"
    assert res.converged, res.warnings
    assert res.n == c["n"] and res.events == c["nevent"]
    terms = [_r_term(t) for t in c["term"]]
    assert list(res.table["term"]) == terms
    tab = res.table.set_index("term").loc[terms]
    what = f"{name}/{endpoint}/{model}"
    assert_rel(tab["coef"], c["coef"], what + " coef")
    assert_rel(tab["se"], c["se"], what + " se")
    assert_rel(tab["hr"], c["hr"], what + " HR")
    assert_rel(tab["ci_low"], c["lower"], what + " CI low")
    assert_rel(tab["ci_high"], c["upper"], what + " CI high")
    assert_abs(tab["p"], c["p"], what + " p")


def gt_pre3(sch: dict, transform: str) -> np.ndarray:
    """cox.zph before survival 3.0 (Grambsch & Therneau 1994), from R's fit.

    T_j = (sum_k g~_k r*_kj)^2 / (d · V_jj · sum_k g~_k^2), with r* = d · r V the
    scaled Schoenfeld residuals (r: Schoenfeld residuals, V: the model's
    variance matrix), g~ = g - mean(g) over the d events; g = t ("identity")
    or 1 - KM(t) ("km", the right-continuous curve, as survival 2.x).
    """
    resid = np.asarray(sch["resid"], float)
    var = np.atleast_2d(np.asarray(sch["var"], float))
    d = resid.shape[0]
    g = np.asarray(sch["time"] if transform == "identity" else sch["g_km"], float)
    gc = g - g.mean()
    scaled = resid @ var * d
    return (gc @ scaled) ** 2 / (np.diag(var) * d * np.sum(gc**2))


def zph_score_test(design: dict, beta, transform: str) -> np.ndarray:
    """survival >= 3.0 cox.zph: score test of gamma = 0 in h(t) = h0(t) exp(x'beta + g(t) x'gamma).

    Evaluated at the fitted beta with Efron's ties: per event time t_k with d_k
    deaths and l = 0..d_k-1, the Efron-weighted mean xbar_l and variance V_l;
    U_k = sum(x_deaths) - sum_l xbar_l, S_k = sum_l V_l. Information of (beta,
    gamma): [[sum S, sum g S], [sum g S, sum g^2 S]]; score (0, sum g_k U_k).
    g is centred at its mean over the events; "km": g = 1 - KM(t-) (left-continuous).
    Per term j: the score test of gamma_j alone (beta free), as cox.zph(terms = FALSE).
    """
    time = np.asarray(design["time"], float)
    event = np.asarray(design["event"], float).astype(bool)
    x = np.asarray(design["x"], float).reshape(len(time), -1)
    x = x - x.mean(axis=0)
    w = np.exp(x @ np.asarray(beta, float))
    p = x.shape[1]
    ev_times = np.unique(time[event])
    if transform == "identity":
        g_of = dict(zip(ev_times, ev_times))
    else:  # 1 - KM just before t (R: findInterval(..., left.open = TRUE))
        s, g_of = 1.0, {}
        for t in ev_times:
            g_of[t] = 1 - s
            s *= 1 - np.sum(event & (time == t)) / np.sum(time >= t)
    g_ev = np.array([g_of[t] for t in time[event]])
    centre = g_ev.mean()
    u_g = np.zeros(p)
    i_bb, i_bg, i_gg = np.zeros((p, p)), np.zeros((p, p)), np.zeros((p, p))
    for t in ev_times:
        risk, dead = time >= t, event & (time == t)
        k = dead.sum()
        s0r, s1r = w[risk].sum(), w[risk] @ x[risk]
        s2r = (x[risk] * w[risk, None]).T @ x[risk]
        s0d, s1d = w[dead].sum(), w[dead] @ x[dead]
        s2d = (x[dead] * w[dead, None]).T @ x[dead]
        u_k, s_k = x[dead].sum(axis=0), np.zeros((p, p))
        for r in range(k):
            f = r / k
            s0, s1, s2 = s0r - f * s0d, s1r - f * s1d, s2r - f * s2d
            mean = s1 / s0
            u_k = u_k - mean
            s_k += s2 / s0 - np.outer(mean, mean)
        g = g_of[t] - centre
        u_g += g * u_k
        i_bb += s_k
        i_bg += g * s_k
        i_gg += g * g * s_k
    stats_ = np.empty(p)
    for j in range(p):
        kk = list(range(p)) + [p + j]
        full = np.block([[i_bb, i_bg], [i_bg.T, i_gg]])[np.ix_(kk, kk)]
        u = np.zeros(p + 1)
        u[p] = u_g[j]
        stats_[j] = u @ np.linalg.solve(full, u)
    return stats_


@pytest.mark.parametrize("name,endpoint,model", COX_CASES, ids=COX_IDS)
@pytest.mark.parametrize("transform", ["km", "identity"])
def test_proportional_hazards_test_by_design(reference, name, endpoint, model, transform):
    """schoenfeld_test = the pre-3.0 Grambsch-Therneau formula; R 3.x cox.zph = the exact score test.

    Both are reproduced here in numpy from R's own fit (Schoenfeld residuals,
    var, model matrix), so each side is checked against an independent
    computation of the statistic it claims to be; the two statistics differ.
    """
    ds, r = reference(name)
    c = r["endpoints"][endpoint]["cox"][model]
    terms = [_r_term(t) for t in c["term"]]
    ours = cox.schoenfeld_test(_fit(ds, endpoint, model), transform).set_index("term")
    old = gt_pre3(c["schoenfeld"], transform)
    what = f"{name}/{endpoint}/{model} {transform}"
    assert_rel(ours.loc[terms, "test_statistic"], old, what + " ours vs pre-3.0 formula")
    zph = c["zph"][transform]
    r_new = np.asarray(zph["chisq"][: len(terms)], float)
    assert [_r_term(t) for t in zph["term"][: len(terms)]] == terms
    assert_rel(zph_score_test(c["design"], c["coef"], transform), r_new, what + " R cox.zph vs score test")


@pytest.mark.parametrize(
    "name,endpoint",
    [("cohort", "os"), ("cohort", "pfs"), ("rossi", "os")],
    ids=["cohort-os", "cohort-pfs", "rossi-os"],
)
def test_proportional_hazards_statistics_differ(reference, name, endpoint):
    """The documented difference: in the multivariable models the two statistics are not the same.

    They coincide only when the Efron-weighted variance of the covariate in the
    risk set is the same at every event time (then the approximation is exact):
    e.g. Rossi's arm alone, identity transform, 0.000288 both. With several
    covariates on 31 patients they differ by a factor of up to ~10 on the shipped
    cohort, enough to change a p-value's side of 0.05: ours (and lifelines) is
    the survival < 3.0 statistic, not what R prints today.
    """
    _ds, r = reference(name)
    c = r["endpoints"][endpoint]["cox"]["multi"]
    for transform in ("km", "identity"):
        old = gt_pre3(c["schoenfeld"], transform)
        new = np.asarray(c["zph"][transform]["chisq"][: len(old)], float)
        assert np.max(np.abs(old - new) / new) > 0.1, (transform, old, new)


def test_r_version_is_3_or_later(reference):
    """The by-design difference above is for survival >= 3.0 (cox.zph rewritten in 3.0-0)."""
    _, r = reference("rossi")
    major = int(r["survival"].split(".")[0])
    assert major >= 3, f"survival {r['survival']}: cox.zph is the pre-3.0 test; adapt the PH test"


def test_committed_cohort_meets_the_arm_targets_in_r(reference):
    """R's coxph on the committed cohort puts the arm's hazard ratio and interval for death
    within the reconstruction's tolerances of the printed ones (HR 0.05, bounds 0.10), and those for
    progression with the p within 0.02, all together: the reconstruction's two hardest targets,
    checked by an implementation the search never used. The printed numbers come from
    ``data/published.yaml``. The OS upper bound is a known miss (test_reconstruct.KNOWN_MISSED):
    R must miss it as the book's own fit does, to the third decimal."""
    from lcnec_utils.reconstruct.settings import TOLERANCES
    from lcnec_utils.reconstruct.targets import published_targets

    printed = published_targets()
    tolerance = {
        "hr": TOLERANCES["cox_hr"],
        "ci_low": TOLERANCES["cox_ci"],
        "ci_high": TOLERANCES["cox_ci"],
        "p": TOLERANCES["cox_p"],
    }
    _, r = reference("cohort")
    for endpoint in ("os", "pfs"):
        c = r["endpoints"][endpoint]["cox"]["multi"]
        k = c["term"].index("treatment")  # the arm's 0/1 term, as the R script names it
        got = {
            stat: float(c[name][k])
            for stat, name in (("hr", "hr"), ("ci_low", "lower"), ("ci_high", "upper"), ("p", "p"))
        }
        # the OS p is impossible for any data set (the SE floor), so it is not asked for
        stats = ("hr", "ci_low", "ci_high") if endpoint == "os" else ("hr", "ci_low", "ci_high", "p")
        for stat in stats:
            want = printed[f"{endpoint}.cox_multivariable.{stat}"]
            if f"{endpoint}.cox_multivariable.{stat}" == "os.cox_multivariable.ci_high":
                book = _fit(_shipped_cohort(), endpoint, "multi").table.set_index("term").loc["treatment"]
                assert want + tolerance[stat] < got[stat] == pytest.approx(book["ci_high"], abs=1e-3)
                continue
            assert abs(got[stat] - want) <= tolerance[stat], (endpoint, stat, got[stat], want)
