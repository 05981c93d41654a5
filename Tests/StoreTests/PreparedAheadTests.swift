import Foundation
import Store
import XCTest

/// Work prepared on a second thread while the caller writes the item before it (`PreparedAhead`).
final class PreparedAheadTests: XCTestCase {
    func testItemsAreWrittenInOrderEachWithItsOwnPreparation() throws {
        let ahead = PreparedAhead<Int>()
        var written: [Int] = []
        for i in 0..<200 {
            try ahead.submit {
                i * i
            } write: { value in
                written.append(value)
            }
        }
        // The last item waits for `finish`.
        XCTAssertEqual(written.count, 199)
        try ahead.finish()
        XCTAssertEqual(written, (0..<200).map { $0 * $0 })
    }

    func testAWriteThatThrowsStopsTheWritesAfterIt() {
        struct Refused: Error {}
        let ahead = PreparedAhead<Int>()
        var written: [Int] = []
        XCTAssertThrowsError(
            try {
                for i in 0..<10 {
                    try ahead.submit {
                        i
                    } write: { value in
                        if value == 4 { throw Refused() }
                        written.append(value)
                    }
                }
                try ahead.finish()
            }()
        ) { error in
            XCTAssertTrue(error is Refused)
        }
        XCTAssertEqual(written, [0, 1, 2, 3])
    }
}
