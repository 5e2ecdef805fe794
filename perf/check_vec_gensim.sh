#!/usr/bin/env bash
# Cross-checks `hogwild export --format vec` and `hogwild similar` against gensim:
# trains a model on ml-100k, exports it, loads items.vec with
# gensim.models.KeyedVectors.load_word2vec_format(path, binary=False) and compares
# most_similar(id, topn=10) with `hogwild similar --item id --k 10` for items 50 (Star Wars),
# 1, 100, 181, 313 and 10 others drawn with a fixed seed (see perf/check_vec_gensim.py for the
# exact criteria: same ids in the same order up to swaps of float ties within 1e-5, cosines
# within 1e-4; the .vec files must also equal the npy export bit for bit).
#
#   HOGWILD_DATA=../shared/data perf/check_vec_gensim.sh
#   FORCE=1 ...      rebuild perf/.venv-gensim from scratch
#   KEEP=1 ...       keep the temporary model / export folder (its path is printed)
#   HOGWILD_BIN=...  binary to test (default .build/release/hogwild; this script never builds)
#   extra arguments are passed to check_vec_gensim.py (e.g. --seed 2 --random 30)
#
# The venv lives at perf/.venv-gensim (git-ignored via /perf/.venv*/); it is created and the
# pinned packages installed only when missing. Exit status: 0 all agree, 1 mismatch, 2 setup.
set -euo pipefail
cd "$(dirname "$0")/.."                 # repository root

if [[ -z "${HOGWILD_DATA:-}" ]]; then
    echo "error: set HOGWILD_DATA to the folder holding ml-100k (e.g. HOGWILD_DATA=../shared/data $0)" >&2
    exit 2
fi
[[ -f "$HOGWILD_DATA/ml-100k/u.data" ]] || { echo "error: no ml-100k/u.data under HOGWILD_DATA=$HOGWILD_DATA" >&2; exit 2; }
export HOGWILD_DATA
bin=${HOGWILD_BIN:-.build/release/hogwild}
[[ -x "$bin" ]] || { echo "error: $bin missing; build it first (swift build -c release)" >&2; exit 2; }

VENV=perf/.venv-gensim
PY="$VENV/bin/python"
GENSIM_VERSION=4.4.0        # first gensim with numpy 2 wheels for Python 3.11
NUMPY_VERSION=2.4.6
SCIPY_VERSION=1.17.1

if [[ "${FORCE:-0}" == 1 && -d "$VENV" ]]; then
    echo "FORCE=1: removing $VENV"
    rm -rf "$VENV"
fi
installed_ok() {
    [[ -x "$PY" ]] || return 1
    "$PY" - "$GENSIM_VERSION" "$NUMPY_VERSION" "$SCIPY_VERSION" <<'EOF' 2>/dev/null
import sys
import gensim, numpy, scipy
from gensim.models import KeyedVectors
sys.exit(0 if [gensim.__version__, numpy.__version__, scipy.__version__] == sys.argv[1:] else 1)
EOF
}
if ! installed_ok; then
    [[ -x "$PY" ]] || { echo "Creating $VENV"; python3 -m venv "$VENV"; }
    "$PY" -m pip --disable-pip-version-check install -q \
        "gensim==$GENSIM_VERSION" "numpy==$NUMPY_VERSION" "scipy==$SCIPY_VERSION"
    installed_ok || { echo "error: $VENV does not import gensim $GENSIM_VERSION / numpy $NUMPY_VERSION after install" >&2; exit 2; }
    echo "Installed gensim $GENSIM_VERSION, numpy $NUMPY_VERSION, scipy $SCIPY_VERSION into $VENV"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hogwild-vec-gensim.XXXXXX")
if [[ "${KEEP:-0}" == 1 ]]; then echo "keeping $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi

model="$tmp/m.hgw"
echo "== $bin $("$bin" --version 2>/dev/null || true)"
"$bin" train --data ml-100k --threads 2 --quiet --save "$model"
"$bin" export --model "$model" --format vec --out "$tmp/vec"
"$bin" export --model "$model" --format npy --out "$tmp/npy"
echo "== gensim check"
"$PY" perf/check_vec_gensim.py --hogwild "$bin" --model "$model" --vec-dir "$tmp/vec" --npy-dir "$tmp/npy" "$@"
