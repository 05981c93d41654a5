import Foundation
import Store
import XCTest

/// The PostgreSQL server of the scale-out tests , started on loopback by `Ops/test`, which
/// exports its URL as `PLANOGRAM_TEST_DATABASE_URL` and sets `PLANOGRAM_REQUIRE_SERVICES=1`. Under
/// `Ops/test` (and so in CI) a missing server fails the test; a bare `swift test` on a developer's machine
/// without one skips it with the reason.
package enum TestPostgres {
    package static func url(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        if let url = ProcessInfo.processInfo.environment["PLANOGRAM_TEST_DATABASE_URL"], !url.isEmpty { return url }
        if ProcessInfo.processInfo.environment["PLANOGRAM_REQUIRE_SERVICES"] == "1" {
            XCTFail(
                "PLANOGRAM_TEST_DATABASE_URL is not set although Ops/test requires the PostgreSQL server",
                file: file,
                line: line
            )
        }
        throw XCTSkip("no PostgreSQL server (run Ops/test, which starts one, or set PLANOGRAM_TEST_DATABASE_URL)")
    }

    /// A URL whose connections work in a new, empty schema of their own (so tests never see each other's rows).
    package static func freshSchemaURL(_ label: String = "t") throws -> String {
        let base = try url()
        let schema = "\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try PostgresDatabase(url: base)
        try admin.execute("CREATE SCHEMA \(schema)")
        let sep = base.contains("?") ? "&" : "?"
        return base + sep + "options=-csearch_path%3D\(schema)"
    }

    package static func freshStore(_ label: String = "t") throws -> Store {
        try Store(location: .postgres(url: try freshSchemaURL(label)))
    }
}
