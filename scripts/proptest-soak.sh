#!/usr/bin/env bash
# Runs the property tests many more times than the test command does, each
# round with a new random seed, to look for inputs nobody thought of.
# CI runs the same properties with a fixed seed (PROPTEST_RNG_SEED in .ci/run)
# so that a red run always means a change broke something; this is where new
# inputs are explored. A failure is written to the proptest-regressions file
# next to the test, which is committed with the fix and re-run first ever after.
#
#   bash scripts/proptest-soak.sh [ROUNDS]     (CASES=20000 by default; the mail encoding property, which sends each case, is slower)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
export PROPTEST_CASES="${CASES:-20000}"
unset PROPTEST_RNG_SEED
for round in $(seq 1 "$rounds"); do
  echo "== round $round of $rounds ($PROPTEST_CASES cases per property where the test does not set its own)"
  cargo test --release --locked -q -p masthead-core --lib
  cargo test --release --locked -q -p masthead-render --test safety
  cargo test --release --locked -q -p masthead-mail --test encoding
done
