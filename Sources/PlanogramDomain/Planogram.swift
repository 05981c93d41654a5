/// What sits in one slot.
package struct Facing: Sendable, Hashable, Codable {
    /// The capacity of a slot a request places a product in without saying how many it holds.
    package static let defaultCapacity = 8

    package var productID: String
    package var capacity: Int
    /// The operator's par level: the units the slot is filled to by the par rule (docs/MODELS.md "Par
    /// levels"); nil when none is set. Never above the capacity.
    package var par: Int?
    package init(productID: String, capacity: Int, par: Int? = nil) {
        self.productID = productID
        self.capacity = capacity
        self.par = par
    }
}

/// The assignment `slot -> {product, capacity}` of one cabinet. A 2-wide product is recorded at its
/// left slot only; `occupant(of:)` answers for both halves. Value type: drafts are copies.
package struct Planogram: Sendable, Hashable, Codable {
    package var deviceID: String
    package var cabinetIndex: Int
    /// Published version number (1, 2, …); a draft carries the version it was derived from.
    package var version: Int
    /// Effective time of the published version, seconds since 1970 (UTC).
    package var effectiveFrom: Int64
    package var facings: [SlotCode: Facing]

    package init(
        deviceID: String,
        cabinetIndex: Int,
        version: Int,
        effectiveFrom: Int64,
        facings: [SlotCode: Facing] = [:]
    ) {
        self.deviceID = deviceID
        self.cabinetIndex = cabinetIndex
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.facings = facings
    }

    /// The slot whose facing covers `slot` (itself, or its left neighbour holding a 2-wide product).
    package func anchor(of slot: SlotCode, widths: (String) -> Int) -> SlotCode? {
        if facings[slot] != nil { return slot }
        let left = slot.leftNeighbour
        if left.column >= 0, let f = facings[left], widths(f.productID) == 2 { return left }
        return nil
    }

    enum CodingKeys: String, CodingKey { case deviceID, cabinetIndex, version, effectiveFrom, facings }

    /// As Swift would encode it (the facings an array of alternating slots and facings), with the slots in
    /// order, so that a stored planogram is the same bytes in every process (the hash seed orders a
    /// dictionary's iteration).
    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(deviceID, forKey: .deviceID)
        try c.encode(cabinetIndex, forKey: .cabinetIndex)
        try c.encode(version, forKey: .version)
        try c.encode(effectiveFrom, forKey: .effectiveFrom)
        var f = c.nestedUnkeyedContainer(forKey: .facings)
        for (slot, facing) in sortedFacings {
            try f.encode(slot)
            try f.encode(facing)
        }
    }

    /// Facings sorted by slot, for stable output.
    package var sortedFacings: [(slot: SlotCode, facing: Facing)] {
        facings.keys.sorted().map { ($0, facings[$0]!) }
    }
}
