/// A product of the catalogue.
package struct Product: Sendable, Hashable, Codable {
    package var id: String
    package var name: String
    package var category: String
    package var price: Double
    package var unitCost: Double
    package var temperature: Temperature
    package var heightMM: Int
    /// 1 or 2; a 2-wide product occupies its slot and the one to its right.
    package var widthColumns: Int
    package var shelfLifeDays: Int
    /// Units per case, for pre-kitting at the warehouse (docs/MODELS.md; 1 when the file does not say).
    package var caseSize: Int

    package init(
        id: String,
        name: String,
        category: String,
        price: Double,
        unitCost: Double,
        temperature: Temperature,
        heightMM: Int,
        widthColumns: Int,
        shelfLifeDays: Int,
        caseSize: Int = 1
    ) {
        self.id = id
        self.name = name
        self.category = category
        self.price = price
        self.unitCost = unitCost
        self.temperature = temperature
        self.heightMM = heightMM
        self.widthColumns = widthColumns
        self.shelfLifeDays = shelfLifeDays
        self.caseSize = caseSize
    }

    /// The categories the catalogue knows (docs/ARCHITECTURE.md); others are accepted on import.
    package static let knownCategories = [
        "chips", "candy", "cookies", "nuts", "healthy", "pastry", "soda", "water",
        "energy", "juice", "coffee", "sandwich", "salad", "dairy", "ice-cream",
    ]
}

/// A vending machine.
package struct Device: Sendable, Hashable, Codable {
    package var id: String
    package var name: String
    package var venueType: VenueType
    package var latitude: Double
    package var longitude: Double
    package var deviceType: DeviceType
    /// When a driver may service the machine, in minutes after midnight in the fleet's time zone
    /// (docs/MODELS.md); nil for all day.
    package var access: TimeWindow?
    /// How long a visit takes, in minutes (default 10).
    package var serviceMinutes: Int

    package init(
        id: String,
        name: String,
        venueType: VenueType,
        latitude: Double,
        longitude: Double,
        deviceType: DeviceType,
        access: TimeWindow? = nil,
        serviceMinutes: Int = 10
    ) {
        self.id = id
        self.name = name
        self.venueType = venueType
        self.latitude = latitude
        self.longitude = longitude
        self.deviceType = deviceType
        self.access = access
        self.serviceMinutes = serviceMinutes
    }
}

/// One cabinet of a device: a grid of `rows` × `columns` slots in one temperature zone.
package struct Cabinet: Sendable, Hashable, Codable {
    package var deviceID: String
    package var index: Int
    package var temperature: Temperature
    package var rows: Int
    package var columns: Int
    /// Height in mm of each row, top row first.
    package var rowHeightsMM: [Int]

    package init(deviceID: String, index: Int, temperature: Temperature, rows: Int, columns: Int, rowHeightsMM: [Int]) {
        self.deviceID = deviceID
        self.index = index
        self.temperature = temperature
        self.rows = rows
        self.columns = columns
        self.rowHeightsMM = rowHeightsMM
    }

    package var slotCount: Int { rows * columns }

    package func contains(_ slot: SlotCode) -> Bool {
        slot.row >= 0 && slot.row < rows && slot.column >= 0 && slot.column < columns
    }

    /// Parses a slot code and checks it lies inside this cabinet.
    package func slot(_ text: String) throws(PlacementError) -> SlotCode {
        guard let s = SlotCode(text) else { throw .badSlotCode(text) }
        guard contains(s) else { throw .slotOutsideCabinet(s, rows: rows, columns: columns) }
        return s
    }

    /// Every slot, row by row.
    package var allSlots: [SlotCode] {
        (0..<rows).flatMap { r in (0..<columns).map { SlotCode(row: r, column: $0) } }
    }
}

/// A cabinet's identity: device id and cabinet index.
package struct CabinetKey: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    package let deviceID: String
    package let index: Int
    package init(_ deviceID: String, _ index: Int) {
        self.deviceID = deviceID
        self.index = index
    }
    package var description: String { "\(deviceID)/\(index)" }
    package static func < (a: CabinetKey, b: CabinetKey) -> Bool { (a.deviceID, a.index) < (b.deviceID, b.index) }
}
