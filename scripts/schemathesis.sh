#!/usr/bin/env bash
# Property-based tests of the JSON API against its own OpenAPI document:
# schemathesis (from PyPI) generates requests from /api/openapi.json and
# checks every answer: never a server error, and status codes, content
# types and bodies as the document says.
#
# It builds Masthead, makes a demo publication in a temporary directory,
# a content key and an owner's admin token (`masthead token create`),
# serves it on a loopback port, and runs schemathesis twice: the Content
# API with the content key, the Admin API with the staff token.
#
#   bash scripts/schemathesis.sh            # about 200 examples per operation
#   MAX_EXAMPLES=20 bash scripts/schemathesis.sh
#
# Environment: PORT (18089), MAX_EXAMPLES (200), SCHEMATHESIS_VENV (where
# schemathesis is installed; default ~/.cache/masthead-schemathesis),
# CARGO_TARGET_DIR (default target/), PROFILE (release or debug),
# MASTHEAD_BIN (a built binary to test instead of building one).
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18089}
MAX_EXAMPLES=${MAX_EXAMPLES:-200}
VENV=${SCHEMATHESIS_VENV:-$HOME/.cache/masthead-schemathesis}
TARGET=${CARGO_TARGET_DIR:-target}
PROFILE=${PROFILE:-release}
started=$(date +%s)

if [ ! -x "$VENV/bin/st" ]; then
  echo "== installing schemathesis into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==4.*"
fi

if [ -n "${MASTHEAD_BIN:-}" ]; then
  BIN="$MASTHEAD_BIN"
  echo "== using $BIN (not building)"
else
  echo "== building masthead ($PROFILE)"
  if [ "$PROFILE" = release ]; then cargo build --release -p masthead; else cargo build -p masthead; fi
  BIN="$TARGET/$PROFILE/masthead"
fi

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

export MASTHEAD_DATA_DIR="$WORK/data"
export MASTHEAD_DATABASE_URL="sqlite:$WORK/data/masthead.db"
export MASTHEAD_LISTEN="127.0.0.1:$PORT"
export MASTHEAD_BASE_URL="http://127.0.0.1:$PORT"
export MASTHEAD_MAIL_URL=memory
export MASTHEAD_LOG_LEVEL=warn
export MASTHEAD_METRICS=false

echo "== making a demo publication in $WORK"
"$BIN" demo --no-serve --articles 40 > "$WORK/demo.txt"
OWNER=$(sed -n 's/.*email: \([^ ]*\) .*/\1/p' "$WORK/demo.txt")
CONTENT_KEY=$("$BIN" token create --kind content --name schemathesis)
ADMIN_TOKEN=$("$BIN" token create --kind admin --name schemathesis --staff "$OWNER" --scopes admin)

"$BIN" serve > "$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$PORT/readyz" > /dev/null 2>&1; then break; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$PORT/readyz" > /dev/null

SCHEMA="http://127.0.0.1:$PORT/api/openapi.json"
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
status=0
# Run from the temporary directory: schemathesis and hypothesis keep their
# caches (.schemathesis/, .hypothesis/) in the current one.
cd "$WORK"
echo "== the Content API"
"$VENV/bin/st" run "$SCHEMA" --checks "$CHECKS" --max-examples "$MAX_EXAMPLES" --seed 1 \
  --include-path-regex '^/api/content' -H "Authorization: Bearer $CONTENT_KEY" --suppress-health-check all || status=$?
echo "== the Admin API"
"$VENV/bin/st" run "$SCHEMA" --checks "$CHECKS" --max-examples "$MAX_EXAMPLES" --seed 1 \
  --include-path-regex '^/api/admin' -H "Authorization: Bearer $ADMIN_TOKEN" --suppress-health-check all || status=$?

if grep -q "request failed" "$WORK/serve.log"; then
  echo "== the server logged failed requests:"
  grep "request failed" "$WORK/serve.log" | head -20
  status=1
fi
echo "== done in $(( $(date +%s) - started )) s (exit $status)"
exit "$status"
