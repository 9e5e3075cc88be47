"""Chapters 15, 16 and 19 against R, computed live by ``tests/r/immunotherapy_reference.R``.

One Rscript call per (data set, endpoint); nothing from R is pasted here (the pasted values
sit in ``tests/test_immunotherapy_methods.py``). Data sets: the shipped cohort (OS, PFS), and
two public data sets shipped inside lifelines, Rossi (recidivism, arm = financial aid) and
Waltons (heavy ties).

* FH(ρ, 0) against ``survdiff(rho = ρ)``: chi-square, O − E and variance to 1e-6 (absolute);
* FH(0, 1) and FH(1, 1), and the covariances of the four statistics, against the same
  formulas written independently in R from ``survfit`` of the pooled data (relative 1e-9);
* the max-combo p against ``mvtnorm::pmvnorm`` (Genz-Bretz, absolute error 1e-6), to twice
  our error bound; needs Debian's r-cran-mvtnorm;
* the landmark HRs against ``coxph(Surv(time - L, event) ~ arm, subset = time > L)`` (relative
  1e-4, the tolerance of tests/test_r_agreement.py: the book's Cox fits stop at lifelines
  precision 1e-9);
* the Efron partial log-likelihood of the arm against ``coxph(init = β, iter.max = 0)$loglik``.

If Rscript (or library(survival)) is missing the tests skip, except with CI=true where they
fail, as in tests/test_r_agreement.py.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from r_support import require_r, skip_or_fail

from lcnec_utils.contract.params import DEFAULT_COHORT, make_parameters
from lcnec_utils.methods import landmark
from lcnec_utils.stats import posterior, weighted_logrank

pytestmark = pytest.mark.r

R_SCRIPT = Path(__file__).parent / "r" / "immunotherapy_reference.R"
BETAS = (-1.0, -0.25, 0.0, 0.5)


@dataclass
class Case:
    name: str
    cohort: pd.DataFrame
    reference: str
    treatment: str
    endpoint: str
    landmarks: tuple[float, ...]

    @property
    def params(self):
        return make_parameters({"reference_group": self.reference, "treatment_group": self.treatment})

    def arrays(self):
        c = self.cohort[self.cohort["group"].isin([self.reference, self.treatment])]
        return (
            c[f"{self.endpoint}_months"].to_numpy(float),
            c[f"{self.endpoint}_event"].to_numpy(int),
            (c["group"] == self.treatment).to_numpy().astype(int),
        )


def _cohort_case(endpoint: str) -> Case:
    return Case(
        f"cohort-{endpoint}",
        pd.read_csv(DEFAULT_COHORT),
        "Chemo",
        "ICIs + Chemo",
        endpoint,
        (0, 3, 3.25, 4, 5.5),
    )


def _rossi() -> Case:
    from lifelines.datasets import load_rossi

    r = load_rossi()
    cohort = pd.DataFrame(
        {
            "group": np.where(r["fin"] == 1, "Aid", "No aid"),
            "os_months": r["week"].astype(float),
            "os_event": r["arrest"].astype(int),
        }
    )
    return Case("rossi", cohort, "No aid", "Aid", "os", (0, 10, 26))


def _waltons() -> Case:
    from lifelines.datasets import load_waltons

    w = load_waltons()
    cohort = pd.DataFrame(
        {"group": w["group"].to_numpy(), "os_months": w["T"].astype(float), "os_event": w["E"].astype(int)}
    )
    return Case("waltons", cohort, "control", "miR-137", "os", (0, 20, 40))


CASES = {c.name: c for c in (_cohort_case("os"), _cohort_case("pfs"), _rossi(), _waltons())}


@pytest.fixture(scope="module")
def r_values(tmp_path_factory):
    """``r_values(name) -> {name: value}``: every Rscript call started at once, read on first use."""
    rscript = require_r("survival")
    work = tmp_path_factory.mktemp("r_immunotherapy")
    running = {}
    for name, case in CASES.items():
        csv, out = work / f"{name}.csv", work / f"{name}.txt"
        case.cohort.to_csv(csv, index=False)
        cmd = [
            rscript,
            str(R_SCRIPT),
            f"--data={csv}",
            f"--out={out}",
            f"--reference={case.reference}",
            f"--treatment={case.treatment}",
            f"--endpoint={case.endpoint}",
            "--landmarks=" + ",".join(f"{x:g}" for x in case.landmarks),
            "--betas=" + ",".join(f"{b:g}" for b in BETAS),
        ]
        running[name] = (
            subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
            out,
        )
    cache: dict[str, dict[str, float]] = {}

    def get(name: str) -> dict[str, float]:
        if name not in cache:
            proc, out = running[name]
            _, stderr = proc.communicate(timeout=180)
            assert proc.returncode == 0, f"R failed on {name}:\n{stderr}"
            values = {}
            for line in out.read_text().splitlines():
                key, value = line.split(" ", 1)
                values[key] = float("nan") if value == "NA" else float(value)
            cache[name] = values
        return cache[name]

    yield get
    for proc, _ in running.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("rho", [0, 1])
def test_fh_rho_0_equals_survdiff(r_values, name, rho):
    r = r_values(name)
    ours = weighted_logrank.fleming_harrington(*CASES[name].arrays(), rho, 0)
    assert ours.chi2 == pytest.approx(r[f"survdiff.rho{rho}.chisq"], abs=1e-6)
    assert ours.u == pytest.approx(r[f"survdiff.rho{rho}.o_minus_e"], abs=1e-6)
    assert ours.variance == pytest.approx(r[f"survdiff.rho{rho}.var"], abs=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_fh_statistics_and_covariances_equal_an_independent_r_computation(r_values, name):
    r = r_values(name)
    time, event, arm = CASES[name].arrays()
    for rho, gamma in weighted_logrank.MAX_COMBO_WEIGHTS:
        ours = weighted_logrank.fleming_harrington(time, event, arm, rho, gamma)
        assert ours.u == pytest.approx(r[f"fh.{rho:g}_{gamma:g}.u"], rel=1e-9, abs=1e-12)
        assert ours.variance == pytest.approx(r[f"fh.{rho:g}_{gamma:g}.var"], rel=1e-9)
    cov = weighted_logrank.weighted_logrank_covariance(weighted_logrank.event_time_table(time, event, arm))
    r_cov = np.array([[r[f"fh.cov.{a}.{b}"] for b in range(1, 5)] for a in range(1, 5)])
    np.testing.assert_allclose(cov, r_cov, rtol=1e-9)


@pytest.mark.parametrize("name", list(CASES))
def test_max_combo_p_equals_mvtnorm(r_values, name):
    r = r_values(name)
    if "maxcombo.p" not in r:
        skip_or_fail("R's mvtnorm package not found: install Debian's r-cran-mvtnorm")
    ours = weighted_logrank.max_combo(*CASES[name].arrays())
    tolerance = 2 * weighted_logrank.MVN_ABSEPS + r["maxcombo.error"]
    assert ours.p == pytest.approx(r["maxcombo.p"], abs=tolerance)


@pytest.mark.parametrize("name", list(CASES))
def test_landmark_hr_equals_coxph_on_the_landmark_subset(r_values, name):
    r = r_values(name)
    case = CASES[name]
    curve = landmark.landmark_curve(case.cohort, case.endpoint, case.params, case.landmarks)
    for lm in case.landmarks:
        row = curve.loc[np.isclose(curve["landmark"], lm)].iloc[0]
        what = f"{name} landmark {lm:g}"
        assert row["hr"] == pytest.approx(r[f"landmark.{lm:g}.hr"], rel=1e-4), what
        assert row["ci_low"] == pytest.approx(r[f"landmark.{lm:g}.lower"], rel=1e-4), what
        assert row["ci_high"] == pytest.approx(r[f"landmark.{lm:g}.upper"], rel=1e-4), what
        assert row["p"] == pytest.approx(r[f"landmark.{lm:g}.p"], abs=1e-4), what
        assert row["n_at_risk_treatment"] + row["n_at_risk_reference"] == r[f"landmark.{lm:g}.n"], what


@pytest.mark.parametrize("name", list(CASES))
def test_arm_partial_loglik_equals_coxph_loglik(r_values, name):
    r = r_values(name)
    ours = posterior.arm_partial_loglik(*CASES[name].arrays(), np.array(BETAS))
    np.testing.assert_allclose(ours, [r[f"loglik.{i}"] for i in range(1, len(BETAS) + 1)], rtol=1e-10)
    at_max = posterior.arm_partial_loglik(*CASES[name].arrays(), r["cox.coef"])[0]
    assert at_max == pytest.approx(r["cox.loglik"], rel=1e-10)
