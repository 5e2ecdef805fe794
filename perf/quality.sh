#!/usr/bin/env bash
# The README's ranking-quality table: every configuration on ml-100k's ua split (dim 64,
# 2 threads, seeds 1, 2, 3), test figures on ua.test, training time, and the load average at the
# start of each run (timings are only comparable on an idle machine; check `uptime`).
# Writes perf/results/quality-ml-100k.csv and prints medians.
# Usage: HOGWILD_DATA=../shared/data perf/quality.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${HOGWILD_DATA:?set HOGWILD_DATA to the folder holding ml-100k}"
swift build -c release --product hogwild >/dev/null
bin=.build/release/hogwild
out=perf/results/${OUT:-quality-ml-100k.csv}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
rows=(
  "untrained|--epochs 0"
  "defaults: full softmax with seen items|"
  "full softmax without seen items|--seen-weight 0"
  "full softmax without seen items from 0.4|--seen-weight 0 --initial-temperature 0.4"
  "full softmax with seen weight 0.05|--seen-weight 0.05"
  "sampled softmax (24 negatives)|--loss softmax"
  "sampled softmax with a constant temperature|--loss softmax --temperature 0.25"
  "margin on cosine (fastest)|--loss margin"
  "margin with the hardest of 8 negatives|--loss margin --candidates 8"
  "WARP on cosine|--loss warp --epochs 40"
  "BPR on dot|--loss bpr --similarity dot"
  "softmax + genres + demographics|--item-features genres --user-features demographics"
  "MLP matcher|--matcher mlp"
)
echo "configuration,flags,seed,auc,p10,r10,ndcg10,map10,train_seconds,load,popularity_auc,popularity_p10,random_auc" > "$tmp/q.csv"
for row in "${rows[@]}"; do
  name=${row%%|*}; flags=${row#*|}
  for seed in 1 2 3; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    # shellcheck disable=SC2086
    "$bin" train --data ml-100k --threads 2 --seed "$seed" --quiet --baseline popularity --baseline random \
      --report "$tmp/r.json" $flags >/dev/null
    python3 - "$tmp/r.json" "$name" "$flags" "$seed" "$load" >> "$tmp/q.csv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); name, flags, seed, load = sys.argv[2:]
m = r["metrics"]; b = r.get("baselines", {})
print(f"\"{name}\",\"{flags}\",{seed},{r['auc']:.5f},{r['precision_at_10']:.5f},{r['recall_at_10']:.5f},"
      f"{m.get('ndcg_at_k', m.get('ndcg', 0)):.5f},{m.get('map_at_k', m.get('map', 0)):.5f},{r['train_seconds']:.3f},{load},"
      f"{b.get('popularity', {}).get('auc', 0):.5f},{b.get('popularity', {}).get('precision_at_k', 0):.5f},{b.get('random', {}).get('auc', 0):.5f}")
PY
  done
done
mv "$tmp/q.csv" "$out"
python3 - "$out" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
groups = {}
for r in rows: groups.setdefault(r["configuration"], []).append(r)
med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
print(f"{'configuration':<34} {'AUC':>7} {'P@10':>7} {'R@10':>7} {'NDCG':>7} {'seconds':>8}")
for name, rs in groups.items():
    print(f"{name:<34} {med(rs,'auc'):7.4f} {med(rs,'p10'):7.4f} {med(rs,'r10'):7.4f} {med(rs,'ndcg10'):7.4f} {med(rs,'train_seconds'):8.3f}")
PY
