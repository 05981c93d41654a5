import Foundation
import HTTPAPI
import PlanogramDomain
import XCTest

@testable import Sessions

/// The session core as a pure state machine: no queues, sockets or SQLite.
final class SessionStateTests: XCTestCase {
    let cabinet = Cabinet(
        deviceID: "D",
        index: 0,
        temperature: .ambient,
        rows: 2,
        columns: 3,
        rowHeightsMM: [300, 300]
    )
    let products: [String: Product] = [
        "A": Product(
            id: "A",
            name: "A",
            category: "chips",
            price: 1,
            unitCost: 0.5,
            temperature: .ambient,
            heightMM: 100,
            widthColumns: 1,
            shelfLifeDays: 100
        ),
        "B": Product(
            id: "B",
            name: "B",
            category: "soda",
            price: 2,
            unitCost: 1,
            temperature: .ambient,
            heightMM: 100,
            widthColumns: 1,
            shelfLifeDays: 100
        ),
        "W": Product(
            id: "W",
            name: "W",
            category: "chips",
            price: 3,
            unitCost: 1,
            temperature: .ambient,
            heightMM: 100,
            widthColumns: 2,
            shelfLifeDays: 100
        ),
    ]
    func slot(_ s: String) -> SlotCode { SlotCode(s)! }

    func base() -> SessionState {
        var p = Planogram(deviceID: "D", cabinetIndex: 0, version: 1, effectiveFrom: 0)
        p.facings[slot("A1")] = Facing(productID: "A", capacity: 5)
        return SessionState(
            base: DraftState(planogram: p, version: 0, seq: 0, slotChanged: [:]),
            idempotency: IdempotencyMemory(capacity: 3, maxAge: 100)
        )
    }

    func submit(
        _ s: inout SessionState,
        _ op: SessionOp,
        user: String = "ann",
        id: String,
        base: Int = 0,
        now: Double = 0
    ) throws -> SessionState.Submission {
        try s.submit(op, user: user, clientOpID: id, baseVersion: base, cabinet: cabinet, products: products, now: now)
    }

    func testAcceptedOpsTakeConsecutiveSeqsAndCommitInOrder() throws {
        var s = base()
        XCTAssertEqual(
            try submit(&s, .place(slot: slot("B1"), productID: "B", capacity: 4), id: "1"),
            .accepted(seq: 1, version: 1)
        )
        XCTAssertEqual(
            try submit(&s, .setCapacity(slot: slot("A1"), capacity: 2), id: "2"),
            .accepted(seq: 2, version: 2)
        )
        XCTAssertEqual(s.committed.seq, 0, "nothing is committed before the log says so")
        XCTAssertEqual(s.draft.planogram.facings[slot("B1")]?.productID, "B")
        XCTAssertNil(s.committed.planogram.facings[slot("B1")])
        XCTAssertNil(s.commit(seq: 2, epoch: 0), "out of order: refused")
        XCTAssertEqual(s.commit(seq: 1, epoch: 0)?.seq, 1)
        XCTAssertEqual(s.commit(seq: 2, epoch: 0)?.seq, 2)
        XCTAssertEqual(s.committed, s.draft)
        XCTAssertTrue(s.pending.isEmpty)
    }

    func testAFailedCommitLeavesNoTrace() throws {
        var s = base()
        let before = s.draft
        _ = try submit(&s, .place(slot: slot("B1"), productID: "B", capacity: 4), id: "1")
        _ = try submit(&s, .move(from: slot("A1"), to: slot("A2")), id: "2", base: 1)
        XCTAssertEqual(s.draft.seq, 2)
        // The log fails seq 1: both pending changes are undone, in one step.
        let undone = try XCTUnwrap(s.fail(seq: 1, epoch: 0))
        XCTAssertEqual(undone.map(\.seq), [1, 2])
        XCTAssertEqual(s.draft, before, "seq, version, draft and slot history are back")
        XCTAssertEqual(s.committed, before)
        XCTAssertEqual(s.epoch, 1)
        XCTAssertNil(
            s.idempotency.result(for: SessionState.key(user: "ann", clientOpID: "1")),
            "the idempotency key is forgotten"
        )
        // A late report of an undone change is ignored.
        XCTAssertNil(s.commit(seq: 2, epoch: 0))
        XCTAssertNil(s.fail(seq: 2, epoch: 0))
        // The retry of the failed op is applied afresh with the same seq: no seq is skipped.
        XCTAssertEqual(
            try submit(&s, .place(slot: slot("B1"), productID: "B", capacity: 4), id: "1"),
            .accepted(seq: 1, version: 1)
        )
        // The slot the undone move emptied still holds its product: a move from it is valid again.
        XCTAssertEqual(
            try submit(&s, .move(from: slot("A1"), to: slot("A3")), id: "3", base: 1),
            .accepted(seq: 2, version: 2)
        )
        XCTAssertEqual(s.commit(seq: 1, epoch: 1)?.seq, 1)
        XCTAssertEqual(s.commit(seq: 2, epoch: 1)?.seq, 2)
        XCTAssertEqual(s.committed.planogram.facings[slot("A3")]?.productID, "A")
    }

    func testARepeatedClientOpIDReturnsTheFirstResultAndAppliesNothing() throws {
        var s = base()
        XCTAssertEqual(
            try submit(&s, .setCapacity(slot: slot("A1"), capacity: 2), id: "x"),
            .accepted(seq: 1, version: 1)
        )
        XCTAssertEqual(try submit(&s, .setCapacity(slot: slot("A1"), capacity: 9), id: "x"), .repeatOfPending(seq: 1))
        _ = s.commit(seq: 1, epoch: 0)
        XCTAssertEqual(
            try submit(&s, .setCapacity(slot: slot("A1"), capacity: 9), id: "x"),
            .repeated(seq: 1, version: 1)
        )
        XCTAssertEqual(s.draft.planogram.facings[slot("A1")]?.capacity, 2)
        // Another user's identical id is another op.
        XCTAssertEqual(
            try submit(&s, .setCapacity(slot: slot("A1"), capacity: 3), user: "bob", id: "x", base: 1),
            .accepted(seq: 2, version: 2)
        )
    }

    func testTheConflictRuleRefusesOnlyAnotherEditorsNewerChangeOfATouchedSlot() throws {
        var s = base()
        _ = try submit(&s, .setCapacity(slot: slot("A1"), capacity: 2), user: "ann", id: "1")
        XCTAssertThrowsError(try submit(&s, .setCapacity(slot: slot("A1"), capacity: 3), user: "bob", id: "1", base: 0))
        { e in
            XCTAssertEqual((e as? APIError)?.status, 409)
        }
        // Bob on another slot from the old base: applies.
        XCTAssertEqual(
            try submit(&s, .place(slot: slot("A2"), productID: "B", capacity: 1), user: "bob", id: "2", base: 0),
            .accepted(seq: 2, version: 2)
        )
        // Ann's own newer change of her slot is no conflict for her.
        XCTAssertEqual(
            try submit(&s, .setCapacity(slot: slot("A1"), capacity: 4), user: "ann", id: "3", base: 0),
            .accepted(seq: 3, version: 3)
        )
        // A 2-wide product also claims the slot to its right.
        _ = try submit(&s, .place(slot: slot("B1"), productID: "W", capacity: 1), user: "ann", id: "4", base: 3)
        XCTAssertThrowsError(try submit(&s, .clear(slot: slot("B2")), user: "bob", id: "5", base: 3))
        // A base version from the future is refused.
        XCTAssertThrowsError(try submit(&s, .clear(slot: slot("A1")), user: "ann", id: "6", base: 99)) { e in
            XCTAssertEqual((e as? APIError)?.status, 409)
        }
    }

    func testARefusedOpChangesNothing() throws {
        var s = base()
        let before = s
        XCTAssertThrowsError(try submit(&s, .place(slot: slot("A2"), productID: "nope", capacity: 1), id: "1"))
        XCTAssertThrowsError(try submit(&s, .move(from: slot("B3"), to: slot("A2")), id: "2"))
        XCTAssertThrowsError(
            try submit(&s, .place(slot: slot("A3"), productID: "W", capacity: 1), id: "3"),
            "2-wide in the last column"
        )
        XCTAssertEqual(s.draft, before.draft)
        XCTAssertTrue(s.pending.isEmpty)
        XCTAssertEqual(s.idempotency.count, 0)
    }

    func testAPublishIsAChangeThatCanBeRolledBackWithTheOpsBeforeIt() throws {
        var s = base()
        _ = try submit(&s, .setCapacity(slot: slot("A1"), capacity: 2), id: "1")
        let publish = s.beginPublish(user: "ann", clientOpID: "\u{1F}publish-2")
        XCTAssertEqual(publish.seq, 2)
        XCTAssertEqual(
            publish.after.planogram.facings[slot("A1")]?.capacity,
            2,
            "publishes the draft with the op before it"
        )
        XCTAssertEqual(s.fail(seq: 1, epoch: 0)?.map(\.seq), [1, 2])
        XCTAssertEqual(s.draft.seq, 0)
    }

    func testIdempotencyMemoryIsBoundedByCountAndAgeButKeepsPendingOps() throws {
        var s = base()  // capacity 3, age 100 s
        for i in 1...5 {
            _ = try submit(&s, .setCapacity(slot: slot("A1"), capacity: i), id: "\(i)", base: i - 1, now: Double(i))
            _ = s.commit(seq: Int64(i), epoch: 0)
        }
        XCTAssertEqual(s.idempotency.count, 3)
        XCTAssertNil(s.idempotency.result(for: SessionState.key(user: "ann", clientOpID: "1")))
        XCTAssertNotNil(s.idempotency.result(for: SessionState.key(user: "ann", clientOpID: "5")))
        // Old entries go by age as new ones arrive; a pending one is never evicted.
        _ = try submit(&s, .setCapacity(slot: slot("A1"), capacity: 9), id: "6", base: 5, now: 1_000)
        XCTAssertNotNil(s.idempotency.result(for: SessionState.key(user: "ann", clientOpID: "6")))
        XCTAssertEqual(s.idempotency.count, 1)
    }
}

/// The kept events and exact resumes.
final class ReplayLogTests: XCTestCase {
    func frame(_ s: String) -> [UInt8] { Array(s.utf8) }
    func text(_ frames: [[UInt8]]) -> [String] { frames.map { String(decoding: $0, as: UTF8.self) } }

    func testEventIDsOrderBySeqThenCounterAndParseStrictly() {
        XCTAssertEqual(EventID("42")?.description, "42")
        XCTAssertEqual(EventID("42.3"), EventID(seq: 42, index: 3))
        XCTAssertTrue(EventID("9.5")! < EventID("10")!)
        XCTAssertTrue(EventID("10")! < EventID("10.1")!)
        for bad in ["", "x", "1.", ".1", "1.0", "-1", "1.2.3", "+4", "1.+2", "٣", String(repeating: "9", count: 50)] {
            XCTAssertNil(EventID(bad), bad)
        }
    }

    func testAResumeFromTheRingGetsExactlyTheEventsAfterIt() {
        var log = ReplayLog(capacity: 10, maxLogReplay: 100, start: EventID(seq: 0))
        func add(_ change: Int64?, _ name: String, _ key: String? = nil) {
            log.append(.init(id: log.nextID(changeSeq: change), stateKey: key, frame: frame(name)))
        }
        add(1, "op1")
        add(nil, "heat1", "heatmap")
        add(nil, "rev1", "revenue")
        add(2, "op2")
        add(nil, "heat2", "heatmap")
        // The client got op 1 but not the heat map and forecast that followed it.
        guard case .events(let missed) = log.resume(after: EventID(seq: 1)) else { return XCTFail() }
        XCTAssertEqual(text(missed), ["heat1", "rev1", "op2", "heat2"])
        guard case .events(let none) = log.resume(after: EventID("2.1")!) else { return XCTFail() }
        XCTAssertTrue(none.isEmpty)
        guard case .snapshot = log.resume(after: EventID("2.2")!) else { return XCTFail("an id never issued") }
    }

    func testAResumeBeyondTheRingMergesTheLogAndTheNewestDerivedState() {
        var log = ReplayLog(capacity: 3, maxLogReplay: 100, start: EventID(seq: 0))
        func add(_ change: Int64?, _ name: String, _ key: String? = nil) {
            log.append(.init(id: log.nextID(changeSeq: change), stateKey: key, frame: frame(name)))
        }
        add(1, "op1")
        add(nil, "heat1", "heatmap")
        add(nil, "presence1", "presence")
        add(2, "op2")
        add(3, "op3")
        add(nil, "rev3", "revenue")
        add(4, "op4")
        // Ring: op3, rev3, op4; floor is op2's id.
        XCTAssertEqual(log.floor, EventID(seq: 2))
        guard case let .needsLog(afterSeq, throughSeq) = log.resume(after: EventID(seq: 1)) else { return XCTFail() }
        XCTAssertEqual(afterSeq, 1)
        XCTAssertEqual(throughSeq, 2)
        let merged = log.merge(log: [(EventID(seq: 2), frame("op2-from-log"))], after: EventID(seq: 1), throughSeq: 2)
        XCTAssertEqual(text(merged ?? []), ["heat1", "presence1", "op2-from-log", "op3", "rev3", "op4"])
        // The log must account for every change, or the client gets a snapshot.
        XCTAssertNil(log.merge(log: [], after: EventID(seq: 1), throughSeq: 2))
        // Too far back: a snapshot.
        var short = ReplayLog(capacity: 1, maxLogReplay: 1, start: EventID(seq: 0))
        for s in 1...5 as ClosedRange<Int64> { short.append(.init(id: EventID(seq: s), stateKey: nil, frame: [])) }
        guard case .snapshot = short.resume(after: EventID(seq: 1)) else { return XCTFail() }
    }

    func testIdsOfARestartedSessionNeverCollideWithTheOldRun() {
        let base = EventID.restartBase(now: 1_800_000_000)
        var log = ReplayLog(capacity: 10, maxLogReplay: 100, start: EventID(seq: 7, index: base))
        log.append(.init(id: log.nextID(changeSeq: nil), stateKey: "heatmap", frame: frame("heat")))
        // A client of the old run saw 7.3; after the restart it is behind the floor and needs no log.
        guard case let .needsLog(a, t) = log.resume(after: EventID("7.3")!) else { return XCTFail() }
        XCTAssertEqual(a, 7)
        XCTAssertEqual(t, 7)
        XCTAssertEqual(text(log.merge(log: [], after: EventID("7.3")!, throughSeq: 7) ?? []), ["heat"])
    }
}

/// The hand-written time format agrees with Foundation's.
final class FieldFormatTests: XCTestCase {
    func testISOFormatMatchesFoundation() {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        for t in [0.0, 1.5, 951_782_400, 1_764_072_000.9, 4_102_444_799] {
            let d = Date(timeIntervalSince1970: t)
            XCTAssertEqual(FieldFormat.iso(d), f.string(from: d), "\(t)")
        }
    }
}
