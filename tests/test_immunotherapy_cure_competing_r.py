"""Chapters 17 and 18 against R, computed live by ``tests/r/cure_competing_reference.R``.

* The Weibull mixture cure model: no R package for it is in Debian (``flexsurvcure``,
  ``smcure`` and ``flexsurv`` are not packaged), so the likelihood is written out in R and
  maximised with ``optim``; the maximum log-likelihood (1e-6), the parameters, the profile
  log-likelihood at six cure fractions (1e-7) and the profile-likelihood interval (1e-6), on the
  shipped arms (OS, PFS) and on a seeded data set with a plateau.
* The cumulative incidence against ``cmprsk::cuminc`` (Debian's r-cran-cmprsk) at every point of
  cuminc's curves to 1e-6, and Gray's test (statistic and p to 1e-6): on the shipped cohort's
  first irAEs (irAEs in one arm only, as the chapter runs it), a hand example, the hand example
  with no irAE in one group, and seeded data sets with heavy ties and with irAEs in both arms
  (two and three groups).

If Rscript, or cmprsk for the competing-risks cases, is missing the tests skip, except with
CI=true where they fail, as in tests/test_r_agreement.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from r_support import require_r, skip_or_fail

sys.path.insert(0, str(Path(__file__).parent))
from test_immunotherapy_cure_competing import HAND_GROUP, HAND_STATUS, HAND_TIME, ONE_ARM_STATUS, plateau_data

from lcnec_utils.contract.io import load_study
from lcnec_utils.contract.params import make_parameters
from lcnec_utils.methods import irae_incidence
from lcnec_utils.stats import competing_risks, cure

pytestmark = pytest.mark.r

R_SCRIPT = Path(__file__).parent / "r" / "cure_competing_reference.R"
PARAMS = make_parameters()
PROFILE_AT = (0, 0.05, 0.1, 0.2, 0.3, 0.5)


def _cure_cases() -> dict[str, pd.DataFrame]:
    cohort = pd.read_csv(PARAMS.data_path)
    cases = {}
    for ep in ("os", "pfs"):
        for role, group in (("treatment", PARAMS.treatment_group), ("reference", PARAMS.reference_group)):
            arm = cohort[cohort["group"] == group]
            cases[f"{ep}-{role}"] = pd.DataFrame({"time": arm[f"{ep}_months"], "event": arm[f"{ep}_event"]})
    t, e = plateau_data()
    cases["plateau"] = pd.DataFrame({"time": t, "event": e})
    return cases


def _both_arms(seed: int, groups: tuple[str, ...]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 40 * len(groups)
    return pd.DataFrame(
        {
            "time": np.round(rng.exponential(8, n), 0) + 1,  # whole months: many ties
            "status": rng.choice([0, 1, 2], n, p=[0.3, 0.35, 0.35]),
            "group": rng.choice(list(groups), n),
        }
    )


def _competing_cases() -> dict[str, pd.DataFrame]:
    study = load_study(PARAMS.data_path, PARAMS.ae_path, PARAMS.reference_group, PARAMS.treatment_group)
    data = irae_incidence.first_irae_data(study.cohort, study.adverse_events, PARAMS).frame
    return {
        "cohort": data[["time", "status", "role"]].rename(columns={"role": "group"}),
        "hand": pd.DataFrame({"time": HAND_TIME, "status": HAND_STATUS, "group": HAND_GROUP}),
        "hand-one-arm": pd.DataFrame({"time": HAND_TIME, "status": ONE_ARM_STATUS, "group": HAND_GROUP}),
        "two-arms": _both_arms(11, ("reference", "treatment")),
        "three-groups": _both_arms(12, ("a", "b", "c")),
    }


CURE = _cure_cases()
COMPETING = _competing_cases()


@pytest.fixture(scope="module")
def r_values(tmp_path_factory):
    """``r_values(mode, name) -> {name: value}``: every Rscript call started at once, read on first use."""
    rscript = require_r()
    work = tmp_path_factory.mktemp("r_cure_competing")
    running = {}
    for mode, cases in (("cure", CURE), ("competing", COMPETING)):
        for name, frame in cases.items():
            csv, out = work / f"{mode}-{name}.csv", work / f"{mode}-{name}.txt"
            frame.to_csv(csv, index=False)
            cmd = [rscript, str(R_SCRIPT), f"--mode={mode}", f"--data={csv}", f"--out={out}"]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            running[(mode, name)] = (proc, out)
    cache: dict = {}

    def get(mode: str, name: str) -> dict[str, float]:
        if (mode, name) not in cache:
            proc, out = running[(mode, name)]
            _, stderr = proc.communicate(timeout=180)
            if mode == "competing" and "there is no package called 'cmprsk'" in stderr:
                skip_or_fail("R's cmprsk package not found: install Debian's r-cran-cmprsk")
            assert proc.returncode == 0, f"R failed on {mode} {name}:\n{stderr}"
            cache[(mode, name)] = {
                k: float(v) for k, v in (line.split(" ", 1) for line in out.read_text().splitlines())
            }
        return cache[(mode, name)]

    yield get
    for proc, _ in running.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("name", list(CURE))
def test_cure_model_equals_r_optim(r_values, name):
    r = r_values("cure", name)
    t, e = CURE[name]["time"].to_numpy(float), CURE[name]["event"].to_numpy(int)
    fit = cure.fit_weibull_cure(t, e)
    top = max(fit.loglik, cure.profile_loglik(fit.cure_fraction, t, e, (fit.scale, fit.shape))[0])
    assert top == pytest.approx(r["cure.loglik"], abs=1e-6)
    assert fit.cure_fraction == pytest.approx(r["cure.c"], abs=1e-3)
    assert (fit.scale, fit.shape) == pytest.approx((r["cure.lambda"], r["cure.rho"]), rel=1e-3)
    for c in PROFILE_AT:
        assert cure.profile_loglik(c, t, e)[0] == pytest.approx(r[f"profile.c{c:g}.loglik"], abs=1e-7), c
    ci = cure.cure_fraction_interval(t, e, fit)
    assert (ci.low, ci.high) == pytest.approx((r["profile.lower"], r["profile.upper"]), abs=1e-6)


def _r_curve(r: dict[str, float], group: str) -> list[tuple[float, float]]:
    points, k = [], 1
    while f"cif.{group}.{k}.time" in r:
        points.append((r[f"cif.{group}.{k}.time"], r[f"cif.{group}.{k}.est"]))
        k += 1
    return points


@pytest.mark.parametrize("name", list(COMPETING))
def test_cumulative_incidence_equals_cuminc_at_every_point(r_values, name):
    r = r_values("competing", name)
    frame = COMPETING[name]
    for group, arm in frame.groupby("group"):
        ours = competing_risks.aalen_johansen(arm["time"], arm["status"])
        points = _r_curve(r, str(group))
        assert points, group
        # cuminc draws each step twice (the value before, then after); the last value at a time is the
        # right-continuous estimate there
        at = {t: est for t, est in points}
        for t, est in at.items():
            assert competing_risks.value_at(ours, t) == pytest.approx(est, abs=1e-6), (name, group, t)


@pytest.mark.parametrize("name", list(COMPETING))
def test_gray_test_equals_cuminc(r_values, name):
    r = r_values("competing", name)
    frame = COMPETING[name]
    ours = competing_risks.gray_test(frame["time"], frame["status"], frame["group"])
    assert ours.chi2 == pytest.approx(r["gray.stat"], abs=1e-6)
    assert ours.p == pytest.approx(r["gray.p"], abs=1e-6)
    assert ours.df == r["gray.df"]


@pytest.mark.parametrize("name", ["cohort", "hand-one-arm"])
def test_gray_test_runs_with_irae_in_one_arm_only_as_cuminc_does(r_values, name):
    r = r_values("competing", name)
    empty = "reference" if name == "cohort" else "B"
    assert max(est for _, est in _r_curve(r, empty)) == 0
    frame = COMPETING[name].rename(columns={"group": "role"})
    if name == "cohort":  # the chapter's own call
        ours = irae_incidence.arms_gray_test(frame)
        assert ours.chi2 == pytest.approx(r["gray.stat"], abs=1e-6) and ours.p == pytest.approx(
            r["gray.p"], abs=1e-6
        )
