#!/usr/bin/env python3
"""The route solver the server runs as a subprocess (SPEC §12): PyVRP (MIT, hybrid genetic search with time
windows and optional, prize-collecting visits), JSON on stdin, JSON on stdout, progress lines on stderr.

Input: {"depot": {"tw": [early, late], "service": s}, "clients": [{"demand", "service", "tw": [early, late],
        "required": bool, "prize": int}], "vehicles": [{"count", "capacity", "tw": [early, late]}],
        "distance": [[int]], "duration": [[int]] (location 0 is the depot, client i is location i),
        "time_limit": seconds, "seed": int}
Output: {"feasible": bool, "cost": int, "routes": [[location indices]], "seconds": float,
         "iterations": int}
All numbers are integers in the caller's units (the caller scales and rounds)."""
import json
import sys
import time

from pyvrp import Model
from pyvrp.stop import MaxRuntime


def main() -> int:
    started = time.monotonic()
    spec = json.load(sys.stdin)
    m = Model()
    dep = spec["depot"]
    depot_loc = m.add_location(0.0, 0.0)
    depot = m.add_depot(depot_loc, tw_early=dep["tw"][0], tw_late=dep["tw"][1], service_duration=dep.get("service", 0))
    for v in spec["vehicles"]:
        m.add_vehicle_type(num_available=v["count"], capacity=[v["capacity"]], start_depot=depot, end_depot=depot,
                           tw_early=v["tw"][0], tw_late=v["tw"][1])
    for c in spec["clients"]:
        loc = m.add_location(0.0, 0.0)
        m.add_client(loc, delivery=[c["demand"]], service_duration=c["service"], tw_early=c["tw"][0], tw_late=c["tw"][1],
                     required=c.get("required", True), prize=c.get("prize", 0))
    locations = m.locations
    dist, dur = spec["distance"], spec["duration"]
    for i, a in enumerate(locations):
        for j, b in enumerate(locations):
            if i != j:
                m.add_edge(a, b, distance=dist[i][j], duration=dur[i][j])
    result = m.solve(stop=MaxRuntime(float(spec.get("time_limit", 10))), seed=int(spec.get("seed", 1)), display=False)
    best = result.best
    # Activities number clients from 0; locations put the depot first.
    routes = [[int(a.idx) + 1 for a in r.schedule() if a.is_client()] for r in best.routes()]
    json.dump({"feasible": bool(best.is_feasible()), "cost": int(result.cost()) if best.is_feasible() else None,
               "routes": routes, "seconds": round(time.monotonic() - started, 3),
               "iterations": int(getattr(result, "num_iterations", 0))}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
