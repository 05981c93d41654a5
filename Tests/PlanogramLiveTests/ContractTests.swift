import EventLoopHTTP
import Foundation
import HTTPTestClient
import PlanogramDomain
import XCTest

@testable import PlanogramLive
@testable import Sessions

/// The published contract (`GET /api/openapi.json`, docs/API.md) cannot drift from the server: every route
/// the router serves is described and nothing else, every reference resolves, and docs/API.md's matrix is
/// the one the contract draws. (Schemas against real responses: schemathesis in Ops/test.)
final class ContractTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func testTheDocumentDescribesExactlyTheRoutesTheRouterServes() throws {
        for demo in [false, true] {
            let s = try AppTestServer { $0.demo = demo }
            defer { s.stop() }
            let served = Set(s.server.routeTable.map { "\($0.method) \($0.pattern)" })
            let described = Set(APIOperations.all.filter { demo || !$0.demoOnly }.map { "\($0.method) \($0.path)" })
            XCTAssertEqual(served.subtracting(described).sorted(), [], "served but not in the contract (demo \(demo))")
            XCTAssertEqual(described.subtracting(served).sorted(), [], "in the contract but not served (demo \(demo))")
            // Each operation's id is the router's name for the route.
            let names = Dictionary(
                uniqueKeysWithValues: s.server.routeTable.map { ("\($0.method) \($0.pattern)", $0.name) }
            )
            for op in APIOperations.all where demo || !op.demoOnly {
                XCTAssertEqual(names["\(op.method) \(op.path)"], op.name, "\(op.method) \(op.path)")
            }
            // Served without a token, as the same bytes the command prints.
            let doc = try s.request("GET", "/api/openapi.json")
            XCTAssertEqual(doc.status, 200)
            XCTAssertEqual(doc.body, try OpenAPIDocument.encoded(demo: demo))
            XCTAssertEqual(doc.json["openapi"] as? String, "3.1.0")
            let paths = try XCTUnwrap(doc.json["paths"] as? [String: [String: Any]])
            XCTAssertEqual(paths.values.reduce(0) { $0 + $1.count }, described.count)
        }
    }

    func testEveryReferenceResolvesAndEveryProtectedOperationNamesItsRoles() throws {
        let json = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(OpenAPIDocument.encoded(demo: true))) as? [String: Any]
        )
        let schemas = try XCTUnwrap((json["components"] as? [String: Any])?["schemas"] as? [String: Any])
        var refs: [String] = []
        func walk(_ v: Any) {
            if let o = v as? [String: Any] {
                if let r = o["$ref"] as? String { refs.append(r) }
                o.values.forEach(walk)
            } else if let a = v as? [Any] {
                a.forEach(walk)
            }
        }
        walk(json)
        XCTAssertGreaterThan(refs.count, 50)
        for r in Set(refs) {
            XCTAssertTrue(r.hasPrefix("#/components/schemas/"), r)
            XCTAssertNotNil(schemas[String(r.dropFirst("#/components/schemas/".count))], "unresolved \(r)")
        }
        let paths = try XCTUnwrap(json["paths"] as? [String: [String: [String: Any]]])
        for op in APIOperations.all {
            let entry = try XCTUnwrap(paths[op.path]?[op.method.lowercased()], "\(op.method) \(op.path)")
            let responses = try XCTUnwrap(entry["responses"] as? [String: Any])
            XCTAssertNotNil(responses["default"])
            if case .roles(let roles) = op.access {
                XCTAssertEqual(Set(entry["x-roles"] as? [String] ?? []), Set(roles.map(\.rawValue)), op.path)
                XCTAssertNotNil(responses["401"], op.path)
                XCTAssertNotNil(responses["403"], op.path)
            } else {
                XCTAssertEqual((entry["security"] as? [Any])?.count, 0, op.path)
            }
            if !op.events.isEmpty {
                XCTAssertNotNil(
                    ((responses["200"] as? [String: Any])?["content"] as? [String: Any])?["text/event-stream"],
                    op.path
                )
            }
        }
    }

    func testDocsAPIHoldsTheMatrixTheContractDraws() throws {
        let doc = try String(contentsOf: Self.repository.appendingPathComponent("docs/API.md"), encoding: .utf8)
        XCTAssertTrue(
            doc.contains(RoleMatrix.markdown()),
            "docs/API.md's role x route matrix differs from the contract; print it with `planogram-live openapi --matrix`"
        )
    }
}
