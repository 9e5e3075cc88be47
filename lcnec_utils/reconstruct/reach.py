"""Whether Table 4's covariate hazard ratios can hold together, and with the arm terms: longer runs
of the compiled search than one reconstruction may take, from the committed search's state before
its last step (:func:`witness_start`; the witnesses were made from it) or from any state given.

A *schedule* is a chain of runs (:class:`Run`) of :func:`lcnec_utils.reconstruct.annealing.anneal`.
Every run pulls the 22 covariate HR windows of both models (:func:`hr_windows`); a run may add
the arm terms' targets as windows too (:func:`arm_windows`), pulled harder by a weight. The moves
keep every hard constraint of the committed search (Kaplan-Meier medians and 12-month rates, the
plausibility limits) and the Kaplan-Meier holds are pulled as in it; each run returns the visited
state with the fewest misses. The state a schedule ends in is a *witness*: a data set on the
published counts that shows which targets can hold together (``benchmarks/table4_reach.py`` writes
``data/lcnec_table4_witness.csv``; chapter 7 measures it with the book's own modules).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from lcnec_utils.reconstruct import annealing, joint
from lcnec_utils.reconstruct.generator import draw_ongoing, draw_responses
from lcnec_utils.reconstruct.objective import M_COX
from lcnec_utils.reconstruct.settings import DEFAULT_SEED, ROLES, TOLERANCES, TREATMENT
from lcnec_utils.reconstruct.study_calendar import calendar_stream, start_dates
from lcnec_utils.reconstruct.targets import COX_TERMS, published_targets, term_name

__all__ = [
    "BOTH_ARMS",
    "PFS_Z_SCALE",
    "SCHEDULES",
    "WITNESS_STREAM",
    "Run",
    "arm_windows",
    "file_rows",
    "hr_windows",
    "run_schedule",
    "schedule_iterations",
    "schedule_witness",
    "state_fits",
    "window_value",
    "with_windows",
    "witness_cohort",
    "witness_start",
]


def hr_windows(tg: Mapping[str, Any]) -> list[tuple[str, float, float, float]]:
    """The 22 covariate HR windows of both models (:func:`joint.window_targets`' ``.hr`` rows)."""
    return [w for w in joint.window_targets(tg) if w[0].endswith(".hr")]


#: The column of a lifelines summary that holds each statistic of a window target (a p's window
#: is on the |z| scale).
_SUMMARY_COLUMN = {
    "hr": "exp(coef)",
    "ci_low": "exp(coef) lower 95%",
    "ci_high": "exp(coef) upper 95%",
    "p": "z",
}


def state_fits(T: np.ndarray, D: np.ndarray) -> dict[str, pd.DataFrame]:
    """Both multivariable Cox fits of a state (T, D of ``annealing``; times in tenths of a month)
    by lifelines (Efron ties), on the search's design: the summaries, per endpoint, that check the
    compiled fits from outside."""
    from lifelines import CoxPHFitter  # at first use, as the book's estimators import it

    names = [term_name(t) for t in COX_TERMS]
    out = {}
    for ep, (ti, ei) in {"pfs": (0, 1), "os": (2, 3)}.items():
        frame = pd.DataFrame(D, columns=names).assign(T=T[ti] / 10.0, E=T[ei])
        out[ep] = CoxPHFitter().fit(frame, "T", "E").summary
    return out


def window_value(fits: Mapping[str, pd.DataFrame], key: str) -> float:
    """A window target's statistic in :func:`state_fits`' summaries: ``<ep>.cox_multivariable.<term>.<stat>``
    for a covariate, ``<ep>.cox_multivariable.<stat>`` for the arm; HR, CI bound, or |z| for a p."""
    parts = key.split(".")
    term = parts[2] if len(parts) == 4 else "treatment"
    value = float(fits[parts[0]].loc[term, _SUMMARY_COLUMN[parts[-1]]])
    return abs(value) if parts[-1] == "p" else value


#: One unit outside the PFS arm term's |z| window (:func:`arm_windows`): about the distance from
#: the window's floor (``joint.PFS_Z_FLOOR``, 1.997) to the printed p's |z| (0.026: 2.23).
PFS_Z_SCALE = 0.2


def arm_windows(
    tg: Mapping[str, Any], weight: float, endpoints: tuple[str, ...], os_ceiling: float
) -> list[tuple[int, float, float, float]]:
    """The arm terms' targets as window targets of the compiled objective: (metric id, low, high,
    scale), each scale its tolerance divided by ``weight`` (so a miss pulls that much harder than a
    covariate's). PFS: HR in :data:`joint.PFS_HR_WINDOW`, interval bounds within tolerance, |z| at
    least :data:`joint.PFS_Z_FLOOR`; OS: HR from :data:`joint.OS_HR_FLOOR` to the tolerance's
    top, lower bound within tolerance, upper bound at most ``os_ceiling``."""
    hr_tol, ci_tol = TOLERANCES["cox_hr"], TOLERANCES["cox_ci"]
    out = []
    for ep in endpoints:
        base, key = M_COX + 4 * ("pfs", "os").index(ep), f"{ep}.cox_multivariable"
        low, high = tg[f"{key}.ci_low"], tg[f"{key}.ci_high"]
        if ep == "pfs":
            out += [
                (base, *joint.PFS_HR_WINDOW, hr_tol / weight),
                (base + 1, low - ci_tol, low + ci_tol, ci_tol / weight),
                (base + 2, high - ci_tol, high + ci_tol, ci_tol / weight),
                (base + 3, joint.PFS_Z_FLOOR, math.inf, PFS_Z_SCALE / weight),
            ]
        else:
            out += [
                (base, joint.OS_HR_FLOOR, tg[f"{key}.hr"] + hr_tol, hr_tol / weight),
                (base + 1, low - ci_tol, low + ci_tol, ci_tol / weight),
                (base + 2, 0.0, os_ceiling, ci_tol / weight),
            ]
    return out


def with_windows(setting: annealing.Setting, extra) -> annealing.Setting:
    """``setting`` with window targets added by metric id ((id, low, high, scale) rows)."""
    if not extra:
        return setting
    ids, lo, hi, scale = (np.array(c) for c in zip(*extra, strict=True))
    return dataclasses.replace(
        setting,
        win_id=np.concatenate([setting.win_id, ids]).astype(np.int64),
        win_lo=np.concatenate([setting.win_lo, lo]),
        win_hi=np.concatenate([setting.win_hi, hi]),
        win_scale=np.concatenate([setting.win_scale, scale]),
    )


@dataclasses.dataclass(frozen=True)
class Run:
    """One run of a schedule: which arm terms join the HR windows and how hard they pull, the OS
    upper bound's ceiling, the first temperature, iterations, seed, whether the arm-only p-value
    gap's bound enters the keep rule, where it starts (``committed``: the state the schedule is
    given, :func:`witness_start` for the witnesses;
    ``first``: the first run's state; ``previous``: the run before's), and its objective
    (``stage``).

    ``stage="windows"`` pulls the HR windows and the arm windows of ``endpoints``; ``stage="table4"``
    is the committed search's own last stage (:func:`joint.table4_stage`: every Table 4 window, the
    conclusions' terms pulled harder, the arm-term bounds as walls, the gap's bound kept), run
    longer, so ``endpoints``, ``weight``, ``os_ceiling`` and ``keep_gap`` do not apply to it."""

    name: str
    endpoints: tuple[str, ...] = ()
    weight: float = 100.0
    os_ceiling: float = joint.OS_CI_TABLE4_CEILING
    temp0: float = 0.3
    iterations: int = 3_000_000
    seed: int = 1
    keep_gap: float = 1.0
    start: str = "first"
    stage: str = "windows"


BOTH_ARMS = ("pfs", "os")

_LONG = (
    Run("hr", temp0=1.0, keep_gap=0.0, start="committed"),
    Run(
        "+both arms x10, OS bound 1.1099", BOTH_ARMS, 10.0, joint.OS_CI_CEILING, 1.0, seed=2, start="previous"
    ),
    Run("x30", BOTH_ARMS, 30.0, seed=4, start="previous"),
    Run("x100", BOTH_ARMS, 100.0, seed=8, start="previous"),
)

#: The committed search's own last stage (``stage="table4"``), from the state it is given, run
#: twice for 5M iterations (the second from the first's state): the witness that keeps what the
#: committed cohort keeps (from :func:`witness_start`). A third such run (seed 44) found nothing better (docs/OPEN-TARGETS.md).
_TABLE4_STAGE = (
    Run("table4 stage", stage="table4", temp0=1.0, iterations=5_000_000, seed=41, start="committed"),
    Run("table4 stage again", stage="table4", temp0=1.0, iterations=5_000_000, seed=42, start="previous"),
)

#: ``short``: the HR windows alone, then from that state with the PFS arm term, then from the same
#: state with both (3M iterations each). ``long``: the HR windows alone, then both arm terms
#: pulled 10 times harder (OS upper bound to :data:`joint.OS_CI_CEILING`), 30 and 100 times, each
#: from the run before's state: the witness. ``longer``: ``long`` and then 30 times for 10M
#: iterations and 300 times, colder, for 1M. ``table4_stage``: the committed search's own last stage
#: from the state given, 5M and 5M more iterations: the kept witness (from :func:`witness_start`).
SCHEDULES: dict[str, tuple[Run, ...]] = {
    "short": (
        Run("hr", temp0=1.0, start="committed"),
        Run("+pfs arm", ("pfs",), seed=2),
        Run("+both arms", BOTH_ARMS, seed=3),
    ),
    "long": _LONG,
    "longer": (
        *_LONG,
        Run("x30, 10M", BOTH_ARMS, 30.0, iterations=10_000_000, seed=22, start="previous"),
        Run("x300, cold", BOTH_ARMS, 300.0, temp0=0.1, iterations=1_000_000, seed=23, start="previous"),
    ),
    "table4_stage": _TABLE4_STAGE,
}


def schedule_iterations(schedule: str) -> int:
    """Iterations of a schedule's runs, in all."""
    return sum(run.iterations for run in SCHEDULES[schedule])


def run_schedule(
    tg: Mapping[str, Any],
    T: np.ndarray,
    D: np.ndarray,
    runs: tuple[Run, ...],
    seed_offset: int = 0,
    report: Callable[[Run, np.ndarray, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run ``runs`` (a schedule) from the state (T, D) (``joint.state_from_cohort``), which is left
    as it is; calls ``report(run, T, D)`` after each run and returns the last run's state. A first
    run may start from ``committed`` or ``previous`` (both the given state), not from ``first``."""
    hr = hr_windows(tg)
    pull = dict(cost=0.1, hold=100.0, beta_lin=5.0, windows=1.0, keep_windows=1.0)
    states: dict[str, tuple[np.ndarray, np.ndarray]] = {"committed": (T, D), "previous": (T, D)}
    for run in runs:
        if run.start not in states:
            raise ValueError(f"run {run.name!r} starts from {run.start!r}, which no run before it made")
        T1, D1 = (a.copy() for a in states[run.start])
        if run.stage == "table4":
            setting = joint.annealing_setting(tg, windows=joint.table4_windows(tg))
            objective = joint.table4_stage()
        elif run.stage == "windows":
            setting = with_windows(
                joint.annealing_setting(tg, windows=hr),
                arm_windows(tg, run.weight, run.endpoints, run.os_ceiling),
            )
            objective = annealing.Objective(**pull, keep_gap=run.keep_gap)
        else:
            raise ValueError(f"run {run.name!r} has stage {run.stage!r}: 'windows' or 'table4'")
        moves = {**joint.STAGE_MOVES["table4"], "temp0": run.temp0}
        annealing.anneal(T1, D1, setting, objective, run.iterations, seed=run.seed + seed_offset, **moves)
        if report is not None:
            report(run, T1, D1)
        states.setdefault("first", (T1, D1))
        states["previous"] = (T1, D1)
    return states["previous"]


#: The random stream of a witness's responses and ongoing treatment (with the cohort's seed).
WITNESS_STREAM = 0x3177


def witness_cohort(
    cohort: pd.DataFrame, T: np.ndarray, D: np.ndarray, seed: int, published: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """A state of ``cohort`` (``joint.state_from_cohort``, then moved) as a cohort file: its rows
    with the state's survival times and covariates (``joint.cohort_from_state``); what the
    generator derives from the times derived again by its rules, so that they agree with the new
    times (best response: :func:`~lcnec_utils.reconstruct.generator.draw_responses`; still on
    treatment at the cut-off: :func:`~lcnec_utils.reconstruct.generator.draw_ongoing`, from a
    stream of their own, ``(seed, WITNESS_STREAM)``); and a calendar drawn for the times as the
    generator draws one (``study_calendar``, the stream of ``seed``). Every other column is the
    cohort's; the adverse events stay the cohort's file."""
    tg = published_targets(published)
    out = joint.cohort_from_state(cohort, T, D)
    treated = (out["group"] == TREATMENT).to_numpy()
    arms, _ = joint.from_state(T, D, int(treated.sum()))
    rng = np.random.default_rng([seed, WITNESS_STREAM])
    for role in ROLES:
        rows = treated if role == "treatment" else ~treated
        out.loc[rows, "best_response"] = draw_responses(rng, tg, role, arms[role])
        out.loc[rows, "ongoing_treatment"] = draw_ongoing(rng, tg, role, arms[role])
    dates = start_dates(calendar_stream(seed), out["os_months"], out["os_event"])
    return pd.concat([out, dates.set_axis(out.index)], axis=1)


def schedule_witness(
    cohort: pd.DataFrame,
    schedule: str,
    seed_offset: int = 0,
    report: Callable[[Run, np.ndarray, np.ndarray], None] | None = None,
    tg: Mapping[str, Any] | None = None,
    start: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The witness a schedule (a key of :data:`SCHEDULES`) makes from ``start`` (a state; by
    default ``cohort``'s, ``joint.state_from_cohort``, which for the committed cohort is not where
    the committed witnesses start: they need :func:`witness_start`): run through the schedule
    (:func:`run_schedule`, every run's seed plus ``seed_offset``) and written back onto ``cohort``'s
    rows with the default seed's calendar (:func:`witness_cohort`). What
    ``benchmarks/table4_reach.py --write`` saves, from :func:`witness_start`; a module-level
    function, so that a process pool can make two witnesses at once."""
    tg = published_targets() if tg is None else tg
    start = joint.state_from_cohort(cohort) if start is None else start
    T, D = run_schedule(tg, *start, SCHEDULES[schedule], seed_offset, report)
    return witness_cohort(cohort, T, D, DEFAULT_SEED)


def file_rows(rec) -> np.ndarray:
    """The search's row (treatment first, then reference: ``info["before_polish"]``) of each row
    of a reconstruction's cohort as ``joint.state_from_cohort`` reads it (each arm's rows in file
    order): from the shuffle the generator recorded (``info["row_order"]``)."""
    order = np.asarray(rec.info["row_order"])  # the search's row of each cohort file row
    treated = (rec.cohort["group"] == TREATMENT).to_numpy()
    return np.concatenate([order[treated], order[~treated]])


def witness_start(rec) -> tuple[np.ndarray, np.ndarray]:
    """Where the witnesses' schedules start: the committed search's state before its last step
    (``info["before_polish"]`` of the default seed's reconstruction, ``rec``): each arm's times of
    the committed cohort, paired with its patients as the annealing left them, and the covariates
    as it left them, its rows in the file's order (:func:`file_rows`, as
    ``joint.state_from_cohort`` reads a cohort). The witnesses were made from it before the last
    steps existed (it was then the committed cohort); those steps move covariates and re-pair
    times within arms, which the schedules move again."""
    T, D = rec.info["before_polish"]
    rows = file_rows(rec)
    return np.ascontiguousarray(T[:, rows]), np.ascontiguousarray(D[rows])
