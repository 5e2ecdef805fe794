#!/usr/bin/env python3
"""Training throughput of reference implicit-feedback libraries, for comparison with hogwild.

Trains implicit's CPU BPR and LightFM (BPR and WARP losses) on one interaction file, for each
thread count in --threads, --repeats times, and reports the median of

    samples/s = epochs x training positives / wall seconds of the fit call.

What one "sample" is differs between the libraries (all three process nnz samples per epoch,
nnz = number of distinct training positives):

* implicit BPR (implicit.cpu.bpr): an epoch is nnz draws, each a uniformly random training
  interaction (with replacement) giving (user, positive), plus one negative: the item of another
  random interaction (so popularity-weighted). With verify_negative_samples (the default) a
  negative the user likes is *skipped*: no update, but it still counts as a sample. Updates are
  lock-free across OpenMP threads.
* LightFM BPR: an epoch visits every training interaction once in shuffled order; the negative
  is the item of a random interaction, redrawn until it is not a positive of the user; exactly
  one update per sample.
* LightFM WARP: an epoch visits every training interaction once in shuffled order; uniformly
  random negatives are scored until one violates the margin (at most max_sampled = 10 draws),
  then one update. A WARP sample therefore costs 1 to 10 scorings, and it gets dearer as the
  model improves.

hogwild's `bench` counts triplets the same way (epochs x positives / s), so the ratio of its
figure to these, measured in the same session, is the comparison to report. With --hogwild BIN
the script runs `BIN bench` itself on the same file, settings and thread counts (one repeat per
round, interleaved with the reference fits) and reports hogwild / reference ratios.

Only `fit` / `fit_partial` is timed (it includes each library's own set-up, e.g. factor
initialisation and LightFM's identity feature matrices). Data loading and AUC are not timed.
Repeats are interleaved across configurations so machine noise spreads evenly.

Run it with the interpreter of the venv made by perf/compare/setup-venv.sh, e.g.

    perf/.venv-compare/bin/python perf/compare/reference_bench.py \
        --data $HOGWILD_DATA/ml-100k/ua.base --test $HOGWILD_DATA/ml-100k/ua.test --auc

--data may also be hogwild's binary interaction file (`hogwild synth`, recognised by its magic
bytes), which holds the test positives too.
"""

import os

# Keep numpy/scipy's BLAS single-threaded so it cannot oversubscribe the cores the training
# threads use (implicit also warns when OpenBLAS is multithreaded). Must be set before numpy is
# imported. The libraries' own OpenMP parallel regions take an explicit thread count, so
# OMP_NUM_THREADS is left alone.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import datetime
import json
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO_ROOT / "perf" / "results" / "reference-bench.json"

# (library, loss) configurations, by --libraries name.
CONFIGS = {
    "implicit-bpr": ("implicit", "bpr"),
    "lightfm-bpr": ("lightfm", "bpr"),
    "lightfm-warp": ("lightfm", "warp"),
}
# --libraries shorthands: a bare library name means all of its configurations.
LIBRARY_ALIASES = {"implicit": ["implicit-bpr"], "lightfm": ["lightfm-bpr", "lightfm-warp"]}


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

class IdMap:
    """Raw id string -> dense index, in order of first appearance."""

    def __init__(self):
        self.index = {}

    def __call__(self, raw):
        i = self.index.get(raw)
        if i is None:
            i = self.index[raw] = len(self.index)
        return i

    def __len__(self):
        return len(self.index)


# Same rules as hogwild's RatingsReader, so both read a file identically.
USER_COLUMN_NAMES = {"user", "users", "userid", "user_id", "user id", "uid"}


def _separator(line):
    """Separator of a file, from its first non-blank line: '::' if present, else a tab, else a
    comma, else runs of whitespace (None, for str.split)."""
    for sep in ("::", "\t", ","):
        if sep in line:
            return sep
    return None


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def _is_header(fields):
    """A first line is a header when its first field contains "user" (any case) and its third
    field is not a number, or, with two fields, when the first is exactly a column name."""
    first = fields[0].lower()
    if "user" not in first:
        return False
    if len(fields) >= 3:
        return not _is_number(fields[2])
    return first in USER_COLUMN_NAMES


def read_interactions(path, users, items):
    """Reads `user item [rating [...]]` lines with any string ids: MovieLens u.data/ua.base
    (tab separated), ratings.dat ('::'), CSV (header optional), or whitespace separated.
    Fields past the third (timestamps...) are ignored; a file has a rating on every line or on
    none. Returns (user indices, item indices, ratings or None); ids are mapped through `users`
    and `items`, which grow.
    """
    us, its, ratings = [], [], []
    sep, has_rating = None, None
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if has_rating is None:  # first non-blank line
                sep = _separator(line)
                fields = [x.strip() for x in line.split(sep)]
                has_rating = len(fields) >= 3
                if _is_header(fields):
                    continue
            else:
                fields = [x.strip() for x in line.split(sep)]
            if len(fields) < 2 or has_rating and len(fields) < 3:
                want = "user, item and rating" if has_rating else "user and item"
                raise SystemExit(f"{path}:{lineno}: expected {want} fields: {line!r}")
            us.append(users(fields[0]))
            its.append(items(fields[1]))
            if has_rating:
                ratings.append(float(fields[2]))
    if not us:
        raise SystemExit(f"{path}: no interaction lines")
    return (np.asarray(us, dtype=np.int32), np.asarray(its, dtype=np.int32),
            np.asarray(ratings, dtype=np.float32) if has_rating else None)


def positives_matrix(u, i, r, min_rating, shape):
    """Binary float32 CSR of the positives: rating >= min_rating, or every line without ratings.
    Duplicate (user, item) pairs collapse to one positive."""
    keep = np.ones(len(u), dtype=bool) if r is None else r >= min_rating
    m = sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.float32), (u[keep], i[keep])),
                      shape=shape)
    m.sum_duplicates()
    m.data[:] = 1.0
    m.sort_indices()
    return m


HGWI_MAGIC = b"HGWDATA\x01"
HGWI_HEADER = np.dtype([("magic", "S8"), ("version", "<u4"), ("reserved", "<u4"),
                        ("users", "<u8"), ("items", "<u8"),
                        ("train_pairs", "<u8"), ("test_pairs", "<u8")])


def is_hgwi(path):
    """Whether `path` is hogwild's binary interaction file (by its magic bytes)."""
    try:
        with open(path, "rb") as f:
            return f.read(len(HGWI_MAGIC)) == HGWI_MAGIC
    except OSError:
        return False


def read_hgwi(path):
    """Train and test positives of a hogwild binary interaction file (`hogwild synth`), as
    binary float32 CSR matrices built straight from its arrays.

    Layout, version 1, little-endian: magic b"HGWDATA\x01", UInt32 version, UInt32 reserved,
    UInt64 users, items, train pairs, test pairs; then train row offsets (users + 1) x Int64,
    train item indices (train pairs) x Int32, and the same two arrays for test. Rows are
    sorted and distinct (hogwild writes and validates them so). The arrays are read with
    numpy.fromfile at disk speed; only the float32 `data` arrays of ones are added, so ~60M pairs
    take ~0.5 GB (indices 4 bytes + data 4 bytes per pair, plus the row offsets).
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = np.fromfile(f, dtype=HGWI_HEADER, count=1)
        if len(head) != 1:
            raise SystemExit(f"{path}: truncated (no complete header)")
        head = head[0]
        if head["magic"] != HGWI_MAGIC:
            raise SystemExit(f"{path}: not a hogwild interaction file")
        if head["version"] != 1:
            raise SystemExit(f"{path}: version {head['version']} interaction file; this script "
                             "reads version 1")
        users, items = int(head["users"]), int(head["items"])
        pairs = {"train": int(head["train_pairs"]), "test": int(head["test_pairs"])}
        if users >= 2 ** 31 or items >= 2 ** 31 or max(pairs.values()) >= 2 ** 40:
            raise SystemExit(f"{path}: impossible header ({users} users, {items} items)")
        expected = HGWI_HEADER.itemsize + 2 * (users + 1) * 8 + sum(pairs.values()) * 4
        if size != expected:
            raise SystemExit(f"{path}: {size} bytes, expected {expected} from its header "
                             "(truncated or trailing bytes)")
        out = {}
        for part in ("train", "test"):
            offsets = np.fromfile(f, dtype="<i8", count=users + 1)
            indices = np.fromfile(f, dtype="<i4", count=pairs[part])
            n = pairs[part]
            if (len(offsets) != users + 1 or len(indices) != n or offsets[0] != 0
                    or offsets[-1] != n or (np.diff(offsets) < 0).any()):
                raise SystemExit(f"{path}: {part} row offsets are inconsistent")
            if n and (indices.min() < 0 or indices.max() >= items):
                raise SystemExit(f"{path}: {part} item index out of range 0..<{items}")
            # scipy keeps one index dtype for indptr and indices: int32 while nnz fits (no copy
            # of the big indices array), else both int64.
            if n < 2 ** 31:
                offsets = offsets.astype(np.int32)
            else:
                indices = indices.astype(np.int64)
            m = sp.csr_matrix((np.ones(n, dtype=np.float32), indices, offsets),
                              shape=(users, items), copy=False)
            if not m.has_canonical_format:  # hogwild's own files are; anything else is fixed
                m.sum_duplicates()
                m.data[:] = 1.0
            out[part] = m
    return out["train"], out["test"]


def load_data(train_path, test_path, min_rating):
    """Training (and test) positives over one id space.

    As in hogwild's Dataset, users and items are every id seen in either file at any rating, so
    AUC ranks each user's test positives against every known item (on ml-100k's ua split:
    943 users, 1,682 items). A .npz file (scipy.sparse.save_npz) is taken as the user x item
    matrix directly: its non-zeros are the positives; a test .npz must have the same shape.
    A hogwild binary interaction file (detected by its magic bytes) holds both train and test
    positives with dense ids, so it comes without a separate test file.
    """
    if is_hgwi(train_path):
        if test_path:
            raise SystemExit(f"{train_path} is a hogwild binary interaction file, which holds "
                             "its own test positives; drop --test")
        return read_hgwi(train_path)
    if str(train_path).endswith(".npz"):
        train = sp.load_npz(train_path).tocsr().astype(np.float32)
        train.data[:] = 1.0
        train.eliminate_zeros()
        train.sort_indices()
        test = None
        if test_path:
            test = sp.load_npz(test_path).tocsr().astype(np.float32)
            if test.shape != train.shape:
                raise SystemExit(f"{test_path}: shape {test.shape} differs from {train.shape}")
            test.data[:] = 1.0
            test.sort_indices()
        return train, test
    users, items = IdMap(), IdMap()
    tr = read_interactions(train_path, users, items)
    te = read_interactions(test_path, users, items) if test_path else None
    shape = (len(users), len(items))
    train = positives_matrix(*tr, min_rating, shape)
    test = positives_matrix(*te, min_rating, shape) if te else None
    return train, test


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------

def train_implicit(train, dim, epochs, threads, seed):
    """implicit CPU BPR; returns (fit seconds, scores(start, stop) -> users start..<stop x all
    items)."""
    from implicit.cpu.bpr import BayesianPersonalizedRanking
    # factors=dim gives dim latent columns plus one item-bias column (users hold a constant 1
    # there), i.e. vectors of width dim + 1. Other hyper-parameters are implicit's defaults.
    model = BayesianPersonalizedRanking(factors=dim, iterations=epochs, num_threads=threads,
                                        random_state=seed)
    t0 = time.perf_counter()
    model.fit(train, show_progress=False)
    seconds = time.perf_counter() - t0

    def scores(start, stop):
        # The bias column makes this the model's full score.
        u = np.asarray(model.user_factors[start:stop], np.float64)
        return u @ np.asarray(model.item_factors, np.float64).T
    return seconds, scores


def train_lightfm(train_coo, loss, dim, epochs, threads, seed):
    """LightFM with loss 'bpr' or 'warp'; returns (fit seconds, scores(start, stop) -> users
    start..<stop x all items)."""
    from lightfm import LightFM
    # no_components=dim latent columns, plus separate user and item biases. Other
    # hyper-parameters (adagrad, learning_rate 0.05, max_sampled 10, no L2) are LightFM's
    # defaults.
    model = LightFM(no_components=dim, loss=loss, random_state=seed)
    t0 = time.perf_counter()
    model.fit_partial(train_coo, epochs=epochs, num_threads=threads)
    seconds = time.perf_counter() - t0

    def scores(start, stop):
        # Without side features the representations are the embeddings themselves.
        u = np.asarray(model.user_embeddings[start:stop], np.float64)
        v = np.asarray(model.item_embeddings, np.float64)
        return (u @ v.T + np.asarray(model.item_biases, np.float64)[None, :]
                + np.asarray(model.user_biases[start:stop], np.float64)[:, None])
    return seconds, scores


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------

def mean_user_auc(scores, train, test, block_entries=1 << 22):
    """Mean per-user ROC AUC over all items, excluding each user's training positives.

    For each user with at least one test positive (that is not also a training positive) and at
    least one candidate negative: AUC = P(score of a test positive > score of a candidate
    negative), ties counting one half (Mann-Whitney U from mid-ranks, exact with ties).
    Vectorised over blocks of users (about `block_entries` scores each, so memory stays bounded
    on large data): `scores(start, stop)` gives the block's user x item scores; training
    positives are set to -inf, so they take the n_excl lowest ranks and every candidate's rank
    is shifted by exactly n_excl.
    """
    users, items = train.shape
    block = max(1, block_entries // max(1, items))
    auc_sum, n_users = 0.0, 0
    for start in range(0, users, block):
        stop = min(users, start + block)
        s = np.array(scores(start, stop), dtype=np.float64)  # copy: modified below
        if not np.isfinite(s).all():
            return float("nan"), 0
        train_mask = train[start:stop].toarray() > 0
        test_mask = (test[start:stop].toarray() > 0) & ~train_mask
        n_excl = train_mask.sum(axis=1)
        n_pos = test_mask.sum(axis=1)
        n_neg = items - n_excl - n_pos
        ok = (n_pos > 0) & (n_neg > 0)
        if not ok.any():
            continue
        s, train_mask, test_mask = s[ok], train_mask[ok], test_mask[ok]
        n_excl, n_pos, n_neg = n_excl[ok], n_pos[ok], n_neg[ok]
        s[train_mask] = -np.inf
        ranks = rankdata(s, method="average", axis=1)   # 1-based, mid-ranks for ties
        rank_sum = np.where(test_mask, ranks, 0.0).sum(axis=1) - n_pos * n_excl
        u_stat = rank_sum - n_pos * (n_pos + 1) / 2.0
        auc_sum += float((u_stat / (n_pos * n_neg)).sum())
        n_users += int(ok.sum())
    return (auc_sum / n_users if n_users else float("nan")), n_users


# --------------------------------------------------------------------------------------------
# hogwild, measured in the same session
# --------------------------------------------------------------------------------------------

def run_hogwild(binary, args, threads, seed, extra):
    """One `hogwild bench --repeats 1` over all thread counts; returns {threads: triplets/s}.

    hogwild times its own training loop (data loading excluded) and counts
    triplets/s = epochs x training positives / seconds, the same unit as samples/s here.
    """
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "hogwild-bench.json"
        cmd = [binary, "bench", "--data", args.data, "--min-rating", str(args.min_rating),
               "--dim", str(args.dim), "--epochs", str(args.epochs), "--repeats", "1",
               "--threads", ",".join(map(str, threads)), "--seed", str(seed),
               "--report", str(report)]
        if args.test:
            cmd += ["--test", args.test]
        cmd += extra
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        rows = json.loads(report.read_text())
    return cmd, {int(r["threads"]): float(r["triplets_per_second"]) for r in rows}


def hogwild_info(binary):
    info = {"binary": str(Path(binary).resolve())}
    try:
        info["version"] = subprocess.run([binary, "--version"], capture_output=True, text=True,
                                         check=True).stdout.strip()
        info["binary_mtime"] = datetime.datetime.fromtimestamp(
            Path(binary).stat().st_mtime, datetime.timezone.utc).isoformat(timespec="seconds")
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit(f"--hogwild {binary}: cannot run it: {e}")
    return info


# --------------------------------------------------------------------------------------------
# Machine info and reporting
# --------------------------------------------------------------------------------------------

def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu_model": model,
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "load_average_start": list(os.getloadavg()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "hostname": platform.node(),
    }


def versions():
    out = {}
    for pkg in ("implicit", "lightfm", "numpy", "scipy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def print_ratios(ratios):
    print()
    print("hogwild / reference throughput at the same thread count (medians):")
    for r in ratios:
        print(f"  {r['threads']} thread(s): hogwild {r['hogwild_samples_per_second'] / 1e6:.3f} M/s = "
              + ", ".join(f"{k} x{v:.2f}" for k, v in r["ratio"].items()))


def print_table(results, base_threads):
    header = (f"{'library':<9} {'loss':<5} {'thr':>3} {'dim':>4} {'ep':>3} {'median s':>9} "
              f"{'M samples/s':>11} {'speedup':>7} {'AUC':>7}")
    print(header)
    print("-" * len(header))
    base = {}
    for r in results:
        key = (r["library"], r["loss"])
        if r["threads"] == base_threads:
            base[key] = r["samples_per_second"]
    for r in results:
        key = (r["library"], r["loss"])
        speedup = (f"{r['samples_per_second'] / base[key]:.2f}x" if key in base else "")
        auc = f"{r['auc']:.4f}" if r.get("auc") is not None else ""
        print(f"{r['library']:<9} {r['loss']:<5} {r['threads']:>3} {r['dim']:>4} "
              f"{r['epochs']:>3} {r['seconds_median']:>9.3f} "
              f"{r['samples_per_second'] / 1e6:>11.3f} {speedup:>7} {auc:>7}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True,
                   help="training interactions: ua.base-style TSV, CSV user,item[,rating], "
                        ".npz, or a hogwild binary interaction file (`hogwild synth`; holds "
                        "its test positives too)")
    p.add_argument("--test", help="test interactions with the same ids (needed for --auc, "
                                  "unless --data is a hogwild binary file)")
    p.add_argument("--min-rating", type=float, default=4.0,
                   help="ratings at or above this are positives (files without ratings: every "
                        "line is) (default: 4)")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (default: 1,2)")
    p.add_argument("--epochs", type=int, default=10, help="epochs per fit (default: 10)")
    p.add_argument("--dim", type=int, default=64, help="latent dimension (default: 64)")
    p.add_argument("--repeats", type=int, default=3,
                   help="fits per configuration; medians are reported (default: 3)")
    p.add_argument("--libraries", default=",".join(CONFIGS),
                   help=f"comma-separated subset of {','.join(CONFIGS)}, or implicit / "
                        "lightfm for all of a library's (default: all)")
    p.add_argument("--seed", type=int, default=1, help="base random seed (repeat r uses seed+r)")
    p.add_argument("--auc", action="store_true",
                   help="also compute mean per-user test AUC of every trained model (not timed)")
    p.add_argument("--out", default=str(DEFAULT_OUT),
                   help="JSON report (default: perf/results/reference-bench.json)")
    p.add_argument("--hogwild", metavar="BIN",
                   help="also run `BIN bench` with the same data and settings, once per round, "
                        "and report hogwild / reference ratios (e.g. .build/release/hogwild)")
    p.add_argument("--hogwild-args", default="",
                   help="extra arguments for `hogwild bench`, e.g. \"--loss bpr --similarity dot\"")
    args = p.parse_args()

    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    libs = []
    for name in (x.strip() for x in args.libraries.split(",")):
        for config in LIBRARY_ALIASES.get(name, [name] if name else []):
            if config not in CONFIGS:
                p.error(f"unknown library {name!r}; choose from "
                        f"{', '.join([*CONFIGS, *LIBRARY_ALIASES])}")
            if config not in libs:
                libs.append(config)
    if not libs:
        p.error("--libraries is empty")
    binary_data = is_hgwi(args.data)
    if binary_data and args.test:
        p.error(f"--data {args.data} is a hogwild binary interaction file with its own test "
                "positives; drop --test")
    if args.auc and not args.test and not binary_data:
        p.error("--auc needs --test (or a hogwild binary --data file)")

    hogwild_extra = shlex.split(args.hogwild_args)
    hogwild = hogwild_info(args.hogwild) if args.hogwild else None

    machine = machine_info()  # load average before any work
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")

    train, test = load_data(args.data, args.test, args.min_rating)
    # LightFM takes COO; made only when needed (on ~60M positives it is ~0.7 GB more).
    train_coo = train.tocoo() if any(CONFIGS[n][0] == "lightfm" for n in libs) else None
    nnz = int(train.nnz)
    print(f"data: {args.data}: {train.shape[0]} users x {train.shape[1]} items, "
          f"{nnz} training positives" + (f", {test.nnz} test positives" if test is not None else ""))
    print(f"machine: {machine['cpu_model']}, nproc {machine['nproc']}, load average "
          + " ".join(f"{x:.2f}" for x in machine["load_average_start"]))
    print(f"versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    if machine["load_average_start"][0] > 0.5:
        print(f"warning: 1-minute load average {machine['load_average_start'][0]:.2f} at start; "
              "something else is running and the figures may be noisy", flush=True)

    configs = [(name, t) for name in libs for t in threads]
    runs = {c: [] for c in configs}
    hogwild_runs = {t: [] for t in threads}
    for rep in range(args.repeats):
        if hogwild:
            cmd, by_threads = run_hogwild(args.hogwild, args, threads, args.seed + rep,
                                          hogwild_extra)
            hogwild["command"] = cmd
            for t in threads:
                hogwild_runs[t].append(by_threads[t])
            print(f"  run {rep + 1}/{args.repeats} hogwild      "
                  + ", ".join(f"threads {t}: {by_threads[t] / 1e6:6.3f} M triplets/s"
                              for t in threads), flush=True)
        for name, t in configs:
            library, loss = CONFIGS[name]
            seed = args.seed + rep
            load1 = os.getloadavg()[0]
            if library == "implicit":
                seconds, scores = train_implicit(train, args.dim, args.epochs, t, seed)
            else:
                seconds, scores = train_lightfm(train_coo, loss, args.dim, args.epochs, t, seed)
            run = {"repeat": rep, "seed": seed, "seconds": seconds,
                   "samples_per_second": args.epochs * nnz / seconds, "load1_before": load1}
            if args.auc:
                run["auc"], run["auc_users"] = mean_user_auc(scores, train, test)
            runs[(name, t)].append(run)
            print(f"  run {rep + 1}/{args.repeats} {name:<12} threads {t}: {seconds:7.3f} s, "
                  f"{run['samples_per_second'] / 1e6:6.3f} M samples/s"
                  + (f", AUC {run['auc']:.4f}" if args.auc else ""), flush=True)

    results = []
    for name, t in configs:
        library, loss = CONFIGS[name]
        rs = runs[(name, t)]
        sec = statistics.median(r["seconds"] for r in rs)
        entry = {
            "library": library, "loss": loss, "threads": t, "dim": args.dim,
            "epochs": args.epochs, "samples_per_epoch": nnz,
            "samples_per_second": args.epochs * nnz / sec,
            "seconds_median": sec, "runs": rs,
        }
        if library == "implicit":
            entry["vector_width"] = args.dim + 1  # latent + item-bias column
        if args.auc:
            entry["auc"] = statistics.median(r["auc"] for r in rs)
        results.append(entry)

    ratios = []
    if hogwild:
        hogwild["results"] = [{"threads": t, "runs": hogwild_runs[t],
                               "samples_per_second": statistics.median(hogwild_runs[t])}
                              for t in threads]
        for t in threads:
            hw = statistics.median(hogwild_runs[t])
            ratios.append({"threads": t, "hogwild_samples_per_second": hw, "ratio": {
                f"{r['library']}-{r['loss']}": hw / r["samples_per_second"]
                for r in results if r["threads"] == t}})

    machine["load_average_end"] = list(os.getloadavg())
    if hogwild and hogwild_info(args.hogwild)["binary_mtime"] != hogwild["binary_mtime"]:
        hogwild["binary_changed_during_run"] = True
        print(f"warning: {args.hogwild} was rebuilt during the run; its figures mix builds")
    report = {
        "benchmark": "reference-bench",
        "started": started,
        "command": [sys.executable] + sys.argv,
        "data": {"train": str(args.data), "test": args.test,
                 "format": "hogwild-binary" if binary_data else
                 "npz" if str(args.data).endswith(".npz") else "text",
                 "min_rating": args.min_rating,
                 "users": train.shape[0], "items": train.shape[1], "train_positives": nnz,
                 "test_positives": int(test.nnz) if test is not None else None},
        "settings": {"epochs": args.epochs, "dim": args.dim, "repeats": args.repeats,
                     "threads": threads, "seed": args.seed},
        "sample_definition": "samples_per_second = epochs * train_positives / median fit seconds",
        "versions": versions(),
        "machine": machine,
        "results": results,
    }
    if hogwild:
        report["hogwild"] = hogwild
        report["ratios_hogwild_over_reference"] = ratios
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    tmp.replace(out)

    print()
    print_table(results, threads[0])
    if hogwild:
        print_ratios(ratios)
    print(f"load average: start {' '.join(f'{x:.2f}' for x in machine['load_average_start'])}, "
          f"end {' '.join(f'{x:.2f}' for x in machine['load_average_end'])}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
