#!/usr/bin/env bash
# Search latency (p50/p99) over 100,000 generated articles, on SQLite and on
# PostgreSQL. Prints Markdown table rows; docs/BENCHMARKS.md ("Search")
# holds the last results and says how they were made.
#
#   bash bench/search.sh                    # both backends
#   SEARCH_BENCH_SKIP_POSTGRES=1 bash bench/search.sh
#
# Knobs: SEARCH_BENCH_ARTICLES (100000), SEARCH_BENCH_ROUNDS (20 timed runs
# per query), SEARCH_BENCH_DIR (/tmp/masthead-search-bench, where the SQLite
# file is kept between runs), SEARCH_BENCH_POSTGRES_URL (a database that is
# created when missing; default postgres://postgres@127.0.0.1:5432/masthead_search_bench).
# A database already holding the articles is reused: generating and
# indexing 100,000 articles takes a few minutes per backend.
set -euo pipefail
cd "$(dirname "$0")/.."

ARTICLES="${SEARCH_BENCH_ARTICLES:-100000}"
ROUNDS="${SEARCH_BENCH_ROUNDS:-20}"
WORK="${SEARCH_BENCH_DIR:-/tmp/masthead-search-bench}"
PG_URL="${SEARCH_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/masthead_search_bench}"

cargo build --release -q -p masthead-db --example search_bench
BIN="${CARGO_TARGET_DIR:-target}/release/examples/search_bench"

mkdir -p "$WORK"
echo "== SQLite ($ARTICLES articles, $WORK/search-$ARTICLES.db)" >&2
"$BIN" "sqlite:$WORK/search-$ARTICLES.db" "$ARTICLES" "$ROUNDS"

if [ -z "${SEARCH_BENCH_SKIP_POSTGRES:-}" ]; then
  command -v psql >/dev/null || { echo "psql is needed for the PostgreSQL run (apt-get install postgresql-client)" >&2; exit 1; }
  db="${PG_URL##*/}"; db="${db%%\?*}"
  admin="${PG_URL%/*}/postgres"
  if ! psql "$admin" -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    psql "$admin" -qc "CREATE DATABASE \"$db\""
  fi
  echo "== PostgreSQL ($ARTICLES articles, $db)" >&2
  "$BIN" "$PG_URL" "$ARTICLES" "$ROUNDS"
fi
