#!/usr/bin/env bash
# How much the test figures of one configuration move from run to run: with 2 threads the
# Hogwild updates interleave differently each time, so the same seeds do not give the same
# numbers. Runs `hogwild train --data ml-100k FLAGS` with seeds 1, 2, 3, REPS times (default 5),
# and prints each repetition's median over the seeds, then the median of those medians.
# Writes perf/results/spread-ml-100k.csv (one row per run).
# Usage: HOGWILD_DATA=../shared/data perf/spread.sh [FLAGS…]
set -euo pipefail
cd "$(dirname "$0")/.."
: "${HOGWILD_DATA:?set HOGWILD_DATA to the folder holding ml-100k}"
swift build -c release --product hogwild >/dev/null
bin=.build/release/hogwild
out=perf/results/${OUT:-spread-ml-100k.csv}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "flags,repetition,seed,auc,p10,r10,train_seconds" > "$tmp/s.csv"
for rep in $(seq "${REPS:-5}"); do
  for seed in 1 2 3; do
    "$bin" train --data ml-100k --threads 2 --seed "$seed" --quiet --report "$tmp/r.json" "$@" >/dev/null
    python3 - "$tmp/r.json" "$*" "$rep" "$seed" >> "$tmp/s.csv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); flags, rep, seed = sys.argv[2:]
print(f"\"{flags}\",{rep},{seed},{r['auc']:.5f},{r['precision_at_10']:.5f},{r['recall_at_10']:.5f},{r['train_seconds']:.3f}")
PY
  done
done
mv "$tmp/s.csv" "$out"
python3 - "$out" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
reps = {}
for r in rows:
    reps.setdefault(r["repetition"], []).append(r)
medians = []
print(f"{'repetition':<11} {'AUC':>7} {'P@10':>7} {'R@10':>7}  (medians over seeds 1, 2, 3)")
for rep, rs in reps.items():
    m = [statistics.median(float(r[k]) for r in rs) for k in ("auc", "p10", "r10")]
    medians.append(m)
    print(f"{rep:<11} {m[0]:7.4f} {m[1]:7.4f} {m[2]:7.4f}")
mm = [statistics.median(m[i] for m in medians) for i in range(3)]
print(f"{'median':<11} {mm[0]:7.4f} {mm[1]:7.4f} {mm[2]:7.4f}")
PY
