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
started=$(date +%s)

if [ ! -x "$VENV/bin/st" ]; then
  echo "== installing schemathesis into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==4.*"
fi

# shellcheck source=scripts/lib.sh
. scripts/lib.sh
pick_binary
demo_workspace
export MASTHEAD_METRICS=false

echo "== making a demo publication in $WORK"
"$BIN" demo --no-serve --articles 40 > "$WORK/demo.txt"
OWNER=$(sed -n 's/.*email: \([^ ]*\) .*/\1/p' "$WORK/demo.txt")
CONTENT_KEY=$("$BIN" token create --kind content --name schemathesis)
ADMIN_TOKEN=$("$BIN" token create --kind admin --name schemathesis --staff "$OWNER" --scopes admin)

serve_ready

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
