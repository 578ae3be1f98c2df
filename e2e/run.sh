#!/usr/bin/env bash
# The reader's journey in a real browser.
#
#   bash e2e/run.sh
#
# Installs Debian's Chromium when it is missing, installs the pinned npm
# packages, builds masthead (or takes MASTHEAD_BIN), makes a fresh demo
# publication on SQLite in a temporary directory, starts an SMTP server on
# loopback that keeps every message, serves the demo on a free loopback
# port, runs the browser tests (e2e/tests/*.test.mjs) with Node's test
# runner, and stops everything it started. Ends with "N passed, M failed,
# K skipped" and a non-zero status when a test failed.
#
# Settings (environment):
#   MASTHEAD_BIN          a built masthead binary to test (default: cargo build -p masthead)
#   E2E_RELEASE=1         build and test the release binary instead of the debug one
#   E2E_KEEP=1            keep the temporary data directory (its path is printed)
#   E2E_DOCS_SCREENSHOTS  a directory to copy the documentation screenshots to,
#                         e.g. docs/screenshots (they always go to e2e/artifacts/)
#   E2E_ONLY              a pattern of test names to run (node --test-name-pattern)
#   CHROMIUM              the browser (default /usr/bin/chromium)
set -euo pipefail

E2E="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$E2E")"
started=$SECONDS
say() { echo "== e2e: $*"; }

# -- the browser ---------------------------------------------------------
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  say "installing Debian's chromium (browsers cannot be downloaded by npm here)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
say "$("$CHROMIUM" --version 2>/dev/null || echo "chromium at $CHROMIUM")"

# -- npm packages (playwright-core, axe-core, smtp-server), pinned -------
if ! command -v node >/dev/null; then echo "e2e: node (20 or newer) is needed" >&2; exit 1; fi
say "npm packages"
(
  cd "$E2E"
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
)

# -- the binary ----------------------------------------------------------
if [ -n "${MASTHEAD_BIN:-}" ]; then
  BIN="$MASTHEAD_BIN"
else
  profile=debug; flags=()
  if [ "${E2E_RELEASE:-}" = 1 ]; then profile=release; flags=(--release); fi
  say "building masthead ($profile)"
  (cd "$ROOT" && cargo build -p masthead --locked "${flags[@]}")
  target="${CARGO_TARGET_DIR:-$ROOT/target}"
  case "$target" in /*) ;; *) target="$ROOT/$target" ;; esac
  BIN="$target/$profile/masthead"
fi
[ -x "$BIN" ] || { echo "e2e: no masthead binary at $BIN" >&2; exit 1; }
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

# -- a fresh publication -------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/masthead-e2e.XXXXXX")"
ARTIFACTS="$E2E/artifacts"
rm -rf "$ARTIFACTS"; mkdir -p "$ARTIFACTS"
SERVE_PID=""; SMTP_PID=""
# Stops what this script started, by process id: TERM, and KILL after 10 s
# (the embedded worker finishes every due job before it exits, and the
# demo's image renditions can take minutes on a debug build).
stop_pid() {
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$1" 2>/dev/null; then say "$2 did not stop within 10 s of SIGTERM; killing it"; kill -KILL "$1" 2>/dev/null || true; fi
  wait "$1" 2>/dev/null || true
}
stop_all() {
  if [ -n "$SERVE_PID" ]; then stop_pid "$SERVE_PID" "masthead serve"; SERVE_PID=""; fi
  if [ -n "$SMTP_PID" ]; then stop_pid "$SMTP_PID" "the SMTP server"; SMTP_PID=""; fi
  if [ -n "$WORK" ]; then
    if [ "${E2E_KEEP:-}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
    WORK=""
  fi
}
trap 'stop_all' EXIT
trap 'exit 130' INT TERM

export MASTHEAD_DATA_DIR="$WORK/data"
export MASTHEAD_DATABASE_URL="sqlite:$WORK/data/masthead.db"
export MASTHEAD_LOG_FORMAT=text

say "demo publication in $WORK"
MASTHEAD_MAIL_URL="file:$WORK/demo-mail" "$BIN" demo --no-serve --articles 40 >"$ARTIFACTS/demo.log" 2>&1 \
  || { cat "$ARTIFACTS/demo.log" >&2; exit 1; }
desk="$(grep -m1 '^Desk:' "$ARTIFACTS/demo.log" || true)"
export E2E_OWNER_EMAIL="$(sed -n 's/.*email: \([^ ]*\).*/\1/p' <<<"$desk")"
export E2E_OWNER_PASSWORD="$(sed -n 's/.*password: \([^ ]*\).*/\1/p' <<<"$desk")"
grep -v '^Desk:' "$ARTIFACTS/demo.log" | sed 's/^/   /'

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# -- mail: a real SMTP server on loopback --------------------------------
mkdir -p "$WORK/mail"
node "$E2E/smtp-capture.mjs" "$WORK/mail" "$WORK/smtp.port" >"$ARTIFACTS/smtp.log" 2>&1 &
SMTP_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/smtp.port" ] && break; sleep 0.1; done
[ -s "$WORK/smtp.port" ] || { cat "$ARTIFACTS/smtp.log" >&2; echo "e2e: the SMTP server did not start" >&2; exit 1; }
SMTP_PORT="$(cat "$WORK/smtp.port")"

# -- masthead serve ------------------------------------------------------
PORT="$(free_port)"
export MASTHEAD_LISTEN="127.0.0.1:$PORT"
export MASTHEAD_MAIL_URL="smtp://127.0.0.1:$SMTP_PORT"
say "masthead serve on $MASTHEAD_LISTEN, mail to $MASTHEAD_MAIL_URL"
"$BIN" serve >"$ARTIFACTS/serve.log" 2>&1 &
SERVE_PID=$!
ready=""
for _ in $(seq 1 300); do
  if curl -fsS -o /dev/null "http://$MASTHEAD_LISTEN/readyz" 2>/dev/null; then ready=1; break; fi
  kill -0 "$SERVE_PID" 2>/dev/null || break
  sleep 0.2
done
[ -n "$ready" ] || { tail -50 "$ARTIFACTS/serve.log" >&2; echo "e2e: masthead did not become ready" >&2; exit 1; }

# -- the tests -----------------------------------------------------------
export E2E_BASE_URL="http://$MASTHEAD_LISTEN" E2E_MAIL_DIR="$WORK/mail" E2E_WORK="$WORK" E2E_ARTIFACTS="$ARTIFACTS"
export E2E_RUN_ID="$(date +%s)"
if [ -n "${E2E_DOCS_SCREENSHOTS:-}" ]; then
  case "$E2E_DOCS_SCREENSHOTS" in /*) ;; *) E2E_DOCS_SCREENSHOTS="$ROOT/$E2E_DOCS_SCREENSHOTS" ;; esac
  export E2E_DOCS_SCREENSHOTS
fi
say "browser tests (ready after $((SECONDS - started)) s)"
args=(--test --test-concurrency=1 --test-timeout=180000
  --test-reporter=spec --test-reporter-destination=stdout
  --test-reporter="$E2E/lib/summary.mjs" --test-reporter-destination="$WORK/summary.txt")
[ -n "${E2E_ONLY:-}" ] && args+=(--test-name-pattern="$E2E_ONLY")
set +e
(cd "$E2E" && node "${args[@]}" tests/*.test.mjs)
status=$?
set -e
if grep -qiE 'panicked|ERROR' "$ARTIFACTS/serve.log"; then
  say "the server logged errors (e2e/artifacts/serve.log):"
  grep -iE 'panicked|ERROR' "$ARTIFACTS/serve.log" | head -20
fi
summary="$(cat "$WORK/summary.txt" 2>/dev/null || true)"
say "tests done after $((SECONDS - started)) s; stopping"
[ -n "$summary" ] || { summary="0 passed, 1 failed"; status=1; }
stop_all
say "artifacts in e2e/artifacts (screenshots, axe reports, page weight, logs); $((SECONDS - started)) s in all"
echo "$summary"
exit $status
