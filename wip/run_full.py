import sys, time
from lcnec_utils import reconstruct as R
seed = int(sys.argv[1]) if len(sys.argv) > 1 else R.DEFAULT_SEED
t0 = time.time(); rec = R.reconstruct(seed); dt = time.time() - t0
tab = R.evaluate_targets(rec.cohort, rec.adverse_events)
print(seed, 'time %.1f' % dt, dict(tab.status.value_counts()), {k: round(float(v), 2) for k, v in rec.info.items()})
print(tab[tab.status != 'met'][['key', 'published', 'achieved', 'status']].to_string())
