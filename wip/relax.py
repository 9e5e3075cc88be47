import math, sys, pickle, numpy as np, time
from lcnec_utils import reconstruct as R
seed, iters, ep = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
full = len(sys.argv) > 4 and sys.argv[4] == 'full'   # keep log-rank and follow-up targets too
tg = R.published_targets(); rng = np.random.default_rng(seed)
n = {r: int(tg[f"n.{r}"]) for r in R.ROLES}; ong = {r: int(tg[f"treatment.ongoing.n.{r}"]) for r in R.ROLES}
arms = {"treatment": R._init_treatment_arm(rng, n["treatment"], R._km_targets(tg, "treatment"), ong["treatment"]),
        "reference": R._init_reference_arm(rng, n["reference"], R._km_targets(tg, "reference"), ong["reference"])}
covs = {r: R._covariates(rng, tg, r, n[r]) for r in R.ROLES}
X = R._design(covs, R._ages(rng, tg, n))
S = R._SurvivalSearch(rng, tg, arms, X)
HRLO, HRHI = (0.500, 0.5036) if ep == 'os' else (0.4601, 0.5599)
def metrics():
    m = {}
    for e in ('pfs','os'):
        m.update(S._km_part(e))
    mc, b = S._cox_part(ep); m.update(mc); S.beta[ep] = b
    return m
def cost(m):
    if not m.get(f'{ep}.cox_converged') or f'{ep}.cox_multivariable.hr' not in m: return 1e9
    hr = m[f'{ep}.cox_multivariable.hr']; se = math.log(m[f'{ep}.cox_multivariable.ci_high']/hr)/R._Z
    c = 100*se if ep == 'os' else -100*abs(math.log(hr))/se
    c += 1000*(max(0, HRLO-hr)+max(0, hr-HRHI))
    c += 5*max(0, m[f'{ep}.cox_max_abs_beta']-math.log(8))
    if full:
        for e in ('pfs','os'):
            z = R._z_of_p(m[f'{e}.logrank.p']); zt = R._z_of_p(tg[f'{e}.logrank.p'])
            c += 200*max(0, abs(z-zt)-0.05)
        c += 50*max(0, abs(m['followup.median']-24)-0.9)
    for e in ('pfs','os'): c += 1e3*max(0, m[f'{e}.logrank.z'])
    return c
m = metrics(); cur = best = cost(m); bs = S._snapshot(); bm = m
t0 = time.time()
for it in range(iters):
    T = 3.0*(0.003/3.0)**(it/iters)
    u = rng.random()
    mv = S._time_move() if u < 0.35 else S._structural_move() if u < 0.7 else S._covariate_move()
    if mv is None: continue
    b0 = S.beta[ep]; m2 = metrics(); c = cost(m2)
    if c <= cur or rng.random() < math.exp(-(c-cur)/T):
        cur = c
        if c < best: best, bs, bm = c, S._snapshot(), m2
    else:
        mv[0](); S.beta[ep] = b0
hr = bm[f'{ep}.cox_multivariable.hr']; se = math.log(bm[f'{ep}.cox_multivariable.ci_high']/hr)/R._Z
print(f'{seed} {ep} full={full} t={time.time()-t0:.0f}s HR {hr:.4f} SE {se:.4f} ci_high {bm[f"{ep}.cox_multivariable.ci_high"]:.3f} p {bm[f"{ep}.cox_multivariable.p"]:.4f} lr {bm["pfs.logrank.p"]:.3f}/{bm["os.logrank.p"]:.3f} fu {bm["followup.median"]:.1f}', flush=True)
pickle.dump(bs, open(f'/tmp/exp/relax_{ep}_{seed}_{full}.pkl', 'wb'))
