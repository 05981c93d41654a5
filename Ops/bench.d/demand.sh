# Demand backtest (planogram-live backtest --demand): the demo fleet and a second generated fleet, rolling
# origins four weeks apart; WAPE of units per slot over the real intervals between visits against the
# vends/day × days rule, and the calibration of sell-out probabilities by decile.
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
source "$ROOT/Ops/bench.d/second-fleet.sh"
log "demand: demo fleet"
"$BIN/planogram-live" backtest --demand --fixtures "$ROOT/Fixtures/demo" > "$BENCH_OUT/demand-demo.txt"
log "demand: second fleet"
"$BIN/planogram-live" backtest --demand --fixtures "$SECOND" > "$BENCH_OUT/demand-second.txt"
{
  echo "## Demand backtest"
  echo
  echo "- demo fleet (seed 42, 12 devices, 365 days): $(tail -1 "$BENCH_OUT/demand-demo.txt")"
  echo "- second fleet (seed 2027, 20 devices, demand ×1.5): $(tail -1 "$BENCH_OUT/demand-second.txt")"
  echo
  echo "Calibration, demo fleet:"
  sed -n '/calibration/,/origins/p' "$BENCH_OUT/demand-demo.txt" | grep -v '^origins'
} > "$BENCH_OUT/demand.md"
cat "$BENCH_OUT/demand.md" >&2
