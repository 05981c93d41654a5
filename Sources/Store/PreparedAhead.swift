import Foundation

/// Work prepared on a second thread one item ahead of the thread that writes it: while the writer writes item
/// `i`, item `i + 1` is prepared. Preparing touches no connection; writing happens on the caller's thread, in
/// the order the items were submitted; preparations run one at a time, in that order too. The telemetry import
/// (`TransactionImport`) works out a device's layouts and sales this way while the device before it is written,
/// and builds each batch of day-only sales while the batch before it is inserted.
package final class PreparedAhead<Prepared: Sendable>: @unchecked Sendable {
    private let queue = DispatchQueue(label: "planogram-live.prepared-ahead")
    private var pending: (group: DispatchGroup, result: Slot, write: (Prepared) throws -> Void)?

    /// Where the preparing thread leaves its result; read after the group is waited for.
    private final class Slot: @unchecked Sendable {
        var value: Prepared?
    }

    package init() {}

    /// Starts preparing an item, then writes the item submitted before it (waiting for its preparation).
    package func submit(
        _ prepare: @escaping @Sendable () -> Prepared,
        write: @escaping (Prepared) throws -> Void
    ) throws {
        let group = DispatchGroup()
        let result = Slot()
        queue.async(group: group) { result.value = prepare() }
        let previous = pending
        pending = (group, result, write)
        if let previous { try Self.write(previous) }
    }

    /// Writes the last item submitted.
    package func finish() throws {
        guard let last = pending else { return }
        pending = nil
        try Self.write(last)
    }

    private static func write(_ item: (group: DispatchGroup, result: Slot, write: (Prepared) throws -> Void)) throws {
        item.group.wait()
        try item.write(item.result.value!)
    }
}
