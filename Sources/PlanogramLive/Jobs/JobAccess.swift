import PlanogramDomain

/// Who may read, stream and cancel a job (docs/API.md, "Jobs"): its owner (the token's subject that
/// started it), an admin, or a token whose role may start that kind of job and whose `devices` claim covers
/// every device the job touches. A token without a claim covers every device; a job without a device list
/// (a fleet-wide job, or one stored before jobs recorded their devices) is covered only by such a token.
enum JobAccess {
    /// What is kept of a job to decide.
    struct Owner: Sendable, Equatable {
        let kind: String
        let createdBy: String
        /// nil: every device.
        let devices: Set<String>?
    }

    /// The roles that may start each kind of job (the routes that submit them).
    static let starters: [String: Set<Role>] = [
        "fleet_plan": [.manager, .admin],
        "routes_plan": [.manager, .admin],
        "optimize": [.merchandiser, .manager, .admin],
        "optimize_batch": [.manager, .admin],
        "propose": [.merchandiser, .manager, .admin],
    ]

    static func allows(_ p: Principal, _ job: Owner) -> Bool {
        if p.role == .admin || p.subject == job.createdBy { return true }
        guard starters[job.kind]?.contains(p.role) == true else { return false }
        guard let claim = p.devices else { return true }
        guard let devices = job.devices else { return false }
        return devices.isSubset(of: claim)
    }

    /// Throws 404 for an unknown job and 403 for one the token may not see.
    static func check(_ runner: JobRunner, _ id: String, _ p: Principal) throws -> Owner {
        guard let owner = try runner.owner(id) else { throw APIError.notFound("no job \(id)") }
        guard allows(p, owner) else {
            throw APIError.forbidden(
                "job \(id) was started by another user and touches devices this token does not cover"
            )
        }
        return owner
    }
}
