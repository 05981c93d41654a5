import Foundation
import PlanogramLive
import XCTest

/// The server refuses to start with a token secret too short to sign with.
final class AuthTests: XCTestCase {
    func testAShortSecretIsRefusedAtStart() throws {
        var c = AppConfiguration()
        c.secret = "k"
        XCTAssertThrowsError(try c.validate())
        c.secret = String(repeating: "s", count: 32)
        XCTAssertNoThrow(try c.validate())
    }
}
