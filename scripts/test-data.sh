#!/usr/bin/env bash
# Finds MovieLens 100k for the test suite the way a user gets it: `hogwild download ml-100k`
# looks in $HOGWILD_DATA and the cache, and fetches the published zip into the cache when it is in
# neither. The tests search the same folders (Tests/HogwildTestSupport/MovieLens.swift).
# Without it the MovieLens tests are skipped, and this prints the one line that says why;
# with CI=true a missing data set is a failure that names it.
set -uo pipefail
bin="${1:?usage: scripts/test-data.sh path/to/hogwild}"
err=$(mktemp)
trap 'rm -f "$err"' EXIT
if folder=$("$bin" download ml-100k 2>"$err"); then
  echo "test data: ml-100k in $folder"
  exit 0
fi
reason=$(tail -n 1 "$err")
if [ "${CI:-}" = "true" ]; then
  echo "error: CI=true needs MovieLens 100k (ml-100k), and it is missing: $reason" >&2
  exit 1
fi
echo "test data: ml-100k is missing, so the MovieLens tests will be skipped: $reason" >&2
