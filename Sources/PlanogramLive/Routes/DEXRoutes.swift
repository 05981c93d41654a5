import EventLoopHTTP
import Foundation
import HTTPAPI
import PlanogramDomain
import Store

/// DEX audit reads (docs/formats/DEX.md): `POST /api/devices/{id}/dex` records one read (a driver at their
/// devices, an admin), `PUT /api/devices/{id}/dex-serial` links a machine serial to the device (an admin: reads a
/// CVD migration could not place), `GET /api/devices/{id}/selections` and `PUT …/selections` read and set the device's
/// selection map `{cabinet_index: {selection: [slot, ...]}}`.
struct DEXRoutes {
    let app: AppContext
    static let readers: Set<Role> = [.driver, .admin]
    static let mapEditors: Set<Role> = [.merchandiser, .manager, .admin]

    func install(_ router: inout Router) {
        let app = self.app
        router.post("/api/devices/{id}/dex", name: "device_dex", admit: app.auth.admit(Self.readers)) { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.readers)
                let id = try Self.device(app, req, p)
                if let type = req.headers["content-type"]?.lowercased(), type.hasPrefix("application/json") {
                    throw APIError.unsupportedMediaType("send the read as it is (text/plain), not JSON")
                }
                let now = Int64(Date().timeIntervalSince1970)
                let outcome = try DEXRecording.record(
                    req.body,
                    deviceID: id,
                    store: app.store,
                    catalog: app.catalog.current,
                    clock: app.clock,
                    by: p.subject,
                    receivedAt: now
                )
                return (outcome.recorded ? 201 : 200, DEXReadResponse(outcome))
            }
        }
        router.add("PUT", "/api/devices/{id}/dex-serial", name: "device_dex_serial", admit: app.auth.admit(.adminOnly))
        {
            req,
            r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, .adminOnly)
                let id = try Self.device(app, req, p)
                let body = try JSONRequest.decode(DEXSerialLink.Request.self, req)
                let serial = body.serial.trimmingCharacters(in: .whitespaces)
                guard !serial.isEmpty, serial.count <= 64, !serial.unicodeScalars.contains(where: { $0.value < 32 })
                else {
                    throw APIError.badRequest(
                        "serial must be the machine's serial as its reads give it (1 to 64 characters)"
                    )
                }
                if let owner = try app.store.linkDEXSerial(serial, to: id) {
                    throw APIError.conflict(
                        "serial \(serial) is device \(owner)'s already",
                        details: ["device_id": owner]
                    )
                }
                return (200, DEXSerialLink(deviceID: id, serial: serial))
            }
        }
        router.get("/api/devices/{id}/dex", name: "device_dex_reads") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, .anyRole)
                let id = try Self.device(app, req, p)
                var limit = 10
                if let text = req.queryValue("limit") {
                    guard let n = Int(text), (1...100).contains(n) else {
                        throw APIError.badRequest("limit must be a whole number from 1 to 100")
                    }
                    limit = n
                }
                let mapped = Set(try app.store.selectionMap(deviceID: id).map(\.selection))
                let reads = try app.store.dexReads(deviceID: id, limit: limit).map { read in
                    DEXReadSummary(
                        readID: read.readID,
                        readAt: FieldParse.iso8601(read.readAt),
                        readAtBasis: read.readAtBasis,
                        machineSerial: read.serial,
                        recordedBy: read.recordedBy,
                        selections: read.selections.map(\.selection),
                        unmapped: read.selections.map(\.selection).filter { !mapped.contains($0) }
                    )
                }
                return (200, DEXReadList(deviceID: id, reads: reads))
            }
        }
        router.get("/api/devices/{id}/selections", name: "device_selections") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, .anyRole)
                let id = try Self.device(app, req, p)
                return (200, Self.nested(try app.store.selectionMap(deviceID: id)))
            }
        }
        router.add(
            "PUT",
            "/api/devices/{id}/selections",
            name: "device_selections_put",
            admit: app.auth.admit(Self.mapEditors)
        ) { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, Self.mapEditors)
                let id = try Self.device(app, req, p)
                let body = try JSONRequest.decode([String: [String: [String]]].self, req)
                let map = try Self.flat(body, deviceID: id, catalog: app.catalog.current)
                try app.store.saveSelectionMap(deviceID: id, map)
                return (200, Self.nested(try app.store.selectionMap(deviceID: id)))
            }
        }
    }

    /// The path's device: 404 unknown, 403 outside the token's claim.
    static func device(_ app: AppContext, _ req: HTTPRequest, _ p: Principal) throws -> String {
        let id = req.parameter("id") ?? ""
        guard app.catalog.current.devices[id] != nil else { throw APIError.notFound("unknown device \(id)") }
        try app.auth.requireDevice(p, id)
        return id
    }

    static func nested(_ map: [SelectionSlot]) -> [String: [String: [String]]] {
        var out: [String: [String: [String]]] = [:]
        for e in map { out[String(e.cabinetIndex), default: [:]][e.selection, default: []].append(e.slot) }
        return out
    }

    /// A map as sent, checked: cabinets of the device, slots inside them (normalised, `a1` → `A1`), selections of
    /// 1 to 32 characters without control characters.
    static func flat(
        _ body: [String: [String: [String]]],
        deviceID: String,
        catalog: Catalog
    ) throws(APIError) -> [SelectionSlot] {
        var out: [SelectionSlot] = []
        for (key, selections) in body {
            guard let index = Int(key), let cabinet = catalog.cabinet(deviceID, index) else {
                throw .unprocessable(
                    "unknown_cabinet",
                    "device \(deviceID) has no cabinet \(key)",
                    details: ["cabinet_index": key]
                )
            }
            for (selection, slots) in selections {
                guard (1...32).contains(selection.count), !selection.unicodeScalars.contains(where: \.isControl) else {
                    throw .badRequest(
                        "a selection is 1 to 32 characters without control characters, got \"\(selection)\""
                    )
                }
                for text in slots {
                    let slot: SlotCode
                    do { slot = try cabinet.slot(text) } catch {
                        throw .unprocessable(
                            "unknown_slot",
                            "selection \(selection): \(error.description)",
                            details: ["selection": selection, "slot": text]
                        )
                    }
                    out.append(SelectionSlot(cabinetIndex: index, selection: selection, slot: slot.description))
                }
            }
        }
        return out
    }
}

/// `POST /api/devices/{id}/dex`'s answer (keys without a value are written as `null`, `@Null`).
struct DEXReadResponse: Encodable {
    var readID: String
    var deviceID: String
    @Null var machineSerial: String?
    var readAt: String
    var readAtBasis: String
    var recorded: Bool
    var selections: [Selection]
    var unmapped: [String]
    var warnings: [String]

    struct Selection: Encodable {
        var selection: String
        @Null var price: Double?
        @Null var vendsTotal: Int?
        @Null var valueTotal: Double?
        @Null var vendsSincePrevious: Int?
        var slots: [Slot]

        enum CodingKeys: String, CodingKey {
            case selection
            case price
            case vendsTotal = "vends_total"
            case valueTotal = "value_total"
            case vendsSincePrevious = "vends_since_previous"
            case slots
        }
    }

    struct Slot: Encodable {
        var cabinetIndex: Int
        var slot: String

        enum CodingKeys: String, CodingKey {
            case cabinetIndex = "cabinet_index"
            case slot
        }
    }

    enum CodingKeys: String, CodingKey {
        case readID = "read_id"
        case deviceID = "device_id"
        case machineSerial = "machine_serial"
        case readAt = "read_at"
        case readAtBasis = "read_at_basis"
        case recorded
        case selections
        case unmapped
        case warnings
    }

    init(_ o: DEXRecording.Outcome) {
        let sold = Dictionary(o.intervals.map { ($0.selection, $0.units) }, uniquingKeysWith: { a, _ in a })
        var slotsOf: [String: [Slot]] = [:]
        for e in o.map { slotsOf[e.selection, default: []].append(Slot(cabinetIndex: e.cabinetIndex, slot: e.slot)) }
        readID = o.record.readID
        deviceID = o.record.deviceID
        machineSerial = o.record.serial
        readAt = FieldParse.iso8601(o.record.readAt)
        readAtBasis = o.record.readAtBasis
        recorded = o.recorded
        selections = o.record.selections.map { s in
            Selection(
                selection: s.selection,
                price: s.price,
                vendsTotal: s.vendsTotal,
                valueTotal: s.valueTotal,
                vendsSincePrevious: sold[s.selection] ?? nil,
                slots: slotsOf[s.selection] ?? []
            )
        }
        unmapped = o.record.selections.map(\.selection).filter { slotsOf[$0] == nil }
        warnings = o.warnings
    }
}

/// `PUT /api/devices/{id}/dex-serial`: the serial now linked to the device.
struct DEXSerialLink: Encodable {
    let deviceID: String
    let serial: String

    /// Its body: `{"serial": "…"}`.
    struct Request: Decodable {
        let serial: String
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case serial
    }
}

/// `GET /api/devices/{id}/dex`: a device's reads, newest first.
struct DEXReadList: Encodable {
    let deviceID: String
    let reads: [DEXReadSummary]

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case reads
    }
}

/// One read as the list shows it: when, from which machine, its selections and those no slot is mapped to now.
struct DEXReadSummary: Encodable {
    let readID: String
    let readAt: String
    let readAtBasis: String
    let machineSerial: String?
    let recordedBy: String
    let selections: [String]
    let unmapped: [String]

    enum CodingKeys: String, CodingKey {
        case readID = "read_id"
        case readAt = "read_at"
        case readAtBasis = "read_at_basis"
        case machineSerial = "machine_serial"
        case recordedBy = "recorded_by"
        case selections, unmapped
    }
}
