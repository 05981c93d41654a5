import Foundation
import HTTPAPI
import PlanogramDomain

/// What a checkpoint holds: the committed draft, its version and seq, the published version it is
/// based on, and when each slot last changed (the conflict rule needs it after a restart).
struct SessionSnapshot {
    var planogram: Planogram
    var version: Int
    var seq: Int64
    var publishedVersion: Int
    var slotChanged: [SlotCode: SlotChange]

    /// The checkpoint's JSON as the op log keeps it (`op_log.snapshot`).
    private struct Stored: Codable {
        let version: Int
        let seq: Int64
        let publishedVersion: Int?
        let slots: [Slot]?
        let changed: [Changed]?

        struct Slot: Codable {
            let slot: String
            let productID: String
            let capacity: Int

            enum CodingKeys: String, CodingKey {
                case slot
                case productID = "product_id"
                case capacity
            }
        }

        struct Changed: Codable {
            let slot: String
            let version: Int
            let by: String
        }

        enum CodingKeys: String, CodingKey {
            case version, seq
            case publishedVersion = "published_version"
            case slots, changed
        }
    }

    func encoded() -> String {
        let stored = Stored(
            version: version,
            seq: seq,
            publishedVersion: publishedVersion,
            slots: planogram.sortedFacings.map {
                Stored.Slot(slot: $0.slot.description, productID: $0.facing.productID, capacity: $0.facing.capacity)
            },
            changed: slotChanged.keys.sorted().map {
                Stored.Changed(slot: $0.description, version: slotChanged[$0]!.version, by: slotChanged[$0]!.by)
            }
        )
        // Strings and whole numbers: always encodes.
        return String(decoding: (try? APIJSON.encode(stored)) ?? [], as: UTF8.self)
    }

    /// The checkpoint from its stored JSON; nil when it is not one. A slot whose code no longer parses is left out.
    static func decode(_ text: String, deviceID: String, cabinetIndex: Int) -> SessionSnapshot? {
        guard let o = try? JSONDecoder().decode(Stored.self, from: Data(text.utf8)) else { return nil }
        var plan = Planogram(
            deviceID: deviceID,
            cabinetIndex: cabinetIndex,
            version: o.publishedVersion ?? 0,
            effectiveFrom: 0
        )
        for s in o.slots ?? [] {
            if let code = SlotCode(s.slot) { plan.facings[code] = Facing(productID: s.productID, capacity: s.capacity) }
        }
        var changed: [SlotCode: SlotChange] = [:]
        for c in o.changed ?? [] {
            if let code = SlotCode(c.slot) { changed[code] = SlotChange(version: c.version, by: c.by) }
        }
        return SessionSnapshot(
            planogram: plan,
            version: o.version,
            seq: o.seq,
            publishedVersion: o.publishedVersion ?? 0,
            slotChanged: changed
        )
    }
}
