import Jobs
import XCTest

/// How the job queue is shared (`JobShare`): one user's jobs cannot take every place, and the last places are
/// an admin's.
final class JobShareTests: XCTestCase {
    func testOneUsersJobsCannotTakeEveryPlaceAndTheLastPlacesAreAnAdmins() {
        let share = JobShare(maxQueued: 6, perUser: 2, adminReserve: 2)
        XCTAssertTrue(share.admits(waiting: 3, userActive: 1, isAdmin: false))
        // Over their own share, an admin too.
        XCTAssertFalse(share.admits(waiting: 0, userActive: 2, isAdmin: true))
        // The last two waiting places are an admin's only.
        XCTAssertFalse(share.admits(waiting: 4, userActive: 0, isAdmin: false))
        XCTAssertTrue(share.admits(waiting: 5, userActive: 0, isAdmin: true))
        XCTAssertFalse(share.admits(waiting: 6, userActive: 0, isAdmin: true))
    }
}
