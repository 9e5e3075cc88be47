"""The ensemble members' survival search in Python: simulated annealing of times and covariate placement."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lcnec_utils.reconstruct import fastsurv
from lcnec_utils.reconstruct.annealing import tied_times_pooled
from lcnec_utils.reconstruct.objective import GAP_PENALTY_START, GAP_WEIGHT
from lcnec_utils.reconstruct.settings import (
    FIRST_EVENT,
    LONGEST_OS,
    LONGEST_PFS,
    MAX_OS,
    MIN_PFS,
    PLAUSIBILITY,
    ROLES,
    TABLE4,
)
from lcnec_utils.reconstruct.targets import COX_TERMS, SoftTarget, soft_targets, term_name
from lcnec_utils.reconstruct.times import Arm, arm_valid, km_targets, tenths
from lcnec_utils.stats.normal import Z95


def covariate_design(
    covs: Mapping[str, Mapping[str, np.ndarray]], ages: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Cox covariate matrix per arm (COX_TERMS without treatment)."""
    out = {}
    for r in ROLES:
        c = covs[r]
        cols = [ages[r].astype(float), (c["sex"] == "Male").astype(float)]
        cols += [np.asarray(c[t], float) for t in COX_TERMS[3:]]
        out[r] = np.column_stack(cols)
    return out


def covariate_columns(X: np.ndarray) -> dict[str, np.ndarray]:
    """One arm's Cox covariate matrix (:func:`covariate_design`) back as cohort columns: ``age``
    (whole years), ``sex`` ("Male"/"Female") and the 0/1 or score columns."""
    out = {"age": X[:, 0].astype(int), "sex": np.where(X[:, 1] == 1, "Male", "Female")}
    for k, term in enumerate(COX_TERMS[3:], start=2):
        out[term] = X[:, k].astype(int)
    return out


class SurvivalSearch:
    """Simulated annealing over times (hard KM constraints kept) and covariate placement.

    Metrics are cached per part (Kaplan-Meier side and Cox side of each
    endpoint) so that a move recomputes only what it changed; Cox fits start
    from the last accepted coefficients. Each move (``*_move``) changes one arm in place
    and returns (undo, arm, endpoints whose times changed), or None if it changed nothing.
    """

    def __init__(self, rng, tg, arms: dict[str, Arm], X: dict[str, np.ndarray]):
        self.rng = rng
        self.kt = {r: km_targets(tg, r) for r in ROLES}
        self.arms = arms
        self.X = X
        self.soft = soft_targets(tg)
        self.n = {r: arms[r].pfs.size for r in ROLES}
        self.g = np.concatenate([np.ones(self.n["treatment"]), np.zeros(self.n["reference"])])
        self.beta = {ep: None for ep in ("pfs", "os")}
        self.follow_up_target = float(tg["followup.median"])
        self.gap_bound = float(PLAUSIBILITY["arm_only_p_gap"])
        self.pooled_ties = int(PLAUSIBILITY["max_tied_times"]["both_arms"])
        self._order: dict[str, tuple[bytes, np.ndarray]] = {}

    def times_events(self, ep: str):
        """Both arms' times (months, treatment arm first) and events of endpoint ``ep``."""
        t = np.concatenate([getattr(self.arms[r], ep) for r in ROLES]) / 10.0
        e = np.concatenate([getattr(self.arms[r], ep + "_e") for r in ROLES]).astype(float)
        return t, e

    def _km_part(self, ep: str) -> dict[str, float]:
        """Pooled Kaplan-Meier side of an endpoint: log-rank, follow-up, longest time."""
        t, e = self.times_events(ep)
        oe, v, longest, fu, srev_last, same, heap, pairs, first1, first0 = fastsurv.pooled_km_stats(
            t, e, self.g
        )
        z = oe / math.sqrt(v)
        z_wald, z_score = fastsurv._arm_only_tests(t, e, self.g)
        # z: direction of the comparison; oe / v: Peto's one-step log hazard ratio of the arm alone
        m = {
            f"{ep}.logrank.p": math.erfc(abs(z) / math.sqrt(2.0)),
            f"realism.{ep}_longest": float(longest),
            f"{ep}.logrank.z": z,
            f"{ep}.peto_log_hr": oe / v,
            f"plausibility.{ep}_p_gap": float(fastsurv._p_gap(z, z_wald, z_score)),
        }
        if ep == "os":
            if not math.isfinite(fu):
                # reverse KM never reaches 0.5: a graded stand-in, worse the higher it stays
                fu = (
                    self.follow_up_target
                    + 10.0
                    + 40.0 * (srev_last - 0.5 if math.isfinite(srev_last) else 1.0)
                )
            m["followup.median"] = float(fu)
            m["realism.same_follow_up"] = float(same)
        # events sharing a 0.1-month time: pairs happen, heaps are a sign of a forced fit
        m[f"realism.{ep}_pileup"] = 3.0 * heap + 0.3 * pairs
        # stage IV LCNEC: each arm has early events (first within FIRST_EVENT months)
        m[f"realism.{ep}_first_event"] = max(0.0, first1 - FIRST_EVENT[ep]) + max(
            0.0, first0 - FIRST_EVENT[ep]
        )
        return m

    def _arm_part(self, ep: str, r: str) -> dict[str, float]:
        """SPSS median CI of one arm."""
        a = self.arms[r]
        _, lo, hi = fastsurv.median_ci_spss(getattr(a, ep) / 10.0, getattr(a, ep + "_e"))
        return {f"{ep}.median_ci_low.{r}": lo, f"{ep}.median_ci_high.{r}": hi}

    def _cox_part(self, ep: str) -> tuple[dict[str, float], np.ndarray]:
        """The multivariable Cox fit of an endpoint (Efron), warm-started: arm HR, CI and p, the
        covariates' log HRs, and the coefficients."""
        t, e = self.times_events(ep)
        key = t.tobytes() + e.tobytes()
        if self._order.get(ep, (None,))[0] != key:  # the time order changes only with the times
            self._order[ep] = (key, np.argsort(t, kind="stable"))
        order = self._order[ep][1]
        design = np.column_stack([self.g, np.vstack([self.X["treatment"], self.X["reference"]])])
        # inside the loop a warm start and at most three Newton steps suffice (the moves are small)
        beta, se, ok = fastsurv.cox_efron(
            t,
            e,
            design,
            beta0=self.beta[ep],
            require_convergence=False,
            max_iter=3 if self.beta[ep] is not None else 30,
            order=order,
        )
        if not ok and self.beta[ep] is not None:
            beta, se, ok = fastsurv.cox_efron(t, e, design, order=order)
        ok = ok and bool(np.all(np.isfinite(se)))
        b, s = beta[0], se[0]
        m = {f"{ep}.cox_converged": float(ok), f"{ep}.cox_max_abs_beta": float(np.max(np.abs(beta[1:])))}
        if ok and s > 0:
            m[f"{ep}.cox_multivariable.hr"] = math.exp(b)
            m[f"{ep}.cox_multivariable.ci_low"] = math.exp(b - Z95 * s)
            m[f"{ep}.cox_multivariable.ci_high"] = math.exp(b + Z95 * s)
            m[f"{ep}.cox_multivariable.p"] = math.erfc(abs(b / s) / math.sqrt(2))
            for k, term in enumerate(COX_TERMS[1:], start=1):
                m[f"{ep}.cox_multivariable.{term_name(term)}.hr"] = float(beta[k])
        return m, beta

    def cost(
        self, parts: Mapping[str, Mapping[str, float]], soft: Sequence[SoftTarget] | None = None
    ) -> float:
        """The search's usual objective; ``soft``: the soft targets to use instead of all of them."""
        m: dict[str, float] = {}
        for part in parts.values():
            m.update(part)
        with_cox = "pfs.cox" in parts
        c = 0.0
        for s in self.soft if soft is None else soft:
            v = m.get(s.key)
            if v is None:
                if with_cox and s.is_cox:
                    c += 100.0 * s.weight  # the fit failed
                continue
            if not math.isfinite(v):
                c += 100.0 * s.weight
                continue
            x = s.scaled(v)
            # quadratic inside the tolerance, steeper linear growth outside it
            c += s.weight * (x * x if x <= 1.0 else 4.0 * x - 3.0)
        # realism: the figures' time axes end at 40 (PFS) and 50 (OS) months, so the longest
        # times lie in the last stretch; alive patients rarely share a follow-up time
        c += (max(0.0, LONGEST_PFS - m["realism.pfs_longest"]) / 2.0) ** 2
        c += (max(0.0, LONGEST_OS - m["realism.os_longest"]) / 2.0) ** 2
        c += 0.5 * m["realism.same_follow_up"] + m["realism.pfs_pileup"] + m["realism.os_pileup"]
        c += (m["realism.pfs_first_event"] ** 2 + m["realism.os_first_event"] ** 2) / 4.0
        # the printed medians favour the treatment arm: so must the log-rank comparison
        c += 1e3 * (max(0.0, m["pfs.logrank.z"]) + max(0.0, m["os.logrank.z"]))
        # untied data: the arm-only log-rank, Wald and score p-values stay close
        for ep in ("pfs", "os"):
            gap = m[f"plausibility.{ep}_p_gap"]
            c += GAP_WEIGHT * (
                max(0.0, gap - GAP_PENALTY_START * self.gap_bound) if math.isfinite(gap) else 1.0
            )
        if with_cox:
            for ep in ("pfs", "os"):
                if not m[f"{ep}.cox_converged"]:
                    c += 1e4
                    continue
                # adjustment moves the arm's HR, but not wildly (no flip by confounding)
                shift = abs(math.log(m[f"{ep}.cox_multivariable.hr"]) - m[f"{ep}.peto_log_hr"])
                c += 10.0 * max(0.0, shift - 0.35) ** 2
                # no covariate HR beyond 1/8..8 (Table 4's run from 0.78 to 1.84)
                c += 50.0 * max(0.0, m[f"{ep}.cox_max_abs_beta"] - math.log(8.0)) ** 2
        return c

    def cost_parts(self, with_cox: bool) -> dict[str, dict[str, float]]:
        """Every part of the metrics, computed afresh (the Cox parts if ``with_cox``; their
        coefficients become the warm start)."""
        parts = {}
        for ep in ("pfs", "os"):
            parts[f"{ep}.km"] = self._km_part(ep)
            for r in ROLES:
                parts[f"{ep}.{r}"] = self._arm_part(ep, r)
            if with_cox:
                parts[f"{ep}.cox"], self.beta[ep] = self._cox_part(ep)
        return parts

    def time_move(self):
        """A patient's PFS, OS or both (if their PFS ends at their OS time: free of progression,
        or dead without one) move by 0.1-2.9 months, one move in five by up to 11.9 months."""
        rng = self.rng
        r = ROLES[rng.integers(2)]
        a = self.arms[r]
        i = rng.integers(self.n[r])
        delta = int(rng.integers(1, 30 if rng.random() < 0.8 else 120)) * (1 if rng.random() < 0.5 else -1)
        if _moves_together(a, i):
            return self._set_times(r, i, a.pfs[i] + delta, a.os[i] + delta, ("pfs", "os"))
        if rng.random() < 0.5:
            return self._set_times(r, i, a.pfs[i] + delta, a.os[i], ("pfs",))
        return self._set_times(r, i, a.pfs[i], a.os[i] + delta, ("os",))

    def _set_times(self, r: str, i: int, pfs, os_, changed: tuple[str, ...]):
        """Patient ``i`` of arm ``r`` gets these PFS and OS times if the arm's hard constraints
        still hold and a progression does not land on the death: returns (undo, arm, changed
        endpoints), else None with the times unchanged."""
        a = self.arms[r]
        saved = (a.pfs[i], a.os[i])
        if len(changed) == 1 and a.pfs_e[i] and a.os_e[i] and pfs == os_:
            return None
        before = self._pooled_tied_times(changed)
        a.pfs[i], a.os[i] = pfs, os_
        if not (arm_valid(a, self.kt[r], changed) and self._pooled_ties_ok(changed, before)):
            a.pfs[i], a.os[i] = saved
            return None

        def undo():
            a.pfs[i], a.os[i] = saved

        return undo, r, changed

    def _pooled_tied_times(self, changed: Sequence[str]) -> dict[str, int]:
        """Per endpoint in ``changed``: the times both arms' events share (``tied_times_pooled``)."""
        out = {}
        for ep in changed:
            e = "pfs_e" if ep == "pfs" else "os_e"
            t = np.concatenate([getattr(self.arms[r], ep) for r in ROLES])
            out[ep] = int(
                tied_times_pooled(
                    t.astype(np.int64),
                    np.concatenate([getattr(self.arms[r], e) for r in ROLES]).astype(np.int64),
                )
            )
        return out

    def _pooled_ties_ok(self, changed: Sequence[str], before: Mapping[str, int]) -> bool:
        """The limit on times shared by both arms' events, as the compiled search holds it: at most
        ``max_tied_times.both_arms`` per endpoint, or (a start above it) no more than ``before``."""
        after = self._pooled_tied_times(changed)
        return all(after[ep] <= self.pooled_ties or after[ep] <= before[ep] for ep in changed)

    def covariate_move(self):
        """Two patients of one arm swap one covariate's values, or (ECOG) one's score changes
        within its Table 2 class (0 <-> 1, or 2 <-> 3 where 3 is allowed)."""
        rng = self.rng
        r = ROLES[rng.integers(2)]
        X = self.X[r]
        j = int(rng.integers(X.shape[1]))
        i, k = rng.choice(self.n[r], size=2, replace=False)
        if j == COX_TERMS.index("ecog") - 1 and rng.random() < 0.3:
            old = X[i, j]
            top = max(TABLE4["ecog_poor_scores"])
            if old >= 2 and top == 2:
                return None
            X[i, j] = 1 - old if old < 2 else 2 + top - old

            def undo_e():
                X[i, j] = old

            return undo_e, r, ()
        if X[i, j] == X[k, j]:
            return None
        X[i, j], X[k, j] = X[k, j], X[i, j]

        def undo():
            X[i, j], X[k, j] = X[k, j], X[i, j]

        return undo, r, ()

    def jump_move(self):
        """One time set anywhere in its range: crosses the landmark and the medians, which the
        small steps of :meth:`time_move` only do through states that break the hard constraints."""
        rng = self.rng
        r = ROLES[rng.integers(2)]
        a = self.arms[r]
        i = rng.integers(self.n[r])
        if _moves_together(a, i):
            t = int(rng.integers(tenths(MIN_PFS), tenths(MAX_OS) + 1))
            return self._set_times(r, i, t, t, ("pfs", "os"))
        if rng.random() < 0.5:
            if a.os[i] <= tenths(MIN_PFS):
                return None
            return self._set_times(r, i, int(rng.integers(tenths(MIN_PFS), a.os[i])), a.os[i], ("pfs",))
        if a.pfs[i] >= tenths(MAX_OS):
            return None
        return self._set_times(r, i, a.pfs[i], int(rng.integers(a.pfs[i] + 1, tenths(MAX_OS) + 1)), ("os",))

    def outcome_swap_move(self):
        """Two patients of one arm exchange their outcomes (PFS and OS, times and events): the arm's
        Kaplan-Meier curves stay exactly as they are, only who has which covariates changes."""
        rng = self.rng
        r = ROLES[rng.integers(2)]
        a = self.arms[r]
        i, k = rng.choice(self.n[r], size=2, replace=False)
        fields = [getattr(a, f) for f in ("pfs", "pfs_e", "os", "os_e")]

        def swap():
            for v in fields:
                v[i], v[k] = v[k], v[i]

        swap()
        return swap, r, ()

    def progression_swap_move(self):
        """Two progressed patients of one arm exchange PFS times (each still <= its OS): the PFS
        curve stays, the pairing of PFS with OS changes."""
        rng = self.rng
        r = ROLES[rng.integers(2)]
        a = self.arms[r]
        i, k = rng.choice(self.n[r], size=2, replace=False)
        if (
            not (a.pfs_e[i] and a.pfs_e[k])
            or _moves_together(a, i)
            or _moves_together(a, k)
            or a.pfs[i] >= a.os[k]
            or a.pfs[k] >= a.os[i]
        ):
            return None

        def swap():
            a.pfs[i], a.pfs[k] = a.pfs[k], a.pfs[i]

        swap()
        return swap, r, ("pfs",)

    def progression_toggle_move(self):
        """A patient's progression toggled: one alive at the cut-off gains or loses a recorded
        progression, a dead one's PFS event becomes the death (no progression) or a progression
        before it; the number of PFS events and of deaths without progression otherwise stay as
        placed."""
        rng = self.rng
        r = ROLES[rng.integers(2)]
        a = self.arms[r]
        i = rng.integers(self.n[r])
        saved = (a.pfs[i], a.pfs_e[i])
        before = self._pooled_tied_times(("pfs",))
        if a.os_e[i] == 0 and a.pfs_e[i]:
            a.pfs[i], a.pfs_e[i] = a.os[i], 0
        elif a.os_e[i] and a.pfs[i] != a.os[i]:
            a.pfs[i] = a.os[i]
        elif a.os[i] > tenths(MIN_PFS):
            a.pfs[i], a.pfs_e[i] = int(rng.integers(tenths(MIN_PFS), a.os[i])), 1
        else:
            return None
        if not (arm_valid(a, self.kt[r], ("pfs",)) and self._pooled_ties_ok(("pfs",), before)):
            a.pfs[i], a.pfs_e[i] = saved
            return None

        def undo():
            a.pfs[i], a.pfs_e[i] = saved

        return undo, r, ("pfs",)

    def structural_move(self):
        """One of the larger moves: a jump, an outcome swap, a progression swap or toggle."""
        u = self.rng.random()
        if u < 0.35:
            return self.jump_move()
        if u < 0.6:
            return self.outcome_swap_move()
        if u < 0.85:
            return self.progression_swap_move()
        return self.progression_toggle_move()

    def run(
        self,
        iterations: int,
        with_cox: bool,
        p_time: float,
        temp0: float = 2.0,
        temp1: float = 0.01,
        p_structural: float = 0.0,
        objective: Callable[[Mapping[str, Mapping[str, float]]], float] | None = None,
        cox_endpoints: Sequence[str] = ("pfs", "os"),
    ) -> float:
        """Simulated annealing of ``objective`` (default :meth:`cost`); ``p_structural`` is the share
        of :meth:`structural_move` (0 in the stages every cohort runs, so that their random
        streams, and the ensemble, stay as they are); ``cox_endpoints``: the Cox fits refreshed
        after a move (an objective that reads only the PFS fit need not pay for the OS one)."""
        objective = objective or self.cost
        parts = self.cost_parts(with_cox)
        cur = best = objective(parts)
        best_state = self._snapshot()
        for it in range(iterations):
            temp = temp0 * (temp1 / temp0) ** (it / max(iterations - 1, 1))
            if p_structural and self.rng.random() < p_structural:
                move = self.structural_move()
            else:
                move = (
                    self.time_move()
                    if (not with_cox or self.rng.random() < p_time)
                    else self.covariate_move()
                )
            if move is None:
                continue
            undo, arm, changed = move
            new = dict(parts)
            betas = {}
            for ep in changed:
                new[f"{ep}.km"] = self._km_part(ep)
                new[f"{ep}.{arm}"] = self._arm_part(ep, arm)
            if with_cox:
                for ep in changed if changed else ("pfs", "os"):
                    if ep in cox_endpoints:
                        new[f"{ep}.cox"], betas[ep] = self._cox_part(ep)
            c = objective(new)
            if c <= cur or self.rng.random() < math.exp(-(c - cur) / temp):
                cur, parts = c, new
                self.beta.update(betas)
                if c < best:
                    best, best_state = c, self._snapshot()
            else:
                undo()
        self._restore(best_state)
        return best

    def _snapshot(self):
        """A copy of the state (times, events, covariates) for :meth:`_restore`."""
        fields = ("pfs", "pfs_e", "os", "os_e")  # events too: outcome swaps move them
        return (
            {r: tuple(getattr(a, f).copy() for f in fields) for r, a in self.arms.items()},
            {r: x.copy() for r, x in self.X.items()},
        )

    def _restore(self, snap):
        times, X = snap
        for r, values in times.items():
            for f, v in zip(("pfs", "pfs_e", "os", "os_e"), values):
                getattr(self.arms[r], f)[:] = v
        for r, x in X.items():
            self.X[r][:] = x


def _moves_together(a: Arm, i: int) -> bool:
    """Whether patient ``i``'s PFS is their OS time (alive without progression, or a death without
    progression): a time move shifts both."""
    return a.pfs_e[i] == 0 or (a.os_e[i] == 1 and a.pfs[i] == a.os[i])


@dataclass(frozen=True)
class SearchBudget:
    """Iterations of an ensemble member's survival search (its three stages, run by
    :func:`lcnec_utils.reconstruct.generator.reconstruct`): times alone (Kaplan-Meier targets, no
    Cox), covariate placement alone (Cox targets), then both together."""

    times: int = 12000
    covariates: int = 4000
    joint: int = 20000


#: Stage 1 (times alone) is repeated from a fresh placement, at most RESTARTS times in all,
#: until its cost is at most RESTART_BELOW (solved runs end near 2-15, stuck ones near 50-100).
RESTARTS, RESTART_BELOW = 3, 25.0


#: An ensemble member's budget (a second or so each).
ENSEMBLE_BUDGET = SearchBudget(times=6000, covariates=1500, joint=2500)
