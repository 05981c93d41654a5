/// How the job queue is shared (`PLANOGRAM_JOBS_QUEUED`, `PLANOGRAM_JOBS_PER_USER`,
/// `PLANOGRAM_JOBS_ADMIN_RESERVE`): at most `maxQueued` jobs wait for a worker; one user (an admin too) holds at most
/// `perUser` jobs waiting or running; the last `adminReserve` waiting places are an admin's only. A user
/// over their share, or a queue full for them, gets 429 and the others still get places.
struct JobShare: Sendable, Equatable {
    var maxQueued = 32
    var perUser = 8
    var adminReserve = 4

    /// Whether one more job of a user with `userActive` jobs queued or running fits, with `waiting` queued.
    func admits(waiting: Int, userActive: Int, isAdmin: Bool) -> Bool {
        guard userActive < perUser else { return false }
        return waiting < (isAdmin ? maxQueued : max(0, maxQueued - adminReserve))
    }
}
