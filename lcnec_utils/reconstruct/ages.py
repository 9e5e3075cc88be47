"""Ages: integers with the printed mean and SD per arm and in total.

The sums and sums of squares that print as the summaries are enumerated, then SPRITE-style moves
(Heathers et al. 2018) reach them with the printed count aged 65 or more (:func:`draw_ages`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from lcnec_utils.reconstruct.settings import ROLES
from lcnec_utils.reconstruct.targets import matches_printed, published_count


def _age_moment_options(n: int, mean: float, sd: float, mean_dec: int = 1, sd_dec: int = 2):
    """All (sum, sum of squares) of n integers whose mean and SD print as reported."""
    out = []
    for s in range(int(math.floor((mean - 1) * n)), int(math.ceil((mean + 1) * n)) + 1):
        if not matches_printed(s / n, mean, mean_dec):
            continue
        base = s * s / n
        lo = base + (n - 1) * (sd - 0.01) ** 2
        hi = base + (n - 1) * (sd + 0.01) ** 2
        for q in range(int(math.floor(lo)), int(math.ceil(hi)) + 1):
            if (q - s) % 2:  # sum of x^2 has the parity of the sum of x
                continue
            var = (q - base) / (n - 1)
            if var > 0 and matches_printed(math.sqrt(var), sd, sd_dec):
                out.append((s, q))
    return out


def _age_targets(tg: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """(sum, sum of squares) per arm meeting the arm and total summaries."""
    n = {r: int(tg[f"n.{r}"]) for r in ROLES}
    opts = {
        r: _age_moment_options(n[r], tg[f"baseline.age.mean.{r}"], tg[f"baseline.age.sd.{r}"]) for r in ROLES
    }
    N = n["treatment"] + n["reference"]
    best = None
    for st, qt in opts["treatment"]:
        for sr, qr in opts["reference"]:
            s, q = st + sr, qt + qr
            mean, sd = s / N, math.sqrt((q - s * s / N) / (N - 1))
            ok = True
            if "baseline.age.mean.total" in tg:
                ok &= matches_printed(mean, tg["baseline.age.mean.total"], 1)
            if "baseline.age.sd.total" in tg:
                ok &= matches_printed(sd, tg["baseline.age.sd.total"], 2)
            if ok:
                best = {"treatment": (st, qt), "reference": (sr, qr)}
                break
        if best:
            break
    if best is None:
        raise ValueError("no integer ages meet the published age summaries")
    return best


def _sprite_ages(
    rng: np.random.Generator,
    n: int,
    total: int,
    sumsq: int,
    n_old: int,
    lo: int = 42,
    hi: int = 86,
    cut: int = 65,
) -> np.ndarray:
    """n integer ages with the given sum and sum of squares, ``n_old`` of them >= ``cut``."""
    for _attempt in range(200):
        x = np.concatenate([rng.integers(cut, hi - 6, n_old), rng.integers(lo + 8, cut, n - n_old)])
        old = x >= cut
        # fix the sum by +/-1 steps that keep each age on its side of the cut
        for _ in range(4000):
            diff = total - int(x.sum())
            if diff == 0:
                break
            i = rng.integers(n)
            step = 1 if diff > 0 else -1
            y = x[i] + step
            if lo <= y <= hi and (y >= cut) == old[i]:
                x[i] = y
        if int(x.sum()) != total:
            continue
        q = int((x * x).sum())
        for _ in range(20000):
            if q == sumsq:
                return rng.permutation(x)
            i, j = rng.integers(n, size=2)
            if i == j:
                continue
            # x_i + 1, x_j - 1 keeps the sum; changes the sum of squares by 2(x_i - x_j) + 2
            dq = 2 * (int(x[i]) - int(x[j])) + 2
            nq = q + dq
            xi, xj = x[i] + 1, x[j] - 1
            if not (lo <= xi <= hi and lo <= xj <= hi):
                continue
            if (xi >= cut) != old[i] or (xj >= cut) != old[j]:
                continue
            if abs(nq - sumsq) < abs(q - sumsq) or (abs(nq - sumsq) == abs(q - sumsq) and rng.random() < 0.5):
                x[i], x[j], q = xi, xj, nq
    raise RuntimeError("SPRITE did not reach the age targets")


def draw_ages(rng, tg: Mapping[str, Any], n: Mapping[str, int]) -> dict[str, np.ndarray]:
    """Integer ages of each arm (``n`` patients per role) with the printed mean and SD per arm and
    in total and the printed count aged 65 or more."""
    moments = _age_targets(tg)
    return {r: _sprite_ages(rng, n[r], *moments[r], published_count(tg, "age_ge65", r)) for r in ROLES}
