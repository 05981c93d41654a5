import Foundation
import PlanogramDomain

/// A version published outside a live session (an experiment's treatment): the session's published base
/// moves to it, so its revenue predictions compare against what the machine now carries; its draft stays
/// as the editors left it; every subscriber hears `published`. On the session queue.
extension LiveSession {
    func publishedElsewhere(_ p: Planogram, by user: String) {
        guard p.version > published.version else { return }
        published = p
        bus.publish(
            "published",
            data: PublishedEvent(
                planogramVersion: p.version,
                by: user,
                name: user,
                seq: state.committed.seq,
                version: state.committed.version
            ),
            changeSeq: nil,
            stateKey: nil
        )
        derived.wholeCabinetDue = true
        refreshSummary()
        scheduleDerived()
    }
}

extension SessionRegistry {
    /// Tells the cabinet's open session, if any, of a version published elsewhere.
    package func publishedElsewhere(_ key: CabinetKey, _ p: Planogram, by user: String) {
        guard let s = session(Self.sessionID(key)) else { return }
        s.queue.async { s.publishedElsewhere(p, by: user) }
    }
}
