#!/usr/bin/env bash
# Masthead's benchmark suite, one command:
#
#     bash bench/run.sh               # SQLite, plus archive sizes up to 100,000 articles
#     bash bench/run.sh --postgres    # the same, and the scenarios again on PostgreSQL
#
# Builds the release binary, makes a 200-article demo publication in a
# temporary directory, serves it on a free loopback port and measures five
# scenarios with wrk against Masthead and, side by side, against nginx
# serving the very same bytes as static files. Writes the results into
# docs/BENCHMARKS.md (between the generated markers). See that file for the
# method and the targets.
#
# Environment (all optional):
#   BENCH_POSTGRES=1          same as --postgres (PostgreSQL at 127.0.0.1:5432, user postgres,
#                             trust auth; a database masthead_bench_PID is created and dropped)
#   BENCH_DURATION=10         seconds per wrk run (wrk -t2 -c64 --latency)
#   BENCH_SCALES=1000,10000,100000   archive sizes to grow to ("" to skip)
#   BENCH_NO_WRITE=1          leave docs/BENCHMARKS.md alone
#   --perf                    after measuring, profile each scenario 5 s with perf (linux-perf;
#                             resolving inlined frames takes ~40 s a scenario)
#                             and print the share of CPU per Masthead function (bench/perf_summary.py)
#   CARGO_TARGET_DIR          where to build (default: target/ in the workspace)
#   BENCH_BINARY=PATH         measure this masthead binary instead of building one
# Other flags are passed to bench/bench.py (--help lists them).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

args=()
for a in "$@"; do
  case "$a" in
    -h|--help) awk 'NR > 1 && /^set -euo/ { exit } NR > 1' "$0"; exec python3 bench/bench.py --help ;;
    *) args+=("$a") ;;
  esac
done
[[ "${BENCH_POSTGRES:-}" == 1 ]] && args+=(--postgres)
[[ -n "${BENCH_DURATION:-}" ]] && args+=(--duration "$BENCH_DURATION")
[[ -n "${BENCH_SCALES+set}" ]] && args+=(--scales "$BENCH_SCALES")
[[ "${BENCH_NO_WRITE:-}" == 1 ]] && args+=(--no-write)
want_pg=0
want_perf=0
for a in "${args[@]}"; do
  [[ "$a" == --postgres ]] && want_pg=1
  [[ "$a" == --perf ]] && want_perf=1
done

# What the suite needs, installed from Debian when missing (CI machines are fresh).
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
command -v curl >/dev/null || missing+=(curl)
command -v python3 >/dev/null || missing+=(python3)
[[ $want_pg == 1 ]] && ! command -v psql >/dev/null && missing+=(postgresql-client)
[[ $want_perf == 1 ]] && ! command -v perf >/dev/null && missing+=(linux-perf)
if ((${#missing[@]})); then
  echo "bench: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"

if [[ -n "${BENCH_BINARY:-}" ]]; then
  binary=$BENCH_BINARY
  echo "bench: using $binary (BENCH_BINARY; not building)"
else
  target=${CARGO_TARGET_DIR:-$ROOT/target}
  echo "bench: building (cargo build --release -p masthead, target $target)"
  t0=$(date +%s)
  CARGO_TARGET_DIR=$target cargo build --release -q -p masthead
  echo "bench: built in $(( $(date +%s) - t0 )) s"
  binary=$target/release/masthead
fi

# Bounded: the whole run takes about 3½ minutes for SQLite and 2 more for
# PostgreSQL on a 2-core machine (--perf adds a few minutes of `perf script`);
# this stops a stuck run.
limit=900
[[ $want_perf == 1 ]] && limit=2400
exec timeout --signal=INT --kill-after=30 $limit \
  python3 bench/bench.py --binary "$binary" --pg-db "masthead_bench_$$" "${args[@]}"
