// The driver's day (phone first). When routes are planned for the date, the truck's stops in driving order
// with their arrival times and a map of the route (SVG from latitude and longitude); otherwise the visits
// of the service plan. Each stop's lines to load and pull are ticked off one by one; "Visit done" records
// the visit (POST /api/visits, idempotent by visit id, so a retry after a lost connection records nothing
// twice) and opens the next stop.

import { api, apiText, el, toast, wallTime } from "./api.js";
import { enqueue, flush, items } from "./outbox.js";
import { routeMap } from "./routemap.js";

export async function mountDriver(root, params) {
  const plan = await api("GET", "/api/service-plan?days=7");
  const dates = [...new Set(plan.visits.map((v) => v.date))];
  const date = params.date || dates[0] || plan.from;
  if (!dates.includes(date)) dates.unshift(date);
  let day = null;
  // No route planned (404), or none kept on the phone while offline: the service plan's order.
  try { day = await api("GET", `/api/routes?date=${encodeURIComponent(date)}`); } catch (e) { if (e.status !== 404 && e.code !== "offline") throw e; }
  const routes = day ? day.routes.filter((r) => r.stops.length) : [];
  const route = routes.find((r) => r.vehicle_id === params.vehicle) || routes[0] || null;
  const picks = await api("GET", `/api/pick-lists?date=${encodeURIComponent(date)}` + (route ? `&vehicle_id=${encodeURIComponent(route.vehicle_id)}` : ""));
  const done = new Set(JSON.parse(sessionStorage.getItem(`planogram.done.${date}`) || "[]"));
  const save = () => sessionStorage.setItem(`planogram.done.${date}`, JSON.stringify([...done]));
  // Names for the stops' headings, and each device's cabinets: a device with two cabinets has an A1 in
  // each, so its pick list is split by cabinet, labelled as in the editor.
  const devices = new Map((await api("GET", "/api/devices")).devices.map((d) => [d.device_id, d]));
  const names = new Map(route ? route.stops.map((s) => [s.device_id, s.name]) : []);
  for (const [id, d] of devices) if (!names.has(id) && d.name) names.set(id, d.name);
  const mapBox = el("div", { id: "route-box", class: "route-box" });
  // Without a planned route a driver sees every visit of the plan for their devices (a whole fleet's
  // day with an unrestricted token); a depot narrows them, and the warehouse totals, to the machines
  // nearest it by drive (the server's rule: the travel matrix, else the route planner's estimate),
  // remembered on this phone.
  const depots = route ? [] : (await api("GET", "/api/depots")).depots;
  let depot = depots.length > 1 ? (params.depot ?? localStorage.getItem("planogram.depot") ?? "") : "";
  if (!depots.some((d) => d.depot_id === depot)) depot = "";
  const near = depot ? await api("GET", `/api/pick-lists?date=${encodeURIComponent(date)}&depot_id=${encodeURIComponent(depot)}`) : picks;
  const shown = near.visits;
  const depotPicker = depots.length > 1 ? el("select", { id: "depot", "aria-label": "Depot" },
    el("option", { value: "" }, "all depots"),
    depots.map((d) => el("option", { value: d.depot_id, selected: d.depot_id === depot ? "selected" : undefined }, `near ${d.name}`))) : null;
  if (depotPicker) depotPicker.addEventListener("change", () => {
    localStorage.setItem("planogram.depot", depotPicker.value);
    location.hash = `#/driver?date=${date}&depot=${encodeURIComponent(depotPicker.value)}`;
  });

  const picker = el("select", { id: "day", "aria-label": "Day" },
    dates.map((d) => el("option", { value: d, selected: d === date ? "selected" : undefined }, d)));
  picker.addEventListener("change", () => { location.hash = `#/driver?date=${picker.value}`; });
  const trucks = routes.length > 1 ? el("select", { id: "vehicle", "aria-label": "Truck" },
    routes.map((r) => el("option", { value: r.vehicle_id, selected: r === route ? "selected" : undefined }, r.vehicle_id))) : null;
  if (trucks) trucks.addEventListener("change", () => { location.hash = `#/driver?date=${date}&vehicle=${trucks.value}`; });
  const list = el("ol", { id: "stops", class: "stops" });
  const summary = el("p", { id: "day-summary", class: "muted" });
  // Times on the fleet's clock (the answers' time_zone), named once in the summary.
  const zone = picks.time_zone || "UTC";

  const stops = (n) => `${n} stop${n === 1 ? "" : "s"}`;

  // What waits on the phone, sent as soon as the server answers again (checked every few seconds and when the
  // phone says it is back online).
  const outbox = el("p", { id: "outbox", class: "muted", "aria-live": "polite" });
  // "visits" while only visits wait; "items" once a DEX read waits with them.
  const noun = (q) => (q.every((i) => !i.contentType) ? "visit" : "item") + (q.length === 1 ? "" : "s");
  async function showOutbox(sentNow = 0) {
    const waiting = await items();
    const queued = waiting.filter((i) => !i.error);
    const refused = waiting.filter((i) => i.error);
    outbox.dataset.waiting = String(queued.length);
    outbox.replaceChildren(
      queued.length ? `${queued.length} ${noun(queued)} waiting to be sent`
        : sentNow ? `sent: ${sentNow}` : "",
      ...refused.map((i) => el("span", { class: "error refused", dataset: { key: i.key } }, ` ${i.label}: not recorded — ${i.error}`)));
  }
  let flushing = false;
  async function send() {
    if (flushing) return;
    flushing = true;
    try {
      const before = (await items()).filter((i) => !i.error).length;
      if (before) await showOutbox(await flush());
    } finally { flushing = false; }
  }
  const timer = setInterval(send, 3000);
  window.addEventListener("online", send);

  function render() {
    const left = shown.filter((v) => !done.has(v.device_id));
    summary.textContent = route
      ? `${route.vehicle_id}: ${stops(shown.length)} · ${left.length} to go · ${route.distance_km} km · out ${wallTime(route.leave, zone)}, back ${wallTime(route.back, zone)} (${zone})`
      : `${stops(shown.length)}${shown.length < picks.visits.length ? ` of ${picks.visits.length}` : ""} · ${left.length} to go · no route planned, the service plan's order · data as of ${wallTime(picks.as_of, zone, true)} (${zone})`;
    list.replaceChildren(...shown.map((v, i) => stop(v, i, v === left[0])));
    if (route) mapBox.replaceChildren(routeMap({ ...day, depots: day.depots.filter((d) => d.depot_id === route.depot_id), routes: [route], unassigned: [] }, { highlight: left[0] && left[0].device_id, zone }));
  }

  function stop(v, i, next) {
    const isDone = done.has(v.device_id);
    const cabinets = (devices.get(v.device_id) || { cabinets: [] }).cabinets;
    const split = new Set(v.lines.map((l) => l.cabinet_index)).size > 1 || cabinets.length > 1;
    const ordered = [...v.lines].sort((a, b) => a.cabinet_index - b.cabinet_index); // stable: the server's slot order within a cabinet
    const lines = ordered.flatMap((l, k) => {
      const box = el("input", { type: "checkbox", "aria-label": `${l.slot} ticked`, disabled: isDone ? "disabled" : undefined });
      if (isDone) box.checked = true;
      const line = el("li", { class: "pick", dataset: { slot: l.slot, cabinet: String(l.cabinet_index) } },
        el("label", {}, box,
          el("b", {}, l.slot), " ", l.product_name,
          l.load > 0 ? el("span", { class: "load" }, ` load ${l.load}`) : null,
          l.pull > 0 ? el("span", { class: "pull" }, ` pull ${l.pull}`) : null,
          // No fill on record: the plan assumed the slot full (docs/MODELS.md "Stock only from evidence").
          l.stock_basis === "unknown" ? el("span", { class: "unknown", title: "no fill on record: the load assumes the slot at its capacity" }, " · stock unknown, count on site") : null,
          l.load_rule === "par" || l.load_rule === "max" ? el("span", { class: "muted" }, ` (${l.load_rule === "par" ? "to the par" : "the larger of forecast and par"})`) : null));
      if (!split || (k > 0 && ordered[k - 1].cabinet_index === l.cabinet_index)) return [line];
      const c = cabinets.find((c) => c.cabinet_index === l.cabinet_index);
      return [el("li", { class: "cabinet-head", dataset: { cabinet: String(l.cabinet_index) } },
        `Cabinet ${l.cabinet_index}${c ? " · " + c.temperature : ""}`), line];
    });
    const button = el("button", { class: "primary", type: "button", disabled: isDone ? "disabled" : undefined }, isDone ? "Done" : "Visit done");
    button.addEventListener("click", async () => {
      const unticked = [...item.querySelectorAll(".pick input")].filter((b) => !b.checked);
      if (unticked.length && !confirm(`${unticked.length} line(s) not ticked. Record the visit as planned anyway?`)) return;
      button.disabled = true;
      const visit = {
        visit_id: `${v.device_id}@${date}`, device_id: v.device_id, at: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        lines: v.lines.map((l) => ({ cabinet_index: l.cabinet_index, slot: l.slot, units_added: l.load, units_pulled: l.pull })),
      };
      let queued = false;
      try {
        await api("POST", "/api/visits", visit);
      } catch (e) {
        if (e.status !== 0 && e.status !== 503) {
          button.disabled = false;
          toast(e.message);
          return;
        }
        // No signal: the visit waits on the phone and goes when the server can be reached.
        await enqueue({ key: visit.visit_id, path: "/api/visits", body: visit, label: v.device_id });
        queued = true;
      }
      done.add(v.device_id);
      save();
      render();
      await showOutbox();
      const nextStop = list.querySelector(".stop.next");
      if (nextStop) nextStop.scrollIntoView({ block: "start" });
      toast(queued ? "No signal: the visit waits on this phone." : "Visit recorded.", "info");
    });
    // The machine's DEX read, from the reader's file: recorded, and what each slot sold since the last read shown.
    const sold = el("div", { class: "dex-sold" });
    const dexInput = el("input", { type: "file", class: "dex-file", accept: ".txt,.dex,text/plain", "aria-label": `DEX read of ${v.device_id}` });
    dexInput.addEventListener("change", async () => {
      const file = dexInput.files && dexInput.files[0];
      if (!file) return;
      const text = await file.text();
      const path = `/api/devices/${encodeURIComponent(v.device_id)}/dex`;
      try {
        const read = await apiText("POST", path, text);
        sold.replaceChildren(dexSummary(read));
        toast(read.recorded ? "DEX read recorded." : "This DEX read was recorded already.", "info");
      } catch (e) {
        if (e.status === 0 || e.status === 503) {
          // No signal: the read waits with the visits (the same read twice is recorded once).
          await enqueue({ key: `dex:${v.device_id}:${text.length}:${text.slice(-64)}`, path, body: text, contentType: "text/plain",
            label: `${v.device_id} DEX read` });
          sold.replaceChildren(el("p", { class: "muted" }, "No signal: the DEX read waits on this phone."));
          await showOutbox();
          return;
        }
        toast(e.code === "bad_dex" ? `Not a usable DEX read: ${e.message}` : e.message);
      }
    });
    const item = el("li", { class: `stop${isDone ? " done" : ""}${next ? " next" : ""}`, dataset: { device: v.device_id } },
      el("h2", {}, `${i + 1}. ${v.device_id}${names.has(v.device_id) ? " · " + names.get(v.device_id) : ""}`),
      el("p", { class: "muted" }, `${route ? "arrive " : ""}${wallTime(v.at, zone)} · ${v.reasons.join(", ").replace(/_/g, " ")}`),
      el("ul", { class: "picks" }, lines),
      el("label", { class: "dex" }, "DEX read ", dexInput), sold, button);
    return item;
  }

  // The warehouse totals of the stops shown, from the server (a product's units rounded up to whole cases).
  const rows = near.totals;
  const totals = el("details", { class: "totals", id: "totals" }, el("summary", {}, "Warehouse totals (cases)"),
    el("ul", {}, rows.map((t) => el("li", { dataset: { product: t.product_id } }, `${t.product_name}: ${t.units} units = ${t.cases} × ${t.case_size}`))));
  root.replaceChildren(el("section", { class: "driver" }, el("h1", {}, "My day"), picker, trucks, depotPicker, summary, outbox, mapBox, list, totals));
  render();
  await showOutbox();
  send();
  return () => { clearInterval(timer); window.removeEventListener("online", send); };
}

/// What a DEX read says each slot sold since the machine's previous read: known counts, "unknown" where the
/// counters do not say, and the selections no slot is mapped to.
function dexSummary(read) {
  const rows = [];
  for (const s of read.selections) {
    const count = s.vends_since_previous == null ? "unknown" : String(s.vends_since_previous);
    for (const slot of s.slots) {
      rows.push(el("li", { dataset: { slot: slot.slot, cabinet: String(slot.cabinet_index) } }, el("b", {}, slot.slot), ` sold ${count}`));
    }
  }
  return el("div", {},
    el("p", { class: "muted" }, `DEX read ${read.read_at.slice(0, 16).replace("T", " ")} UTC${read.recorded ? "" : " (recorded already)"}` +
      (read.unmapped.length ? ` · selections without a slot: ${read.unmapped.join(", ")}` : "")),
    rows.length ? el("ul", { class: "dex-sold-list" }, rows) : el("p", { class: "muted" }, "No slot is mapped to this machine's selections yet."),
    read.warnings.length ? el("ul", { class: "muted dex-warnings" }, read.warnings.map((w) => el("li", {}, w))) : null);
}
