import HTTPAPI
import PlanogramDomain

/// Who may read, stream and cancel a job (docs/API.md, "Jobs"): its owner (the token's subject that
/// started it), an admin, or a token whose role may start that kind of job and whose `devices` claim covers
/// every device the job touches. A token without a claim covers every device; a job without a device list
/// (a fleet-wide job, or one stored before jobs recorded their devices) is covered only by such a token.
package enum JobAccess {
    /// What is kept of a job to decide.
    package struct Owner: Sendable, Equatable {
        package let kind: String
        package let createdBy: String
        /// nil: every device.
        package let devices: Set<String>?

        package init(kind: String, createdBy: String, devices: Set<String>?) {
            self.kind = kind
            self.createdBy = createdBy
            self.devices = devices
        }
    }

    /// The roles that may start each kind of job (the routes that submit them).
    static let starters: [String: Set<Role>] = [
        "fleet_plan": [.manager, .admin],
        "routes_plan": [.manager, .admin],
        "optimize": [.merchandiser, .manager, .admin],
        "optimize_batch": [.manager, .admin],
        "propose": [.merchandiser, .manager, .admin],
    ]

    package static func allows(_ p: Principal, _ job: Owner) -> Bool {
        if p.role == .admin || p.subject == job.createdBy { return true }
        guard starters[job.kind]?.contains(p.role) == true else { return false }
        guard let claim = p.devices else { return true }
        guard let devices = job.devices else { return false }
        return devices.isSubset(of: claim)
    }

    /// Throws 404 for an unknown job and 403 for one the token may not see.
    package static func check(_ runner: JobRunner, _ id: String, _ p: Principal) throws -> Owner {
        guard let owner = try runner.owner(id) else { throw APIError.notFound("no job \(id)") }
        guard allows(p, owner) else {
            throw APIError.forbidden(
                "job \(id) was started by another user and touches devices this token does not cover"
            )
        }
        return owner
    }
}
