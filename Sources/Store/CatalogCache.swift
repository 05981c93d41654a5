import Foundation
import PlanogramDomain

/// The catalogue in memory, swapped whole after an import. Readers take a copy under the lock.
package final class CatalogCache: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Catalog

    package init(_ catalog: Catalog) { value = catalog }

    package var current: Catalog {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    package func replace(_ catalog: Catalog) {
        lock.lock()
        value = catalog
        lock.unlock()
    }
}
