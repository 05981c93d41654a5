import Foundation
import HTTPAPI
import HTTPTestClient
import Jobs
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// The Codable request and response types of `APITypes.swift`: how they are written and how a bad
/// request is refused (by field path, in the contract's error shape).
final class APITypesTests: XCTestCase {
    private func text(_ value: some Encodable) throws -> String {
        String(decoding: try APIJSON.encode(value), as: UTF8.self)
    }

    func testKeysTheSpecAlwaysShowsAreWrittenAsNullAndOthersAreLeftOut() throws {
        XCTAssertEqual(try text(JobEvent.Done(jobID: "job_1", result: nil)), #"{"job_id":"job_1","result":null}"#)
        let status = JobStatusResponse(
            jobID: "job_1",
            kind: "fleet_plan",
            state: "running",
            progress: 0.5,
            message: "m",
            result: nil,
            error: nil
        )
        XCTAssertEqual(
            try text(status),
            #"{"job_id":"job_1","kind":"fleet_plan","message":"m","progress":0.5,"state":"running"}"#
        )
        XCTAssertEqual(
            try text(JobAcceptedResponse(jobID: "j", eventsURL: "/api/jobs/j/events")),
            #"{"events_url":"/api/jobs/j/events","job_id":"j"}"#
        )
    }

    func testAJobResultKeepsWholeNumbersWhole() throws {
        let written = try APIJSON.encode(["devices": 3.0, "revenue": 12.5] as [String: Double])
        let value = try JSONDecoder().decode(
            JSONValue.self,
            from: Data(#"{"devices":3,"revenue":12.5,"ids":["a",null,true]}"#.utf8)
        )
        XCTAssertEqual(
            value,
            .object([
                "devices": .integer(3), "revenue": .number(12.5), "ids": .array([.string("a"), .null, .bool(true)]),
            ])
        )
        XCTAssertEqual(try text(value), #"{"devices":3,"ids":["a",null,true],"revenue":12.5}"#)
        XCTAssertFalse(written.isEmpty)
    }

    func testANonFiniteNumberIsAnErrorNotACrash() {
        XCTAssertThrowsError(try APIJSON.encode(JobEvent.Progress(jobID: "j", progress: .nan, message: "")))
        let frame = String(
            decoding: EventFrame.encode("progress", JobEvent.Progress(jobID: "j", progress: .infinity, message: "")),
            as: UTF8.self
        )
        XCTAssertTrue(frame.contains(#""code":"internal""#), frame)
    }

    func testABadFieldIsRefusedByItsPath() {
        func message(_ json: String) -> String? {
            do {
                _ = try APIJSON.decode(VisitRequest.self, from: Array(json.utf8))
                return nil
            } catch { return error.message }
        }
        XCTAssertNil(message(#"{"device_id":"VM-001","lines":[{"slot":"A1","units_added":2,"cabinet_index":null}]}"#))
        XCTAssertEqual(
            message(#"{"lines":[{"slot":"A1","units_added":"2"}]}"#),
            "lines[0].units_added must be a whole number"
        )
        XCTAssertEqual(message(#"{"lines":[3]}"#), "lines[0] must be an object")
        XCTAssertEqual(message(#"{"lines":{"slot":"A1"}}"#), "lines must be an array")
        XCTAssertEqual(message(#"{"visit_id":7}"#), "visit_id must be a string")
        XCTAssertEqual(message(#"[1,2]"#), "body must be a JSON object")
        XCTAssertTrue(
            message(#"{"lines":[{"units_added":1.5}]}"#)?.contains("whole numbers") ?? false,
            message(#"{"lines":[{"units_added":1.5}]}"#) ?? "accepted"
        )
        XCTAssertTrue(message(#"{"device_id":"#)?.hasPrefix("body is not valid JSON") ?? false)
        XCTAssertTrue(
            message(String(repeating: "[", count: 100_000))?.hasPrefix("body") ?? false,
            "deep nesting is refused, not a crash"
        )
    }

    func testTheVisitRouteAnswersAWrongTypeWith400AndWritesNothing() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        let driver = s.token(.driver, sub: "dee", devices: ["VM-001"])
        let r = try s.request(
            "POST",
            "/api/visits",
            token: driver,
            json: ["device_id": "VM-001", "at": "2026-10-30T08:00:00Z", "lines": [["slot": "A1", "units_added": "3"]]]
        )
        XCTAssertEqual(r.status, 400, r.text)
        XCTAssertEqual(r.errorCode, "bad_request")
        XCTAssertTrue(r.text.contains("lines[0].units_added must be a whole number"), r.text)
        XCTAssertEqual(try s.server.store.read { try $0.scalarInt("SELECT count(*) FROM visits") }, 0)
        let plan = try s.request("POST", "/api/fleet/plan", token: s.token(.manager), json: ["days": "7"])
        XCTAssertEqual(plan.status, 400, plan.text)
        XCTAssertTrue(plan.text.contains("days must be a whole number"), plan.text)
    }
}
