#!/usr/bin/env python3
"""Recomputes a model's test ROC AUC from a `hogwild export --format npy` folder, independently
of the engine, and compares it with the AUC the engine stored in the export's manifest.json.

    hogwild train --data ml-100k --save /tmp/m.hgw
    hogwild export --model /tmp/m.hgw --format npy --out /tmp/exp
    python3 perf/check_export.py --export /tmp/exp --data $HOGWILD_DATA/ml-100k

Reads users.npy / items.npy (numpy.load) and users.tsv / items.tsv (line r = row r's id, first
tab-separated field), then the train and test files in --data (default ua.base / ua.test;
ratings >= --min-rating are positives; ids mapped to rows through the tsv files). For every user
with a test positive, the candidates are all items except the user's training positives, and
the AUC is the probability that a test positive scores above a candidate negative, ties counting
one half; scores are cos(u, i) when the manifest says "similarity": "cosine", else u . i. The
result is the mean over users with at least one test positive (and one negative), exactly as
the engine's evaluator defines it.

Prints both figures and exits 0 when they differ by at most --tolerance (default 0.001),
1 when they differ by more, 2 when the comparison cannot be made. Needs numpy only.
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np


def fail(message, code=2):
    print(f"check_export: {message}", file=sys.stderr)
    sys.exit(code)


def read_ids(path):
    """Row ids from an export's id file: the first tab-separated field of each line."""
    with open(path, encoding="utf-8", newline="\n") as f:
        ids = [line.rstrip("\n").split("\t", 1)[0] for line in f]
    index = {}
    for row, name in enumerate(ids):
        if name in index:
            fail(f"{path}: id '{name}' appears on lines {index[name] + 1} and {row + 1}")
        index[name] = row
    return index


def split_fields(line, separator):
    if separator is None:
        return line.split()
    return [field.strip() for field in line.split(separator)]


def read_positives(path, users, items, min_rating):
    """The (user row, item row) pairs of `path` rated >= min_rating (every line when unrated)."""
    pairs = set()
    separator = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if not line:
                continue
            if separator is None:
                separator = "::" if "::" in line else "\t" if "\t" in line else "," if "," in line else ""
            fields = split_fields(line, separator or None)
            if len(fields) < 2:
                fail(f"{path}:{number}: expected user, item[, rating]")
            if len(fields) >= 3:
                try:
                    rating = float(fields[2])
                except ValueError:
                    if number == 1:
                        continue  # a header line
                    fail(f"{path}:{number}: rating '{fields[2]}' is not a number")
                if rating < min_rating:
                    continue
            user, item = fields[0], fields[1]
            if user not in users:
                fail(f"{path}:{number}: user '{user}' is not in the export's users.tsv")
            if item not in items:
                fail(f"{path}:{number}: item '{item}' is not in the export's items.tsv")
            pairs.add((users[user], items[item]))
    return pairs


def by_user(pairs, user_count):
    rows = [[] for _ in range(user_count)]
    for u, i in pairs:
        rows[u].append(i)
    return [np.array(sorted(r), dtype=np.int64) for r in rows]


def mean_auc(user_vectors, item_vectors, train, test, cosine):
    """Mean per-user tie-aware ROC AUC over all non-training items, and the users counted."""
    U = user_vectors.astype(np.float64)
    V = item_vectors.astype(np.float64)
    if cosine:
        for M in (U, V):
            norms = np.linalg.norm(M, axis=1, keepdims=True)
            np.divide(M, norms, out=M, where=norms > 0)
    item_count = V.shape[0]
    total, evaluated = 0.0, 0
    for u in range(U.shape[0]):
        if len(test[u]) == 0:
            continue
        candidate = np.ones(item_count, dtype=bool)
        candidate[train[u]] = False
        positives = test[u][candidate[test[u]]]
        negative = candidate.copy()
        negative[positives] = False
        if len(positives) == 0 or not negative.any():
            continue
        scores = V @ U[u]
        negatives = np.sort(scores[negative])
        p = scores[positives]
        below = np.searchsorted(negatives, p, side="left")
        not_above = np.searchsorted(negatives, p, side="right")
        wins = below.sum() + 0.5 * (not_above - below).sum()
        total += wins / (len(positives) * len(negatives))
        evaluated += 1
    return (total / evaluated if evaluated else float("nan")), evaluated


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--export", required=True, help="folder written by 'hogwild export --format npy'")
    parser.add_argument("--data", required=True, help="folder holding the train and test files (e.g. $HOGWILD_DATA/ml-100k)")
    parser.add_argument("--train", default="ua.base", help="training file in --data (default: ua.base)")
    parser.add_argument("--test", default="ua.test", help="test file in --data (default: ua.test)")
    parser.add_argument("--min-rating", type=float, default=4.0, help="ratings at or above this are positives (default: 4)")
    parser.add_argument("--tolerance", type=float, default=0.001, help="largest accepted |difference| (default: 0.001)")
    args = parser.parse_args()

    export, data = Path(args.export), Path(args.data)
    for name in ("users.npy", "items.npy", "users.tsv", "items.tsv", "manifest.json"):
        if not (export / name).is_file():
            fail(f"{export / name} is missing: is {export} an export made with --format npy?")
    for name in (args.train, args.test):
        if not (data / name).is_file():
            fail(f"{data / name} is missing")
    manifest = json.loads((export / "manifest.json").read_text(encoding="utf-8"))
    users = read_ids(export / "users.tsv")
    items = read_ids(export / "items.tsv")
    U = np.load(export / "users.npy")
    V = np.load(export / "items.npy")
    if U.dtype != np.dtype("<f4") or V.dtype != np.dtype("<f4") or U.ndim != 2 or V.ndim != 2:
        fail(f"users.npy is {U.dtype} {U.shape}, items.npy {V.dtype} {V.shape}: expected 2-D float32")
    if U.shape != (len(users), manifest["dim"]) or V.shape != (len(items), manifest["dim"]):
        fail(f"users.npy {U.shape} / items.npy {V.shape} do not match the id files "
             f"({len(users)} users, {len(items)} items) and dim {manifest['dim']}")

    similarity = manifest.get("similarity", "dot")
    if manifest.get("normalized") and similarity != "cosine":
        fail("the export was written with --normalize from a dot-product model: its rows are not the "
             "model's, so the model's AUC cannot be recomputed; export without --normalize")
    train = by_user(read_positives(data / args.train, users, items, args.min_rating), len(users))
    test = by_user(read_positives(data / args.test, users, items, args.min_rating), len(users))
    auc, evaluated = mean_auc(U, V, train, test, cosine=(similarity == "cosine"))

    print(f"export    {export}: {len(users)} users x {len(items)} items, dim {manifest['dim']}, "
          f"{similarity}{', normalized' if manifest.get('normalized') else ''}")
    print(f"data      {data / args.train} / {data / args.test} (ratings >= {args.min_rating:g})")
    print(f"recomputed AUC {auc:.6f}  ({evaluated} users)")
    if "auc" not in manifest:
        fail("the manifest has no 'auc': the model file holds no final evaluation "
             "(save it with 'hogwild train --save' on data with a test set)")
    stored = float(manifest["auc"])
    print(f"manifest   AUC {stored:.6f}  ({manifest.get('users_evaluated', '?')} users)")
    difference = abs(auc - stored)
    if difference > args.tolerance:
        print(f"MISMATCH  |difference| {difference:.6f} > {args.tolerance}")
        sys.exit(1)
    print(f"OK        |difference| {difference:.2e} <= {args.tolerance}")


if __name__ == "__main__":
    main()
