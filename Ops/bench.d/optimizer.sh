# The layout optimizer: a 60-slot cabinet (6 × 10, one low row) with 200 candidate products,
# five seeds, each solved by CBC with a 30 s limit from the greedy start (`planogram-lab optimize-bench`):
# the proven gap, the time, and what the MIP gains over the greedy layout.
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
ensure_venv
: > "$BENCH_OUT/optimizer.jsonl"
for seed in 1 2 3 4 5; do
  "$BIN/planogram-lab" optimize-bench --rows 6 --columns 10 --products 200 --seconds 30 --seed "$seed" >> "$BENCH_OUT/optimizer.jsonl"
  log "optimizer: seed $seed done"
done
"$PY" - "$BENCH_OUT/optimizer.jsonl" > "$BENCH_OUT/optimizer.md" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("## Layout optimizer: 60 slots, 200 candidate products (CBC, 30 s limit)")
print()
print("| seed | objective | bound | gap % | proven optimal | seconds | greedy | MIP over greedy |")
print("|---|---|---|---|---|---|---|---|")
for i, r in enumerate(rows, 1):
    print(f"| {i} | {r['objective']:.3f} | {r['bound']:.3f} | {r['gap_percentage']:.2f} | {r['proven_optimal']} | {r['seconds']:.2f} | {r['greedy_objective']:.3f} | +{(r['objective'] / r['greedy_objective'] - 1) * 100:.1f} % |")
print()
print(f"- **largest gap {max(r['gap_percentage'] for r in rows):.2f} %, slowest {max(r['seconds'] for r in rows):.2f} s** (target: gap ≤ 1 % in ≤ 30 s)")
PY
cat "$BENCH_OUT/optimizer.md" >&2

# The demo fleet's cabinets, each optimized against its current layout (10 s limit): the predicted lift per
# cabinet (by the first forecaster, and by the optimizer's own model where extra facings share demand).
DEMO_DB="$ROOT/.build-bench/optimizer-demo/fleet.db"
if [ ! -f "$DEMO_DB" ]; then
  mkdir -p "$(dirname "$DEMO_DB")"
  "$BIN/planogram-live" import --db "$DEMO_DB" "$ROOT/Fixtures/demo" > "$BENCH_OUT/optimizer-import.log"
fi
log "optimizer: every cabinet of the demo fleet"
"$BIN/planogram-lab" optimize-fleet --db "$DEMO_DB" --time-limit 10 > "$BENCH_OUT/optimizer-fleet.txt" 2> "$BENCH_OUT/optimizer-fleet.log"
{
  echo
  echo "### Predicted lift over the demo fleet's current layouts"
  echo
  sed 's/^/- /' "$BENCH_OUT/optimizer-fleet.txt"
} >> "$BENCH_OUT/optimizer.md"
tail -2 "$BENCH_OUT/optimizer.md" >&2
