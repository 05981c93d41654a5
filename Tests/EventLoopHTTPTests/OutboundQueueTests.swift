import Glibc
import XCTest

@testable import EventLoopHTTP

/// The outbound queue keeps bytes in order whatever the order of appends (it used to trap on a
/// partial write appended behind queued chunks).
final class OutboundQueueTests: XCTestCase {
    private func drain(_ q: inout OutboundQueue) throws -> [UInt8] {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        let expected = q.bytes
        let (written, error) = q.flush(fd: fds[0])
        XCTAssertNil(error)
        XCTAssertEqual(written, expected)
        XCTAssertTrue(q.isEmpty)
        var out = [UInt8](repeating: 0, count: expected)
        var got = 0
        while got < expected {
            let n = out.withUnsafeMutableBytes { recv(fds[1], $0.baseAddress! + got, expected - got, 0) }
            XCTAssertGreaterThan(n, 0)
            if n <= 0 { break }
            got += n
        }
        return Array(out[0..<got])
    }

    func testPartialWriteOnEmptyQueueSkipsWrittenBytes() throws {
        var q = OutboundQueue()
        q.append(Array("hello world".utf8), offset: 6)
        q.append(Array("!".utf8), offset: 0)
        XCTAssertEqual(q.bytes, 6)
        XCTAssertEqual(String(decoding: try drain(&q), as: UTF8.self), "world!")
    }

    func testOffsetBehindQueuedChunksKeepsOrderAndCount() throws {
        var q = OutboundQueue()
        q.append(Array("abc".utf8), offset: 1)
        q.append(Array("defgh".utf8), offset: 2)
        q.append(Array("ij".utf8), offset: 99)
        q.append(Array("kl".utf8), offset: -3)
        XCTAssertEqual(q.bytes, 2 + 3 + 0 + 2)
        XCTAssertEqual(String(decoding: try drain(&q), as: UTF8.self), "bcfghkl")
    }
}
