import PlanogramDomain
import Store

/// Query and body values the routes share, read strictly: a 400 names the parameter.
enum APIQuery {
    /// A `YYYY-MM-DD` date as a day index; nil when absent.
    static func date(_ text: String?, name: String) throws(APIError) -> Int64? {
        guard let text else { return nil }
        guard let t = Array(text.utf8).withUnsafeBufferPointer({ FieldParse.timestamp($0, dateOnlyAllowed: true) }),
            text.utf8.count == 10
        else {
            throw .badRequest("\(name) must be a date YYYY-MM-DD")
        }
        return FleetClock.dayIndex(ofUTC: t)
    }

    /// A horizon of 1 to 28 days (7 when absent).
    static func days(_ text: String?) throws(APIError) -> Int {
        guard let text else { return 7 }
        guard let d = Int(text), (1...28).contains(d) else {
            throw .badRequest("days must be a whole number from 1 to 28")
        }
        return d
    }
}
