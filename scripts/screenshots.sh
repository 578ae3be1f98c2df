#!/usr/bin/env bash
# Screenshots of the desk's main screens into docs/screenshots/, taken from
# a fresh demo publication with headless Chromium (see screenshots.mjs).
#
#   bash scripts/screenshots.sh        # PROFILE=debug for a quicker build
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18090}
TARGET=${CARGO_TARGET_DIR:-target}
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then cargo build --release -p masthead; else cargo build -p masthead; fi
BIN="$TARGET/$PROFILE/masthead"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export MASTHEAD_DATA_DIR="$WORK/data" MASTHEAD_DATABASE_URL="sqlite:$WORK/data/masthead.db" MASTHEAD_LISTEN="127.0.0.1:$PORT"
export MASTHEAD_BASE_URL="http://127.0.0.1:$PORT" MASTHEAD_MAIL_URL=memory MASTHEAD_LOG_LEVEL=warn
"$BIN" demo --no-serve --articles 60 > "$WORK/demo.txt"
EMAIL=$(sed -n 's/.*email: \([^ ]*\) .*/\1/p' "$WORK/demo.txt")
PASSWORD=$(sed -n 's/.*password: \(.*\)$/\1/p' "$WORK/demo.txt")
"$BIN" serve > "$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/readyz" > /dev/null 2>&1 && break; sleep 0.2; done
BASE="http://127.0.0.1:$PORT"
# Sign in as the owner, as a person would: the form, its CSRF cookie, the post.
JAR="$WORK/cookies"
FORM=$(curl -fsS -c "$JAR" "$BASE/admin/login")
CSRF=$(printf '%s' "$FORM" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -fsS -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "csrf=$CSRF" --data-urlencode "email=$EMAIL" \
  --data-urlencode "password=$PASSWORD" --data-urlencode "next=/admin" "$BASE/admin/login"
STAFF=$(awk '$6 == "mh_staff" { print $7 }' "$JAR")
[ -n "$STAFF" ] || { echo "could not sign in"; exit 1; }
ID=$(curl -fsS -b "mh_staff=$STAFF" "$BASE/admin?sort=published" | sed -n 's/.*href="\/admin\/articles\/\([0-9]*\)".*/\1/p' | head -1)
node --experimental-websocket --no-warnings scripts/screenshots.mjs "$BASE" "mh_staff=$STAFF" docs/screenshots \
  "articles=/admin" \
  "editor=/admin/articles/$ID" \
  "preview-over-quota=/admin/articles/$ID/preview?as=anonymous_over_quota" \
  "numbers=/admin/numbers?days=90" \
  "members=/admin/members" \
  "plans-and-paywall=/admin/plans" \
  "staff=/admin/staff" \
  "audit-log=/admin/audit" \
  "integrations=/admin/integrations" \
  "settings=/admin/settings" \
  "authors=/admin/authors" \
  "security=/admin/security"
