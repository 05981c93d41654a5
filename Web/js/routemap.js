// A day's routes drawn in SVG from latitude and longitude (no map tiles): depots as squares, each truck's
// route as a numbered line from its depot and back, visits left out as crosses. An equirectangular
// projection scaled by the cosine of the middle latitude is true enough for a city or a region.

import { wallTime } from "./api.js";
import { svg } from "./charts.js";

/// A distinct hue per route, stable by its position in the day.
export function routeColour(i) { return `hsl(${(i * 137) % 360} 70% 40%)`; }

/// `day`: the body of GET /api/routes. `options.highlight`: a device id drawn larger (the next stop).
export function routeMap(day, options = {}) {
  const depots = new Map(day.depots.map((d) => [d.depot_id, d]));
  const points = [
    ...day.depots.map((d) => [d.latitude, d.longitude]),
    ...day.routes.flatMap((r) => r.stops.map((s) => [s.latitude, s.longitude])),
    ...day.unassigned.filter((u) => u.latitude !== undefined).map((u) => [u.latitude, u.longitude]),
  ];
  const w = options.width || 600, h = options.height || 420, pad = 24;
  const lats = points.map((p) => p[0]), lons = points.map((p) => p[1]);
  const midLat = ((Math.min(...lats) + Math.max(...lats)) / 2) * Math.PI / 180;
  const xs = lons.map((l) => l * Math.cos(midLat)), ys = lats;
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const scale = Math.min((w - 2 * pad) / Math.max(maxX - minX, 1e-6), (h - 2 * pad) / Math.max(maxY - minY, 1e-6));
  const px = (lat, lon) => [pad + (lon * Math.cos(midLat) - minX) * scale, h - pad - (lat - minY) * scale];

  const map = svg("svg", { viewBox: `0 0 ${w} ${h}`, width: "100%", role: "img", id: options.id || "route-map", class: "route-map",
    "aria-label": `${day.routes.length} route(s) on ${day.date}` });
  map.append(svg("rect", { x: 0, y: 0, width: w, height: h, class: "map-bg" }));
  day.routes.forEach((r, i) => {
    const depot = depots.get(r.depot_id);
    const path = [depot, ...r.stops, depot].map((p) => px(p.latitude, p.longitude).map((v) => v.toFixed(1)).join(",")).join(" ");
    map.append(svg("polyline", { points: path, class: "route", stroke: routeColour(i), "data-vehicle": r.vehicle_id }));
    r.stops.forEach((s, k) => {
      const [x, y] = px(s.latitude, s.longitude);
      const big = s.device_id === options.highlight;
      map.append(svg("g", { class: `stop-dot${big ? " next" : ""}`, "data-device": s.device_id },
        svg("circle", { cx: x, cy: y, r: big ? 10 : 7, fill: routeColour(i) }),
        svg("text", { x, y: y + 3.5, class: "stop-no" }, String(k + 1)),
        svg("title", {}, `${s.device_id} ${s.name} · ${wallTime(s.arrive, options.zone || day.time_zone)}`)));
    });
  });
  for (const d of day.depots) {
    const [x, y] = px(d.latitude, d.longitude);
    map.append(svg("g", { class: "depot", "data-depot": d.depot_id }, svg("rect", { x: x - 7, y: y - 7, width: 14, height: 14 }),
      svg("text", { x: x + 10, y: y + 4, class: "axis" }, d.name)));
  }
  for (const u of day.unassigned.filter((u) => u.latitude !== undefined)) {
    const [x, y] = px(u.latitude, u.longitude);
    map.append(svg("g", { class: "unassigned", "data-device": u.device_id },
      svg("path", { d: `M${x - 6},${y - 6}L${x + 6},${y + 6}M${x - 6},${y + 6}L${x + 6},${y - 6}` }),
      svg("title", {}, `${u.device_id}: ${u.message}`)));
  }
  return map;
}
