import pickle, math, numpy as np, sys
from lcnec_utils import reconstruct as R
cap = pickle.load(open('/tmp/exp/postpolish.pkl','rb')); S = cap['search']; tg = cap['tg']
S.rng = np.random.default_rng(int(sys.argv[1]))
ref, trt = S.arms['reference'], S.arms['treatment']
print('ref', list(zip(ref.pfs, ref.os))); print('trt', list(zip(trt.pfs, trt.os, trt.pfs_e)))
a = int(np.argmax(np.where(ref.pfs > 120, ref.pfs, -1)))   # the one Chemo patient progression-free at 12 months
b = int(np.argmax(ref.os))                                  # the longest Chemo survivor
print('a', a, ref.pfs[a], ref.os[a], 'b', b, ref.pfs[b], ref.os[b])
ref.pfs[a], ref.pfs[b] = ref.pfs[b], ref.pfs[a]             # progression swap
ref.pfs[b] = ref.os[b] - 3                                  # progresses late
late = np.flatnonzero((trt.pfs_e == 1) & (trt.pfs >= ref.pfs[b]))
for i in late: trt.pfs[i] = int(S.rng.integers(150, ref.pfs[b]))
print('valid', R._arm_valid(ref, S.kt['reference']), R._arm_valid(trt, S.kt['treatment']))
m = S.metrics(); print('after tweak PFS HR %.3f p %.4f' % (m['pfs.cox_multivariable.hr'], m['pfs.cox_multivariable.p']))
best = S.run(40000, with_cox=True, p_time=0.6, temp0=1.0, p_structural=0.3, objective=R._restore_objective(S))
m = S.metrics()
tab_bad = [(s.key, round(m[s.key],3)) for s in S.soft if s.key in m and s.scaled(m[s.key]) > 1 and not s.key.split('.cox_multivariable.')[-1].endswith('.hr')]
print('restore cost %.1f PFS HR %.4f ci %.3f-%.3f p %.4f OS HR %.3f ci %.3f-%.3f' % (best, m['pfs.cox_multivariable.hr'], m['pfs.cox_multivariable.ci_low'], m['pfs.cox_multivariable.ci_high'], m['pfs.cox_multivariable.p'], m['os.cox_multivariable.hr'], m['os.cox_multivariable.ci_low'], m['os.cox_multivariable.ci_high']), tab_bad)
