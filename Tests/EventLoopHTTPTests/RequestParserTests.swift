import XCTest

@testable import EventLoopHTTP

final class RequestParserTests: XCTestCase {
    /// Parses `input` fed in pieces of the given sizes; returns heads' targets and bodies, or the error.
    func parseAll(_ input: [UInt8], pieces: [Int]) -> Result<[(String, [UInt8])], HTTPParseError> {
        var parser = HTTPRequestParser()
        var buffer: [UInt8] = []
        var fed = 0
        var out: [(String, [UInt8])] = []
        var body: [UInt8] = []
        var pieceIndex = 0
        while true {
            var progressed = false
            while true {
                let r: (consumed: Int, event: HTTPParseEvent?)
                do {
                    r = try buffer.withUnsafeBytes { try parser.parse($0) }
                } catch let e as HTTPParseError { return .failure(e) } catch { fatalError() }
                if case .body(let range) = r.event { body += buffer[range] }
                if case .end = r.event {
                    out.append((parser.head!.target, body))
                    body = []
                }
                buffer.removeFirst(r.consumed)
                if r.consumed == 0 && r.event == nil { break }
                progressed = true
            }
            if fed == input.count { if !progressed { break } else { continue } }
            let size = max(1, pieces.isEmpty ? input.count : pieces[pieceIndex % pieces.count])
            pieceIndex += 1
            let end = min(input.count, fed + size)
            buffer += input[fed..<end]
            fed = end
        }
        return .success(out)
    }

    func testAnyWayOfSplittingTheInputGivesTheSameRequests() {
        var rng = SplitMix(seed: 7)
        for _ in 0..<300 {
            var input: [UInt8] = []
            var expected: [(String, [UInt8])] = []
            for k in 0..<Int(rng.next() % 4 + 1) {
                let body = (0..<Int(rng.next() % 40)).map { _ in UInt8(rng.next() % 26 + 97) }
                let target = "/p\(k)?q=\(rng.next() % 100)"
                if rng.next() % 2 == 0 {
                    input +=
                        Array("POST \(target) HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
                } else {
                    input += Array("POST \(target) HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                    var rest = body[...]
                    while !rest.isEmpty {
                        let n = Int(rng.next() % 9 + 1)
                        let piece = rest.prefix(n)
                        rest = rest.dropFirst(n)
                        input += Array("\(String(piece.count, radix: 16))\r\n".utf8) + piece + Array("\r\n".utf8)
                    }
                    input += Array("0\r\n\r\n".utf8)
                }
                expected.append((target, body))
            }
            let whole = parseAll(input, pieces: [])
            let split = parseAll(input, pieces: (0..<5).map { _ in Int(rng.next() % 7 + 1) })
            guard case .success(let a) = whole, case .success(let b) = split else { return XCTFail("parse failed") }
            XCTAssertEqual(a.map(\.0), expected.map(\.0))
            XCTAssertEqual(a.map(\.1), expected.map(\.1))
            XCTAssertEqual(b.map(\.0), expected.map(\.0))
            XCTAssertEqual(b.map(\.1), expected.map(\.1))
        }
    }

    func testRandomMutationsOfValidRequestsNeverCrashAndEitherParseOrFailCleanly() {
        let seeds: [String] = [
            "GET /a?b=c HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
            "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody",
            "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
        ]
        var rng = SplitMix(seed: 99)
        var outcomes = [0, 0]
        for i in 0..<20_000 {
            var bytes = Array(seeds[i % seeds.count].utf8)
            for _ in 0..<Int(rng.next() % 4 + 1) {
                let pos = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[pos] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.insert(UInt8(truncatingIfNeeded: rng.next()), at: pos)
                default: if bytes.count > 1 { bytes.remove(at: pos) }
                }
            }
            switch parseAll(bytes, pieces: [Int(rng.next() % 16 + 1)]) {
            case .success: outcomes[0] += 1
            case .failure(let e):
                XCTAssertTrue([400, 413, 417, 431, 501, 505].contains(e.status), "\(e)")
                outcomes[1] += 1
            }
        }
        XCTAssertGreaterThan(outcomes[0], 1000)
        XCTAssertGreaterThan(outcomes[1], 1000)
    }

    func testPercentDecodingRejectsMalformedEscapesAndNul() {
        XCTAssertEqual(PercentDecoding.decode("a%20b"), "a b")
        XCTAssertEqual(PercentDecoding.decode("a+b", plusAsSpace: true), "a b")
        XCTAssertEqual(PercentDecoding.decode("a+b"), "a+b")
        XCTAssertNil(PercentDecoding.decode("%2"))
        XCTAssertNil(PercentDecoding.decode("%zz"))
        XCTAssertNil(PercentDecoding.decode("%00"))
        XCTAssertNil(PercentDecoding.decode("%C3%28"))
        XCTAssertEqual(PercentDecoding.parseQuery("a=1&b&c=%3D")!.map { "\($0.0)=\($0.1)" }, ["a=1", "b=", "c=="])
    }

    func testRouterPrefersLiteralSegmentsOverParameters() {
        var router = Router()
        router.get("/api/{x}/list") { _, _ in }
        router.get("/api/sessions/list", name: "literal") { _, _ in }
        guard case .found(let route, _) = router.match(method: "GET", segments: ["api", "sessions", "list"]) else {
            return XCTFail()
        }
        XCTAssertEqual(route.name, "literal")
        guard case .found(_, let params) = router.match(method: "GET", segments: ["api", "other", "list"]) else {
            return XCTFail()
        }
        XCTAssertEqual(params["x"], "other")
    }
}
