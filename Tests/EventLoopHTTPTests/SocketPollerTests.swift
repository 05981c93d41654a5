import Dispatch
import Foundation
import HTTPTestClient
import XCTest

@testable import EventLoopHTTP

/// The loop's epoll set on its own, with socket pairs: what is reported, for how long, and never after a
/// socket was removed.
final class SocketPollerTests: XCTestCase {
    /// Records what the poller says, on the poller's queue; can act on another socket when told.
    final class Recorder: PollTarget, @unchecked Sendable {
        let name: String
        private let lock = NSLock()
        private var _log: [String] = []
        var onReadable: (() -> Void)?
        init(_ name: String) { self.name = name }
        var log: [String] {
            lock.lock()
            defer { lock.unlock() }
            return _log
        }
        func count(_ what: String) -> Int { log.filter { $0 == what }.count }
        private func add(_ s: String) {
            lock.lock()
            _log.append(s)
            lock.unlock()
        }
        func socketReadable() {
            add("read")
            onReadable?()
        }
        func socketWritable() { add("write") }
        func socketHungUp() { add("hangup") }
    }

    private func socketPair() -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        return (fds[0], fds[1])
    }

    /// A poller running on a queue of its own (the test stops it).
    private func startedPoller() throws -> (DispatchQueue, SocketPoller) {
        let queue = DispatchQueue(label: "poller.test")
        let poller = SocketPoller()
        try poller.start(on: queue)
        return (queue, poller)
    }

    func testReadinessIsReportedEveryTurnUntilConsumedAndOnlyForWhatIsWatched() throws {
        let (queue, poller) = try startedPoller()
        defer { queue.sync { poller.stop() } }
        let (a, peer) = socketPair()
        defer {
            close(a)
            close(peer)
        }
        let target = Recorder("a")
        XCTAssertTrue(queue.sync { poller.add(a, interest: [.read], target: target) })
        _ = send(peer, "x", 1, 0)
        // Level-triggered: unread input is reported again and again.
        XCTAssertTrue(eventually { target.count("read") >= 3 }, "unread input is reported on every turn")
        XCTAssertEqual(target.count("write"), 0, "room to write is not reported unless watched")
        var byte: UInt8 = 0
        queue.sync { _ = recv(a, &byte, 1, 0) }
        usleep(50_000)
        let afterRead = target.count("read")
        usleep(100_000)
        XCTAssertEqual(target.count("read"), afterRead, "once read, input is no longer reported")
        queue.sync { poller.update(a, interest: [.write]) }
        XCTAssertTrue(eventually { target.count("write") >= 2 }, "watching output reports room to write")
        queue.sync { poller.update(a, interest: []) }
        _ = send(peer, "y", 1, 0)
        usleep(50_000)
        let quiet = target.log.count
        usleep(100_000)
        XCTAssertEqual(target.log.count, quiet, "nothing watched, nothing reported (but for a hang-up)")
        queue.sync { poller.remove(a) }
        XCTAssertEqual(queue.sync { poller.count }, 0)
    }

    func testAHangUpIsReportedWhateverTheInterest() throws {
        let (queue, poller) = try startedPoller()
        defer { queue.sync { poller.stop() } }
        let (a, peer) = socketPair()
        defer { close(a) }
        let target = Recorder("a")
        XCTAssertTrue(queue.sync { poller.add(a, interest: [], target: target) })
        close(peer)
        XCTAssertTrue(eventually { target.count("hangup") >= 1 }, "the peer's close is a hang-up: \(target.log)")
        XCTAssertEqual(target.count("read"), 0)
        queue.sync { poller.remove(a) }
    }

    func testASocketRemovedInATurnHearsNothingMoreFromIt() throws {
        let (queue, poller) = try startedPoller()
        defer { queue.sync { poller.stop() } }
        let (a, peerA) = socketPair()
        let (b, peerB) = socketPair()
        defer {
            close(peerA)
            close(peerB)
        }
        let first = Recorder("a")
        let second = Recorder("b")
        // Whichever is told first removes and closes both, as a connection closing another would.
        var closed = false
        let closeBoth = {
            guard !closed else { return }
            closed = true
            poller.remove(a)
            poller.remove(b)
            close(a)
            close(b)
        }
        first.onReadable = closeBoth
        second.onReadable = closeBoth
        queue.sync {
            XCTAssertTrue(poller.add(a, interest: [.read], target: first))
            XCTAssertTrue(poller.add(b, interest: [.read], target: second))
        }
        // Both become readable before the queue runs a turn, so one turn fetches both events.
        queue.sync {
            _ = send(peerA, "x", 1, 0)
            _ = send(peerB, "x", 1, 0)
        }
        XCTAssertTrue(eventually { first.log.count + second.log.count >= 1 })
        usleep(100_000)
        XCTAssertEqual(
            first.log.count + second.log.count,
            1,
            "the removed socket's fetched event was dropped: \(first.log) \(second.log)"
        )
        XCTAssertEqual(queue.sync { poller.count }, 0)
    }

    func testAStoppedPollerTakesNoSocket() throws {
        let queue = DispatchQueue(label: "poller.test")
        let poller = SocketPoller()
        let (a, peer) = socketPair()
        defer {
            close(a)
            close(peer)
        }
        XCTAssertFalse(poller.add(a, interest: [.read], target: Recorder("a")), "not started yet")
        try poller.start(on: queue)
        queue.sync { poller.stop() }
        XCTAssertFalse(queue.sync { poller.add(a, interest: [.read], target: Recorder("a")) }, "stopped")
    }
}
