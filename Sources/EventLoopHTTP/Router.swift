/// A request handler. Runs on the connection's event loop; it must not block. It answers through the
/// `Responder`, now or later, from any thread.
package typealias HTTPHandler = @Sendable (HTTPRequest, Responder) -> Void

/// Decides from a request's head alone (method, target, headers; the body is empty) whether its body is
/// worth reading: a response refuses the request before the body is read — no `100 Continue` is sent and
/// the connection closes after the answer. Runs on the loop; it must be cheap (a token check).
package typealias HTTPAdmission = @Sendable (HTTPRequest) -> HTTPResponse?

/// Routes built from plain values: a method and a pattern like `/api/sessions/{sid}/events`.
///
/// `{name}` matches one segment, `{name...}` the rest of the path. A GET route also answers HEAD.
/// Matching order: literal segments win over parameters, then registration order; a path bound by a route
/// with more literal segments is that route's alone (another method there is a 405, not a parameter route).
package struct Router: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
        case rest(String)
    }

    struct Route: Sendable {
        let method: String
        let segments: [Segment]
        let name: String
        let maxBodyBytes: Int?
        let admit: HTTPAdmission?
        let handler: HTTPHandler
        var literalCount: Int { segments.filter { if case .literal = $0 { return true } else { return false } }.count }
    }

    /// What a look-up found.
    enum Match {
        case found(Route, [String: String])
        case methodNotAllowed([String])
        case notFound
    }

    private(set) var routes: [Route] = []

    /// A route as it was added: method, pattern (`/api/jobs/{id}`) and name.
    package struct Entry: Sendable, Hashable {
        package let method: String
        package let pattern: String
        package let name: String
    }

    /// Every route, in matching order.
    package var table: [Entry] {
        routes.map { r in
            let pattern =
                "/"
                + r.segments.map { s -> String in
                    switch s {
                    case .literal(let t): t
                    case .parameter(let n): "{\(n)}"
                    case .rest(let n): "{\(n)...}"
                    }
                }.joined(separator: "/")
            return Entry(method: r.method, pattern: pattern, name: r.name)
        }
    }
    /// Answers GET and HEAD requests no route matched (static files).
    package var fallback: HTTPHandler?

    package init() {}

    /// Adds a route. `name` labels metrics (defaults to the pattern); `maxBodyBytes` overrides the
    /// server's body limit for this route; `admit` is asked before a body that is not already at hand
    /// (larger than `HTTPConnection.admissionThreshold`, chunked, or awaited with `Expect: 100-continue`) is read.
    package mutating func add(
        _ method: String,
        _ pattern: String,
        name: String? = nil,
        maxBodyBytes: Int? = nil,
        admit: HTTPAdmission? = nil,
        _ handler: @escaping HTTPHandler
    ) {
        let segments: [Segment] = pattern.split(separator: "/").map { part in
            if part.hasPrefix("{") && part.hasSuffix("...}") { return .rest(String(part.dropFirst().dropLast(4))) }
            if part.hasPrefix("{") && part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        routes.append(
            Route(
                method: method,
                segments: segments,
                name: name ?? pattern,
                maxBodyBytes: maxBodyBytes,
                admit: admit,
                handler: handler
            )
        )
        routes.sort { $0.literalCount > $1.literalCount }  // stable: keeps registration order among equals
    }

    package mutating func get(_ p: String, name: String? = nil, _ h: @escaping HTTPHandler) {
        add("GET", p, name: name, h)
    }
    package mutating func delete(_ p: String, name: String? = nil, _ h: @escaping HTTPHandler) {
        add("DELETE", p, name: name, h)
    }
    package mutating func post(
        _ p: String,
        name: String? = nil,
        maxBodyBytes: Int? = nil,
        admit: HTTPAdmission? = nil,
        _ h: @escaping HTTPHandler
    ) {
        add("POST", p, name: name, maxBodyBytes: maxBodyBytes, admit: admit, h)
    }

    func match(method: String, segments path: [String]) -> Match {
        var allowed: [String] = []
        // A path a more literal route names belongs to it: routes with fewer literals that would also bind
        // it (`/api/planograms/{device_id}/{cabinet_index}` for `/api/planograms/optimize/batch`) are not
        // asked, so the method decides between 405 and the route, and `Allow` lists that route's methods.
        var literals: Int?
        for route in routes {
            if let best = literals, route.literalCount < best { break }
            guard let params = Self.bind(route.segments, path) else { continue }
            literals = route.literalCount
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(route, params)
            }
            allowed.append(route.method)
            if route.method == "GET" { allowed.append("HEAD") }
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(Array(Set(allowed)).sorted())
    }

    static func bind(_ pattern: [Segment], _ path: [String]) -> [String: String]? {
        var params: [String: String] = [:]
        var i = 0
        for seg in pattern {
            switch seg {
            case .literal(let s):
                guard i < path.count, path[i] == s else { return nil }
            case .parameter(let name):
                guard i < path.count else { return nil }
                params[name] = path[i]
            case .rest(let name):
                params[name] = path[i...].joined(separator: "/")
                return params
            }
            i += 1
        }
        return i == path.count ? params : nil
    }
}
