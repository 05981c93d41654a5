// Line charts drawn in SVG by the page (no library, no CDN): several named series over the same dates, an
// optional band (an interval around a line) and a vertical marker (an experiment's start).

const SVG = "http://www.w3.org/2000/svg";
export function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c.nodeType ? c : document.createTextNode(String(c)));
  return e;
}

/// `lines`: [{name, values, colour}]; `band`: {lo: [], hi: []} drawn under the first line; `marker`: an index.
export function lineChart({ id, dates, lines, band, marker, zero = false, label = "" }) {
  const w = 640, h = 240, left = 48, right = 12, top = 16, bottom = 28;
  const all = lines.flatMap((l) => l.values).concat(band ? band.lo.concat(band.hi) : []).filter((v) => Number.isFinite(v));
  let lo = Math.min(...all), hi = Math.max(...all);
  if (zero) { lo = Math.min(lo, 0); hi = Math.max(hi, 0); }
  if (!(hi > lo)) { hi = lo + 1; }
  const x = (i) => left + (dates.length > 1 ? (i / (dates.length - 1)) * (w - left - right) : 0);
  const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (h - top - bottom);
  const chart = svg("svg", { viewBox: `0 0 ${w} ${h}`, width: "100%", role: "img", id, class: "line-chart", "aria-label": label });
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    chart.append(svg("line", { x1: left, x2: w - right, y1: y(v), y2: y(v), class: "grid" }),
      svg("text", { x: left - 4, y: y(v) + 3, class: "axis end" }, v.toFixed(Math.abs(hi - lo) < 10 ? 2 : 0)));
  }
  if (zero) chart.append(svg("line", { x1: left, x2: w - right, y1: y(0), y2: y(0), class: "zero" }));
  if (band) {
    const upper = band.hi.map((v, i) => `${x(i)},${y(v)}`), lower = band.lo.map((v, i) => `${x(i)},${y(v)}`).reverse();
    chart.append(svg("polygon", { points: upper.concat(lower).join(" "), class: "band" }));
  }
  if (marker !== undefined && marker >= 0 && marker < dates.length) {
    chart.append(svg("line", { x1: x(marker), x2: x(marker), y1: top, y2: h - bottom, class: "marker" }),
      svg("text", { x: x(marker) + 3, y: top + 10, class: "axis" }, "start"));
  }
  for (const l of lines) {
    chart.append(svg("polyline", { points: l.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" "),
      class: "series", stroke: l.colour, "data-series": l.name }));
  }
  if (dates.length) {
    chart.append(svg("text", { x: left, y: h - 8, class: "axis" }, dates[0]),
      svg("text", { x: w - right, y: h - 8, class: "axis end" }, dates[dates.length - 1]));
  }
  lines.forEach((l, i) => chart.append(svg("text", { x: left + 8 + i * 120, y: top - 4, class: "legend", fill: l.colour }, `— ${l.name}`)));
  return chart;
}
