# Scale-out (docs/OPERATIONS.md): the same executable as one node and as three nodes on PostgreSQL and Redis,
# both behind nginx (Ops/nginx-cluster.conf), on a generated fleet (760 devices, 7 days):
#   (a) durable op acknowledgement through nginx, 500 ops/s on one session (httpload, open loop)
#   (b) op → `op` event at 1,000 subscribers of one session through nginx (ssebench, 100 ops/s)
#   (c) failover with three nodes: the holder of a watched, edited session killed with SIGKILL, five
#       times: kill → first event on the new node, kill → first acknowledged op, every op seen once
#   (d) the first node's import of the fleet into PostgreSQL (rows/s, COPY)
# All of it on this 2-core machine: three nodes share two cores with PostgreSQL, Redis, nginx and the
# load generators, so (a) and (b) measure what the extra hops cost, not what more machines would add.
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
source "$ROOT/Ops/lib/services.sh"
source "$ROOT/Ops/bench.d/ssebench.sh"
ensure_cluster_deps
DUR=${CLUSTER_SECONDS:-15}; [ "${QUICK:-0}" = 1 ] && DUR=5
FLEET="$ROOT/.build-bench/session-fleet"
if [ ! -f "$FLEET/sales.csv" ]; then
  log "cluster: generating a fleet of 760 devices (once, cached in $FLEET)"
  "$BIN/planogram-live" fixtures --out "$FLEET" --devices 760 --days 7 --seed 5 > "$BENCH_OUT/cluster-fixtures.log"
fi
gcc -O2 -Wall -pthread -o "$BENCH_OUT/httpload" "$ROOT/Ops/bench.d/httpload.c"
export PLANOGRAM_SECRET=bench-secret-0123456789
export PLANOGRAM_RATE_OPS=off PLANOGRAM_RATE_DRAGS=off PLANOGRAM_RATE_EXPLAIN=off
ED=$("$BIN/planogram-live" token --role merchandiser --sub bench-editor --ttl 7200)
printf '{"client_op_id":"ack-{n}","base_version":0,"op":{"type":"set_capacity","slot":"A1","capacity":7}}' > "$BENCH_OUT/cluster-op-body.json"

run_shape() { # NODES LABEL
  local nodes=$1 label=$2
  CLUSTER_DIR=$(mktemp -d /tmp/planogram-bench-cluster.XXXXXX)
  source "$ROOT/Ops/lib/cluster.sh"
  CLUSTER_BIN="$BIN/planogram-live"
  CLUSTER_LOG_LEVEL=info   # the import's figures are logged at info
  trap 'stop_cluster' EXIT
  local t0; t0=$(date +%s.%N)
  start_cluster "$nodes" "$FLEET"
  grep -h '"fixtures imported"' "$CLUSTER_DIR/node0.log" | tail -1 > "$BENCH_OUT/cluster-$label-import.json" || true
  local sid
  for d in 1 2; do
    sid=$(curl -sf -X POST "http://127.0.0.1:$CLUSTER_PORT/api/sessions?device_id=VM-00$d&cabinet_index=0" -H "Authorization: Bearer $ED" \
      -H 'Content-Type: application/json' -d "{\"device_id\":\"VM-00$d\",\"cabinet_index\":0}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["session_id"])')
    echo "$sid" >> "$CLUSTER_DIR/sids.txt"
  done
  local s0 s1; s0=$(sed -n 1p "$CLUSTER_DIR/sids.txt"); s1=$(sed -n 2p "$CLUSTER_DIR/sids.txt")
  log "cluster ($label): durable acks, 500 ops/s on $s1 through nginx for $DUR s"
  "$BENCH_OUT/httpload" -p "$CLUSTER_PORT" -m POST -u "/api/sessions/$s1/ops" -b "$BENCH_OUT/cluster-op-body.json" -H "Authorization: Bearer $ED" \
    -H "Content-Type: application/json" -r 500 -c 16 -d "$DUR" -l "op ack 500/s $label" > "$BENCH_OUT/cluster-$label-ack.jsonl"
  log "cluster ($label): op → op event at 1,000 subscribers of $s0 through nginx for $DUR s"
  "$SSEBENCH_DIR/ssebench" --sub-url "http://127.0.0.1:$CLUSTER_PORT/api/sessions/$s0/events" --pub-url "http://127.0.0.1:$CLUSTER_PORT/api/sessions/$s0/ops" \
    --pub-body '{"client_op_id":"ts={ts} n={n}","base_version":0,"op":{"type":"set_capacity","slot":"A1","capacity":1{n}}}' \
    --pub-header 'Content-Type: application/json' --header "Authorization: Bearer $ED" \
    -s 1000 -r 100 -d "$DUR" --threads 2 --conns-per-sec 2000 --json --label "op fan-out $label" > "$BENCH_OUT/cluster-$label-fanout.jsonl" 2> "$BENCH_OUT/cluster-$label-fanout.log" || true
  if [ "$nodes" = 3 ]; then
    : > "$BENCH_OUT/cluster-failover.jsonl"
    for rep in 1 2 3 4 5; do
      log "cluster: failover $rep/5"
      local victim
      victim=$(python3 "$ROOT/Ops/bench.d/failover.py" "$CLUSTER_PORT" "$ED" "$CLUSTER_DIR" "VM-0$((rep + 10))" 2>&1 >> "$BENCH_OUT/cluster-failover.jsonl" | tail -1)
      start_node "$victim"   # back for the next round
      sleep 11               # nginx retries a failed node after fail_timeout (10 s)
    done
  fi
  stop_cluster
  trap - EXIT
}

run_shape 1 one
run_shape 3 three

python3 - "$BENCH_OUT" > "$BENCH_OUT/cluster.md" <<'PY'
import json, os, statistics, sys
out = sys.argv[1]
def last(name):
    try: return json.loads(open(os.path.join(out, name)).read().strip().splitlines()[-1])
    except Exception as e: return {"error": str(e)}
print("## Scale-out: one node vs three behind nginx (PostgreSQL, Redis)\n")
print("| | op ack p50 | op ack p99 | achieved ops/s | fan-out p50 | fan-out p99 | subscribers | lost |")
print("|---|---|---|---|---|---|---|---|")
for label in ("one", "three"):
    a, f = last(f"cluster-{label}-ack.jsonl"), last(f"cluster-{label}-fanout.jsonl")
    L = f.get("lat_ms", {})
    print(f"| {label} node{'s' if label == 'three' else ''} | {a.get('p50_ms', 0):.2f} ms | {a.get('p99_ms', 0):.2f} ms | {a.get('rate', 0):.0f} "
          f"| {L.get('p50', 0):.2f} ms | {L.get('p99', 0):.2f} ms | {f.get('subs_connected')}/{f.get('subs')} | {f.get('lost')} |")
rows = [json.loads(l) for l in open(os.path.join(out, "cluster-failover.jsonl")) if l.strip().startswith("{")]
ev = [r["to_first_event_ms"] for r in rows if r.get("to_first_event_ms") is not None]
ack = [r["to_first_ack_ms"] for r in rows if r.get("to_first_ack_ms") is not None]
if ev:
    print(f"\nFailover (three nodes, {len(rows)} kills): kill → first event on the new node median {statistics.median(ev):.0f} ms, max {max(ev):.0f} ms; "
          f"kill → first acknowledged op median {statistics.median(ack):.0f} ms, max {max(ack):.0f} ms; every op seen once: "
          f"{sum(1 for r in rows if r['watcher_complete'])}/{len(rows)}.")
for label in ("one", "three"):
    try:
        imp = json.loads(open(os.path.join(out, f"cluster-{label}-import.json")).read())
        rows_ = int(imp.get("rows", 0)); secs = float(imp.get("seconds", 0))
        print(f"\nImport into PostgreSQL ({label}): {rows_:,} rows in {secs:.1f} s = {rows_ / secs:,.0f} rows/s.")
    except Exception as e:
        pass
PY
cat "$BENCH_OUT/cluster.md" >&2
