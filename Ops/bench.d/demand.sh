# Demand backtest (planogram-lab backtest demand): the demo fleet and a second generated fleet, rolling
# origins four weeks apart; WAPE of units per slot over the real intervals between visits against the
# vends/day × days rule, and the calibration of sell-out probabilities by decile; beside the model, the
# forecast that knew the generator's true rates (--generator-truth: the noise no forecast removes).
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
source "$ROOT/Ops/bench.d/second-fleet.sh"
log "demand: demo fleet"
"$BIN/planogram-lab" backtest demand --generator-truth --fixtures "$ROOT/Fixtures/demo" > "$BENCH_OUT/demand-demo.txt"
log "demand: second fleet"
"$BIN/planogram-lab" backtest demand --generator-truth --fixtures "$SECOND" > "$BENCH_OUT/demand-second.txt"
# The metro fleet (Fixtures/metro: 150 devices around one city, daily to weekly service), generated once.
METRO="$ROOT/.build-bench/metro"
if [ ! -f "$METRO/sales.csv" ]; then
  log "demand: generating the metro fleet (150 devices, 365 days)"
  "$BIN/planogram-live" fixtures --out "$METRO" --devices 150 --metro Berlin > "$BENCH_OUT/metro-fixtures.log"
fi
log "demand: metro fleet"
"$BIN/planogram-lab" backtest demand --generator-truth --fixtures "$METRO" > "$BENCH_OUT/demand-metro.txt"
# The metro recipe on Tokyo's clock (local days and hours), read on its own clock and on UTC's: the first
# must give the metro fleet's figures, the second shows what reading a fleet on the wrong clock costs.
TOKYO="$ROOT/.build-bench/metro-tokyo"
if [ ! -f "$TOKYO/sales.csv" ]; then
  log "demand: generating the metro fleet on Tokyo's clock"
  "$BIN/planogram-live" fixtures --out "$TOKYO" --devices 150 --metro Berlin --time-zone Asia/Tokyo > "$BENCH_OUT/metro-tokyo-fixtures.log"
fi
for clock in Asia/Tokyo UTC; do
  log "demand: the metro fleet on Tokyo's clock, read on $clock"
  "$BIN/planogram-lab" backtest demand --fixtures "$TOKYO" --time-zone "$clock" > "$BENCH_OUT/demand-metro-tokyo-${clock//\//_}.txt"
done
{
  echo "## Demand backtest"
  echo
  echo "- demo fleet (seed 42, 12 devices, 365 days): $(tail -4 "$BENCH_OUT/demand-demo.txt" | tr '\n' ' ')"
  echo "- second fleet (seed 2027, 20 devices, demand ×1.5): $(tail -4 "$BENCH_OUT/demand-second.txt" | tr '\n' ' ')"
  echo "- metro fleet (150 devices, Berlin, daily to weekly service): $(tail -4 "$BENCH_OUT/demand-metro.txt" | tr '\n' ' ')"
  echo "- metro recipe on Tokyo's clock, read on it: $(tail -1 "$BENCH_OUT/demand-metro-tokyo-Asia_Tokyo.txt")"
  echo "- the same, read on UTC's clock: $(tail -1 "$BENCH_OUT/demand-metro-tokyo-UTC.txt")"
  echo
  echo "Calibration, demo fleet:"
  sed -n '/calibration/,/origins/p' "$BENCH_OUT/demand-demo.txt" | grep -v '^origins'
} > "$BENCH_OUT/demand.md"
cat "$BENCH_OUT/demand.md" >&2

# The service plan replayed over the last four weeks against the visits that happened (same simulated demand).
# The default visit cost, the cost at which each fleet's plan makes about the history's visits, the same on
# machines that lock units past their date, and with no visit for expiry alone (docs/BENCHMARKS.md §8, eighth
# look; perishables at the default level, the median); the last two price an empty slot-hour at 1 beside the
# margin, with the visit cost that makes about the history's visits (tenth look).
log "demand: service plan replayed on the demo and metro fleets (default visit cost, about equal visits)"
for run in "demo 25 0.5 sells 0" "demo 36 0.5 sells 0" "demo 32 1000 sells 0" "metro 25 0.5 sells 0" "metro 31 0.5 sells 0" \
           "metro 32 0.5 locked 0" "metro 27 1000 sells 0" "metro 310 0.5 sells 1" "demo 500 0.5 sells 1"; do
  set -- $run
  fleet="$ROOT/Fixtures/demo"; [ "$1" = metro ] && fleet="$METRO"
  lock=(); [ "$4" = locked ] && lock=(--locked-expired)
  echo "$1, visit cost $2, expiry visit units $3, expired units $4, empty slot-hour cost $5: $("$BIN/planogram-lab" backtest plan --visit-cost $2 --expiry-visit-units $3 --empty-slot-hour-cost $5 "${lock[@]}" --fixtures "$fleet" 2>/dev/null | tail -1)"
done > "$BENCH_OUT/plan-replay.txt"
# The metro recipe on Tokyo's clock, replayed on it (the metro fleet's figures at the default cost) and on UTC's.
for clock in Asia/Tokyo UTC; do
  echo "metro on Tokyo's clock, read and planned on $clock, visit cost 25: $("$BIN/planogram-lab" backtest plan --time-zone "$clock" --fixtures "$TOKYO" 2>/dev/null | tail -1)"
done >> "$BENCH_OUT/plan-replay.txt"
# The same replay on the generator's own demand (--generator-truth; BENCHMARKS §8, eleventh look): the two
# metro rows that meet the targets there.
log "demand: service plan replayed on the metro fleet's true demand"
for args in "--visit-cost 32 --locked-expired" "--visit-cost 26 --expiry-visit-units 1000"; do
  echo "metro on the generator's demand, $args: $("$BIN/planogram-lab" backtest plan --generator-truth $args --fixtures "$METRO" 2>/dev/null | tail -1)"
done >> "$BENCH_OUT/plan-replay.txt"
{ echo; echo "Service plan replayed (last 28 days):"; sed 's/^/- /' "$BENCH_OUT/plan-replay.txt"; } >> "$BENCH_OUT/demand.md"

# A fleet forecast, service plan and pick lists for 1,000 devices (docs/BENCHMARKS.md: < 10 s). The fleet (60 days)
# is made and imported once and cached; the first `plan` fits and stores the models, the second is timed.
FLEET1K="$ROOT/.build-bench/plan-fleet-1000"
if [ ! -f "$FLEET1K/fleet.db" ]; then
  log "demand: generating and importing a fleet of 1,000 devices (60 days; once, cached in $FLEET1K)"
  "$BIN/planogram-live" fixtures --out "$FLEET1K" --devices 1000 --days 60 --seed 9 > "$BENCH_OUT/plan-fixtures.log"
  "$BIN/planogram-live" import --db "$FLEET1K/fleet.db" "$FLEET1K" > "$BENCH_OUT/plan-import.log"
fi
log "demand: fleet plan, 1,000 devices (models fitted and stored by a first run)"
"$BIN/planogram-live" plan --db "$FLEET1K/fleet.db" --days 7 > "$BENCH_OUT/plan-first.txt" 2>/dev/null
"$BIN/planogram-live" plan --db "$FLEET1K/fleet.db" --days 7 > "$BENCH_OUT/plan.txt" 2>/dev/null
{
  echo
  echo "- fleet plan, 1,000 devices: $(tail -1 "$BENCH_OUT/plan.txt")"
} >> "$BENCH_OUT/demand.md"
tail -1 "$BENCH_OUT/plan.txt" >&2
