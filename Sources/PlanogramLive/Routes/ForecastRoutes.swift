import EventLoopHTTP
import Forecasting
import Foundation
import HTTPAPI
import Insights
import PlanogramDomain
import Sessions
import Store

/// docs/MODELS.md for drivers and route managers: a device's forecast (`GET /api/devices/{id}/forecast`) and the
/// record of a visit (`POST /api/visits`). Both read or write the store, so both run on the blocking pool.
///
/// Decisions where the spec is silent (README): the forecast is "as of" now, or of the newest data of the
/// device when its history ends earlier (a demo fleet's last day), or of `?at=`; stock is replayed from
/// the last 28 days of the device's restocks, sales and pulls, starting full; the next visit is the last
/// restock plus the device's mean interval between restocks, and never earlier than an hour from now.
struct ForecastRoutes {
    let app: AppContext
    let insights: InsightsEngine

    func install(_ router: inout Router) {
        let app = self.app
        let insights = self.insights
        router.get("/api/devices/{id}/forecast", name: "device_forecast") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, .anyRole)
                let id = req.parameter("id") ?? ""
                let cat = app.catalog.current
                guard cat.devices[id] != nil else { throw APIError.notFound("unknown device \(id)") }
                try app.auth.requireDevice(p, id)
                var days = 7
                if let text = req.queryValue("days") {
                    guard let d = Int(text), (1...28).contains(d) else {
                        throw APIError.badRequest("days must be a whole number from 1 to 28")
                    }
                    days = d
                }
                var asOf: Int64?
                if let text = req.queryValue("at") {
                    guard let t = Array(text.utf8).withUnsafeBufferPointer({ FieldParse.timestamp($0) }) else {
                        throw APIError.badRequest("at must be an ISO 8601 time with Z or an offset")
                    }
                    asOf = t
                }
                let snap = try insights.snapshotOrUnavailable()
                return (200, try Self.forecast(app: app, snap: snap, deviceID: id, days: days, at: asOf))
            }
        }
        router.post("/api/visits", name: "visits", admit: app.auth.admit([.driver, .admin])) { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, [.driver, .admin])
                let body = try JSONRequest.decode(VisitRequest.self, req)
                let visit = try Self.parseVisit(body, catalog: app.catalog.current, principal: p)
                let outcome = try VisitRepository.record(
                    app.store,
                    visit,
                    by: p.subject,
                    at: Int64(Date().timeIntervalSince1970)
                )
                switch outcome {
                case .recorded:
                    return (
                        201, VisitRecordedResponse(visitID: visit.visitID, recorded: true, lines: visit.lines.count)
                    )
                case .repeated:
                    return (
                        200, VisitRecordedResponse(visitID: visit.visitID, recorded: false, lines: visit.lines.count)
                    )
                case .conflicting:
                    throw APIError.conflict(
                        "visit \(visit.visitID) is already recorded with other lines",
                        details: ["visit_id": visit.visitID]
                    )
                case .clashes(let slot, let cabinet):
                    throw APIError.conflict(
                        "a restock of \(visit.deviceID)/\(cabinet) \(slot) at this second is already recorded",
                        details: ["slot": slot.description, "cabinet_index": cabinet]
                    )
                }
            }
        }
    }

    /// Checks a visit body; nothing is written unless all of it is valid.
    static func parseVisit(_ body: VisitRequest, catalog: Catalog, principal p: Principal) throws(APIError) -> Visit {
        guard let device = body.deviceID, !device.isEmpty else { throw .badRequest("device_id is required") }
        guard catalog.devices[device] != nil else { throw .notFound("unknown device \(device)") }
        guard p.mayTouch(device: device) else { throw .forbidden("device \(device) is not among the token's devices") }
        guard let atText = body.at,
            let at = Array(atText.utf8).withUnsafeBufferPointer({ FieldParse.timestamp($0) })
        else {
            throw .badRequest("at is required: an ISO 8601 time with Z or an offset")
        }
        guard at <= Int64(Date().timeIntervalSince1970) + 86_400 else {
            throw .unprocessable("bad_time", "at is more than a day in the future")
        }
        guard let rawLines = body.lines, !rawLines.isEmpty, rawLines.count <= 500 else {
            throw .badRequest("lines is required: 1 to 500 of {slot, units_added, units_pulled, cabinet_index?}")
        }
        var lines: [VisitLine] = []
        var seen = Set<String>()
        for (i, line) in rawLines.enumerated() {
            let index = line.cabinetIndex ?? 0
            guard let cabinet = catalog.cabinet(device, index) else {
                throw .unprocessable("unknown_slot", "lines[\(i)]: device \(device) has no cabinet \(index)")
            }
            guard let slotText = line.slot else { throw .badRequest("lines[\(i)].slot is required") }
            let slot: SlotCode
            do { slot = try cabinet.slot(slotText) } catch {
                throw .unprocessable("unknown_slot", "lines[\(i)]: \(error)", details: ["line": i])
            }
            // units_added is required (a visit line says what was loaded, 0 included); units_pulled may be left out (0).
            guard line.unitsAdded != nil else {
                throw .badRequest(
                    "lines[\(i)].units_added is required (a whole number from 0 to 1000)",
                    details: ["line": i, "field": "units_added"]
                )
            }
            func count(_ value: Int?, _ key: String) throws(APIError) -> Int {
                let n = value ?? 0
                guard (0...1000).contains(n) else {
                    throw .unprocessable(
                        "bad_count",
                        "lines[\(i)].\(key) must be between 0 and 1000, got \(n)",
                        details: ["line": i]
                    )
                }
                return n
            }
            let added = try count(line.unitsAdded, "units_added")
            let pulled = try count(line.unitsPulled, "units_pulled")
            guard seen.insert("\(index)/\(slot)").inserted else {
                throw .unprocessable("duplicate_line", "lines[\(i)]: \(slot) is listed twice")
            }
            lines.append(VisitLine(cabinetIndex: index, slot: slot, unitsAdded: added, unitsPulled: pulled))
        }
        let id: String
        if let s = body.visitID {
            guard !s.isEmpty, s.utf8.count <= 128, !s.unicodeScalars.contains(where: \.isControl) else {
                throw .badRequest("visit_id must be a string of 1 to 128 bytes")
            }
            id = s
        } else {
            id = "\(device)@\(at)"  // the same visit posted twice is still one visit
        }
        return Visit(
            visitID: id,
            deviceID: device,
            at: at,
            lines: lines.sorted { ($0.cabinetIndex, $0.slot) < ($1.cabinetIndex, $1.slot) }
        )
    }

    static func forecast(
        app: AppContext,
        snap: InsightsEngine.Snapshot,
        deviceID: String,
        days: Int,
        at: Int64?
    ) throws -> DeviceForecastResponse {
        let cat = app.catalog.current
        let wall = Int64(Date().timeIntervalSince1970)
        let newest = try VisitRepository.lastEventTime(app.store, deviceID: deviceID, clock: app.clock)
        let now = at ?? min(wall, newest.map { $0 + 1 } ?? wall)
        let stock = try FleetStock.load(store: app.store, catalog: cat, deviceIDs: [deviceID], now: now)[deviceID]
        let (outlook, nextVisit) = try DeviceOutlook.outlook(
            app: app,
            snap: snap,
            deviceID: deviceID,
            stock: stock,
            now: now,
            days: days
        )
        let revenue = outlook.reduce(0.0) { $0 + $1.expectedUnits * (cat.products[$1.productID]?.price ?? 0) }
        let totals = ForecastTotals(
            expectedUnits: Rounding.round2(outlook.reduce(0) { $0 + $1.expectedUnits }),
            expectedRevenue: Rounding.round2(revenue),
            stockNow: outlook.reduce(0) { $0 + ($1.stockNow ?? 0) },
            slotsAtRisk: outlook.filter { ($0.stockoutProbability ?? 0) >= 0.5 }.count,
            expiringUnits: outlook.reduce(0) { $0 + $1.expiringUnits },
            expiredUnits: outlook.reduce(0) { $0 + $1.expiredUnits }
        )
        return DeviceForecastResponse(
            deviceID: deviceID,
            asOf: FieldParse.iso8601(now),
            days: days,
            nextVisit: FieldParse.iso8601(nextVisit),
            modelVersion: DemandModel.version + "+" + DemandCounts.version,
            historyResolution: snap.model.history.resolutions[deviceID]?.rawValue ?? "none",
            demandModel: snap.levels.basis(deviceID),
            intervalLevel: 0.9,
            slots: outlook.map(SlotForecastBody.init),
            totals: totals
        )
    }
}
