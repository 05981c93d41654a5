# 10,000 idle SSE connections held by the engine: resident memory per connection. The harness opens
# the subscribers, then publishes one tiny event a second so every stream is known to be alive;
# the server's VmRSS is sampled before and while they are held.
set -euo pipefail
source "$ROOT/Ops/bench.d/ssebench.sh"
N=${IDLE_CONNECTIONS:-10000}
HOLD=${IDLE_HOLD_SECONDS:-15}
[ "${QUICK:-0}" = 1 ] && HOLD=6
"$BIN/sse-fanout-server" 18082 > "$BENCH_OUT/idle-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
wait_port 18082
sleep 0.5
rss() { awk '/VmRSS/ {print $2}' /proc/$SERVER/status; }
BASE=$(rss)
log "idle: baseline RSS ${BASE} KiB; opening $N subscribers and holding them ${HOLD} s"
"$SSEBENCH_DIR/ssebench" --sub-url http://127.0.0.1:18082/sub/idle --pub-url 'http://127.0.0.1:18082/pub?id=idle' \
  --pub-body 'ts={ts}' -s "$N" -r 1 -d "$HOLD" --conns-per-sec 2000 --json --label "idle S=$N" \
  > "$BENCH_OUT/idle.jsonl" 2> "$BENCH_OUT/idle-harness.log" &
HARNESS=$!
PEAK=0
for _ in $(seq 1 $(( (HOLD + 15) * 4 ))); do
  kill -0 $HARNESS 2>/dev/null || break
  r=$(rss); [ "$r" -gt "$PEAK" ] && PEAK=$r
  sleep 0.25
done
wait $HARNESS || true
kill $SERVER; wait $SERVER 2>/dev/null || true
trap - EXIT
python3 - "$BENCH_OUT/idle.jsonl" "$BASE" "$PEAK" "$N" > "$BENCH_OUT/idle.md" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
base, peak, n = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
held = r["subs_connected"]
per = (peak - base) / max(held, 1)
print("## Idle SSE connections\n")
print(f"{held}/{n} subscribers held; server RSS {base} KiB before, {peak} KiB peak while held: "
      f"**{per:.1f} KiB per connection** (target < 30 KiB). Lost events: {r['lost']}, disconnected: {r['subs_disconnected']}.")
PY
cat "$BENCH_OUT/idle.md" >&2
