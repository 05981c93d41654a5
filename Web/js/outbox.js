// The phone's outbox (docs/PAGES.md, "Offline"): writes made while the server cannot be reached wait here, in
// IndexedDB, and are sent in the order they were made when it can be again — each exactly once, since every
// one carries its own identity (a visit's visit_id; the server answers a repeat with recorded: false). A write
// the server refuses (409: the visit's lines changed meanwhile, 4xx) stays, with the reason, for the driver.

import { token } from "./api.js";

const DB = "planogram";
const STORE = "outbox";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "key" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const result = work(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); resolve(result && "result" in result ? result.result : result); };
    t.onerror = () => { db.close(); reject(t.error); };
  });
}

/// Keeps a write to send later: `{key, path, body, label, contentType?}` (a JSON body, or with `contentType` a
/// text one, such as a DEX read); the same key again replaces it.
export async function enqueue(item) {
  await tx("readwrite", (s) => s.put({ ...item, queuedAt: Date.now(), error: null }));
}

/// Every write waiting or refused, oldest first.
export async function items() {
  const all = (await tx("readonly", (s) => s.getAll())) || [];
  return all.sort((a, b) => a.queuedAt - b.queuedAt);
}

/// Sends what waits, oldest first; stops at the first write the network does not take. Returns how many went.
export async function flush() {
  let sent = 0;
  for (const item of await items()) {
    if (item.error) continue;
    let res;
    try {
      const text = item.contentType !== undefined;
      res = await fetch(item.path, { method: "POST",
        headers: { Authorization: `Bearer ${token()}`, "Content-Type": text ? item.contentType : "application/json" },
        body: text ? item.body : JSON.stringify(item.body) });
    } catch (e) {
      break;
    }
    if (res.status === 503) break;
    if (res.ok) {
      await tx("readwrite", (s) => s.delete(item.key));
      sent += 1;
    } else {
      let message = `refused (${res.status})`;
      try { const data = await res.json(); message = (data && data.error && data.error.message) || message; } catch { /* not JSON */ }
      await tx("readwrite", (s) => s.put({ ...item, error: message, status: res.status }));
    }
  }
  return sent;
}
