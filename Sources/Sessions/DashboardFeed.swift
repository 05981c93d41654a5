import Dispatch
import EventLoopHTTP
import Foundation
import HTTPAPI
import PlanogramDomain

/// The managers' live list of sessions (`GET /api/sessions/events`): a `sessions` event with every live
/// session's summary (participants, version, ops, last activity) when a subscriber joins, then whenever
/// the list changes, checked once per `interval` and only while someone listens. Subscribers without a
/// `devices` claim share one encoding through a Broadcaster; a subscriber with a claim gets its own
/// filtered list. Confinement: mutable state only on `queue`.
package final class DashboardFeed: @unchecked Sendable {
    private let queue = DispatchQueue(label: "planogram.dashboard")
    private let registry: SessionRegistry
    private let loops: EventLoopGroup
    private var shared: Broadcaster?
    private var sharedCount = 0
    private var restricted: [(stream: EventStream, devices: Set<String>, last: [UInt8])] = []
    private var lastShared: [UInt8] = []
    private var timer: DispatchSourceTimer?
    private let interval: Double

    package init(registry: SessionRegistry, loops: EventLoopGroup, interval: Double = 1) {
        self.registry = registry
        self.loops = loops
        self.interval = interval
    }

    package func subscribe(_ stream: EventStream, principal: Principal) {
        queue.async { [self] in
            let summaries = currentSummaries()
            if let devices = principal.devices {
                let body = encode(summaries, devices: Set(devices))
                stream.send(frame(body))
                restricted.append((stream, Set(devices), body))
            } else {
                if shared == nil { shared = Broadcaster(group: loops) }
                let body = encode(summaries, devices: nil)
                stream.send(frame(body))
                if sharedCount == 0 { lastShared = body }
                shared!.subscribe(stream)
                sharedCount += 1
            }
            stream.onClose { [self] in
                queue.async { [self] in
                    if let i = restricted.firstIndex(where: { $0.stream === stream }) {
                        restricted.remove(at: i)
                    } else {
                        sharedCount -= 1
                    }
                    if sharedCount == 0 && restricted.isEmpty { stopTimer() }
                }
            }
            startTimer()
        }
    }

    private func startTimer() {
        guard timer == nil else { return }
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + interval, repeating: interval)
        t.setEventHandler { [weak self] in self?.tick() }
        t.resume()
        timer = t
    }

    private func stopTimer() {
        timer?.cancel()
        timer = nil
    }

    private func tick() {
        let summaries = currentSummaries()
        if sharedCount > 0, let shared {
            let body = encode(summaries, devices: nil)
            if body != lastShared {
                lastShared = body
                shared.publish(frame(body))
            }
        }
        for i in restricted.indices {
            let body = encode(summaries, devices: restricted[i].devices)
            if body != restricted[i].last {
                restricted[i].last = body
                restricted[i].stream.send(frame(body))
            }
        }
    }

    private func currentSummaries() -> [(device: String, summary: SessionSummary)] {
        registry.summaries()
    }

    private func encode(_ list: [(device: String, summary: SessionSummary)], devices: Set<String>?) -> [UInt8] {
        let body = SessionsResponse(sessions: list.filter { devices?.contains($0.device) ?? true }.map(\.summary))
        // Summaries are strings and whole numbers: they always encode.
        return (try? APIJSON.encode(body)) ?? Array(#"{"sessions":[]}"#.utf8)
    }

    private func frame(_ body: [UInt8]) -> [UInt8] {
        SSEFrame(event: "sessions", data: String(decoding: body, as: UTF8.self)).bytes
    }
}
