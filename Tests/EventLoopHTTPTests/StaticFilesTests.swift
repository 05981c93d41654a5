import EventLoopHTTP
import Foundation
import HTTPTestClient
import XCTest

final class StaticFilesTests: XCTestCase {
    var dir: URL!
    var server: TestServer!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("web-\(UUID().uuidString)")
        let web = dir.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: web.appendingPathComponent("js"), withIntermediateDirectories: true)
        try "<h1>home</h1>".write(to: web.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        try "export const x = 1;".write(to: web.appendingPathComponent("js/app.js"), atomically: true, encoding: .utf8)
        try "secret".write(to: dir.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            at: web.appendingPathComponent("escape.txt"),
            withDestinationURL: dir.appendingPathComponent("secret.txt")
        )
        server = try TestServer(webRoot: web.path)
    }

    override func tearDownWithError() throws {
        server.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    func get(_ target: String, headers: String = "") throws -> RawClient.Response {
        let c = try server.client()
        c.send("GET \(target) HTTP/1.1\r\nHost: x\r\n\(headers)\r\n")
        return try c.readResponse()
    }

    func testIndexContentTypeAndETagRevalidation() throws {
        let home = try get("/")
        XCTAssertEqual(home.status, 200)
        XCTAssertEqual(home.text, "<h1>home</h1>")
        XCTAssertEqual(home.header("content-type"), "text/html; charset=utf-8")
        let etag = try XCTUnwrap(home.header("etag"))
        let again = try get("/index.html", headers: "If-None-Match: \(etag)\r\n")
        XCTAssertEqual(again.status, 304)
        XCTAssertTrue(again.body.isEmpty)
        XCTAssertEqual(try get("/", headers: "If-None-Match: \"other\"\r\n").status, 200)
        let js = try get("/js/app.js")
        XCTAssertEqual(js.header("content-type"), "text/javascript; charset=utf-8")
    }

    func testNoWayOutOfTheRoot() throws {
        for target in [
            "/../secret.txt", "/js/../../secret.txt", "/%2e%2e/secret.txt", "/js/%2E%2E/%2E%2E/secret.txt",
            "/..%2Fsecret.txt", "/escape.txt", "/.hidden", "/missing.html",
        ] {
            let r = try get(target)
            XCTAssertEqual(r.status == 404 || r.status == 400, true, "\(target) gave \(r.status)")
            XCTAssertFalse(r.text.contains("secret"), target)
        }
    }
}
