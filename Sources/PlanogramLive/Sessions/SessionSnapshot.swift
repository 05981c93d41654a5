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

    func encoded() -> String {
        let o: [String: Any] = [
            "version": version, "seq": seq, "published_version": publishedVersion,
            "slots": planogram.sortedFacings.map {
                ["slot": $0.slot.description, "product_id": $0.facing.productID, "capacity": $0.facing.capacity]
                    as [String: Any]
            },
            "changed": slotChanged.keys.sorted().map {
                ["slot": $0.description, "version": slotChanged[$0]!.version, "by": slotChanged[$0]!.by]
                    as [String: Any]
            },
        ]
        return String(decoding: JSONWriter.encode(o), as: UTF8.self)
    }

    static func decode(_ text: String, deviceID: String, cabinetIndex: Int) -> SessionSnapshot? {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
            let version = o["version"] as? Int, let seq = (o["seq"] as? NSNumber)?.int64Value
        else { return nil }
        var plan = Planogram(
            deviceID: deviceID,
            cabinetIndex: cabinetIndex,
            version: o["published_version"] as? Int ?? 0,
            effectiveFrom: 0
        )
        for s in o["slots"] as? [[String: Any]] ?? [] {
            if let code = (s["slot"] as? String).flatMap({ SlotCode($0) }), let p = s["product_id"] as? String,
                let c = s["capacity"] as? Int
            {
                plan.facings[code] = Facing(productID: p, capacity: c)
            }
        }
        var changed: [SlotCode: SlotChange] = [:]
        for c in o["changed"] as? [[String: Any]] ?? [] {
            if let code = (c["slot"] as? String).flatMap({ SlotCode($0) }), let v = c["version"] as? Int,
                let by = c["by"] as? String
            {
                changed[code] = SlotChange(version: v, by: by)
            }
        }
        return SessionSnapshot(
            planogram: plan,
            version: version,
            seq: seq,
            publishedVersion: o["published_version"] as? Int ?? 0,
            slotChanged: changed
        )
    }
}
