import Dispatch
import Foundation
import HTTPAPI
import PlanogramDomain

/// A layout the optimizer proposed for a session's draft (docs/MODELS.md): the ops that lead there from the
/// draft at `baseVersion`.
package struct SessionProposal: Sendable {
    let id: String
    let baseVersion: Int
    let changes: [SessionOp]
    let by: String

    package init(id: String, baseVersion: Int, changes: [SessionOp], by: String) {
        self.id = id
        self.baseVersion = baseVersion
        self.changes = changes
        self.by = by
    }
}

/// Proposals in a live session: every subscriber gets the `proposal` event (the diff, the predicted
/// revenue and lift) before anyone applies it; applying turns the changes into ordinary ops, so the op
/// log, co-editors and undo-by-op see them like hand edits. All on the session queue.
extension LiveSession {
    static let maxProposals = 8

    package func addProposal(_ p: SessionProposal, body: any Encodable & Sendable, by user: Principal) {
        proposals[p.id] = p
        if proposals.count > Self.maxProposals, let oldest = proposals.keys.sorted().first(where: { $0 != p.id }) {
            proposals[oldest] = nil
        }
        bus.publish(
            "proposal",
            data: ProposalEvent(proposal: body, baseVersion: p.baseVersion, by: user.subject, name: user.name),
            changeSeq: nil,
            stateKey: nil
        )
    }

    /// Applies proposal `id` as ordinary ops; the reply comes once every op is durable (or the first fails).
    package func applyProposal(
        _ id: String,
        user: Principal,
        reply: @escaping @Sendable (Result<ProposalAppliedReply, APIError>) -> Void
    ) {
        guard let p = proposals[id] else { return reply(.failure(.notFound("no proposal \(id) in this session"))) }
        guard state.draft.version == p.baseVersion else {
            return reply(
                .failure(
                    APIError(
                        409,
                        "proposal_stale",
                        "the draft changed since the proposal (version \(p.baseVersion) → \(state.draft.version)); propose again"
                    )
                )
            )
        }
        proposals[id] = nil
        guard !p.changes.isEmpty else {
            return reply(.success(ProposalAppliedReply(applied: 0, version: state.draft.version, proposalID: nil)))
        }
        final class Tally: @unchecked Sendable {
            var left: Int
            var failed: APIError?
            var version = 0
            init(_ n: Int) { left = n }
        }
        let tally = Tally(p.changes.count)
        for (i, op) in p.changes.enumerated() {
            submit(
                user: user,
                clientOpID: "proposal:\(id):\(i)",
                baseVersion: state.draft.version,
                op: op,
                received: DispatchTime.now().uptimeNanoseconds
            ) { result in
                // Replies come on the session queue.
                switch result {
                case .success(let (_, version)): tally.version = max(tally.version, version)
                case .failure(let e): if tally.failed == nil { tally.failed = e }
                }
                tally.left -= 1
                guard tally.left == 0 else { return }
                if let e = tally.failed {
                    reply(.failure(APIError(e.status, e.code, "the proposal was applied in part: \(e.message)")))
                } else {
                    reply(
                        .success(ProposalAppliedReply(applied: p.changes.count, version: tally.version, proposalID: id))
                    )
                }
            }
        }
    }
}
