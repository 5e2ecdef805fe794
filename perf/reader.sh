#!/usr/bin/env bash
# Text-reader throughput (issue 12, acceptance 5): a 20 M-line `user,item` CSV from `hogwild synth`
# (2 M users, 200 k items, ~278 MB), loaded by `hogwild train --epochs 0 --holdout 0`, whose
# "loaded" line times the whole Dataset.load (read, parse, intern ids, build the CSR) — beside
# `wc -l` on the same file in the same run, as the disk/page-cache reference. The file goes to
# $OUT (default /tmp/hogwild-reader), never into the repository. Timings are only comparable on an
# idle machine: the load average at the start of each repetition is recorded.
# Writes perf/results/reader.csv (appends one row per repetition) and prints the rows.
# Usage: perf/reader.sh   (REPS=3 THREADS=2 OUT=/tmp/hogwild-reader)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product hogwild >/dev/null
bin=.build/release/hogwild
out=${OUT:-${TMPDIR:-/tmp}/hogwild-reader}
reps=${REPS:-3}
threads=${THREADS:-2}
results=perf/results/reader.csv
mkdir -p "$out"
csv=$out/ratings-20m.csv
if [ ! -s "$csv" ]; then
  "$bin" synth --users 2000000 --items 200000 --interactions 20000000 --holdout 0 --format csv --out "$csv" >/dev/null
fi
bytes=$(stat -c %s "$csv")
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
commit=$(git rev-parse --short HEAD)
[ -s "$results" ] || echo "date,commit,cpu,cores,load_average,file_mb,lines,wc_seconds,wc_mb_per_s,threads,load_seconds,load_mb_per_s,process_seconds,process_cpu_seconds" > "$results"
cat "$csv" > /dev/null  # both readers start from the page cache
for _ in $(seq "$reps"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s.%N)
  lines=$(wc -l < "$csv")
  wc_seconds=$(echo "$(date +%s.%N) - $start" | bc -l)
  timing=$(mktemp)
  loaded=$(/usr/bin/time -f '%e %U %S' -o "$timing" "$bin" train --data "$csv" --holdout 0 --epochs 0 --dim 8 --threads "$threads" | grep '^loaded')
  seconds=$(echo "$loaded" | sed -E 's/.* in ([0-9.]+) s .*/\1/')
  read -r wall user sys < "$timing"
  rm -f "$timing"
  printf '%s,%s,"%s",%s,%s,%.1f,%s,%.3f,%.0f,%s,%s,%.0f,%s,%.2f\n' \
    "$(date -u +%FT%TZ)" "$commit" "$cpu" "$(nproc)" "$load" "$(echo "$bytes / 1000000" | bc -l)" "$lines" \
    "$wc_seconds" "$(echo "$bytes / 1000000 / $wc_seconds" | bc -l)" "$threads" "$seconds" \
    "$(echo "$bytes / 1000000 / $seconds" | bc -l)" "$wall" "$(echo "$user + $sys" | bc -l)" | tee -a "$results"
done
