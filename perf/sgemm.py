#!/usr/bin/env python3
"""fp32 sgemm reference for the evaluator benchmark: numpy (OpenBLAS) computing the same
users × items score matrix as `hogwild bench --evaluator`, timed two ways:

- full: one `U @ V` writing the whole users × items result to memory;
- blocked-1024: 1,024 users at a time into a reused buffer, as the evaluator works (it never
  materialises the whole matrix), which is the fairer comparison.

GFLOP/s = 2 · users · items · dim / seconds; medians of --repeats runs. BLAS threads are set per
run through threadpoolctl when available, else through OPENBLAS_NUM_THREADS in a subprocess.
"""
import argparse, json, os, statistics, subprocess, sys, time


def measure(users, items, dim, repeats, variant):
    import numpy as np
    rng = np.random.default_rng(1)
    u = rng.standard_normal((users, dim), dtype=np.float32)
    v = rng.standard_normal((dim, items), dtype=np.float32)
    runs = []
    if variant == "full":
        out = np.empty((users, items), dtype=np.float32)
        np.matmul(u, v, out=out)  # warm-up: first touch of the output pages is not sgemm work
        for _ in range(repeats):
            t = time.perf_counter(); np.matmul(u, v, out=out); runs.append(time.perf_counter() - t)
    else:
        block = int(variant.split("-")[1])
        out = np.empty((block, items), dtype=np.float32)
        np.matmul(u[:block], v, out=out[: min(block, users)])  # warm-up
        for _ in range(repeats):
            t = time.perf_counter()
            for s in range(0, users, block):
                e = min(users, s + block)
                np.matmul(u[s:e], v, out=out[: e - s])
            runs.append(time.perf_counter() - t)
    return runs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--items", type=int, default=20_000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:  # one measurement in a process whose BLAS thread count is fixed by the environment
        print(json.dumps(measure(a.users, a.items, a.dim, a.repeats, a.child)))
        return
    rows = []
    flop = 2.0 * a.users * a.items * a.dim
    for threads in [int(t) for t in a.threads.split(",")]:
        for variant in ("full", "blocked-1024"):
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
            res = subprocess.run([sys.executable, __file__, "--child", variant, "--users", str(a.users),
                                  "--items", str(a.items), "--dim", str(a.dim), "--repeats", str(a.repeats)],
                                 env=env, check=True, capture_output=True, text=True)
            runs = json.loads(res.stdout)
            m = statistics.median(runs)
            rows.append({"threads": threads, "variant": variant, "seconds": m, "gflops": flop / m / 1e9, "runs": runs})
            print(f"sgemm {variant:13} threads {threads}: {m:.3f} s  {flop / m / 1e9:.1f} GFLOP/s")
    if a.out:
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rows, f, indent=2)
        os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
