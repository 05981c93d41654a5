import Jobs
import PlanogramDomain

/// What a node tells the other nodes of a cluster (docs/OPERATIONS.md): an import, a publish, a fit, and its
/// jobs' frames and cancels. Built first, from the bus alone, so that every part that has something to tell
/// takes it in its initializer. On one process (`LocalClusterBus`) nothing is sent.
final class ClusterAnnouncer: JobAnnouncer, Sendable {
    let bus: any ClusterBus

    init(bus: any ClusterBus) { self.bus = bus }

    func imported() { bus.send(ClusterMessage(kind: .imported, node: bus.nodeID)) }

    func published(_ key: CabinetKey, version: Int, by: String) {
        bus.send(
            ClusterMessage(
                kind: .published,
                node: bus.nodeID,
                deviceID: key.deviceID,
                cabinetIndex: key.index,
                version: version,
                by: by
            )
        )
    }

    func fitted() { bus.send(ClusterMessage(kind: .modelsFitted, node: bus.nodeID)) }

    func jobFrame(_ jobID: String, _ frame: [UInt8], terminal: Bool) {
        bus.send(
            ClusterMessage(
                kind: .job,
                node: bus.nodeID,
                jobID: jobID,
                frame: String(decoding: frame, as: UTF8.self),
                terminal: terminal
            )
        )
    }

    func cancelJob(_ jobID: String) { bus.send(ClusterMessage(kind: .cancelJob, node: bus.nodeID, jobID: jobID)) }
}
