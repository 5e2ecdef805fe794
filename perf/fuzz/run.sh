#!/usr/bin/env bash
# Builds the libFuzzer targets of perf/fuzz and runs each for a number of executions, appending one
# row per target to perf/results/fuzz.csv: executions, execs/s, wall time, corpus size, peak RSS,
# crash or not, commit, CPU model and load average, and the fuzzer's CPU time: on a machine shared
# with builds, executions per CPU second is the figure that does not depend on the load.
#
#   perf/fuzz/run.sh [ratings|interactions|model|features|all] [runs]    # default: all 10000000
#   make fuzz-smoke                  # every target over its seeds plus a short run, no CSV row
#
# Targets (Sources/fuzz-*): the text interaction reader, the binary interaction file, the model
# file (with its checksum recomputed, so mutations reach the parser) and the side-feature files.
# Each starts from its seed corpus (corpus/<target>, committed, read only) and keeps what it
# finds in .corpus/<target> (ignored by git), so later runs continue from there. A crashing,
# hanging (over TIMEOUT seconds), leaking or out-of-memory (over RSS_MB) input is saved as
# crashes/<target>-crash-…, -timeout-…, -leak-… or -oom-… (ignored by git) and fails the run;
# reproduce it with `.build/release/fuzz-<target> crashes/<file>`.
#
# Environment: MAX_LEN (input bytes, 4096), TIMEOUT (seconds per input, 5), RSS_MB (2048; a
# single allocation above it is a failure too), MAX_SECONDS (stop a target after this long even
# if it has not reached the runs; the row says so), SMOKE=1 (work in a temporary corpus, append no
# row), FUZZ_OPTIONS (more libFuzzer flags). Needs only the Swift toolchain: libFuzzer
# (`-sanitize=fuzzer`) and AddressSanitizer ship with it as clang_rt libraries, and the default linker links.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"

all="ratings interactions model features"
which=${1:-all}
runs=${2:-10000000}
[ "$which" = all ] && targets=$all || targets=$which
for t in $targets; do
  case " $all " in *" $t "*) ;; *) echo "error: unknown fuzz target '$t' (one of: $all, all)" >&2; exit 2 ;; esac
done
case $runs in ''|*[!0-9]*) echo "error: runs must be a whole number, got '$runs'" >&2; exit 2 ;; esac
max_len=${MAX_LEN:-4096}
timeout=${TIMEOUT:-5}
rss_mb=${RSS_MB:-2048}

"$root/scripts/install-deps.sh"
# Not `--sanitize fuzzer --sanitize address`: swiftc keeps only the last -sanitize= flag, and
# SwiftPM passes the two in no fixed order, so a build would randomly lose the coverage
# instrumentation (or ASan) and rebuild everything each time. `--sanitize fuzzer` lets SwiftPM
# link libFuzzer's `main`; the one -sanitize= list after it is what swiftc uses.
# -enable-testing: the targets `@testable import Hogwild` for the readers' in-memory entry points.
build_flags=(-c release --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing)
for t in $targets; do
  swift build "${build_flags[@]}" --product "fuzz-$t" 2>&1 | grep -E 'error|warning: unre|Compiling|Build' | grep -v '^\[' || true
  [ -x ".build/release/fuzz-$t" ] || { echo "error: fuzz-$t did not build" >&2; exit 1; }
done

mkdir -p crashes
results="$root/perf/results/fuzz.csv"
[ -n "${SMOKE:-}" ] || [ -s "$results" ] ||
  echo "date,commit,target,runs,executions,execs_per_second,seconds,corpus_files,corpus_bytes,peak_rss_mb,max_len,timeout_s,result,cpu,load_start,load_end,cpu_seconds,execs_per_cpu_second" >"$results"
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$root" diff --quiet HEAD -- Sources perf/fuzz 2>/dev/null || commit="$commit+dirty"
status=0
for t in $targets; do
  if [ -n "${SMOKE:-}" ]; then
    work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  else
    work=".corpus/$t"; mkdir -p "$work"
  fi
  log=$(mktemp)
  load_start=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s%N)
  times=$(mktemp)
  set +e
  # The Swift runtime's backtracer would take the crash signals libFuzzer reports and saves by.
  { TIMEFORMAT='%U %S'; time SWIFT_BACKTRACE=enable=no ".build/release/fuzz-$t" "$work" "corpus/$t" \
    -runs="$runs" -max_len="$max_len" -timeout="$timeout" -rss_limit_mb="$rss_mb" -detect_leaks=1 \
    -artifact_prefix="crashes/$t-" -print_final_stats=1 ${MAX_SECONDS:+-max_total_time=$MAX_SECONDS} \
    ${FUZZ_OPTIONS:-} >"$log" 2>&1; } 2>"$times"
  code=$?
  set -e
  cpu_seconds=$(awk '{printf "%.1f", $1 + $2}' "$times")
  rm -f "$times"
  seconds=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
  load_end=$(cut -d' ' -f1 /proc/loadavg)
  final() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  executions=$(final number_of_executed_units)
  rate=$(final average_exec_per_sec)
  rss=$(final peak_rss_mb)
  files=$(find "$work" -type f | wc -l)
  bytes=$(find "$work" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  if [ "$code" -eq 0 ] && [ "${executions:-0}" -lt "$runs" ]; then
    result="ok, stopped by MAX_SECONDS=$MAX_SECONDS before $runs runs"
  elif [ "$code" -eq 0 ]; then
    result=ok
  else
    status=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$log" | tail -1)
    result="failed (exit $code${artifact:+, $artifact})"
    grep -m3 -E 'ERROR|Fatal error|SUMMARY|==[0-9]+==' "$log" >&2 || tail -5 "$log" >&2
  fi
  per_cpu=$(awk -v n="${executions:-0}" -v c="$cpu_seconds" 'BEGIN {printf "%.0f", (c > 0 ? n / c : 0)}')
  printf '%-13s %s: %s executions, %s execs/s (%s per CPU second), %.0f s, corpus %s files / %s bytes, peak RSS %s MB\n' \
    "$t" "$result" "${executions:-?}" "${rate:-?}" "$per_cpu" "$seconds" "$files" "$bytes" "${rss:-?}"
  [ -n "${SMOKE:-}" ] || printf '%s,%s,%s,%s,%s,%s,%.0f,%s,%s,%s,%s,%s,"%s","%s",%s,%s,%s,%s\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$commit" "$t" "$runs" "${executions:-}" "${rate:-}" "$seconds" "$files" "$bytes" \
    "${rss:-}" "$max_len" "$timeout" "$result" "$cpu" "$load_start" "$load_end" "$cpu_seconds" "$per_cpu" >>"$results"
  rm -f "$log"
  if [ -n "${SMOKE:-}" ]; then rm -rf "$work"; trap - EXIT; fi
done
exit $status
