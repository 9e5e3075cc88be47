import pickle, math, sys, numpy as np
from lcnec_utils import reconstruct as R
cap = pickle.load(open('/tmp/exp/prepolish.pkl','rb'))
S = cap['search']; tg = cap['tg']
seed = int(sys.argv[1]); iters = int(sys.argv[2]); ep = sys.argv[3]
rng = np.random.default_rng(seed); S.rng = rng
HRLO, HRHI = (0.500, 0.5036) if ep == 'os' else (0.46, 0.56)

def metrics():
    m = {}
    for e in ('pfs','os'):
        m.update(S._km_part(e))
        for r in R.ROLES: m.update(S._arm_part(e, r))
    mc, b = S._cox_part(ep); m.update(mc); S.beta[ep] = b
    return m

def cost(m):
    c = 0.0
    if not m.get(f'{ep}.cox_converged') or f'{ep}.cox_multivariable.hr' not in m: return 1e9
    hr = m[f'{ep}.cox_multivariable.hr']
    se = math.log(m[f'{ep}.cox_multivariable.ci_high']/hr)/R._Z
    c += 100*se if ep=='os' else -100*abs(math.log(hr))/se
    c += 1000*(max(0, HRLO-hr)+max(0, hr-HRHI))
    for e in ('pfs','os'):
        z = R._z_of_p(m[f'{e}.logrank.p']); zt = R._z_of_p(tg[f'{e}.logrank.p'])
        c += 200*max(0, abs(z-zt)-0.05)
        c += 1e3*max(0, m[f'{e}.logrank.z'])
    c += 50*max(0, abs(m['followup.median']-24)-0.9)
    c += 5*max(0, m[f'{ep}.cox_max_abs_beta']-math.log(8))
    return c

def swap_outcomes():
    r = R.ROLES[rng.integers(2)]; a = S.arms[r]
    i, k = rng.choice(S.n[r], 2, replace=False)
    for f in ('pfs','pfs_e','os','os_e'):
        v = getattr(a, f); v[i], v[k] = v[k], v[i]
    def undo():
        for f in ('pfs','pfs_e','os','os_e'):
            v = getattr(a, f); v[i], v[k] = v[k], v[i]
    return undo, r, ('pfs','os')

def big_jump():
    r = R.ROLES[rng.integers(2)]; a = S.arms[r]
    i = rng.integers(S.n[r]); saved = (a.pfs[i], a.os[i])
    f = 'os' if rng.random()<0.5 else 'pfs'
    new = int(rng.integers(10, 500))
    if a.pfs_e[i]==0: a.pfs[i]=a.os[i]=new
    else: getattr(a,f)[i]=new
    if not R._arm_valid(a, S.kt[r]):
        a.pfs[i], a.os[i] = saved; return None
    def undo(): a.pfs[i], a.os[i] = saved
    return undo, r, ('pfs','os')

def row_swap():  # swap whole covariate rows within an arm
    r = R.ROLES[rng.integers(2)]; X = S.X[r]
    i, k = rng.choice(S.n[r], 2, replace=False)
    X[[i,k]] = X[[k,i]]
    def undo(): X[[i,k]] = X[[k,i]]
    return undo, r, ()

m = metrics(); cur = best = cost(m); bestsnap = S._snapshot()
def snap_full(): return ({r:(a.pfs.copy(),a.pfs_e.copy(),a.os.copy(),a.os_e.copy()) for r,a in S.arms.items()},{r:x.copy() for r,x in S.X.items()})
bestfull = snap_full(); bestm = m
for it in range(iters):
    T = 3.0*(0.01/3.0)**(it/iters)
    u = rng.random()
    if u<0.35: mv = S._time_move()
    elif u<0.5: mv = big_jump()
    elif u<0.65: mv = swap_outcomes()
    elif u<0.85: mv = S._covariate_move()
    else: mv = row_swap()
    if mv is None: continue
    undo = mv[0]; b0 = S.beta[ep]
    m2 = metrics(); c = cost(m2)
    if c <= cur or rng.random() < math.exp(-(c-cur)/T):
        cur = c
        if c < best: best, bestfull, bestm = c, snap_full(), m2
    else:
        undo(); S.beta[ep] = b0
hr = bestm[f'{ep}.cox_multivariable.hr']; se = math.log(bestm[f'{ep}.cox_multivariable.ci_high']/hr)/R._Z
print(seed, ep, 'best cost %.2f HR %.4f SE %.4f ci_high %.3f p %.4f lr %.4f %.4f fu %.2f' % (best, hr, se, bestm[f'{ep}.cox_multivariable.ci_high'], bestm[f'{ep}.cox_multivariable.p'], bestm['pfs.logrank.p'], bestm['os.logrank.p'], bestm['followup.median']))
pickle.dump(bestfull, open(f'/tmp/exp/best_{ep}_{seed}.pkl','wb'))
