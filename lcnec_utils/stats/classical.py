"""Classical tests and intervals as the paper's SPSS 27 analysis computed them.

* categorical rows: Fisher's exact test, two-sided, p = sum of the
  hypergeometric probabilities of all tables with the observed margins that
  are no more likely than the observed one (``scipy.stats.fisher_exact``;
  Agresti, *Categorical Data Analysis*, 3rd ed., 2013, sec. 3.5), and the
  Fisher-Freeman-Halton extension to 2 x k tables;
* age: Student's two-sample t-test with pooled (equal) variances
  (``scipy.stats.ttest_ind(equal_var=True)``);
* laboratory values: Mann-Whitney U, normal approximation with the tie
  correction of the variance and no continuity correction, which is SPSS's
  "Asymp. Sig. (2-tailed)" (``scipy.stats.mannwhitneyu(method="asymptotic",
  use_continuity=False)``; IBM SPSS Statistics 27 Algorithms, NPAR TESTS);
  quartiles as SPSS's default "weighted average at x(n+1)p" (Hyndman & Fan
  1996, definition 6; ``numpy.percentile(method="weibull")``);
* rates: Clopper-Pearson ("exact") confidence intervals
  (``statsmodels.stats.proportion.proportion_confint(method="beta")``;
  Clopper & Pearson, Biometrika 1934);
* the difference of two rates: Newcombe's hybrid score interval
  (``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb")``;
  Newcombe, Stat Med 1998;17:873-90, method 10). The paper gives none; the
  response chapter reads it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint


def fisher_p(n_treatment: int, d_treatment: int, n_reference: int, d_reference: int) -> float | None:
    """Two-sided Fisher's exact p of the 2x2 table
    ``[[n_t, d_t - n_t], [n_r, d_r - n_r]]`` (``scipy.stats.fisher_exact``);
    ``None`` when an arm has nobody with a known value."""
    if not d_treatment or not d_reference:
        return None
    table = [[n_treatment, d_treatment - n_treatment], [n_reference, d_reference - n_reference]]
    return float(stats.fisher_exact(table, alternative="two-sided").pvalue)


def fisher_rejection_region(n_treatment: int, n_reference: int, alpha: float = 0.05) -> np.ndarray:
    """Which 2x2 tables two-sided Fisher's exact test (:func:`fisher_p`) rejects at ``alpha``:
    entry [a, b] for a of ``n_treatment`` and b of ``n_reference`` patients with the characteristic.
    For each total k = a + b the test conditions on the margins: a is hypergeometric, and its
    p-value sums the probabilities of the values no more likely than a (within R's relative
    tolerance of 1e-7; scipy's ``fisher_exact`` uses 1e-14, and the regions agree on every arm size
    tested). Written with ``scipy.stats.hypergeom`` over all a at once for each
    k, since calling ``fisher_exact`` per table takes seconds on arms of a few hundred."""
    n1, n2 = int(n_treatment), int(n_reference)
    out = np.zeros((n1 + 1, n2 + 1), dtype=bool)
    for k in range(n1 + n2 + 1):
        a = np.arange(max(0, k - n2), min(n1, k) + 1)
        pmf = stats.hypergeom.pmf(a, n1 + n2, n1, k)
        p = np.array([pmf[pmf <= x * (1 + 1e-7)].sum() for x in pmf])
        out[a, k - a] = np.minimum(p, 1.0) <= alpha
    return out


def fisher_power(
    n_treatment: int,
    n_reference: int,
    p_treatment: float,
    p_reference: float,
    alpha: float = 0.05,
    region: np.ndarray | None = None,
) -> float:
    """Exact power of two-sided Fisher's exact test at ``alpha`` when a characteristic has
    probability ``p_treatment`` in one arm and ``p_reference`` in the other (independent binomial
    counts): the binomial probability of the tables it rejects (:func:`fisher_rejection_region`,
    or ``region`` if given, to reuse it over many probabilities), summed over every table. With
    equal probabilities it is the test's size, below ``alpha`` (the test is conservative)."""
    rej = fisher_rejection_region(n_treatment, n_reference, alpha) if region is None else region
    p1 = stats.binom.pmf(np.arange(n_treatment + 1), n_treatment, p_treatment)
    p2 = stats.binom.pmf(np.arange(n_reference + 1), n_reference, p_reference)
    return float(p1 @ rej @ p2)


#: Largest number of candidate tables enumerated for the exact
#: Fisher-Freeman-Halton test; above it the Pearson chi-square test is used.
FFH_MAX_TABLES = 2_000_000


def fisher_freeman_halton_p(
    counts_treatment: Sequence[int], counts_reference: Sequence[int]
) -> tuple[float | None, str]:
    """Fisher-Freeman-Halton exact test of a 2 x k table (arms x levels):
    p = sum of the probabilities of all tables with the observed margins that
    are no more likely than the observed one, P(table) = prod_j C(c_j, x_j) /
    C(N, n_t) (Freeman & Halton, Biometrika 1951; SPSS's "Fisher's Exact Test"
    for tables larger than 2 x 2). Returns ``(p, test name)``.

    Written by hand because scipy's r x c ``fisher_exact`` is Monte Carlo only
    (and unseeded by default). Tables are enumerated level by level with
    numpy; when there would be more than ``FFH_MAX_TABLES`` of them (large
    cohorts, where the asymptotics hold) the Pearson chi-square test is used
    instead and named so. ``None`` when fewer than two levels or an empty arm.
    """
    t = np.asarray(counts_treatment, dtype=np.int64)
    r = np.asarray(counts_reference, dtype=np.int64)
    cols = t + r
    keep = cols > 0
    t, r, cols = t[keep], r[keep], cols[keep]
    n_t, n_r = int(t.sum()), int(r.sum())
    if cols.size < 2 or n_t == 0 or n_r == 0:
        return None, "Fisher-Freeman-Halton"
    if cols.size == 2:
        return fisher_p(int(t[0]), n_t, int(r[0]), n_r), "Fisher exact"
    if float(np.prod((cols + 1).astype(float))) > FFH_MAX_TABLES:
        chi2 = stats.chi2_contingency(np.vstack([t, r]), correction=False)
        return float(chi2.pvalue), "Pearson chi-square"
    from scipy.special import gammaln

    def log_comb(n: np.ndarray | int, k: np.ndarray) -> np.ndarray:
        return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)

    sums = np.zeros(1, dtype=np.int64)
    logp = np.zeros(1)
    for c in cols:
        x = np.arange(c + 1)
        sums = (sums[:, None] + x[None, :]).ravel()
        logp = (logp[:, None] + log_comb(int(c), x)[None, :]).ravel()
        ok = sums <= n_t
        sums, logp = sums[ok], logp[ok]
    logp = logp[sums == n_t] - log_comb(int(cols.sum()), np.array(n_t))
    observed = float(np.sum(log_comb(cols, t))) - float(log_comb(int(cols.sum()), np.array(n_t)))
    # relative tolerance as in scipy's 2 x 2 test, so ties in probability count as extreme
    p = float(np.exp(logp[logp <= observed + 1e-7]).sum())
    return min(p, 1.0), "Fisher-Freeman-Halton"


def clopper_pearson(count: int, nobs: int, alpha: float = 0.05) -> tuple[float | None, float | None]:
    """Clopper-Pearson interval of a binomial proportion
    (``statsmodels`` ``proportion_confint(method="beta")``); ``(None, None)``
    for ``nobs == 0``."""
    if not nobs:
        return None, None
    lo, hi = proportion_confint(count, nobs, alpha=alpha, method="beta")
    return float(lo), float(hi)


def newcombe_difference(
    count1: int, nobs1: int, count2: int, nobs2: int, alpha: float = 0.05
) -> tuple[float | None, float | None, float | None]:
    """The difference of two independent proportions, ``count1/nobs1 - count2/nobs2``, with
    Newcombe's hybrid score interval at level ``1 - alpha``: each proportion's Wilson score limits
    (l_i, u_i) combined as ``d - sqrt((p1 - l1)^2 + (u2 - p2)^2)`` and ``d + sqrt((u1 - p1)^2 +
    (p2 - l2)^2)``, no continuity correction (Newcombe, Stat Med 1998;17:873-90, method 10;
    ``statsmodels`` ``confint_proportions_2indep(method="newcomb")``). Returns ``(difference,
    low, high)``; ``(None, None, None)`` when either sample is empty."""
    if not nobs1 or not nobs2:
        return None, None, None
    low, high = confint_proportions_2indep(count1, nobs1, count2, nobs2, method="newcomb", alpha=alpha)
    return count1 / nobs1 - count2 / nobs2, float(low), float(high)


def spss_quartiles(values: np.ndarray) -> tuple[float, float, float] | tuple[None, None, None]:
    """Q1, median and Q3 by SPSS's default definition (Hyndman & Fan type 6,
    ``numpy.percentile(method="weibull")``)."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None, None, None
    q1, med, q3 = np.percentile(values, [25, 50, 75], method="weibull")
    return float(q1), float(med), float(q3)


def mann_whitney_p(x: np.ndarray, y: np.ndarray) -> float | None:
    """SPSS's "Asymp. Sig. (2-tailed)" of the Mann-Whitney U test: normal
    approximation, tie-corrected variance, no continuity correction."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if x.size == 0 or y.size == 0:
        return None
    with np.errstate(all="ignore"):
        p = stats.mannwhitneyu(
            x, y, alternative="two-sided", method="asymptotic", use_continuity=False
        ).pvalue
    return None if not np.isfinite(p) else float(p)


def student_t_p(x: np.ndarray, y: np.ndarray) -> float | None:
    """Student's two-sample t-test with pooled variance (SPSS's "equal
    variances assumed" row)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if x.size < 1 or y.size < 1 or x.size + y.size < 3:
        return None
    with np.errstate(all="ignore"):
        p = stats.ttest_ind(x, y, equal_var=True).pvalue
    return None if not np.isfinite(p) else float(p)
