# Backtest of the revenue model (planogram-lab backtest): the demo fleet, and a second fleet made
# with another seed and different generator parameters (eye level lower, weaker row and column
# effects, more demand, more baskets, more devices).
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
source "$ROOT/Ops/bench.d/second-fleet.sh"
# Each fleet twice: the forecaster predict/revenue serves (riding on the count model) and the first one.
log "backtest: demo fleet"
"$BIN/planogram-lab" backtest --fixtures "$ROOT/Fixtures/demo" > "$BENCH_OUT/backtest-demo.txt"
"$BIN/planogram-lab" backtest --part1 --fixtures "$ROOT/Fixtures/demo" > "$BENCH_OUT/backtest-demo-part1.txt"
log "backtest: second fleet"
"$BIN/planogram-lab" backtest --fixtures "$SECOND" > "$BENCH_OUT/backtest-second.txt"
"$BIN/planogram-lab" backtest --part1 --fixtures "$SECOND" > "$BENCH_OUT/backtest-second-part1.txt"
{
  echo "## Revenue model backtest (served forecaster; first forecaster after the bar)"
  echo
  echo "- demo fleet (seed 42, 12 devices, 365 days): $(tail -1 "$BENCH_OUT/backtest-demo.txt") | part 1: $(tail -1 "$BENCH_OUT/backtest-demo-part1.txt")"
  echo "- second fleet (seed 2027, 20 devices, eye level 0.5, row strength 1.0, column strength 0.3, demand ×1.5, baskets 0.2): $(tail -1 "$BENCH_OUT/backtest-second.txt") | part 1: $(tail -1 "$BENCH_OUT/backtest-second-part1.txt")"
} > "$BENCH_OUT/backtest.md"

# Two regimes on fleets of their own (docs/MODELS.md, the demand issue): every device restocked every three days,
# slots either shallow (capacity × 0.6: they sell out between visits) or deep (× 3, bounded at 20 units).
# Three seeds each, cached.
{ echo; echo "Regimes (every device restocked every 3 days; bias = mean signed error):"; } >> "$BENCH_OUT/backtest.md"
for regime in sellout:0.6 deep:3; do
  name=${regime%%:*}; scale=${regime##*:}
  for seed in 101 102 103; do
    dir="$ROOT/.build-bench/regimes/$name-$seed"
    if [ ! -f "$dir/sales.csv" ]; then
      log "backtest: generating the $name fleet, seed $seed"
      "$BIN/planogram-live" fixtures --out "$dir" --seed "$seed" --service-every 3 --capacity-scale "$scale" > /dev/null
    fi
    log "backtest: $name fleet, seed $seed"
    "$BIN/planogram-lab" backtest --fixtures "$dir" > "$BENCH_OUT/backtest-$name-$seed.txt"
    "$BIN/planogram-lab" backtest --part1 --fixtures "$dir" > "$BENCH_OUT/backtest-$name-$seed-part1.txt"
    echo "- $name, seed $seed: $(tail -2 "$BENCH_OUT/backtest-$name-$seed.txt" | tr '\n' ' ')| part 1: $(tail -1 "$BENCH_OUT/backtest-$name-$seed-part1.txt")" >> "$BENCH_OUT/backtest.md"
  done
done
cat "$BENCH_OUT/backtest.md" >&2
