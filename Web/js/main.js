// The app shell: sign-in by token, a hash router (#/editor, #/dashboard, #/watch/<sid>, #/driver, #/plan, #/fleet, #/experiment/<id>, #/import), and the
// connection indicator every view reports to.

import { api, claims, el, expired, setToken, token, toast } from "./api.js";
import { mountEditor } from "./editor.js";
import { mountDashboard } from "./dashboard.js";
import { mountDriver } from "./driver.js";
import { mountPlan } from "./plan.js";
import { mountFleet } from "./fleet.js";
import { mountExperiment } from "./experiment.js";
import { mountImports } from "./imports.js";

const app = document.getElementById("app");
const conn = document.getElementById("conn");
let unmount = () => {};

const STATES = { idle: "offline", connecting: "connecting…", live: "live", reconnecting: "reconnecting…", closed: "offline" };
// Shown by the views that hold a live stream (editor, watch, sessions); a view without one (the driver's
// day, the plan, the fleet) has nothing to be offline from, so "idle" hides it.
function setConnection(state) {
  conn.dataset.state = state;
  conn.textContent = STATES[state] || state;
  conn.hidden = state === "idle";
}

function header() {
  const c = claims();
  const signedIn = token() && !expired();
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("signout").hidden = !signedIn;
  document.getElementById("who").textContent = signedIn && c ? `${c.name || c.sub} · ${c.role}` : "";
  // Only the views the role may open (the server's roles per route, docs/CONFIGURATION.md); a driver's phone shows
  // Editor (read-only), Plan and My day, which fit its top bar.
  for (const a of document.querySelectorAll("#nav [data-roles]")) a.hidden = !(c && a.dataset.roles.split(" ").includes(c.role));
}

async function signInView(message) {
  const input = el("textarea", { id: "token", rows: 4, placeholder: "Paste a token (planogram-live token --role merchandiser --sub you)", spellcheck: "false" });
  const form = el("form", { id: "signin", class: "signin" },
    el("h1", {}, "Sign in"),
    message ? el("p", { class: "error" }, message) : null,
    el("label", { for: "token" }, "Access token"), input,
    el("button", { class: "primary", type: "submit" }, "Sign in"));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const t = input.value.trim();
    if (!claims(t)) { toast("That is not a token."); return; }
    if (expired(t)) { toast("That token has expired."); return; }
    setToken(t);
    // Keep the page that was asked for (a shared link); otherwise the role's home.
    const asked = parseHash().parts.length > 0;
    const home = { manager: "#/dashboard", driver: "#/driver" }[claims(t).role] || "#/editor";
    const target = asked ? location.hash : home;
    if (location.hash !== target) location.hash = target; else route();
  });
  app.replaceChildren(form);
  // In demo mode the server lists a token per role.
  try {
    const res = await fetch("/api/demo/tokens");
    if (res.ok) {
      const { tokens } = await res.json();
      form.append(el("div", { class: "demo" }, el("p", { class: "muted" }, "Demo mode — sign in as:"),
        tokens.map((t) => el("button", { type: "button", class: "secondary", dataset: { role: t.role },
          onclick: () => { input.value = t.token; form.requestSubmit(); } }, t.role))));
    }
  } catch { /* not in demo mode */ }
}

function parseHash() {
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  const params = Object.fromEntries(new URLSearchParams(query || ""));
  return { parts: path.split("/").filter(Boolean), params };
}

let generation = 0;
async function route() {
  const mine = ++generation;
  unmount();
  unmount = () => {};
  setConnection("idle");
  header();
  if (!token() || expired()) { setToken(""); header(); return signInView(token() ? "Your session has expired; sign in again." : null); }
  const { parts, params } = parseHash();
  const role = (claims() || {}).role;
  const view = parts[0] || ({ manager: "dashboard", driver: "driver" }[role] || "editor");
  for (const a of document.querySelectorAll("[data-nav]")) a.classList.toggle("active", a.dataset.nav === view);
  try {
    let off;
    if (view === "dashboard") off = mountDashboard(app, setConnection);
    else if (view === "driver") off = await mountDriver(app, params);
    else if (view === "plan") off = await mountPlan(app, params);
    else if (view === "fleet") off = await mountFleet(app, params);
    else if (view === "experiment") off = await mountExperiment(app, decodeURIComponent(parts[1] || ""));
    else if (view === "import") off = await mountImports(app);
    else if (view === "watch") off = await mountEditor(app, { sid: decodeURIComponent(parts[1] || ""), watch: true }, setConnection);
    else off = await mountEditor(app, params, setConnection);
    if (mine !== generation) off(); else unmount = off; // a newer route started while this one loaded
  } catch (e) {
    if (e.status === 401) { setToken(""); return signInView("The server did not accept the token; sign in again."); }
    app.replaceChildren(el("p", { class: "error" }, e.message));
  }
}

document.getElementById("signout").addEventListener("click", () => { setToken(""); location.hash = "#/"; route(); });
window.addEventListener("hashchange", route);
route();

// The service worker keeps the page and what it loaded, for a driver without signal (docs/PAGES.md, "Offline").
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
