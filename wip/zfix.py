import pickle, math, sys, numpy as np, time
from lcnec_utils import reconstruct as R
src, seed, iters, T0, ps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
snap = pickle.load(open(src, 'rb'))
tg = R.published_targets(); rng = np.random.default_rng(seed)
times, X = snap
arms = {r: R._Arm(*[v.copy() for v in times[r]]) for r in R.ROLES}
S = R._SurvivalSearch(rng, tg, arms, {r: x.copy() for r, x in X.items()})
PFS_ARM = {f'pfs.cox_multivariable.{k}' for k in ('hr','ci_low','ci_high','p')}
base_soft = S.soft; S.soft = [s for s in base_soft if s.key not in PFS_ARM]
base_cost = R._SurvivalSearch.cost
def cost(self, parts):
    c = base_cost(self, parts)
    m = parts.get('pfs.cox', {}); hr = m.get('pfs.cox_multivariable.hr')
    if hr is None: return c + 1e5
    z = abs(math.log(hr))/(math.log(m['pfs.cox_multivariable.ci_high']/hr)/R._Z)
    return c + 1e4*max(0, 2.03 - z) + 1e4*(max(0, 0.462-hr) + max(0, hr-0.555))
R._SurvivalSearch.cost = cost
m0 = S.metrics(); print('start PFS p %.4f OS HR %.3f lo %.3f' % (m0['pfs.cox_multivariable.p'], m0['os.cox_multivariable.hr'], m0['os.cox_multivariable.ci_low']))
t0 = time.time(); best = S.run(iters, with_cox=True, p_time=0.6, temp0=T0, p_structural=ps)
S.soft = base_soft; R._SurvivalSearch.cost = base_cost
m = S.metrics()
print(src, seed, 'time %.0f best %.1f' % (time.time()-t0, best), 'PFS HR %.4f ci %.3f-%.3f p %.4f' % (m['pfs.cox_multivariable.hr'], m['pfs.cox_multivariable.ci_low'], m['pfs.cox_multivariable.ci_high'], m['pfs.cox_multivariable.p']),
      'OS HR %.3f ci %.3f-%.3f' % (m['os.cox_multivariable.hr'], m['os.cox_multivariable.ci_low'], m['os.cox_multivariable.ci_high']))
print('  outside:', [(s.key, round(m[s.key], 3)) for s in base_soft if s.key in m and s.scaled(m[s.key]) > 1 and not s.key.split('.cox_multivariable.')[-1].endswith('.hr')],
      'lr %.4f %.4f fu %.1f longest %.1f %.1f' % (m['pfs.logrank.p'], m['os.logrank.p'], m['followup.median'], m['realism.pfs_longest'], m['realism.os_longest']))
pickle.dump(S._snapshot(), open(f'/tmp/exp/fix_{seed}.pkl', 'wb'))
