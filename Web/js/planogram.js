// The draft as the browser keeps it: facings by slot code, applied from `op` events exactly as the
// server applies them (the server is the authority; a refused op never reaches here).

export function slotCode(row, column) { return String.fromCharCode(65 + row) + (column + 1); }
export function parseSlot(code) { return { row: code.charCodeAt(0) - 65, column: parseInt(code.slice(1), 10) - 1 }; }

export class Draft {
  constructor(snapshot, products) {
    this.products = products;
    this.facings = new Map();
    for (const s of snapshot.planogram.slots) this.facings.set(s.slot, { product_id: s.product_id, capacity: s.capacity, par: s.par ?? null });
    this.version = snapshot.version;
    this.seq = snapshot.seq;
  }

  width(productId) { return (this.products.get(productId) || {}).width_cols || 1; }

  /// The slot holding the product that covers `code` (a 2-wide product covers its right neighbour).
  anchor(code) {
    if (this.facings.has(code)) return code;
    const { row, column } = parseSlot(code);
    if (column > 0) {
      const left = slotCode(row, column - 1);
      const f = this.facings.get(left);
      if (f && this.width(f.product_id) === 2) return left;
    }
    return null;
  }

  apply(op) {
    const get = (s) => this.facings.get(s);
    switch (op.type) {
      case "place": {
        const old = get(op.slot);
        this.facings.set(op.slot, { product_id: op.product_id, capacity: op.capacity ?? (old ? old.capacity : 8) });
        return [op.slot];
      }
      case "move": {
        const a = this.anchor(op.from);
        if (!a || a === op.to) return [];
        const f = get(a);
        this.facings.delete(a);
        this.facings.set(op.to, f);
        return [a, op.to];
      }
      case "swap": {
        const ax = this.anchor(op.a) || op.a, ay = this.anchor(op.b) || op.b;
        if (ax === ay) return [];
        const fx = get(ax), fy = get(ay);
        this.facings.delete(ax); this.facings.delete(ay);
        if (fy) this.facings.set(ax, fy);
        if (fx) this.facings.set(ay, fx);
        return [ax, ay];
      }
      case "clear": { const a = this.anchor(op.slot); if (a) this.facings.delete(a); return a ? [a] : []; }
      case "set_capacity": {
        const a = this.anchor(op.slot);
        if (a) { const f = get(a); f.capacity = op.capacity; if (f.par != null && f.par > f.capacity) f.par = f.capacity; }
        return a ? [a] : [];
      }
      case "set_par": { const a = this.anchor(op.slot); if (a) get(a).par = op.par ?? null; return a ? [a] : []; }
      default: return [];
    }
  }

  /// `{slots: [...]}` as the score and predict routes take it.
  json() {
    return { slots: [...this.facings].map(([slot, f]) => ({ slot, product_id: f.product_id, capacity: f.capacity })) };
  }
}
