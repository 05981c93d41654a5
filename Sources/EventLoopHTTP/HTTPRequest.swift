/// A complete request as handlers see it: decoded path, query, headers, body and route parameters.
package struct HTTPRequest: Sendable {
    package let method: String
    /// The raw request target as sent.
    package let target: String
    /// The decoded path segments (`/api/a%2Fb/x` gives `["api", "a/b", "x"]`).
    package let pathSegments: [String]
    package let query: [(String, String)]
    package let headers: HTTPHeaders
    package internal(set) var body: [UInt8]
    package let versionMinor: Int
    /// Path parameters filled by the router (`{id}` in a pattern).
    package internal(set) var parameters: [String: String] = [:]
    /// The route's name for metrics and logs, or "static"/"unmatched".
    package internal(set) var routeName: String = "unmatched"
    /// The peer's address as text.
    package let remoteAddress: String

    package init(
        method: String,
        target: String,
        pathSegments: [String],
        query: [(String, String)],
        headers: HTTPHeaders,
        body: [UInt8],
        versionMinor: Int = 1,
        remoteAddress: String = ""
    ) {
        self.method = method
        self.target = target
        self.pathSegments = pathSegments
        self.query = query
        self.headers = headers
        self.body = body
        self.versionMinor = versionMinor
        self.remoteAddress = remoteAddress
    }

    /// The decoded path, `/` joined.
    package var path: String { "/" + pathSegments.joined(separator: "/") }

    /// The first value of a query parameter.
    package func queryValue(_ name: String) -> String? { query.first { $0.0 == name }?.1 }

    package func parameter(_ name: String) -> String? { parameters[name] }

    /// `Last-Event-ID` from the header, or from `?last_event_id=` for clients that cannot set headers.
    package var lastEventID: String? { headers["last-event-id"] ?? queryValue("last_event_id") }

    /// Builds a request from a parsed head; nil when the target cannot be decoded.
    static func make(head: HTTPRequestHead, body: [UInt8], remoteAddress: String) -> HTTPRequest? {
        let target = head.target
        let pathPart: Substring
        let queryPart: Substring?
        if let q = target.firstIndex(of: "?") {
            pathPart = target[..<q]
            queryPart = target[target.index(after: q)...]
        } else {
            pathPart = target[...]
            queryPart = nil
        }
        var segments: [String] = []
        for raw in pathPart.split(separator: "/", omittingEmptySubsequences: true) {
            guard let s = PercentDecoding.decode(raw) else { return nil }
            segments.append(s)
        }
        var query: [(String, String)] = []
        if let q = queryPart {
            guard let parsed = PercentDecoding.parseQuery(q) else { return nil }
            query = parsed
        }
        return HTTPRequest(
            method: head.method,
            target: target,
            pathSegments: segments,
            query: query,
            headers: head.headers,
            body: body,
            versionMinor: head.versionMinor,
            remoteAddress: remoteAddress
        )
    }
}
