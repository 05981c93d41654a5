// The editor: pick a device and cabinet, join its live session, and edit the shared draft by dragging
// products (pointer events: mouse, touch, pen). Everything shown comes from the session's event stream;
// the editor only sends ops, drag positions and explain requests.

import { api, claims, el, money, toast, token, categoryColour } from "./api.js";
import { LiveStream } from "./live.js";
import { Draft, parseSlot, slotCode } from "./planogram.js";
import { drawHeatmap } from "./heatmap.js";
import { Panel } from "./panel.js";

const EVENTS = ["snapshot", "op", "presence", "drag", "score", "heatmap", "revenue", "reasoning", "reasoning_done",
                "reasoning_error", "checkpoint", "published", "proposal", "shutdown"];

export async function mountEditor(root, params, setConnection) {
  const me = claims() || {};
  const canEdit = (me.role === "merchandiser" || me.role === "admin") && !params.watch;
  const [{ devices }, { products: list }] = await Promise.all([api("GET", "/api/devices"), api("GET", "/api/products")]);
  const products = new Map(list.map((p) => [p.product_id, p]));
  if (!devices.length) { root.replaceChildren(el("p", { class: "empty" }, "No devices you may see.")); return () => {}; }

  let deviceId = params.device || devices[0].device_id;
  let cabinetIndex = Number(params.cabinet || 0);
  if (params.sid) [deviceId, cabinetIndex] = [params.sid.split("~")[0], Number(params.sid.split("~")[1])];
  const device = devices.find((d) => d.device_id === deviceId) || devices[0];
  const cabinet = device.cabinets.find((c) => c.cabinet_index === cabinetIndex) || device.cabinets[0];

  // ---- layout
  const deviceSelect = el("select", { id: "device", "aria-label": "Device" },
    devices.map((d) => el("option", { value: d.device_id, selected: d.device_id === device.device_id }, `${d.device_id} · ${d.name}`)));
  const cabinetSelect = el("select", { id: "cabinet", "aria-label": "Cabinet" },
    device.cabinets.map((c) => el("option", { value: c.cabinet_index, selected: c.cabinet_index === cabinet.cabinet_index },
      `Cabinet ${c.cabinet_index} · ${c.rows}×${c.columns} ${c.temperature}`)));
  const go = () => { location.hash = `#/editor?device=${encodeURIComponent(deviceSelect.value)}&cabinet=${cabinetSelect.value}`; };
  deviceSelect.addEventListener("change", () => { cabinetSelect.value = "0"; go(); });
  cabinetSelect.addEventListener("change", go);
  const heatToggle = el("button", { id: "heat-toggle", class: "toggle", "aria-pressed": "false" }, "Heat map");
  // The machine's selection map (docs/formats/DEX.md): which selection number feeds each slot, and the
  // selections of its newest DEX read that no slot is mapped to.
  const selectionsToggle = el("button", { id: "selections-toggle", class: "toggle", "aria-pressed": "false" }, "Selections");
  const selectionsNote = el("p", { id: "selections-note", class: "muted", hidden: true });
  let showSelections = false;
  let selBySlot = new Map();
  const revenueBox = el("div", { id: "revenue", class: "revenue" }, "…");
  const presenceBox = el("ul", { id: "presence", class: "presence", "aria-label": "People in this session" });
  const publishButton = el("button", { id: "publish", class: "primary", hidden: me.role === "driver" }, "Publish");
  const optimizeButton = el("button", { id: "optimize", class: "secondary", hidden: !canEdit }, "Optimize");
  // The newest proposal of the optimizer: drawn on the grid as a diff until someone applies or dismisses it.
  const proposalBar = el("div", { id: "proposal", class: "proposal-bar", hidden: true });
  const versionBox = el("span", { id: "version", class: "muted" });
  const grid = el("div", { id: "grid", class: "grid", style: `--cols:${cabinet.columns}` });
  const heat = el("canvas", { id: "heat", class: "heat", hidden: true });
  const palette = el("div", { id: "palette", class: "palette", hidden: !canEdit });
  const panel = new Panel();
  const mode = el("span", { class: "badge" }, canEdit ? "editing" : "watching (read-only)");
  const status = el("p", { id: "kb-status", class: "muted kb-status", role: "status", "aria-live": "polite" });
  root.replaceChildren(el("section", { class: "editor" },
    el("div", { class: "toolbar" }, deviceSelect, cabinetSelect, heatToggle, selectionsToggle, mode, versionBox, revenueBox, presenceBox, optimizeButton, publishButton),
    proposalBar,
    el("div", { class: "workspace" }, palette, el("div", { class: "cabinet-wrap" }, grid, heat, status, selectionsNote), panel.root)));

  // ---- session
  let draft = null;
  let heatCells = [];
  let selected = null;
  let published = false; // showing the published planogram, not a live session
  const remoteDrags = new Map(); // user → {slot, name, score, ok}
  let myPreview = null; // {slot, score, ok}
  let proposal = null; // the optimizer's newest: {proposal_id, changes, planogram, lift_percentage, predicted_revenue, by, name, base_version}
  const sid = `${device.device_id}~${cabinet.cabinet_index}`;
  try {
    // The query repeats the body so that nginx in front of a cluster sends the open call to the node that
    // holds the cabinet's session (Ops/nginx-cluster.conf); the server checks the two agree.
    const where = `device_id=${encodeURIComponent(device.device_id)}&cabinet_index=${cabinet.cabinet_index}`;
    await api("POST", `/api/sessions?${where}`, { device_id: device.device_id, cabinet_index: cabinet.cabinet_index });
  } catch (e) {
    if (e.status !== 403) { root.append(el("p", { class: "error" }, e.message)); return () => {}; }
    // Drivers (and anyone who may not join) see the published planogram, read-only: the pick list.
    const p = await api("GET", `/api/planograms/${encodeURIComponent(device.device_id)}/${cabinet.cabinet_index}`);
    draft = new Draft({ planogram: p, version: p.version, seq: 0 }, products);
    mode.textContent = "published planogram (read-only)";
    publishButton.hidden = true;
    optimizeButton.hidden = true;
    heatToggle.hidden = true;
    versionBox.textContent = `v${p.version}`;
    revenueBox.replaceChildren();
    published = true;
    panel.explain.hidden = true;
  }

  // ---- palette: the products that fit the cabinet's temperature
  const search = el("input", { type: "search", placeholder: "Find a product", "aria-label": "Find a product" });
  const chips = el("div", { class: "chips" });
  // docs/ARCHITECTURE.md: an ambient product may sit in a chilled cabinet; frozen only with frozen; chilled never in ambient.
  const fits = list.filter((p) => p.temperature === cabinet.temperature
    || (cabinet.temperature === "chilled" && p.temperature === "ambient"));
  const renderPalette = () => {
    const q = search.value.trim().toLowerCase();
    chips.replaceChildren(...fits.filter((p) => !q || p.name.toLowerCase().includes(q) || p.category.includes(q)).map((p) => {
      const chip = el("div", { class: "chip", dataset: { product: p.product_id }, style: `--cat:${categoryColour(p.category)}`, title: p.category },
        el("b", {}, p.name), el("span", {}, `${money(p.price)} · ${p.category}${p.width_cols === 2 ? " · 2 wide" : ""}`));
      chip.addEventListener("pointerdown", (ev) => startDrag(ev, chip, p.product_id, null));
      return chip;
    }));
  };
  search.addEventListener("input", renderPalette);
  // Recommended for this venue (docs/MODELS.md): the best expected revenue per day here, with what it rests on.
  const recommended = el("div", { id: "recommended", class: "chips recommended" });
  palette.append(el("h2", {}, "Recommended here"), recommended, el("h2", {}, "Products"), search, chips);
  renderPalette();
  if (canEdit) {
    api("GET", `/api/devices/${encodeURIComponent(device.device_id)}/recommendations?limit=40`).then((r) => {
      const fitting = new Set(fits.map((p) => p.product_id));
      recommended.replaceChildren(...r.recommendations.filter((x) => fitting.has(x.product_id)).slice(0, 6).map((x) => {
        const p = products.get(x.product_id);
        const chip = el("div", { class: "chip rec", dataset: { product: x.product_id, basis: x.basis }, style: `--cat:${categoryColour(x.category)}`,
          title: `${x.expected_units_per_day} units/day expected here (${x.basis} basis)` },
          el("b", {}, x.name), el("span", {}, `${money(x.expected_revenue_per_day)}/day · ${x.new_to_device ? "new · " : ""}${x.basis}${p && p.width_cols === 2 ? " · 2 wide" : ""}`));
        chip.addEventListener("pointerdown", (ev) => startDrag(ev, chip, x.product_id, null));
        return chip;
      }));
    }).catch(() => recommended.replaceChildren(el("p", { class: "muted" }, "No recommendations (the models are not ready).")));
  }

  // ---- grid
  let dragging = false, gridDirty = false;
  function renderGrid() {
    if (!draft) return;
    // The dragged element holds the pointer capture: it is not replaced mid-drag.
    if (dragging) { gridDirty = true; renderOverlays(); return; }
    const cells = [];
    for (let r = 0; r < cabinet.rows; r++) {
      for (let c = 0; c < cabinet.columns; c++) {
        const code = slotCode(r, c);
        const a = draft.anchor(code);
        if (a && a !== code) continue; // covered by the 2-wide product to the left
        const f = draft.facings.get(code);
        const p = f ? products.get(f.product_id) : null;
        const wide = p && p.width_cols === 2;
        const cell = el("div", {
          class: `slot${f ? "" : " empty"}${selected === code ? " selected" : ""}`, role: "button", tabindex: "0",
          dataset: { slot: code }, style: wide ? "grid-column: span 2" : undefined, "aria-label": f ? `${code}: ${p ? p.name : f.product_id}` : `${code}: empty`,
        }, el("span", { class: "code" }, code));
        if (f) {
          const tile = el("div", { class: "tile", dataset: { product: f.product_id }, style: `--cat:${categoryColour(p ? p.category : "")}` },
            el("b", { class: "name" }, p ? p.name : f.product_id),
            el("span", { class: "meta" }, `${p ? money(p.price) : "?"} · ×${f.capacity}`));
          if (canEdit) tile.addEventListener("pointerdown", (ev) => startDrag(ev, tile, f.product_id, code));
          cell.append(tile);
        }
        if (showSelections && selBySlot.has(code)) cell.append(el("span", { class: "sel", title: "DEX selection" }, selBySlot.get(code).join(", ")));
        cell.addEventListener("click", () => select(code));
        cell.addEventListener("keydown", (e) => onCellKey(e, code));
        cells.push(cell);
      }
    }
    grid.style.setProperty("--rows", cabinet.rows);
    const hadFocus = grid.contains(document.activeElement);
    grid.replaceChildren(...cells);
    if (hadFocus && focusSlot) { const f = grid.querySelector(`[data-slot="${focusSlot}"]`); if (f) f.focus(); }
    renderOverlays();
    renderProposal();
    if (!heat.hidden) drawHeatmap(heat, grid, heatCells);
  }

  // ---- keyboard: arrows move between slots; M picks the selected product up, arrows carry it, Enter
  // drops it (a move, or a swap onto a full slot), Escape puts it back. Others see it like a drag.
  let focusSlot = null, kbMove = null;
  function onCellKey(e, code) {
    const cell = e.currentTarget;
    const arrows = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (arrows[e.key]) {
      e.preventDefault();
      const { row, column } = parseSlot(code);
      const [dr, dc] = arrows[e.key];
      let r = row + dr, c = column + dc;
      // Skip the right half of a 2-wide product.
      while (r >= 0 && r < cabinet.rows && c >= 0 && c < cabinet.columns && !grid.querySelector(`[data-slot="${slotCode(r, c)}"]`)) c += dc || 1;
      const next = grid.querySelector(`[data-slot="${slotCode(r, c)}"]`);
      if (!next) return;
      focusSlot = next.dataset.slot;
      next.focus();
      if (kbMove) { myPreview = { slot: focusSlot, score: undefined }; renderOverlays(); sendDrag(kbMove.productId, focusSlot); }
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      if (kbMove) {
        const { productId, from } = kbMove;
        kbMove = null; myPreview = null;
        sendDrag(productId, null);
        if (code !== from) drop(productId, from, code); else renderOverlays();
        status.textContent = "";
      } else select(code);
    } else if ((e.key === "m" || e.key === "M") && canEdit && !kbMove) {
      const a = draft.anchor(code);
      const f = a ? draft.facings.get(a) : null;
      if (!f) return;
      kbMove = { productId: f.product_id, from: a };
      status.textContent = `Moving ${(products.get(f.product_id) || {}).name || f.product_id}: arrow keys, Enter to drop, Escape to cancel.`;
    } else if (e.key === "Escape" && kbMove) {
      sendDrag(kbMove.productId, null);
      kbMove = null; myPreview = null; renderOverlays();
      status.textContent = "";
    }
  }
  grid.addEventListener("focusin", (e) => { const c = e.target.closest && e.target.closest(".slot"); if (c) focusSlot = c.dataset.slot; });

  /// Other editors' drags and my own preview score, over the cells, without rebuilding them.
  function renderProposal() {
    if (!proposal && proposalBar.hidden) return; // nothing drawn, nothing to clear (the usual case, on every op)
    for (const c of grid.querySelectorAll(".slot")) c.classList.remove("proposal-in", "proposal-out");
    for (const o of grid.querySelectorAll(".proposed")) o.remove();
    if (!proposal || !draft || proposal.base_version !== draft.version) {
      proposalBar.hidden = true;
      if (proposal && draft && proposal.base_version !== draft.version) proposal = null; // the draft moved on: stale
      return;
    }
    const next = new Map(proposal.planogram.slots.map((x) => [x.slot, x.product_id]));
    for (const c of proposal.changes) {
      const cell = grid.querySelector(`[data-slot="${c.slot}"]`);
      if (!cell) continue;
      if (c.type === "clear" && !next.has(c.slot)) cell.classList.add("proposal-out");
      if (c.type === "place") {
        cell.classList.add("proposal-in");
        const p = products.get(c.product_id);
        cell.append(el("span", { class: "proposed", dataset: { product: c.product_id } }, `→ ${p ? p.name : c.product_id}`));
      }
    }
    const lift = Number(proposal.lift_percentage || 0);
    const apply = el("button", { id: "proposal-apply", class: "primary", hidden: !canEdit }, "Apply");
    const dismiss = el("button", { id: "proposal-dismiss", class: "secondary" }, "Dismiss");
    apply.addEventListener("click", async () => {
      apply.disabled = true;
      try { await api("POST", `/api/sessions/${sid}/proposals/${proposal.proposal_id}/apply`, {}); proposal = null; renderProposal(); }
      catch (e) { apply.disabled = false; toast(e.message); }
    });
    dismiss.addEventListener("click", () => { proposal = null; renderProposal(); });
    proposalBar.replaceChildren(
      el("span", {}, `${proposal.name || proposal.by} proposes ${proposal.changes.length} change(s): ${lift >= 0 ? "+" : ""}${lift.toFixed(1)} % predicted revenue`
        + ` (${money(proposal.predicted_revenue)} over ${proposal.forecast_days || 30} days${proposal.gap > 0 ? `, within ${(proposal.gap * 100).toFixed(2)} % of the optimum` : ", optimal"})`),
      apply, dismiss);
    proposalBar.hidden = false;
  }

  optimizeButton.addEventListener("click", async () => {
    optimizeButton.disabled = true;
    optimizeButton.textContent = "Optimizing…";
    try { await api("POST", `/api/sessions/${sid}/propose`, { time_limit_seconds: 10 }); }
    catch (e) { toast(e.message); }
    finally { setTimeout(() => { optimizeButton.disabled = false; optimizeButton.textContent = "Optimize"; }, 500); }
  });

  function renderOverlays() {
    for (const o of grid.querySelectorAll(".remote-drag, .preview")) o.remove();
    const cellOf = (slot) => grid.querySelector(`[data-slot="${slot}"]`) || (draft && draft.anchor(slot) && grid.querySelector(`[data-slot="${draft.anchor(slot)}"]`));
    for (const [user, d] of remoteDrags) {
      const cell = cellOf(d.slot);
      if (cell) cell.append(el("span", { class: `remote-drag${d.ok === false ? " bad" : ""}`, dataset: { user } }, `${d.name}${d.score !== undefined ? " · " + d.score : ""}`));
    }
    if (myPreview) {
      const cell = cellOf(myPreview.slot);
      if (cell) cell.append(el("span", { class: `preview${myPreview.ok === false ? " bad" : ""}`, id: "preview-score" }, myPreview.score ?? "…"));
    }
  }

  async function select(code) {
    const a = draft.anchor(code);
    selected = a || code;
    renderGrid();
    const f = a ? draft.facings.get(a) : null;
    panel.show(selected, f ? products.get(f.product_id) : null, f, !published);
    if (!f || published) return;
    try {
      const s = await api("POST", "/api/planograms/realtime/score", {
        product_id: f.product_id, slot_position: a, device_id: device.device_id, cabinet_index: cabinet.cabinet_index, planogram: draft.json() });
      if (selected === a) panel.score(s);
    } catch (e) { if (e.status !== 503) toast(e.message); }
  }

  // Capacity and par from the panel: an op each for what changed (the server refuses a par above capacity).
  panel.onLevels = async (slot, capacity, par) => {
    const a = slot && draft.anchor(slot);
    const f = a && draft.facings.get(a);
    if (!f) return;
    let base = draft.version;
    const send = async (op) => {
      const ack = await api("POST", `/api/sessions/${sid}/ops`, { client_op_id: crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2), base_version: base, op });
      base = ack.version; // the second op builds on the first
      selectWhenApplied(ack.seq, a);
    };
    try {
      if (Number.isInteger(capacity) && capacity !== f.capacity) await send({ type: "set_capacity", slot: a, capacity });
      if (par !== (f.par ?? null)) await send({ type: "set_par", slot: a, par });
      toast(`${a}: capacity ${capacity}${par == null ? ", no par" : `, par ${par}`}`, "ok");
    } catch (e) { toast(e.message); }
  };

  panel.onExplain = async (slot) => {
    try { await api("POST", `/api/sessions/${sid}/explain`, slot ? { slot } : {}); } catch (e) { toast(e.message); }
  };

  async function loadSelections() {
    const map = await api("GET", `/api/devices/${encodeURIComponent(device.device_id)}/selections`);
    selBySlot = new Map();
    const mapped = new Set();
    for (const [cab, sels] of Object.entries(map)) {
      for (const [sel, slots] of Object.entries(sels)) {
        mapped.add(sel);
        if (Number(cab) !== cabinet.cabinet_index) continue;
        for (const s of slots) selBySlot.set(s, [...(selBySlot.get(s) || []), sel]);
      }
    }
    const { reads } = await api("GET", `/api/devices/${encodeURIComponent(device.device_id)}/dex?limit=1`);
    const newest = reads[0];
    const unmapped = newest ? newest.selections.filter((s) => !mapped.has(s)) : [];
    selectionsNote.textContent = !newest
      ? (mapped.size ? "No DEX read yet; the map was set by hand." : "No DEX read yet: the selection map is made at the machine's first read.")
      : unmapped.length
        ? `Selections of the newest read (${newest.read_at.slice(0, 10)}) no slot is mapped to: ${unmapped.join(", ")}`
        : `Every selection of the newest read (${newest.read_at.slice(0, 10)}) is mapped to a slot.`;
    selectionsNote.dataset.unmapped = unmapped.join(",");
  }
  selectionsToggle.addEventListener("click", async () => {
    showSelections = !showSelections;
    selectionsToggle.setAttribute("aria-pressed", String(showSelections));
    selectionsNote.hidden = !showSelections;
    if (showSelections) { try { await loadSelections(); } catch (e) { toast(e.message); } }
    renderGrid();
  });

  heatToggle.addEventListener("click", () => {
    heat.hidden = !heat.hidden;
    heatToggle.setAttribute("aria-pressed", String(!heat.hidden));
    if (!heat.hidden) drawHeatmap(heat, grid, heatCells);
  });
  const onResize = () => { if (!heat.hidden) drawHeatmap(heat, grid, heatCells); };
  window.addEventListener("resize", onResize);

  publishButton.addEventListener("click", async () => {
    try {
      const r = await api("POST", `/api/sessions/${sid}/publish`, {});
      toast(`Published as version ${r.planogram_version}`, "ok");
    } catch (e) { toast(e.message); }
  });

  // ---- drag and drop with pointer events
  let sendTimer = 0, lastSent = 0, pending = null;
  function sendDrag(productId, slot) {
    pending = { product_id: productId, slot };
    const flush = () => {
      const body = pending; pending = null; lastSent = performance.now();
      api("POST", `/api/sessions/${sid}/drag`, body).catch(() => {});
    };
    const wait = 33 - (performance.now() - lastSent);
    clearTimeout(sendTimer);
    if (wait <= 0 || slot === null) flush(); else sendTimer = setTimeout(flush, wait);
  }

  function startDrag(ev, source, productId, fromSlot) {
    if (!canEdit || ev.button > 0) return;
    ev.preventDefault();
    const p = products.get(productId);
    const ghost = el("div", { class: "ghost", style: `--cat:${categoryColour(p ? p.category : "")}` }, p ? p.name : productId);
    document.body.append(ghost);
    let hover = null;
    const place = (e) => { ghost.style.transform = `translate(${e.clientX + 8}px, ${e.clientY + 8}px)`; };
    place(ev);
    source.setPointerCapture(ev.pointerId);
    source.classList.add("dragging");
    dragging = true;
    const move = (e) => {
      place(e);
      const under = document.elementFromPoint(e.clientX, e.clientY);
      const cell = under && under.closest && under.closest("#grid .slot");
      const slot = cell ? cell.dataset.slot : null;
      if (slot !== hover) {
        hover = slot;
        myPreview = slot ? { slot, score: undefined } : null;
        renderOverlays();
        sendDrag(productId, slot);
      }
    };
    const end = (e, dropped) => {
      source.removeEventListener("pointermove", move);
      source.removeEventListener("pointerup", up);
      source.removeEventListener("pointercancel", cancel);
      source.classList.remove("dragging");
      ghost.remove();
      myPreview = null;
      dragging = false;
      sendDrag(productId, null);
      if (dropped && hover && hover !== fromSlot) drop(productId, fromSlot, hover);
      // Cells are rebuilt only if something changed meanwhile: a tap must keep its element for the click.
      if (gridDirty) { gridDirty = false; renderGrid(); } else renderOverlays();
    };
    const up = (e) => end(e, true);
    const cancel = (e) => end(e, false);
    source.addEventListener("pointermove", move);
    source.addEventListener("pointerup", up);
    source.addEventListener("pointercancel", cancel);
  }

  // The reply to an op and its `op` event travel on two connections, in either order: the slot is selected
  // once the page's own draft holds the change, or the panel would show the slot as it was before.
  let pendingSelect = null;
  function selectWhenApplied(seq, slot) {
    if (draft && draft.seq >= seq) { pendingSelect = null; select(slot); } else pendingSelect = { seq, slot };
  }
  function selectPending() {
    if (pendingSelect && draft && draft.seq >= pendingSelect.seq) { const { slot } = pendingSelect; pendingSelect = null; select(slot); }
  }

  async function drop(productId, fromSlot, to) {
    const target = draft.anchor(to);
    let op;
    if (fromSlot === null) {
      const old = target ? draft.facings.get(target) : null;
      op = { type: "place", slot: target || to, product_id: productId, capacity: old ? old.capacity : 8 };
    } else {
      op = target ? { type: "swap", a: fromSlot, b: target } : { type: "move", from: fromSlot, to };
    }
    try {
      const ack = await api("POST", `/api/sessions/${sid}/ops`, { client_op_id: crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2), base_version: draft.version, op });
      selectWhenApplied(ack.seq, op.type === "swap" ? op.b : op.type === "move" ? op.to : op.slot);
    } catch (e) {
      toast(e.status === 409 ? "Someone else changed that slot first." : e.message);
    }
  }

  // ---- events
  function setRevenue(r) {
    if (!r) return;
    const lift = Number(r.lift_percentage || 0);
    revenueBox.replaceChildren(
      el("span", { class: "muted" }, `${r.forecast_days || 30}-day forecast `),
      el("b", { id: "predicted" }, money(r.predicted_revenue)),
      el("span", { id: "lift", class: lift > 0 ? "up" : lift < 0 ? "down" : "" }, ` ${lift > 0 ? "+" : ""}${lift.toFixed(1)}%`));
  }
  function setPresence(list) {
    presenceBox.replaceChildren(...list.map((p) => el("li", { class: p.mode, dataset: { user: p.user }, title: `${p.role}, ${p.mode}` }, p.name)));
  }

  if (published) { renderGrid(); return () => window.removeEventListener("resize", onResize); }

  let wasDown = false, recheck = 0;
  const onState = (state) => {
    setConnection(state);
    if (state === "reconnecting") wasDown = true;
    if (state === "live" && wasDown) {
      wasDown = false;
      clearTimeout(recheck);
      recheck = setTimeout(() => { for (const slot of panel.stalled(2000)) panel.onExplain(slot); }, 2500);
    }
  };
  const stream = new LiveStream(`/api/sessions/${sid}/events?access_token=${encodeURIComponent(token())}`, {
    events: EVENTS,
    onState,
    onEvent: (name, d) => {
      switch (name) {
        case "snapshot":
          draft = new Draft(d, products);
          heatCells = (d.heatmap && d.heatmap.cells) || [];
          setRevenue(d.revenue);
          setPresence(d.participants || []);
          versionBox.textContent = `v${d.version}`;
          renderGrid();
          selectPending();
          break;
        case "op":
          if (!draft) return;
          draft.apply(d.op);
          draft.version = d.version; draft.seq = d.seq;
          versionBox.textContent = `v${d.version}`;
          remoteDrags.delete(d.by);
          renderGrid();
          selectPending();
          break;
        case "presence": setPresence(d.participants || []); break;
        case "drag":
          if (d.by === me.sub) {
            if (myPreview && myPreview.slot === d.slot) { myPreview.score = d.score; myPreview.ok = d.constraints_passed; renderOverlays(); }
          } else {
            if (d.slot) remoteDrags.set(d.by, { slot: d.slot, name: d.name || d.by, score: d.score, ok: d.constraints_passed });
            else remoteDrags.delete(d.by);
            renderOverlays();
          }
          break;
        case "score": if (d.slot === selected) panel.score(d); break;
        case "heatmap": heatCells = d.cells || []; if (!heat.hidden) drawHeatmap(heat, grid, heatCells); break;
        case "revenue": setRevenue(d); break;
        case "reasoning": panel.reasoningDelta(d); break;
        case "reasoning_error": panel.reasoningError(d); break;
        case "reasoning_done": panel.reasoningDone(d); break;
        case "proposal": proposal = d; renderProposal(); break;
        case "published": toast(`Version ${d.planogram_version} published by ${d.name || d.by}`, "ok"); break;
        default: break;
      }
    },
  });
  return () => { stream.close(); clearTimeout(recheck); window.removeEventListener("resize", onResize); };
}
