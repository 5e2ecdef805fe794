#!/usr/bin/env bash
# Chooses the default hyper-parameters of `hogwild train` on a validation split carved out of
# ml-100k's ua.base (10 positives held out per user with more than 10), never on ua.test.
# Grid × 3 seeds; writes perf/results/tuning.csv and prints the best settings by median AUC.
# Usage: HOGWILD_DATA=../shared/data perf/tune-defaults.sh
#        LOSSES="margin warp" MARGINS=0.6 LRS="0.05 0.5" EPOCHS="20 40" NEGATIVES=unseen \
#          OUT=tuning-warp-vs-margin.csv perf/tune-defaults.sh     (the WARP comparison)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${HOGWILD_DATA:?set HOGWILD_DATA to the folder holding ml-100k}"
swift build -c release --product hogwild >/dev/null
bin=.build/release/hogwild
out=perf/results/${OUT:-tuning.csv}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "loss,similarity,margin,lr,epochs,negatives,seed,val_auc,val_p10,val_r10" > "$tmp/t.csv"
for loss in ${LOSSES:-margin}; do
for margin in ${MARGINS:-0.4 0.5 0.6 0.7 1.0}; do
  for lr in ${LRS:-0.25 0.5 1 2}; do
    for epochs in ${EPOCHS:-10 20}; do
      for negatives in ${NEGATIVES:-unseen uniform}; do
        for seed in 1 2 3; do
          "$bin" train --data "$HOGWILD_DATA/ml-100k/ua.base" --holdout 10 --loss "$loss" --margin "$margin" --lr "$lr" \
            --epochs "$epochs" --negatives "$negatives" --seed "$seed" --report "$tmp/r.json" >/dev/null
          python3 - "$tmp/r.json" "$loss" "$margin" "$lr" "$epochs" "$negatives" "$seed" >> "$tmp/t.csv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); loss, m, lr, ep, neg, seed = sys.argv[2:]
print(f"{loss},cosine,{m},{lr},{ep},{neg},{seed},{r['auc']:.5f},{r['precision_at_10']:.5f},{r['recall_at_10']:.5f}")
PY
        done
      done
    done
  done
done
done
mv "$tmp/t.csv" "$out"
python3 - "$out" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
groups = {}
for r in rows:
    groups.setdefault((r["loss"], r["margin"], r["lr"], r["epochs"], r["negatives"]), []).append(r)
ranked = sorted(groups.items(), key=lambda kv: -statistics.median(float(r["val_auc"]) for r in kv[1]))
print("loss    margin  lr     epochs  negatives  median val AUC  P@10")
for (loss, m, lr, ep, neg), rs in ranked[:8]:
    print(f"{loss:<7} {m:<7} {lr:<6} {ep:<7} {neg:<10} {statistics.median(float(r['val_auc']) for r in rs):.4f}          "
          f"{statistics.median(float(r['val_p10']) for r in rs):.4f}")
PY
