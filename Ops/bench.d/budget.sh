# The service plan within a budget of the history's own visits, replayed on the metro fleet (docs/MODELS.md "The
# visit budget"): no price of a visit is set; the lowest one whose 28-day replay keeps to the history's visits is
# found by doubling and bisection (`backtest plan --budget-of-history`). Three machine/settings cases: machines
# that sell units past their date (the default), machines that lock them, and no visit for expiry alone.
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
METRO="$ROOT/.build-bench/metro"
if [ ! -f "$METRO/sales.csv" ]; then
  log "budget: generating the metro fleet (150 devices, 365 days)"
  "$BIN/planogram-live" fixtures --out "$METRO" --devices 150 --metro Berlin > "$BENCH_OUT/metro-fixtures.log"
fi
log "budget: machines that sell past the date"
"$BIN/planogram-lab" backtest plan --fixtures "$METRO" --budget-of-history > "$BENCH_OUT/budget-default.txt"
log "budget: machines that lock expired units"
"$BIN/planogram-lab" backtest plan --fixtures "$METRO" --budget-of-history --locked-expired > "$BENCH_OUT/budget-locked.txt"
log "budget: no visit for expiry alone"
"$BIN/planogram-lab" backtest plan --fixtures "$METRO" --budget-of-history --expiry-visit-units 1000 > "$BENCH_OUT/budget-no-expiry.txt"
# The curve: budgets of 50 % to 150 % of the history's visits (the default machines).
for share in 0.5 0.75 1.25 1.5; do
  log "budget: $share of the history's visits"
  "$BIN/planogram-lab" backtest plan --fixtures "$METRO" --budget-of-history --budget-share "$share" > "$BENCH_OUT/budget-share-$share.txt"
done
cp "$BENCH_OUT/budget-default.txt" "$BENCH_OUT/budget-share-1.txt"
{
  echo "## The plan within the history's visits (metro fleet, 28 days)"
  echo
  for f in default locked no-expiry; do
    echo "- $f: $(grep '^budget:' "$BENCH_OUT/budget-$f.txt") — $(tail -1 "$BENCH_OUT/budget-$f.txt")"
  done
  echo
  echo "| budget (share of the history's visits) | price found | plan's visits | stockout-hours against history | spoilage against history |"
  echo "|---|---|---|---|---|"
  for share in 0.5 0.75 1 1.25 1.5; do
    python3 - "$BENCH_OUT/budget-share-$share.txt" "$share" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
price = re.search(r"keeps to it ([0-9.]+)", text).group(1)
m = re.search(r"replayed .*?: visits ([-+0-9.]+)%, stockout-hours ([-+0-9.]+)%, spoilage ([-+0-9.]+)%", text)
visits = re.search(r"budget: (\d+) visits", text).group(1)
print(f"| {float(sys.argv[2]) * 100:.0f} % ({visits} visits) | {price} | {m.group(1)} % against history | {m.group(2)} % | {m.group(3)} % |")
PY
  done
} > "$BENCH_OUT/budget.md"
