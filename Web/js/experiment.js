// One experiment: both arms' daily series around the start, the estimate and its interval drawn day by day,
// the decision with its reason; the estimate is replaced live when new sales are imported (SSE).

import { api, el, token } from "./api.js";
import { lineChart } from "./charts.js";

export async function mountExperiment(root, id) {
  const summary = el("div", { id: "experiment-estimate" });
  const box = el("section", { class: "planner" });
  function renderEstimate(e) {
    const est = e.estimate;
    summary.replaceChildren(
      el("p", { id: "decision", class: `decision ${e.decision}`, dataset: { decision: e.decision } },
        el("b", {}, e.decision.replace(/_/g, " ")), ` — ${e.decision_reason}`),
      est ? el("p", {}, `Effect ${est.effect >= 0 ? "+" : ""}${est.effect} per device per day (${est.effect_percentage >= 0 ? "+" : ""}${est.effect_percentage} %), `
        + `95 % interval [${est.confidence_interval[0]}, ${est.confidence_interval[1]}], p ${est.p_value}, always-valid p ${est.always_valid_p_value}; `
        + `difference in differences ${est.difference_in_differences}. ${est.method}.`)
        : el("p", { class: "muted" }, "No data since the start yet."),
      el("p", { class: "muted" }, `${e.days} day(s) of ${e.min_days} minimum · ${e.status}`));
  }
  async function load() {
    const e = await api("GET", `/api/experiments/${encodeURIComponent(id)}`);
    const charts = [];
    if (e.series) {
      charts.push(el("h2", {}, `${e.metric} per device per day, by arm`),
        lineChart({ id: "arms-chart", dates: e.series.dates, marker: e.series.start_index, label: "both arms",
          lines: [{ name: "control", values: e.series.control, colour: "#557" }, { name: "treatment", values: e.series.treatment, colour: "#c60" }] }));
    }
    if (e.estimates && e.estimates.length) {
      charts.push(el("h2", {}, "The estimate over time (with its interval)"),
        lineChart({ id: "estimate-chart", dates: e.estimates.map((x) => x.date), zero: true, label: "effect and interval",
          band: { lo: e.estimates.map((x) => x.confidence_interval[0]), hi: e.estimates.map((x) => x.confidence_interval[1]) },
          lines: [{ name: "effect", values: e.estimates.map((x) => x.effect), colour: "#c60" }] }));
    }
    const arms = Object.entries(e.assignment).sort();
    box.replaceChildren(el("h1", {}, e.name), el("p", { class: "muted" }, `${e.hypothesis || ""} · start ${e.start} · seed ${e.seed}`),
      summary, ...charts,
      el("details", {}, el("summary", {}, `${arms.length} devices in ${e.strata.length} matched pairs`),
        el("ul", { id: "assignment" }, arms.map(([d, a]) => el("li", { dataset: { device: d, arm: a } }, `${d}: ${a}`)))));
    renderEstimate(e);
  }
  root.replaceChildren(box);
  await load();
  const events = new EventSource(`/api/experiments/${encodeURIComponent(id)}/events?access_token=${encodeURIComponent(token())}`);
  let first = true;
  events.addEventListener("estimate", async (m) => {
    if (first) { first = false; return; } // the page already shows it
    renderEstimate(JSON.parse(m.data));
    await load();
  });
  return () => events.close();
}
