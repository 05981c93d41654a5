// The operations director's dashboard: the fleet's KPIs for a range of days, each beside the range before it
// and the plan's target for the change, and revenue per device per day drawn for the fleet and each venue type.

import { api, el, toast } from "./api.js";
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
  // A new experiment: every device or those of a venue type, the optimizer's layouts as the treatment.
  const allDevices = (await api("GET", "/api/devices")).devices;
  const venueTypes = [...new Set(allDevices.map((d) => d.venue_type))].sort();
  const tomorrow = new Date(Date.parse(k.to) + 86400000).toISOString().slice(0, 10);
  const form = el("form", { id: "new-experiment", class: "new-experiment" },
    el("input", { name: "name", required: true, placeholder: "Name", "aria-label": "Name" }),
    el("input", { name: "hypothesis", placeholder: "Hypothesis", "aria-label": "Hypothesis" }),
    el("select", { name: "venue_type", "aria-label": "Devices" }, el("option", { value: "" }, `every device (${allDevices.length})`),
      venueTypes.map((v) => el("option", { value: v }, `${v} (${allDevices.filter((d) => d.venue_type === v).length})`))),
    el("select", { name: "metric", "aria-label": "Metric" }, ["revenue", "units", "stockouts"].map((m) => el("option", { value: m }, m))),
    el("input", { name: "start", type: "date", value: tomorrow, min: tomorrow, "aria-label": "Start" }),
    el("input", { name: "min_days", type: "number", value: 14, min: 7, max: 120, "aria-label": "Minimum days" }),
    el("button", { type: "submit", class: "primary" }, "Start with the optimizer's layouts"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const devices = f.get("venue_type") ? { venue_type: f.get("venue_type") } : { device_ids: allDevices.map((d) => d.device_id) };
      const r = await api("POST", "/api/experiments", { name: f.get("name"), hypothesis: f.get("hypothesis"), ...devices,
        metric: f.get("metric"), start: f.get("start"), min_days: Number(f.get("min_days")), treatment: "optimizer" });
      location.hash = `#/experiment/${r.experiment_id}`;
    } catch (e) { button.disabled = false; toast(e.message); }
  });
  root.replaceChildren(el("section", { class: "planner" },
    el("h1", {}, "Fleet"),
    el("p", { class: "muted" }, `${k.devices} devices · ${k.from} to ${k.to}, against ${k.baseline_from} to ${k.baseline_to}`),
    el("ul", { id: "kpis", class: "kpis" }, cards),
    el("h2", {}, "Revenue per device per day"), chart,
    el("h2", {}, "Experiments"),
    experiments.experiments.length
      ? el("ul", { id: "experiment-list" }, experiments.experiments.map((e) => el("li", { dataset: { experiment: e.experiment_id } },
        el("a", { href: `#/experiment/${e.experiment_id}` }, e.name), ` · ${e.status} · ${e.days} day(s) · ${e.decision.replace(/_/g, " ")}`)))
      : el("p", { class: "muted" }, "No experiments yet."),
    el("h3", {}, "New experiment"), el("p", { class: "muted" }, "The devices are paired on their last 28 days and randomized; the treatment devices get the optimizer's layout."),
    form));
  return () => {};
}
