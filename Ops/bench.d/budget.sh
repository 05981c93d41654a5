# The service plan within a budget of the history's own visits, replayed on the metro fleet (docs/MODELS.md "The
# visit budget"): no price of a visit is set; the lowest one whose 28-day replay keeps to the history's visits is
# found by doubling and bisection (`backtest --plan --budget-of-history`). Three machine/settings cases: machines
# that sell units past their date (the default), machines that lock them, and no visit for expiry alone.
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
METRO="$ROOT/.build-bench/metro"
if [ ! -f "$METRO/sales.csv" ]; then
  log "budget: generating the metro fleet (150 devices, 365 days)"
  "$BIN/planogram-live" fixtures --out "$METRO" --devices 150 --metro Berlin > "$BENCH_OUT/metro-fixtures.log"
fi
log "budget: machines that sell past the date"
"$BIN/planogram-lab" backtest --plan --fixtures "$METRO" --budget-of-history > "$BENCH_OUT/budget-default.txt"
log "budget: machines that lock expired units"
"$BIN/planogram-lab" backtest --plan --fixtures "$METRO" --budget-of-history --locked-expired > "$BENCH_OUT/budget-locked.txt"
log "budget: no visit for expiry alone"
"$BIN/planogram-lab" backtest --plan --fixtures "$METRO" --budget-of-history --expiry-visit-units 1000 > "$BENCH_OUT/budget-no-expiry.txt"
{
  echo "## The plan within the history's visits (metro fleet, 28 days)"
  echo
  for f in default locked no-expiry; do
    echo "- $f: $(grep '^budget:' "$BENCH_OUT/budget-$f.txt") — $(tail -1 "$BENCH_OUT/budget-$f.txt")"
  done
} > "$BENCH_OUT/budget.md"
