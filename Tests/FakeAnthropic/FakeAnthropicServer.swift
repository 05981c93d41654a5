import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A local stand-in for the Anthropic Messages API, for tests. It speaks HTTP/1.1 on loopback (keep-alive,
/// chunked responses) and writes the documented streaming format byte for byte — `event:` and `data:`
/// lines, blank-line separated, `message_start` … `content_block_*` … `message_delta` … `message_stop`,
/// with `ping` events between — splitting events across chunks (even inside a UTF-8 character) so the
/// client's parser meets every boundary. Scripted replies cover each failure: 429 with `retry-after`,
/// the spend-limit 429, 529 and 5xx with the API's error bodies, an `error` event after the 200, a cut
/// connection, and a stalled stream. Every request is recorded (method, path, headers, body).
package final class FakeAnthropicServer: @unchecked Sendable {
    package enum Reply: Sendable {
        /// A 200 stream of these text deltas. `errorAfter`/`cutAfter`/`stallAfter`: after that many deltas,
        /// send an `error` event / close the socket mid-stream / go silent for `stallSeconds`.
        case stream(
            deltas: [String],
            model: String = "claude-haiku-4-5-20251001",
            inputTokens: Int = 412,
            outputTokens: Int = 57,
            deltaDelay: Double = 0,
            unknownEvents: Bool = false,
            errorAfter: Int? = nil,
            errorType: String = "overloaded_error",
            cutAfter: Int? = nil,
            stallAfter: Int? = nil,
            stallSeconds: Double = 0
        )
        /// A plain JSON answer with this status (the API's error shape) and headers.
        case status(Int, type: String, message: String, headers: [(String, String)] = [], errorCode: String? = nil)

        package static func rateLimited(retryAfter: Int?) -> Reply {
            .status(
                429,
                type: "rate_limit_error",
                message: "Number of request tokens has exceeded your per-minute rate limit",
                headers: retryAfter.map { [("retry-after", String($0))] } ?? []
            )
        }
        package static let spendLimit = Reply.status(
            429,
            type: "rate_limit_error",
            message: "You have reached your organization's monthly usage limit.",
            errorCode: "enforced_spend_limit_reached"
        )
        package static let overloaded = Reply.status(529, type: "overloaded_error", message: "Overloaded")
        package static let internalError = Reply.status(500, type: "api_error", message: "Internal server error")
    }

    package struct Request: Sendable {
        package let method: String
        package let path: String
        package let headers: [String: String]
        package let body: [UInt8]
        package var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
        }
    }

    package private(set) var port = 0
    private let fd: Int32
    private let lock = NSLock()
    private var script: [Reply] = []
    private var fallbackReply: Reply
    private var recorded: [Request] = []
    private var stopped = false
    private var clientFDs: Set<Int32> = []

    /// Starts listening; `otherwise` answers when the script is empty.
    package init(otherwise: Reply = .stream(deltas: ["Fine", " placement."])) throws {
        fallbackReply = otherwise
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard ok == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw NSError(domain: "FakeAnthropic", code: Int(errno))
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    package var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Queues replies, answered in order, one per request.
    package func enqueue(_ replies: Reply...) { enqueue(contentsOf: replies) }
    package func enqueue(contentsOf replies: [Reply]) {
        lock.lock()
        script += replies
        lock.unlock()
    }
    /// The most requests ever answered at the same time.
    package var maxConcurrent: Int {
        lock.lock()
        defer { lock.unlock() }
        return peak
    }
    private var inFlight = 0
    private var peak = 0
    package func setOtherwise(_ reply: Reply) {
        lock.lock()
        fallbackReply = reply
        lock.unlock()
    }
    package var requests: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    /// Stops listening and ends open connections. The listening socket is only shut down here (which wakes
    /// the blocked accept); the accept thread closes it, so its descriptor number cannot be recycled by a
    /// newer server while this thread might still accept on it.
    package func stop() {
        lock.lock()
        stopped = true
        let fds = clientFDs
        lock.unlock()
        shutdown(fd, Int32(SHUT_RDWR))
        for c in fds { shutdown(c, Int32(SHUT_RDWR)) }
    }

    deinit { if !stopped { stop() } }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            lock.lock()
            let s = stopped
            lock.unlock()
            if s {
                if c >= 0 { close(c) }
                close(fd)
                return
            }
            if c < 0 { continue }
            var one: Int32 = 1
            setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            lock.lock()
            clientFDs.insert(c)
            lock.unlock()
            let t = Thread { [self] in
                serve(c)
                lock.lock()
                clientFDs.remove(c)
                lock.unlock()
                close(c)
            }
            t.start()
        }
    }

    /// Reads requests on one connection (keep-alive) and answers each from the script.
    private func serve(_ c: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            // Headers.
            var headerEnd: Int?
            while headerEnd == nil {
                if let r = find(buffer, [13, 10, 13, 10]) {
                    headerEnd = r
                    break
                }
                let n = read(c, &chunk, chunk.count)
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self).components(separatedBy: "\r\n")
            let parts = head[0].split(separator: " ")
            guard parts.count >= 2 else { return }
            var headers: [String: String] = [:]
            for line in head.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                    in: .whitespaces
                )
            }
            buffer.removeFirst(headerEnd! + 4)
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while buffer.count < length {
                let n = read(c, &chunk, chunk.count)
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            let body = Array(buffer[0..<length])
            buffer.removeFirst(length)
            lock.lock()
            recorded.append(Request(method: String(parts[0]), path: String(parts[1]), headers: headers, body: body))
            let reply = script.isEmpty ? fallbackReply : script.removeFirst()
            inFlight += 1
            peak = max(peak, inFlight)
            lock.unlock()
            let keep = answer(c, reply)
            lock.lock()
            inFlight -= 1
            lock.unlock()
            guard keep else { return }
        }
    }

    /// Writes one reply; false when the connection is to be closed.
    private func answer(_ c: Int32, _ reply: Reply) -> Bool {
        let requestID = "req_011" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20))
        switch reply {
        case .status(let status, let type, let message, let extra, let code):
            var err: [String: Any] = ["type": type, "message": message]
            if let code { err["details"] = ["error_code": code] }
            let body = try! JSONSerialization.data(
                withJSONObject: ["type": "error", "error": err, "request_id": requestID],
                options: [.sortedKeys]
            )
            var head =
                "HTTP/1.1 \(status) \(reason(status))\r\ncontent-type: application/json\r\ncontent-length: \(body.count)\r\nrequest-id: \(requestID)\r\n"
            for (k, v) in extra { head += "\(k): \(v)\r\n" }
            return send(c, Array((head + "\r\n").utf8) + Array(body))
        case .stream(
            let deltas,
            let model,
            let inputTokens,
            let outputTokens,
            let delay,
            let unknownEvents,
            let errorAfter,
            let errorType,
            let cutAfter,
            let stallAfter,
            let stallSeconds
        ):
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\nrequest-id: \(requestID)\r\n\r\n"
            guard send(c, Array(head.utf8)) else { return false }
            func chunked(_ bytes: [UInt8]) -> Bool {
                send(c, Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [13, 10])
            }
            func event(_ name: String, _ json: String) -> [UInt8] { Array("event: \(name)\ndata: \(json)\n\n".utf8) }
            let msgID = "msg_01" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(22))
            var events: [[UInt8]] = [
                event(
                    "message_start",
                    #"{"type":"message_start","message":{"id":"\#(msgID)","type":"message","role":"assistant","model":"\#(model)","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":\#(inputTokens),"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}"#
                ),
                event(
                    "content_block_start",
                    #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#
                ),
                event("ping", #"{"type": "ping"}"#),
            ]
            if unknownEvents {
                events.append(event("future_event", #"{"type":"future_event","detail":{"x":1}}"#))
                events.append(
                    event(
                        "content_block_delta",
                        #"{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location"}}}"#
                    )
                )
                events.append(Array(": a comment line\n\n".utf8))
            }
            guard sendAll(events, chunked) else { return false }
            for (i, d) in deltas.enumerated() {
                if let n = errorAfter, i == n {
                    _ = chunked(
                        event("error", #"{"type":"error","error":{"type":"\#(errorType)","message":"Overloaded"}}"#)
                    )
                    return send(c, Array("0\r\n\r\n".utf8))
                }
                if let n = cutAfter, i == n { return false }  // the socket closes with the chunked body unfinished
                if let n = stallAfter, i == n {
                    Thread.sleep(forTimeInterval: stallSeconds)
                    return false
                }
                let text = String(
                    decoding: try! JSONSerialization.data(withJSONObject: d, options: [.fragmentsAllowed]),
                    as: UTF8.self
                )
                let bytes = event(
                    "content_block_delta",
                    #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":\#(text)}}"#
                )
                // Every other delta goes out in two chunks split at an odd place (inside a multi-byte character when there is one).
                if i % 2 == 1 && bytes.count > 4 {
                    let cut = bytes.firstIndex { $0 >= 0x80 }.map { $0 + 1 } ?? bytes.count / 2 + 1
                    guard chunked(Array(bytes[..<cut])), chunked(Array(bytes[cut...])) else { return false }
                } else {
                    guard chunked(bytes) else { return false }
                }
                if i % 3 == 2 { guard chunked(event("ping", #"{"type": "ping"}"#)) else { return false } }
                if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            }
            if let n = errorAfter, n >= deltas.count {
                _ = chunked(
                    event("error", #"{"type":"error","error":{"type":"\#(errorType)","message":"Overloaded"}}"#)
                )
                return send(c, Array("0\r\n\r\n".utf8))
            }
            let tail = [
                event("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
                event(
                    "message_delta",
                    #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":\#(outputTokens)}}"#
                ),
                event("message_stop", #"{"type":"message_stop"}"#),
            ]
            guard sendAll(tail, chunked) else { return false }
            return send(c, Array("0\r\n\r\n".utf8))
        }
    }

    private func sendAll(_ events: [[UInt8]], _ chunked: ([UInt8]) -> Bool) -> Bool {
        for e in events { guard chunked(e) else { return false } }
        return true
    }

    private func send(_ c: Int32, _ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    private func reason(_ s: Int) -> String {
        [
            200: "OK", 400: "Bad Request", 401: "Unauthorized", 429: "Too Many Requests", 500: "Internal Server Error",
            529: "Overloaded",
        ][s] ?? "Error"
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count)
        where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}
