/// One Server-Sent Events frame, encoded once into the bytes every subscriber receives.
///
/// `data` is split on CR, LF and CRLF into one `data:` line each; `id` and `event` lose any line
/// breaks (they cannot hold them); a comment becomes `:` lines.
package struct SSEFrame: Sendable {
    package let bytes: [UInt8]

    package init(id: String? = nil, event: String? = nil, data: String, retry: Int? = nil) {
        var out: [UInt8] = []
        out.reserveCapacity(data.utf8.count + 32 + (event?.utf8.count ?? 0))
        if let id {
            out.append(contentsOf: "id: ".utf8)
            Self.appendSingleLine(id, to: &out)
            out.append(0x0A)
        }
        if let event {
            out.append(contentsOf: "event: ".utf8)
            Self.appendSingleLine(event, to: &out)
            out.append(0x0A)
        }
        if let retry {
            out.append(contentsOf: "retry: \(retry)\n".utf8)
        }
        Self.appendLines(data, prefix: "data: ", to: &out)
        out.append(0x0A)
        bytes = out
    }

    /// A comment frame (ignored by EventSource; used for heartbeats).
    package init(comment: String) {
        var out: [UInt8] = []
        Self.appendLines(comment, prefix: ": ", to: &out)
        out.append(0x0A)
        bytes = out
    }

    /// A `retry:` only frame.
    package init(retry: Int) {
        bytes = Array("retry: \(retry)\n\n".utf8)
    }

    static func appendSingleLine(_ s: String, to out: inout [UInt8]) {
        for b in s.utf8 where b != 0x0A && b != 0x0D { out.append(b) }
    }

    static func appendLines(_ s: String, prefix: String, to out: inout [UInt8]) {
        out.append(contentsOf: prefix.utf8)
        var previousCR = false
        for b in s.utf8 {
            if b == 0x0A && previousCR {
                previousCR = false
                continue
            }  // CRLF: already broke on CR
            previousCR = b == 0x0D
            if b == 0x0A || b == 0x0D {
                out.append(0x0A)
                out.append(contentsOf: prefix.utf8)
            } else {
                out.append(b)
            }
        }
        out.append(0x0A)
    }
}
