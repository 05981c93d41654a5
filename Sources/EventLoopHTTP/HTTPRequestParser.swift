// The incremental HTTP/1.1 request parser.
//
// Pure Swift with no Foundation and no I/O, so the same file compiles into the libFuzzer harness
// (`Ops/fuzz`). It consumes bytes as they arrive and yields a request head, body pieces and the end
// of each request; it never reads past the end of the request it is parsing, which is what makes
// pipelining work: whatever is left in the buffer belongs to the next request.

/// Limits the parser enforces while reading a request.
package struct HTTPParserLimits: Sendable {
    /// Bytes of request line plus headers; beyond it the request is refused with 431.
    package var maxHeaderBytes: Int
    /// Number of header fields; beyond it the request is refused with 431.
    package var maxHeaderCount: Int
    /// Longest chunk-size line (with extensions) or trailer line of a chunked body.
    package var maxChunkLineBytes: Int

    package init(maxHeaderBytes: Int = 16 * 1024, maxHeaderCount: Int = 100, maxChunkLineBytes: Int = 4096) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxChunkLineBytes = maxChunkLineBytes
    }
}

/// Why a request could not be parsed, with the status the server answers before closing.
package struct HTTPParseError: Error, Equatable, Sendable {
    package let status: Int
    package let reason: String
    package init(_ status: Int, _ reason: String) {
        self.status = status
        self.reason = reason
    }
}

/// The framing of a request body as announced by its head.
package enum HTTPBodyFraming: Equatable, Sendable {
    case none
    case contentLength(Int)
    case chunked
}

/// A parsed request line and header block.
package struct HTTPRequestHead: Sendable {
    package var method: String
    /// The request target exactly as sent (origin form: path and optional query).
    package var target: String
    package var versionMinor: Int
    package var headers: HTTPHeaders
    package var framing: HTTPBodyFraming
    /// Whether the connection may be kept open after this request.
    package var keepAlive: Bool
    package var expectsContinue: Bool
}

/// What one call to `parse` produced.
package enum HTTPParseEvent: Equatable {
    case head
    /// Body bytes at this range of the buffer handed to `parse`.
    case body(Range<Int>)
    case end
}

/// An incremental request parser. Feed it the unconsumed bytes; it reports how many it consumed and
/// at most one event per call.
package struct HTTPRequestParser {
    enum State: Equatable {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
    }

    package let limits: HTTPParserLimits
    var state: State = .head
    /// Where the search for the end of the head resumes, relative to the buffer start.
    var headScanned = 0
    /// The head of the request being read, valid after a `.head` event.
    package private(set) var head: HTTPRequestHead?
    /// Body bytes seen so far in the current request.
    package private(set) var bodyBytesSeen = 0

    package init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    /// True when no request is in progress: nothing of a next request has been consumed.
    package var isBetweenRequests: Bool { state == .head && headScanned == 0 }

    /// Parses from the start of `buffer`. Returns the bytes consumed and the event, or `nil` event when
    /// more input is needed (the consumed count may still be positive).
    package mutating func parse(
        _ buffer: UnsafeRawBufferPointer
    ) throws(HTTPParseError) -> (consumed: Int, event: HTTPParseEvent?) {
        switch state {
        case .head:
            return try parseHead(buffer)
        case .body(let remaining):
            if remaining == 0 { return finish(consumed: 0) }
            guard buffer.count > 0 else { return (0, nil) }
            let n = min(remaining, buffer.count)
            bodyBytesSeen += n
            state = .body(remaining: remaining - n)
            return (n, .body(0..<n))
        case .chunkSize:
            guard let lineEnd = Self.findLineEnd(buffer, from: 0) else {
                if buffer.count > limits.maxChunkLineBytes { throw HTTPParseError(400, "chunk size line too long") }
                return (0, nil)
            }
            if lineEnd.contentEnd > limits.maxChunkLineBytes { throw HTTPParseError(400, "chunk size line too long") }
            var size = 0
            var digits = 0
            var i = 0
            while i < lineEnd.contentEnd {
                let c = buffer[i]
                guard let v = Self.hexValue(c) else { break }
                digits += 1
                if digits > 15 { throw HTTPParseError(413, "chunk size too large") }
                size = size << 4 | v
                i += 1
            }
            guard digits > 0 else { throw HTTPParseError(400, "bad chunk size") }
            // Anything after the digits must be whitespace or a chunk extension.
            while i < lineEnd.contentEnd, buffer[i] == 0x20 || buffer[i] == 0x09 { i += 1 }
            if i < lineEnd.contentEnd && buffer[i] != UInt8(ascii: ";") { throw HTTPParseError(400, "bad chunk size") }
            for j in i..<lineEnd.contentEnd where Self.isControl(buffer[j]) && buffer[j] != 0x09 {
                throw HTTPParseError(400, "control character in chunk extension")
            }
            state = size == 0 ? .trailers : .chunkData(remaining: size)
            return (lineEnd.next, nil)
        case .chunkData(let remaining):
            guard buffer.count > 0 else { return (0, nil) }
            let n = min(remaining, buffer.count)
            bodyBytesSeen += n
            state = remaining - n == 0 ? .chunkDataEnd : .chunkData(remaining: remaining - n)
            return (n, .body(0..<n))
        case .chunkDataEnd:
            guard buffer.count >= 1 else { return (0, nil) }
            if buffer[0] == 0x0A {
                state = .chunkSize
                return (1, nil)
            }
            guard buffer[0] == 0x0D else { throw HTTPParseError(400, "missing CRLF after chunk data") }
            guard buffer.count >= 2 else { return (0, nil) }
            guard buffer[1] == 0x0A else { throw HTTPParseError(400, "missing CRLF after chunk data") }
            state = .chunkSize
            return (2, nil)
        case .trailers:
            guard let lineEnd = Self.findLineEnd(buffer, from: 0) else {
                if buffer.count > limits.maxChunkLineBytes { throw HTTPParseError(431, "trailer line too long") }
                return (0, nil)
            }
            if lineEnd.contentEnd == 0 { return finish(consumed: lineEnd.next) }
            if lineEnd.contentEnd > limits.maxChunkLineBytes { throw HTTPParseError(431, "trailer line too long") }
            return (lineEnd.next, nil)  // trailer fields are read and ignored
        }
    }

    private mutating func finish(consumed: Int) -> (consumed: Int, event: HTTPParseEvent?) {
        state = .head
        headScanned = 0
        return (consumed, .end)
    }

    private mutating func parseHead(
        _ buffer: UnsafeRawBufferPointer
    ) throws(HTTPParseError) -> (consumed: Int, event: HTTPParseEvent?) {
        // Skip empty lines before a request line (RFC 9112 §2.2), only between requests.
        var start = 0
        while start < buffer.count, buffer[start] == 0x0D || buffer[start] == 0x0A {
            start += 1
            if start > 64 { throw HTTPParseError(400, "too many empty lines") }
        }
        if start > 0 && headScanned == 0 {
            return (start, nil)
        }
        // Find the blank line that ends the head: LF (CR) LF.
        var i = max(headScanned, 0)
        var endOfHead = -1
        while i < buffer.count {
            if buffer[i] == 0x0A {
                var j = i + 1
                if j < buffer.count && buffer[j] == 0x0D { j += 1 }
                if j < buffer.count && buffer[j] == 0x0A {
                    endOfHead = j + 1
                    break
                }
                if j >= buffer.count { break }  // need more to decide
            }
            i += 1
        }
        if endOfHead < 0 {
            headScanned = max(0, i - 1)
            if buffer.count > limits.maxHeaderBytes { throw HTTPParseError(431, "request header fields too large") }
            return (0, nil)
        }
        if endOfHead > limits.maxHeaderBytes { throw HTTPParseError(431, "request header fields too large") }
        headScanned = 0
        let parsed = try Self.parseHeadBlock(UnsafeRawBufferPointer(rebasing: buffer[0..<endOfHead]), limits: limits)
        head = parsed
        bodyBytesSeen = 0
        switch parsed.framing {
        case .none: state = .body(remaining: 0)
        case .contentLength(let n): state = .body(remaining: n)
        case .chunked: state = .chunkSize
        }
        return (endOfHead, .head)
    }

    /// Finds the next line ending at or after `from`. `contentEnd` excludes CR LF; `next` is past the LF.
    static func findLineEnd(_ b: UnsafeRawBufferPointer, from: Int) -> (contentEnd: Int, next: Int)? {
        var i = from
        while i < b.count {
            if b[i] == 0x0A {
                let end = (i > from && b[i - 1] == 0x0D) ? i - 1 : i
                return (end, i + 1)
            }
            i += 1
        }
        return nil
    }

    static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x41...0x46: return Int(c - 0x41 + 10)
        case 0x61...0x66: return Int(c - 0x61 + 10)
        default: return nil
        }
    }

    static func isControl(_ c: UInt8) -> Bool { c < 0x20 || c == 0x7F }

    /// RFC 9110 token characters.
    static func isTokenChar(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }

    static func string(_ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: b[range]), as: UTF8.self)
    }

    static func parseHeadBlock(
        _ b: UnsafeRawBufferPointer,
        limits: HTTPParserLimits
    ) throws(HTTPParseError) -> HTTPRequestHead {
        guard let first = findLineEnd(b, from: 0) else { throw HTTPParseError(400, "incomplete request line") }
        // request-line = method SP request-target SP HTTP-version
        var i = 0
        while i < first.contentEnd && isTokenChar(b[i]) { i += 1 }
        guard i > 0, i < first.contentEnd, b[i] == 0x20 else { throw HTTPParseError(400, "malformed request line") }
        let method = string(b, 0..<i)
        i += 1
        let targetStart = i
        while i < first.contentEnd && b[i] > 0x20 && b[i] < 0x7F { i += 1 }
        guard i > targetStart, i < first.contentEnd, b[i] == 0x20 else {
            throw HTTPParseError(400, "malformed request target")
        }
        let target = string(b, targetStart..<i)
        i += 1
        let version = UnsafeRawBufferPointer(rebasing: b[i..<first.contentEnd])
        guard version.count == 8,
            version[0] == UInt8(ascii: "H"), version[1] == UInt8(ascii: "T"), version[2] == UInt8(ascii: "T"),
            version[3] == UInt8(ascii: "P"), version[4] == UInt8(ascii: "/"), version[6] == UInt8(ascii: "."),
            (0x30...0x39).contains(version[5]), (0x30...0x39).contains(version[7])
        else { throw HTTPParseError(400, "malformed HTTP version") }
        guard version[5] == UInt8(ascii: "1") else { throw HTTPParseError(505, "HTTP version not supported") }
        let minor = Int(version[7] - 0x30)
        guard target.utf8.first == UInt8(ascii: "/") || (method == "OPTIONS" && target == "*") else {
            throw HTTPParseError(400, "request target must be in origin form")
        }

        var headers = HTTPHeaders()
        var pos = first.next
        var contentLength: Int? = nil
        var chunked = false
        var sawTransferEncoding = false
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false
        var hostCount = 0
        while let line = findLineEnd(b, from: pos), line.contentEnd > pos {
            if b[pos] == 0x20 || b[pos] == 0x09 { throw HTTPParseError(400, "obsolete line folding") }
            var c = pos
            while c < line.contentEnd && isTokenChar(b[c]) { c += 1 }
            guard c > pos, c < line.contentEnd, b[c] == UInt8(ascii: ":") else {
                throw HTTPParseError(400, "malformed header field")
            }
            let name = string(b, pos..<c).lowercased()
            var vs = c + 1
            var ve = line.contentEnd
            while vs < ve && (b[vs] == 0x20 || b[vs] == 0x09) { vs += 1 }
            while ve > vs && (b[ve - 1] == 0x20 || b[ve - 1] == 0x09) { ve -= 1 }
            for k in vs..<ve where isControl(b[k]) && b[k] != 0x09 {
                throw HTTPParseError(400, "control character in header value")
            }
            let value = string(b, vs..<ve)
            headers.append(name: name, value: value)
            if headers.count > limits.maxHeaderCount { throw HTTPParseError(431, "too many header fields") }
            switch name {
            case "content-length":
                guard !value.isEmpty, value.utf8.count <= 15, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                    let n = Int(value)
                else { throw HTTPParseError(400, "bad Content-Length") }
                if let previous = contentLength, previous != n {
                    throw HTTPParseError(400, "conflicting Content-Length")
                }
                contentLength = n
            case "transfer-encoding":
                sawTransferEncoding = true
                let codings = value.lowercased().split(separator: ",").map { $0.trimmingSpaces() }
                if codings.last == "chunked" {
                    guard codings.count == 1, !chunked else {
                        throw HTTPParseError(501, "transfer coding not implemented")
                    }
                    chunked = true
                } else if codings.contains("chunked") || codings.isEmpty {
                    throw HTTPParseError(400, "chunked must be the final transfer coding")
                } else {
                    throw HTTPParseError(501, "transfer coding not implemented")
                }
            case "connection":
                for token in value.lowercased().split(separator: ",") {
                    let t = token.trimmingSpaces()
                    if t == "close" { connectionClose = true } else if t == "keep-alive" { connectionKeepAlive = true }
                }
            case "expect":
                guard value.lowercased() == "100-continue" else { throw HTTPParseError(417, "unsupported expectation") }
                expectsContinue = true
            case "host":
                hostCount += 1
            default:
                break
            }
            pos = line.next
        }
        if sawTransferEncoding {
            if minor == 0 { throw HTTPParseError(400, "Transfer-Encoding in an HTTP/1.0 request") }
            if contentLength != nil { throw HTTPParseError(400, "both Transfer-Encoding and Content-Length") }
        }
        if minor >= 1 && hostCount != 1 {
            throw HTTPParseError(400, hostCount == 0 ? "missing Host header" : "more than one Host header")
        }
        let framing: HTTPBodyFraming
        if chunked {
            framing = .chunked
        } else if let n = contentLength, n > 0 {
            framing = .contentLength(n)
        } else {
            framing = .none
        }
        let keepAlive = minor >= 1 ? !connectionClose : (connectionKeepAlive && !connectionClose)
        return HTTPRequestHead(
            method: method,
            target: target,
            versionMinor: minor,
            headers: headers,
            framing: framing,
            keepAlive: keepAlive,
            expectsContinue: expectsContinue && framing != .none
        )
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
