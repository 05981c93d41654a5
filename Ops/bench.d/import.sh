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
log "import: $ROWS sales rows, $(du -sh "$WORK" | cut -f1) of CSV"
START=$(date +%s.%N)
"$BIN/planogram-live" import --db "$DB" "$WORK" > "$BENCH_OUT/import.log"
END=$(date +%s.%N)
START2=$(date +%s.%N)
"$BIN/planogram-live" import --db "$DB" "$WORK" > "$BENCH_OUT/import-again.log"
END2=$(date +%s.%N)
python3 - "$ROWS" "$START" "$END" "$START2" "$END2" "$BENCH_OUT/import.log" > "$BENCH_OUT/import.md" <<'PY'
import sys
rows = int(sys.argv[1]); t = float(sys.argv[3]) - float(sys.argv[2]); t2 = float(sys.argv[5]) - float(sys.argv[4])
print("## CSV import\n")
print(f"{rows:,} sales rows (plus the fleet's other files) into an empty database: {t:.2f} s wall, "
      f"**{rows / t:,.0f} sales rows/s** (target ≥ 200,000). Re-import of the same files (writes nothing): {t2:.2f} s.\n")
print("```"); print(open(sys.argv[6]).read().strip()); print("```")
PY
cat "$BENCH_OUT/import.md" >&2
