"""The software conventions and the methods chapters' new numbers against R, computed live.

``tests/r/conventions_reference.R`` runs R's survival package on the cohort in force (the
book's design matrix written to CSV, IPT weights included) and writes JSON; nothing from R is
pasted here. What is checked, per endpoint:

* R's quartiles, median and log-band limits (``quantile(survfit(conf.type = "log"))``) against
  :func:`lcnec_utils.methods.conventions.km_quantile` with the ``midpoint_or_last`` rule and
  :func:`lcnec_utils.stats.survival.median_ci_brookmeyer_crowley`;
* R's landmark rate and log-band interval against ``conventions.rate_interval(..., "log")``;
* ``survdiff``'s chi-square against the log-rank column of ``survival_conventions``;
* ``coxph(ties = "breslow")`` against ``conventions.breslow_cox`` (arm alone and the paper's model);
* ``cox.zph`` (survival >= 3.0: the exact score test) against ``ph.zph_score_test``, both time scales,
  both models, and survival 2.x's approximation (by hand in R) against ``ph.ph_test_conventions``;
* the weighted ``coxph``'s robust and model-based SE against ``confounding.variance_conventions`` and
  ``confounding.iptw_cox`` (lifelines' ``robust=True`` ignores tied times; the book's sandwich does not).

Tolerance 1e-4, relative for coefficients, SEs and statistics, absolute for times and
probabilities, as ``tests/test_r_agreement.py``. If Rscript is missing the tests skip, except
with CI=true.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from r_support import require_r, run_r_json

from lcnec_utils.contract.params import DEFAULT_COHORT, Parameters
from lcnec_utils.methods import confounding, conventions, ph
from lcnec_utils.stats import cox
from lcnec_utils.stats.survival import endpoint_data, median_ci_brookmeyer_crowley

pytestmark = pytest.mark.r

R_SCRIPT = Path(__file__).parent / "r" / "conventions_reference.R"
TOL = 1e-4
PARAMS = Parameters()
ENDPOINTS = ("os", "pfs")


def _cohort() -> pd.DataFrame:
    return pd.read_csv(DEFAULT_COHORT)


def _params(cohort: pd.DataFrame) -> Parameters:
    present, _ = cox.available_covariates(cohort, PARAMS.covariates)
    return dataclasses.replace(PARAMS, covariates=present)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    require_r("survival")
    cohort = _cohort()
    params = _params(cohort)
    ps = confounding.propensity_scores(cohort, params)
    out = {}
    for ep in ENDPOINTS:
        dm = cox.design_matrix(
            cohort, params.covariates, params.reference_group, params.treatment_group, endpoint=ep
        )
        frame = dm.frame.rename(columns={"duration": "time"})
        frame["weight"] = ps.frame["weight"].reindex(frame.index)
        covs = [t for t in dm.terms if t != "treatment"]
        out[ep] = run_r_json(
            R_SCRIPT,
            frame,
            tmp_path_factory.mktemp(f"conv-{ep}"),
            covariates=",".join(covs),
            landmark=params.landmark_months,
        )
    return out


def _close(a, b, rel=TOL, what=""):
    if b is None:
        assert a is None or (isinstance(a, float) and math.isnan(a)), (what, a, b)
        return
    assert a is not None, (what, a, b)
    assert a == pytest.approx(b, rel=rel, abs=1e-8), what


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_r_quartiles_are_the_midpoint_rule_and_its_limits(reference, endpoint):
    cohort, params = _cohort(), _params(_cohort())
    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    for flag, role in ((0, "reference"), (1, "treatment")):
        r = reference[endpoint][f"arm{flag}"]
        arm = data.arm(role)
        for p, q in zip((0.25, 0.5, 0.75), r["quantile"]):
            ours = conventions.km_quantile(arm["time"], arm["event"], p, "midpoint_or_last")
            assert (ours is None and q is None) or ours == pytest.approx(q, abs=TOL), (role, p, ours, q)
        ci = median_ci_brookmeyer_crowley(arm["time"], arm["event"], params.alpha, "log")
        _close(ci.ci_low, r["lower"][1], what=f"{role} lower")
        _close(ci.ci_high, r["upper"][1], what=f"{role} upper")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_r_landmark_rate_with_the_log_band(reference, endpoint):
    cohort, params = _cohort(), _params(_cohort())
    data = endpoint_data(cohort, endpoint, params.reference_group, params.treatment_group)
    for flag, role in ((0, "reference"), (1, "treatment")):
        r = reference[endpoint][f"arm{flag}"]
        arm = data.arm(role)
        s, lo, hi = conventions.rate_interval(
            arm["time"], arm["event"], params.landmark_months, params.alpha, "log"
        )
        assert s == pytest.approx(r["rate"], abs=TOL)
        _close(lo, r["rate_lower"], what="lower")
        _close(hi, r["rate_upper"], what="upper")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_programs_log_rank_chi_square_is_survdiffs(reference, endpoint):
    cohort, params = _cohort(), _params(_cohort())
    table = conventions.survival_conventions(cohort, endpoint, params)
    for chi2 in table["logrank_chi2"]:
        assert chi2 == pytest.approx(reference[endpoint]["logrank"], rel=TOL)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("model", ["arm", "full"])
def test_breslow_cox_equals_r_coxph_breslow(reference, endpoint, model):
    cohort, params = _cohort(), _params(_cohort())
    covs = [] if model == "arm" else params.covariates
    dm = cox.design_matrix(cohort, covs, params.reference_group, params.treatment_group, endpoint=endpoint)
    arm = conventions.breslow_cox(dm, params.alpha).set_index("term").loc["treatment"]
    r = reference[endpoint][model]
    assert arm["coef"] == pytest.approx(r["breslow_coef"], rel=TOL)
    assert arm["se"] == pytest.approx(r["breslow_se"], rel=TOL)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("model", ["arm", "full"])
def test_zph_score_test_equals_r_cox_zph(reference, endpoint, model):
    """survival >= 3.0's cox.zph (exact score test) is what ph.zph_score_test computes."""
    assert reference[endpoint]["survival"] >= 3
    cohort, params = _cohort(), _params(_cohort())
    res = (
        cox.univariable_cox(cohort, endpoint, params)
        if model == "arm"
        else cox.fit_cox(cohort, endpoint, params.covariates, params)
    )
    for transform in ("km", "identity"):
        ours = ph.zph_score_test(res, transform).set_index("term").loc["treatment", "chi2"]
        assert ours == pytest.approx(reference[endpoint][model][f"zph_{transform}"], rel=TOL), transform


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_old_approximation_equals_survival_2x_formula(reference, endpoint):
    """The 'approximation' rows of ph_test_conventions are survival 2.x's cox.zph (1 − KM just before
    each event), computed in R by hand from the scaled Schoenfeld residuals; lifelines' own km scale
    (the 'lifelines' rows) is not."""
    cohort, params = _cohort(), _params(_cohort())
    table = ph.ph_test_conventions(cohort, endpoint, params).set_index(["model", "test", "transform"])
    for model, name in (("univariable", "arm"), ("full", "full")):
        for transform in ("km", "identity"):
            ours = table.loc[(model, "approximation", transform), "chi2"]
            assert ours == pytest.approx(reference[endpoint][name][f"zph_old_{transform}"], rel=TOL)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_global_ph_test_equals_r_cox_zph_global(reference, endpoint):
    """ph_global_tests is cox.zph's GLOBAL row (survival >= 3.0) on the three time scales and survival
    2.x's global approximation (by hand in R), for the paper's model on the cohort in force."""
    cohort, params = _cohort(), _params(_cohort())
    table = ph.ph_global_tests(cohort, endpoint, params).set_index(["test", "transform"])
    r = reference[endpoint]["full"]["global"]
    for (test, transform), row in table.iterrows():
        name = transform if test == "score" else f"old_{transform}"
        _close(float(row["chi2"]), r[name], what=f"{test} {transform}")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_programs_default_arm_test_equals_r(reference, endpoint):
    """The arm's test in the paper's model by R's default (cox.zph(fit): exact, 1 − KM), the exact test
    on lifelines' event-count rank, and survival 2.x's approximation on its rank (by hand in R)."""
    cohort, params = _cohort(), _params(_cohort())
    ours = ph.arm_test_on_rank_scale(cohort, endpoint, params)
    for key, p in reference[endpoint]["full"]["defaults"].items():
        _close(ours[key], p, what=key)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_iptw_variances_equal_r_weighted_coxph(reference, endpoint):
    cohort, params = _cohort(), _params(_cohort())
    ps = confounding.propensity_scores(cohort, params)
    table = confounding.variance_conventions(cohort, endpoint, params, ps).set_index("variance")
    r = reference[endpoint]["iptw"]
    assert math.log(table.loc["robust", "hr"]) == pytest.approx(r["coef"], rel=TOL)
    assert table.loc["robust", "se"] == pytest.approx(r["se_robust"], rel=TOL)
    assert table.loc["model-based", "se"] == pytest.approx(r["se_model"], rel=TOL)
    assert np.isfinite(table["se"]).all()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_iptw_cox_reports_r_robust_se(reference, endpoint):
    """The results keys' IPTW interval uses R's sandwich (ties by Efron), not lifelines' robust=True."""
    cohort, params = _cohort(), _params(_cohort())
    ps = confounding.propensity_scores(cohort, params)
    fit = confounding.iptw_cox(cohort, endpoint, params, ps)
    r = reference[endpoint]["iptw"]
    assert math.log(fit.hr) == pytest.approx(r["coef"], rel=TOL)
    assert fit.se == pytest.approx(r["se_robust"], rel=TOL)


def test_lifelines_ridge_equals_r_ridge_with_theta_n_lambda(tmp_path):
    """lifelines' penalizer λ is R's ``ridge(theta = n·λ)``: both penalise the standardised coefficients."""
    import warnings

    from lifelines import CoxPHFitter

    cohort, params = _cohort(), _params(_cohort())
    dm = cox.design_matrix(
        cohort, ["age", "ecog"], params.reference_group, params.treatment_group, endpoint="os"
    )
    df = dm.frame[["duration", "event", *dm.terms]]
    csv = tmp_path / "ridge.csv"
    df.to_csv(csv, index=False)
    lam = 0.1
    code = (
        f'suppressPackageStartupMessages(library(survival)); d <- read.csv("{csv}"); '
        f"f <- coxph(Surv(duration, event) ~ ridge({', '.join(dm.terms)}, theta = nrow(d) * {lam}), data = d); "
        'cat(sprintf("%.12g", coef(f)), sep = " ")'
    )
    out = _rscript(code)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = CoxPHFitter(penalizer=lam).fit(df, "duration", "event").params_.to_numpy()
    np.testing.assert_allclose(ours, [float(v) for v in out.split()], rtol=1e-4, atol=1e-7)


def _rscript(code: str) -> str:
    run = subprocess.run([require_r("survival"), "-e", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_r_prints_the_first_time_of_a_final_flat_step_where_quantile_takes_the_midpoint():
    """On a curve that ends on a step exactly at 0.5, R's ``quantile(fit)`` takes the midpoint to the last
    follow-up time (the book's ``midpoint_or_last``), while ``print(fit)``/``summary(fit)$table`` report
    the step's first time (the ``at_or_below`` rule): the two R medians chapter 9 and the glossary name."""
    t, e = [1.0, 2.0, 3.0, 4.0], [1, 1, 0, 0]
    out = _rscript(
        "suppressPackageStartupMessages(library(survival)); "
        f"f <- survfit(Surv(c({', '.join(map(str, t))}), c({', '.join(map(str, e))})) ~ 1); "
        'cat(summary(f)$table[["median"]], quantile(f, 0.5)$quantile, sep = " ")'
    )
    printed, quantile = (float(v) for v in out.split())
    assert printed == conventions.km_quantile(t, e, 0.5, "at_or_below") == 2.0
    assert quantile == conventions.km_quantile(t, e, 0.5, "midpoint_or_last") == 3.0


def test_r_survsplit_puts_an_event_at_the_cut_in_the_earlier_period():
    """Chapter 11's piecewise HR puts an event at exactly the cut in the later period; R's ``survSplit``
    (intervals closed on the right) puts it in the earlier one, as the chapter says."""
    out = _rscript(
        "suppressPackageStartupMessages(library(survival)); "
        "d <- survSplit(Surv(time, status) ~ ., data = data.frame(time = 6, status = 1), cut = 6, "
        'episode = "per"); cat(d$per[d$status == 1])'
    )
    assert out.split() == ["1"]
    cohort = pd.DataFrame(
        {
            "group": [PARAMS.treatment_group, PARAMS.reference_group] * 3,
            "os_months": [2.0, 3.0, 6.0, 6.0, 9.0, 10.0],
            "os_event": [1, 1, 0, 1, 1, 1],
        }
    )
    pieces = ph.piecewise_hr(cohort, "os", PARAMS, cut=6.0)
    assert pieces["events_reference"].tolist() == [1, 2]  # the death at 6.0 is in the later period


#: Samples of chapter 11's simulation checked against R's coxph and cox.zph, per endpoint: the first
#: 40, and for PFS two later ones (from 0) whose fit converges only after its step was pulled back
#: twice (review 56: an earlier rule, halving only toward the last β, ran out of iterations on them).
NULL_SAMPLES = 40
NULL_LATE_SAMPLES = {"pfs": (1745, 1870), "os": ()}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_null_samples_are_fitted_tested_and_dropped_as_r_does(tmp_path, endpoint):
    """Chapter 11's simulation (``ph.null_rejection_rates``) refits each sample as R's ``coxph`` does
    and drops the samples R would warn about: on the first ``NULL_SAMPLES`` samples of the paper's
    model (the book's seed) and the late ones of ``NULL_LATE_SAMPLES``, the samples
    ``ph.null_replicate`` drops are those whose R fit warns ("Ran out of iterations", "coefficient
    may be infinite") or whose ``cox.zph`` fails (singular), and on the others the coefficients
    (``ph.efron_newton``), cox.zph's GLOBAL p, the arm's p (1 − KM scale) and survival 2.x's global
    approximation (written out in R as its cox.zph computed it and as tests/r/ph_null_sim.R does: Schoenfeld
    residuals, g = 1 − KM just before each event) agree with R to 1e-4. lifelines, the simulation's fitter before session
    18, failed on OS samples that R fits without a warning (the 3rd here) and, on PFS sample 78
    (from 0), stopped at another β without a warning."""
    cohort = _cohort()
    params = _params(cohort)
    res = cox.fit_cox(cohort, endpoint, params.covariates, params)
    terms = list(res.model.params_.index)
    x = res.data[terms].to_numpy(float)
    late = NULL_LATE_SAMPLES[endpoint]
    drawn = list(ph.null_samples(res, max([NULL_SAMPLES, *(i + 1 for i in late)]), int(params.seed)))
    ids = [*range(NULL_SAMPLES), *late]
    samples = [drawn[i] for i in ids]
    ours = [ph.null_replicate(d, e, x, terms.index("treatment")) for d, e in samples]
    long = pd.concat(
        [
            pd.DataFrame(x, columns=terms).assign(sample=i, time=d, status=e.astype(int))
            for i, (d, e) in zip(ids, samples, strict=True)
        ]
    )
    csv = tmp_path / "samples.csv"
    long.to_csv(csv, index=False)
    code = (
        f'suppressPackageStartupMessages(library(survival)); d <- read.csv("{csv}"); '
        "for (i in unique(d$sample)) { s <- d[d$sample == i, names(d) != 'sample']; "
        "warned <- FALSE; "
        "f <- withCallingHandlers(coxph(Surv(time, status) ~ ., data = s, ties = 'efron'), "
        "warning = function(w) { warned <<- TRUE; invokeRestart('muffleWarning') }); "
        "z <- tryCatch(cox.zph(f, transform = 'km')$table, error = function(e) NULL); "
        "if (warned || is.null(z)) { cat(i, 'dropped\\n'); next }; "
        # the residuals' rows are the events in time order (their row names round the times)
        "r <- residuals(f, 'schoenfeld'); et <- sort(s$time[s$status == 1]); ut <- unique(et); "
        "nd <- sapply(ut, function(u) sum(s$time == u & s$status == 1)); "
        "nr <- sapply(ut, function(u) sum(s$time >= u)); "
        "g <- 1 - c(1, cumprod(1 - nd / nr))[match(et, ut)]; "
        "xx <- g - mean(g); u <- drop(xx %*% r); "
        "old <- pchisq(sum(u * (f$var %*% u)) * f$nevent / sum(xx^2), ncol(r), lower.tail = FALSE); "
        "cat(i, sprintf('%.12g', c(coef(f), z['GLOBAL', 'p'], z['treatment', 'p'], old)), '\\n') }"
    )
    lines = [line.split() for line in _rscript(code).strip().splitlines()]
    assert [int(line[0]) for line in lines] == ids
    for line, mine in zip(lines, ours, strict=True):
        if line[1] == "dropped":
            assert mine is None, line[0]
            continue
        assert mine is not None, line[0]
        r = [float(v) for v in line[1:]]
        np.testing.assert_allclose(mine["beta"], r[: len(terms)], rtol=TOL, atol=1e-6, err_msg=line[0])
        assert mine["score_global"] == pytest.approx(r[-3], rel=TOL, abs=1e-10), line[0]
        assert mine["score_term"] == pytest.approx(r[-2], rel=TOL, abs=1e-10), line[0]
        assert mine["approximation_global"] == pytest.approx(r[-1], rel=TOL, abs=1e-10), line[0]
    assert sum(m is None for m in ours) >= (1 if endpoint == "os" else 0)
    assert all(ours[ids.index(i)] is not None for i in late)  # kept, as R keeps them
