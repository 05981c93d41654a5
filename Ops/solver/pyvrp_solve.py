#!/usr/bin/env python3
"""The route solver the server runs as a subprocess (docs/API.md): PyVRP (MIT, hybrid genetic search with time
windows, several depots and vehicle types, and optional, prize-collecting visits), JSON on stdin, JSON on
stdout, progress lines on stderr.

Input: {"depots": [{"tw": [early, late], "service": s}],
        "vehicles": [{"count", "capacity", "tw": [early, late], "depot": index into depots,
                      "unit_distance_cost"?: 1, "unit_duration_cost"?: 0, "fixed_cost"?: 0}],
        "clients": [{"demand", "service", "tw": [early, late], "required": bool, "prize": int}],
        "distance": [[int]], "duration": [[int]] (locations: the depots first, then the clients in order),
        "time_limit": seconds, "seed": int}
Output: {"feasible": bool, "cost": int | null, "routes": [[client numbers, 1-based, in visiting order]],
         "vehicles": [index into "vehicles" of each route], "seconds": float, "iterations": int}
Progress (stderr, one JSON object a line, about twice a second):
        {"progress": elapsed / time_limit, "best_cost": int}
All numbers are integers in the caller's units (the caller scales and rounds)."""
import json
import sys
import time

from pyvrp import Model
from pyvrp.stop import MaxRuntime


class Reporting:
    """Stops at the time limit like MaxRuntime, and tells the caller how far it got and the best cost."""

    def __init__(self, limit: float):
        self.limit = limit
        self.inner = MaxRuntime(limit)
        self.started = time.perf_counter()
        self.last = 0.0

    def __call__(self, best_cost: int) -> bool:
        now = time.perf_counter()
        if now - self.last >= 0.5:
            self.last = now
            progress = min(1.0, (now - self.started) / self.limit) if self.limit > 0 else 1.0
            sys.stderr.write(json.dumps({"progress": round(progress, 3), "best_cost": int(best_cost)}) + "\n")
            sys.stderr.flush()
        return self.inner(best_cost)


def main() -> int:
    started = time.monotonic()
    spec = json.load(sys.stdin)
    m = Model()
    depots = []
    for d in spec["depots"]:
        depots.append(m.add_depot(m.add_location(0.0, 0.0), tw_early=d["tw"][0], tw_late=d["tw"][1],
                                  service_duration=d.get("service", 0)))
    for v in spec["vehicles"]:
        depot = depots[v.get("depot", 0)]
        m.add_vehicle_type(num_available=v["count"], capacity=[v["capacity"]], start_depot=depot, end_depot=depot,
                           tw_early=v["tw"][0], tw_late=v["tw"][1], fixed_cost=v.get("fixed_cost", 0),
                           unit_distance_cost=v.get("unit_distance_cost", 1), unit_duration_cost=v.get("unit_duration_cost", 0))
    for c in spec["clients"]:
        m.add_client(m.add_location(0.0, 0.0), delivery=[c["demand"]], service_duration=c["service"],
                     tw_early=c["tw"][0], tw_late=c["tw"][1], required=c.get("required", True), prize=c.get("prize", 0))
    locations = m.locations
    dist, dur = spec["distance"], spec["duration"]
    for i, a in enumerate(locations):
        for j, b in enumerate(locations):
            if i != j:
                m.add_edge(a, b, distance=dist[i][j], duration=dur[i][j])
    limit = float(spec.get("time_limit", 10))
    result = m.solve(stop=Reporting(limit), seed=int(spec.get("seed", 1)), display=False)
    best = result.best
    routes = list(best.routes())
    # Activities number clients from 0; the caller numbers them from 1.
    json.dump({"feasible": bool(best.is_feasible()), "cost": int(result.cost()) if best.is_feasible() else None,
               "routes": [[int(a.idx) + 1 for a in r.schedule() if a.is_client()] for r in routes],
               "vehicles": [int(r.vehicle_type()) for r in routes],
               "seconds": round(time.monotonic() - started, 3),
               "iterations": int(getattr(result, "num_iterations", 0))}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
