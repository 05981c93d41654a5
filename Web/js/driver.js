// The driver's day (phone first): the visits of a date from the pick lists, each stop's lines to load and
// pull, ticked off one by one; "Visit done" records the visit (POST /api/visits, idempotent by visit id,
// so a retry after a lost connection records nothing twice) and opens the next stop.

import { api, el, toast } from "./api.js";

export async function mountDriver(root, params) {
  const plan = await api("GET", "/api/service-plan?days=7");
  const dates = [...new Set(plan.visits.map((v) => v.date))];
  const date = params.date || dates[0] || plan.from;
  const picks = await api("GET", `/api/pick-lists?date=${encodeURIComponent(date)}`);
  const done = new Set(JSON.parse(sessionStorage.getItem(`planogram.done.${date}`) || "[]"));
  const save = () => sessionStorage.setItem(`planogram.done.${date}`, JSON.stringify([...done]));

  const picker = el("select", { id: "day", "aria-label": "Day" },
    dates.map((d) => el("option", { value: d, selected: d === date ? "selected" : undefined }, d)));
  picker.addEventListener("change", () => { location.hash = `#/driver?date=${picker.value}`; });
  const list = el("ol", { id: "stops", class: "stops" });
  const summary = el("p", { id: "day-summary", class: "muted" });

  function render() {
    const left = picks.visits.filter((v) => !done.has(v.device_id));
    summary.textContent = `${picks.visits.length} stops · ${left.length} to go · data as of ${picks.as_of.slice(0, 16).replace("T", " ")} UTC`;
    list.replaceChildren(...picks.visits.map((v, i) => stop(v, i, v === left[0])));
  }

  function stop(v, i, next) {
    const isDone = done.has(v.device_id);
    const lines = v.lines.map((l) => {
      const box = el("input", { type: "checkbox", "aria-label": `${l.slot} ticked`, disabled: isDone ? "disabled" : undefined });
      if (isDone) box.checked = true;
      return el("li", { class: "pick", dataset: { slot: l.slot, cabinet: String(l.cabinet_index) } },
        el("label", {}, box,
          el("b", {}, l.slot), " ", l.product_name,
          l.load > 0 ? el("span", { class: "load" }, ` load ${l.load}`) : null,
          l.pull > 0 ? el("span", { class: "pull" }, ` pull ${l.pull}`) : null));
    });
    const button = el("button", { class: "primary", type: "button", disabled: isDone ? "disabled" : undefined }, isDone ? "Done" : "Visit done");
    button.addEventListener("click", async () => {
      const unticked = [...item.querySelectorAll(".pick input")].filter((b) => !b.checked);
      if (unticked.length && !confirm(`${unticked.length} line(s) not ticked. Record the visit as planned anyway?`)) return;
      button.disabled = true;
      try {
        await api("POST", "/api/visits", {
          visit_id: `${v.device_id}@${date}`, device_id: v.device_id, at: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          lines: v.lines.map((l) => ({ cabinet_index: l.cabinet_index, slot: l.slot, units_added: l.load, units_pulled: l.pull })),
        });
        done.add(v.device_id);
        save();
        render();
        const nextStop = list.querySelector(".stop.next");
        if (nextStop) nextStop.scrollIntoView({ block: "start" });
        toast("Visit recorded.", "info");
      } catch (e) {
        button.disabled = false;
        toast(e.message);
      }
    });
    const item = el("li", { class: `stop${isDone ? " done" : ""}${next ? " next" : ""}`, dataset: { device: v.device_id } },
      el("h2", {}, `${i + 1}. ${v.device_id}`),
      el("p", { class: "muted" }, `${v.at.slice(11, 16)} · ${v.reasons.join(", ").replace(/_/g, " ")}`),
      el("ul", { class: "picks" }, lines), button);
    return item;
  }

  const totals = el("details", { class: "totals" }, el("summary", {}, "Warehouse totals (cases)"),
    el("ul", {}, picks.totals.map((t) => el("li", {}, `${t.product_name}: ${t.units} units = ${t.cases} × ${t.case_size}`))));
  root.replaceChildren(el("section", { class: "driver" }, el("h1", {}, "My day"), picker, summary, list, totals));
  render();
  return () => {};
}
