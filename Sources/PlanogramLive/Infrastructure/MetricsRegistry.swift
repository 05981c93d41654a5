import Foundation
import Metrics
import Prometheus

/// The process-wide Prometheus registry behind swift-metrics. Bootstrapped once (swift-metrics allows
/// one backend per process); every server in the process reports into it.
package enum MetricsRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var registry: PrometheusCollectorRegistry?

    /// The registry, bootstrapping the metrics system on first use.
    package static var shared: PrometheusCollectorRegistry {
        lock.lock()
        defer { lock.unlock() }
        if let r = registry { return r }
        let r = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: r)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        registry = r
        return r
    }

    /// The Prometheus text exposition of every metric.
    package static func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        shared.emit(into: &buffer)
        return buffer
    }
}
