import pickle, sys, numpy as np, math
from lcnec_utils import reconstruct as R
arms, X = pickle.load(open(sys.argv[1],'rb'))
ep = sys.argv[2]; k = 0 if ep=='pfs' else 2
t = np.concatenate([arms[r][k] for r in R.ROLES])/10
e = np.concatenate([arms[r][k+1] for r in R.ROLES]).astype(float)
g = np.r_[np.ones(14), np.zeros(17)]
D = np.column_stack([g, np.vstack([X['treatment'], X['reference']])])
b, se, ok = R.fast_cox(t, e, D)
print('HR %.4f SE %.4f'%(math.exp(b[0]), se[0]), 'uni SE %.4f'%R.fast_cox(t,e,g[:,None])[1][0], 'betas', np.round(b[1:],2))
w = np.exp(D@b); o = np.lexsort((1-e, t)); tot=0; line=[]
for i in o:
    if e[i]==0: line.append('c%.1f%s'%(t[i],'T' if g[i] else 'C')); continue
    rs = t>=t[i]; p = (w*g)[rs].sum()/w[rs].sum(); tot += p*(1-p)
    line.append('%.1f%s(%.2f)'%(t[i],'T' if g[i] else 'C',p))
print(' '.join(line)); print('sum p(1-p) %.3f'%tot)
