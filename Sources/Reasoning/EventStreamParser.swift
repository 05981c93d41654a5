/// An incremental parser of a `text/event-stream` body (the WHATWG "event stream interpretation"):
/// bytes arrive in any split, lines end in LF, CRLF or CR, `:` lines are comments, `data:` lines of one
/// event are joined with LF, one optional space after the colon is dropped, a blank line dispatches the
/// event, and an event with no data is not dispatched. Bytes of an unfinished line are kept for the next
/// `feed`. Memory is bounded: a line longer than `maxLineBytes` is a protocol error — `failed` is set,
/// the events completed before it are still returned, and nothing after it is parsed.
package struct EventStreamParser: Sendable {
    package struct Event: Sendable, Equatable {
        package var name: String
        package var data: String
        package var id: String?
        package init(name: String, data: String, id: String? = nil) {
            self.name = name
            self.data = data
            self.id = id
        }
    }

    /// Set when a line exceeded `maxLineBytes`; the stream is unusable from there on.
    package private(set) var failed = false

    private var line: [UInt8] = []
    private var lastWasCR = false
    private var eventName = ""
    private var data: [UInt8] = []
    private var hasData = false
    private var id: String?
    package let maxLineBytes: Int

    package init(maxLineBytes: Int = 1 << 20) { self.maxLineBytes = maxLineBytes }

    /// Feeds bytes; returns the events completed by them, in order (up to a failure, if one happens).
    package mutating func feed<C: Collection>(_ bytes: C) -> [Event] where C.Element == UInt8 {
        var out: [Event] = []
        if failed { return out }
        for b in bytes {
            if b == 0x0A && lastWasCR {
                lastWasCR = false
                continue
            }  // the LF of a CRLF
            lastWasCR = b == 0x0D
            if b == 0x0A || b == 0x0D {
                if let e = endLine() { out.append(e) }
                continue
            }
            if line.count >= maxLineBytes {
                failed = true
                return out
            }
            line.append(b)
        }
        return out
    }

    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer {
                eventName = ""
                data = []
                hasData = false
            }
            guard hasData else { return nil }
            return Event(
                name: eventName.isEmpty ? "message" : eventName,
                data: String(decoding: data, as: UTF8.self),
                id: id
            )
        }
        if line[0] == UInt8(ascii: ":") { return nil }  // comment
        var field: ArraySlice<UInt8>
        var value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = line[..<colon]
            value = line[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            field = line[...]
            value = []
        }
        switch String(decoding: field, as: UTF8.self) {
        case "event": eventName = String(decoding: value, as: UTF8.self)
        case "data":
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        case "id": if !value.contains(0) { id = String(decoding: value, as: UTF8.self) }
        default: break  // retry and unknown fields: nothing to do for a one-shot stream
        }
        return nil
    }
}
