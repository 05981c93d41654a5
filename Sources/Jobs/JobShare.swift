/// How the job queue is shared (`PLANOGRAM_JOBS_QUEUED`, `PLANOGRAM_JOBS_PER_USER`,
/// `PLANOGRAM_JOBS_ADMIN_RESERVE`): at most `maxQueued` jobs wait for a worker; one user (an admin too) holds at most
/// `perUser` jobs waiting or running; the last `adminReserve` waiting places are an admin's only. A user
/// over their share, or a queue full for them, gets 429 and the others still get places.
package struct JobShare: Sendable, Equatable {
    package var maxQueued = 32
    package var perUser = 8
    package var adminReserve = 4

    package init(maxQueued: Int = 32, perUser: Int = 8, adminReserve: Int = 4) {
        self.maxQueued = maxQueued
        self.perUser = perUser
        self.adminReserve = adminReserve
    }

    /// Whether one more job of a user with `userActive` jobs queued or running fits, with `waiting` queued.
    package func admits(waiting: Int, userActive: Int, isAdmin: Bool) -> Bool {
        guard userActive < perUser else { return false }
        return waiting < (isAdmin ? maxQueued : max(0, maxQueued - adminReserve))
    }
}
