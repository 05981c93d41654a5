import Foundation

/// The id of a kept session event (SSE `id:`), unique and increasing within a session.
///
/// A change (`op`, `published`) has the id of its seq: `"42"`. Every other kept event (score, heatmap,
/// revenue, presence, checkpoint, reasoning_done, reasoning_error) gets the seq of the newest change it
/// follows and a counter after a dot: `"42.1"`, `"42.2"`, …, restarting at 1 after each change. Ids order
/// first by seq, then by the counter, so a client that resumes from any id it saw gets exactly the kept
/// events after it — including the heat map or forecast that followed the last op it got.
///
/// After a restart the counter of the recovered seq starts at a base made from the clock
/// (`restartBase`), above any counter the previous run can have used, so an id a client kept from
/// before the restart is never mistaken for one of the new run.
struct EventID: Comparable, Hashable, Sendable, CustomStringConvertible {
    var seq: Int64
    var index: Int64

    init(seq: Int64, index: Int64 = 0) {
        self.seq = seq
        self.index = index
    }

    /// Parses `"42"` or `"42.3"`; nil for anything else (a malformed id gets a fresh snapshot).
    init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty, t.utf8.count <= 40 else { return nil }
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let s = Int64(parts[0]), s >= 0, parts[0].allSatisfy({ $0.isASCII }) else { return nil }
        var k: Int64 = 0
        if parts.count == 2 {
            guard let x = Int64(parts[1]), x >= 1, parts[1].allSatisfy({ $0.isASCII }), parts[1].first != "+" else {
                return nil
            }
            k = x
        }
        guard parts[0].first != "+" else { return nil }
        seq = s
        index = k
    }

    /// The first counter of a seq recovered at start: seconds since 1970 shifted left by 20 bits.
    static func restartBase(now: Double) -> Int64 { Int64(max(now, 0)) << 20 }

    var description: String { index == 0 ? String(seq) : "\(seq).\(index)" }

    static func < (a: EventID, b: EventID) -> Bool { (a.seq, a.index) < (b.seq, b.index) }
}
