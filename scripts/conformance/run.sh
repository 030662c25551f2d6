#!/usr/bin/env bash
# Conformance run: official Python clients and the recorded wire transcripts against the
# taos-testserver binary. Builds nothing: the binary comes from $TESTSERVER_BIN (default
# target/release/taos-testserver). Ends with one line `N passed, N failed, N skipped`;
# exit status 1 if anything failed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/scripts/conformance"
WIRE="$ROOT/crates/taos-testserver/tests/data/wire"
BIN="${TESTSERVER_BIN:-$ROOT/target/release/taos-testserver}"
VENV="${VENV:-$ROOT/.venv}"

# Transcripts known to fail for now (features of later issues, or engine gaps that make the
# transcript differ although its actions are served): not replayed, counted as skipped so the
# final line stays honest. Remove a name when it replays clean.
EXPECTED_FAILURES=()

# Transcripts that replay clean semantically but keep a known difference in strict mode (named in
# crates/taos-testserver/README.md): left out of the strict pass, counted as skipped.
STRICT_DIFFERENCES=(
  "h3_tmq_poll_before_subscribe.jsonl:TMQ offsets are log versions here too, but a real vnode's WAL holds entries this log does not (offsets differ)"
  "h_tmq.jsonl:TMQ offsets are log versions here too, but a real vnode's WAL holds entries this log does not (offsets differ)"
  "l_tmq_with_meta.jsonl:log versions start after the entries a real vnode writes before the first table (offsets differ by a constant); JSON meta key order"
)

if [ ! -x "$BIN" ]; then
  echo "FAIL setup: no taos-testserver binary at $BIN (cargo build --release -p taos-testserver, or set TESTSERVER_BIN)"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
if ! "$VENV/bin/python" -c "import taosws, taosrest, websockets" >/dev/null 2>&1; then
  VENV="$VENV" "$HERE/setup-venv.sh" >&2 || { echo "FAIL setup: cannot create the Python venv"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi
PY="$VENV/bin/python"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"  # the script changes directory below

LOG="$(mktemp)"
OUT="$(mktemp)"
"$BIN" --port 0 --host 127.0.0.1 >"$LOG" 2>&1 &
SERVER_PID=$!
REPLAY_PID=""
cleanup() {
  kill "$SERVER_PID" $REPLAY_PID 2>/dev/null
  wait "$SERVER_PID" $REPLAY_PID 2>/dev/null
  rm -f "$LOG" "$LOG.replay" "$OUT"
  [ -n "${CRASH_DIR:-}" ] && rm -rf "$CRASH_DIR"
}
trap cleanup EXIT

URL=""
for _ in $(seq 1 100); do
  URL="$(sed -n 's/^taos-testserver listening on //p' "$LOG")"
  [ -n "$URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$URL" ]; then
  echo "FAIL setup: the server did not start:"; cat "$LOG"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
echo "server: $URL ($BIN)"

cd "$HERE"
timeout 300 "$PY" ws_scenario.py "$URL" 2>&1 | tee -a "$OUT"
timeout 300 "$PY" rest_scenario.py "$URL" 2>&1 | tee -a "$OUT"
timeout 300 "$PY" tmq_scenario.py "$URL" 2>&1 | tee -a "$OUT"
timeout 300 "$PY" writes_scenario.py "$URL" 2>&1 | tee -a "$OUT"

TRANSCRIPTS=()
SKIPPED=0
for t in "$WIRE"/transcripts/*.jsonl; do
  name="$(basename "$t")"
  reason=""
  for e in "${EXPECTED_FAILURES[@]}"; do
    [ "${e%%:*}" = "$name" ] && reason="${e#*:}"
  done
  if [ -n "$reason" ]; then
    echo "SKIP replay: $name (expected failure: $reason)"
    SKIPPED=$((SKIPPED + 1))
  else
    TRANSCRIPTS+=("$t")
  fi
done
STRICT_TRANSCRIPTS=()
for t in "${TRANSCRIPTS[@]}"; do
  name="$(basename "$t")"
  reason=""
  for e in "${STRICT_DIFFERENCES[@]}"; do
    [ "${e%%:*}" = "$name" ] && reason="${e#*:}"
  done
  if [ -n "$reason" ]; then
    echo "SKIP replay: $name [strict] (known difference: $reason)"
    SKIPPED=$((SKIPPED + 1))
  else
    STRICT_TRANSCRIPTS+=("$t")
  fi
done
# The transcripts were recorded against 3.3.7.5.alpha; `version` is masked by the replayer but
# `server_version()` values, their lengths and the get_server_info text are not, so the replay
# runs against a second server configured with the recorded server's identity strings.
RECORDED_INFO=$'ver:3.3.7.5.alpha\nbuild:Linux-x64 2026-11-26 15:50:21 +0000\ngitinfo:no git commit id'
"$BIN" --port 0 --host 127.0.0.1 --server-version 3.3.7.5.alpha --server-info "$RECORDED_INFO" >"$LOG.replay" 2>&1 &
REPLAY_PID=$!
REPLAY_URL=""
for _ in $(seq 1 100); do
  REPLAY_URL="$(sed -n 's/^taos-testserver listening on //p' "$LOG.replay")"
  [ -n "$REPLAY_URL" ] && break
  sleep 0.1
done
# replay.py prints `PASS|FAIL <transcript> …` per transcript (plus its own summary, not counted).
timeout 600 "$PY" "$WIRE/replay.py" --server "$REPLAY_URL" --timeout 10 "${TRANSCRIPTS[@]}" 2>&1 \
  | sed -e 's/^PASS /PASS replay: /' -e 's/^FAIL /FAIL replay: /' | tee -a "$OUT"
# Strict mode on top: JSON text byte for byte (key order, escaping), binary frames byte for byte.
timeout 600 "$PY" "$WIRE/replay.py" --mode strict --server "$REPLAY_URL" --timeout 10 "${STRICT_TRANSCRIPTS[@]}" 2>&1 \
  | sed -e 's/^PASS /PASS replay: /' -e 's/^FAIL /FAIL replay: /' | tee -a "$OUT"
# Sequences that killed the real adapter: replayed with --force up to where the recorded server
# died; ours must answer them sensibly and keep serving (replay.py checks it still answers). The
# stmt v1 recording was trimmed to the crashing part and starts after its setup, recreated here;
# its closes of connections the trimmed part never opens are dropped (replay.py cannot close them).
CRASH_DIR="$(mktemp -d)"
"$PY" - "$REPLAY_URL" "$CRASH_DIR" "$WIRE"/transcripts/*_CRASHED_ADAPTER_do_not_replay.jsonl.txt <<'PYEOF' \
  || echo "FAIL setup: crash transcript fixtures" | tee -a "$OUT"
import base64, json, os, sys, urllib.request
for path in sys.argv[3:]:
    opened, keep = set(), []
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        if r.get("type") == "ws_open":
            opened.add(r["conn"])
        if r.get("type") == "ws_close" and r["conn"] not in opened:
            continue
        keep.append(line)
    with open(os.path.join(sys.argv[2], os.path.basename(path)), "w", encoding="utf-8") as f:
        f.writelines(keep)
auth = "Basic " + base64.b64encode(b"root:taosdata").decode()
for sql in ["drop database if exists wire_stmt1", "create database wire_stmt1 vgroups 1 keep 36500d",
            "create stable wire_stmt1.stb (ts timestamp, c_i32 int, c_vc varchar(32)) tags (t_i32 int)",
            "insert into wire_stmt1.t1 using wire_stmt1.stb tags (1) values (1700000000000, 1, 'a')"]:
    req = urllib.request.Request(sys.argv[1] + "/rest/sql", data=sql.encode(), headers={"Authorization": auth})
    code = json.load(urllib.request.urlopen(req, timeout=10))["code"]
    if code != 0:
        sys.exit(f"{sql}: code {code}")
PYEOF
for m in semantic strict; do
  timeout 300 "$PY" "$WIRE/replay.py" --force --mode "$m" --server "$REPLAY_URL" --timeout 10 \
    "$CRASH_DIR"/*_CRASHED_ADAPTER_do_not_replay.jsonl.txt 2>&1 \
    | sed -e 's/^PASS /PASS replay (crash, forced): /' -e 's/^FAIL /FAIL replay (crash, forced): /' | tee -a "$OUT"
done
if ! kill -0 "$REPLAY_PID" 2>/dev/null; then
  echo "FAIL server: the replay server process died during the run" | tee -a "$OUT"
fi

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "FAIL server: the server process died during the run" | tee -a "$OUT"
fi

PASSED=$(grep -c '^PASS ' "$OUT")
FAILED=$(grep -c '^FAIL ' "$OUT")
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
