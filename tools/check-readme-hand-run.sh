#!/usr/bin/env bash
# Runs the README's "Running the pieces by hand" sequence exactly as written (the shell block
# between the hand-run markers), with the binaries of one build on PATH and a throw-away HOME, and
# fails unless its last command (bob receiving alice's message) succeeds. Every process it started
# is stopped on exit. ctest runs it as readme.hand_run (alone: it uses the README's fixed ports).
#
#   bash tools/check-readme-hand-run.sh [BIN_DIR]     default: build/ci/bin
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-$ROOT/build/ci/bin}"
[ -x "$BIN/nym-client" ] || { echo "check-readme-hand-run: no binaries in $BIN (build first)" >&2; exit 1; }
command -v node >/dev/null || { echo "check-readme-hand-run: node is needed" >&2; exit 1; }

WORK="$(mktemp -d)"
SCRIPT="$WORK/hand-run.sh"
awk '/<!-- hand-run:begin -->/{on=1; next} /<!-- hand-run:end -->/{on=0} on' "$ROOT/README.md" |
  sed -e '/^```/d' >"$SCRIPT"
[ -s "$SCRIPT" ] || { echo "check-readme-hand-run: no hand-run block in README.md" >&2; exit 1; }

GROUP=""
cleanup() {
  # The sequence runs in a session of its own: its daemons (started with `&`) share its process group.
  if [ -n "$GROUP" ]; then
    kill -TERM -- "-$GROUP" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$GROUP" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== running the README's hand-run sequence ($(grep -c . "$SCRIPT") lines) with $BIN"
cd "$ROOT"
export HOME="$WORK/home"
mkdir -p "$HOME"
export PATH="$BIN:$PATH"
# The block's own `export PATH=...` points at build/release/bin; keep ours first.
sed -i "s|^export PATH=.*|export PATH=\"$BIN:\$PATH\"|" "$SCRIPT"
setsid bash -e "$SCRIPT" >"$WORK/out.txt" 2>"$WORK/err.txt" &
GROUP=$!
# The last command ends the sequence; the daemons it started keep running until cleanup.
status=0
for _ in $(seq 1 180); do
  if ! kill -0 "$GROUP" 2>/dev/null; then break; fi
  sleep 1
done
if kill -0 "$GROUP" 2>/dev/null; then
  cat "$WORK/out.txt"
  echo "check-readme-hand-run: the sequence did not finish within 180 s; its stderr:" >&2
  tail -40 "$WORK/err.txt" >&2
  exit 1
fi
wait "$GROUP" || status=$?
cat "$WORK/out.txt"
if [ "$status" -ne 0 ]; then
  echo "check-readme-hand-run: the sequence failed (exit $status); its stderr:" >&2
  tail -40 "$WORK/err.txt" >&2
  exit 1
fi
grep -q "bob received:" "$WORK/out.txt" || { echo "check-readme-hand-run: bob received nothing" >&2; exit 1; }
echo "== the README's hand-run sequence works"
