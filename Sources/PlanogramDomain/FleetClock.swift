import Foundation

/// The fleet's wall clock (docs/MODELS.md: "times of day are in the fleet's time zone", `PLANOGRAM_TIMEZONE`,
/// default UTC). Operations speak in local dates and times of day — a device's access hours, a depot's
/// opening hours, a truck's shift, the date of a service plan, a pick list or a route — while the server
/// keeps instants (seconds since 1970, UTC). This maps between the two, daylight saving included: a
/// local date is a day index (days since 1970-01-01 of the calendar date, whatever the zone), a day may
/// last 23 or 25 hours, and a time of day is a minute of the local day's wall clock.
///
/// Rules at the edges (the usual ones of calendar libraries): a wall time skipped by a spring-forward
/// change is read with the offset before the change (02:30 becomes 03:30); a wall time that occurs twice
/// at a fall-back change is its first occurrence. The days of the daily totals (`SalesDaily`), the fleet
/// KPIs, experiments and the demand model are its local dates too; see docs/OPERATIONS.md.
package struct FleetClock: Sendable, Equatable, CustomStringConvertible {
    /// The IANA identifier, as configured ("UTC", "Europe/Berlin").
    package let identifier: String
    let zone: TimeZone?
    /// The zone's offsets between 1900 and 2100, read once: the history's days are taken per sale and per
    /// restock (millions at a fit), where Foundation's lookup costs a microsecond or more each.
    let offsets: OffsetTable?

    package static let utc = FleetClock(utcNamed: "UTC")

    private init(utcNamed name: String) {
        identifier = name
        zone = nil
        offsets = nil
    }

    /// The clock of an IANA zone; nil for a name the system's zone database does not know.
    package init?(identifier: String) {
        let name = identifier.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, let z = TimeZone(identifier: name) else { return nil }
        self.identifier = name
        // UTC itself needs no lookups and its arithmetic is exact.
        zone =
            ["UTC", "GMT", "Etc/UTC", "Etc/GMT", "Etc/UCT", "UCT", "Universal", "Zulu"].contains(z.identifier) ? nil : z
        offsets = zone.map(OffsetTable.init)
    }

    package var description: String { identifier }
    package var isUTC: Bool { zone == nil }

    package static func == (a: FleetClock, b: FleetClock) -> Bool { a.identifier == b.identifier }

    /// The zone's offset from UTC at the instant `t`, in seconds (east positive).
    package func offset(at t: Int64) -> Int64 {
        guard let zone else { return 0 }
        if let o = offsets?.offset(at: t) { return o }
        return Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t))))
    }

    /// The local date of the instant `t`, as days since 1970-01-01.
    package func day(of t: Int64) -> Int64 {
        let local = t + offset(at: t)
        return local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
    }

    /// The instant of the local wall time `minute` (0…1440) on the local date `day`. 1440 is the next
    /// day's midnight.
    package func instant(day: Int64, minute: Int) -> Int64 {
        let wall = day * 86_400 + Int64(minute) * 60
        guard zone != nil else { return wall }
        // The offsets a day either side hold before and after any change near this wall time (changes
        // are months apart); each gives a candidate, valid when it reads back as the same wall time.
        let before = wall - offset(at: wall - 86_400)
        let after = wall - offset(at: wall + 86_400)
        let beforeValid = before + offset(at: before) == wall
        let afterValid = after + offset(at: after) == wall
        switch (beforeValid, afterValid) {
        case (true, true): return min(before, after)  // a wall time that occurs twice: the first
        case (false, true): return after
        default: return before  // inside a gap: the offset before the change
        }
    }

    /// The instant the local date `day` begins: local midnight, or where the day begins when the zone's
    /// clock skips midnight (the gap rule lands on the change itself).
    package func midnight(_ day: Int64) -> Int64 { instant(day: day, minute: 0) }

    /// Seconds from the local date's midnight to its wall time `minute` (more or less than `minute × 60`
    /// on the days the clocks change).
    package func secondsIntoDay(day: Int64, minute: Int) -> Int {
        Int(instant(day: day, minute: minute) - midnight(day))
    }

    /// The local wall time of the instant `t`, "HH:MM".
    package func timeOfDay(_ t: Int64) -> String {
        let local = t + offset(at: t)
        let s = Int(((local % 86_400) + 86_400) % 86_400)
        return String(format: "%02d:%02d", s / 3_600, s / 60 % 60)
    }
}

/// A zone's offset from UTC as a step function of the instant: each transition Foundation reports between
/// 1900 and 2100 and the offset from it on. Outside that span the caller asks Foundation.
final class OffsetTable: Sendable {
    static let span: Range<Int64> = -2_208_988_800..<4_102_444_800  // 1900-01-01 ..< 2100-01-01, UTC
    /// Ascending; `offsets[i]` holds from `starts[i]` until `starts[i + 1]`. `starts[0]` is the span's start.
    let starts: [Int64]
    let offsets: [Int64]

    init(_ zone: TimeZone) {
        var starts = [Self.span.lowerBound]
        var offsets = [Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(Self.span.lowerBound))))]
        var at = Date(timeIntervalSince1970: Double(Self.span.lowerBound))
        while let next = zone.nextDaylightSavingTimeTransition(after: at),
            next.timeIntervalSince1970 < Double(Self.span.upperBound),
            next > at
        {
            let t = Int64(next.timeIntervalSince1970.rounded(.down))
            let o = Int64(zone.secondsFromGMT(for: next))
            if o != offsets.last! {
                starts.append(t)
                offsets.append(o)
            }
            at = next
        }
        self.starts = starts
        self.offsets = offsets
    }

    /// nil outside the span.
    func offset(at t: Int64) -> Int64? {
        guard Self.span.contains(t) else { return nil }
        var lo = 0
        var hi = starts.count  // the last start <= t
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if starts[mid] <= t { lo = mid } else { hi = mid }
        }
        return offsets[lo]
    }
}
