# Backtest of the revenue model (planogram-live backtest): the demo fleet, and a second fleet made
# with another seed and different generator parameters (eye level lower, weaker row and column
# effects, more demand, more baskets, more devices).
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
source "$ROOT/Ops/bench.d/second-fleet.sh"
log "backtest: demo fleet"
"$BIN/planogram-live" backtest --fixtures "$ROOT/Fixtures/demo" > "$BENCH_OUT/backtest-demo.txt"
log "backtest: second fleet"
"$BIN/planogram-live" backtest --fixtures "$SECOND" > "$BENCH_OUT/backtest-second.txt"
{
  echo "## Revenue model backtest"
  echo
  echo "- demo fleet (seed 42, 12 devices, 365 days): $(tail -1 "$BENCH_OUT/backtest-demo.txt")"
  echo "- second fleet (seed 2027, 20 devices, eye level 0.5, row strength 1.0, column strength 0.3, demand ×1.5, baskets 0.2): $(tail -1 "$BENCH_OUT/backtest-second.txt")"
} > "$BENCH_OUT/backtest.md"
cat "$BENCH_OUT/backtest.md" >&2
