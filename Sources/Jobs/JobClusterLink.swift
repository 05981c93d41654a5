/// How a cluster's node tells the others of its jobs: each progress frame and last frame (for their
/// watchers), and a cancel asked of a job another node runs. Implemented by the app's cluster announcer
/// over the cluster bus.
package protocol JobAnnouncer: Sendable {
    func jobFrame(_ jobID: String, _ frame: [UInt8], terminal: Bool)
    func cancelJob(_ jobID: String)
}

/// A job runner's place in a cluster: the node its jobs are recorded under, the relay that streams the other
/// nodes' jobs here, and the announcer that tells them of this node's.
package struct JobClusterLink: Sendable {
    package let nodeID: String
    package let relay: JobRelay
    package let announcer: any JobAnnouncer

    package init(nodeID: String, relay: JobRelay, announcer: any JobAnnouncer) {
        self.nodeID = nodeID
        self.relay = relay
        self.announcer = announcer
    }
}
