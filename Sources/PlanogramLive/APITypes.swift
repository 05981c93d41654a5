import Experiments
import Forecasting
import Foundation
import HTTPAPI
import Jobs
import PlanogramDomain
import Sessions
import Store

// The request and response bodies of the operations routes (docs/MODELS.md), in one place, as Codable structs.
// Wire names are spelled out in each type's CodingKeys so that a name from the spec finds its type here.
// Bodies are written by `APIJSON.encode` (keys sorted); a key the spec
// always shows, even when it has no value, is `@Null` (written as `null` rather than left out).
// The catalogue's bodies are in `CatalogBodies`, the insights' in `InsightBodies`, the live sessions' in
// `Sources/Sessions/SessionBodies` and `Routes/SessionRouteBodies`: every answer and event goes through the same path.

// MARK: - Operations data (docs/MODELS.md)

/// `GET /api/depots`.
struct DepotsResponse: Encodable {
    let depots: [DepotBody]
}

struct DepotBody: Encodable {
    let depotID: String
    let name: String
    let latitude: Double
    let longitude: Double
    let opens: String
    let closes: String

    init(_ d: Depot) {
        depotID = d.id
        name = d.name
        latitude = d.latitude
        longitude = d.longitude
        opens = TimeWindow.text(d.hours.from)
        closes = TimeWindow.text(d.hours.until)
    }

    enum CodingKeys: String, CodingKey {
        case depotID = "depot_id"
        case name
        case latitude
        case longitude
        case opens
        case closes
    }
}

/// `GET /api/vehicles`.
struct VehiclesResponse: Encodable {
    let vehicles: [VehicleBody]
}

struct VehicleBody: Encodable {
    let vehicleID: String
    let depotID: String
    let capacityUnits: Int
    let shiftStart: String
    let shiftEnd: String

    init(_ v: Vehicle) {
        vehicleID = v.id
        depotID = v.depotID
        capacityUnits = v.capacityUnits
        shiftStart = TimeWindow.text(v.shift.from)
        shiftEnd = TimeWindow.text(v.shift.until)
    }

    enum CodingKeys: String, CodingKey {
        case vehicleID = "vehicle_id"
        case depotID = "depot_id"
        case capacityUnits = "capacity_units"
        case shiftStart = "shift_start"
        case shiftEnd = "shift_end"
    }
}

// MARK: - Forecasts and visits (docs/MODELS.md)

/// `GET /api/devices/{id}/forecast`.
struct DeviceForecastResponse: Encodable {
    let deviceID: String
    let asOf: String
    let days: Int
    let nextVisit: String
    let modelVersion: String
    /// What the device's sales history is made of: `vends` (with their times), `days` (an export with dates
    /// only), `mixed`, `intervals` (counts between DEX reads only), or `none` (no sales yet).
    let historyResolution: String
    /// Which model the slots' demand comes from: `count_model`; for a history of days or DEX intervals,
    /// `pooled_slot_levels`; for a machine with under two weeks of its own history, `venue_rates` (its slots at
    /// its venue type's rate, docs/MODELS.md "Sparse slots").
    let demandModel: String
    let intervalLevel: Double
    let slots: [SlotForecastBody]
    let totals: ForecastTotals

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case asOf = "as_of"
        case days
        case nextVisit = "next_visit"
        case modelVersion = "model_version"
        case historyResolution = "history_resolution"
        case demandModel = "demand_model"
        case intervalLevel = "interval_level"
        case slots
        case totals
    }
}

struct SlotForecastBody: Encodable {
    let cabinetIndex: Int
    let slot: String
    let productID: String
    let capacity: Int
    let unitsPerDay: Double
    let expectedUnits: Double
    /// The 90 % predictive interval of the units demanded, [lower, upper].
    let interval: [Int]
    @Null var stockNow: Int?
    let stockBasis: String
    @Null var emptyAt: String?
    @Null var stockoutProbability: Double?
    let expiringUnits: Int
    let expiredUnits: Int
    @Null var expiresAt: String?

    init(_ o: SlotOutlook) {
        cabinetIndex = o.cabinetIndex
        slot = o.slot.description
        productID = o.productID
        capacity = o.capacity
        unitsPerDay = Rounding.round2(o.unitsPerDay)
        expectedUnits = Rounding.round2(o.expectedUnits)
        interval = [o.interval.lower, o.interval.upper]
        stockNow = o.stockNow
        stockBasis = o.stockBasis.rawValue
        emptyAt = o.emptyAt.map { FieldParse.iso8601($0) }
        stockoutProbability = o.stockoutProbability.map { ($0 * 1000).rounded() / 1000 }
        expiringUnits = o.expiringUnits
        expiredUnits = o.expiredUnits
        expiresAt = o.expiresAt.map { FieldParse.iso8601($0) }
    }

    enum CodingKeys: String, CodingKey {
        case cabinetIndex = "cabinet_index"
        case slot
        case productID = "product_id"
        case capacity
        case unitsPerDay = "units_per_day"
        case expectedUnits = "expected_units"
        case interval
        case stockNow = "stock_now"
        case stockBasis = "stock_basis"
        case emptyAt = "empty_at"
        case stockoutProbability = "stockout_probability"
        case expiringUnits = "expiring_units"
        case expiredUnits = "expired_units"
        case expiresAt = "expires_at"
    }
}

struct ForecastTotals: Encodable {
    let expectedUnits: Double
    let expectedRevenue: Double
    let stockNow: Int
    let slotsAtRisk: Int
    let expiringUnits: Int
    let expiredUnits: Int

    enum CodingKeys: String, CodingKey {
        case expectedUnits = "expected_units"
        case expectedRevenue = "expected_revenue"
        case stockNow = "stock_now"
        case slotsAtRisk = "slots_at_risk"
        case expiringUnits = "expiring_units"
        case expiredUnits = "expired_units"
    }
}

/// `POST /api/visits`. Every field is optional here so that a missing one gets the route's own message;
/// a field of the wrong type is refused by `JSONRequest.decode` with its path.
struct VisitRequest: Decodable {
    var deviceID: String?
    var at: String?
    var lines: [VisitLineRequest]?
    var visitID: String?

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case at
        case lines
        case visitID = "visit_id"
    }
}

struct VisitLineRequest: Decodable {
    var cabinetIndex: Int?
    var slot: String?
    var unitsAdded: Int?
    var unitsPulled: Int?

    enum CodingKeys: String, CodingKey {
        case cabinetIndex = "cabinet_index"
        case slot
        case unitsAdded = "units_added"
        case unitsPulled = "units_pulled"
    }
}

/// The answer to `POST /api/visits`: 201 when recorded, 200 with `recorded: false` for a repeat.
struct VisitRecordedResponse: Encodable {
    let visitID: String
    let recorded: Bool
    let lines: Int

    enum CodingKeys: String, CodingKey {
        case visitID = "visit_id"
        case recorded
        case lines
    }
}

// MARK: - Service plan and pick lists (docs/MODELS.md)

/// `GET /api/service-plan`.
struct ServicePlanResponse: Encodable {
    let from: String
    let days: Int
    let asOf: String
    /// The price of a visit the plan was made at: the setting, or the one the budget's search found.
    let visitCost: Double
    /// With `visits_per_day` or `visits_per_week`: the budget, whether the plan keeps to it, and the search.
    let budget: Budget?
    let maxIntervalDays: Int
    let emptySlotHourCost: Double
    let expiryVisitUnits: Double
    /// The fleet's time zone (`PLANOGRAM_TIMEZONE`): `from` and each visit's `date` are its local dates.
    let timeZone: String
    let visits: [PlannedVisitBody]

    enum CodingKeys: String, CodingKey {
        case from
        case days
        case asOf = "as_of"
        case visitCost = "visit_cost"
        case budget
        case maxIntervalDays = "max_interval_days"
        case emptySlotHourCost = "empty_slot_hour_cost"
        case expiryVisitUnits = "expiry_visit_units"
        case timeZone = "time_zone"
        case visits
    }
}

extension ServicePlanResponse {
    struct Budget: Encodable {
        var visitsPerDay: Int?
        var visitsPerWeek: Int?
        var met: Bool
        var visitCostFound: Double
        var plansTried: Int
        /// The most visits on one day of the plan (the budget is an average: see docs/MODELS.md).
        var busiestDay: Int
        /// False when the budget is kept only without visits for expiry alone.
        var expiryVisits: Bool

        init(_ b: VisitBudget, outcome o: VisitBudget.Outcome) {
            switch b {
            case .perDay(let n): visitsPerDay = n
            case .perWeek(let n): visitsPerWeek = n
            }
            met = o.met
            visitCostFound = (o.visitCost * 100).rounded() / 100
            plansTried = o.evaluations
            busiestDay = VisitBudget.busiestDay(o.visits)
            expiryVisits = o.expiryVisits
        }

        enum CodingKeys: String, CodingKey {
            case visitsPerDay = "visits_per_day"
            case visitsPerWeek = "visits_per_week"
            case met
            case visitCostFound = "visit_cost_found"
            case plansTried = "plans_tried"
            case busiestDay = "busiest_day"
            case expiryVisits = "expiry_visits"
        }
    }
}

struct PlannedVisitBody: Encodable {
    let date: String
    let deviceID: String
    let at: String
    let reasons: [String]
    let expectedLostRevenueAvoided: Double
    let expectedSpoiledUnitsAvoided: Double
    let unitsToLoad: Int

    init(_ v: PlannedVisit) {
        date = FleetClock.dateText(v.day)
        deviceID = v.deviceID
        at = FieldParse.iso8601(v.at)
        reasons = v.reasons
        expectedLostRevenueAvoided = Rounding.round2(v.expectedLostRevenueAvoided)
        expectedSpoiledUnitsAvoided = Rounding.round2(v.expectedSpoiledUnitsAvoided)
        unitsToLoad = v.picks.reduce(0) { $0 + $1.load }
    }

    enum CodingKeys: String, CodingKey {
        case date
        case deviceID = "device_id"
        case at
        case reasons
        case expectedLostRevenueAvoided = "expected_lost_revenue_avoided"
        case expectedSpoiledUnitsAvoided = "expected_spoiled_units_avoided"
        case unitsToLoad = "units_to_load"
    }
}

/// `GET /api/pick-lists`.
struct PickListsResponse: Encodable {
    let date: String
    let asOf: String
    let serviceLevel: Double
    let perishableServiceLevel: Double
    /// `PLANOGRAM_PICK_RULE`: which load the lines use where a par is set (`model`, `par`, `max`).
    let pickRule: String
    /// The fleet's time zone: `date` is its local date (the instants stay UTC).
    let timeZone: String
    let visits: [PickVisitBody]
    let totals: [PickTotalBody]

    enum CodingKeys: String, CodingKey {
        case date
        case asOf = "as_of"
        case serviceLevel = "service_level"
        case perishableServiceLevel = "perishable_service_level"
        case pickRule = "pick_rule"
        case timeZone = "time_zone"
        case visits
        case totals
    }
}

struct PickVisitBody: Encodable {
    let deviceID: String
    let at: String
    let reasons: [String]
    let lines: [PickLineBody]

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case at
        case reasons
        case lines
    }
}

struct PickLineBody: Codable {
    let cabinetIndex: Int
    let slot: String
    let productID: String
    let productName: String
    let load: Int
    let pull: Int
    let expectedStock: Int
    /// `inferred`, or `unknown` (no fill on record: `expected_stock` is the capacity assumed, the driver counts);
    /// absent in plans stored before it was recorded.
    var stockBasis: String?
    /// What the model asks to load, what the par asks (absent: no par), and the rule `load` follows
    /// (`model` or `par` or `max`; docs/MODELS.md "Par levels"). Absent in plans stored before they were recorded.
    var modelLoad: Int?
    var parLoad: Int?
    var loadRule: String?

    enum CodingKeys: String, CodingKey {
        case cabinetIndex = "cabinet_index"
        case slot
        case productID = "product_id"
        case productName = "product_name"
        case load
        case pull
        case expectedStock = "expected_stock"
        case stockBasis = "stock_basis"
        case modelLoad = "model_load"
        case parLoad = "par_load"
        case loadRule = "load_rule"
    }

    init(
        cabinetIndex: Int,
        slot: String,
        productID: String,
        productName: String,
        load: Int,
        pull: Int,
        expectedStock: Int
    ) {
        self.cabinetIndex = cabinetIndex
        self.slot = slot
        self.productID = productID
        self.productName = productName
        self.load = load
        self.pull = pull
        self.expectedStock = expectedStock
    }

    /// A planned pick line with its product's name from the catalogue.
    init(_ l: PickLine, products: [String: Product]) {
        self.init(
            cabinetIndex: l.key.cabinet.index,
            slot: l.key.slot.description,
            productID: l.productID,
            productName: products[l.productID]?.name ?? l.productID,
            load: l.load,
            pull: l.pull,
            expectedStock: l.expectedStock
        )
        stockBasis = l.stockBasis.rawValue
        modelLoad = l.modelLoad
        parLoad = l.parLoad
        loadRule = l.rule.rawValue
    }
}

struct PickTotalBody: Encodable {
    let productID: String
    let productName: String
    let units: Int
    let cases: Int
    let caseSize: Int

    init(_ t: (productID: String, units: Int, cases: Int), products: [String: Product]) {
        productID = t.productID
        productName = products[t.productID]?.name ?? t.productID
        units = t.units
        cases = t.cases
        caseSize = max(1, products[t.productID]?.caseSize ?? 1)
    }

    enum CodingKeys: String, CodingKey {
        case productID = "product_id"
        case productName = "product_name"
        case units
        case cases
        case caseSize = "case_size"
    }
}

// MARK: - Routes (docs/API.md)

/// `POST /api/routes/plan`.
struct RoutePlanRequest: Decodable {
    var date: String
    var depotID: String?
    var vehicleIDs: [String]?
    var deviceIDs: [String]?
    var timeLimitSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case date
        case depotID = "depot_id"
        case vehicleIDs = "vehicle_ids"
        case deviceIDs = "device_ids"
        case timeLimitSeconds = "time_limit_seconds"
    }
}

/// A day's routes: the route-planning job's result, what the store keeps, and (filtered to a driver's
/// devices or one vehicle) `GET /api/routes`. Times are ISO 8601; money in the fleet's currency.
struct DayRoutesBody: Codable {
    var date: String
    var plannedAt: String
    var jobID: String
    var routes: [PlannedRouteBody]
    var unassigned: [UnassignedVisitBody]
    /// What driving the routes costs (distance and the trucks' hours).
    var cost: Double
    /// The service plan's value of the visits routed, and of those left out.
    var valueServed: Double
    var valueUnassigned: Double
    var depots: [RouteDepotBody]
    var solver: RouteSolverRunBody
    /// The fleet's time zone the day was planned on (`date` is its local date, shifts and access hours its
    /// wall times); absent in plans stored before it was recorded, which were planned in UTC.
    var timeZone: String?

    enum CodingKeys: String, CodingKey {
        case date
        case plannedAt = "planned_at"
        case jobID = "job_id"
        case routes
        case unassigned
        case cost
        case valueServed = "value_served"
        case valueUnassigned = "value_unassigned"
        case depots
        case solver
        case timeZone = "time_zone"
    }
}

struct PlannedRouteBody: Codable {
    var vehicleID: String
    var depotID: String
    var leave: String
    var back: String
    var stops: [RouteStopBody]
    var distanceKm: Double
    var durationMinutes: Double
    var drivingMinutes: Double
    var loadUnits: Int
    var capacityUnits: Int
    var cost: Double

    enum CodingKeys: String, CodingKey {
        case vehicleID = "vehicle_id"
        case depotID = "depot_id"
        case leave
        case back
        case stops
        case distanceKm = "distance_km"
        case durationMinutes = "duration_minutes"
        case drivingMinutes = "driving_minutes"
        case loadUnits = "load_units"
        case capacityUnits = "capacity_units"
        case cost
    }
}

struct RouteStopBody: Codable {
    var deviceID: String
    var name: String
    var latitude: Double
    var longitude: Double
    var arrive: String
    var depart: String
    var loadUnits: Int
    var value: Double
    var reasons: [String]
    var pick: [PickLineBody]

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case name
        case latitude
        case longitude
        case arrive
        case depart
        case loadUnits = "load_units"
        case value
        case reasons
        case pick
    }
}

/// A visit the day could not take: `reason` is a code (`no_coordinates`, `over_capacity`,
/// `no_shift_covers_window`, `out_of_reach`, `day_full`), `message` says it for a person.
struct UnassignedVisitBody: Codable {
    var deviceID: String
    var reason: String
    var message: String
    var value: Double
    /// Where the device is, for the map (absent when it has no usable coordinates).
    var latitude: Double?
    var longitude: Double?

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case reason
        case message
        case value
        case latitude
        case longitude
    }
}

struct RouteDepotBody: Codable {
    var depotID: String
    var name: String
    var latitude: Double
    var longitude: Double

    enum CodingKeys: String, CodingKey {
        case depotID = "depot_id"
        case name
        case latitude
        case longitude
    }
}

struct RouteSolverRunBody: Codable {
    var name: String
    var seconds: Double
    var timeLimitSeconds: Double
    var feasible: Bool

    enum CodingKeys: String, CodingKey {
        case name
        case seconds
        case timeLimitSeconds = "time_limit_seconds"
        case feasible
    }
}

// MARK: - Recommendations (docs/MODELS.md)

/// `GET /api/devices/{id}/recommendations`.
struct RecommendationsResponse: Encodable {
    let deviceID: String
    let venueType: String
    let recommendations: [RecommendationBody]

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case venueType = "venue_type"
        case recommendations
    }
}

struct RecommendationBody: Encodable {
    let productID: String
    let name: String
    let category: String
    let expectedUnitsPerDay: Double
    let expectedRevenuePerDay: Double
    let basis: String
    let newToDevice: Bool

    enum CodingKeys: String, CodingKey {
        case productID = "product_id"
        case name
        case category
        case expectedUnitsPerDay = "expected_units_per_day"
        case expectedRevenuePerDay = "expected_revenue_per_day"
        case basis
        case newToDevice = "new_to_device"
    }
}

// MARK: - Experiments and fleet KPIs (docs/MODELS.md)

/// `POST /api/experiments`. `treatment` is `{cabinets: [{device_id, cabinet_index, planogram}]}` or
/// `"optimizer"`; devices are `device_ids` or every device of `venue_type`.
struct ExperimentRequest: Decodable {
    var name: String
    var hypothesis: String?
    var deviceIDs: [String]?
    var venueType: String?
    var treatment: JSONValue
    var metric: String
    var start: String
    var minDays: Int?
    var seed: UInt64?

    enum CodingKeys: String, CodingKey {
        case name
        case hypothesis
        case deviceIDs = "device_ids"
        case venueType = "venue_type"
        case treatment
        case metric
        case start
        case minDays = "min_days"
        case seed
    }
}

/// What the store keeps of an experiment beyond its columns.
struct ExperimentBody: Codable {
    var strata: [[String]]
    /// Each device's mean daily metric over the 28 days before the start.
    var pre: [String: Double]
    var preDays: Int
    /// The treatment's cabinets: device → cabinet index → published version.
    var treatment: [ExperimentTreatmentCabinet]

    enum CodingKeys: String, CodingKey {
        case strata
        case pre
        case preDays = "pre_days"
        case treatment
    }
}

struct ExperimentTreatmentCabinet: Codable {
    var deviceID: String
    var cabinetIndex: Int
    /// The version published to a treatment device at the creation (nil for a control device's cabinet).
    var publishedVersion: Int?

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case cabinetIndex = "cabinet_index"
        case publishedVersion = "published_version"
    }
}

/// 201 to `POST /api/experiments`.
struct ExperimentCreatedResponse: Encodable {
    let experimentID: String
    let assignment: [String: String]
    let seed: String
    let strata: [[String]]
    let published: [ExperimentTreatmentCabinet]

    enum CodingKeys: String, CodingKey {
        case experimentID = "experiment_id"
        case assignment
        case seed
        case strata
        case published
    }
}

/// An experiment with its analysis (`GET /api/experiments/{id}`; the list carries the same without series).
struct ExperimentResponse: Encodable {
    let experimentID: String
    let name: String
    let hypothesis: String
    let metric: String
    let status: String
    let start: String
    let minDays: Int
    let days: Int
    let seed: String
    let assignment: [String: String]
    let strata: [[String]]
    let createdBy: String
    let createdAt: String
    @Null var stoppedAt: String?
    @Null var stopReason: String?
    @Null var estimate: ExperimentEstimate?
    let decision: String
    let decisionReason: String
    /// Per arm, the mean metric per device per day, from the pre-period to the last day with data.
    var series: ExperimentSeries?
    /// The estimate as it was after each day (from the 7th).
    var estimates: [DailyEstimate]?

    enum CodingKeys: String, CodingKey {
        case experimentID = "experiment_id"
        case name
        case hypothesis
        case metric
        case status
        case start
        case minDays = "min_days"
        case days
        case seed
        case assignment
        case strata
        case createdBy = "created_by"
        case createdAt = "created_at"
        case stoppedAt = "stopped_at"
        case stopReason = "stop_reason"
        case estimate
        case decision
        case decisionReason = "decision_reason"
        case series
        case estimates
    }
}

struct ExperimentSeries: Encodable {
    let dates: [String]
    let control: [Double]
    let treatment: [Double]
    /// Index into `dates` of the start.
    let startIndex: Int

    enum CodingKeys: String, CodingKey {
        case dates
        case control
        case treatment
        case startIndex = "start_index"
    }
}

struct DailyEstimate: Encodable {
    let date: String
    let effect: Double
    let confidenceInterval: [Double]
    let alwaysValidPValue: Double

    enum CodingKeys: String, CodingKey {
        case date
        case effect
        case confidenceInterval = "confidence_interval"
        case alwaysValidPValue = "always_valid_p_value"
    }
}

struct ExperimentListResponse: Encodable {
    let experiments: [ExperimentResponse]
}

/// `GET /api/fleet/kpis`.
struct FleetKPIsResponse: Encodable {
    let from: String
    let to: String
    let baselineFrom: String
    let baselineTo: String
    let devices: Int
    let kpis: [FleetKPI]
    /// Revenue per device per day, day by day: the fleet and each venue type.
    let series: FleetKPISeries

    enum CodingKeys: String, CodingKey {
        case from
        case to
        case baselineFrom = "baseline_from"
        case baselineTo = "baseline_to"
        case devices
        case kpis
        case series
    }
}

struct FleetKPI: Encodable {
    let name: String
    let unit: String
    let value: Double
    let baseline: Double
    @Null var changePercentage: Double?
    /// The plan's target for the change (e.g. +20 for revenue); nil where the plan sets none.
    @Null var targetChangePercentage: Double?
    let definition: String

    enum CodingKeys: String, CodingKey {
        case name
        case unit
        case value
        case baseline
        case changePercentage = "change_percentage"
        case targetChangePercentage = "target_change_percentage"
        case definition
    }
}

struct FleetKPISeries: Encodable {
    let dates: [String]
    let fleet: [Double]
    let byVenueType: [String: [Double]]

    enum CodingKeys: String, CodingKey {
        case dates
        case fleet
        case byVenueType = "by_venue_type"
    }
}

// MARK: - Jobs (docs/API.md)

/// `POST /api/fleet/plan` (the body may be empty: 7 days).
struct FleetPlanRequest: Decodable {
    var days: Int?
    /// A budget of visits, as on `GET /api/service-plan` (docs/MODELS.md, "The visit budget").
    var visitsPerDay: Int?
    var visitsPerWeek: Int?

    enum CodingKeys: String, CodingKey {
        case days
        case visitsPerDay = "visits_per_day"
        case visitsPerWeek = "visits_per_week"
    }
}

/// 202 to a job's submission.
struct JobAcceptedResponse: Encodable {
    let jobID: String
    let eventsURL: String

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case eventsURL = "events_url"
    }
}

/// 202 to `DELETE /api/jobs/{id}`.
struct JobCancellingResponse: Encodable {
    let jobID: String
    let cancelling: Bool

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case cancelling
    }
}

/// The result of a `fleet_plan` job.
struct FleetPlanResult: Encodable, Sendable {
    let asOf: String
    let days: Int
    let devices: Int
    let slotsAtRisk: Int
    let expiringUnits: Int
    let expectedRevenue: Double
    let visits: Int
    /// The price of a visit the plan was made at, and the budget's outcome when one was given.
    var visitCost: Double
    var budget: ServicePlanResponse.Budget?
    let byDay: [FleetPlanDay]

    enum CodingKeys: String, CodingKey {
        case visitCost = "visit_cost"
        case budget
        case asOf = "as_of"
        case days
        case devices
        case slotsAtRisk = "slots_at_risk"
        case expiringUnits = "expiring_units"
        case expectedRevenue = "expected_revenue"
        case visits
        case byDay = "by_day"
    }
}

struct FleetPlanDay: Encodable, Sendable {
    let date: String
    let visits: Int
    let unitsToLoad: Int
    let cases: Int

    enum CodingKeys: String, CodingKey {
        case date
        case visits
        case unitsToLoad = "units_to_load"
        case cases
    }
}

// MARK: - Building blocks
