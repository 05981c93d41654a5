# CSV import speed: a generated fleet with about 2 million sales rows, imported into an empty database
# by `planogram-live import` (validation + one transaction). Reports sales rows per second.
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
DEVICES=${IMPORT_DEVICES:-160}
[ "${QUICK:-0}" = 1 ] && DEVICES=16
WORK="$ROOT/.build-bench/import-fleet-$DEVICES"
if [ ! -f "$WORK/sales.csv" ]; then
  log "import: generating a fleet of $DEVICES devices (once, cached in $WORK)"
  "$BIN/planogram-live" fixtures --out "$WORK" --devices "$DEVICES" --seed 99 > "$BENCH_OUT/import-fixtures.log"
fi
ROWS=$(( $(wc -l < "$WORK/sales.csv") - 1 ))
DB="$BENCH_OUT/import.db"
rm -f "$DB"*
mkdir -p "$BENCH_OUT/catalogue" "$BENCH_OUT/sales-only"
for f in products devices cabinets planograms; do ln -sf "$WORK/$f.csv" "$BENCH_OUT/catalogue/$f.csv"; done
ln -sf "$WORK/sales.csv" "$BENCH_OUT/sales-only/sales.csv"
log "import: catalogue first (not timed), then $ROWS sales rows alone, then the whole fleet again"
"$BIN/planogram-live" import --db "$DB" "$BENCH_OUT/catalogue" > "$BENCH_OUT/import-catalogue.log"
t0=$(date +%s.%N)
"$BIN/planogram-live" import --db "$DB" "$BENCH_OUT/sales-only" > "$BENCH_OUT/import.log"
t1=$(date +%s.%N)
rm -f "$DB"*
"$BIN/planogram-live" import --db "$DB" "$WORK" > "$BENCH_OUT/import-fleet.log"
t2=$(date +%s.%N)
"$BIN/planogram-live" import --db "$DB" "$WORK" > "$BENCH_OUT/import-again.log"
t3=$(date +%s.%N)
SERVICES=$(( $(wc -l < "$WORK/services.csv") - 1 ))
python3 - "$ROWS" "$SERVICES" "$t0" "$t1" "$t2" "$t3" "$BENCH_OUT" > "$BENCH_OUT/import.md" <<'PY'
import sys
rows, services = int(sys.argv[1]), int(sys.argv[2])
t0, t1, t2, t3 = map(float, sys.argv[3:7]); out = sys.argv[7]
sales_t = t1 - t0
print("## CSV import\n")
print(f"- sales.csv alone, {rows:,} rows, into a database holding the catalogue: {sales_t:.2f} s wall (process start, "
      f"validation, one transaction): **{rows / sales_t:,.0f} sales rows/s** (target ≥ 200,000).")
print(f"- the whole fleet ({rows:,} sales + {services:,} services + catalogue and planograms) into an empty database: "
      f"{t2 - t1:.2f} s, {(rows + services) / (t2 - t1):,.0f} history rows/s.")
print(f"- the same files again (writes nothing): {t3 - t2:.2f} s.\n")
print("```"); print(open(out + "/import.log").read().strip()); print("```")
PY
cat "$BENCH_OUT/import.md" >&2
