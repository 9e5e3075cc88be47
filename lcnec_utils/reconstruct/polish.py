"""Table 4's window targets counted, not pulled: a best-improvement local search over covariate
moves and outcome swaps, each arm's survival times fixed (the committed search's last steps).

The annealing stages (:mod:`lcnec_utils.reconstruct.joint`) pull Table 4's window targets by their
summed distance outside the windows, and the arm-term bounds leave them a thin set of states: of
the kept witness's 981 single covariate moves, 5 keep those bounds (docs/OPEN-TARGETS.md, session
17). This step counts instead. Its moves keep each arm's survival times: a swap of one covariate's
values between two patients of the same arm, or an ECOG score changed within its Table 2 class (as
the annealing's covariate moves), and, with ``swaps``, an outcome swap (:func:`outcome_swaps`: two
patients of the same arm who both progressed exchange their progression times, or, if both died,
their death times). Each arm's PFS and OS times and events stay, so every Kaplan-Meier target, the
log-rank tests, the plausibility limits and Table 2's counts (for ECOG, its class: 0-1 or 2 and
above) hold; only the two multivariable Cox fits move. Each round screens every move, and every
second move after each of the ``pairs`` single moves nearest to the arm-term bounds, by one
Newton-Raphson step from the current fit (Efron); of the screened moves and pairs that lower, in
this order, the priority windows missed, the other windows missed and the summed distance outside
the windows, the best :data:`_CANDIDATES` are refitted to convergence, best first, and the first
that still lowers them and keeps the arm-term bounds (no further from the ``keep_*`` bounds than
the state the step started from) is applied. It stops when no candidate is confirmed (a move the
screen misjudges can be passed over), or after ``rounds`` rounds. Deterministic (moves in a fixed
order, ties to the first). The committed search runs it twice: covariate moves only, then with
outcome swaps (``JointSearchBudget.swap_rounds``; session 18). The priority windows
(``priority``, :func:`lcnec_utils.reconstruct.joint.table4_priority`) are ECOG's progression term's
and, for each p no data set can give, its side of 0.05; the other p windows also stop on their
printed side of 0.05 but count with the rest, so the step does not itself guarantee Table 4's
conclusions (the default seed's rule checks them on the cohort).

Written by hand: the targets are the book's own windows on Cox fits, which no optimisation
library states; the moves and fits are those of :mod:`lcnec_utils.reconstruct.annealing`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from lcnec_utils.reconstruct.annealing import Setting, _cox_side
from lcnec_utils.reconstruct.objective import Objective, arm_violation, metric_size

__all__ = [
    "IteratedResult",
    "PolishResult",
    "covariate_moves",
    "iterated_search",
    "moves_within_bounds",
    "polish_covariates",
]

#: Newton-Raphson iterations a confirming fit may take from the current estimate (it stops at
#: convergence, usually after 3-5; one that has not converged by then is refitted from 0 and must
#: converge): the counts compare states, so the fits must be converged.
_FIT_ITERATIONS = 30

#: How far beyond the bounds a move screened by one Newton-Raphson step may be and still be
#: refitted: a screen, not a bound on its error (at the committed cohort the screened violation
#: errs by a median 0.003, at most 0.24: session 17's review), so a move it misjudges can be passed
#: over.
_SCREEN_SLACK = 0.005

#: Screened candidates confirmed per round, best first, until one holds.
_CANDIDATES = 64

#: A distance must fall by more than this to count as lower (below it, two fits of one state
#: differ only by their convergence).
_DISTANCE_STEP = 1e-4


@dataclass(frozen=True)
class PolishResult:
    """What :func:`polish_covariates` did: rounds run, moves applied, and (priority windows missed, other
    windows missed, distance) before and after."""

    rounds: int
    moves: int
    before: tuple[float, float, float]
    after: tuple[float, float, float]


@njit(cache=True)
def covariate_moves(D, n1, ecog_col, ecog_max):
    """Every covariate move of a state, one row each: (patient i, patient k, column j, new value
    of i, new value of k). A swap of column j between two patients of the same arm whose values
    differ, and, for ECOG, patient i's score changed within its Table 2 class (then k = i): 0 <->
    1, and 2 <-> ``ecog_max`` if the class holds more than one score (as the annealing's moves)."""
    n, q = D.shape
    out = np.empty((n * n * q, 5))  # more rows than any state has moves; the filled ones returned
    m = 0
    for arm in range(2):
        lo = 0 if arm == 0 else n1
        hi = n1 if arm == 0 else n
        for j in range(1, q):
            for i in range(lo, hi):
                for k in range(i + 1, hi):
                    if D[i, j] != D[k, j]:
                        out[m] = (float(i), float(k), float(j), D[k, j], D[i, j])
                        m += 1
                if j == ecog_col and (D[i, j] < 2 or ecog_max > 2):
                    value = 1.0 - D[i, j] if D[i, j] < 2 else 2.0 + ecog_max - D[i, j]
                    out[m] = (float(i), float(i), float(j), value, value)
                    m += 1
    return out[:m]


#: Column codes of :func:`outcome_swaps`' rows: a swap of two patients' progression times, or of
#: their death times (the rows of T they swap: 0 and 2).
PFS_SWAP, OS_SWAP = -1.0, -2.0


@njit(cache=True)
def outcome_swaps(T, n1):
    """Every outcome swap of a state, one row each, as :func:`covariate_moves`' rows: (patient i,
    patient k, ``PFS_SWAP`` or ``OS_SWAP``, 0, 0). Two patients of the same arm who both progressed
    before their death or last follow-up (neither a death without progression) may swap their
    progression times (as the annealing's progression swap) or, if both died, their death times,
    where each progression stays before the other's death or follow-up: each arm's PFS and OS
    times and events stay (so every Kaplan-Meier target, log-rank test and tie limit), only which
    patient, with which covariates and which other time, carries them changes."""
    n = T.shape[1]
    out = np.empty((n * n, 5))
    m = 0
    for arm in range(2):
        lo = 0 if arm == 0 else n1
        hi = n1 if arm == 0 else n
        for i in range(lo, hi):
            for k in range(i + 1, hi):
                if not (T[1, i] == 1 and T[1, k] == 1 and T[0, i] < T[2, k] and T[0, k] < T[2, i]):
                    continue
                if T[0, i] == T[2, i] or T[0, k] == T[2, k]:
                    continue
                if T[0, i] != T[0, k]:
                    out[m] = (float(i), float(k), PFS_SWAP, 0.0, 0.0)
                    m += 1
                if T[3, i] == 1 and T[3, k] == 1 and T[2, i] != T[2, k]:
                    out[m] = (float(i), float(k), OS_SWAP, 0.0, 0.0)
                    m += 1
    return out[:m]


@njit(cache=True)
def _moves(T, D, n1, ecog_col, ecog_max, swaps):
    """A state's moves: :func:`covariate_moves`, then (``swaps``) :func:`outcome_swaps`."""
    cov = covariate_moves(D, n1, ecog_col, ecog_max)
    if not swaps:
        return cov
    out_ = outcome_swaps(T, n1)
    both = np.empty((cov.shape[0] + out_.shape[0], 5))
    both[: cov.shape[0]] = cov
    both[cov.shape[0] :] = out_
    return both


@njit(cache=True)
def _apply(T, D, move):
    """Apply a move (a row of :func:`covariate_moves` or :func:`outcome_swaps`); returns the row
    that undoes it."""
    i, k, j = int(move[0]), int(move[1]), int(move[2])
    if j < 0:  # an outcome swap is its own undo
        r = 0 if move[2] == PFS_SWAP else 2
        x = T[r, i]
        T[r, i] = T[r, k]
        T[r, k] = x
        return move.copy()
    undo = np.array([move[0], move[1], move[2], D[i, j], D[k, j]])
    D[i, j] = move[3]
    D[k, j] = move[4]
    return undo


@njit(cache=True)
def _measure(T, D, beta, W, win_id, win_lo, win_hi, win_scale, priority, M, C, warm, iterations):
    """(arm-term violation, priority windows missed, other windows missed, distance) of a state,
    from both Cox fits (``beta`` the warm starts, updated; at most ``iterations`` Newton-Raphson
    steps from them: one is a screen, more must converge); violation inf if a fit failed."""
    for ep in range(2):
        _cox_side(T, D, ep, beta[ep], warm, C, M, iterations, iterations > 1)
    out = np.zeros(4)
    if C[0, 0] == 0.0 or C[1, 0] == 0.0:
        out[0] = math.inf
        return out
    out[0] = arm_violation(M, W)
    for k in range(win_id.size):
        v = M[win_id[k]]
        d = 100.0 if not math.isfinite(v) else max(0.0, win_lo[k] - v, v - win_hi[k]) / win_scale[k]
        if d > 0.0:
            out[1 if priority[k] else 2] += 1.0
            out[3] += d
    return out


@njit(cache=True)
def _measure_moves(T, D, moves, beta0, W, win_id, win_lo, win_hi, win_scale, priority, M, C):
    """:func:`_measure` of the state after each move (one row per move), screened by one
    Newton-Raphson step from ``beta0``; ``D`` restored."""
    out = np.empty((moves.shape[0], 4))
    beta = beta0.copy()
    for a in range(moves.shape[0]):
        undo = _apply(T, D, moves[a])
        beta[:] = beta0
        out[a] = _measure(T, D, beta, W, win_id, win_lo, win_hi, win_scale, priority, M, C, True, 1)
        _apply(T, D, undo)
    return out


@njit(cache=True)
def _better(x, best, viol_cap):
    """Whether measures ``x`` keep the arm-term bounds (violation within ``viol_cap``) and are
    lexicographically lower than ``best`` (priority misses, other misses, distance)."""
    if not x[0] <= viol_cap:
        return False
    if x[1] != best[1]:
        return x[1] < best[1]
    if x[2] != best[2]:
        return x[2] < best[2]
    return x[3] < best[3] - _DISTANCE_STEP


@njit(cache=True)
def _rank(x, viol_cap):
    """A screened candidate's rank (lower first): within the bounds by the screening first, then
    priority misses, other misses, distance."""
    return (0.0 if x[0] <= viol_cap else 1e12) + x[1] * 1e8 + x[2] * 1e4 + min(x[3], 1e4 - 1.0)


@njit(cache=True)
def _keep(cand, cand_rank, x, viol_cap, first, second):
    """Keep a screened candidate (single move ``first``, or ``first`` then ``second``) among the
    best ``cand_rank.size`` so far (the worst replaced)."""
    worst = np.argmax(cand_rank)
    r = _rank(x, viol_cap)
    if r < cand_rank[worst]:
        cand_rank[worst] = r
        cand[worst, :5] = first
        cand[worst, 5:] = second


@njit(cache=True)
def _polish(
    T, D, n1, ecog_col, ecog_max, W, win_id, win_lo, win_hi, win_scale, priority, rounds, pairs, swaps
):
    q = D.shape[1]
    M = np.full(metric_size(q - 1), np.nan)
    C = np.zeros((2, 2))
    args = (W, win_id, win_lo, win_hi, win_scale, priority, M, C)
    beta = np.zeros((2, q))
    start = _measure(T, D, beta, *args, False, _FIT_ITERATIONS)
    cur = start.copy()
    viol_cap = cur[0] + 1e-12
    # a screened move within this of the bounds is confirmed by converged fits
    screen_cap = viol_cap + _SCREEN_SLACK
    applied = 0
    done = 0
    none = np.full(5, -1.0)
    for _ in range(rounds):
        done += 1
        cand = np.zeros((_CANDIDATES, 10))
        cand_rank = np.full(_CANDIDATES, np.inf)
        moves = _moves(T, D, n1, ecog_col, ecog_max, swaps)
        first = _measure_moves(T, D, moves, beta, *args)
        for a in range(moves.shape[0]):
            if _better(first[a], cur, screen_cap):
                _keep(cand, cand_rank, first[a], viol_cap, moves[a], none)
        # second moves after the single moves nearest to the arm-term bounds (then fewest misses)
        key = first[:, 0] * 1e6 + first[:, 1] * 1e3 + first[:, 2]
        order = np.argsort(key, kind="mergesort")
        for r in range(min(pairs, order.size)):
            a = order[r]
            if not math.isfinite(first[a, 0]):
                break
            undo = _apply(T, D, moves[a])
            b1 = beta.copy()
            _measure(T, D, b1, *args, True, _FIT_ITERATIONS)
            second_moves = _moves(T, D, n1, ecog_col, ecog_max, swaps)
            second = _measure_moves(T, D, second_moves, b1, *args)
            _apply(T, D, undo)
            for b in range(second_moves.shape[0]):
                if _better(second[b], cur, screen_cap):
                    _keep(cand, cand_rank, second[b], viol_cap, moves[a], second_moves[b])
        # the best screened candidate that converged fits confirm
        moved = False
        for c in np.argsort(cand_rank, kind="mergesort"):
            if not math.isfinite(cand_rank[c]):
                break
            undo1 = _apply(T, D, cand[c, :5])
            pair = cand[c, 5] >= 0.0
            undo2 = _apply(T, D, cand[c, 5:]) if pair else none
            b1 = beta.copy()
            x = _measure(T, D, b1, *args, True, _FIT_ITERATIONS)
            if _better(x, cur, viol_cap):
                cur = x
                beta[:] = b1
                applied += 2 if pair else 1
                moved = True
                break
            if pair:
                _apply(T, D, undo2)
            _apply(T, D, undo1)
        if not moved:
            break
    return done, applied, start, cur


def polish_covariates(
    T: np.ndarray,
    D: np.ndarray,
    setting: Setting,
    objective: Objective,
    priority: np.ndarray,
    rounds: int,
    pairs: int,
    swaps: bool = False,
) -> PolishResult:
    """The local search of this module on the state (T, D) (``D`` changed in place, and ``T`` with
    ``swaps``): ``setting``'s window targets (``priority[k]`` true for the windows counted first),
    the arm-term bounds of ``objective`` (its ``keep_*``), at most ``rounds`` rounds with second
    moves after the ``pairs`` single moves nearest to those bounds; the moves are
    :func:`covariate_moves`, and with ``swaps`` :func:`outcome_swaps` too."""
    done, applied, before, after = _polish(
        T, D, setting.n1, setting.ecog_column, setting.ecog_max, objective.weights(),
        setting.win_id, setting.win_lo, setting.win_hi, setting.win_scale,
        np.asarray(priority, np.bool_), int(rounds), int(pairs), bool(swaps),
    )  # fmt: skip
    return PolishResult(int(done), int(applied), tuple(map(float, before[1:])), tuple(map(float, after[1:])))


@njit(cache=True)
def _within(T, D, moves, W):
    """For each move, whether the state after it keeps the arm-term bounds of ``W`` (:func:`_measure`
    with fits from 0, which must converge, and no windows); ``D`` restored."""
    q = D.shape[1]
    M = np.full(metric_size(q - 1), np.nan)
    C = np.zeros((2, 2))
    none_id, none_bound = np.zeros(0, np.int64), np.zeros(0)
    out = np.zeros(moves.shape[0], np.bool_)
    for a in range(moves.shape[0]):
        undo = _apply(T, D, moves[a])
        x = _measure(
            T, D, np.zeros((2, q)), W, none_id, none_bound, none_bound, none_bound, np.zeros(0, np.bool_),
            M, C, False, _FIT_ITERATIONS,
        )  # fmt: skip
        out[a] = x[0] == 0.0
        _apply(T, D, undo)
    return out


def moves_within_bounds(T: np.ndarray, D: np.ndarray, setting: Setting, objective: Objective) -> np.ndarray:
    """Which of a state's single covariate moves (:func:`covariate_moves`, one entry each) keep the
    arm-term bounds of ``objective`` (its ``keep_*``): how thin the set of states the searches
    move in is around it."""
    moves = covariate_moves(D, setting.n1, setting.ecog_column, setting.ecog_max)
    return _within(T, D.copy(), moves, objective.weights())


@dataclass(frozen=True)
class IteratedResult:
    """What :func:`iterated_search` did: iterations run, kicks accepted, and (priority windows
    missed, other windows missed, distance) at the start and of the best state (returned)."""

    iterations: int
    accepted: int
    before: tuple[float, float, float]
    after: tuple[float, float, float]


def _counts(T, D, setting: Setting, W, priority) -> np.ndarray:
    """:func:`_measure` of a state from fits started at 0 (converged)."""
    q = D.shape[1]
    M = np.full(metric_size(q - 1), np.nan)
    C = np.zeros((2, 2))
    return _measure(
        T, D, np.zeros((2, q)), W, setting.win_id, setting.win_lo, setting.win_hi, setting.win_scale,
        priority, M, C, False, _FIT_ITERATIONS,
    )  # fmt: skip


def iterated_search(
    T: np.ndarray,
    D: np.ndarray,
    setting: Setting,
    objective: Objective,
    priority: np.ndarray,
    iterations: int,
    *,
    kick: int = 6,
    rounds: tuple[int, int] = (12, 12),
    pairs: tuple[int, int] = (40, 20),
    seed: int = 0,
) -> IteratedResult:
    """An iterated local search (Lourenço, Martin and Stützle 2003) around :func:`polish_covariates`:
    each iteration kicks the current state by 1 to ``kick`` moves (uniformly many), each drawn
    uniformly from the moves of :func:`covariate_moves` and :func:`outcome_swaps` that keep the
    arm-term bounds of ``objective`` (checked by converged fits, as :func:`moves_within_bounds`),
    then runs both counted steps (``rounds[0]`` rounds of covariate moves with ``pairs[0]`` pairs,
    then ``rounds[1]`` with the swaps too and ``pairs[1]``) and keeps the result if it is within
    the bounds and misses no more windows (priority first, then the others) than the current state:
    equal counts are accepted, so the search walks the plateaus the counted steps stop on. ``T``
    and ``D`` end as the best state visited (fewest misses, then least distance). Deterministic for
    a given ``seed`` and ``iterations``; each arm's times and covariate values are kept, as by the
    counted steps. Minutes, not seconds, per gain: a tool for longer searches than one
    reconstruction may take (docs/OPEN-TARGETS.md, session 19)."""
    W = objective.weights()
    pri = np.asarray(priority, np.bool_)
    rng = np.random.default_rng(seed)
    cur = _counts(T, D, setting, W, pri)
    start = cur.copy()
    if not cur[0] == 0.0:
        raise ValueError("the start state is outside the arm-term bounds; the search keeps them")
    state = (T.copy(), D.copy())
    best = (T.copy(), D.copy(), cur.copy())
    accepted = 0
    for _ in range(int(iterations)):
        T2, D2 = state[0].copy(), state[1].copy()
        for _k in range(int(rng.integers(1, kick + 1))):
            moves = _moves(T2, D2, setting.n1, setting.ecog_column, setting.ecog_max, True)
            inside = np.flatnonzero(_within(T2, D2, moves, W))
            if inside.size == 0:
                break
            _apply(T2, D2, moves[inside[rng.integers(inside.size)]])
        polish_covariates(T2, D2, setting, objective, pri, rounds[0], pairs[0])
        polish_covariates(T2, D2, setting, objective, pri, rounds[1], pairs[1], swaps=True)
        x = _counts(T2, D2, setting, W, pri)
        if x[0] == 0.0 and (x[1], x[2]) <= (cur[1], cur[2]):
            accepted += 1
            state, cur = (T2, D2), x
            if (x[1], x[2], x[3]) < (best[2][1], best[2][2], best[2][3] - _DISTANCE_STEP):
                best = (T2.copy(), D2.copy(), x.copy())
    T[:], D[:] = best[0], best[1]
    return IteratedResult(
        int(iterations), accepted, tuple(map(float, start[1:])), tuple(map(float, best[2][1:]))
    )
