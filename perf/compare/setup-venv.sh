#!/usr/bin/env bash
# Create a throwaway virtual environment with the reference recommender
# libraries (implicit, LightFM) used by perf/compare/reference_bench.py.
#
#   perf/compare/setup-venv.sh            # create / verify perf/.venv-compare
#   FORCE=1 perf/compare/setup-venv.sh    # delete and rebuild it from scratch
#
# The venv lives at perf/.venv-compare (git-ignored via /perf/.venv*/).
# Idempotent: if the venv already imports every pinned package at the pinned
# version, nothing is installed.
#
# Needs: python3 (3.11 tested) with the venv module, network access to PyPI
# via pip, and a C compiler (gcc) because LightFM ships only an sdist.
# No apt packages are required (LightFM's OpenMP build links the system
# libgomp that comes with gcc).
#
# Why the odd pip handling for LightFM:
#   lightfm 1.17's setup.py does `__builtins__.__LIGHTFM_SETUP__ = True`.
#   Under PEP 517 (setuptools.build_meta exec()s setup.py with a dict as
#   __builtins__) that raises
#       AttributeError: 'dict' object has no attribute '__LIGHTFM_SETUP__'
#   with or without build isolation. The legacy `setup.py bdist_wheel` path
#   (pip --no-use-pep517) runs setup.py as a script and works, but pip
#   >= 25.3 removed that option, hence pip is pinned to 25.2 here.
#   The pre-generated C sources in the sdist are compiled with
#   -ffast-math -march=native -fopenmp (LightFM's own setup.py flags), so no
#   Cython is needed. The built wheel is machine-specific (-march=native),
#   so pip's wheel cache is bypassed for it.
set -euo pipefail

cd "$(dirname "$0")/../.."            # repository root
VENV=perf/.venv-compare
PY="$VENV/bin/python"

# Pinned versions (the combination verified on this machine).
PIP_VERSION=25.2            # last pip with --no-use-pep517 (see above)
SETUPTOOLS_VERSION=65.5.0   # what python 3.11's venv bundles; builds lightfm
WHEEL_VERSION=0.48.0        # needed by the legacy bdist_wheel path
NUMPY_VERSION=2.4.6
SCIPY_VERSION=1.17.1
IMPLICIT_VERSION=0.7.3      # binary manylinux2014 wheel from PyPI (OpenMP)
LIGHTFM_VERSION=1.17        # sdist only; compiled locally

if [[ "${FORCE:-0}" == 1 && -d "$VENV" ]]; then
    echo "FORCE=1: removing $VENV"
    rm -rf "$VENV"
fi

# Returns 0 iff every pinned package imports at the pinned version.
installed_ok() {
    [[ -x "$PY" ]] || return 1
    "$PY" - "$NUMPY_VERSION" "$SCIPY_VERSION" "$IMPLICIT_VERSION" "$LIGHTFM_VERSION" <<'EOF' 2>/dev/null
import sys
import numpy, scipy, implicit, lightfm
import implicit.cpu.bpr                 # compiled extension present
import lightfm._lightfm_fast_openmp     # OpenMP build (threads actually used)
want = dict(zip(["numpy", "scipy", "implicit", "lightfm"], sys.argv[1:]))
have = {"numpy": numpy.__version__, "scipy": scipy.__version__,
        "implicit": implicit.__version__, "lightfm": lightfm.__version__}
sys.exit(0 if have == want else 1)
EOF
}

if installed_ok; then
    echo "$VENV already set up (numpy $NUMPY_VERSION, scipy $SCIPY_VERSION," \
         "implicit $IMPLICIT_VERSION, lightfm $LIGHTFM_VERSION); nothing to do."
    exit 0
fi

if [[ ! -x "$PY" ]]; then
    echo "Creating $VENV"
    python3 -m venv "$VENV"
fi

PIP=("$PY" -m pip --disable-pip-version-check)

"${PIP[@]}" install -q "pip==$PIP_VERSION"
"${PIP[@]}" install -q "setuptools==$SETUPTOOLS_VERSION" "wheel==$WHEEL_VERSION"
"${PIP[@]}" install -q "numpy==$NUMPY_VERSION" "scipy==$SCIPY_VERSION" \
    "implicit==$IMPLICIT_VERSION"
# LightFM: legacy setup.py build (see header). Its other dependencies
# (scikit-learn, requests) come from PyPI as ordinary wheels.
"${PIP[@]}" install -q --no-cache-dir --no-use-pep517 "lightfm==$LIGHTFM_VERSION"

if ! installed_ok; then
    echo "error: $VENV does not import the pinned versions after install" >&2
    exit 1
fi
echo "Installed into $VENV:"
"${PIP[@]}" list --format=freeze | grep -iE '^(numpy|scipy|implicit|lightfm|scikit-learn|threadpoolctl|pip|setuptools|wheel)=='
