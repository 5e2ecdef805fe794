#!/usr/bin/env python3
"""Cross-checks `hogwild export --format vec` and `hogwild similar` against gensim.

    perf/check_vec_gensim.sh           # sets up perf/.venv-gensim, trains, exports, runs this

or by hand, with a model M exported to DIR (vec, and optionally npy into DIR/npy):

    perf/.venv-gensim/bin/python perf/check_vec_gensim.py --model M --vec-dir DIR \
        [--npy-dir DIR/npy] [--hogwild .build/release/hogwild]

1. Loads DIR/items.vec (and DIR/users.vec) with
   gensim.models.KeyedVectors.load_word2vec_format(path, binary=False); with --npy-dir, the
   vectors must equal the npy export bit for bit, in the same row order (items.tsv / users.tsv
   give the ids), i.e. the text format loses nothing.
2. For every checked item (default: 50, 1, 100, 181, 313 and --random others drawn with --seed),
   compares gensim's most_similar(id, topn=k) with `hogwild similar --model M --item ID --k k`:
   * ids: hogwild's rank-r neighbour must be gensim's rank-r neighbour, except that a different
     id is accepted when the two are a float tie, i.e. their exact cosines to the query (computed
     by gensim from the .vec vectors) differ by at most --tie-tol (default 1e-5). This accepts
     swaps of tied neighbours and a tie across the k-th place, and nothing else;
   * cosines: hogwild's printed cosine at rank r must be within --cos-tol (default 1e-4) of
     gensim's cosine at rank r, and of gensim's cosine for the id hogwild printed there.
   hogwild prints cosines with 4 decimals (rounding error <= 5e-5, inside --cos-tol).
Prints one summary row per item; exits 0 when everything agrees, 1 on any mismatch (with a
repro command), 2 when the check cannot be made.
"""
import argparse
import random
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import gensim
from gensim.models import KeyedVectors

FIXED_ITEMS = ["50", "1", "100", "181", "313"]
ROW = re.compile(r"^\s*(\d+)\s+(\S+)\s+(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?:\s|$)")


def fail(message, code=2):
    print(f"check_vec_gensim: {message}", file=sys.stderr)
    sys.exit(code)


def hogwild_similar(binary, model, item, k):
    """Runs `hogwild similar` and returns (command, [(rank, id, cosine)])."""
    cmd = [binary, "similar", "--model", model, "--item", item, "--k", str(k)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        fail(f"{shlex.join(cmd)} exited {proc.returncode}:\n{proc.stderr}{proc.stdout}")
    lines = proc.stdout.splitlines()
    header = next((i for i, l in enumerate(lines) if re.match(r"^rank\s+item\s+cosine", l)), None)
    if header is None:
        fail(f"no 'rank  item  cosine' header in the output of {shlex.join(cmd)}:\n{proc.stdout}")
    rows = []
    for line in lines[header + 1:]:
        m = ROW.match(line)
        if not m:
            break
        rows.append((int(m.group(1)), m.group(2), float(m.group(3))))
    return cmd, rows


def read_ids(tsv):
    with open(tsv, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t")[0] for line in f]


def check_against_npy(kv, npy_dir, name):
    """The .vec file must hold exactly the npy export's float32 rows, ids in the same order."""
    arr = np.load(npy_dir / f"{name}.npy")
    ids = read_ids(npy_dir / f"{name}.tsv")
    problems = []
    if list(kv.index_to_key) != [i.replace(" ", "_").replace("\t", "_") for i in ids]:
        problems.append(f"{name}: ids/order differ from {name}.tsv")
    if kv.vectors.shape != arr.shape:
        problems.append(f"{name}: shape {kv.vectors.shape} in .vec vs {arr.shape} in .npy")
    elif not np.array_equal(kv.vectors.astype(np.float32).view(np.uint32), arr.astype(np.float32).view(np.uint32)):
        diff = np.abs(kv.vectors - arr)
        r, c = np.unravel_index(np.argmax(diff), diff.shape)
        problems.append(f"{name}: {int((diff > 0).sum())} entries differ from the npy export "
                        f"(max {diff.max():.3g} at row {r} col {c}: vec {kv.vectors[r, c]!r} npy {arr[r, c]!r})")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model saved by 'hogwild train --save'")
    ap.add_argument("--vec-dir", required=True, type=Path, help="folder written by 'hogwild export --format vec'")
    ap.add_argument("--npy-dir", type=Path, help="folder written by 'hogwild export --format npy' (optional)")
    ap.add_argument("--hogwild", default=".build/release/hogwild")
    ap.add_argument("--items", default=",".join(FIXED_ITEMS), help="comma-separated item ids always checked")
    ap.add_argument("--random", type=int, default=10, help="how many further items to draw")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--tie-tol", type=float, default=1e-5)
    ap.add_argument("--cos-tol", type=float, default=1e-4)
    args = ap.parse_args()

    items_vec = args.vec_dir / "items.vec"
    users_vec = args.vec_dir / "users.vec"
    for p in (items_vec, users_vec):
        if not p.is_file():
            fail(f"missing {p}")
    kv = KeyedVectors.load_word2vec_format(str(items_vec), binary=False)
    ukv = KeyedVectors.load_word2vec_format(str(users_vec), binary=False)
    with open(items_vec, encoding="utf-8") as f:
        count, dim = map(int, f.readline().split())
    print(f"gensim {gensim.__version__}, numpy {np.__version__}")
    print(f"items.vec: {len(kv)} items x {kv.vector_size} (header '{count} {dim}'); "
          f"users.vec: {len(ukv)} users x {ukv.vector_size}")

    problems = []
    if (len(kv), kv.vector_size) != (count, dim):
        problems.append(f"items.vec header says {count} x {dim}, gensim read {len(kv)} x {kv.vector_size}")
    if ukv.vector_size != kv.vector_size:
        problems.append(f"users.vec dim {ukv.vector_size} != items.vec dim {kv.vector_size}")
    if args.npy_dir:
        for name, k in (("items", kv), ("users", ukv)):
            problems += check_against_npy(k, args.npy_dir, name)
        if not problems:
            print(f"vec == npy export bit for bit ({args.npy_dir})")

    fixed = [i for i in args.items.split(",") if i]
    for i in fixed:
        if i not in kv.key_to_index:
            fail(f"item {i} is not in {items_vec}")
    others = sorted(set(kv.index_to_key) - set(fixed), key=lambda s: (len(s), s))
    chosen = fixed + random.Random(args.seed).sample(others, min(args.random, len(others)))

    unit = kv.get_normed_vectors().astype(np.float64)   # exact cosines, independent of most_similar
    print()
    print(f"{'item':>6}  {'same ids':>8}  {'tie swaps':>9}  {'max |dcos|':>10}  {'top-1':>6}  {'cos@1':>7}  {'cos@k':>7}  status")
    failed = []
    total_swaps = 0
    for item in chosen:
        cmd, hw = hogwild_similar(args.hogwild, args.model, item, args.k)
        gs = kv.most_similar(item, topn=args.k)
        exact = unit @ unit[kv.key_to_index[item]]
        cos_of = lambda key: float(exact[kv.key_to_index[key]]) if key in kv.key_to_index else float("nan")

        issues = []
        if len(hw) != len(gs):
            issues.append(f"hogwild lists {len(hw)} neighbours, gensim {len(gs)}")
        if [r for r, _, _ in hw] != list(range(1, len(hw) + 1)):
            issues.append(f"ranks {[r for r, _, _ in hw]}")
        ids = [i for _, i, _ in hw]
        if item in ids:
            issues.append("the query item is among its own neighbours")
        if len(set(ids)) != len(ids):
            issues.append("duplicate ids")
        swaps = 0
        max_dcos = 0.0
        for r, ((_, hid, hcos), (gid, gcos)) in enumerate(zip(hw, gs), start=1):
            if hid not in kv.key_to_index:
                issues.append(f"rank {r}: hogwild id {hid} is not in items.vec")
                continue
            if hid != gid:
                gap = abs(cos_of(hid) - cos_of(gid))
                if gap <= args.tie_tol:
                    swaps += 1
                else:
                    issues.append(f"rank {r}: hogwild {hid} (cos {cos_of(hid):.7f}) vs gensim {gid} "
                                  f"(cos {cos_of(gid):.7f}), gap {gap:.2e} > {args.tie_tol:g}")
            d = max(abs(hcos - gcos), abs(hcos - cos_of(hid)))
            max_dcos = max(max_dcos, d)
            if d > args.cos_tol:
                issues.append(f"rank {r}: hogwild cosine {hcos} vs gensim {gcos:.7f} "
                              f"(exact for {hid}: {cos_of(hid):.7f}), diff {d:.2e} > {args.cos_tol:g}")
        total_swaps += swaps
        same = sum(h[1] == g[0] for h, g in zip(hw, gs))
        status = "ok" if not issues else "MISMATCH"
        top1 = hw[0][1] if hw else "-"
        print(f"{item:>6}  {same:>5}/{len(gs):<2}  {swaps:>9}  {max_dcos:>10.2e}  {top1:>6}  "
              f"{gs[0][1] if gs else float('nan'):>7.4f}  {gs[-1][1] if gs else float('nan'):>7.4f}  {status}")
        if issues:
            failed.append((item, cmd, issues, hw, gs))

    print()
    for item, cmd, issues, hw, gs in failed:
        print(f"item {item}: " + "; ".join(issues))
        print(f"  repro: {shlex.join(cmd)}")
        print(f"  hogwild: {[(i, c) for _, i, c in hw]}")
        print(f"  gensim : {[(i, round(c, 6)) for i, c in gs]}")
    for p in problems:
        print(f"export: {p}")
    n = len(chosen)
    if failed or problems:
        print(f"FAIL: {len(failed)} of {n} items differ, {len(problems)} export problem(s)")
        return 1
    print(f"PASS: {n} items, top-{args.k} neighbours identical to gensim's "
          f"({total_swaps} tie swap(s) within {args.tie_tol:g}), cosines within {args.cos_tol:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
