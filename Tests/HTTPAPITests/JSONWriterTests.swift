import Foundation
import HTTPAPI
import XCTest

final class JSONWriterTests: XCTestCase {
    /// The hand-written writer must produce what JSONSerialization reads back as the same tree.
    func testWriterOutputParsesBackToTheSameValues() throws {
        let tree: [String: Any] = [
            "b": [1, 2.5, -3e-7, true, NSNull(), "q\"uote\\ \n\t\u{01} é 漢"], "a": ["z": 1, "y": [[String: Any]]()],
            "n": Int64(9_007_199_254_740_993), "big": 1e300, "f": Float(0.25), "empty": "", "nan": Double.nan,
        ]
        let bytes = JSONWriterProbe.encode(tree)
        let back = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        XCTAssertEqual(Array(back.keys).sorted(), ["a", "b", "big", "empty", "f", "n", "nan"])
        let b = back["b"] as! [Any]
        XCTAssertEqual(b[0] as? Int, 1)
        XCTAssertEqual(b[1] as? Double, 2.5)
        XCTAssertEqual(b[2] as? Double, -3e-7)
        XCTAssertEqual(b[3] as? Bool, true)
        XCTAssertTrue(b[4] is NSNull)
        XCTAssertEqual(b[5] as? String, "q\"uote\\ \n\t\u{01} é 漢")
        XCTAssertEqual((back["n"] as? NSNumber)?.int64Value, 9_007_199_254_740_993)
        XCTAssertEqual(back["big"] as? Double, 1e300)
        XCTAssertTrue(back["nan"] is NSNull)
        // Values parsed by JSONSerialization (NSNumber) are written back with their kinds.
        let again = String(
            decoding: JSONWriterProbe.encode(["one": back["b"] as Any, "n": back["n"] as Any]),
            as: UTF8.self
        )
        XCTAssertTrue(again.contains("[1,2.5,"), again)
        XCTAssertTrue(again.contains("true,null,"), again)
        XCTAssertTrue(again.contains("\"n\":9007199254740993"), again)
        // Keys are sorted, so equal trees give equal bytes.
        XCTAssertTrue(String(decoding: bytes, as: UTF8.self).hasPrefix("{\"a\":{\"y\":[],\"z\":1},\"b\":"))
    }

}
