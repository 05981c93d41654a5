import Foundation
import PlanogramDomain

/// Published planograms (newest version per cabinet) kept in memory for the hot routes; emptied after
/// an import or a publish, refilled from the store on demand.
package final class PublishedPlanograms: @unchecked Sendable {
    private let lock = NSLock()
    private var cache: [CabinetKey: Planogram] = [:]
    package let store: Store

    package init(store: Store) { self.store = store }

    package func current(_ key: CabinetKey) throws -> Planogram? {
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

    package func invalidate() {
        lock.lock()
        cache.removeAll()
        lock.unlock()
    }
}
