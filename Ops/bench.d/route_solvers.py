"""The comparison behind the choice of route solver: PyVRP and VROOM (pyvroom) on Solomon's
instances at the best-known fleet size, the same integer scaling as the server's adapter (travel and
service rounded up, windows narrowed to whole units, so a feasible answer is feasible in real numbers),
real Euclidean distances reported, every answer checked here for capacity, windows and completeness.
Usage: route_solvers.py DATA_DIR BKS.json SECONDS > comparison.md"""
import json
import math
import os
import sys
import time

S = 1000


def read(path):
    lines = [l.split() for l in open(path) if l.strip()]
    fleet = next(l for i, l in enumerate(lines) if i > 0 and lines[i - 1][0].upper() == "NUMBER")
    rows = [list(map(float, l)) for l in lines if len(l) == 7 and all(x.replace(".", "", 1).isdigit() for x in l)]
    return int(fleet[0]), int(fleet[1]), rows


def dist(rows, a, b):
    return math.hypot(rows[a][1] - rows[b][1], rows[a][2] - rows[b][2])


def check(rows, cap, vehicles, routes):
    bad, seen = [], set()
    if len(routes) > vehicles:
        bad.append("fleet")
    for r in routes:
        t, load, prev = rows[0][4], 0, 0
        for c in r:
            if c in seen:
                bad.append(f"twice {c}")
            seen.add(c)
            load += rows[c][3]
            t = max(t + dist(rows, prev, c), rows[c][4])
            if t > rows[c][5] + 1e-6:
                bad.append(f"late {c}")
            t += rows[c][6]
            prev = c
        if load > cap:
            bad.append("capacity")
        if t + dist(rows, prev, 0) > rows[0][5] + 1e-6:
            bad.append("depot")
    if len(seen) != len(rows) - 1:
        bad.append(f"{len(rows) - 1 - len(seen)} unserved")
    return bad


def length(rows, routes):
    return sum(dist(rows, 0, r[0]) + sum(dist(rows, r[i - 1], r[i]) for i in range(1, len(r))) + dist(rows, r[-1], 0) for r in routes if r)


def matrix(rows):
    return [[math.ceil(dist(rows, i, j) * S) for j in range(len(rows))] for i in range(len(rows))]


def pyvrp(rows, cap, k, seconds):
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime
    m = Model()
    d0 = rows[0]
    depot = m.add_depot(m.add_location(0, 0), tw_early=math.ceil(d0[4] * S), tw_late=math.floor(d0[5] * S))
    m.add_vehicle_type(num_available=k, capacity=[cap], start_depot=depot, end_depot=depot,
                       tw_early=math.ceil(d0[4] * S), tw_late=math.floor(d0[5] * S))
    for r in rows[1:]:
        m.add_client(m.add_location(0, 0), delivery=[int(r[3])], service_duration=math.ceil(r[6] * S),
                     tw_early=math.ceil(r[4] * S), tw_late=math.floor(r[5] * S))
    mat = matrix(rows)
    for i, a in enumerate(m.locations):
        for j, b in enumerate(m.locations):
            if i != j:
                m.add_edge(a, b, distance=mat[i][j], duration=mat[i][j])
    res = m.solve(stop=MaxRuntime(seconds), seed=1, display=False)
    return [[a.idx + 1 for a in r.schedule() if a.is_client()] for r in res.best.routes()]


def vroom_solve(rows, cap, k, exploration):
    import vroom
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=matrix(rows))
    d0 = rows[0]
    for v in range(k):
        problem.add_vehicle(vroom.Vehicle(id=v + 1, start=0, end=0, capacity=[cap],
                                          time_window=vroom.TimeWindow(math.ceil(d0[4] * S), math.floor(d0[5] * S))))
    for i, r in enumerate(rows[1:], start=1):
        problem.add_job(vroom.Job(id=i, location=i, delivery=[int(r[3])], default_service=math.ceil(r[6] * S),
                                  time_windows=[vroom.TimeWindow(math.ceil(r[4] * S), math.floor(r[5] * S))]))
    sol = problem.solve(exploration_level=exploration, nb_threads=1)
    routes = {}
    for _, row in sol.routes.iterrows():
        if row["type"] == "job":
            routes.setdefault(row["vehicle_id"], []).append(int(row["id"]))
    return list(routes.values())


def main():
    data, bks_path, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    bks = json.load(open(bks_path))
    out = {"PyVRP (%g s)" % seconds: [], "VROOM (exploration 5)": []}
    lines = ["| instance | best known | " + " | ".join(f"{n}: gap %, s" for n in out) + " |", "|---|---|" + "---|" * len(out)]
    for name in sorted(bks):
        path = os.path.join(data, name + ".txt")
        if not os.path.exists(path):
            continue
        _, cap, rows = read(path)
        k, best = bks[name]["vehicles_in_best"], bks[name]["best_known_distance"]
        cells = []
        for label, solve in (("PyVRP (%g s)" % seconds, lambda: pyvrp(rows, cap, k, seconds)),
                             ("VROOM (exploration 5)", lambda: vroom_solve(rows, cap, k, 5))):
            t = time.monotonic()
            routes = solve()
            took = time.monotonic() - t
            bad = check(rows, cap, k, routes)
            gap = (length(rows, routes) - best) / best * 100
            out[label].append(None if bad else gap)
            cells.append(f"{gap:.2f}, {took:.1f}" if not bad else f"— ({bad[0]}), {took:.1f}")
        lines.append(f"| {name} | {best:.2f} | " + " | ".join(cells) + " |")
        print(name, cells, file=sys.stderr)
    print("\n".join(lines))
    print()
    for label, gaps in out.items():
        ok = [g for g in gaps if g is not None]
        print(f"- {label}: {len(ok)}/{len(gaps)} solved within the best fleet, mean gap {sum(ok) / max(len(ok), 1):.2f} %")


main()
