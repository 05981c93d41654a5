import EventLoopHTTP
import Experiments
import Foundation
import HTTPAPI
import PlanogramDomain
import Store

/// Experiments as the server runs them (docs/MODELS.md): creation (devices, matched pairs, the treatment
/// published through the store's publish path in the same transaction), the analysis as of the newest
/// data (`Experiments`), and the subscribers of each experiment's estimate, told again after every import.
final class ExperimentService: @unchecked Sendable {
    static let preDays = 28
    let app: AppContext
    private let loops: EventLoopGroup
    private let lock = NSLock()
    private var feeds: [String: Broadcaster] = [:]

    init(app: AppContext, loops: EventLoopGroup) {
        self.app = app
        self.loops = loops
    }

    // MARK: analysis

    /// The experiment with its estimate, decision and (with `detail`) series and daily estimates. Blocking.
    func describe(_ e: StoredExperiment, detail: Bool) throws -> ExperimentResponse {
        let body = try JSONDecoder().decode(ExperimentBody.self, from: e.body)
        let lastDay = try app.clock.day(of: app.asOf() - 1)
        let endDay = min(lastDay, e.stoppedAt.map { app.clock.day(of: $0) } ?? lastDay)
        let days = max(0, Int(endDay - e.startDay + 1))
        let ids = e.arms.keys.sorted()
        let metric = DailyMetrics.Metric(rawValue: e.metric) ?? .revenue
        let from = e.startDay - Int64(body.preDays)
        let daily = try DailyMetrics.read(
            app.store,
            metric: metric,
            devices: Set(ids),
            fromDay: from,
            toDay: max(from, endDay + 1)
        )
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        let strata = body.strata.map { $0.compactMap { index[$0] } }
        let treated = ids.map { e.arms[$0] == "treatment" }
        let analysis = ExperimentLooks.analyse(
            ids: ids,
            post: ids.map { Array((daily[$0] ?? []).dropFirst(body.preDays)) },
            pre: ids.map { body.pre[$0] ?? 0 },
            treated: treated,
            strata: strata,
            seed: e.seed,
            days: days,
            minDays: e.minDays
        )
        let estimate = analysis.estimate
        var history: [DailyEstimate] = []
        if detail && days >= 7 {
            history = analysis.looks.map { l in
                DailyEstimate(
                    date: FleetClock.dateText(e.startDay + Int64(l.day) - 1),
                    effect: l.effect,
                    confidenceInterval: [l.effect - 1.96 * l.standardError, l.effect + 1.96 * l.standardError],
                    alwaysValidPValue: l.alwaysValidPValue
                )
            }
            if let full = estimate {
                history.append(
                    DailyEstimate(
                        date: FleetClock.dateText(endDay),
                        effect: full.effect,
                        confidenceInterval: full.confidenceInterval,
                        alwaysValidPValue: full.alwaysValidPValue
                    )
                )
            }
        }
        let (decision, reason): (String, String)
        if let estimate {
            let d = ExperimentDecision.decide(
                estimate,
                days: days,
                minDays: e.minDays,
                lowerIsBetter: metric.lowerIsBetter
            )
            (decision, reason) = (d.decision.rawValue, d.reason)
        } else {
            (decision, reason) = (ExperimentDecision.continue.rawValue, "no data since the start yet")
        }
        var series: ExperimentSeries?
        if detail {
            let width = Int(max(0, endDay + 1 - from))
            func arm(_ t: Bool) -> [Double] {
                let members = ids.enumerated().filter { treated[$0.offset] == t }.map(\.element)
                return (0..<width).map { d in
                    members.reduce(0) { $0 + (daily[$1]?[safe: d] ?? 0) } / Double(max(members.count, 1))
                }
            }
            series = ExperimentSeries(
                dates: (0..<width).map { FleetClock.dateText(from + Int64($0)) },
                control: arm(false),
                treatment: arm(true),
                startIndex: body.preDays
            )
        }
        return ExperimentResponse(
            experimentID: e.id,
            name: e.name,
            hypothesis: e.hypothesis,
            metric: e.metric,
            status: e.status,
            start: FleetClock.dateText(e.startDay),
            minDays: e.minDays,
            days: days,
            seed: String(e.seed),
            assignment: e.arms,
            strata: body.strata,
            createdBy: e.createdBy,
            createdAt: FieldParse.iso8601(e.createdAt),
            stoppedAt: e.stoppedAt.map(FieldParse.iso8601),
            stopReason: e.stopReason,
            estimate: estimate.map(Self.rounded),
            decision: decision,
            decisionReason: reason,
            series: series,
            estimates: detail ? history : nil
        )
    }

    static func rounded(_ e: ExperimentEstimate) -> ExperimentEstimate {
        func r(_ x: Double, _ places: Double = 1e4) -> Double { (x * places).rounded() / places }
        var o = e
        o.effect = r(e.effect)
        o.effectPercentage = r(e.effectPercentage, 100)
        o.confidenceInterval = e.confidenceInterval.map { r($0) }
        o.pValue = r(e.pValue, 1e5)
        o.alwaysValidPValue = r(e.alwaysValidPValue, 1e5)
        o.standardError = r(e.standardError)
        o.controlMean = r(e.controlMean)
        o.differenceInDifferences = r(e.differenceInDifferences)
        o.sequentialBoundary = e.sequentialBoundary.map { r($0) }
        return o
    }

    // MARK: live estimates

    func feed(_ id: String) -> Broadcaster {
        lock.lock()
        defer { lock.unlock() }
        if let b = feeds[id] { return b }
        let b = Broadcaster(group: loops)
        feeds[id] = b
        return b
    }

    /// After an import: every running experiment with subscribers gets its estimate again. Off any loop.
    func salesImported() {
        lock.lock()
        let ids = Array(feeds.keys)
        lock.unlock()
        DispatchQueue.global(qos: .utility).async { [self] in
            for id in ids {
                guard let e = try? app.store.experiment(id), let d = try? describe(e, detail: false) else { continue }
                feed(id).publish(EventFrame.encode("estimate", d))
            }
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
