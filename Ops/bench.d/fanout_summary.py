"""Joins the nchan and engine runs of ssebench into one table with the ratio of saturation rates."""
import glob, json, os, sys

out = sys.argv[1]

def rows(kind):
    files = sorted(glob.glob(os.path.join(out, f"*-{kind}.jsonl")))
    return [json.loads(l) for f in files for l in open(f) if l.strip()]

def best(rs):
    """Highest deliveries/s among saturation steps that kept up (the run-bench.sh rule)."""
    good = 0.0
    for r in rs:
        if not r["label"].startswith("d:"):
            continue
        rate = r["rate_target"]
        exp = max(r["expected"], 1)
        ok = (r["ok"] and r["lost"] <= 0.001 * exp and r["lat_ms"]["p99"] <= 500 and r["pub_rate"] >= 0.95 * rate
              and r["deliveries_per_s"] >= 0.95 * rate * r["subs_connected"] and r["subs_connected"] == r["subs"])
        if ok:
            good = max(good, r["deliveries_per_s"])
    return good

nchan, engine = rows("nchan"), rows("custom")
print("## SSE fan-out (ssebench, same machine, same run)\n")
print("| server | scenario | subs ok | pub/s target→achieved | lost | deliveries/s | p50 ms | p99 ms | max ms | server CPU % |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name, rs in (("nchan", nchan), ("planogram-live", engine)):
    for r in rs:
        L = r["lat_ms"]
        print(f"| {name} | {r['label']} | {r['subs_connected']}/{r['subs']} | {r['rate_target']:.0f}→{r['pub_rate']:.0f} | {r['lost']} "
              f"| {r['deliveries_per_s']:.0f} | {L['p50']:.2f} | {L['p99']:.2f} | {L['max']:.2f} | {r['cpu']['peer_pct']:.0f} |")
bn, be = best(nchan), best(engine)
ratio = be / bn if bn else float("nan")
print(f"\nSaturation (S=1000, highest step kept up): nchan {bn:,.0f} deliveries/s, planogram-live {be:,.0f} deliveries/s, "
      f"ratio {ratio:.2f}.")
b = [r for r in engine if r["label"].startswith("b:")]
if b:
    print(f"Scenario b (1,000 subscribers, 100 pub/s): planogram-live p99 {b[0]['lat_ms']['p99']:.1f} ms "
          f"({'meets' if b[0]['lat_ms']['p99'] < 50 else 'MISSES'} the < 50 ms target).")
json.dump({"nchan_best": bn, "engine_best": be, "ratio": ratio}, open(os.path.join(out, "ratio.json"), "w"))
