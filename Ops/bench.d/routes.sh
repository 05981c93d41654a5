# Route solver on Solomon's 100-customer VRPTW instances (C1, R1, RC1 in Fixtures/solomon): each solved
# by `planogram-lab solve-vrptw` with at most the best-known solution's vehicles and a 10 s limit (ROUTE_SECONDS),
# checked by the independent validator, compared with the best-known distance.
set -euo pipefail
source "$ROOT/Ops/lib/common.sh"
ensure_venv "pyvrp==0.14.1"
DATA="$ROOT/Fixtures/solomon"
# 9.5 s of search: with the solver's start-up each instance takes at most 10 s of wall time.
LIMIT=${ROUTE_SECONDS:-9.5}; [ "${QUICK:-0}" = 1 ] && LIMIT=2
: > "$BENCH_OUT/routes.jsonl"
for f in "$DATA"/*.txt; do
  name=$(basename "$f" .txt)
  k=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]['vehicles_in_best'])" "$DATA/BKS.json" "$name")
  (cd "$ROOT" && "$BIN/planogram-lab" solve-vrptw "$f" --time-limit "$LIMIT" --max-vehicles "$k") >> "$BENCH_OUT/routes.jsonl"
  log "routes: $name done"
done
"$PY" - "$BENCH_OUT/routes.jsonl" "$DATA/BKS.json" "$LIMIT" > "$BENCH_OUT/routes.md" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bks = json.load(open(sys.argv[2]))
print("## Route solver on Solomon's instances (PyVRP, %s s each)" % sys.argv[3])
print()
print("| instance | vehicles (best) | distance | best known | gap % | seconds | violations |")
print("|---|---|---|---|---|---|---|")
gaps, groups = [], {}
for r in rows:
    b = bks[r["instance"]]
    gap = (r["distance"] - b["best_known_distance"]) / b["best_known_distance"] * 100
    ok = r["feasible"] and not r["violations"] and r["vehicles"] <= b["vehicles_in_best"]
    if ok:
        gaps.append(gap)
        groups.setdefault(r["instance"].rstrip("0123456789"), []).append(gap)
    print(f"| {r['instance']} | {r['vehicles']} ({b['vehicles_in_best']}) | {r['distance']:.2f} | {b['best_known_distance']:.2f} | {gap:.2f} | {r['seconds']:.1f} | {len(r['violations']) if ok or r['violations'] else 'infeasible'} |")
print()
print(f"- solved within the best fleet, no violation: {len(gaps)}/{len(rows)}")
for g, v in sorted(groups.items()):
    print(f"- {g}: mean gap {sum(v)/len(v):.2f} %")
if gaps:
    print(f"- **mean gap {sum(gaps)/len(gaps):.2f} %** (target ≤ 2 % at ≤ 10 s per instance)")
PY
cat "$BENCH_OUT/routes.md" >&2

# The comparison behind the choice of solver (COMPARE=1): PyVRP against VROOM on the same instances.
if [ "${COMPARE:-0}" = 1 ]; then
  ensure_venv "pyvrp==0.14.1" "pyvroom==1.15.2"
  log "routes: PyVRP against VROOM (pyvroom)"
  "$PY" "$ROOT/Ops/bench.d/route_solvers.py" "$DATA" "$DATA/BKS.json" "$LIMIT" > "$BENCH_OUT/route-solvers.md" 2> "$BENCH_OUT/route-solvers.log"
  tail -3 "$BENCH_OUT/route-solvers.md" >&2
fi

# The demo (metro) fleet: the visits of the last 14 days of its history planned as routes with its six trucks
# and two depots, against the order they were made in and against nearest neighbour from each depot
# (`planogram-lab compare-routes`). The fleet is generated and imported once and cached.
METRO="$ROOT/.build-bench/metro-fleet"
if [ ! -f "$METRO/fleet.db" ]; then
  log "routes: generating and importing the metro demo fleet (150 devices, 365 days; once, cached in $METRO)"
  "$BIN/planogram-live" fixtures --out "$METRO" --metro Berlin --devices 150 --days 365 --seed 42 > "$BENCH_OUT/metro-fixtures.log"
  "$BIN/planogram-live" import --db "$METRO/fleet.db" "$METRO" > "$BENCH_OUT/metro-import.log"
fi
DAYS=14; [ "${QUICK:-0}" = 1 ] && DAYS=2
log "routes: the metro fleet's last $DAYS days, planned ($LIMIT s a day) against the history's order"
(cd "$ROOT" && "$BIN/planogram-lab" compare-routes --db "$METRO/fleet.db" --days "$DAYS" --time-limit "$LIMIT") > "$BENCH_OUT/routes-history.txt" 2> "$BENCH_OUT/routes-history.log"
{
  echo
  echo "## Planned routes against the history (metro demo fleet, last $DAYS days, $LIMIT s a day)"
  echo
  echo "- $(tail -1 "$BENCH_OUT/routes-history.txt")"
} >> "$BENCH_OUT/routes.md"
tail -3 "$BENCH_OUT/routes.md" >&2
