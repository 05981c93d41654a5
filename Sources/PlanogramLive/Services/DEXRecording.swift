import Crypto
import DEX
import Foundation
import HTTPAPI
import PlanogramDomain
import Store

/// A DEX read into the history (docs/formats/DEX.md): its identity (SHA-256 of the transmission), when it was
/// taken (the controller's clock on the fleet's clock when plausible, else the time it was received — said so),
/// the device's selection map (detected at the first read for the common numberings, the operator's after),
/// and the interval sales since the device's previous read. One transaction; the same read again writes nothing.
package enum DEXRecording {
    package struct Outcome {
        package var record: DEXReadRecord
        package var recorded: Bool
        package var intervals: [DEXIntervalRecord]
        package var map: [SelectionSlot]
        package var warnings: [String]
    }

    /// A controller's clock is believed when it puts the read within a year before its arrival and at most a
    /// day after (real clocks say 2007 and 2037: Fixtures/dex).
    static let plausiblePast: Int64 = 366 * 86_400
    static let plausibleFuture: Int64 = 86_400

    /// `explicitTime`: the time the operator says the read was taken (`import-dex --at`), used instead of the
    /// machine's clock.
    package static func record(
        _ bytes: [UInt8],
        deviceID: String,
        store: Store,
        catalog cat: Catalog,
        clock: FleetClock,
        by user: String,
        receivedAt: Int64,
        at explicitTime: Int64? = nil
    ) throws -> Outcome {
        let read: DEXRead
        do throws(DEXError) { read = try DEXReader.read(bytes) } catch {
            throw APIError.unprocessable(
                "bad_dex",
                "the DEX read cannot be used: \(error.message)",
                details: ["line": error.line, "record": error.record]
            )
        }
        var warnings = read.warnings
        if let serial = read.serial, let owner = try store.device(forDEXSerial: serial), owner != deviceID {
            throw APIError.unprocessable(
                "serial_mismatch",
                "this read comes from machine \(serial), which is device \(owner), not \(deviceID)",
                details: ["machine_serial": serial, "device_id": owner]
            )
        }
        // When the read was taken.
        var readAt = explicitTime ?? receivedAt
        var basis = explicitTime == nil ? "received" : "given"
        if explicitTime == nil {
            if let t = read.readAt, let machine = instant(t, clock: clock),
                machine >= receivedAt - plausiblePast, machine <= receivedAt + plausibleFuture
            {
                readAt = machine
                basis = "machine"
            } else if let t = read.readAt {
                warnings.append(
                    "the machine's clock says \(t) — not believable; the time the read was received is used"
                )
            } else {
                warnings.append("the read carries no date; the time it was received is used")
            }
            // Reads timed by their arrival keep their order: one that arrives in the same second as the device's
            // newest read is placed a second after it.
            if basis == "received", let newest = try store.dexReads(deviceID: deviceID, limit: 1).first?.readAt,
                newest >= readAt
            {
                readAt = newest + 1
            }
        }
        let digest = SHA256.hash(data: Data(DEXReader.transmission(bytes) ?? bytes))
        let fingerprint = digest.map { String(format: "%02x", $0) }.joined()
        let record = DEXReadRecord(
            readID: "dex_" + fingerprint.prefix(16),
            deviceID: deviceID,
            fingerprint: fingerprint,
            serial: read.serial,
            readAt: readAt,
            readAtBasis: basis,
            receivedAt: receivedAt,
            recordedBy: user,
            body: String(decoding: bytes, as: UTF8.self),
            selections: read.selections.map { s in
                DEXReadRecord.Selection(
                    selection: s.selection,
                    price: s.price.map(read.money),
                    vendsTotal: s.vendsTotal,
                    valueTotal: s.valueTotal.map(read.money),
                    vendsSinceReset: s.vendsSinceReset,
                    valueSinceReset: s.valueSinceReset.map(read.money)
                )
            }
        )
        // The selection map: the device's, or detected now and kept.
        var map = try store.selectionMap(deviceID: deviceID)
        if map.isEmpty, let cabinet = cat.cabinets(of: deviceID).first {
            map = detect(read, cabinet: cabinet)
            if !map.isEmpty { try store.saveSelectionMap(deviceID: deviceID, map) }
        }
        var priceNotes: [String] = []
        let outcome = try store.recordDEXRead(record) { previous in
            guard let previous else { return [] }
            let before = Dictionary(previous.selections.map { ($0.selection, $0) }, uniquingKeysWith: { a, _ in a })
            return record.selections.compactMap { s in
                guard let p = before[s.selection] else { return nil }
                if let a = p.price, let b = s.price, a != b {
                    priceNotes.append(
                        "selection \(s.selection): price \(a) → \(b) since the read of \(FieldParse.iso8601(previous.readAt))"
                    )
                }
                let (units, how) = DEXInterval.units(
                    from: .init(vendsTotal: p.vendsTotal, vendsSinceReset: p.vendsSinceReset),
                    to: .init(vendsTotal: s.vendsTotal, vendsSinceReset: s.vendsSinceReset)
                )
                return DEXIntervalRecord(
                    deviceID: deviceID,
                    selection: s.selection,
                    fromTs: previous.readAt,
                    toTs: readAt,
                    units: units,
                    basis: how.rawValue,
                    readID: record.readID
                )
            }
        }
        if outcome.recorded {
            warnings += priceNotes
            let unknown = outcome.intervals.filter { $0.units == nil }.map(\.selection)
            if !unknown.isEmpty {
                warnings.append(
                    "sales since the previous read are unknown for \(unknown.count) selection(s) (a counter went down): \(unknown.joined(separator: ", "))"
                )
            }
        }
        return Outcome(
            record: outcome.read,
            recorded: outcome.recorded,
            intervals: outcome.intervals,
            map: map,
            warnings: outcome.recorded ? warnings : []
        )
    }

    /// The instant of a controller's wall time on the fleet's clock.
    static func instant(_ t: DEXTimestamp, clock: FleetClock) -> Int64? {
        let text = String(t.description.prefix(10))
        guard
            let midnight = Array(text.utf8).withUnsafeBufferPointer({ FieldParse.timestamp($0, dateOnlyAllowed: true) })
        else { return nil }
        return clock.instant(day: FleetClock.dayIndex(ofUTC: midnight), minute: t.hour * 60 + t.minute)
            + Int64(t.second)
    }

    /// The common numberings on the device's first cabinet, and the maker's `MA5*SEL` columns on a one-row one.
    static func detect(_ read: DEXRead, cabinet: Cabinet) -> [SelectionSlot] {
        var out: [SelectionSlot] = []
        for s in read.selections {
            if let (r, c) = DEXSelectionNumbering.position(s.selection, rows: cabinet.rows, columns: cabinet.columns) {
                out.append(
                    SelectionSlot(
                        cabinetIndex: cabinet.index,
                        selection: s.selection,
                        slot: SlotCode(row: r, column: c).description
                    )
                )
            } else if cabinet.rows == 1, let key = Int(s.selection).map(String.init),
                let columns = read.selectionColumns[key]
            {
                for column in columns where column >= 1 && column <= cabinet.columns {
                    out.append(
                        SelectionSlot(
                            cabinetIndex: cabinet.index,
                            selection: s.selection,
                            slot: SlotCode(row: 0, column: column - 1).description
                        )
                    )
                }
            }
        }
        return out
    }
}
