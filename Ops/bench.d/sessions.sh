# Live sessions under load, on a generated fleet with ~1,000 cabinets (760 devices, 7 days of sales):
#   (a) op → `op` event at 1,000 subscribers of one session (ssebench, 100 ops/s)
#   (b) durable op acknowledgement at 2,000 ops/s (httpload, open loop)
#   (c) drags: 100 sessions × 3 editors × 30 drags/s (dragbench)
#   (d) restart with 1,000 live sessions after kill -9: time until serving again, nothing lost
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
source "$ROOT/Ops/bench.d/ssebench.sh"
DUR=${SESSION_SECONDS:-20}; [ "${QUICK:-0}" = 1 ] && DUR=6
FLEET="$ROOT/.build-bench/session-fleet"
if [ ! -f "$FLEET/fleet.db" ]; then
  log "sessions: generating and importing a fleet of 760 devices (once, cached in $FLEET)"
  "$BIN/planogram-live" fixtures --out "$FLEET" --devices 760 --days 7 --seed 5 > "$BENCH_OUT/sessions-fixtures.log"
  "$BIN/planogram-live" import --db "$FLEET/fleet.db" "$FLEET" > "$BENCH_OUT/sessions-import.log"
fi
gcc -O2 -Wall -pthread -o "$BENCH_OUT/httpload" "$ROOT/Ops/bench.d/httpload.c"
gcc -O2 -Wall -pthread -o "$BENCH_OUT/dragbench" "$ROOT/Ops/bench.d/dragbench.c"
DB="$BENCH_OUT/sessions.db"
cp "$FLEET/fleet.db" "$DB"
export PLANOGRAM_SECRET=bench-secret-0123456789
# One load generator speaks for many users here: the per-token rate limits are off (the figures are the
# server's, not the limiter's).
export PLANOGRAM_RATE_OPS=off PLANOGRAM_RATE_DRAGS=off PLANOGRAM_RATE_EXPLAIN=off
PORT=18095
start_server() {
  "$BIN/planogram-live" serve --port $PORT --db "$DB" --fixtures "$FLEET" --log-level notice >> "$BENCH_OUT/sessions-server.log" 2>&1 &
  SERVER=$!
}
wait_ready() { for _ in $(seq 1 1200); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return 0; sleep 0.005; done; return 1; }
start_server
trap 'kill -9 $SERVER 2>/dev/null || true' EXIT
wait_ready
ED=$("$BIN/planogram-live" token --role merchandiser --sub bench-editor --ttl 7200)
WATCH=$("$BIN/planogram-live" token --role manager --sub bench-watcher --ttl 7200)
: > "$BENCH_OUT/editor-tokens.txt"
for e in 0 1 2; do "$BIN/planogram-live" token --role merchandiser --sub "drag-editor-$e" --ttl 7200 >> "$BENCH_OUT/editor-tokens.txt"; done

log "sessions: opening a session on every cabinet"
python3 - "$PORT" "$ED" "$DB" "$BENCH_OUT/sids.txt" <<'PY'
import http.client, json, sqlite3, sys
port, token, db, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
cabs = sqlite3.connect(db).execute("SELECT device_id, cabinet_index FROM cabinets ORDER BY device_id, cabinet_index").fetchall()
c = http.client.HTTPConnection("127.0.0.1", port)
sids = []
for i, (d, k) in enumerate(cabs[:1000]):
    c.request("POST", "/api/sessions", json.dumps({"device_id": d, "cabinet_index": k}), {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse(); body = json.loads(r.read())
    sids.append(body["session_id"])
    if (i + 1) % 250 == 0: print(f"  {i + 1} sessions", file=sys.stderr)
open(out, "w").write("\n".join(sids) + "\n")
PY
SID0=$(sed -n 1p "$BENCH_OUT/sids.txt"); SID1=$(sed -n 2p "$BENCH_OUT/sids.txt")

log "sessions (a): op → op event, 1,000 subscribers of $SID0, 100 ops/s for $DUR s"
"$SSEBENCH_DIR/ssebench" --sub-url "http://127.0.0.1:$PORT/api/sessions/$SID0/events" --pub-url "http://127.0.0.1:$PORT/api/sessions/$SID0/ops" \
  --pub-body '{"client_op_id":"ts={ts} n={n}","base_version":0,"op":{"type":"set_capacity","slot":"A1","capacity":1{n}}}' \
  --pub-header 'Content-Type: application/json' --header "Authorization: Bearer $ED" \
  -s 1000 -r 100 -d "$DUR" --threads 2 --conns-per-sec 2000 --cpu-pids $SERVER --json --label "op fan-out S=1000 r=100" > "$BENCH_OUT/sessions-fanout.jsonl" 2> "$BENCH_OUT/sessions-fanout.log" || true

log "sessions (b): durable acknowledgement, 2,000 ops/s on $SID1 for $DUR s"
printf '{"client_op_id":"ack-{n}","base_version":0,"op":{"type":"set_capacity","slot":"A1","capacity":7}}' > "$BENCH_OUT/op-body.json"
"$BENCH_OUT/httpload" -p $PORT -m POST -u "/api/sessions/$SID1/ops" -b "$BENCH_OUT/op-body.json" -H "Authorization: Bearer $ED" \
  -H "Content-Type: application/json" -r 2000 -c 32 -d "$DUR" -l "op ack 2000/s" > "$BENCH_OUT/sessions-ack.jsonl"

log "sessions (c): drags, 100 sessions × 3 editors × 30/s for $DUR s"
head -100 "$BENCH_OUT/sids.txt" > "$BENCH_OUT/sids-100.txt"
"$BENCH_OUT/dragbench" -p $PORT -s "$BENCH_OUT/sids-100.txt" -t "$BENCH_OUT/editor-tokens.txt" -w "$WATCH" -e 3 -r 30 -d "$DUR" > "$BENCH_OUT/sessions-drag.jsonl"

log "sessions (d): one op in each of the 1,000 sessions, kill -9, restart"
python3 - "$PORT" "$ED" "$BENCH_OUT/sids.txt" "$BENCH_OUT/expected-seq.json" <<'PY'
import http.client, json, sys
port, token, sids = int(sys.argv[1]), sys.argv[2], open(sys.argv[3]).read().split()
c = http.client.HTTPConnection("127.0.0.1", port)
expected = {}
for i, sid in enumerate(sids):
    c.request("GET", f"/api/sessions/{sid}", headers={"Authorization": "Bearer " + token})
    snap = json.loads(c.getresponse().read())
    slot = snap["planogram"]["slots"][0]["slot"]
    c.request("POST", f"/api/sessions/{sid}/ops", json.dumps({"client_op_id": f"restart-{i}", "base_version": snap["version"],
              "op": {"type": "set_capacity", "slot": slot, "capacity": 3}}), {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = json.loads(c.getresponse().read())
    expected[sid] = r["seq"]
json.dump(expected, open(sys.argv[4], "w"))
PY
kill -9 $SERVER; wait $SERVER 2>/dev/null || true
T0=$(date +%s.%N)
start_server
wait_ready
T1=$(date +%s.%N)
python3 - "$PORT" "$WATCH" "$BENCH_OUT/expected-seq.json" "$T0" "$T1" > "$BENCH_OUT/sessions-restart.json" <<'PY'
import http.client, json, sys
port, token, expected = int(sys.argv[1]), sys.argv[2], json.load(open(sys.argv[3]))
c = http.client.HTTPConnection("127.0.0.1", port)
c.request("GET", "/api/sessions", headers={"Authorization": "Bearer " + token})
live = {s["session_id"]: s["seq"] for s in json.loads(c.getresponse().read())["sessions"]}
missing = [s for s, q in expected.items() if live.get(s, -1) < q]
print(json.dumps({"sessions": len(live), "expected": len(expected), "lost": len(missing), "ready_seconds": float(sys.argv[5]) - float(sys.argv[4])}))
PY
grep '"sessions recovered"' "$BENCH_OUT/sessions-server.log" | tail -1 > "$BENCH_OUT/sessions-recovery-log.json" || true
kill $SERVER; wait $SERVER 2>/dev/null || true
trap - EXIT

python3 - "$BENCH_OUT" > "$BENCH_OUT/sessions.md" <<'PY'
import json, sys, os
out = sys.argv[1]
def last(name):
    try: return json.loads(open(os.path.join(out, name)).read().strip().splitlines()[-1])
    except Exception as e: return {"error": str(e)}
f, a, d, r = last("sessions-fanout.jsonl"), last("sessions-ack.jsonl"), last("sessions-drag.jsonl"), last("sessions-restart.json")
print("## Live sessions\n")
if "lat_ms" in f:
    L = f["lat_ms"]
    print(f"- (a) op → `op` event, {f['subs_connected']}/{f['subs']} subscribers of one session, {f['rate_target']:.0f}→{f['pub_rate']:.0f} ops/s: "
          f"p50 {L['p50']:.2f} ms, **p99 {L['p99']:.2f} ms**, max {L['max']:.2f} ms, lost {f['lost']}, deliveries/s {f['deliveries_per_s']:.0f} (target p99 < 50 ms).")
else: print(f"- (a) fan-out: {f}")
print(f"- (b) durable op acknowledgement at {a.get('rate_target')} ops/s → {a.get('rate', 0):.0f} achieved, {a.get('ok')} ok, {a.get('errors')} errors: "
      f"p50 {a.get('p50_ms', 0):.2f} ms, **p99 {a.get('p99_ms', 0):.2f} ms**, max {a.get('max_ms', 0):.2f} ms (target p99 < 10 ms; group commit, op log synchronous={os.environ.get('PLANOGRAM_OPLOG_SYNC', 'normal')}).")
print(f"- (c) drags, {d.get('sessions')} sessions × {d.get('editors_per_session')} editors × {d.get('rate_per_editor')}/s: {d.get('inputs')} inputs "
      f"({d.get('input_rate')}/s) gave {d.get('drag_events')} `drag` events; drag → event p50 {d.get('p50_ms')} ms, **p99 {d.get('p99_ms')} ms, "
      f"max {d.get('max_ms')} ms**; newest position delivered for {d.get('newest_delivered')}/{d.get('editors')} editors (target p99 < 100 ms, max < 500 ms).")
print(f"- (d) restart after kill -9 with {r.get('expected')} live sessions: serving again (readyz 200) after **{r.get('ready_seconds', 0):.2f} s**, "
      f"{r.get('sessions')} sessions back, {r.get('lost')} with a lost op (target < 2 s, nothing lost).")
PY
cat "$BENCH_OUT/sessions.md" >&2
