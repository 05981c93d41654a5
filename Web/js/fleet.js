// The operations director's dashboard: the fleet's KPIs for a range of days, each beside the range before it
// and the plan's target for the change, and revenue per device per day drawn for the fleet and each venue type.

import { api, el } from "./api.js";
import { lineChart } from "./charts.js";
import { routeColour } from "./routemap.js";

const LABELS = {
  revenue_per_device_per_day: "Revenue per device per day", stockout_rate: "Slots found empty (%)", units_spoiled: "Units spoiled",
  visits_per_device_per_week: "Visits per device per week", planogram_changes: "Planogram changes",
};

export async function mountFleet(root, params) {
  const q = new URLSearchParams();
  if (params.from) q.set("from", params.from);
  if (params.to) q.set("to", params.to);
  const k = await api("GET", `/api/fleet/kpis${q.toString() ? "?" + q : ""}`);
  const cards = k.kpis.map((x) => {
    const change = x.change_percentage;
    const good = change === null || x.target_change_percentage === null ? "" : (Math.sign(change) === Math.sign(x.target_change_percentage) ? " good" : " bad");
    return el("li", { class: `kpi${good}`, dataset: { kpi: x.name }, title: x.definition },
      el("span", { class: "label" }, LABELS[x.name] || x.name),
      el("b", {}, String(x.value)),
      el("small", {}, `before ${x.baseline}` + (change === null ? "" : ` · ${change > 0 ? "+" : ""}${change} %`) +
        (x.target_change_percentage === null ? "" : ` · target ${x.target_change_percentage > 0 ? "+" : ""}${x.target_change_percentage} %`)));
  });
  const venues = Object.keys(k.series.by_venue_type).sort();
  const chart = lineChart({
    id: "kpi-chart", dates: k.series.dates, label: "Revenue per device per day",
    lines: [{ name: "fleet", values: k.series.fleet, colour: "#111" },
      ...venues.map((v, i) => ({ name: v, values: k.series.by_venue_type[v], colour: routeColour(i + 1) }))],
  });
  const experiments = await api("GET", "/api/experiments");
  root.replaceChildren(el("section", { class: "planner" },
    el("h1", {}, "Fleet"),
    el("p", { class: "muted" }, `${k.devices} devices · ${k.from} to ${k.to}, against ${k.baseline_from} to ${k.baseline_to}`),
    el("ul", { id: "kpis", class: "kpis" }, cards),
    el("h2", {}, "Revenue per device per day"), chart,
    el("h2", {}, "Experiments"),
    experiments.experiments.length
      ? el("ul", { id: "experiment-list" }, experiments.experiments.map((e) => el("li", { dataset: { experiment: e.experiment_id } },
        el("a", { href: `#/experiment/${e.experiment_id}` }, e.name), ` · ${e.status} · ${e.days} day(s) · ${e.decision.replace(/_/g, " ")}`)))
      : el("p", { class: "muted" }, "No experiments yet (POST /api/experiments).")));
  return () => {};
}
