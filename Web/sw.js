// The service worker (docs/PAGES.md, "Offline"): the page and its scripts, and every GET of the API the page
// made, are kept on the phone, so a driver who loaded the day can reload it in a basement. Network first,
// the kept copy when the network fails; streams (…/events) and every write go straight to the network (writes
// made offline wait in the page's outbox, js/outbox.js).
const SHELL = "planogram-shell-v1";
const DATA = "planogram-data-v1";
const FILES = [
  "/",
  "/index.html",
  "/css/app.css",
  "/js/api.js",
  "/js/charts.js",
  "/js/dashboard.js",
  "/js/driver.js",
  "/js/editor.js",
  "/js/experiment.js",
  "/js/fleet.js",
  "/js/imports.js",
  "/js/heatmap.js",
  "/js/live.js",
  "/js/main.js",
  "/js/panel.js",
  "/js/plan.js",
  "/js/planogram.js",
  "/js/routemap.js",
  "/js/outbox.js",
];

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (e) => {
  const req = e.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.endsWith("/events")) return;
  const store = url.pathname.startsWith("/api/") ? DATA : SHELL;
  e.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(store).then((c) => c.put(req, copy));
        }
        return res;
      })
      .catch(() =>
        caches.match(req, { ignoreVary: true }).then((kept) => {
          if (kept) return kept;
          if (store === SHELL) return caches.match("/index.html");
          return new Response(JSON.stringify({ error: { code: "offline", message: "Offline, and not kept on this phone." } }),
            { status: 503, headers: { "Content-Type": "application/json" } });
        })));
});
