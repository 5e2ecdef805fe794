#!/usr/bin/env bash
# Do two builds train the same models? Trains every loss (and every loop variant: hard negatives,
# Adagrad, unseen and popularity negatives, user weights, seen items, side features, the MLP
# matcher, a resumed run) on ml-100k with one thread and a fixed seed, with each binary, and
# compares the saved model files byte for byte. A refactoring that claims "no behaviour change"
# must pass it against a build of the previous main.
#
#   HOGWILD_DATA=../shared/data perf/same-models.sh OLD_BINARY NEW_BINARY
#
# Prints one line per configuration (same / DIFFERENT) and exits 1 if any model differs.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OLD_BINARY NEW_BINARY" >&2; exit 2; }
old=$1 new=$2
: "${HOGWILD_DATA:?set HOGWILD_DATA to the folder holding ml-100k}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
epochs=${EPOCHS:-3}

configs=(
  ""                                                   # the default: full softmax, seen items, user weights
  "--loss full-softmax --seen-weight 0 --user-weight 0"
  "--loss softmax"
  "--loss softmax --similarity dot"
  "--loss softmax --optimizer adagrad"
  "--loss softmax --negatives unseen --neg-exponent 0.75"
  "--loss margin"
  "--loss margin --similarity dot"
  "--loss margin --negatives uniform"
  "--loss margin --optimizer adagrad"
  "--loss margin --neg-exponent 1 --user-weight 0.5"
  "--loss margin --candidates 5"
  "--loss bpr --similarity dot"
  "--loss bpr --similarity dot --candidates 4"
  "--loss warp"
  "--loss warp --similarity dot"
  "--loss margin --item-features genres"
  "--loss margin --item-features genres --candidates 4"
  "--loss bpr --similarity dot --item-features genres"
  "--loss softmax --item-features genres"
  "--matcher mlp"
  "--matcher mlp --loss bpr"
)
status=0
n=0
for c in "${configs[@]}"; do
  n=$((n + 1))
  for side in old new; do
    bin=${!side}
    # shellcheck disable=SC2086
    "$bin" train --data ml-100k --threads 1 --seed 7 --epochs "$epochs" $c --save "$scratch/$side-$n.hgw" >"$scratch/$side-$n.log" 2>&1 ||
      { echo "FAILED ($side): ${c:-defaults}"; tail -3 "$scratch/$side-$n.log"; status=1; continue 2; }
  done
  if cmp -s "$scratch/old-$n.hgw" "$scratch/new-$n.hgw"; then echo "same       ${c:-defaults}"; else echo "DIFFERENT  ${c:-defaults}"; status=1; fi
done
# A resumed run replays the earlier epochs' shuffles before it continues: that must not change either.
for side in old new; do
  bin=${!side}
  "$bin" train --data ml-100k --threads 1 --seed 7 --loss margin --epochs 2 --save "$scratch/$side-r.hgw" >/dev/null 2>&1
  "$bin" train --data ml-100k --threads 1 --resume "$scratch/$side-r.hgw" --epochs 4 --save "$scratch/$side-r.hgw" >/dev/null 2>&1
done
if cmp -s "$scratch/old-r.hgw" "$scratch/new-r.hgw"; then echo "same       --resume (margin: 2 epochs, then resumed to 4)"; else echo "DIFFERENT  --resume"; status=1; fi
exit $status
