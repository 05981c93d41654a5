// The AI panel: the selected slot's score with its factors and suggestions, and the reasoning text as it
// streams (Claude or the rules narrator, with its source). On narrow screens it is a bottom sheet that
// slides up when a slot is selected and can be pulled down.

import { el } from "./api.js";

const LABELS = {
  visibility_velocity: "Visibility × velocity", revenue_potential: "Revenue potential", adjacency_affinity: "Neighbour affinity",
  category_clustering: "Category clustering", facings_vs_demand: "Capacity vs demand", hard_constraints: "Hard rules",
};

export class Panel {
  constructor() {
    this.reasoning = new Map(); // slot or "cabinet" → {requestId, text, source, state, message, cached}
    this.slot = null;
    this.onExplain = () => {};
    this.handle = el("button", { class: "sheet-handle", "aria-label": "Show or hide the panel" });
    this.title = el("h2", { id: "panel-title" }, "Select a slot");
    this.scoreBox = el("div", { id: "score", class: "score" });
    this.factors = el("ul", { id: "factors", class: "factors" });
    this.suggestions = el("ul", { id: "suggestions", class: "suggestions" });
    this.source = el("span", { id: "reasoning-source", class: "badge" });
    this.text = el("p", { id: "reasoning-text", class: "reasoning", "aria-live": "polite" });
    this.note = el("p", { id: "reasoning-note", class: "muted" });
    this.explain = el("button", { id: "explain", class: "secondary" }, "Explain this cabinet");
    this.explain.addEventListener("click", () => this.onExplain(this.slot));
    // The slot's capacity and par level (docs/MODELS.md "Par levels"): the par is what the par rule fills to.
    this.onLevels = () => {};
    this.capacityInput = el("input", { id: "slot-capacity", type: "number", min: "1", max: "1000", "aria-label": "Capacity" });
    this.parInput = el("input", { id: "slot-par", type: "number", min: "1", max: "1000", placeholder: "none", "aria-label": "Par level" });
    this.levelsButton = el("button", { id: "slot-levels-set", class: "secondary" }, "Set");
    this.levelsButton.addEventListener("click", () => {
      const capacity = parseInt(this.capacityInput.value, 10);
      const par = this.parInput.value.trim() === "" ? null : parseInt(this.parInput.value, 10);
      this.onLevels(this.slot, capacity, par);
    });
    this.levels = el("div", { id: "slot-levels", class: "levels", hidden: true },
      el("label", {}, "Capacity ", this.capacityInput), el("label", {}, "Par ", this.parInput), this.levelsButton);
    this.root = el("aside", { id: "panel", class: "panel", dataset: { open: "false" } },
      this.handle, this.title, this.levels, this.scoreBox, this.factors, this.suggestions,
      el("div", { class: "reasoning-head" }, el("h3", {}, "Why"), this.source, this.explain), this.text, this.note);
    this.handle.addEventListener("click", () => { this.root.dataset.open = this.root.dataset.open === "true" ? "false" : "true"; });
    this.render();
  }

  show(slot, product, facing = null, editable = false) {
    this.slot = slot;
    this.title.textContent = product ? `${slot} · ${product.name}` : `${slot} · empty`;
    this.levels.hidden = !(facing && editable);
    if (facing) {
      this.capacityInput.value = String(facing.capacity);
      this.parInput.value = facing.par == null ? "" : String(facing.par);
      this.parInput.max = String(facing.capacity);
    }
    this.scoreBox.replaceChildren();
    this.factors.replaceChildren();
    this.suggestions.replaceChildren();
    this.explain.textContent = product ? "Explain" : "Explain this cabinet";
    this.explain.disabled = false;
    if (!product) this.slot = null;
    this.root.dataset.open = "true";
    this.render();
  }

  score(s) {
    const ok = s.constraints_passed;
    this.scoreBox.replaceChildren(el("b", { class: ok ? "" : "bad" }, String(s.score)), el("span", {}, ok ? "/100" : "/100 · breaks a hard rule"));
    this.factors.replaceChildren(...(s.factors || []).map((f) => el("li", { title: f.detail },
      el("span", { class: "label" }, LABELS[f.name] || f.name),
      el("span", { class: "bar" }, el("i", { style: `width:${Math.round((f.value || 0) * 100)}%` })),
      el("span", { class: "pts" }, f.weight ? `${f.contribution}/${f.weight}` : ""),
      el("small", {}, f.detail))));
    this.suggestions.replaceChildren(...(s.suggestions || []).map((x) => el("li", {}, `${x.message} (${x.score})`)));
  }

  key(d) { return d.slot || "cabinet"; }

  entry(d) {
    const k = this.key(d);
    let e = this.reasoning.get(k);
    if (!e || e.requestId !== d.request_id) {
      e = { requestId: d.request_id, text: "", source: d.source || "", state: "streaming", message: "", cached: false, at: Date.now() };
      this.reasoning.set(k, e);
    }
    return e;
  }

  reasoningDelta(d) {
    const e = this.entry(d);
    if (e.source !== d.source) { e.source = d.source; e.text = ""; }
    e.text += d.delta;
    e.state = "streaming";
    e.at = Date.now();
    this.renderIf(d);
  }

  reasoningError(d) {
    const e = this.entry(d);
    e.message = `Claude did not answer (${d.message}); the rules narrator explains instead.`;
    e.text = "";
    this.renderIf(d);
  }

  reasoningDone(d) {
    const e = this.entry(d);
    if (d.cancelled) { e.state = "cancelled"; e.at = Date.now(); this.renderIf(d); return; }
    e.text = d.text; e.source = d.source; e.cached = d.cached; e.model = d.model; e.state = "done";
    this.renderIf(d);
  }

  /// Explanations that were streaming (or were cancelled by a server shutdown) when the connection
  /// dropped and got nothing since: their `reasoning_done` may have been sent while we were away (a
  /// resume replays only newer ids). Asking again is cheap: a finished answer comes back from the
  /// server's cache without a new request.
  stalled(quietMs) {
    const now = Date.now();
    return [...this.reasoning].filter(([, e]) => (e.state === "streaming" || e.state === "cancelled") && now - e.at > quietMs)
      .map(([k]) => (k === "cabinet" ? null : k));
  }

  renderIf(d) { if ((this.slot || "cabinet") === this.key(d)) this.render(); }

  render() {
    const e = this.reasoning.get(this.slot || "cabinet");
    this.text.textContent = e ? e.text : "";
    this.text.dataset.state = e ? e.state : "none";
    this.text.dataset.request = e ? e.requestId : "";
    this.source.textContent = e && e.source ? (e.source === "claude" ? "Claude" : "Rules") + (e.cached ? " · cached" : "") : "";
    this.source.dataset.source = e ? e.source : "";
    this.note.textContent = e && e.message ? e.message : e && e.state === "streaming" ? "…" : "";
  }
}

