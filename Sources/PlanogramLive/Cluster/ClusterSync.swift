import Dispatch
import Foundation
import HTTPAPI
import Jobs
import Logging
import PlanogramDomain
import Sessions

/// A node's part in a cluster (docs/OPERATIONS.md): tells the other nodes of its live sessions (its imports,
/// publishes, fits and jobs are told by `ClusterAnnouncer`), and acts on what they tell — reload the catalogue and forget published planograms after an import,
/// move an open session's published base after a publish, load the stored models after a fit, list the
/// other nodes' sessions on the dashboard, and drop a session another node took over. After the bus
/// reconnects (messages may have been missed) it refreshes all of it.
/// Confinement: `lastSent` and `lastSentAt` only on `queue`.
final class ClusterSync: @unchecked Sendable {
    let bus: any ClusterBus
    let directory: ClusterDirectory
    private let app: AppContext
    private let registry: SessionRegistry
    private let insights: InsightsEngine
    /// Re-estimated after another node's import.
    private let experiments: ExperimentService
    /// This node's jobs (another node may ask to cancel one).
    private let jobs: JobRunner
    /// The other nodes' job frames go here.
    private let relay: JobRelay
    private let queue = DispatchQueue(label: "planogram.cluster")
    private let work = DispatchQueue(label: "planogram.cluster.work")
    private let stopped = OnceFlag()
    private var lastSent: [String] = []
    private var lastSentAt = 0.0

    init(
        bus: any ClusterBus,
        directory: ClusterDirectory,
        app: AppContext,
        registry: SessionRegistry,
        insights: InsightsEngine,
        experiments: ExperimentService,
        jobs: JobRunner,
        relay: JobRelay
    ) {
        self.bus = bus
        self.directory = directory
        self.app = app
        self.registry = registry
        self.insights = insights
        self.experiments = experiments
        self.jobs = jobs
        self.relay = relay
    }

    func start() throws {
        try bus.start(onMessage: { [weak self] m in self?.handle(m) }, onGap: { [weak self] in self?.refresh() })
        // The heartbeat is the node's sign of life: a thread of its own, so that no queue or pool this
        // process keeps busy can silence it (the others would take it for dead).
        let t = Thread { [weak self] in
            var beats = 0
            while let self, !self.stopped.isSet {
                self.queue.sync { self.heartbeat() }
                beats += 1
                // Every 10 s: end the streams of other nodes' jobs the store says have ended (a node that
                // restarted failed its unfinished jobs at start without telling anyone's watchers).
                if beats % 40 == 0 {
                    let (relay, jobs) = (self.relay, self.jobs)
                    self.work.async { relay.settle(jobs) }
                }
                Thread.sleep(forTimeInterval: 0.25)
            }
        }
        t.name = "cluster-heartbeat"
        t.start()
    }

    func stop() {
        stopped.set()
        bus.stop()
    }

    // MARK: telling (the rest is `ClusterAnnouncer`)

    /// This node's sessions, when they changed and at least every `ClusterDirectory.heartbeat` seconds.
    private func heartbeat() {
        directory.expire()
        let local = registry.all.sorted { $0.id < $1.id }
        let texts = local.map { s -> String in
            var o = s.summaryBody()
            o.heldSince = s.heldSince
            o.node = bus.nodeID
            return String(decoding: (try? APIJSON.encode(o)) ?? [], as: UTF8.self)
        }
        let now = Date().timeIntervalSince1970
        guard texts != lastSent || now - lastSentAt >= ClusterDirectory.heartbeat else { return }
        lastSent = texts
        lastSentAt = now
        bus.send(ClusterMessage(kind: .sessions, node: bus.nodeID, sessions: texts))
    }

    // MARK: hearing

    private func handle(_ m: ClusterMessage) {
        if m.kind != .sessions { directory.touch(node: m.node) }
        switch m.kind {
        case .sessions:
            let list = m.sessions ?? []
            directory.update(node: m.node, sessions: list)
            // A session both nodes hold stays with the later holder.
            for text in list {
                guard let o = try? JSONDecoder().decode(SessionSummary.self, from: Data(text.utf8)),
                    let theirs = o.heldSince, let mine = registry.session(o.sessionID), theirs > mine.heldSince
                else { continue }
                registry.evict(o.sessionID)
            }
        case .imported:
            work.async { [self] in
                reloadCatalog()
                experiments.salesImported()
            }
        case .published:
            app.published.invalidate()
            guard let device = m.deviceID, let index = m.cabinetIndex, let version = m.version else { return }
            work.async { [self] in
                let key = CabinetKey(device, index)
                guard registry.session(SessionRegistry.sessionID(key)) != nil,
                    let plan = try? app.store.planogram(deviceID: device, cabinetIndex: index, version: version)
                else { return }
                registry.publishedElsewhere(key, plan, by: m.by ?? "another node")
            }
        case .modelsFitted:
            work.async { [self] in insights.loadStored() }
        case .job:
            if let id = m.jobID, let frame = m.frame {
                relay.frame(id, Array(frame.utf8), terminal: m.terminal ?? false)
            }
        case .cancelJob:
            if let id = m.jobID { _ = jobs.cancel(id) }
        }
    }

    private func reloadCatalog() {
        do {
            app.catalog.replace(try app.store.loadCatalog())
            app.published.invalidate()
        } catch {
            app.logger.error("cluster: catalogue reload failed", metadata: ["error": "\(error)"])
        }
    }

    /// After a gap in the bus: everything another node may have told meanwhile, read again.
    private func refresh() {
        app.logger.notice("cluster bus reconnected; refreshing catalogue, published planograms and models")
        work.async { [self] in
            reloadCatalog()
            insights.loadStored()
        }
    }
}
