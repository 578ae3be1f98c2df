# Shared by scripts that run a throwaway demo publication (screenshots.sh,
# schemathesis.sh). Source it after `cd` to the workspace root, with PORT set.
#
#   pick_binary     sets BIN: $MASTHEAD_BIN, or a build of PROFILE
#                   (release|debug) in CARGO_TARGET_DIR
#   demo_workspace  makes WORK (removed at exit, with the server) and
#                   exports the settings of a loopback publication in it
#   serve_ready     starts `$BIN serve` (log in $WORK/serve.log) and waits
#                   for /readyz

pick_binary() {
  local target=${CARGO_TARGET_DIR:-target} profile=${PROFILE:-release}
  if [ -n "${MASTHEAD_BIN:-}" ]; then
    BIN="$MASTHEAD_BIN"
    echo "== using $BIN (not building)"
  else
    echo "== building masthead ($profile)"
    if [ "$profile" = release ]; then cargo build --release -p masthead; else cargo build -p masthead; fi
    BIN="$target/$profile/masthead"
  fi
}

SERVER_PID=""
demo_cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}

demo_workspace() {
  WORK=$(mktemp -d)
  trap demo_cleanup EXIT
  export MASTHEAD_DATA_DIR="$WORK/data" MASTHEAD_DATABASE_URL="sqlite:$WORK/data/masthead.db"
  export MASTHEAD_LISTEN="127.0.0.1:$PORT" MASTHEAD_BASE_URL="http://127.0.0.1:$PORT"
  export MASTHEAD_MAIL_URL=memory MASTHEAD_LOG_LEVEL=warn
}

serve_ready() {
  "$BIN" serve > "$WORK/serve.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/readyz" > /dev/null 2>&1 && break; sleep 0.2; done
  curl -fsS "http://127.0.0.1:$PORT/readyz" > /dev/null || { echo "masthead did not become ready; see $WORK/serve.log" >&2; cat "$WORK/serve.log" >&2; exit 1; }
}
