# Placement score route under load: POST /api/planograms/realtime/score at 1,000 requests/s over 16
# keep-alive connections (open loop, latency from the scheduled send), on the release server with the
# demo fleet. Also times the revenue prediction of a 60-slot cabinet in-process (bench-only executable).
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
gcc -O2 -Wall -pthread -o "$BENCH_OUT/httpload" "$ROOT/Ops/bench.d/httpload.c"
DUR=${SCORE_SECONDS:-30}; [ "${QUICK:-0}" = 1 ] && DUR=8
PORT=18093
DB="$BENCH_OUT/score.db"
export PLANOGRAM_SECRET=bench-secret-0123456789
# One load generator speaks for many users here: the per-token rate limits are off (the figures are the
# server's, not the limiter's).
export PLANOGRAM_RATE_SCORE=off PLANOGRAM_RATE_PREDICT=off
"$BIN/planogram-live" serve --port $PORT --db "$DB" --fixtures "$ROOT/Fixtures/demo" --log-level warning > "$BENCH_OUT/score-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
TOKEN=$("$BIN/planogram-live" token --role merchandiser --sub bench --ttl 3600)
printf '{"product_id":"P001","slot_position":"B4","device_id":"VM-001","cabinet_index":0}' > "$BENCH_OUT/score-body.json"
curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' --data @"$BENCH_OUT/score-body.json" \
  "http://127.0.0.1:$PORT/api/planograms/realtime/score" > /dev/null
log "score: warm-up 3 s, then 1,000 req/s for $DUR s"
"$BENCH_OUT/httpload" -p $PORT -m POST -u /api/planograms/realtime/score -b "$BENCH_OUT/score-body.json" \
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -r 500 -c 16 -d 3 -l warmup > /dev/null
"$BENCH_OUT/httpload" -p $PORT -m POST -u /api/planograms/realtime/score -b "$BENCH_OUT/score-body.json" \
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -r 1000 -c 16 -d "$DUR" -l "score 1000 rps" > "$BENCH_OUT/score.jsonl"
printf '{"device_id":"VM-001","cabinet_index":0,"forecast_days":30,"proposed_planogram":{"A1":"P001","A2":"P002"}}' > "$BENCH_OUT/predict-body.json"
"$BENCH_OUT/httpload" -p $PORT -m POST -u /api/planograms/predict/revenue -b "$BENCH_OUT/predict-body.json" \
  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -r 100 -c 4 -d 5 -l "predict 100 rps" >> "$BENCH_OUT/score.jsonl"
kill $SERVER; wait $SERVER 2>/dev/null || true
trap - EXIT
"$BIN/insights-bench" "$DB" >> "$BENCH_OUT/score.jsonl"
python3 - "$BENCH_OUT/score.jsonl" > "$BENCH_OUT/score.md" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("## Placement score and revenue prediction\n")
print("| what | target rate | achieved | ok | errors | p50 ms | p90 ms | p99 ms | max ms |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if "rate_target" in r:
        print(f"| {r['label']} | {r['rate_target']} | {r['rate']:.0f} | {r['ok']} | {r['errors']} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.2f} |")
for r in rows:
    if "prediction_60_slots" in r:
        p = r["prediction_60_slots"]
        print(f"\nRevenue prediction of a 60-slot cabinet in-process ({p['runs']} runs): p50 {p['p50_ms']:.3f} ms, p99 {p['p99_ms']:.3f} ms, "
              f"max {p['max_ms']:.3f} ms (target < 20 ms).")
        print(f"Fitting the demand model on the demo fleet: {r['fit_seconds']:.2f} s (history load {r['load_seconds']:.2f} s).")
PY
cat "$BENCH_OUT/score.md" >&2
