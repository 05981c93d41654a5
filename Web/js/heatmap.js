// The heat-map layer: a canvas over the grid, one translucent cell per slot coloured by its value
// (0 = cool blue, 100 = hot red), redrawn when a `heatmap` event arrives or the grid is resized.

export function drawHeatmap(canvas, grid, cells) {
  const rect = grid.getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(rect.width * ratio));
  canvas.height = Math.max(1, Math.round(rect.height * ratio));
  canvas.style.width = rect.width + "px";
  canvas.style.height = rect.height + "px";
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, rect.width, rect.height);
  for (const cell of cells || []) {
    const slot = grid.querySelector(`[data-slot="${cell.slot}"]`);
    if (!slot) continue;
    const r = slot.getBoundingClientRect();
    const v = Math.max(0, Math.min(100, cell.value));
    const hue = 220 - (220 * v) / 100; // blue → red
    ctx.fillStyle = `hsla(${hue}, 85%, 50%, 0.45)`;
    ctx.fillRect(r.left - rect.left, r.top - rect.top, r.width, r.height);
    ctx.fillStyle = "rgba(0,0,0,0.75)";
    ctx.font = "600 11px system-ui, sans-serif";
    ctx.fillText(String(v), r.left - rect.left + 4, r.bottom - rect.top - 5);
  }
}
