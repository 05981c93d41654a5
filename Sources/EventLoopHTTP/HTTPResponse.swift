/// A complete response: status, headers and body. The engine adds `Content-Length` and `Connection`.
package struct HTTPResponse: Sendable {
    package var status: Int
    package var headers: HTTPHeaders
    package var body: [UInt8]

    package init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    package init(status: Int = 200, contentType: String, body: String) {
        self.status = status
        self.headers = HTTPHeaders([("Content-Type", contentType)])
        self.body = Array(body.utf8)
    }

    /// A plain-text response.
    package static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: text)
    }

    /// A JSON response from bytes already encoded.
    package static func json(_ status: Int, _ bytes: [UInt8]) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: HTTPHeaders([("Content-Type", "application/json; charset=utf-8")]),
            body: bytes
        )
    }

    /// The serialized head and body. HEAD responses keep the length of the body they omit.
    func serialize(keepAlive: Bool, omitBody: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + headers.count * 32 + (omitBody ? 0 : body.count))
        out.append(contentsOf: "HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\n".utf8)
        var hasLength = false
        for (name, value) in headers {
            if name == "connection" { continue }
            if name == "content-length" { hasLength = true }
            out.append(contentsOf: HTTPStatus.canonicalName(name).utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        let bodyless = status == 204 || status == 304 || (100..<200).contains(status)
        if !hasLength && !bodyless {
            out.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8)
        }
        out.append(contentsOf: (keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n").utf8)
        if !omitBody && !bodyless { out.append(contentsOf: body) }
        return out
    }
}

/// Reason phrases and header-name casing for serialization.
package enum HTTPStatus {
    package static func reason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }

    /// `content-type` → `Content-Type`.
    static func canonicalName(_ lower: String) -> String {
        var out = ""
        out.reserveCapacity(lower.utf8.count)
        var upper = true
        for ch in lower {
            out.append(upper ? Character(ch.uppercased()) : ch)
            upper = ch == "-"
        }
        return out
    }
}
