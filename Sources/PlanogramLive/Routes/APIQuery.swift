import Forecasting
import HTTPAPI
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
    /// `true`/`false` (absent: false); anything else is a 400 naming the parameter.
    static func flag(_ text: String?, name: String) throws(APIError) -> Bool {
        switch text {
        case nil, "false", "0": return false
        case "true", "1": return true
        default: throw .badRequest("\(name) must be true or false")
        }
    }

    static func days(_ text: String?) throws(APIError) -> Int {
        guard let text else { return 7 }
        guard let d = Int(text), (1...28).contains(d) else {
            throw .badRequest("days must be a whole number from 1 to 28")
        }
        return d
    }

    /// A budget of visits: `visits_per_day` (1 to the number of devices) or `visits_per_week` (1 to seven
    /// times that), not both; nil when neither is given.
    static func budget(perDay: String?, perWeek: String?, devices: Int) throws(APIError) -> VisitBudget? {
        switch (perDay, perWeek) {
        case (nil, nil): return nil
        case (.some, .some): throw .badRequest("give visits_per_day or visits_per_week, not both")
        case (let d?, nil):
            guard let n = Int(d), n >= 1, n <= max(1, devices) else {
                throw .badRequest("visits_per_day must be a whole number from 1 to \(devices) (the devices in reach)")
            }
            return .perDay(n)
        case (nil, let w?):
            guard let n = Int(w), n >= 1, n <= max(1, devices * 7) else {
                throw .badRequest(
                    "visits_per_week must be a whole number from 1 to \(devices * 7) (the devices in reach, daily)"
                )
            }
            return .perWeek(n)
        }
    }

    /// The truck a request is about: the one asked for, or the token's own (`vehicle` claim); a token bound to
    /// one truck asking for another is 403.
    static func vehicle(_ asked: String?, for p: Principal) throws(APIError) -> String? {
        guard let own = p.vehicle else { return asked }
        if let asked, asked != own {
            throw .forbidden("this token is bound to truck \(own), not \(asked)", details: ["vehicle_id": own])
        }
        return own
    }
}
