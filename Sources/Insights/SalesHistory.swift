import PlanogramDomain

/// The sales history reduced to what the models need: for every slot of every cabinet and every day,
/// which product the planogram put there, how many units sold, for how much, and for what share of the
/// trading day the slot was in stock (stock inferred from restocks and sales). Built once by
/// `HistoryBuilder`; read by the estimators; immutable.
public struct SalesHistory: Sendable {
    /// One slot of one cabinet on one day.
    public struct SlotDay: Sendable {
        public var day: Int32  // days since 1970
        public var product: Int32  // index into `products`, -1 when the slot was empty
        public var units: Float
        public var revenue: Float
        public var inStock: Float  // share of the trading day (06:00–22:00) with stock, 0…1
    }

    public struct SlotSeries: Sendable {
        public let cabinet: CabinetKey
        public let slot: SlotCode
        public var days: [SlotDay]
    }

    public let cabinets: [CabinetKey: Cabinet]
    public let devices: [String: Device]
    public let products: [Product]
    public let productIndex: [String: Int32]
    public var series: [SlotSeries]
    /// Revenue per device per day (all slots, including units sold from slots the planogram left empty).
    public var deviceDayRevenue: [String: [Int32: Double]]
    /// Units per device per day.
    public var deviceDayUnits: [String: [Int32: Double]]
    /// Baskets: products bought together under one transaction id (two or more distinct products).
    public var baskets: [[Int32]]
    /// Transactions with an id, including single-item ones (the denominator of support).
    public var transactionCount: Int
    /// Transactions (with an id) containing each product.
    public var transactionsWithProduct: [Int32: Int]
    /// Mean days between restock visits, per device.
    public var serviceIntervalDays: [String: Double]
    /// The days each device was restocked, in order (the real intervals between visits).
    public var serviceDays: [String: [Int32]] = [:]
    /// Planogram versions per cabinet, oldest first.
    public let planograms: [CabinetKey: [Planogram]]
    public var firstDay: Int32
    public var lastDay: Int32
    /// The clock the history was read on (`HistoryBuilder`): its days are that clock's local dates.
    public var clock = FleetClock.utc

    public func product(_ id: String) -> Product? { productIndex[id].map { products[Int($0)] } }

    /// A cabinet's layout on a local date: the version in effect at its noon on the history's clock.
    public func planogram(_ key: CabinetKey, onDay day: Int32) -> Planogram? {
        let noon = clock.instant(day: Int64(day), minute: 12 * 60)
        return planograms[key]?.last { $0.effectiveFrom <= noon }
    }
}

/// Day number (since 1970) of a timestamp.
@inline(__always) public func dayOf(_ ts: Int64) -> Int32 { Int32(ts >= 0 ? ts / 86400 : (ts - 86399) / 86400) }
/// 0 = Monday … 6 = Sunday.
@inline(__always) public func weekdayOf(_ day: Int32) -> Int { Int((Int64(day) + 3) % 7) }
