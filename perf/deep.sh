#!/usr/bin/env bash
# The MLP matcher (--matcher mlp, dim 64, hidden 128) on ml-100k, beside the bilinear model
# trained with the same margin loss (--loss margin).
#
#   tune        grid over lr, margin, epochs, init scale (margin loss) and lr, epochs (BPR), 1 thread,
#               3 seeds, on a validation split of ua.base (10 positives held out per user with more
#               than 10, the protocol perf/tune.sh used before its splits mirrored ua.test) — never on ua.test
#   refine      a second grid past the first one's edges (lower lr, larger margin, more epochs)
#   edges       a few points past the second grid's edges, and BPR at the lower learning rates
#   strategies  the dense-weight strategies (shared lock-free; per-worker copies averaged every N
#               triplets) on the same validation split, 2 threads, 3 seeds, defaults otherwise; and
#               on the built-in synthetic set with 4 threads (2 cores: a check of the averaging's
#               robustness to the worker count, not of speed)
#   test        ua.test figures, 1 and 2 threads, 3 seeds: the MLP with its defaults and the
#               bilinear margin model, run interleaved so that machine load hits both alike
#   speed       training throughput on ua.base, 1 and 2 threads (hogwild bench: 5 interleaved
#               repeats, medians; unseen negatives as in training): the MLP with averaged and with
#               shared dense weights (10 epochs a run), the bilinear margin model (20 epochs a run).
#               Waits up to 10 minutes for the 1-minute load to fall below 1, then runs anyway.
#
# Every run appends one row to perf/results/deep-ml-100k.csv (rows of the phases run are replaced);
# the 1-minute load average at the start of each run is recorded, since the machine is shared.
# Usage: HOGWILD_DATA=../shared/data perf/deep.sh [tune] [refine] [edges] [strategies] [test] [speed]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${HOGWILD_DATA:?set HOGWILD_DATA to the folder holding ml-100k}"
export HOGWILD_DATA
phases=${*:-tune refine edges strategies test speed}
swift build -c release --product hogwild >/dev/null
bin=.build/release/hogwild
out=perf/results/deep-ml-100k.csv
header="phase,data,matcher,loss,dense_weights,average_every,lr,margin,init_scale,epochs,threads,seed,auc,p10,r10,train_seconds,triplets_per_second,load1"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [ -f "$out" ]; then
  pattern=$(echo "$phases" | tr ' ' '|')
  grep -Ev "^($pattern)," "$out" > "$tmp/keep.csv" || true
else
  echo "$header" > "$tmp/keep.csv"
fi
rows="$tmp/rows.csv"; : > "$rows"

# run PHASE DATA -- hogwild train flags...
#   DATA: val = ua.base with 10 positives per user held out, test = ua.base / ua.test, synthetic
run() {
  local phase=$1 split=$2; shift 3
  local data=(--data ml-100k)
  [ "$split" = val ] && data=(--data "$HOGWILD_DATA/ml-100k/ua.base" --holdout 10)
  [ "$split" = synthetic ] && data=(--data synthetic)
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  "$bin" train "${data[@]}" --quiet --report "$tmp/r.json" "$@" >/dev/null
  python3 - "$tmp/r.json" "$phase" "$split" "$load" >> "$rows" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); c = r["configuration"]; phase, split, load = sys.argv[2:]
mlp = c.get("matcher") == "mlp"
dense = c["denseWeights"] if mlp else ""
every = c["averageEvery"] if mlp and dense != "shared" else ""
print(f"{phase},{split},{c.get('matcher', 'bilinear')},{c['loss']},{dense},{every},{c['learningRate']:g},{c['margin']:g},{c['initScale']:g},"
      f"{r['epochs']},{r['threads']},{r['seed']},{r['auc']:.5f},{r['precision_at_10']:.5f},{r['recall_at_10']:.5f},"
      f"{r['train_seconds']:.4f},{r['triplets_per_second']:.0f},{load}")
PY
  tail -n 1 "$rows"
}

for phase in $phases; do
  case $phase in
    tune)
      for lr in 0.02 0.05 0.1; do for margin in 0.5 1 2; do for epochs in 20 40; do for init in 0.3 1; do for seed in 1 2 3; do
        run tune val -- --matcher mlp --threads 1 --lr "$lr" --margin "$margin" --epochs "$epochs" --init-scale "$init" --seed "$seed"
      done; done; done; done; done
      for lr in 0.05 0.1; do for epochs in 20 40; do for init in 0.3 1; do for seed in 1 2 3; do
        run tune val -- --matcher mlp --threads 1 --loss bpr --lr "$lr" --epochs "$epochs" --init-scale "$init" --seed "$seed"
      done; done; done; done
      ;;
    refine)
      for lr in 0.005 0.01 0.02; do for margin in 2 4 8; do for epochs in 20 40 80; do for seed in 1 2 3; do
        run refine val -- --matcher mlp --threads 1 --lr "$lr" --margin "$margin" --epochs "$epochs" --init-scale 0.3 --seed "$seed"
      done; done; done; done
      ;;
    edges)
      for flags in "--lr 0.005 --margin 8 --epochs 160" "--lr 0.005 --margin 16 --epochs 80" "--lr 0.0025 --margin 16 --epochs 160" \
                   "--loss bpr --lr 0.02 --epochs 80" "--loss bpr --lr 0.01 --epochs 80"; do
        for seed in 1 2 3; do
          # shellcheck disable=SC2086  # $flags is a list of flags
          run edges val -- --matcher mlp --threads 1 --init-scale 0.3 $flags --seed "$seed"
        done
      done
      ;;
    strategies)
      for seed in 1 2 3; do
        run strategies val -- --matcher mlp --threads 2 --dense-weights shared --seed "$seed"
        for every in 100 1000 10000; do
          run strategies val -- --matcher mlp --threads 2 --dense-weights averaged --average-every "$every" --seed "$seed"
        done
        for threads in 1 4; do
          run strategies synthetic -- --matcher mlp --threads "$threads" --dense-weights shared --seed "$seed"
          run strategies synthetic -- --matcher mlp --threads "$threads" --dense-weights averaged --seed "$seed"
        done
      done
      ;;
    test)
      for seed in 1 2 3; do for threads in 1 2; do
        run test test -- --matcher mlp --threads "$threads" --seed "$seed"
        run test test -- --loss margin --threads "$threads" --seed "$seed"
      done; done
      ;;
    speed)
      for _ in $(seq 120); do
        awk '{ exit !($1 < 1) }' /proc/loadavg && break
        sleep 5
      done
      for setting in "mlp averaged" "mlp shared" "bilinear -"; do
        set -- $setting
        flags=(--loss margin --epochs 20)
        [ "$1" = mlp ] && flags=(--matcher mlp --dense-weights "$2" --epochs 10)
        load=$(cut -d' ' -f1 /proc/loadavg)
        "$bin" bench --data ml-100k --negatives unseen --threads 1,2 --repeats 5 "${flags[@]}" --report "$tmp/b.json" >/dev/null
        python3 - "$tmp/b.json" "$1" "$2" "${flags[-1]}" "$load" >> "$rows" <<'PY'
import json, sys
bench = json.load(open(sys.argv[1])); matcher, dense, epochs, load = sys.argv[2:]
mlp = matcher == "mlp"
for row in bench:
    # hyper-parameters: the defaults of each matcher
    lr, margin, init = ("0.005", "8", "0.3") if mlp else ("0.5", "0.6", "1")
    print(f"speed,test,{matcher},margin,{dense if mlp else ''},{1000 if mlp and dense == 'averaged' else ''},{lr},{margin},{init},"
          f"{epochs},{row['threads']},1,,,,,{row['triplets_per_second']:.0f},{load}")
PY
        tail -n 2 "$rows"
      done
      ;;
    *) echo "unknown phase '$phase' (tune, refine, edges, strategies, test, speed)" >&2; exit 2 ;;
  esac
done
{ cat "$tmp/keep.csv"; cat "$rows"; } > "$tmp/all.csv"
python3 - "$tmp/all.csv" > "$tmp/sorted.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
order = {"tune": 0, "refine": 1, "edges": 2, "strategies": 3, "test": 4, "speed": 5}
print(",".join(rows[0]))
for r in sorted(rows[1:], key=lambda r: order.get(r[0], 9)):  # stable: run order within a phase
    print(",".join(r))
PY
mv "$tmp/sorted.csv" "$out"

python3 - "$out" <<'PY'
import csv, statistics as st, sys
rows = list(csv.DictReader(open(sys.argv[1])))
med = lambda rs, k: st.median(float(r[k]) for r in rs)
def groups(phase, key):
    g = {}
    for r in rows:
        if r["phase"] == phase: g.setdefault(key(r), []).append(r)
    return g
tune = {}
for phase in ("tune", "refine", "edges"):
    tune.update(groups(phase, lambda r: (r["loss"], r["lr"], r["margin"], r["epochs"], r["init_scale"])))
if tune:
    print("tune, refine, edges (validation AUC, 1 thread, median of seeds): best 8")
    print("loss    lr     margin  epochs  init  val AUC  val P@10  seconds")
    for (loss, lr, m, ep, init), rs in sorted(tune.items(), key=lambda kv: -med(kv[1], "auc"))[:8]:
        print(f"{loss:<7} {lr:<6} {m if loss == 'margin' else '-':<7} {ep:<7} {init:<5} {med(rs, 'auc'):.4f}   {med(rs, 'p10'):.4f}    {med(rs, 'train_seconds'):.2f}")
strategies = groups("strategies", lambda r: (r["data"], r["threads"], r["dense_weights"], r["average_every"]))
if strategies:
    print("\ndense-weight strategies (median of seeds; val = ua.base validation split)")
    print("data       threads  strategy  every   AUC     P@10    triplets/s  load")
    for (data, threads, dense, every), rs in sorted(strategies.items()):
        print(f"{data:<10} {threads:<8} {dense:<9} {every or '-':<7} {med(rs, 'auc'):.4f}  {med(rs, 'p10'):.4f}  {med(rs, 'triplets_per_second') / 1e6:.2f} M     {med(rs, 'load1'):.2f}")
speed = groups("speed", lambda r: (r["matcher"], r["dense_weights"], r["threads"]))
if speed:
    print("\ntraining throughput on ua.base (hogwild bench, median of 5 interleaved runs)")
    print("matcher   dense     threads  triplets/s  load at start")
    for (matcher, dense, threads), rs in sorted(speed.items()):
        print(f"{matcher:<9} {dense or '-':<9} {threads:<8} {med(rs, 'triplets_per_second') / 1e6:.2f} M     {med(rs, 'load1'):.2f}")
test = groups("test", lambda r: (r["matcher"], r["threads"]))
if test:
    print("\nua.test (median of seeds 1/2/3)")
    print("matcher   threads  AUC     P@10    R@10    train s  triplets/s  load")
    for (matcher, threads), rs in sorted(test.items()):
        print(f"{matcher:<9} {threads:<8} {med(rs, 'auc'):.4f}  {med(rs, 'p10'):.4f}  {med(rs, 'r10'):.4f}  {med(rs, 'train_seconds'):.3f}    {med(rs, 'triplets_per_second') / 1e6:.2f} M     {med(rs, 'load1'):.2f}")
PY
