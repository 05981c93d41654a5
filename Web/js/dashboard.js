// The managers' dashboard: live sessions with their participants and activity, kept current by the
// `sessions` stream. A click opens the session read-only.

import { el, token } from "./api.js";
import { LiveStream } from "./live.js";

function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

export function mountDashboard(root, setConnection) {
  const list = el("div", { id: "sessions", class: "sessions" }, el("p", { class: "muted" }, "Waiting for the live list…"));
  root.replaceChildren(el("section", { class: "dashboard" }, el("h1", {}, "Live sessions"), list));
  let last = [];
  const render = () => {
    if (!last.length) { list.replaceChildren(el("p", { class: "muted" }, "No live sessions right now.")); return; }
    list.replaceChildren(...last.map((s) => el("a", { class: "session-card", href: `#/watch/${encodeURIComponent(s.session_id)}`, dataset: { sid: s.session_id } },
      el("h2", {}, `${s.device_id} · cabinet ${s.cabinet_index}`),
      el("p", { class: "muted" }, `v${s.version} · ${s.ops} ops · active ${ago(s.last_activity)}`),
      el("ul", { class: "presence" }, (s.participants || []).map((p) => el("li", { class: p.mode, title: `${p.role}, ${p.mode}` }, p.name))),
      el("span", { class: "watch" }, "Watch →"))));
  };
  const stream = new LiveStream(`/api/sessions/events?access_token=${encodeURIComponent(token())}`, {
    events: ["sessions", "shutdown"],
    onState: setConnection,
    onEvent: (name, d) => { if (name === "sessions") { last = d.sessions || []; render(); } },
  });
  const tick = setInterval(render, 10_000);
  return () => { stream.close(); clearInterval(tick); };
}
