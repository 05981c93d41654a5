import Foundation
import HTTPAPI
import HTTPTestClient
import Jobs
import PlanogramDomain
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// Walks the role × route matrix of docs/API.md (`RoleMatrix`, from `APIOperations.all`) against the
/// running server: every protected route without a token is 401; each role, without a devices claim, is
/// refused (403) exactly where the matrix says so; and a claim that does not cover the device in the path is
/// 403 on every route bound to a path's device. Jobs follow `JobAccess` (owner, admin, or a covering token).
final class RoleMatrixTests: XCTestCase {
    /// Only the status line: a stream's body never ends.
    func status(_ s: AppTestServer, _ op: APIOperation, token: String?, path: String) throws -> Int {
        let c = try RawClient(port: s.port, timeout: 20)
        defer { c.close() }
        var head = "\(op.method) \(path) HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        let body = op.method == "POST" ? "{}" : ""
        if op.method == "POST" { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        c.send(head + "\r\n" + body)
        return try c.readResponse(head: true).status
    }

    func testEveryRoleGetsWhatTheMatrixSays() throws {
        let s = try AppTestServer()
        defer { s.stop() }
        _ = try s.openSession("VM-001", 0, token: s.token(.admin, sub: "root"))
        // A fleet-wide job of another user (nil devices).
        let runner = s.server.jobs
        let root = Principal(subject: "root", name: "Root", role: .admin, expires: .max, devices: nil)
        let job = try XCTUnwrap(runner.submit(kind: "fleet_plan", by: root, devices: nil) { _ in ["ok": true] })
        let concrete: [String: String] = ["{sid}": "VM-001~0", "{device_id}": "VM-001", "{cabinet_index}": "0"]
        var checked = 0
        for op in APIOperations.all where !op.demoOnly {
            guard case .roles(let allowed) = op.access else {
                XCTAssertNotEqual(try status(s, op, token: nil, path: op.path), 401, op.path)
                continue
            }
            var path = op.path
            for (k, v) in concrete { path = path.replacingOccurrences(of: k, with: v) }
            let idValue: String =
                switch op.scope {
                case .job: job
                case .path: "VM-001"
                default: op.path.contains("proposals") ? "prop_none" : "exp_none"
                }
            path = path.replacingOccurrences(of: "{id}", with: idValue)
            XCTAssertEqual(try status(s, op, token: nil, path: path), 401, "\(op.method) \(path) without a token")
            for role in Role.allCases {
                let token = s.token(role, sub: "user-\(role.rawValue)")
                let got = try status(s, op, token: token, path: path)
                let principal = Principal(
                    subject: "user-\(role.rawValue)",
                    name: "",
                    role: role,
                    expires: .max,
                    devices: nil
                )
                let mayPass =
                    allowed.contains(role)
                    && (op.scope != .job
                        || JobAccess.allows(
                            principal,
                            JobAccess.Owner(kind: "fleet_plan", createdBy: "root", devices: nil)
                        ))
                if mayPass {
                    XCTAssertFalse([401, 403].contains(got), "\(role.rawValue) \(op.method) \(path): \(got)")
                } else {
                    XCTAssertEqual(got, 403, "\(role.rawValue) \(op.method) \(path)")
                }
                // A claim that leaves out the path's device.
                if mayPass, case .path = op.scope {
                    let scoped = s.token(role, sub: "user-\(role.rawValue)", devices: ["VM-002"])
                    XCTAssertEqual(
                        try status(s, op, token: scoped, path: path),
                        403,
                        "\(role.rawValue) scoped to VM-002, \(op.method) \(path)"
                    )
                }
                // A fleet-wide job is not covered by a claim.
                if op.scope == .job, role != .admin {
                    let scoped = s.token(role, sub: "user-\(role.rawValue)", devices: ["VM-001", "VM-002", "VM-003"])
                    XCTAssertEqual(
                        try status(s, op, token: scoped, path: path),
                        403,
                        "\(role.rawValue) scoped, \(op.method) \(path)"
                    )
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 150)
    }
}
