# Forecasts on real data (docs/MODELS.md "Forecasts on real data"): the real ePort export of Fixtures/exports
# imported as it comes, then `planogram-lab backtest demand --horizon 28` from three rolling origins two weeks
# apart (the last one 28 days before the export's end), device and slot level, against the naive forecast and
# the 8-week mean. The generated demo fleet is backtested the same way beside it.
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
DB="$BENCH_OUT/real.db"
rm -f "$DB"*
log "real: importing the ePort export"
"$BIN/planogram-live" import-transactions --db "$DB" --format eport "$ROOT/Fixtures/exports/eport_nj_2022_jan_apr.csv" > "$BENCH_OUT/real-import.log"
log "real: backtest, 3 origins × 28 days"
"$BIN/planogram-lab" backtest demand --db "$DB" --horizon 28 --origins 3 --step-days 14 > "$BENCH_OUT/real-backtest.txt"
log "real: the demo fleet the same way"
"$BIN/planogram-lab" backtest demand --fixtures "$ROOT/Fixtures/demo" --horizon 28 --origins 3 --step-days 14 > "$BENCH_OUT/real-demo.txt"
{
  echo "## Forecasts on real data"
  echo
  echo "The real ePort export (Fixtures/exports), imported as it comes (\`$(head -1 "$BENCH_OUT/real-import.log")\`):"
  echo
  cat "$BENCH_OUT/real-backtest.txt"
  echo
  echo "The generated demo fleet, same backtest:"
  echo
  cat "$BENCH_OUT/real-demo.txt"
} > "$BENCH_OUT/real.md"
