import Foundation
import HTTPTestClient
import XCTest

/// The events of a job's stream (`GET /api/jobs/{id}/events`) up to its end: `done`, `failed` or `cancelled`.
func jobEvents(_ port: Int, _ id: String, token: String, timeout: Double = 60) throws -> [RawClient.Event] {
    let c = try RawClient(port: port, timeout: timeout)
    c.send("GET /api/jobs/\(id)/events HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \(token)\r\n\r\n")
    XCTAssertEqual(try c.readResponse(head: true).status, 200)
    var out: [RawClient.Event] = []
    while true {
        let e = try c.readEvent()
        out.append(e)
        if ["done", "failed", "cancelled"].contains(e.event ?? "") { return out }
    }
}

/// An event's data as a JSON object (empty when it is not one).
func eventJSON(_ e: RawClient.Event) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(e.data.utf8)) as? [String: Any]) ?? [:]
}
