import EventLoopHTTP
import XCTest

final class ConnectionTests: XCTestCase {
    var server: TestServer!

    override func setUpWithError() throws { server = try TestServer() }
    override func tearDown() { server.stop() }

    func testKeepAliveServesSeveralRequestsOnOneConnection() throws {
        let c = try server.client()
        for _ in 0..<5 {
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try c.readResponse()
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.text, "hello")
            XCTAssertEqual(r.header("connection"), "keep-alive")
        }
    }

    func testPipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlow() throws {
        let c = try server.client()
        c.send(
            "GET /slow/150 HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        )
        XCTAssertEqual(try c.readResponse().text, "slow 150")
        XCTAssertEqual(try c.readResponse().text, "hello")
        XCTAssertEqual(try c.readResponse().text, "abc")
    }

    func testRequestSplitIntoSingleBytesIsParsed() throws {
        let c = try server.client()
        for b in Array("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello".utf8) {
            c.send([b])
            usleep(200)
        }
        XCTAssertEqual(try c.readResponse().text, "hello")
    }

    func testChunkedRequestBodyIsReassembled() throws {
        let c = try server.client()
        c.send(
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        XCTAssertEqual(try c.readResponse().text, "hello, world")
        XCTAssertEqual(try c.readResponse().text, "hello")
    }

    func testExpectContinueGetsAnInterimResponseBeforeTheBody() throws {
        let c = try server.client()
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertTrue(c.fill())
        XCTAssertTrue(String(decoding: c.buffer, as: UTF8.self).hasPrefix("HTTP/1.1 100 Continue\r\n\r\n"))
        c.send("ping")
        XCTAssertEqual(try c.readResponse().text, "ping")
    }

    func testExpectContinueWithTooLargeBodyIsRefusedWithoutContinue() throws {
        let c = try server.client()
        c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nExpect: 100-continue\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 413)
        XCTAssertTrue(c.waitForClose())
    }

    func testHeadOmitsTheBodyButKeepsItsLength() throws {
        let c = try server.client()
        c.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try c.readResponse(head: true)
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("content-length"), "5")
        XCTAssertEqual(try c.readResponse().text, "hello")  // the body of HEAD was not sent
    }

    func testPathParametersPercentDecodingAndQueryStrings() throws {
        let c = try server.client()
        c.send("GET /items/a%2Fb%20c/parts/%C3%A9t%C3%A9?x=1&y=two+words&z=%26 HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().text, "id=a/b c part=été q=x=1&y=two words&z=& path=/items/a/b c/parts/été")
        c.send("GET /files/a/b/c.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try c.readResponse().text, "rest=a/b/c.txt")
    }

    func testUnknownPathIs404AndWrongMethodIs405WithAllow() throws {
        let c = try server.client()
        c.send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.status, 404)
        XCTAssertTrue(r.text.contains("\"code\":\"not_found\""))
        c.send("DELETE /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        let m = try c.readResponse()
        XCTAssertEqual(m.status, 405)
        XCTAssertEqual(m.header("allow"), "GET, HEAD")
    }

    func testHTTP10ClosesUnlessKeepAliveAsked() throws {
        let c = try server.client()
        c.send("GET /hello HTTP/1.0\r\n\r\n")
        let r = try c.readResponse()
        XCTAssertEqual(r.header("connection"), "close")
        XCTAssertTrue(c.waitForClose())
        let k = try server.client()
        k.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(try k.readResponse().header("connection"), "keep-alive")
    }

    func testConnectionCloseRequestIsHonoured() throws {
        let c = try server.client()
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(try c.readResponse().header("connection"), "close")
        XCTAssertTrue(c.waitForClose())
    }

    func testHalfClosedClientStillGetsItsAnswer() throws {
        let c = try server.client()
        c.send("GET /slow/50 HTTP/1.1\r\nHost: x\r\n\r\n")
        c.shutdownWrite()
        let r = try c.readResponse()
        XCTAssertEqual(r.text, "slow 50")
        XCTAssertEqual(r.header("connection"), "close")
    }
}
