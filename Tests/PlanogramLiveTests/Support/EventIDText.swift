/// A session event id as a client sees it (`"42"` or `"42.3"`), ordered by seq, then counter.
struct EventIDText: Comparable, CustomStringConvertible {
    let seq: Int64
    let index: Int64
    let description: String

    init(_ text: String) {
        description = text
        let parts = text.split(separator: ".")
        seq = Int64(parts.first ?? "") ?? -1
        index = parts.count > 1 ? Int64(parts[1]) ?? -1 : 0
    }

    static func < (a: EventIDText, b: EventIDText) -> Bool { (a.seq, a.index) < (b.seq, b.index) }
    static func == (a: EventIDText, b: EventIDText) -> Bool { a.seq == b.seq && a.index == b.index }
}
