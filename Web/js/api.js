// Token storage and JSON requests. The token is a JWT pasted at sign-in (or picked from the demo list);
// its claims are read locally only to show who is signed in — the server verifies it on every call.

const KEY = "planogram.token";

export function token() { return localStorage.getItem(KEY) || ""; }
export function setToken(t) { t ? localStorage.setItem(KEY, t.trim()) : localStorage.removeItem(KEY); }

export function claims(t = token()) {
  try {
    const part = t.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch { return null; }
}

export function expired(t = token()) {
  const c = claims(t);
  return !c || (typeof c.exp === "number" && c.exp * 1000 < Date.now());
}

export class APIError extends Error {
  constructor(status, code, message, details) { super(message); this.status = status; this.code = code; this.details = details; }
}

export async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new APIError(0, "network", "The server cannot be reached.");
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    const err = data && data.error ? data.error : { code: "http_" + res.status, message: text || res.statusText };
    throw new APIError(res.status, err.code, err.message, err.details);
  }
  return data;
}

/// Sends `text` as it is (`text/plain`): a DEX read from the machine's reader. Errors as `api`.
export async function apiText(method, path, text) {
  let res;
  try {
    res = await fetch(path, { method, headers: { Authorization: `Bearer ${token()}`, "Content-Type": "text/plain" }, body: text });
  } catch (e) {
    throw new APIError(0, "network", "The server cannot be reached.");
  }
  const body = await res.text();
  let data = null;
  try { data = body ? JSON.parse(body) : null; } catch { data = null; }
  if (!res.ok) {
    const err = data && data.error ? data.error : { code: "http_" + res.status, message: body || res.statusText };
    throw new APIError(res.status, err.code, err.message, err.details);
  }
  return data;
}

let toastTimer = 0;
export function toast(message, kind = "error") {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "dataset") Object.assign(e.dataset, v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c.nodeType ? c : String(c));
  return e;
}

export function money(x) { return (Math.round(x * 100) / 100).toFixed(2); }

/// An instant (ISO 8601) on the fleet's wall clock: "HH:MM", or "YYYY-MM-DD HH:MM" with `withDate`. The
/// zone is the answer's `time_zone` (the server's PLANOGRAM_TIMEZONE); UTC when absent or unknown here.
export function wallTime(iso, zone = "UTC", withDate = false) {
  let f;
  try { f = new Intl.DateTimeFormat("en-GB", { timeZone: zone || "UTC", hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }); }
  catch { f = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }); }
  const p = Object.fromEntries(f.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return withDate ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : `${p.hour}:${p.minute}`;
}

/// A stable colour per category.
export function categoryColour(category) {
  let h = 0;
  for (const ch of category || "") h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h} 65% 88%)`;
}
