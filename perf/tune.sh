#!/usr/bin/env bash
# Chooses hyper-parameters on validation splits carved out of ml-100k's ua.base, never on
# ua.test. Each split mirrors how ua.test was made from ml-100k (every user has at least 20
# ratings; 10 of each user's went to ua.test): for every user with at least 20 ratings in
# ua.base, 10 of them (any value, drawn with the seed) go to the validation file and the rest
# stay for training. The validation positives are the ratings >= 4 among those 10, and every
# validated user keeps at least 10 training ratings, as every test user does. Each line of the grid file is one configuration: `name | hogwild train flags`.
# Every configuration runs with seeds 1, 2, 3 (or $SEEDS), each seed its own split, on 2
# threads; the script writes one CSV row per run and prints the configurations ranked by median
# validation AUC, with median P@10 and training seconds.
#
# Usage: HOGWILD_DATA=../shared/data perf/tune.sh perf/grids/losses.txt [out.csv]
#   out.csv defaults to perf/results/tuning-<grid name>.csv. Timings are only indicative
#   (check `uptime`); the README's figures come from perf/run.sh.
set -euo pipefail
: "${HOGWILD_DATA:?set HOGWILD_DATA to the folder holding ml-100k}"
HOGWILD_DATA=$(cd "$HOGWILD_DATA" && pwd)  # absolute: the splits link to its side-feature files
cd "$(dirname "$0")/.."
grid=${1:?usage: perf/tune.sh GRID [OUT.csv]}
out=${2:-perf/results/tuning-$(basename "$grid" .txt).csv}
swift build -c release --product hogwild >/dev/null
bin=.build/release/hogwild
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for seed in ${SEEDS:-1 2 3}; do
  # Each split in its own folder, beside the side-feature files (u.item, u.user, u.genre).
  mkdir "$tmp/split-$seed"
  for f in u.item u.user u.genre; do ln -s "$HOGWILD_DATA/ml-100k/$f" "$tmp/split-$seed/$f"; done
  python3 - "$HOGWILD_DATA/ml-100k/ua.base" "$seed" "$tmp/split-$seed/fit.tsv" "$tmp/split-$seed/val.tsv" <<'PY'
import random, sys
source, seed, fit, val = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
by_user = {}
for line in open(source):
    by_user.setdefault(line.split("\t")[0], []).append(line)
rng = random.Random(seed)
with open(fit, "w") as f, open(val, "w") as v:
    for user in sorted(by_user, key=int):
        lines = by_user[user]
        held = set(rng.sample(range(len(lines)), 10)) if len(lines) >= 20 else set()
        for k, line in enumerate(lines):
            (v if k in held else f).write(line)
PY
done
echo "name,flags,seed,val_auc,val_p10,val_r10,train_seconds" > "$tmp/t.csv"
while IFS='|' read -r name flags; do
  name=$(echo "$name" | xargs); flags=$(echo "$flags" | xargs)
  [[ -z "$name" || "$name" == \#* ]] && continue
  for seed in ${SEEDS:-1 2 3}; do
    # shellcheck disable=SC2086
    "$bin" train --data "$tmp/split-$seed/fit.tsv" --test "$tmp/split-$seed/val.tsv" --threads 2 --seed "$seed" --quiet \
      --report "$tmp/r.json" $flags >/dev/null
    python3 - "$tmp/r.json" "$name" "$flags" "$seed" >> "$tmp/t.csv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); name, flags, seed = sys.argv[2:]
print(f"\"{name}\",\"{flags}\",{seed},{r['auc']:.5f},{r['precision_at_10']:.5f},{r['recall_at_10']:.5f},{r['train_seconds']:.3f}")
PY
  done
done < "$grid"
mv "$tmp/t.csv" "$out"
echo "wrote $out (load: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$out" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
groups = {}
for r in rows:
    groups.setdefault((r["name"], r["flags"]), []).append(r)
med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
ranked = sorted(groups.items(), key=lambda kv: -med(kv[1], "val_auc"))
print(f"{'configuration':<28} {'val AUC':>8} {'P@10':>7} {'seconds':>8}  flags")
for (name, flags), rs in ranked:
    print(f"{name:<28} {med(rs, 'val_auc'):8.4f} {med(rs, 'val_p10'):7.4f} {med(rs, 'train_seconds'):8.2f}  {flags}")
PY
