#!/usr/bin/env bash
# Side features and cold start on ml-100k (dim 64, 3 seeds, one thread so every run is
# reproducible). For each model setting and feature set:
#   cold_auc  — `--cold-items 0.1`: 10 % of the items held out of training entirely, each user
#               ranking only those (positives: the user's ratings ≥ 4 of them in ua.base + ua.test);
#   warm_*    — the usual ua.base / ua.test run (no items held out): AUC, P@10, R@10.
# Writes perf/results/hybrid-ml-100k.csv and prints the medians over the seeds.
# Usage: HOGWILD_DATA=../shared/data perf/hybrid.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${HOGWILD_DATA:?set HOGWILD_DATA to the folder holding ml-100k}"
swift build -c release --product hogwild >/dev/null
bin=.build/release/hogwild
out=perf/results/${OUT:-hybrid-ml-100k.csv}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# The genre flags alone, without the combination feature `--item-features genres` adds, as a
# generic feature file: what the combination is worth.
python3 - "$HOGWILD_DATA/ml-100k" > "$tmp/genre-flags.csv" <<'PY'
import sys
folder = sys.argv[1]
names = [l.split("|")[0] for l in open(f"{folder}/u.genre", encoding="latin-1") if l.strip()]
for line in open(f"{folder}/u.item", encoding="latin-1"):
    f = line.rstrip("\n").split("|")
    for g, flag in enumerate(f[5:]):
        if flag == "1": print(f"{f[0]},{names[g]}")
PY
models=(
  "cosine-softmax|--loss softmax"
  "cosine-margin|--loss margin"
  "cosine-margin-own-init-1|--loss margin --own-init-scale 1"
  "dot-margin|--loss margin --similarity dot"
  "dot-bpr-lr0.05|--loss bpr --similarity dot --lr 0.05"
)
features=(
  "none|"
  "genre-flags-only|--item-features $tmp/genre-flags.csv"
  "genres|--item-features genres"
  "genres+demographics|--item-features genres --user-features demographics"
)
echo "model,features,seed,cold_auc,cold_users,warm_auc,warm_p10,warm_r10,warm_triplets_per_second" > "$tmp/h.csv"
for m in "${models[@]}"; do
  name=${m%%|*}; flags=${m#*|}
  for f in "${features[@]}"; do
    fname=${f%%|*}; fflags=${f#*|}
    # --own-init-scale only matters with features.
    if [[ $name == *own-init* && $fname == none ]]; then continue; fi
    for seed in 1 2 3; do
      # shellcheck disable=SC2086
      "$bin" train --data ml-100k --threads 1 --seed "$seed" --cold-items 0.1 $flags $fflags --report "$tmp/c.json" >/dev/null
      # shellcheck disable=SC2086
      "$bin" train --data ml-100k --threads 1 --seed "$seed" $flags $fflags --report "$tmp/w.json" >/dev/null
      python3 - "$tmp/c.json" "$tmp/w.json" "$name" "$fname" "$seed" >> "$tmp/h.csv" <<'PY'
import json, sys
c, w = (json.load(open(p)) for p in sys.argv[1:3]); name, fname, seed = sys.argv[3:]
print(f"{name},{fname},{seed},{c['cold_start_auc']:.5f},{c['cold_start']['users_evaluated']},"
      f"{w['auc']:.5f},{w['precision_at_10']:.5f},{w['recall_at_10']:.5f},{w['triplets_per_second']:.0f}")
PY
    done
  done
done
mv "$tmp/h.csv" "$out"
python3 - "$out" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
groups = {}
for r in rows:
    groups.setdefault((r["model"], r["features"]), []).append(r)
print(f"{'model':<26} {'features':<20} {'cold AUC':>9} {'(min–max)':>14} {'warm AUC':>9} {'P@10':>7} {'R@10':>7}")
for (model, feats), rs in groups.items():
    med = lambda k: statistics.median(float(r[k]) for r in rs)
    cold = [float(r["cold_auc"]) for r in rs]
    print(f"{model:<26} {feats:<20} {med('cold_auc'):>9.4f} {min(cold):>7.4f}–{max(cold):.4f} {med('warm_auc'):>9.4f} "
          f"{med('warm_p10'):>7.4f} {med('warm_r10'):>7.4f}")
PY
