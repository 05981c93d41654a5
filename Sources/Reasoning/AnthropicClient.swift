import CCurl
import Foundation

/// Where and how to reach the Messages API.
package struct AnthropicEndpoint: Sendable {
    package var apiKey: String
    package var baseURL: String
    package var version: String
    package var connectTimeout: Double
    /// Longest silence allowed while reading the stream (pings arrive well within it).
    package var readTimeout: Double
    /// Bound on a whole request.
    package var totalTimeout: Double
    /// A PEM file of CAs to trust instead of the system's (a TLS-inspecting proxy, a test server).
    package var caBundle: String?

    package init(
        apiKey: String,
        baseURL: String = "https://api.anthropic.com",
        version: String = "2023-06-01",
        connectTimeout: Double = 5,
        readTimeout: Double = 20,
        totalTimeout: Double = 90,
        caBundle: String? = nil
    ) {
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.version = version
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.totalTimeout = totalTimeout
        self.caBundle = caBundle
    }
}

/// One Messages API request.
package struct MessageRequest: Sendable, Equatable {
    package var model: String
    package var maxTokens: Int
    package var system: String
    package var prompt: String
    package var temperature: Double

    package init(model: String, maxTokens: Int, system: String, prompt: String, temperature: Double = 0.2) {
        self.model = model
        self.maxTokens = maxTokens
        self.system = system
        self.prompt = prompt
        self.temperature = temperature
    }

    /// The JSON body, keys sorted (stable bytes for the same request).
    package var body: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let o = MessagesRequestBody(
            model: model,
            maxTokens: maxTokens,
            system: system,
            temperature: temperature,
            messages: [.init(role: "user", content: prompt)]
        )
        // Strings and numbers: always encodes (a non-finite temperature would not, and is never configured).
        return Array((try? encoder.encode(o)) ?? Data())
    }
}

/// What a streamed request ended with.
package enum StreamOutcome: Sendable, Equatable {
    /// `message_stop` arrived.
    case completed(text: String, model: String, usage: TokenUsage, stopReason: String?)
    /// A non-2xx answer. `errorCode` is `error.details.error_code` when the body has one.
    case httpError(status: Int, retryAfter: Double?, errorType: String?, errorCode: String?, message: String)
    /// An `error` event after the 200 (e.g. `overloaded_error`).
    case streamError(type: String, message: String)
    /// No answer or a broken one: connect failure, timeout, cut connection, malformed stream.
    case transport(String)
    case cancelled
}

/// A flag another thread sets to stop a request (and any wait before a retry).
package final class CancelToken: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private let wake = DispatchSemaphore(value: 0)
    package init() {}
    package var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }
    package func cancel() {
        lock.lock()
        let first = !cancelled
        cancelled = true
        lock.unlock()
        if first { wake.signal() }
    }
    /// Sleeps up to `seconds`; returns false when cancelled meanwhile.
    package func sleep(_ seconds: Double) -> Bool {
        if isCancelled { return false }
        if wake.wait(timeout: .now() + max(0, seconds)) == .success {
            wake.signal()
            return false
        }
        return !isCancelled
    }
}

/// The Anthropic Messages API with `stream: true`, over libcurl (HTTP/2 through nghttp2 when the server
/// offers it over TLS, HTTP/1.1 otherwise). `stream` blocks its calling thread for the life of the request
/// and calls `onEvent` on that thread for every event as its bytes arrive; run it off the event loops.
/// Easy handles are pooled, so connections (and TLS sessions) are reused between requests.
package final class AnthropicClient: @unchecked Sendable {
    package let endpoint: AnthropicEndpoint
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()
    private var negotiated = 0

    /// The HTTP version of the last finished request: 1 (HTTP/1.x), 2 (HTTP/2) or 0 (no response).
    package var lastHTTPVersion: Int {
        lock.lock()
        defer { lock.unlock() }
        return negotiated
    }

    package init(endpoint: AnthropicEndpoint) {
        _ = Self.globalInit
        self.endpoint = endpoint
    }

    deinit { for h in idle { curl_easy_cleanup(h) } }

    package func stream(
        _ request: MessageRequest,
        cancel: CancelToken,
        onEvent: (AnthropicEvent) -> Void
    ) -> StreamOutcome {
        let handle: UnsafeMutableRawPointer
        lock.lock()
        if let h = idle.popLast() {
            lock.unlock()
            handle = h
            curl_easy_reset(handle)
        } else {
            lock.unlock()
            guard let h = curl_easy_init() else { return .transport("curl_easy_init failed") }
            handle = h
        }
        defer {
            let v = planogram_curl_http_version(handle)
            lock.lock()
            negotiated = v == Int(CURL_HTTP_VERSION_2_0) ? 2 : v == 0 ? 0 : 1
            idle.append(handle)
            lock.unlock()
        }
        return withoutActuallyEscaping(onEvent) { onEvent in
            let transfer = Transfer(handle: handle, readTimeout: endpoint.readTimeout, cancel: cancel, onEvent: onEvent)
            return transfer.run(endpoint: endpoint, request: request)
        }
    }
}

/// The state of one request, reached from libcurl's C callbacks through an unmanaged pointer.
private final class Transfer {
    let handle: UnsafeMutableRawPointer
    let readTimeout: Double
    let cancel: CancelToken
    let onEvent: (AnthropicEvent) -> Void
    var parser = EventStreamParser()
    var status = 0
    var headers: [String: String] = [:]
    var errorBody: [UInt8] = []
    var lastByte = DispatchTime.now().uptimeNanoseconds
    var timedOut = false
    var failure: String?
    var text = ""
    var model = ""
    var usage = TokenUsage()
    var stopReason: String?
    var stopped = false
    var streamError: (String, String)?

    init(
        handle: UnsafeMutableRawPointer,
        readTimeout: Double,
        cancel: CancelToken,
        onEvent: @escaping (AnthropicEvent) -> Void
    ) {
        self.handle = handle
        self.readTimeout = readTimeout
        self.cancel = cancel
        self.onEvent = onEvent
    }

    func run(endpoint: AnthropicEndpoint, request: MessageRequest) -> StreamOutcome {
        var base = endpoint.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        let body = request.body
        var headerList: UnsafeMutablePointer<curl_slist>?
        for h in [
            "content-type: application/json", "accept: text/event-stream", "x-api-key: \(endpoint.apiKey)",
            "anthropic-version: \(endpoint.version)", "user-agent: planogram-live/1", "expect:",
        ] {
            headerList = curl_slist_append(headerList, h)
        }
        defer { curl_slist_free_all(headerList) }
        let me = Unmanaged.passUnretained(self).toOpaque()
        let code: CURLcode = body.withUnsafeBufferPointer { bytes in
            planogram_curl_set_string(handle, CURLOPT_URL, base + "/v1/messages")
            planogram_curl_set_long(handle, CURLOPT_POST, 1)
            planogram_curl_set_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            planogram_curl_set_long(handle, CURLOPT_POSTFIELDSIZE, bytes.count)
            planogram_curl_set_headers(handle, headerList)
            planogram_curl_set_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
            planogram_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(endpoint.connectTimeout * 1000))
            planogram_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(endpoint.totalTimeout * 1000))
            planogram_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
            planogram_curl_set_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
            if let ca = endpoint.caBundle { planogram_curl_set_string(handle, CURLOPT_CAINFO, ca) }
            planogram_curl_set_long(handle, CURLOPT_NOPROGRESS, 0)
            planogram_curl_set_xfer_callback(
                handle,
                { me, _, _, _, _ in
                    let t = Unmanaged<Transfer>.fromOpaque(me!).takeUnretainedValue()
                    return t.tick() ? 0 : 1
                }
            )
            planogram_curl_set_pointer(handle, CURLOPT_XFERINFODATA, me)
            planogram_curl_set_data_callback(
                handle,
                CURLOPT_HEADERFUNCTION,
                { ptr, size, n, me in
                    let t = Unmanaged<Transfer>.fromOpaque(me!).takeUnretainedValue()
                    t.header(UnsafeRawBufferPointer(start: ptr, count: size * n))
                    return size * n
                }
            )
            planogram_curl_set_pointer(handle, CURLOPT_HEADERDATA, me)
            planogram_curl_set_data_callback(
                handle,
                CURLOPT_WRITEFUNCTION,
                { ptr, size, n, me in
                    let t = Unmanaged<Transfer>.fromOpaque(me!).takeUnretainedValue()
                    return t.write(UnsafeRawBufferPointer(start: ptr, count: size * n)) ? size * n : 0
                }
            )
            planogram_curl_set_pointer(handle, CURLOPT_WRITEDATA, me)
            return curl_easy_perform(handle)
        }
        if cancel.isCancelled { return .cancelled }
        if status != 0 && !(200..<300).contains(status) { return httpError() }
        if let (type, message) = streamError { return .streamError(type: type, message: message) }
        if stopped { return .completed(text: text, model: model, usage: usage, stopReason: stopReason) }
        if let failure { return .transport(failure) }
        if timedOut { return .transport("no bytes for \(Int(readTimeout)) s (read timeout)") }
        if code != CURLE_OK { return .transport(String(cString: curl_easy_strerror(code))) }
        return .transport("the stream ended before message_stop")
    }

    /// Progress: false aborts the transfer (cancelled, or silent for longer than the read timeout).
    func tick() -> Bool {
        if cancel.isCancelled { return false }
        if Double(DispatchTime.now().uptimeNanoseconds - lastByte) / 1e9 > readTimeout {
            timedOut = true
            return false
        }
        return true
    }

    func header(_ raw: UnsafeRawBufferPointer) {
        lastByte = DispatchTime.now().uptimeNanoseconds
        let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new response (after a 100 Continue, say): start over.
            status = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
            headers = [:]
        } else if let colon = line.firstIndex(of: ":") {
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces
            )
        }
    }

    func write(_ raw: UnsafeRawBufferPointer) -> Bool {
        lastByte = DispatchTime.now().uptimeNanoseconds
        if cancel.isCancelled { return false }
        guard (200..<300).contains(status) else {
            if errorBody.count < 65_536 { errorBody.append(contentsOf: raw.prefix(65_536 - errorBody.count)) }
            return true
        }
        let events = parser.feed(raw)
        do {
            for e in events {
                let event = try AnthropicEvent.decode(e)
                switch event {
                case .messageStart(_, let m, let u):
                    model = m
                    usage = u
                case .textDelta(_, let t): text += t
                case .messageDelta(let reason, let out):
                    if let reason { stopReason = reason }
                    if let out { usage.outputTokens = out }
                case .messageStop: stopped = true
                case .error(let type, let message): streamError = (type, message)
                default: break
                }
                onEvent(event)
                if streamError != nil { return false }
                if stopped { return true }
            }
        } catch {
            failure = "\(error)"
            return false
        }
        if parser.failed {
            failure = "an event-stream line exceeded \(parser.maxLineBytes) bytes"
            return false
        }
        return true
    }

    func httpError() -> StreamOutcome {
        var type: String?
        var code: String?
        var message = "HTTP \(status)"
        if let o = try? JSONDecoder().decode(WireObject.self, from: Data(errorBody)), let e = o.error?.object {
            type = e.type
            message = e.messageText ?? message
            code = e.details?.object.errorCode
        }
        // Seconds only; anything else (an HTTP date, "inf", "nan", a negative number) is ignored.
        let retryAfter = headers["retry-after"].flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }.flatMap {
            $0.isFinite && $0 >= 0 ? $0 : nil
        }
        return .httpError(status: status, retryAfter: retryAfter, errorType: type, errorCode: code, message: message)
    }
}
