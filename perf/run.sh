#!/usr/bin/env bash
# The performance suite: one command, figures in perf/results/ (JSON per benchmark, summary.csv,
# SVG charts). Run it on an idle machine: every ratio (threads 1 vs 2, ours vs a reference) is
# taken within this one run, and each figure is the median of several runs.
#
#   HOGWILD_DATA=../shared/data perf/run.sh            # everything (~10 minutes on 2 cores)
#   QUICK=1 perf/run.sh                                # fewer repeats, no large data set
#
# Large generated data lives in $HOGWILD_SCRATCH (default /tmp/hogwild-perf), never in the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${HOGWILD_DATA:?set HOGWILD_DATA to the folder holding ml-100k}"
out=perf/results
scratch=${HOGWILD_SCRATCH:-/tmp/hogwild-perf}
mkdir -p "$out" "$scratch"
repeats=${REPEATS:-5}
[ -n "${QUICK:-}" ] && repeats=2

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
load=$(cut -d' ' -f1 /proc/loadavg)
if python3 -c "import sys; sys.exit(0 if float('$load') < 0.5 else 1)"; then :; else
  echo "warning: load average $load — figures will be noisy; rerun on an idle machine" >&2
fi
scripts/install-deps.sh
swift build -c release --product hogwild >/dev/null
bin=.build/release/hogwild

echo "== kernels"
$bin bench --kernels --repeats "$repeats" --report "$out/kernels.json"

echo "== training throughput on ml-100k (dim 64)"
$bin bench --data ml-100k --threads 1,2 --repeats "$repeats" --loss margin --report "$out/train-ml-100k-cosine-margin.json"
$bin bench --data ml-100k --threads 1,2 --repeats "$repeats" --report "$out/train-ml-100k-full-softmax.json"
$bin bench --data ml-100k --threads 1,2 --repeats "$repeats" --loss softmax --report "$out/train-ml-100k-softmax.json"
$bin bench --data ml-100k --threads 1,2 --repeats "$repeats" --loss margin --similarity dot --report "$out/train-ml-100k-dot-margin.json"
$bin bench --data ml-100k --threads 1,2 --repeats "$repeats" --loss bpr --similarity dot --report "$out/train-ml-100k-bpr.json"

echo "== contention under Zipf-popular items: 200k users × 2k items (hot rows shared by all workers)"
for z in 0.5 1.0 1.5; do
  f="$scratch/zipf-$z.hgwi"
  [ -f "$f" ] || $bin synth --users 200000 --items 2000 --interactions 6000000 --clusters 16 --zipf "$z" --seed 1 --out "$f" >/dev/null
  $bin bench --data "$f" --threads 1,2 --epochs 2 --repeats "$repeats" --loss margin --report "$out/train-zipf-$z.json" | tail -4 | head -2
done

echo "== accuracy with every fast path on (defaults, 2 threads, 3 seeds)"
for seed in 1 2 3; do
  $bin train --data ml-100k --threads 2 --seed "$seed" --report "$out/accuracy-ml-100k-seed$seed.json" | tail -2
done

echo "== evaluator: scoring 100k users × 20k items (dim 64) and numpy sgemm on the same shapes"
$bin bench --evaluator --users 100000 --items 20000 --threads 1,2 --repeats 3 --report "$out/evaluator.json"
python3 perf/sgemm.py --users 100000 --items 20000 --dim 64 --threads 1,2 --repeats 3 --out "$out/sgemm.json"

echo "== side by side with implicit and LightFM on ml-100k"
perf/compare/setup-venv.sh
perf/.venv-compare/bin/python perf/compare/reference_bench.py \
  --data "$HOGWILD_DATA/ml-100k/ua.base" --test "$HOGWILD_DATA/ml-100k/ua.test" --repeats "$repeats" \
  --hogwild "$bin" --hogwild-args "--loss bpr --similarity dot" --out "$out/reference-ml-100k.json"

if [ -z "${QUICK:-}" ]; then
  echo "== large synthetic set: 2M users × 200k items, ~60M interactions (tables exceed L3)"
  big="$scratch/synthetic-2M-200k-60M.hgwi"
  [ -f "$big" ] || $bin synth --users 2000000 --items 200000 --interactions 60000000 --seed 1 --out "$big"
  $bin bench --data "$big" --threads 1,2 --epochs 1 --repeats 3 --loss margin --negatives uniform --report "$out/train-synthetic-large.json"
  $bin bench --data "$big" --threads 1,2 --epochs 1 --repeats 3 --loss margin --negatives unseen --report "$out/train-synthetic-large-unseen.json"
  echo "== implicit BPR on the large set (1 epoch), hogwild BPR beside it"
  perf/.venv-compare/bin/python perf/compare/reference_bench.py --data "$big" --libraries implicit \
    --epochs 1 --repeats 1 --hogwild "$bin" --hogwild-args "--loss bpr --similarity dot" \
    --out "$out/reference-synthetic-large.json"
fi

python3 perf/plot.py "$out"
echo "== done: $out (load now $(cut -d' ' -f1-3 /proc/loadavg))"
