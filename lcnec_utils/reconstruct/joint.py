"""The committed cohort's compiled search: information, covariates, then both Cox arm terms.

Sets up :mod:`lcnec_utils.reconstruct.annealing` (targets, state, stage objectives) and runs its
chains in parallel (:func:`joint_search`).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.reconstruct import annealing, polish
from lcnec_utils.reconstruct.bounds import term_plans
from lcnec_utils.reconstruct.objective import (
    M_BETA,
    M_COX,
    M_FOLLOWUP,
    M_LOGRANK_Z,
    M_MEDIAN_CI,
    term_metric,
)
from lcnec_utils.reconstruct.search import covariate_columns, covariate_design
from lcnec_utils.reconstruct.settings import (
    FIRST_EVENT,
    LONGEST_OS,
    LONGEST_PFS,
    PLAUSIBILITY,
    ROLES,
    TABLE4,
    TOLERANCES,
    TREATMENT,
)
from lcnec_utils.reconstruct.study_calendar import CALENDAR_COLUMNS
from lcnec_utils.reconstruct.targets import COX_TERMS, SoftTarget, term_name
from lcnec_utils.reconstruct.times import TIME_LIMITS, Arm, arm_target_row, initial_times, km_targets
from lcnec_utils.stats.normal import z_of_p

#: The PFS arm term's window in the committed cohort's search: inside the HR tolerance
#: (0.51 +/- 0.05) with a margin far above the difference between this module's Cox fit and
#: lifelines' (< 1e-6).
PFS_HR_WINDOW = (0.4605, 0.555)


#: |z| of the PFS arm term the search holds: p <= 0.0458, inside the printed 0.026 + 0.02
#: (|z| >= 1.9954) by a margin far above the difference between this module's fit and lifelines'.
PFS_Z_FLOOR = 1.997


#: The arm terms' bounds in the committed cohort's search, each inside its tolerance by a margin
#: far above the difference between the compiled Cox fit and lifelines' (< 1e-6): OS HR >= 0.5001
#: (0.55 - 0.05) and upper bound <= 1.1099 (1.01 + 0.10); PFS HR >= 0.4605 (:data:`PFS_HR_WINDOW`)
#: and |z| >= :data:`PFS_Z_FLOOR`.
OS_HR_FLOOR, OS_CI_CEILING = 0.5001, 1.1099

#: Weight of Table 4's window targets (per unit of scaled distance outside a window) in the
#: arm-terms stage: on the scale of the arm terms' pulls.
TABLE4_WEIGHT = 1.0


@dataclass(frozen=True)
class JointSearchBudget:
    """The committed cohort's compiled search (:func:`joint_search`): ``chains`` independent
    chains, each the best of ``information_starts`` runs of the information stage, then the
    covariates alone, then times and covariates for both arm terms, then for the terms Table 4's
    conclusions rest on (:func:`conclusions_stage`), then for all of Table 4's covariate terms
    with the arm terms kept (iterations of each), then Table 4's windows counted with each arm's
    times fixed (:mod:`lcnec_utils.reconstruct.polish`: ``polish_rounds`` rounds of covariate
    moves, then ``swap_rounds`` with outcome swaps too)."""

    information: int = 300_000
    information_starts: int = 3
    covariates: int = 100_000
    arm_terms: int = 1_000_000
    conclusions: int = 1_300_000
    table4: int = 600_000
    chains: int = 2
    #: rounds of :func:`lcnec_utils.reconstruct.polish.polish_covariates` after the Table 4 stage (0: none),
    #: with second moves after that many single moves
    polish_rounds: int = 12
    polish_pairs: int = 40
    #: rounds of the same step with outcome swaps among its moves (:func:`lcnec_utils.reconstruct.polish.outcome_swaps`),
    #: after it (0: none), with second moves after that many single moves
    swap_rounds: int = 12
    swap_pairs: int = 20

    @property
    def chain_iterations(self) -> int:
        """Iterations of one chain, every stage's."""
        return (
            self.information * self.information_starts
            + self.covariates
            + self.arm_terms
            + self.conclusions
            + self.table4
        )


def information_stage() -> annealing.Objective:
    """Times alone: the arms' unadjusted information at the low end of each HR tolerance (PFS
    at 0.4605, OS at 0.50, ten times heavier), with the Kaplan-Meier holds. Both arm terms need
    risk sets in which both arms stay to the end; on the orders this stage finds, an ideal
    covariate (:func:`lcnec_utils.reconstruct.bounds.ideal_covariate_se`) gives OS SE
    0.404-0.407, the target needs 0.407. The realism terms (``Objective.cost`` with no soft
    target) keep the curves plausible."""
    return annealing.Objective(
        cost=1.0,
        hold=1.0,
        info_pfs=100.0,
        info_pfs_hr=PFS_HR_WINDOW[0],
        info_os=1000.0,
        info_os_hr=OS_HR_FLOOR,
    )


def arm_terms_stage() -> annealing.Objective:
    """Both arm terms of the multivariable Cox models: the OS upper bound minimised with its HR
    walled at :data:`OS_HR_FLOOR`; the PFS HR pulled into :data:`PFS_HR_WINDOW` and its |z| up
    to :data:`PFS_Z_FLOOR` (pulls, not walls: walls on both terms lock the search in the
    first state that meets them); the Kaplan-Meier holds heavy; 0.1 x the realism terms. A run
    returns the best state that meets every arm-term bound and the arm-only p-value gap's bound
    (``keep_*``), if it visited one, else the one nearest to them."""
    lo, hi = PFS_HR_WINDOW
    return annealing.Objective(
        cost=0.1,
        hold=100.0,
        os_ci=100.0,
        os_hr_floor=OS_HR_FLOOR,
        beta_lin=5.0,
        pfs_hr_lo=lo,
        pfs_hr_hi=hi,
        pfs_window=100.0,
        pfs_floor=PFS_Z_FLOOR,
        pfs_below=10.0,
        keep_os_ci=OS_CI_CEILING,
        keep_os_hr=OS_HR_FLOOR,
        keep_pfs_z=PFS_Z_FLOOR,
        keep_pfs_hr_lo=lo,
        keep_gap=1.0,
    )


#: The OS arm term's upper bound may rise to this while the search pulls Table 4 in
#: (``os_ci_high_ceiling`` of data/reconstruction_targets.yaml: the intervals are given up before
#: the conclusions).
OS_CI_TABLE4_CEILING = float(TABLE4["os_ci_high_ceiling"])


def table4_stage() -> annealing.Objective:
    """Table 4's covariate terms with the arm terms kept: the window targets
    (:func:`window_targets`, the first terms' pulled harder: :func:`table4_windows`) pulled with
    weight :data:`TABLE4_WEIGHT`, the arm-term bounds of :func:`arm_terms_stage` as walls but the
    OS upper bound's at :data:`OS_CI_TABLE4_CEILING`, the Kaplan-Meier holds heavy. A run returns
    the state nearest to the arm-term bounds and the p-value gap's bound and, among those, the
    lowest objective (so the windows come second to the arm terms)."""
    lo, _ = PFS_HR_WINDOW
    return annealing.Objective(
        cost=0.1,
        hold=100.0,
        beta_lin=5.0,
        windows=TABLE4_WEIGHT,
        walls=1e4,
        keep_os_ci=OS_CI_TABLE4_CEILING,
        keep_os_hr=OS_HR_FLOOR,
        keep_pfs_z=PFS_Z_FLOOR,
        keep_pfs_hr_lo=lo,
        keep_gap=1.0,
    )


def conclusions_stage() -> annealing.Objective:
    """The terms Table 4's conclusions rest on first (``first_terms`` of
    data/reconstruction_targets.yaml, the ECOG PFS term: :func:`first_windows`), before the rest
    of Table 4: :func:`table4_stage` with soft walls (weight 30, so the chain can cross states just
    outside the arm-term bounds on its way; the keep rule still returns the nearest to them). From
    session 11's committed cohort, with walls as hard as the Table 4 stage's, single runs did not
    reach the ECOG term's windows (docs/OPEN-TARGETS.md, session 12)."""
    return dataclasses.replace(table4_stage(), walls=30.0)


#: Each stage's moves and cooling in :func:`_joint_chain` (keywords of ``annealing.anneal``): the
#: information stage moves times alone, hot; the covariates stage swaps covariates alone; the
#: arm-terms and Table 4 stages move both. Reruns of a stage (tests, benchmarks) use the same.
STAGE_MOVES: dict[str, dict[str, Any]] = {
    "information": {"with_cox": False, "p_time": 1.0, "p_structural": 0.5, "temp0": 3.0, "temp1": 0.003},
    "covariates": {"with_cox": True, "p_time": 0.0, "p_structural": 0.0, "temp0": 0.3, "temp1": 0.003},
    "arm_terms": {"with_cox": True, "p_time": 0.6, "p_structural": 0.1, "temp0": 0.3, "temp1": 0.002},
    "conclusions": {"with_cox": True, "p_time": 0.5, "p_structural": 0.1, "temp0": 1.0, "temp1": 0.003},
    "table4": {"with_cox": True, "p_time": 0.5, "p_structural": 0.1, "temp0": 1.0, "temp1": 0.003},
}


def _joint_chain(
    seed: int, tg: Mapping[str, Any], design: Mapping[str, np.ndarray], budget: JointSearchBudget
) -> tuple[annealing.Result, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """One chain of the committed cohort's search: the information stage from
    ``budget.information_starts`` fresh placements of the times (the lowest objective goes on),
    the covariates alone, then times and covariates (:func:`arm_terms_stage`), then the first
    terms of Table 4 (:func:`conclusions_stage`), then all of them (:func:`table4_stage`), then
    their windows counted with each arm's times fixed (:func:`lcnec_utils.reconstruct.polish.polish_covariates`:
    covariate moves, then with outcome swaps).
    Returns the end state's result (its objective and distance from the bounds), the state (T, D
    of :mod:`lcnec_utils.reconstruct.annealing`) and the state before that last step."""
    rng = np.random.default_rng(seed)
    setting = annealing_setting(tg, windows=window_targets(tg))
    best = None
    for _ in range(budget.information_starts):
        T, D = to_state(initial_times(rng, tg), design)
        value = annealing.anneal(
            T, D, setting, information_stage(), budget.information, seed=int(rng.integers(2**32 - 1)),
            **STAGE_MOVES["information"],
        ).value  # fmt: skip
        if best is None or value < best[0]:
            best = (value, T, D)
    _, T, D = best
    annealing.anneal(
        T, D, setting, arm_terms_stage(), budget.covariates, seed=int(rng.integers(2**32 - 1)),
        **STAGE_MOVES["covariates"],
    )  # fmt: skip
    annealing.anneal(
        T, D, setting, arm_terms_stage(), budget.arm_terms, seed=int(rng.integers(2**32 - 1)),
        **STAGE_MOVES["arm_terms"],
    )  # fmt: skip
    annealing.anneal(
        T, D, annealing_setting(tg, windows=first_windows(tg)), conclusions_stage(), budget.conclusions,
        seed=int(rng.integers(2**32 - 1)), **STAGE_MOVES["conclusions"],
    )  # fmt: skip
    setting = annealing_setting(tg, windows=table4_windows(tg))
    result = annealing.anneal(
        T, D, setting, table4_stage(), budget.table4, seed=int(rng.integers(2**32 - 1)),
        **STAGE_MOVES["table4"],
    )  # fmt: skip
    before = (T.copy(), D.copy())
    if budget.polish_rounds > 0:
        polish.polish_covariates(
            T, D, setting, table4_stage(), table4_priority(tg), budget.polish_rounds, budget.polish_pairs
        )
    if budget.swap_rounds > 0:
        polish.polish_covariates(
            T,
            D,
            setting,
            table4_stage(),
            table4_priority(tg),
            budget.swap_rounds,
            budget.swap_pairs,
            swaps=True,
        )
    if budget.polish_rounds > 0 or budget.swap_rounds > 0:
        # the polished state's objective and distance from the bounds (no move: 0 iterations)
        result = annealing.anneal(T, D, setting, table4_stage(), 0, **STAGE_MOVES["table4"])
    return result, T, D, before


def joint_search(rng, tg, design, budget: JointSearchBudget, info: dict, n_jobs: int = -1):
    """The committed cohort's search: ``budget.chains`` chains (:func:`_joint_chain`) run in
    parallel (joblib), compiled (:mod:`lcnec_utils.reconstruct.annealing`); the chain nearest to the
    arm-term bounds wins, then the lowest objective. Ties go to the first, so the result does not
    depend on the number of cores. Every move keeps the hard constraints (Kaplan-Meier medians
    and 12-month rates), and the holds keep the log-rank, follow-up and median-CI targets.
    ``info`` gets the chains' ends, the chosen chain and its state before the last step
    (``before_polish``: T, D)."""
    from joblib import Parallel, delayed

    seeds = [int(x) for x in rng.integers(0, 2**63 - 1, size=budget.chains)]
    jobs = min(budget.chains, os.cpu_count() or 1) if n_jobs == -1 else n_jobs
    chains = Parallel(n_jobs=jobs)(delayed(_joint_chain)(s, tg, design, budget) for s in seeds)
    best = min(range(budget.chains), key=lambda k: (chains[k][0].violation, chains[k][0].value))
    info["chains"] = [{"value": round(c[0].value, 3), "violation": round(c[0].violation, 5)} for c in chains]
    info["chosen_chain"] = best
    # the chosen chain's state before its last step, where the witnesses' schedules start (reach)
    info["before_polish"] = chains[best][3]
    return from_state(chains[best][1], chains[best][2], int(tg["n.treatment"]))


#: The committed cohort's budget: 58.5 s on 2 free cores (benchmarks/bench_reconstruction.py, session 18).
FULL_BUDGET = JointSearchBudget()


_STATS = ("hr", "ci_low", "ci_high", "p")


def _soft_metric_id(key: str) -> int:
    """Index of a soft target's statistic in :mod:`lcnec_utils.reconstruct.objective`'s metric vector
    (a covariate's ``.hr``: its log HR)."""
    ep, _, rest = key.partition(".")
    e = ("pfs", "os").index(ep) if ep in ("pfs", "os") else -1
    if rest == "logrank.p":
        return M_LOGRANK_Z + e
    if key == "followup.median":
        return M_FOLLOWUP
    if rest.startswith("median_ci_"):
        bound, role = rest[len("median_ci_") :].split(".")
        return M_MEDIAN_CI + 4 * e + 2 * ROLES.index(role) + ("low", "high").index(bound)
    stat = rest[len("cox_multivariable.") :]
    if stat in _STATS:
        return M_COX + 4 * e + _STATS.index(stat)
    term = stat[: -len(".hr")]
    names = [term_name(t) for t in COX_TERMS[1:]]
    return M_BETA + len(names) * e + names.index(term)


def _window_metric_id(key: str) -> int:
    """Index in the metric vector of a window target's statistic: a Cox term's HR, CI bound or
    |z| (for its p)."""
    ep, _, rest = key.partition(".")
    term, stat = rest[len("cox_multivariable.") :].rsplit(".", 1)
    names = [term_name(t) for t in COX_TERMS[1:]]
    return int(term_metric(("pfs", "os").index(ep), names.index(term), _STATS.index(stat), len(names)))


def _printed_side(p: float) -> tuple[float, float]:
    """The p-values on a printed p's side of ``TABLE4["significance_level"]``, short of the level
    by ``significance_margin``."""
    level, margin = float(TABLE4["significance_level"]), float(TABLE4["significance_margin"])
    return (0.0, level - margin) if p < level else (level + margin, 1.0)


def _z_window(p_low: float, p_high: float) -> tuple[float, float]:
    """A window of p-values as a window of |z| (a smaller p, a larger |z|)."""
    return (0.0 if p_high >= 1.0 else z_of_p(p_high)), (math.inf if p_low <= 0.0 else z_of_p(p_low))


def _p_scale(p: float, tol: float) -> float:
    """The |z| distance that counts as one unit outside a p's window: half the |z| width of its
    tolerance."""
    return 0.5 * (z_of_p(max(p - tol, 1e-6)) - z_of_p(min(p + tol, 1.0)))


def window_targets(tg: Mapping[str, Any]) -> list[tuple[str, float, float, float]]:
    """The window targets of Table 4's covariate terms: (key, low, high, scale) of every statistic
    a cohort can meet (:func:`lcnec_utils.reconstruct.bounds.term_plan`), each window the
    tolerance narrowed by ``TABLE4["search_margin"]`` of it; a p's window is on the |z| scale and
    stops on the printed p's side of ``TABLE4["significance_level"]`` (less
    ``significance_margin``), so that no p in its window reverses the paper's conclusion."""
    shrink = 1.0 - float(TABLE4["search_margin"])
    out = []
    for plan in term_plans(tg):
        if plan.term == "treatment":
            continue
        t, tol = plan.printed, plan.tol
        out.append(
            (f"{plan.prefix}.hr", t["hr"] - shrink * tol["hr"], t["hr"] + shrink * tol["hr"], tol["hr"])
        )
        if plan.reachable("p"):
            width = shrink * tol["p"]
            side_low, side_high = _printed_side(t["p"])  # the printed side of the significance level
            low, high = _z_window(max(t["p"] - width, side_low), min(t["p"] + width, side_high))
            out.append((f"{plan.prefix}.p", low, high, _p_scale(t["p"], tol["p"])))
        if plan.reachable("ci"):
            for bound in ("ci_low", "ci_high"):
                width = shrink * tol["ci"]
                out.append((f"{plan.prefix}.{bound}", t[bound] - width, t[bound] + width, tol["ci"]))
    return out


def _is_first(key: str) -> bool:
    return any(key.startswith(term + ".") for term in TABLE4["first_terms"])


def first_windows(tg: Mapping[str, Any]) -> list[tuple[str, float, float, float]]:
    """The window targets of the terms Table 4's conclusions rest on (``first_terms`` of
    data/reconstruction_targets.yaml): what :func:`conclusions_stage` pulls."""
    return [w for w in window_targets(tg) if _is_first(w[0])]


def side_windows(tg: Mapping[str, Any]) -> list[tuple[str, float, float, float]]:
    """For each covariate term whose printed p no cohort can give (:func:`~lcnec_utils.reconstruct.bounds.term_plan`),
    a window that keeps its side of ``TABLE4["significance_level"]`` (a |z| below or above the
    level's, with ``significance_margin``): the paper's conclusion survives where its number cannot."""
    out = []
    for plan in term_plans(tg):
        if plan.term == "treatment" or plan.reachable("p"):
            continue
        # a conclusion: pulled as hard as the first terms
        scale = _p_scale(plan.printed["p"], plan.tol["p"]) / float(TABLE4["first_weight"])
        out.append((f"{plan.prefix}.p", *_z_window(*_printed_side(plan.printed["p"])), scale))
    return out


def table4_windows(tg: Mapping[str, Any]) -> list[tuple[str, float, float, float]]:
    """All of Table 4's window targets (:func:`window_targets`), the first terms' scales divided
    by ``first_weight`` (so they pull that much harder), and the significance sides of the p's no
    cohort can give (:func:`side_windows`): what :func:`table4_stage` pulls."""
    weight = float(TABLE4["first_weight"])
    windows = [(k, lo, hi, sc / weight if _is_first(k) else sc) for k, lo, hi, sc in window_targets(tg)]
    return windows + side_windows(tg)


def table4_priority(tg: Mapping[str, Any]) -> np.ndarray:
    """For each of :func:`table4_windows`' windows, whether it carries a conclusion (a first term's
    window, or a significance side): what :func:`lcnec_utils.reconstruct.polish.polish_covariates` counts
    first."""
    first = [_is_first(w[0]) for w in window_targets(tg)]
    return np.array(first + [True] * len(side_windows(tg)), np.bool_)


def annealing_setting(
    tg: Mapping[str, Any],
    soft: Sequence[SoftTarget] = (),
    windows: Sequence[tuple[str, float, float, float]] = (),
) -> annealing.Setting:
    """The targets as :mod:`lcnec_utils.reconstruct.annealing` reads them: each arm's hard Kaplan-Meier
    targets and plausibility limits, the Kaplan-Meier holds (log-rank p, follow-up, and the
    median CIs that a symmetric interval can meet), the soft targets that ``Objective.cost``
    reads, the window targets (:func:`window_targets`) and the arm-only p-value gap's bound."""
    kt = {r: km_targets(tg, r) for r in ROLES}
    holds = []  # (metric id, target) of the median-CI bounds an interval centred on its median can meet
    for ep in ("pfs", "os"):
        for r in ROLES:
            lo, hi = tg.get(f"{ep}.median_ci_low.{r}"), tg.get(f"{ep}.median_ci_high.{r}")
            if (
                lo is None
                or hi is None
                or abs((lo + hi) / 2 - tg[f"{ep}.median.{r}"]) > TOLERANCES["median_ci"]
            ):
                continue
            holds += [(_soft_metric_id(f"{ep}.median_ci_{b}.{r}"), v) for b, v in (("low", lo), ("high", hi))]
    return annealing.Setting(
        n1=int(tg["n.treatment"]),
        arm_targets=np.array([arm_target_row(kt[r]) for r in ROLES]),
        limits=TIME_LIMITS,
        ecog_column=COX_TERMS.index("ecog"),
        ecog_max=max(TABLE4["ecog_poor_scores"]),
        realism=np.array([LONGEST_PFS, LONGEST_OS, FIRST_EVENT["pfs"], FIRST_EVENT["os"]]),
        z_target=np.array([z_of_p(tg[f"{ep}.logrank.p"]) for ep in ("pfs", "os")]),
        followup_target=float(tg["followup.median"]),
        median_ci_tol=float(TOLERANCES["median_ci"]),
        hold_ci_id=np.array([h[0] for h in holds], np.int64),
        hold_ci_target=np.array([h[1] for h in holds], float),
        soft_id=np.array([_soft_metric_id(s.key) for s in soft], np.int64),
        soft_target=np.array([s.target for s in soft], float),
        soft_tol=np.array([s.tol for s in soft], float),
        soft_weight=np.array([s.weight for s in soft], float),
        win_id=np.array([_window_metric_id(w[0]) for w in windows], np.int64),
        win_lo=np.array([w[1] for w in windows], float),
        win_hi=np.array([w[2] for w in windows], float),
        win_scale=np.array([w[3] for w in windows], float),
        gap_bound=float(PLAUSIBILITY["arm_only_p_gap"]),
    )


def to_state(arms: Mapping[str, Arm], X: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(T, D) of :mod:`lcnec_utils.reconstruct.annealing`: times and events (treatment arm first), and the
    Cox design with the arm indicator in front."""
    T = np.vstack(
        [
            np.concatenate([np.asarray(getattr(arms[r], f), np.int64) for r in ROLES])
            for f in ("pfs", "pfs_e", "os", "os_e")
        ]
    )
    g = np.concatenate([np.full(len(arms[r].pfs), 1.0 if r == "treatment" else 0.0) for r in ROLES])
    D = np.ascontiguousarray(np.column_stack([g, np.vstack([X[r] for r in ROLES])]))
    return np.ascontiguousarray(T), D


def state_from_cohort(cohort: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(T, D) of a cohort file's rows (times in tenths of a month, the Cox design of
    :func:`~lcnec_utils.reconstruct.search.covariate_design`): a committed cohort back in the
    compiled search's state, to rerun a stage from it."""
    parts = {r: cohort[(cohort["group"] == TREATMENT) == (r == "treatment")] for r in ROLES}
    arms = {
        r: Arm(
            *(
                np.rint(f[col].to_numpy(float) * (10.0 if col.endswith("months") else 1.0)).astype(np.int64)
                for col in ("pfs_months", "pfs_event", "os_months", "os_event")
            )
        )
        for r, f in parts.items()
    }
    return to_state(arms, covariate_design(parts, {r: f["age"].to_numpy(float) for r, f in parts.items()}))


def cohort_from_state(cohort: pd.DataFrame, T: np.ndarray, D: np.ndarray) -> pd.DataFrame:
    """:func:`state_from_cohort` undone onto ``cohort``: its rows (each arm's in file order, as
    that function reads them) with the state's survival times and Cox covariates; every other
    column kept, except the calendar's (``study_calendar.CALENDAR_COLUMNS``), which follow from
    the times and are dropped."""
    out = cohort.drop(columns=[c for c in CALENDAR_COLUMNS if c in cohort.columns])
    arms, X = from_state(T, D, int((cohort["group"] == TREATMENT).sum()))
    for r in ROLES:
        rows = (cohort["group"] == TREATMENT) == (r == "treatment")
        arm = arms[r]
        out.loc[rows, "pfs_months"] = arm.pfs / 10.0
        out.loc[rows, "pfs_event"] = arm.pfs_e
        out.loc[rows, "os_months"] = arm.os / 10.0
        out.loc[rows, "os_event"] = arm.os_e
        for column, values in covariate_columns(X[r]).items():
            out.loc[rows, column] = values
    return out


def from_state(T: np.ndarray, D: np.ndarray, n1: int) -> tuple[dict[str, Arm], dict[str, np.ndarray]]:
    """The arms and per-arm covariate matrices of a state (T, D): :func:`to_state` undone."""
    parts = {"treatment": slice(0, n1), "reference": slice(n1, T.shape[1])}
    arms = {r: Arm(*(T[k, s].copy() for k in range(4))) for r, s in parts.items()}
    X = {r: np.ascontiguousarray(D[s, 1:]) for r, s in parts.items()}
    return arms, X
