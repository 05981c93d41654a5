# SSE fan-out: one publisher, many subscribers. The same harness drives nchan (Debian's nginx +
# libnginx-mod-nchan, with the harness's own config) and our engine's bench server in this one run.
set -euo pipefail
source "$ROOT/Ops/bench.d/ssebench.sh"
ensure_apt nginx libnginx-mod-nchan curl
DUR=${DUR:-20}; DUR_D=${DUR_D:-10}
[ "${QUICK:-0}" = 1 ] && { DUR=5; DUR_D=4; }
RATES=${RATES:-"100 200 300 400 500 600 800 1000"}
export DUR DUR_D RATES OUT="$BENCH_OUT/fanout"
mkdir -p "$OUT"

log "fan-out: nchan"
"$SSEBENCH_DIR/run-bench.sh" nchan all > "$OUT/nchan.md" 2> "$OUT/nchan.log" || true
tail -1 "$OUT/nchan.log" >&2

log "fan-out: planogram-live engine (sse-fanout-server)"
"$BIN/sse-fanout-server" 18081 > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
wait_port 18081
SUB_URL='http://127.0.0.1:18081/sub/{run}' PUB_URL='http://127.0.0.1:18081/pub?id={run}' \
PUB_BODY='ts={ts} n={n}' PUB_CTYPE=text/plain SERVER_PIDS=$SERVER \
  "$SSEBENCH_DIR/run-bench.sh" custom all > "$OUT/engine.md" 2> "$OUT/engine.log" || true
tail -1 "$OUT/engine.log" >&2
kill $SERVER; wait $SERVER 2>/dev/null || true
trap - EXIT

python3 "$ROOT/Ops/bench.d/fanout_summary.py" "$OUT" > "$BENCH_OUT/fanout.md"
