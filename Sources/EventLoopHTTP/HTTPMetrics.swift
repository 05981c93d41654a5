import CoreMetrics

/// The engine's metrics, through the swift-metrics API (the app chooses the backend).
///
/// Names: `http_connections_open`, `http_connections_total`, `http_connections_rejected_total`,
/// `http_requests_total{route,status}`, `http_request_duration_seconds{route}`, `sse_subscribers`,
/// `sse_subscribers_dropped_total`, `http_bytes_written_total`.
final class HTTPMetrics: Sendable {
    let connectionsOpen = Meter(label: "http_connections_open")
    let connectionsTotal = Counter(label: "http_connections_total")
    let connectionsRejected = Counter(label: "http_connections_rejected_total")
    let sseSubscribers = Meter(label: "sse_subscribers")
    let sseDropped = Counter(label: "sse_subscribers_dropped_total")
    let bytesWritten = Counter(label: "http_bytes_written_total")
}

/// A route's request counter and latency timer, cached per loop and status so the hot path does no
/// registry look-up.
final class RequestMetrics {
    let requests: Counter
    let latency: Timer
    init(route: String, status: Int) {
        requests = Counter(label: "http_requests_total", dimensions: [("route", route), ("status", String(status))])
        latency = Timer(label: "http_request_duration_seconds", dimensions: [("route", route)])
    }
}

extension EventLoop {
    func recordRequest(route: String, status: Int, nanos: UInt64) {
        let key = "\(route)|\(status)"
        let m: RequestMetrics
        if let cached = requestCounters[key] {
            m = cached
        } else {
            m = RequestMetrics(route: route, status: status)
            requestCounters[key] = m
        }
        m.requests.increment()
        m.latency.recordNanoseconds(Int64(clamping: nanos))
    }
}
