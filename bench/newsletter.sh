#!/usr/bin/env bash
# Newsletter send throughput: personalized emails rendered and accepted by a
# local SMTP sink, per second, with the sender's memory, for a list of
# RECIPIENTS (default 100,000). The sink runs in its own process so the
# sender's RSS is the sender's alone. Prints the results; see
# docs/BENCHMARKS.md, "Newsletters", for the numbers on this machine.
#
#   bash bench/newsletter.sh [RECIPIENTS] [CONCURRENCY] [BATCH]
set -euo pipefail
cd "$(dirname "$0")/.."
RECIPIENTS="${1:-100000}"
CONCURRENCY="${2:-16}"
BATCH="${3:-500}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p masthead-web --example newsletter_bench
BIN="$CARGO_TARGET_DIR/release/examples/newsletter_bench"
FIFO="$(mktemp -u)"; mkfifo "$FIFO"
OUT="$(mktemp)"
# The sink stops when its standard input closes.
"$BIN" --sink < "$FIFO" > "$OUT" &
SINK=$!
exec 3> "$FIFO"
trap 'exec 3>&-; wait "$SINK" 2>/dev/null || true; rm -f "$FIFO" "$OUT"' EXIT
for _ in $(seq 100); do [ -s "$OUT" ] && break; sleep 0.05; done
URL="$(head -n1 "$OUT")"
echo "sink at $URL (pid $SINK)"
/usr/bin/time -v "$BIN" "$RECIPIENTS" "$URL" "$CONCURRENCY" "$BATCH" 2> >(grep -E "imported|Maximum resident|Elapsed" >&2)
exec 3>&-
wait "$SINK" || true
tail -n1 "$OUT"
