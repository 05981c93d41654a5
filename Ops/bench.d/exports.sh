# Telemetry export import speed (docs/formats/EXPORTS.md): the real ePort export of Fixtures/exports copied
# EXPORT_COPIES times, each copy a machine set of its own (device ids suffixed), into an empty database by
# `planogram-live import-transactions --format eport` (read, infer, one transaction). Reports rows per second,
# and the same file again (writes nothing).
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
COPIES=${EXPORT_COPIES:-200}
[ "${QUICK:-0}" = 1 ] && COPIES=10
WORK="$ROOT/.build-bench/exports-$COPIES"
mkdir -p "$WORK"
if [ ! -f "$WORK/eport.csv" ]; then
  log "exports: writing $COPIES copies of the real export (once, cached in $WORK)"
  python3 - "$ROOT/Fixtures/exports/eport_nj_2022_jan_apr.csv" "$COPIES" "$WORK/eport.csv" <<'PY'
import csv, sys
src, copies, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = list(csv.reader(open(src, newline="")))
header, body = rows[0], rows[1:]
d, t = header.index("Device ID"), header.index("Transaction")
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(header)
    for k in range(copies):
        for r in body:
            r = list(r)
            r[d] = f"{r[d]}-{k:03d}"
            r[t] = f"{r[t]}{k:03d}"
            w.writerow(r)
PY
fi
ROWS=$(( $(wc -l < "$WORK/eport.csv") - 1 ))
DB="$BENCH_OUT/exports.db"
# Three imports into an empty database each (this machine's timings vary by a fifth from run to run): the median
# is the figure, every run is listed.
RUNS=3
[ "${QUICK:-0}" = 1 ] && RUNS=1
: > "$BENCH_OUT/exports-times"
for run in $(seq 1 $RUNS); do
  rm -f "$DB"*
  log "exports: importing $ROWS rows (run $run of $RUNS)"
  t0=$(date +%s.%N)
  "$BIN/planogram-live" import-transactions --db "$DB" --format eport "$WORK/eport.csv" > "$BENCH_OUT/exports.log" 2>"$BENCH_OUT/exports-progress.log"
  t1=$(date +%s.%N)
  echo "$t0 $t1" >> "$BENCH_OUT/exports-times"
done
t1=$(date +%s.%N)
"$BIN/planogram-live" import-transactions --db "$DB" --format eport "$WORK/eport.csv" > "$BENCH_OUT/exports-again.log" 2>/dev/null
t2=$(date +%s.%N)
python3 - "$ROWS" "$t1" "$t2" "$BENCH_OUT" > "$BENCH_OUT/exports.md" <<'PY'
import statistics, sys
rows = int(sys.argv[1]); t1, t2 = map(float, sys.argv[2:4]); out = sys.argv[4]
walls = [b - a for a, b in (map(float, l.split()) for l in open(out + "/exports-times"))]
wall = statistics.median(walls)
print("## Telemetry export import\n")
print(f"- {rows:,} ePort rows ({rows // 2473} copies of the real export, each its own five machines) into an empty "
      f"database, {len(walls)} run(s): median {wall:.2f} s wall (process start, read, layouts inferred, one "
      f"transaction): **{rows / wall:,.0f} rows/s** (target ≥ 100,000); runs: "
      + ", ".join(f"{w:.2f} s ({rows / w:,.0f}/s)" for w in walls) + ".")
print(f"- the same file again (writes nothing): {t2 - t1:.2f} s, {rows / (t2 - t1):,.0f} rows/s.\n")
print("```"); print(open(out + "/exports.log").read().strip().split("\n")[0]); print("```")
PY
