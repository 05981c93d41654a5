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
