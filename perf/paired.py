#!/usr/bin/env python3
"""Seed-by-seed comparison of a tuning CSV (perf/tune.sh) against one of its configurations.

Every seed is its own validation split, so configurations are compared within a seed: for each
configuration the mean difference from BASELINE in validation AUC and P@10 over the seeds, and
on how many seeds it is higher.

Usage: perf/paired.py perf/results/tuning-softmax-temperature.csv "constant 0.25"
"""
import csv
import sys

path, baseline = sys.argv[1], sys.argv[2]
runs = {}
for row in csv.DictReader(open(path)):
    runs.setdefault(row["name"], {})[row["seed"]] = row
if baseline not in runs:
    sys.exit(f"{path}: no configuration named {baseline!r} (have: {', '.join(runs)})")
base = runs[baseline]
print(f"{'configuration':<32} {'Δ AUC':>9} {'higher':>7} {'Δ P@10':>8} {'higher':>7}  seeds")
for name, by_seed in runs.items():
    seeds = [s for s in by_seed if s in base]
    d_auc = [float(by_seed[s]["val_auc"]) - float(base[s]["val_auc"]) for s in seeds]
    d_p10 = [float(by_seed[s]["val_p10"]) - float(base[s]["val_p10"]) for s in seeds]
    n = len(seeds)
    print(f"{name:<32} {sum(d_auc) / n:+9.5f} {sum(x > 0 for x in d_auc):>5}/{n} {sum(d_p10) / n:+8.4f} {sum(x > 0 for x in d_p10):>5}/{n}  {n}")
