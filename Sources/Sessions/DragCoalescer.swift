import Foundation
import PlanogramDomain

/// The newest drag position of each editor of a session (docs/ARCHITECTURE.md drag coalescing). Written by the
/// connections' loops, read by the session queue, so it is guarded by a lock rather than confined: an
/// input only replaces the editor's newest position, and the session queue is woken once per frame per
/// dragging editor rather than once per input (superseded positions cost no queue hop, no scoring, no
/// encoding).
final class DragCoalescer: @unchecked Sendable {
    struct Position: Sendable {
        let productID: String
        let slot: SlotCode?
        let arrived: UInt64
        let mark: String?
        let name: String
    }

    private struct Editor {
        var latest: Position?
        var lastEmit: UInt64 = 0
        var scheduled = false
    }

    private let lock = NSLock()
    private var editors: [String: Editor] = [:]
    let frameNanos: UInt64

    init(frameInterval: Double) { frameNanos = UInt64(max(frameInterval, 0.001) * 1e9) }

    /// Keeps `position` as the editor's newest. Returns when the session queue should emit it, or nil
    /// when an emission is already scheduled (it will carry this position).
    func offer(user: String, _ position: Position) -> UInt64? {
        lock.lock()
        defer { lock.unlock() }
        var e = editors[user] ?? Editor()
        e.latest = position
        var due: UInt64?
        if !e.scheduled {
            e.scheduled = true
            due = e.lastEmit == 0 ? position.arrived : max(position.arrived, e.lastEmit + frameNanos)
        }
        editors[user] = e
        return due
    }

    /// Takes the editor's newest position for emission now.
    func take(user: String, now: UInt64) -> Position? {
        lock.lock()
        defer { lock.unlock() }
        guard var e = editors[user], let latest = e.latest else { return nil }
        e.latest = nil
        e.scheduled = false
        e.lastEmit = now
        editors[user] = e
        return latest
    }

    /// Forgets an editor who left (bounded memory for long sessions).
    func forget(user: String) {
        lock.lock()
        defer { lock.unlock() }
        if editors[user]?.scheduled != true { editors[user] = nil }
    }
}
