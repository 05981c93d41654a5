import Foundation
import PlanogramDomain
import Store

/// The catalogue in memory, swapped whole after an import. Readers take a copy under the lock.
final class CatalogCache: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Catalog

    init(_ catalog: Catalog) { value = catalog }

    var current: Catalog {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func replace(_ catalog: Catalog) {
        lock.lock()
        value = catalog
        lock.unlock()
    }
}

/// Published planograms (newest version per cabinet) kept in memory for the hot routes; emptied after
/// an import or a publish, refilled from the store on demand.
final class PublishedPlanograms: @unchecked Sendable {
    private let lock = NSLock()
    private var cache: [CabinetKey: Planogram] = [:]
    let store: Store

    init(store: Store) { self.store = store }

    func current(_ key: CabinetKey) throws -> Planogram? {
        lock.lock()
        if let p = cache[key] {
            lock.unlock()
            return p
        }
        lock.unlock()
        guard let p = try store.planogram(deviceID: key.deviceID, cabinetIndex: key.index) else { return nil }
        lock.lock()
        cache[key] = p
        lock.unlock()
        return p
    }

    func invalidate() {
        lock.lock()
        cache.removeAll()
        lock.unlock()
    }
}

/// JSON shapes of the domain for the API.
enum DomainJSON {
    static func device(_ d: Device, cabinets: [Cabinet]) -> [String: Any] {
        [
            "device_id": d.id, "name": d.name, "venue_type": d.venueType.rawValue, "latitude": d.latitude,
            "longitude": d.longitude, "device_type": d.deviceType.rawValue, "cabinets": cabinets.map(cabinet),
            "access_from": d.access.map { TimeWindow.text($0.from) as Any } ?? NSNull(),
            "access_until": d.access.map { TimeWindow.text($0.until) as Any } ?? NSNull(),
            "service_minutes": d.serviceMinutes,
        ]
    }

    static func cabinet(_ c: Cabinet) -> [String: Any] {
        [
            "cabinet_index": c.index, "temperature": c.temperature.rawValue, "rows": c.rows, "columns": c.columns,
            "row_heights_mm": c.rowHeightsMM,
        ]
    }

    static func product(_ p: Product) -> [String: Any] {
        [
            "product_id": p.id, "name": p.name, "category": p.category, "price": p.price, "unit_cost": p.unitCost,
            "temperature": p.temperature.rawValue, "height_mm": p.heightMM, "width_cols": p.widthColumns,
            "shelf_life_days": p.shelfLifeDays, "case_size": p.caseSize,
        ]
    }

    static func planogram(_ p: Planogram, catalog: Catalog) -> [String: Any] {
        [
            "device_id": p.deviceID, "cabinet_index": p.cabinetIndex, "version": p.version,
            "effective_from": FieldParse.iso8601(p.effectiveFrom),
            "slots": p.sortedFacings.map { s, f in
                [
                    "slot": s.description, "product_id": f.productID, "capacity": f.capacity,
                    "width_cols": catalog.products[f.productID]?.widthColumns ?? 1,
                ] as [String: Any]
            },
        ]
    }
}
