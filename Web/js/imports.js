// The admin's imports (#/import): a DEX read for a device, a telemetry export (the ePort preset or a mapping),
// and a CVD database, each sent from the browser with its upload's progress; a large export runs as a job
// whose progress streams over SSE. Each answer's report is shown as it came: what was imported, what was left
// out and why, what was assumed (docs/formats/DEX.md, EXPORTS.md, CVD.md).

import { api, el, toast, token } from "./api.js";

/// An upload with progress: XMLHttpRequest is what reports how much of a body has gone.
function upload(path, body, type, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open("POST", path);
    x.setRequestHeader("Authorization", `Bearer ${token()}`);
    x.setRequestHeader("Content-Type", type);
    x.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    x.onload = () => {
      let data = null;
      try { data = x.responseText ? JSON.parse(x.responseText) : null; } catch { data = null; }
      if (x.status >= 200 && x.status < 300) resolve({ status: x.status, data });
      else reject(Object.assign(new Error((data && data.error && data.error.message) || `HTTP ${x.status}`),
        { status: x.status, details: data && data.error && data.error.details }));
    };
    x.onerror = () => reject(new Error("The server cannot be reached."));
    x.send(body);
  });
}

/// A job's progress until it ends; resolves with its result.
function followJob(id, onProgress) {
  return new Promise((resolve, reject) => {
    const es = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events?access_token=${encodeURIComponent(token())}`);
    es.addEventListener("progress", (e) => { const d = JSON.parse(e.data); onProgress(d.progress, d.message); });
    es.addEventListener("done", (e) => { es.close(); resolve(JSON.parse(e.data).result); });
    for (const end of ["failed", "cancelled"]) {
      es.addEventListener(end, (e) => { es.close(); reject(new Error(JSON.parse(e.data).error || end)); });
    }
  });
}

function card(id, title, ...children) {
  return el("section", { id, class: "card import" }, el("h2", {}, title), ...children);
}

/// A report as lines: counts first, then lists (left out, assumed).
function report(box, data) {
  const rows = [];
  for (const [k, v] of Object.entries(data)) {
    if (Array.isArray(v)) {
      if (!v.length) continue;
      rows.push(el("dt", {}, k.replaceAll("_", " ")),
        el("dd", {}, el("ul", {}, v.slice(0, 20).map((x) => el("li", {}, typeof x === "object" ? Object.values(x).join(": ") : String(x))),
          v.length > 20 ? el("li", { class: "muted" }, `… and ${v.length - 20} more`) : null)));
    } else if (v !== null && typeof v !== "object") {
      rows.push(el("dt", {}, k.replaceAll("_", " ")), el("dd", { dataset: { key: k } }, typeof v === "number" ? String(Math.round(v * 100) / 100) : String(v)));
    }
  }
  box.replaceChildren(el("dl", { class: "report" }, rows));
}

export async function mountImports(root) {
  const devices = (await api("GET", "/api/devices")).devices || [];
  // A DEX read for a device.
  const dexDevice = el("select", { id: "dex-device" }, devices.map((d) => el("option", { value: d.device_id }, `${d.device_id} · ${d.name}`)));
  const dexFile = el("input", { id: "dex-file", type: "file" });
  const dexProgress = el("progress", { id: "dex-progress", max: 1, value: 0 });
  const dexReport = el("div", { id: "dex-report" });
  const dexSend = el("button", { id: "dex-send", class: "primary" }, "Record the read");
  dexSend.addEventListener("click", async () => {
    const f = dexFile.files[0];
    if (!f) return toast("Choose the read's file.");
    try {
      const r = await upload(`/api/devices/${encodeURIComponent(dexDevice.value)}/dex`, await f.text(), "text/plain", (p) => { dexProgress.value = p; });
      dexProgress.value = 1;
      report(dexReport, { recorded: r.data.recorded, read_id: r.data.read_id, read_at: r.data.read_at, read_at_basis: r.data.read_at_basis,
        unmapped: r.data.unmapped || [], warnings: r.data.warnings || [] });
    } catch (e) { toast(e.message); }
  });
  // A telemetry export.
  const format = el("select", { id: "export-format" }, el("option", { value: "eport" }, "ePort / Seed"), el("option", { value: "mapping" }, "Another export: a mapping"));
  const mapping = el("textarea", { id: "export-mapping", rows: 4, hidden: true, spellcheck: "false",
    placeholder: '{"device": "Machine", "time": "Sold At", "time_format": "yyyy-MM-dd HH:mm", "product": "Item", "price": "Price"}' });
  format.addEventListener("change", () => { mapping.hidden = format.value !== "mapping"; });
  const strict = el("input", { id: "export-strict", type: "checkbox" });
  const exportFile = el("input", { id: "export-file", type: "file", accept: ".csv,text/csv" });
  const exportProgress = el("progress", { id: "export-progress", max: 1, value: 0 });
  const exportStatus = el("p", { id: "export-status", class: "muted" });
  const exportReport = el("div", { id: "export-report" });
  const exportSend = el("button", { id: "export-send", class: "primary" }, "Import the export");
  exportSend.addEventListener("click", async () => {
    const f = exportFile.files[0];
    if (!f) return toast("Choose the export's file.");
    const fmt = format.value === "eport" ? "eport" : mapping.value.trim();
    const path = `/api/import/transactions?format=${encodeURIComponent(fmt)}${strict.checked ? "&strict=true" : ""}`;
    try {
      exportStatus.textContent = "uploading…";
      // The upload is the first half of the bar; the server's reading and writing the second.
      const r = await upload(path, f, "text/csv", (p) => { exportProgress.value = p / 2; });
      let data = r.data;
      if (r.status === 202) {
        exportStatus.textContent = "importing…";
        data = await followJob(r.data.job_id, (p, message) => { exportProgress.value = 0.5 + p / 2; exportStatus.textContent = message; });
      }
      exportProgress.value = 1;
      exportStatus.textContent = `${data.imported} lines imported, ${data.skipped} left out`;
      report(exportReport, data);
    } catch (e) {
      exportStatus.textContent = "";
      toast(e.message);
      if (e.details && e.details.missing_columns) report(exportReport, { missing_columns: e.details.missing_columns });
    }
  });
  // A CVD database.
  const cvdFile = el("input", { id: "cvd-file", type: "file", accept: ".sqlite,.db" });
  const cvdProgress = el("progress", { id: "cvd-progress", max: 1, value: 0 });
  const cvdReport = el("div", { id: "cvd-report" });
  const cvdLinks = el("div", { id: "cvd-links" });
  // The reads the migration could not place, by serial: the admin names each serial's device, then migrates
  // again (the file is still chosen) and those reads are recorded.
  async function offerLinks(data) {
    const serials = [...new Set((data.dex_reads_left_out || []).map((x) => x.serial).filter(Boolean))];
    if (!serials.length) return cvdLinks.replaceChildren();
    // The devices as they are now: the migration has just added its own.
    const now = (await api("GET", "/api/devices")).devices || [];
    const rows = serials.map((serial) => {
      const pick = el("select", { class: "link-device" }, el("option", { value: "" }, "— which device? —"),
        now.map((d) => el("option", { value: d.device_id }, `${d.device_id} · ${d.name}`)));
      const done = el("span", { class: "muted link-done" });
      const send = el("button", { class: "link-send" }, "Link");
      send.addEventListener("click", async () => {
        if (!pick.value) return toast("Choose the device this machine's serial belongs to.");
        try {
          await api("PUT", `/api/devices/${encodeURIComponent(pick.value)}/dex-serial`, { serial });
          done.textContent = `linked to ${pick.value}: migrate again to record its reads`;
        } catch (e) { toast(e.message); }
      });
      return el("li", { dataset: { serial } }, el("code", {}, serial), " ", pick, " ", send, " ", done);
    });
    const again = el("button", { id: "cvd-again" }, "Migrate again");
    again.addEventListener("click", () => cvdSend.click());
    cvdLinks.replaceChildren(el("h3", {}, "Reads placed on no device"),
      el("p", { class: "muted" }, "Name the device each machine serial belongs to, then migrate again."), el("ul", {}, rows), again);
  }
  const cvdSend = el("button", { id: "cvd-send", class: "primary" }, "Migrate");
  cvdSend.addEventListener("click", async () => {
    const f = cvdFile.files[0];
    if (!f) return toast("Choose the CVD database file.");
    try {
      const r = await upload("/api/import/cvd", f, "application/octet-stream", (p) => { cvdProgress.value = p; });
      cvdProgress.value = 1;
      report(cvdReport, r.data);
      await offerLinks(r.data);
    } catch (e) { toast(e.message); }
  });
  root.replaceChildren(el("div", { class: "imports" },
    el("h1", {}, "Imports"),
    card("import-dex", "A DEX read", el("p", { class: "muted" }, "The machine's audit read as the reader saved it."),
      el("label", {}, "Device ", dexDevice), dexFile, dexSend, dexProgress, dexReport),
    card("import-export", "A telemetry export", el("p", { class: "muted" }, "Card-reader transactions as the telemetry system exports them (CSV)."),
      el("label", {}, "Format ", format), mapping, el("label", {}, strict, " refuse the whole file if a row cannot be used"),
      exportFile, exportSend, exportProgress, exportStatus, exportReport),
    card("import-cvd", "A CVD database", el("p", { class: "muted" }, "Migrate the machines, layouts, sales and fills of a CVD system."),
      cvdFile, cvdSend, cvdProgress, cvdReport, cvdLinks)));
  return () => {};
}
