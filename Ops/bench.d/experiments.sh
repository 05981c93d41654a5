# Experiments calibrated on placebo splits (`planogram-lab calibrate-experiments`): on the metro demo fleet
# (150 devices) and the second fleet (20 devices), 1,000 A/A splits each — a random start, 28 days before
# it for the pairs and CUPED, 28 days of experiment — with a look every day from the 7th; then the same
# splits with true effects of 3, 5 and 10 % injected. Against the plan's procedure on the same devices and
# weeks (a random half treated, a t-test on device-days). Then one estimate of a 200-device experiment,
# read from the database and analysed with its interval, timed on the 1,000-device fleet.
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
source "$ROOT/Ops/bench.d/second-fleet.sh"
SPLITS=1000; [ "${QUICK:-0}" = 1 ] && SPLITS=100
METRO="$ROOT/.build-bench/metro-fleet"
if [ ! -f "$METRO/fleet.db" ]; then
  log "experiments: generating and importing the metro demo fleet (150 devices, 365 days; once, cached in $METRO)"
  "$BIN/planogram-live" fixtures --out "$METRO" --metro Berlin --devices 150 --days 365 --seed 42 > "$BENCH_OUT/metro-fixtures.log"
  "$BIN/planogram-live" import --db "$METRO/fleet.db" "$METRO" > "$BENCH_OUT/metro-import.log"
fi
log "experiments: metro demo fleet, $SPLITS placebo splits"
"$BIN/planogram-lab" calibrate-experiments --db "$METRO/fleet.db" --splits "$SPLITS" > "$BENCH_OUT/experiments-metro.txt" 2> "$BENCH_OUT/experiments-metro.log"
log "experiments: second fleet, $SPLITS placebo splits"
"$BIN/planogram-lab" calibrate-experiments --fixtures "$SECOND" --splits "$SPLITS" > "$BENCH_OUT/experiments-second.txt" 2> "$BENCH_OUT/experiments-second.log"
FLEET1K="$ROOT/.build-bench/plan-fleet-1000"
if [ ! -f "$FLEET1K/fleet.db" ]; then
  log "experiments: generating and importing a fleet of 1,000 devices (60 days; once, cached in $FLEET1K)"
  "$BIN/planogram-live" fixtures --out "$FLEET1K" --devices 1000 --days 60 --seed 9 > "$BENCH_OUT/plan-fixtures.log"
  "$BIN/planogram-live" import --db "$FLEET1K/fleet.db" "$FLEET1K" > "$BENCH_OUT/plan-import.log"
fi
log "experiments: one estimate of a 200-device experiment"
"$BIN/planogram-lab" calibrate-experiments --db "$FLEET1K/fleet.db" --splits 1 --estimate-devices 200 > "$BENCH_OUT/experiments-estimate.txt" 2>/dev/null
{
  echo "## Experiments: placebo calibration ($SPLITS splits, 28 + 28 days, daily looks from day 7)"
  echo
  echo "Metro demo fleet (150 devices):"
  tail -n +2 "$BENCH_OUT/experiments-metro.txt" | sed 's/^/- /'
  echo
  echo "Second fleet (20 devices):"
  tail -n +2 "$BENCH_OUT/experiments-second.txt" | sed 's/^/- /'
  echo
  echo "- $(grep 'one estimate' "$BENCH_OUT/experiments-estimate.txt")"
} > "$BENCH_OUT/experiments.md"
cat "$BENCH_OUT/experiments.md" >&2
