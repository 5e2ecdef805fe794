#!/usr/bin/env python3
"""Throughput of two builds side by side, in one run: the training benchmarks of perf/run.sh,
alternating old and new binary round after round so that both see the same machine state.

    HOGWILD_DATA=../shared/data python3 perf/ab.py OLD_BINARY NEW_BINARY [--rounds 5] [--out ab.csv]

Per benchmark and thread count it prints both medians (triplets/s), new/old, and the spread
(min–max over rounds) of each, then the median ratio over all rows. A refactoring that claims "no
speed change" should keep every ratio within a few percent on a quiet machine (check `uptime`).
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

BENCHES = [
    ("full-softmax", []),
    ("softmax", ["--loss", "softmax"]),
    ("cosine-margin", ["--loss", "margin"]),
    ("dot-margin", ["--loss", "margin", "--similarity", "dot"]),
    ("bpr", ["--loss", "bpr", "--similarity", "dot"]),
    ("warp", ["--loss", "warp"]),
    ("hard-margin", ["--loss", "margin", "--candidates", "5"]),
    ("mlp", ["--matcher", "mlp"]),
]


def bench(binary, args, threads, repeats, report):
    cmd = [binary, "bench", "--data", "ml-100k", "--threads", threads, "--repeats", str(repeats),
           "--report", report] + args
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(report) as f:
        return {str(row["threads"]): row["triplets_per_second"] for row in json.load(f)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3, help="bench --repeats per round (its median is one sample)")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--only", help="comma-separated benchmark names")
    p.add_argument("--out", help="CSV of every row")
    a = p.parse_args()
    benches = [b for b in BENCHES if not a.only or b[0] in a.only.split(",")]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"host: {cpu}, {os.cpu_count()} cpus, load {open('/proc/loadavg').read().split()[:3]}")
    samples = {}  # (bench, threads, side) -> [triplets/s]
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        for r in range(a.rounds):
            for name, args in benches:
                order = ("old", "new") if r % 2 == 0 else ("new", "old")
                for side in order:
                    for threads, tps in bench(getattr(a, side), args, a.threads, a.repeats, report).items():
                        samples.setdefault((name, threads, side), []).append(tps)
            print(f"round {r + 1}/{a.rounds} done, load {open('/proc/loadavg').read().split()[0]}", file=sys.stderr)
    rows, ratios = [], []
    print(f"{'benchmark':<15} {'thr':>3} {'old M/s':>9} {'new M/s':>9} {'new/old':>8}   old spread   new spread")
    for name, _ in benches:
        for threads in a.threads.split(","):
            old, new = samples[(name, threads, "old")], samples[(name, threads, "new")]
            mo, mn = statistics.median(old), statistics.median(new)
            ratio = mn / mo
            ratios.append(ratio)
            rows.append((name, threads, mo, mn, ratio, min(old), max(old), min(new), max(new)))
            print(f"{name:<15} {threads:>3} {mo / 1e6:9.2f} {mn / 1e6:9.2f} {ratio:8.3f}   "
                  f"{min(old) / 1e6:5.1f}-{max(old) / 1e6:<5.1f}  {min(new) / 1e6:5.1f}-{max(new) / 1e6:<5.1f}")
    print(f"median new/old over all rows: {statistics.median(ratios):.3f} (load now {open('/proc/loadavg').read().split()[0]})")
    if a.out:
        with open(a.out, "w") as f:
            f.write(f"# {time.strftime('%Y-%m-%d')} {cpu}; {a.rounds} rounds alternating old/new, bench --repeats {a.repeats}\n")
            f.write("benchmark,threads,old_median,new_median,ratio,old_min,old_max,new_min,new_max\n")
            for row in rows:
                f.write(",".join(str(x) if isinstance(x, str) else f"{x:.6g}" for x in row) + "\n")


if __name__ == "__main__":
    main()
