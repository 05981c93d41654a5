import FleetGenerator
import Foundation
import Insights
import PlanogramDomain
import Store
import XCTest

/// One generated recipe on a chosen zone's clock, imported into its own SQLite file and read on a clock
/// (by default the same zone's). Tests that compare a fleet across clocks build it here, so that every
/// such test generates, imports and reads it the same way.
enum ZonedFleet {
    /// Generates the recipe (`seed`, `devices`, `days`, ending 2026-11-10) on `zone`'s clock under `dir`
    /// (once: a second call reuses the files), imports it read on `readOn` (default: `zone`) and returns
    /// the store and that clock.
    static func imported(
        dir: String,
        zone: String,
        readOn read: String? = nil,
        seed: UInt64,
        devices: Int,
        days: Int
    ) throws -> (Store, FleetClock) {
        var model = FleetModel()
        model.seed = seed
        model.devices = devices
        model.days = days
        model.endDay = 1_793_491_200 + 9 * 86_400  // 2026-11-10
        model.timeZone = zone
        let files = dir + "/" + zone.replacingOccurrences(of: "/", with: "_")
        if !FileManager.default.fileExists(atPath: files) { _ = try FleetGenerator(model: model).write(to: files) }
        let clock = try XCTUnwrap(FleetClock(identifier: read ?? zone))
        let store = try Store(path: files + "-\(clock.identifier.replacingOccurrences(of: "/", with: "_")).db")
        _ = try Importer(store: store, clock: clock).importDirectory(files)
        return (store, clock)
    }
}
