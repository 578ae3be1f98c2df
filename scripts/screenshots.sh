#!/usr/bin/env bash
# Screenshots of the desk's main screens into docs/screenshots/ as
# desk-NAME-1280.jpg, taken from a fresh demo publication with headless
# Chromium (see screenshots.mjs; Debian's chromium package, no npm).
#
# Before the pictures it does a little of a morning's work, the way staff
# would, so that no screen is empty: a content key and a staff token on
# the command line; through the Admin API a new topic and an article
# scheduled for tomorrow; on the desk an invitation to a new editor,
# complimentary access for a press partner and an editor's note in the
# next edition of the daily newsletter. Every one of these is in the audit
# log the pictures show.
#
#   bash scripts/screenshots.sh        # PROFILE=debug for a quicker build
#
# Environment: PORT (18090), PROFILE (release or debug), CARGO_TARGET_DIR,
# MASTHEAD_BIN (a built binary to use instead of building one), OUT
# (docs/screenshots), SHOT_QUALITY (JPEG quality, 70), SHOT_MAX_HEIGHT
# (pages are cut at this height, 1600).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18090}
OUT=${OUT:-docs/screenshots}
export SHOT_QUALITY=${SHOT_QUALITY:-70} SHOT_MAX_HEIGHT=${SHOT_MAX_HEIGHT:-1600}
command -v chromium > /dev/null || { echo "chromium is needed: apt-get install -y chromium" >&2; exit 1; }
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
pick_binary
demo_workspace
echo "== making a demo publication in $WORK"
"$BIN" demo --no-serve --articles 60 > "$WORK/demo.txt"
EMAIL=$(sed -n 's/.*email: \([^ ]*\) .*/\1/p' "$WORK/demo.txt")
PASSWORD=$(sed -n 's/.*password: \(.*\)$/\1/p' "$WORK/demo.txt")
"$BIN" token create --kind content --name "Mobile app" > /dev/null
TOKEN=$("$BIN" token create --kind admin --name "Wire desk importer" --staff "$EMAIL" \
  --scopes articles:read,articles:write,articles:publish,taxonomy:write,members:read)
serve_ready
BASE="http://127.0.0.1:$PORT"
# Sign in as the owner, as a person would: the form, its CSRF cookie, the post.
JAR="$WORK/cookies"
FORM=$(curl -fsS -c "$JAR" "$BASE/admin/login")
CSRF=$(printf '%s' "$FORM" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -fsS -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "csrf=$CSRF" --data-urlencode "email=$EMAIL" \
  --data-urlencode "password=$PASSWORD" --data-urlencode "next=/admin" "$BASE/admin/login"
STAFF=$(awk '$6 == "mh_staff" { print $7 }' "$JAR")
[ -n "$STAFF" ] || { echo "could not sign in"; exit 1; }

echo "== a morning's work: the Admin API, then the desk"
# What a function of the JSON on stdin gives, e.g. `json 'j => j.id'`.
json() { node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(eval(process.argv[1])(JSON.parse(s))))' "$1"; }
api() { curl -fsS -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" "$@"; }
api -X PUT "$BASE/api/admin/topics/food-security" -o /dev/null \
  -d '{"name": "Food security", "description": "Harvests, prices and who goes hungry."}'
AUTHOR=$(api "$BASE/api/admin/authors" | json 'j => (j.find((a) => /economics/i.test(a.title)) || j[0]).slug')
NEW=$(api "$BASE/api/admin/articles" -d @- <<EOF | json 'j => j.id'
{"headline": "In Niamey, the price of millet decides the mood of the market",
 "standfirst": "A bad harvest upriver, a closed border and a currency under strain: traders count the cost.",
 "dateline": "Niamey", "access": "metered", "section": "economy", "topics": ["food-security"], "authors": ["$AUTHOR"],
 "body_markdown": "Traders at the Grand Marché say a sack of millet costs a third more than in spring.\n\n## Upriver\n\nThe harvest along the river was the smallest in a decade."}
EOF
)
api "$BASE/api/admin/articles/$NEW/publish" -o /dev/null -d "{\"at\": \"$(date -u -d tomorrow +%Y-%m-%dT06:00:00Z)\"}"
MEMBER=$(api "$BASE/api/admin/members?limit=100" | json 'j => j.items.find((m) => m.subscription_status === "active").id')
QUIET=$(api "$BASE/api/admin/members?limit=100" | json 'j => j.items.find((m) => !m.subscription_status).id')
DESK_CSRF=$(curl -fsS -b "mh_staff=$STAFF" "$BASE/admin/staff" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
desk() { curl -fsS -o /dev/null -b "mh_staff=$STAFF" --data-urlencode "csrf=$DESK_CSRF" "$@"; }
desk "$BASE/admin/staff/invite" --data-urlencode "email=amira.haddad@demo.masthead.test" \
  --data-urlencode "name=Amira Haddad" --data-urlencode "role=editor"
desk "$BASE/admin/members/$QUIET/complimentary" --data-urlencode "benefits=full_access" \
  --data-urlencode "ends_on=$(date -u -d '+90 days' +%F)" --data-urlencode "note=Press partner: Sahel Wire"
desk "$BASE/admin/newsletters/1/draft" --data-urlencode "subject=" --data-urlencode \
  "intro=Good morning. Three stories we could not stop reading, and one the desk argued about until midnight."
ID=$(curl -fsS -b "mh_staff=$STAFF" "$BASE/admin?sort=published" | sed -n 's/.*href="\/admin\/articles\/\([0-9]*\)".*/\1/p' | head -1)
ISSUE=$(curl -fsS -b "mh_staff=$STAFF" "$BASE/admin/magazine" | sed -n 's/.*href="\/admin\/magazine\/\([0-9]*\)".*/\1/p' | sort -n | tail -1)

echo "== the pictures"
node --experimental-websocket --no-warnings scripts/screenshots.mjs "$BASE" "mh_staff=$STAFF" "$OUT" \
  "desk-articles-1280.jpg=/admin" \
  "desk-editor-1280.jpg=/admin/articles/$ID" \
  "desk-preview-over-quota-1280.jpg:2800=/admin/articles/$ID/preview?as=anonymous_over_quota" \
  "desk-numbers-1280.jpg:3000=/admin/numbers?days=90" \
  "desk-members-1280.jpg=/admin/members" \
  "desk-member-1280.jpg=/admin/members/$MEMBER" \
  "desk-plans-and-paywall-1280.jpg=/admin/plans" \
  "desk-newsletters-1280.jpg=/admin/newsletters" \
  "desk-newsletter-edition-1280.jpg=/admin/newsletters/1" \
  "desk-magazine-issue-1280.jpg=/admin/magazine/$ISSUE" \
  "desk-authors-and-tags-1280.jpg=/admin/authors" \
  "desk-staff-1280.jpg=/admin/staff" \
  "desk-audit-log-1280.jpg=/admin/audit" \
  "desk-integrations-1280.jpg=/admin/integrations" \
  "desk-settings-1280.jpg=/admin/settings"
if grep -qE 'panicked|ERROR' "$WORK/serve.log"; then
  echo "== the server logged errors:"; grep -E 'panicked|ERROR' "$WORK/serve.log" | head -20; exit 1
fi
