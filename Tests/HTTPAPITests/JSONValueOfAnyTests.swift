import Foundation
import HTTPAPI
import XCTest

/// An error's `details` are given as literals and Foundation objects and written through the one JSON path
/// (`JSONValue`, `APIJSON`). This replaces the test of the hand-built writer those trees used to go through: the
/// same values, the same expectations.
final class JSONValueOfAnyTests: XCTestCase {
    private struct Violation: Encodable {
        let rule: String
        let slot: String?
    }

    func testLiteralsAndFoundationValuesBecomeTheSameJSON() throws {
        let tree: [String: Any] = [
            "b": [1, 2.5, -3e-7, true, NSNull(), "q\"uote\\ \n\t\u{01} é 漢"], "a": ["z": 1, "y": [[String: Any]]()],
            "n": Int64(9_007_199_254_740_993), "big": 1e300, "f": Float(0.25), "empty": "", "nan": Double.nan,
            "coded": [Violation(rule: "width", slot: nil)],
        ]
        let bytes = try APIJSON.encode(JSONValue(any: tree))
        let back = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        XCTAssertEqual(Array(back.keys).sorted(), ["a", "b", "big", "coded", "empty", "f", "n", "nan"])
        let b = back["b"] as! [Any]
        XCTAssertEqual(b[0] as? Int, 1)
        XCTAssertEqual(b[1] as? Double, 2.5)
        XCTAssertEqual(b[2] as? Double, -3e-7)
        XCTAssertEqual(b[3] as? Bool, true)
        XCTAssertTrue(b[4] is NSNull)
        XCTAssertEqual(b[5] as? String, "q\"uote\\ \n\t\u{01} é 漢")
        XCTAssertEqual((back["n"] as? NSNumber)?.int64Value, 9_007_199_254_740_993)
        XCTAssertEqual(back["big"] as? Double, 1e300)
        XCTAssertEqual(back["f"] as? Double, 0.25)
        XCTAssertTrue(back["nan"] is NSNull, "a number JSON cannot carry is null, not an error")
        XCTAssertEqual((back["coded"] as? [[String: Any]])?.first?["rule"] as? String, "width")
        // Values parsed by JSONSerialization (NSNumber) keep their kinds: a boolean is not a 1.
        let again = String(
            decoding: try APIJSON.encode(JSONValue(any: ["one": back["b"] as Any, "n": back["n"] as Any])),
            as: UTF8.self
        )
        XCTAssertTrue(again.contains("[1,2.5,"), again)
        XCTAssertTrue(again.contains("true,null,"), again)
        XCTAssertTrue(again.contains("\"n\":9007199254740993"), again)
        // Keys are sorted, so equal trees give equal bytes.
        XCTAssertTrue(String(decoding: bytes, as: UTF8.self).hasPrefix("{\"a\":{\"y\":[],\"z\":1},\"b\":"))
    }

    func testAnErrorIsAnsweredInTheContractsShapeWithRetryAfterFromItsDetails() throws {
        let busy = APIError(503, "busy", "retry", details: ["retry_after_seconds": 7])
        let body = String(decoding: try APIJSON.encode(busy.body), as: UTF8.self)
        XCTAssertEqual(body, #"{"error":{"code":"busy","details":{"retry_after_seconds":7},"message":"retry"}}"#)
        XCTAssertEqual(APIError.unauthorized("no token").body.error.details, nil, "no details: the key is left out")
        XCTAssertEqual(
            String(decoding: try APIJSON.encode(APIError.unauthorized("no token").body), as: UTF8.self),
            #"{"error":{"code":"unauthorized","message":"no token"}}"#
        )
    }
}
