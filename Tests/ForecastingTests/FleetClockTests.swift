import Foundation
import XCTest

@testable import PlanogramDomain

/// `FleetClock`: local dates and wall times of the fleet's zone against Foundation's calendar, across the
/// days the clocks change.
final class FleetClockTests: XCTestCase {
    /// Days since 1970 of a calendar date.
    static func day(_ y: Int, _ m: Int, _ d: Int) -> Int64 {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        return Int64(utc.date(from: DateComponents(year: y, month: m, day: d))!.timeIntervalSince1970) / 86_400
    }

    /// Foundation's reading of an instant in a zone: (days since 1970 of the local date, minute of the day).
    static func wall(_ t: Int64, _ zone: String) -> (day: Int64, minute: Int) {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: zone)!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute], from: Date(timeIntervalSince1970: Double(t)))
        return (day(c.year!, c.month!, c.day!), c.hour! * 60 + c.minute!)
    }

    func testUTCIsTheArithmeticOfPart1() {
        let c = FleetClock.utc
        XCTAssertTrue(c.isUTC)
        XCTAssertTrue(FleetClock(identifier: "UTC")!.isUTC)
        for t: Int64 in [0, 1, 86_399, 86_400, 1_780_000_123, -1, -86_401] {
            XCTAssertEqual(c.day(of: t), t >= 0 ? t / 86_400 : (t - 86_399) / 86_400)
            XCTAssertEqual(c.offset(at: t), 0)
        }
        XCTAssertEqual(c.instant(day: 20_000, minute: 450), 20_000 * 86_400 + 450 * 60)
        XCTAssertEqual(c.midnight(20_000), 20_000 * 86_400)
        XCTAssertEqual(c.secondsIntoDay(day: 20_000, minute: 1_440), 86_400)
    }

    func testUnknownZonesAreRefused() {
        XCTAssertNil(FleetClock(identifier: "Europe/Atlantis"))
        XCTAssertNil(FleetClock(identifier: ""))
        XCTAssertNil(FleetClock(identifier: "   "))
        XCTAssertEqual(FleetClock(identifier: " Europe/Berlin ")?.identifier, "Europe/Berlin")
    }

    /// Every day of three years in zones with whole-hour, half-hour and 45-minute offsets, with and
    /// without daylight saving, north and south: each day's midnight and every quarter hour of it read back
    /// as Foundation reads them, except the wall times a spring-forward change skips.
    func testEveryDayAndQuarterHourAgreesWithFoundation() {
        for zone in [
            "Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kathmandu",
            "America/St_Johns",
        ] {
            let clock = FleetClock(identifier: zone)!
            XCTAssertFalse(clock.isUTC)
            var skipped = 0
            for day in Self.day(2025, 1, 1)...Self.day(2027, 12, 31) {
                let midnight = clock.midnight(day)
                XCTAssertEqual(Self.wall(midnight, zone).day, day, "\(zone) midnight of day \(day)")
                XCTAssertEqual(
                    Self.wall(midnight - 1, zone).day,
                    day - 1,
                    "\(zone) the second before midnight of day \(day)"
                )
                XCTAssertEqual(clock.day(of: midnight), day)
                XCTAssertEqual(clock.day(of: midnight - 1), day - 1)
                for minute in stride(from: 0, to: 1_440, by: 15) {
                    let t = clock.instant(day: day, minute: minute)
                    let back = Self.wall(t, zone)
                    if back.day == day && back.minute == minute { continue }
                    // Only a skipped wall time may read back differently: later, by the size of the jump.
                    skipped += 1
                    XCTAssertEqual(back.day, day, "\(zone) \(day) \(minute)")
                    XCTAssertTrue([30, 60].contains(back.minute - minute), "\(zone) \(day) \(minute) → \(back.minute)")
                }
                XCTAssertEqual(
                    clock.instant(day: day, minute: 1_440),
                    clock.midnight(day + 1),
                    "\(zone) the end of day \(day)"
                )
            }
            // Three spring-forward changes a zone with daylight saving makes in three years.
            XCTAssertEqual(skipped > 0, zone != "Asia/Kathmandu", zone)
        }
    }

    func testBerlinsChangesOfClock() {
        let berlin = FleetClock(identifier: "Europe/Berlin")!
        let spring = Self.day(2026, 3, 29)
        let autumn = Self.day(2026, 10, 25)
        let winter = Self.day(2026, 1, 15)
        // Winter: UTC+1; 07:00 is 06:00Z and seven hours after midnight.
        XCTAssertEqual(berlin.instant(day: winter, minute: 7 * 60), winter * 86_400 + 6 * 3_600)
        XCTAssertEqual(berlin.secondsIntoDay(day: winter, minute: 7 * 60), 7 * 3_600)
        // The day the clocks go forward lasts 23 hours: 07:00 is six hours after midnight (05:00Z).
        XCTAssertEqual(berlin.instant(day: spring, minute: 7 * 60), spring * 86_400 + 5 * 3_600)
        XCTAssertEqual(berlin.secondsIntoDay(day: spring, minute: 7 * 60), 6 * 3_600)
        XCTAssertEqual(berlin.midnight(spring + 1) - berlin.midnight(spring), 23 * 3_600)
        // 02:30 does not exist that day: read with the offset before the change, it is 03:30 (01:30Z).
        XCTAssertEqual(berlin.instant(day: spring, minute: 150), spring * 86_400 + 3_600 + 1_800)
        XCTAssertEqual(berlin.timeOfDay(berlin.instant(day: spring, minute: 150)), "03:30")
        // The day they go back lasts 25 hours; 02:30 happens twice, and the first is meant (00:30Z).
        XCTAssertEqual(berlin.midnight(autumn + 1) - berlin.midnight(autumn), 25 * 3_600)
        XCTAssertEqual(berlin.instant(day: autumn, minute: 150), autumn * 86_400 + 1_800)
        XCTAssertEqual(berlin.secondsIntoDay(day: autumn, minute: 7 * 60), 8 * 3_600)
        // The local date of an instant: 23:30Z on 31 December is already New Year's Day in Berlin.
        let newYear = Self.day(2027, 1, 1)
        XCTAssertEqual(berlin.day(of: newYear * 86_400 - 1_800), newYear)
        XCTAssertEqual(FleetClock.utc.day(of: newYear * 86_400 - 1_800), newYear - 1)
        XCTAssertEqual(berlin.timeOfDay(newYear * 86_400 - 1_800), "00:30")
    }

    /// The clock reads offsets from a table of the zone's transitions. Every two hours from 1970 to 2040,
    /// and the second either side of every transition, it agrees with Foundation — in zones that moved their
    /// standard time (Moscow 2011 and 2014), gave up daylight saving (São Paulo 2019), skipped a whole day
    /// (Apia, 30 December 2011) or suspend it for Ramadan (Casablanca).
    func testTheOffsetTableIsFoundationsOffsets() {
        for zone in [
            "Europe/Berlin", "America/New_York", "Europe/Moscow", "America/Sao_Paulo", "Pacific/Apia",
            "Africa/Casablanca",
            "Australia/Lord_Howe", "Asia/Kolkata",
        ] {
            let clock = FleetClock(identifier: zone)!
            let tz = TimeZone(identifier: zone)!
            func foundation(_ t: Int64) -> Int64 {
                Int64(tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t))))
            }
            let table = clock.offsets!
            XCTAssertGreaterThan(table.starts.count, zone == "Asia/Kolkata" ? 1 : 10, zone)
            for t in table.starts.dropFirst() {
                XCTAssertEqual(clock.offset(at: t), foundation(t), "\(zone) at the change \(t)")
                XCTAssertEqual(clock.offset(at: t - 1), foundation(t - 1), "\(zone) before the change \(t)")
            }
            var mismatches = 0
            for t in stride(from: Int64(0), to: 2_208_988_800, by: 7_200) where clock.offset(at: t) != foundation(t) {
                mismatches += 1
            }
            XCTAssertEqual(mismatches, 0, zone)
        }
        // Outside the table's span the clock asks Foundation.
        let berlin = FleetClock(identifier: "Europe/Berlin")!
        XCTAssertEqual(
            berlin.offset(at: 4_200_000_000),
            Int64(
                TimeZone(identifier: "Europe/Berlin")!.secondsFromGMT(for: Date(timeIntervalSince1970: 4_200_000_000))
            )
        )
    }
}
