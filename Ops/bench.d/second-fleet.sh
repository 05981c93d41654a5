# Sourced by the backtests: a second fleet made with another seed and other generator parameters (eye
# level lower, weaker row and column effects, more demand, more baskets, more devices), cached.
SECOND="$ROOT/.build-bench/backtest-fleet-2"
if [ ! -f "$SECOND/sales.csv" ]; then
  log "generating the second fleet (seed 2027, 20 devices)"
  "$BIN/planogram-live" fixtures --out "$SECOND" --seed 2027 --devices 20 --eye-level 0.5 --row-strength 1.0 \
    --column-strength 0.3 --demand-scale 1.5 --basket-rate 0.2 > "$BENCH_OUT/second-fleet-fixtures.log"
fi
