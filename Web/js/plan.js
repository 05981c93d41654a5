// The route manager's service plan: a calendar of the next days (devices × days, each planned visit with
// its reasons and what it is worth), for a chosen device its forecast drawn in SVG (per slot the stock
// now, the 90 % band of demand over the horizon and the expected demand, with the next visit), and the
// routes of a day: planned as a job with its progress shown, drawn on a map, each truck's figures and the
// visits left out with their reasons.

import { api, el, money, token, toast, wallTime } from "./api.js";
import { routeColour, routeMap } from "./routemap.js";
import { lineChart, svg } from "./charts.js";

/// Slots as rows: a grey band for the demand interval, a tick for the expected demand, a bar for the stock.
export function forecastChart(f, zone = "UTC") {
  const rows = f.slots, w = 560, row = 16, left = 60, top = 24;
  const max = Math.max(1, ...rows.map((s) => Math.max(s.interval[1], s.stock_now ?? 0)));
  const x = (v) => left + (v / max) * (w - left - 20);
  const h = top + rows.length * row + 24;
  const chart = svg("svg", { viewBox: `0 0 ${w} ${h}`, width: "100%", role: "img", id: "forecast-chart",
    "aria-label": `Forecast of ${f.device_id} for ${f.days} days` });
  chart.append(svg("text", { x: left, y: 14, class: "axis" }, `units over ${f.days} days (band: 90 % of demand; bar: stock now)`));
  rows.forEach((s, i) => {
    const y = top + i * row;
    const risk = (s.stockout_probability ?? 0) >= 0.5;
    chart.append(
      svg("text", { x: 4, y: y + 11, class: "axis" }, `${s.cabinet_index}/${s.slot}`),
      svg("rect", { x: x(s.interval[0]), y: y + 2, width: Math.max(1, x(s.interval[1]) - x(s.interval[0])), height: row - 4, class: "band" }),
      // No fill on record since the slot got its product: its stock is unknown, and said so — never a bar of 0.
      s.stock_now == null
        ? svg("text", { x: left + 2, y: y + 11, class: "axis unknown", "data-slot": s.slot }, "stock unknown")
        : svg("rect", { x: left, y: y + 5, width: Math.max(0, x(s.stock_now) - left), height: row - 10,
          class: risk ? "stock risk" : "stock", "data-slot": s.slot }),
      svg("line", { x1: x(s.expected_units), x2: x(s.expected_units), y1: y + 1, y2: y + row - 1, class: "expected" }));
  });
  chart.append(svg("text", { x: left, y: h - 6, class: "axis" }, `next visit ${wallTime(f.next_visit, zone, true)} (${zone}) · red: likely empty before it`));
  return chart;
}

export async function mountPlan(root, params) {
  // The budget, when the route manager set one: visits a day on average (docs/MODELS.md, "The visit budget").
  const budgetQuery = params.visits_per_day ? `&visits_per_day=${encodeURIComponent(params.visits_per_day)}` : "";
  const plan = await api("GET", `/api/service-plan?days=${params.days || 7}${budgetQuery}`);
  const days = [...Array(plan.days).keys()].map((i) => new Date(Date.parse(plan.from) + i * 86400000).toISOString().slice(0, 10));
  // Every device the token may see is a row, visited this week or not.
  const devices = (await api("GET", "/api/devices")).devices.map((d) => d.device_id).sort();
  const byKey = new Map(plan.visits.map((v) => [`${v.device_id}|${v.date}`, v]));
  const detail = el("div", { id: "plan-detail" });
  const table = el("table", { id: "plan", class: "plan" },
    el("thead", {}, el("tr", {}, el("th", {}, "device"), days.map((d) => el("th", {}, d.slice(5))))),
    el("tbody", {}, devices.map((d) => el("tr", {}, el("th", {},
      el("button", { type: "button", class: "link", dataset: { device: d }, onclick: () => showDevice(d) }, d)),
      days.map((day) => {
        const v = byKey.get(`${d}|${day}`);
        if (!v) return el("td", {});
        return el("td", { class: "visit", title: v.reasons.join(", ") },
          ...v.reasons.map((r) => el("span", { class: `reason ${r}` }, r.replace(/_/g, " "))),
          el("small", {}, `${money(v.expected_lost_revenue_avoided)} · ${v.units_to_load} u`));
      })))));
  async function showDevice(id) {
    detail.replaceChildren(el("p", { class: "muted" }, "loading…"));
    const f = await api("GET", `/api/devices/${encodeURIComponent(id)}/forecast?days=${Math.min(plan.days, 14)}`);
    detail.replaceChildren(el("h2", {}, `${id} — forecast`), forecastChart(f, plan.time_zone),
      el("p", { class: "muted" }, `${f.totals.slots_at_risk} slot(s) likely empty before the next visit · ${f.totals.expiring_units} unit(s) expiring · expected revenue ${money(f.totals.expected_revenue)}`));
  }
  const routesBox = el("div", { id: "routes-day" });
  const routeDates = [...new Set(plan.visits.map((v) => v.date))];
  const routeDate = el("select", { id: "route-date", "aria-label": "Day to route" }, routeDates.map((d) => el("option", { value: d }, d)));
  const planButton = el("button", { id: "plan-routes", type: "button", class: "primary" }, "Plan routes");
  const progress = el("progress", { id: "route-progress", max: 1, value: 0, hidden: true });
  const progressText = el("span", { id: "route-progress-text", class: "muted" });
  let events = null;

  async function showRoutes(date) {
    let day;
    try { day = await api("GET", `/api/routes?date=${encodeURIComponent(date)}`); } catch (e) {
      if (e.status === 404) { routesBox.replaceChildren(el("p", { class: "muted" }, `No routes planned for ${date}.`)); return; }
      throw e;
    }
    const zone = day.time_zone || "UTC";
    const rows = day.routes.map((r, i) => el("tr", { dataset: { vehicle: r.vehicle_id } },
      el("th", {}, el("span", { class: "swatch", style: `background:${routeColour(i)}` }), r.vehicle_id),
      el("td", {}, String(r.stops.length)), el("td", {}, `${wallTime(r.leave, zone)}–${wallTime(r.back, zone)}`),
      el("td", {}, `${r.distance_km} km`), el("td", {}, `${r.load_units}/${r.capacity_units}`), el("td", {}, money(r.cost))));
    routesBox.replaceChildren(
      el("p", { class: "muted" }, `${day.date}: ${day.routes.length} truck(s), ${day.routes.reduce((n, r) => n + r.stops.length, 0)} stop(s), cost ${money(day.cost)}; value served ${money(day.value_served)}, left out ${money(day.value_unassigned)} · planned ${wallTime(day.planned_at, zone, true)} (${zone})`),
      routeMap(day),
      el("table", { id: "route-table", class: "plan" },
        el("thead", {}, el("tr", {}, ["truck", "stops", `out–back (${zone})`, "distance", "load", "cost"].map((h) => el("th", {}, h)))),
        el("tbody", {}, rows)),
      day.unassigned.length
        ? el("div", {}, el("h3", {}, "Left out"), el("ul", { id: "unassigned" }, day.unassigned.map((u) =>
          el("li", { dataset: { device: u.device_id, reason: u.reason } }, el("b", {}, u.device_id), ` ${u.reason.replace(/_/g, " ")}: ${u.message}`))))
        : el("p", { class: "muted" }, "Every visit of the plan is on a route."));
  }

  planButton.addEventListener("click", async () => {
    planButton.disabled = true;
    progress.hidden = false; progress.value = 0; progressText.textContent = "starting…";
    try {
      const job = await api("POST", "/api/routes/plan", { date: routeDate.value, time_limit_seconds: Number(params.limit || 10) });
      events = new EventSource(`/api/jobs/${job.job_id}/events?access_token=${encodeURIComponent(token())}`);
      const finish = async (message) => {
        events.close(); events = null;
        planButton.disabled = false;
        progressText.textContent = message;
        await showRoutes(routeDate.value);
      };
      events.addEventListener("progress", (e) => { const d = JSON.parse(e.data); progress.value = d.progress; progressText.textContent = d.message; });
      events.addEventListener("done", () => { progress.value = 1; finish("done"); });
      events.addEventListener("failed", (e) => { const d = JSON.parse(e.data); toast(d.error ? d.error.message || d.error : "routing failed"); finish("failed"); });
      events.addEventListener("cancelled", () => finish("cancelled"));
    } catch (e) {
      planButton.disabled = false; progress.hidden = true; progressText.textContent = "";
      toast(e.message);
    }
  });
  routeDate.addEventListener("change", () => showRoutes(routeDate.value));

  const budgetInput = el("input", { id: "budget", type: "number", min: 1, step: 1, value: params.visits_per_day || "",
    placeholder: "no budget", "aria-label": "Visits a day (budget)" });
  const budgetApply = el("button", { id: "budget-apply", type: "button" }, "Plan within budget");
  budgetApply.addEventListener("click", () => {
    const n = budgetInput.value.trim();
    location.hash = `#/plan?days=${params.days || 7}` + (n ? `&visits_per_day=${encodeURIComponent(n)}` : "");
  });
  const budgetText = plan.budget
    ? `budget ${plan.budget.visits_per_day ?? plan.budget.visits_per_week + " a week"}${plan.budget.visits_per_day ? " a day" : ""}: ` +
      `${plan.budget.met ? "kept" : "not reachable (visits forced by the longest interval exceed it)"}` +
      `${plan.budget.expiry_visits ? "" : " without visits for expiry alone"}, ` +
      `at ${money(plan.budget.visit_cost_found)} a visit (${plan.budget.plans_tried} plans tried), ${plan.visits.length} visits, busiest day ${plan.budget.busiest_day}`
    : `no budget: ${plan.visits.length} visits at the set price of ${money(plan.visit_cost)} a visit`;
  // The trade-off (docs/MODELS.md "The visit budget"): visits a day against the stockout-hours and the units past
  // their date each budget's plan is expected to leave; drawn when the server has computed it (a few plans).
  const tradeoff = el("div", { id: "tradeoff", class: "tradeoff" }, el("p", { class: "muted" }, "computing the trade-off…"));
  api("GET", `/api/service-plan/tradeoff?days=${params.days || 7}`).then((t) => {
    const labels = t.points.map((p) => `${p.visits_per_day.toFixed(1)}/day`);
    tradeoff.replaceChildren(
      el("p", { class: "muted" }, `over ${t.days} days from ${t.from}, ${t.devices} machines; at the set price: ${t.at_set_price.visits} visits, ` +
        `${t.at_set_price.expected_stockout_hours} stockout-hours, ${t.at_set_price.expected_spoiled_units} units past their date`),
      el("div", { class: "tradeoff-charts" },
        lineChart({ id: "tradeoff-stockouts", dates: labels, label: "expected stockout-hours by visits a day",
          lines: [{ name: "stockout-hours", values: t.points.map((p) => p.expected_stockout_hours), colour: "#dc2626" }] }),
        lineChart({ id: "tradeoff-spoilage", dates: labels, label: "expected units past their date by visits a day",
          lines: [{ name: "units past their date", values: t.points.map((p) => p.expected_spoiled_units), colour: "#7c3aed" }] })));
    tradeoff.dataset.points = String(t.points.length);
  }).catch((e) => { tradeoff.replaceChildren(el("p", { class: "error" }, e.message)); });
  root.replaceChildren(el("section", { class: "planner" },
    el("h1", {}, "Service plan"),
    el("div", { class: "route-controls" }, el("label", { for: "budget" }, "Visits a day"), budgetInput, budgetApply,
      el("span", { id: "plan-budget", class: "muted" }, budgetText)),
    el("h2", {}, "Visits a day: the trade-off"), tradeoff,
    el("p", { class: "muted" }, `from ${plan.from}, data as of ${wallTime(plan.as_of, plan.time_zone, true)} (${plan.time_zone || "UTC"}) · a visit costs ${money(plan.visit_cost)}; reasons: stockout risk, expiry, longest interval (${plan.max_interval_days} days); under them the revenue the visit is expected to save from empty slots · the units it loads`),
    el("div", { class: "scroll" }, table), detail,
    el("h2", {}, "Routes"), el("div", { class: "route-controls" }, routeDate, planButton, progress, progressText), routesBox));
  if (params.device) await showDevice(params.device);
  if (routeDates.length) await showRoutes(routeDate.value);
  return () => { if (events) events.close(); };
}
