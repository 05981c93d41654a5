import PlanogramDomain

/// The sales history reduced to what the models need: for every slot of every cabinet and every day,
/// which product the planogram put there, how many units sold, for how much, and for what share of the
/// trading day the slot was in stock (stock inferred from restocks and sales). Built once by
/// `HistoryBuilder`; read by the estimators; immutable.
package struct SalesHistory: Sendable {
    /// One slot of one cabinet on one day.
    package struct SlotDay: Sendable {
        package var day: Int32  // days since 1970
        package var product: Int32  // index into `products`, -1 when the slot was empty
        package var units: Float
        package var revenue: Float
        package var inStock: Float  // share of the trading day (06:00–22:00) with stock, 0…1
    }

    package struct SlotSeries: Sendable {
        package let cabinet: CabinetKey
        package let slot: SlotCode
        package var days: [SlotDay]
    }

    package let cabinets: [CabinetKey: Cabinet]
    package let devices: [String: Device]
    package let products: [Product]
    package let productIndex: [String: Int32]
    package var series: [SlotSeries]
    /// Revenue per device per day (all slots, including units sold from slots the planogram left empty).
    package var deviceDayRevenue: [String: [Int32: Double]]
    /// Units per device per day.
    package var deviceDayUnits: [String: [Int32: Double]]
    /// Baskets: products bought together under one transaction id (two or more distinct products).
    package var baskets: [[Int32]]
    /// Transactions with an id, including single-item ones (the denominator of support).
    package var transactionCount: Int
    /// Transactions (with an id) containing each product.
    package var transactionsWithProduct: [Int32: Int]
    /// Mean days between restock visits, per device.
    package var serviceIntervalDays: [String: Double]
    /// The days each device was restocked, in order (the real intervals between visits).
    package var serviceDays: [String: [Int32]] = [:]
    /// Planogram versions per cabinet, oldest first.
    package let planograms: [CabinetKey: [Planogram]]
    package var firstDay: Int32
    package var lastDay: Int32
    /// The clock the history was read on (`HistoryBuilder`): its days are that clock's local dates.
    package var clock = FleetClock.utc
    /// What each device's sales history is made of (docs/MODELS.md "Three resolutions").
    package var resolutions: [String: HistoryResolution] = [:]
    /// Units a slot sold between two DEX reads (the units of a selection that feeds several slots shared among
    /// them), for the devices whose history has nothing finer; by device.
    package var intervalCounts: [String: [IntervalCount]] = [:]

    package func product(_ id: String) -> Product? { productIndex[id].map { products[Int($0)] } }

    /// A cabinet's layout on a local date: the version in effect at its noon on the history's clock.
    package func planogram(_ key: CabinetKey, onDay day: Int32) -> Planogram? {
        let noon = clock.instant(day: Int64(day), minute: 12 * 60)
        return planograms[key]?.last { $0.effectiveFrom <= noon }
    }
}

/// What a device's sales are known as: vends with their time, counts per day (an export with dates only),
/// or both.
package enum HistoryResolution: String, Sendable, Codable {
    case vends, days, mixed, intervals
}

/// Units one slot sold between two instants (two DEX reads of its machine).
package struct IntervalCount: Sendable, Equatable {
    package let cabinetIndex: Int
    package let slot: SlotCode
    package let fromTs: Int64
    package let toTs: Int64
    package let units: Double

    package init(cabinetIndex: Int, slot: SlotCode, fromTs: Int64, toTs: Int64, units: Double) {
        self.cabinetIndex = cabinetIndex
        self.slot = slot
        self.fromTs = fromTs
        self.toTs = toTs
        self.units = units
    }
}

/// Day number (since 1970) of a timestamp.
@inline(__always) package func dayOf(_ ts: Int64) -> Int32 { Int32(ts >= 0 ? ts / 86400 : (ts - 86399) / 86400) }
/// 0 = Monday … 6 = Sunday.
@inline(__always) package func weekdayOf(_ day: Int32) -> Int { Int((Int64(day) + 3) % 7) }
