import ArgumentParser
import Cluster
import Dispatch
import Experiments
import FleetGenerator
import Forecasting
import Foundation
import Insights
import Logging
import Optimizer
import PlanogramDomain
import PlanogramLive
import Routing
import Store

@main
struct PlanogramLiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "planogram-live",
        abstract: "Realtime collaboration server for vending-machine planograms.",
        subcommands: [
            Serve.self, Import.self, ImportDEX.self, Token.self, OpenAPI.self, Fixtures.self, Backtest.self,
            PlanFleet.self,
            SolveVRPTW.self, CompareRoutes.self, CalibrateExperiments.self, OptimizeBench.self, OptimizeFleet.self,
        ]
    )
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server.",
        discussion: """
            Settings come from flags, then PLANOGRAM_* / ANTHROPIC_* environment variables, then defaults.
            See README.md and docs/OPERATIONS.md for the full list.
            """
    )

    @Option(help: "Address to listen on (PLANOGRAM_HOST).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free one (PLANOGRAM_PORT).") var port: Int?
    @Option(help: "SQLite database path (PLANOGRAM_DB); default ./data/planogram.db.") var db: String?
    @Option(help: "Directory of the web front end (PLANOGRAM_WEB); default ./Web.") var web: String?
    @Option(help: "Fleet loaded into an empty database (PLANOGRAM_FIXTURES); default ./Fixtures/demo.") var fixtures:
        String?
    @Flag(help: "Demo mode: makes a token secret if none is set and prints a token per role.") var demo = false
    @Option(help: "Largest request body in bytes (PLANOGRAM_MAX_BODY_BYTES).") var maxBodyBytes: Int?
    @Option(help: "Most open connections (PLANOGRAM_MAX_CONNECTIONS).") var maxConnections: Int?
    @Option(help: "Bytes an SSE subscriber may lag before it is cut off (PLANOGRAM_SUBSCRIBER_BUFFER_BYTES).")
    var subscriberBufferBytes: Int?
    @Option(help: "Drag frame interval in ms (PLANOGRAM_FRAME_INTERVAL_MS).") var frameIntervalMs: Int?
    @Option(help: "Checkpoint a session every N ops (PLANOGRAM_CHECKPOINT_OPS).") var checkpointOps: Int?
    @Option(help: "Checkpoint a session every T seconds (PLANOGRAM_CHECKPOINT_SECONDS).") var checkpointSeconds: Double?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (PLANOGRAM_LOG_LEVEL).")
    var logLevel: String?

    func run() throws {
        var config = try AppConfiguration.fromEnvironment()
        if let host { config.host = host }
        if let port { config.port = port }
        if let db { config.databasePath = db }
        if let web { config.webRoot = web }
        if let fixtures { config.fixturesDirectory = fixtures }
        config.fitInsightsInBackground = true
        if demo { config.demo = true }
        if let maxBodyBytes { config.maxBodyBytes = maxBodyBytes }
        if let maxConnections { config.maxConnections = maxConnections }
        if let subscriberBufferBytes { config.subscriberBufferBytes = subscriberBufferBytes }
        if let frameIntervalMs { config.frameIntervalMilliseconds = frameIntervalMs }
        if let checkpointOps { config.checkpointEveryOps = checkpointOps }
        if let checkpointSeconds { config.checkpointEverySeconds = checkpointSeconds }
        if let logLevel { config.logLevel = logLevel }
        do { try config.validate() } catch { throw ValidationError("\(error)") }

        StructuredLogHandler.bootstrap(level: config.logLevel)
        let logger = Logger(label: "planogram-live")
        logger.info("configuration", metadata: config.described.mapValues { .string($0) })
        let server = PlanogramServer(configuration: config, logger: logger)
        server.installSignalHandlers()
        do { try server.start() } catch {
            // A database or bus that cannot be reached exits with 69 (EX_UNAVAILABLE): worth a restart once it is back.
            let unavailable =
                (error as? PostgresError).map { $0.sqlState.hasPrefix("08") } ?? (error as? RedisError)?.connection
                ?? false
            logger.critical("cannot start", metadata: ["error": "\(error)", "unavailable": "\(unavailable)"])
            throw ExitCode(unavailable ? 69 : 1)
        }
        if config.demo {
            var lines = "demo tokens (valid 12 h):\n"
            for (role, token) in server.demoTokens() {
                lines += "  \(role.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(token)\n"
            }
            FileHandle.standardError.write(Data(lines.utf8))
        }
        dispatchMain()
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate and import the CSV files of a directory (docs/API.md).",
        discussion: """
            Reads products.csv, devices.csv, cabinets.csv, planograms.csv, sales.csv and services.csv (any subset).
            Everything is checked before anything is written; on any problem the first 100 are listed with
            file, line and column, nothing is written, and the exit status is 2. Importing the same files
            again changes nothing.
            """
    )

    @Option(help: "SQLite database path (created if missing).") var db: String
    @Argument(help: "Directory holding the CSV files.") var dir: String

    func run() throws {
        let store = try Store(path: db)
        var last = Date.distantPast
        // The daily totals in the fleet's local dates (PLANOGRAM_TIMEZONE), as the server keeps them.
        let importer = Importer(store: store, clock: try AppConfiguration.fromEnvironment().clock) { p in
            let now = Date()
            guard p.bytesDone == p.bytesTotal || now.timeIntervalSince(last) >= 0.5 else { return }
            last = now
            let pct = p.bytesTotal > 0 ? Double(p.bytesDone) / Double(p.bytesTotal) * 100 : 100
            FileHandle.standardError.write(
                Data(String(format: "%@ %@: %d rows (%.0f%%)\n", p.phase, p.file, p.rows, pct).utf8)
            )
        }
        do {
            let report = try importer.importDirectory(dir)
            var out =
                "imported \(report.files.joined(separator: ", ")) in \(String(format: "%.2f", report.seconds)) s\n"
            for f in report.files {
                out += "  \(f): \(report.rowsRead[f] ?? 0) rows read, \(report.rowsWritten[f] ?? 0) written\n"
            }
            print(out, terminator: "")
        } catch let rejected as ImportRejected {
            FileHandle.standardError.write(Data((rejected.description + "\n").utf8))
            throw ExitCode(2)
        }
    }
}

struct OpenAPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract:
            "Print the API's contract: the OpenAPI 3.1 document GET /api/openapi.json serves, or the role x route matrix."
    )

    @Flag(help: "Print the role x route matrix of docs/API.md (Markdown) instead.") var matrix = false
    @Flag(help: "Include the demo mode's routes.") var demo = false

    func run() throws {
        if matrix {
            print(RoleMatrix.markdown())
        } else {
            print(String(decoding: try OpenAPIDocument.encoded(demo: demo), as: UTF8.self))
        }
    }
}

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a signed bearer token (JWT HS256) for the secret in PLANOGRAM_SECRET or --secret."
    )

    @Option(help: "merchandiser, manager, driver or admin.") var role: String
    @Option(help: "Subject (user id).") var sub: String
    @Option(help: "Display name; defaults to the subject.") var name: String?
    @Option(help: "Lifetime in seconds.") var ttl: Int = 3600
    @Option(help: "Comma-separated device ids the holder may touch; all when absent.") var devices: String?
    @Option(help: "A driver's truck: their routes and pick lists are that truck's (the vehicle claim).") var vehicle:
        String?
    @Option(help: "Token secret (default: PLANOGRAM_SECRET).") var secret: String?

    func run() throws {
        guard let r = Role(rawValue: role) else {
            throw ValidationError("--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard ttl > 0 else { throw ValidationError("--ttl must be positive") }
        guard let key = secret ?? ProcessInfo.processInfo.environment["PLANOGRAM_SECRET"], !key.isEmpty else {
            throw ValidationError("set PLANOGRAM_SECRET or pass --secret")
        }
        guard key.utf8.count >= 16 else {
            throw ValidationError("the secret must be at least 16 bytes (32 random bytes recommended)")
        }
        let list = devices.map {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        print(
            TokenAuthority(secret: key).mint(
                subject: sub,
                name: name ?? sub,
                role: r,
                ttlSeconds: ttl,
                devices: list,
                vehicle: vehicle
            )
        )
    }
}

struct Fixtures: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a generated fleet in the CSV formats of docs/API.md (deterministic for a seed).",
        discussion: "The generating model is documented in Fixtures/README.md; model.json records its parameters."
    )

    @Option(help: "Output directory.") var out: String
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(help: "Number of devices.") var devices: Int = 12
    @Option(help: "Days of history.") var days: Int = 365
    @Option(help: "Eye-level row as a share of the height (0 top … 1 bottom).") var eyeLevel: Double = 0.3
    @Option(help: "Strength of the row effect.") var rowStrength: Double = 1.6
    @Option(help: "Strength of the column effect.") var columnStrength: Double = 0.6
    @Option(help: "Overall demand scale.") var demandScale: Double = 1.0
    @Option(help: "Probability of a companion purchase.") var basketRate: Double = 0.12
    @Option(
        help:
            "A metro fleet around this city (Berlin, Hamburg, Munich, Cologne, Leipzig): two depots, daily to weekly service, 3–7-day perishables."
    ) var metro: String?
    @Option(help: "Restock every device every N days (default: by venue type).") var serviceEvery: Int?
    @Option(help: "Multiply every slot's capacity (below 1: slots sell out between visits).") var capacityScale: Double?
    @Option(
        help:
            "The fleet's time zone (IANA name): days, sales hours and visit times are local (default: UTC). Serve it with the same PLANOGRAM_TIMEZONE."
    ) var timeZone: String?

    func run() throws {
        guard devices >= 1, devices <= 5000 else { throw ValidationError("--devices must be 1…5000") }
        guard days >= 1, days <= 3650 else { throw ValidationError("--days must be 1…3650") }
        guard (0...1).contains(eyeLevel), rowStrength >= 0, columnStrength >= 0, demandScale > 0,
            (0...1).contains(basketRate)
        else {
            throw ValidationError("model parameters out of range")
        }
        if let serviceEvery, !(1...28).contains(serviceEvery) { throw ValidationError("--service-every must be 1…28") }
        if let capacityScale, !(capacityScale > 0 && capacityScale <= 10) {
            throw ValidationError("--capacity-scale must be in (0, 10]")
        }
        var model = FleetModel()
        model.seed = seed
        model.devices = devices
        model.days = days
        model.eyeLevel = eyeLevel
        model.rowStrength = rowStrength
        model.columnStrength = columnStrength
        model.demandScale = demandScale
        model.basketRate = basketRate
        model.metro = metro
        model.serviceEveryDays = serviceEvery
        model.capacityScale = capacityScale
        if let timeZone, FleetClock(identifier: timeZone) == nil {
            throw ValidationError("--time-zone: no zone named \(timeZone)")
        }
        model.timeZone = timeZone
        let gen = FleetGenerator(model: model) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        let s = try gen.write(to: out)
        print(
            "wrote \(out): \(s.products) products, \(s.devices) devices, \(s.cabinets) cabinets, \(s.planogramVersions) planogram versions, \(s.sales) sales, \(s.services) services (\(s.bytes / 1024) KiB)"
        )
    }
}

struct Backtest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Backtest the revenue model: fit before each planogram change, predict the weeks after, compare.",
        discussion: "Reports MAPE per device-week, the interval's coverage, and a naive trailing-4-week baseline."
    )

    @Option(help: "Database to read (already imported).") var db: String?
    @Option(help: "Or: a fixtures directory to import into a temporary database first.") var fixtures: String?
    @Option(help: "Weeks predicted after each change.") var weeks: Int = 4
    @Flag(help: "Print one line per device-week (with --demand: per slot interval; with --plan: per device).")
    var verbose = false
    @Flag(
        help:
            "Backtest the demand model instead (docs/MODELS.md): units per slot over the real intervals between visits, WAPE against the vends/day × days rule, and the calibration of sell-out probabilities."
    ) var demand = false
    @Option(help: "With --demand: rolling origins, four weeks apart, ending at the last day.") var origins: Int = 4
    @Flag(
        help:
            "On a generated fleet (--fixtures holding the generator's model.json), draw the fleet again to learn every slot's true daily demand. With --demand: score the forecast that knew it beside the model's (the noise no forecast removes). With --plan: both policies face that demand instead of the rates of a model fitted on all the history."
    ) var generatorTruth = false
    @Option(
        help:
            "Read the history's days and trading hours (with --plan, plan the visits too) on this zone's clock (IANA name; default UTC), as a server with that PLANOGRAM_TIMEZONE does."
    ) var timeZone: String?
    @Flag(
        help:
            "Replay the service plan over the last --replay-days of the history against the visits that happened (stockout-hours, visits, spoilage)."
    ) var plan = false
    @Option(help: "With --plan: days replayed.") var replayDays: Int = 28
    @Option(help: "With --plan: the cost of a visit.") var visitCost: Double = 25
    @Option(help: "With --plan: days the visit rule looks ahead (0: the one-day renewal rule).") var lookAhead: Int = 7
    @Option(help: "With --plan: the price of an hour a slot stands empty, beside the margin lost.")
    var emptySlotHourCost: Double = 0
    @Option(help: "With --plan: units expected to stand past their date by the next day that call for a visit today.")
    var expiryVisitUnits: Double = 0.5
    @Option(help: "With --plan: the service level a pick list loads shelf-stable slots to (PLANOGRAM_SERVICE_LEVEL).")
    var serviceLevel: Double = 0.95
    @Option(
        help:
            "With --plan: the quantile of what sells before its date a pick list loads perishable slots to (PLANOGRAM_PERISHABLE_SERVICE_LEVEL)."
    ) var perishableLevel: Double = 0.5
    @Flag(
        help:
            "With --plan: machines lock units past their date (the slot stands empty for customers until a visit pulls them) instead of selling them as spoiled."
    ) var lockedExpired = false
    @Flag(
        help:
            "With --plan: give the planner the demand rates of the period itself (the truth of the replay) instead of a forecast fitted before it, to see what forecast error costs."
    ) var trueRates = false
    @Flag(
        help:
            "Revenue backtest of the first forecaster (Poisson at each device's mean interval) instead of the one predict/revenue serves, which rides on the count model."
    ) var part1 = false
    @Flag(
        help:
            "Revenue backtest with the count model's per-device trend in the forecast too (left out of predict/revenue: BENCHMARKS §8)."
    ) var countsTrend = false
    @Flag(
        help:
            "Leave one device out: venue-level demand against the fleet's best-seller list (recall of the ten top sellers, WAPE)."
    ) var venue = false

    func run() throws {
        guard db != nil || fixtures != nil else { throw ValidationError("give --db or --fixtures") }
        guard (1...26).contains(origins) else { throw ValidationError("--origins must be 1…26") }
        guard !(part1 && countsTrend) else {
            throw ValidationError("--counts-trend is a variant of the count-driven forecaster; leave out --part1")
        }
        let (path, cleanup) = try database(db: db, fixtures: fixtures, label: "backtest")
        defer { cleanup() }
        let store = try Store(path: path)
        guard let clock = timeZone.map({ FleetClock(identifier: $0) }) ?? .utc else {
            throw ValidationError("--time-zone: no zone named \(timeZone ?? "")")
        }
        let history = try InsightsEngine.loadHistory(store, clock: clock)
        if venue {
            let r = VenueBacktest.run(history)
            print(
                String(
                    format:
                        "leave-one-device-out over %d devices: recall of the top 10 sellers %.1f %% (fleet best-seller list %.1f %%), WAPE of units per product %.1f %% (fleet best-seller list %.1f %%)",
                    r.devices,
                    r.recallAt10 * 100,
                    r.baselineRecallAt10 * 100,
                    r.wape * 100,
                    r.baselineWAPE * 100
                )
            )
            return
        }
        if plan {
            guard (7...120).contains(replayDays) else { throw ValidationError("--replay-days must be 7…120") }
            let first = Int64(history.lastDay) + 1 - Int64(replayDays)
            FileHandle.standardError.write(
                Data("backtest --plan: fitting the truth (all data) and the forecast (before day \(first))\n".utf8)
            )
            let truth = Insights.DemandModel.fit(history)
            let forecast = trueRates ? truth : Insights.DemandModel.fit(history, before: Int32(first))
            var trueDemand: ((SlotKey, Int64) -> (productID: String, unitsPerDay: Double)?)?
            if generatorTruth {
                let rates = try GeneratorTruth.rates(fixtures: fixtures)
                trueDemand = { key, day in rates[key]?[Int32(day)] }
            }
            var fallback = 0
            var slotDays = 0
            let devices = PlanReplay.devices(
                history: history,
                truth: truth,
                truthCounts: DemandCounts.fit(model: truth),
                forecast: forecast,
                forecastCounts: DemandCounts.fit(model: forecast),
                firstDay: first,
                days: replayDays,
                clock: clock,
                trueDemand: trueDemand,
                fallbackDays: {
                    fallback += $0
                    slotDays += replayDays
                }
            )
            if generatorTruth {
                print(
                    String(
                        format:
                            "demand: the generator's own rates on %d of %d slot-days (%.1f%%; the rest, a slot holding another product than at the start, the fitted truth's)",
                        slotDays - fallback,
                        slotDays,
                        slotDays > 0 ? Double(slotDays - fallback) / Double(slotDays) * 100 : 0
                    )
                )
            }
            guard (0...28).contains(lookAhead) else { throw ValidationError("--look-ahead must be 0…28") }
            guard serviceLevel > 0.5, serviceLevel < 1 else {
                throw ValidationError("--service-level must be between 0.5 and 1")
            }
            var planner = ServicePlanner(visitCost: visitCost, serviceLevel: serviceLevel)
            planner.clock = clock
            planner.lookAheadDays = lookAhead
            guard expiryVisitUnits > 0, emptySlotHourCost >= 0 else {
                throw ValidationError("--expiry-visit-units must be above 0, --empty-slot-hour-cost at least 0")
            }
            planner.emptySlotHourCost = emptySlotHourCost
            planner.expiryVisitUnits = expiryVisitUnits
            guard perishableLevel >= 0.5, perishableLevel < 1 else {
                throw ValidationError("--perishable-level must be at least 0.5 and below 1")
            }
            planner.perishableServiceLevel = perishableLevel
            var replay = PlanReplay(planner: planner, firstDay: first, days: replayDays)
            replay.expiredUnitsBlock = lockedExpired
            let rows = replay.runByDevice(devices)
            var h = PlanReplay.Outcome()
            var p = PlanReplay.Outcome()
            for r in rows {
                h.add(r.history)
                p.add(r.plan)
            }
            let bound = replay.oracle(devices, maxVisits: h.visits)
            if verbose {
                for (i, r) in rows.enumerated() {
                    print(
                        String(
                            format:
                                "%@: history %d visits, %.0f stockout-hours, %d spoiled; plan %d visits, %.0f stockout-hours, %d spoiled; oracle %d visits, %.0f stockout-hours",
                            r.deviceID,
                            r.history.visits,
                            r.history.stockoutHours,
                            r.history.spoiledUnits,
                            r.plan.visits,
                            r.plan.stockoutHours,
                            r.plan.spoiledUnits,
                            bound.deviceVisits[i],
                            bound.deviceHours[i]
                        )
                    )
                }
            }
            func pct(_ a: Double, _ b: Double) -> Double { b > 0 ? (a - b) / b * 100 : 0 }
            print(
                String(
                    format:
                        "history: %d visits, %.0f stockout-hours (%.0f in perishable slots), %d units spoiled, %d sold, %d lost",
                    h.visits,
                    h.stockoutHours,
                    h.perishableStockoutHours,
                    h.spoiledUnits,
                    h.unitsSold,
                    h.lostUnits
                )
            )
            print(
                String(
                    format:
                        "plan:    %d visits, %.0f stockout-hours (%.0f in perishable slots), %d units spoiled, %d sold, %d lost",
                    p.visits,
                    p.stockoutHours,
                    p.perishableStockoutHours,
                    p.spoiledUnits,
                    p.unitsSold,
                    p.lostUnits
                )
            )
            print(
                "plan's visits by reason: "
                    + p.visitsByReason.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
                        "\($0.key) \($0.value)"
                    }.joined(separator: ", ")
            )
            print(
                String(
                    format:
                        "oracle:  %d visits, %.0f stockout-hours (%+.1f%% against history; no schedule within the history's visits leaves fewer than %.0f, %+.1f%%): the visit days chosen with every arrival known, each visit filling to capacity%@",
                    bound.visits,
                    bound.stockoutHours,
                    pct(bound.stockoutHours, h.stockoutHours),
                    bound.lowerBound,
                    pct(bound.lowerBound, h.stockoutHours),
                    lockedExpired ? " (dates ignored, so still a bound with locked units)" : ""
                )
            )
            let visitChange: Double = pct(Double(p.visits), Double(h.visits))
            let hoursChange: Double = pct(p.stockoutHours, h.stockoutHours)
            let spoilChange: Double = pct(Double(p.spoiledUnits), Double(h.spoiledUnits))
            let soldChange: Double = pct(Double(p.unitsSold), Double(h.unitsSold))
            print(
                String(
                    format:
                        "replayed %d days over %d devices: visits %+.1f%%, stockout-hours %+.1f%%, spoilage %+.1f%%, units sold %+.1f%% (plan against history, same simulated demand)",
                    replayDays,
                    devices.count,
                    visitChange,
                    hoursChange,
                    spoilChange,
                    soldChange
                )
            )
            return
        }
        if demand {
            var dbt = DemandBacktest(history: history)
            dbt.origins = origins
            if generatorTruth {
                let rates = try GeneratorTruth.rates(fixtures: fixtures)
                dbt.trueDemand = { key, day in rates[key]?[day]?.unitsPerDay }
            }
            dbt.progress = { i, n in
                FileHandle.standardError.write(Data("backtest --demand: origin \(i)/\(n) (fitting)\n".utf8))
            }
            let r = dbt.run()
            if verbose {
                for i in r.intervals {
                    print(
                        String(
                            format:
                                "%@ day %d +%d cap %d actual %.0f predicted %.2f baseline %.2f p(sold out) %.2f sold out %@",
                            i.key.description,
                            Int(i.startDay),
                            i.days,
                            i.capacity,
                            i.actual,
                            i.predicted,
                            i.baseline,
                            i.soldOutProbability,
                            i.soldOut ? "yes" : "no"
                        )
                    )
                }
            }
            print("calibration of sell-out probability (decile: predicted → observed, n):")
            for (b, d) in r.calibration.enumerated() {
                print(
                    String(format: "  %2d: %5.1f%% → %5.1f%% (%d)", b + 1, d.predicted * 100, d.observed * 100, d.count)
                )
            }
            func lower(_ w: Double) -> Double { r.baselineWAPE > 0 ? (1 - w / r.baselineWAPE) * 100 : 0 }
            print(
                String(
                    format:
                        "point forecasts: expected units %.2f%% WAPE (%.1f%% lower than the rule); median units %.2f%%; noise floor (a perfect forecast, demand as predicted) %.2f%%",
                    r.wape,
                    lower(r.wape),
                    r.medianWAPE,
                    r.noiseFloorWAPE
                )
            )
            let perDevice = r.deviceIntervalWAPE
            print(
                String(
                    format:
                        "units per device over its visit intervals (every slot summed): model WAPE %.2f%%, baseline %.2f%%",
                    perDevice.model,
                    perDevice.baseline
                )
            )
            if let t = r.truthWAPE {
                print(
                    String(
                        format:
                            "generator's truth, %d slot intervals: the true distribution's median %.2f%% WAPE (the model's %.2f%% on the same intervals); its expected floor %.2f%%; its expected units %.3f × those sold",
                        t.intervals,
                        t.truth,
                        t.model,
                        t.floor,
                        t.expectedOverSold
                    )
                )
            }
            print(
                String(
                    format:
                        "origins %d, slot intervals %d: model WAPE %.2f%% (median), baseline (vends/day × days) WAPE %.2f%% (capped at capacity %.2f%%), %.1f%% lower; calibration gap at most %.1f points",
                    r.origins.count,
                    r.intervals.count,
                    r.medianWAPE,
                    r.baselineWAPE,
                    r.cappedBaselineWAPE,
                    lower(r.medianWAPE),
                    r.calibrationGap
                )
            )
            return
        }
        var bt = Insights.Backtest(history: history)
        bt.weeksAfter = weeks
        if !part1 {
            let trend = countsTrend
            bt.forecaster = { model, affinity in
                RevenueCountTerms.fit(counts: DemandCounts.fit(model: model), model: model, includesTrend: trend)
                    .forecaster(model: model, affinity: affinity)
            }
        }
        var last = Date.distantPast
        bt.progress = { i, n in
            if Date().timeIntervalSince(last) > 1 || i == n {
                last = Date()
                FileHandle.standardError.write(Data("backtest: change \(i)/\(n)\n".utf8))
            }
        }
        let r = bt.run()
        if verbose {
            for w in r.weeks {
                print(
                    String(
                        format: "%@ %@ day %d actual %.2f predicted %.2f [%.2f, %.2f] naive %.2f",
                        w.deviceID,
                        w.change.description,
                        Int(w.firstDay),
                        w.actual,
                        w.predicted,
                        w.lower,
                        w.upper,
                        w.naive
                    )
                )
            }
        }
        print(String(format: "bias (mean signed error): model %+.2f%%, naive %+.2f%%", r.bias, r.naiveBias))
        print(
            String(
                format:
                    "changes %d, device-weeks %d: model MAPE %.2f%% (median APE %.2f%%), naive MAPE %.2f%%, 95%% interval coverage %.1f%%",
                r.changes,
                r.weeks.count,
                r.mape,
                r.medianAPE * 100,
                r.naiveMAPE,
                r.coverage * 100
            )
        )
    }
}

struct PlanFleet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Forecast every device, plan the service visits and make the pick lists, and say how long it took.",
        discussion:
            "Reads the models from the database (fits them first if there are none). The same computation as GET /api/devices/{id}/forecast, /api/service-plan and /api/pick-lists, for the whole fleet at once."
    )

    @Option(help: "Database to read (already imported).") var db: String
    @Option(help: "Days to plan.") var days: Int = 7

    func run() throws {
        guard (1...28).contains(days) else { throw ValidationError("--days must be 1…28") }
        var config = try AppConfiguration.fromEnvironment()
        config.databasePath = db
        let r = try FleetPlanRun.run(databasePath: db, days: days, configuration: config)
        print(
            String(
                format:
                    "devices %d, slots %d: forecast + service plan (%d visits) + pick lists (%d lines) in %.2f s (stock %.2f s, forecasts %.2f s, plan and picks %.2f s); models loaded or fitted in %.2f s",
                r.devices,
                r.slots,
                r.visits,
                r.pickLines,
                r.totalSeconds,
                r.stockSeconds,
                r.forecastSeconds,
                r.planSeconds,
                r.fitSeconds
            )
        )
    }
}

struct SolveVRPTW: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solve-vrptw",
        abstract: "Solve a VRPTW instance in Solomon's text format with the route solver and print one JSON object.",
        discussion:
            "Prints {instance, distance, vehicles, seconds, routes: [[customer numbers in visiting order], …], feasible, violations}. Distances are Euclidean, not rounded; violations are found by an independent validator."
    )

    @Argument(help: "The instance file.") var file: String
    @Option(help: "Seconds the solver may search.") var timeLimit: Double = 10
    @Option(help: "Most vehicles to use (default: the instance's fleet).") var maxVehicles: Int?
    @Option(
        help: "The solver command (default: PLANOGRAM_VRP_SOLVER, else the project's PyVRP adapter in .build-venv)."
    ) var solver: String?
    @Option(help: "Random seed of the solver.") var seed: Int = 1

    func run() throws {
        guard timeLimit > 0, timeLimit <= 3600 else { throw ValidationError("--time-limit must be 0…3600 seconds") }
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ValidationError("cannot read \(file): \(error.localizedDescription)")
        }
        var problem: VRPTW
        do { problem = try SolomonInstance.parse(text) } catch { throw ValidationError("\(file): \(error)") }
        if let m = maxVehicles {
            guard m >= 1 else { throw ValidationError("--max-vehicles must be at least 1") }
            problem.vehicles = m
        }
        let engine =
            solver.map { RouteSolver(command: $0.split(separator: " ").map(String.init)) } ?? RouteSolver.configured()
        let solution = try engine.solve(problem, timeLimit: timeLimit, seed: seed)
        let out: [String: Any] = [
            "instance": problem.name, "distance": (solution.distance * 100).rounded() / 100,
            "vehicles": solution.routes.count, "seconds": (solution.seconds * 100).rounded() / 100,
            "routes": solution.routes, "feasible": solution.feasible,
            "violations": RouteValidator.violations(problem, solution.routes),
        ]
        let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

struct CompareRoutes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare-routes",
        abstract:
            "Plan the visits of the last days of the history as routes and compare their driving with the order they were made in.",
        discussion:
            "Prints one JSON object per day ({date, visits, historical_minutes, nearest_neighbour_minutes, planned_minutes, …}) and a summary line. Progress goes to stderr."
    )

    @Option(help: "Database to read (already imported).") var db: String?
    @Option(help: "Or: a fixtures directory to import into a temporary database first.") var fixtures: String?
    @Option(help: "Days of the history, counted back from its last.") var days: Int = 14
    @Option(help: "Seconds the solver may search per day.") var timeLimit: Double = 10

    func run() throws {
        guard db != nil || fixtures != nil else { throw ValidationError("give --db or --fixtures") }
        guard (1...365).contains(days), timeLimit > 0, timeLimit <= 600 else {
            throw ValidationError("--days 1…365, --time-limit 0…600")
        }
        let (path, cleanup) = try database(db: db, fixtures: fixtures, label: "compare-routes")
        defer { cleanup() }
        let config = try AppConfiguration.fromEnvironment()
        let err = FileHandle.standardError
        let rows = try RouteHistory.compare(
            store: try Store(path: path),
            configuration: config,
            solver: RouteSolver.configured(),
            days: days,
            timeLimit: timeLimit
        ) { err.write(Data(($0 + "\n").utf8)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for r in rows { print(String(decoding: try encoder.encode(r), as: UTF8.self)) }
        let ok = rows.filter { $0.plannedUnserved == 0 && $0.violations == 0 }
        let h = ok.reduce(0.0) { $0 + $1.historicalMinutes }
        let n = ok.reduce(0.0) { $0 + $1.nearestNeighbourMinutes }
        let p = ok.reduce(0.0) { $0 + $1.plannedMinutes }
        let hk = ok.reduce(0.0) { $0 + $1.historicalKm }
        let nk = ok.reduce(0.0) { $0 + $1.nearestNeighbourKm }
        let pk = ok.reduce(0.0) { $0 + $1.plannedKm }
        print(
            String(
                format:
                    "days %d (%d with every visit routed, no violation), visits %d: driving %.0f min in the history's order, %.0f nearest neighbour, %.0f planned: %.1f %% less than the history's order, %.1f %% less than nearest neighbour; distance %.0f / %.0f / %.0f km",
                rows.count,
                ok.count,
                ok.reduce(0) { (n: Int, d: RouteHistory.Day) in n + d.visits },
                h,
                n,
                p,
                h > 0 ? (1 - p / h) * 100 : 0,
                n > 0 ? (1 - p / n) * 100 : 0,
                hk,
                nk,
                pk
            )
        )
    }
}

struct CalibrateExperiments: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate-experiments",
        abstract:
            "Placebo experiments on a fleet's history: false positives with one look and with daily looks, power at injected effects, and the minimum detectable effect, against the plan's t-test.",
        discussion:
            "Prints the report as JSON, then a summary. Progress goes to stderr. With --estimate-devices N, also times one estimate (read from the database and analysed) of an N-device experiment."
    )

    @Option(help: "Database to read (already imported).") var db: String?
    @Option(help: "Or: a fixtures directory to import into a temporary database first.") var fixtures: String?
    @Option(help: "Placebo splits.") var splits: Int = 1_000
    @Option(help: "Days before the start the pairs are matched on and CUPED adjusts for.") var preDays: Int = 28
    @Option(help: "Days of the experiment.") var postDays: Int = 28
    @Option(help: "Injected effects in percent, comma-separated (0 is the A/A test).") var effects: String = "0,3,5,10"
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Time one estimate of an experiment of this many devices (the newest days).") var estimateDevices:
        Int?
    @Option(help: "The mixture SPRT's τ in standard errors of the first look (the server's is 2.5).") var mixingScale:
        Double = ExperimentAnalysis.mixingScale

    func run() throws {
        guard db != nil || fixtures != nil else { throw ValidationError("give --db or --fixtures") }
        guard (1...100_000).contains(splits), preDays >= 7, postDays >= 7 else {
            throw ValidationError("--splits 1…100000, --pre-days and --post-days at least 7")
        }
        let levels = effects.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }.map {
            $0 / 100
        }
        guard !levels.isEmpty else { throw ValidationError("--effects: percentages separated by commas") }
        let (path, cleanup) = try database(db: db, fixtures: fixtures, label: "calibrate")
        defer { cleanup() }
        let store = try Store(path: path)
        guard let span = try DailyMetrics.span(store) else { throw ValidationError("no sales in \(path)") }
        let daily = try DailyMetrics.read(
            store,
            metric: .revenue,
            devices: nil,
            fromDay: span.first,
            toDay: span.last + 1
        )
        let series = daily.keys.sorted().map { daily[$0]! }
        var o = Calibration.Options()
        o.splits = splits
        o.preDays = preDays
        o.postDays = postDays
        o.effects = levels
        o.seed = seed
        o.mixingScale = mixingScale
        guard Int(span.last - span.first + 1) >= preDays + postDays else {
            throw ValidationError("the history is shorter than --pre-days + --post-days")
        }
        FileHandle.standardError.write(
            Data("\(series.count) devices, \(span.last - span.first + 1) days, \(splits) splits\n".utf8)
        )
        var shown = -1
        let report = try Calibration.run(series, options: o) { f in
            let pct = Int(f * 100)
            if pct / 10 != shown / 10 {
                shown = pct
                FileHandle.standardError.write(Data("splits: \(pct) %\n".utf8))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
        for r in report.rows {
            print(
                String(
                    format:
                        "effect %.0f %%: declared by CUPED+RI one look %.1f %%, sequential RI daily looks %.1f %%, mSPRT daily looks %.1f %%; plan's t-test one look %.1f %%, daily looks %.1f %%",
                    r.effectPercentage,
                    r.cupedOneLook * 100,
                    r.sequentialDailyLooks * 100,
                    r.cupedDailyLooks * 100,
                    r.tTestOneLook * 100,
                    r.tTestDailyLooks * 100
                )
            )
        }
        print(
            String(
                format:
                    "minimum detectable effect (80 %% power, α 5 %%): %.2f %% with CUPED and matched pairs, %.2f %% with the plan's design and t-test (%.0f %% smaller)",
                report.cupedMDEPercentage,
                report.plainMDEPercentage,
                (1 - report.cupedMDEPercentage / max(report.plainMDEPercentage, 1e-9)) * 100
            )
        )
        if let n = estimateDevices {
            let ids = Array(daily.keys.sorted().prefix(n))
            guard ids.count >= 4 else {
                throw ValidationError("--estimate-devices: the fleet has \(daily.count) devices")
            }
            let start = span.last + 1 - Int64(postDays)
            let began = Date()
            let window = try DailyMetrics.read(
                store,
                metric: .revenue,
                devices: Set(ids),
                fromDay: start - Int64(preDays),
                toDay: span.last + 1
            )
            let pre = ids.map { window[$0]!.prefix(preDays).reduce(0, +) / Double(preDays) }
            let design = PairedDesign.draw(zip(ids, pre).map { ExperimentUnit(id: $0, preMetric: $1) }, seed: seed)
            let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
            let outcomes = ids.enumerated().map { i, id in
                DeviceOutcome(
                    id: id,
                    treated: design.assignment[id] == .treatment,
                    pre: pre[i],
                    post: window[id]!.dropFirst(preDays).reduce(0, +) / Double(postDays)
                )
            }
            let strata = design.strata.map { $0.map { index[$0]! } }
            let e = ExperimentAnalysis.estimate(outcomes, strata: strata, seed: seed)
            // As the server does: the daily-monitoring test over every look so far.
            let treated = outcomes.map(\.treated)
            let adjusted = (1...postDays).map { look -> [Double] in
                ExperimentAnalysis.look(
                    ids.enumerated().map { i, id in
                        DeviceOutcome(
                            id: id,
                            treated: treated[i],
                            pre: pre[i],
                            post: window[id]!.dropFirst(preDays).prefix(look).reduce(0, +) / Double(look)
                        )
                    }
                ).adjusted
            }
            let sequential = SequentialTest.run(
                adjusted: adjusted,
                treated: treated,
                strata: strata,
                draws: ExperimentAnalysis.draws(strata: strata.count, seed: seed),
                firstLook: 7,
                horizon: 4 * 14
            )
            print(
                String(
                    format:
                        "one estimate of a %d-device experiment (%d + %d days read from the database, analysed with its interval and the daily-monitoring test over %d looks): %.3f s (effect %+.2f %%, p %.3f, %@)",
                    ids.count,
                    preDays,
                    postDays,
                    postDays - 6,
                    Date().timeIntervalSince(began),
                    e.effectPercentage,
                    e.pValue,
                    sequential.crossedAt.map { "boundary crossed on day \($0)" } ?? "boundary not crossed"
                )
            )
        }
    }
}

struct OptimizeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize-bench",
        abstract: "Solve one generated cabinet layout with the optimizer (CBC) and print the proven gap and the time.",
        discussion:
            "A cabinet of --rows × --columns slots (ambient, one low row) and --products candidates: prices, temperatures, heights and widths drawn from a seeded stream, demand per day log-normal, each slot's value = price × demand × the demand model's prior position shape × availability of 8 units over a 3-day service interval. Prints one JSON object."
    )

    @Option(help: "Rows of the cabinet.") var rows: Int = 6
    @Option(help: "Columns of the cabinet.") var columns: Int = 10
    @Option(help: "Candidate products.") var products: Int = 200
    @Option(help: "Solver time limit in seconds.") var seconds: Double = 30
    @Option(help: "Random seed.") var seed: UInt64 = 1

    func run() throws {
        guard (1...20).contains(rows), (1...20).contains(columns), (1...5_000).contains(products), seconds > 0 else {
            throw ValidationError("--rows and --columns 1…20, --products 1…5000, --seconds > 0")
        }
        var rng = SeededRandom(seed: seed)
        let heights = (0..<rows).map { $0 == rows - 1 ? 140 : 200 }
        let cabinet = Cabinet(
            deviceID: "BENCH",
            index: 0,
            temperature: .ambient,
            rows: rows,
            columns: columns,
            rowHeightsMM: heights
        )
        let candidates = (0..<products).map { i in
            Product(
                id: String(format: "P%04d", i),
                name: "Product \(i)",
                category: ["chips", "candy", "soda", "water", "snack"][i % 5],
                price: 1 + Double(rng.int(0...30)) / 10,
                unitCost: 0.5,
                temperature: rng.chance(0.1) ? .chilled : .ambient,
                heightMM: rng.chance(0.2) ? 180 : 120,
                widthColumns: rng.chance(0.1) ? 2 : 1,
                shelfLifeDays: 90,
                caseSize: 12
            )
        }
        let demand = candidates.map { _ in exp(-0.5 + 0.9 * rng.normal()) }
        let value = candidates.enumerated().map { i, p in
            (0..<(rows * columns)).map { k -> Double in
                let lambda =
                    demand[i]
                    * DemandModel.priorShape(row: k / columns, column: k % columns, rows: rows, columns: columns)
                return p.price * lambda * availability(lambdaPerDay: lambda, capacity: 8, intervalDays: 3)
            }
        }
        let problem = LayoutProblem(cabinet: cabinet, products: candidates, value: value, capacity: 8)
        let s = try LayoutOptimizer.solve(problem, seconds: seconds)
        let out: [String: Any] = [
            "slots": rows * columns, "products": products, "objective": (s.objective * 1000).rounded() / 1000,
            "bound": (s.bound * 1000).rounded() / 1000, "gap_percentage": (s.gap * 1e4).rounded() / 100,
            "proven_optimal": s.provenOptimal, "seconds": (s.seconds * 100).rounded() / 100,
            "greedy_objective": (s.greedyObjective * 1000).rounded() / 1000, "placed": s.facings.count,
        ]
        print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
    }
}

struct OptimizeFleet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize-fleet",
        abstract:
            "Run the optimizer on every cabinet of a database's fleet and print the predicted lift over the current layouts.",
        discussion:
            "The models are loaded from the database (fitted first if there are none). One line per cabinet, then the fleet's totals. Progress goes to stderr."
    )

    @Option(help: "Database to read (already imported).") var db: String
    @Option(help: "Solver time limit per cabinet, seconds.") var timeLimit: Double = 10

    func run() throws {
        guard timeLimit > 0, timeLimit <= 120 else { throw ValidationError("--time-limit 0…120") }
        var config = try AppConfiguration.fromEnvironment()
        config.databasePath = db
        let err = FileHandle.standardError
        let r = try OptimizeBatch.fleet(databasePath: db, timeLimit: timeLimit, configuration: config) { _, message in
            err.write(Data((message + "\n").utf8))
        }
        for c in r.cabinets {
            if let e = c.error {
                print("\(c.deviceID) #\(c.cabinetIndex) (\(c.venueType)): \(e)")
                continue
            }
            print(
                String(
                    format:
                        "%@ #%d (%@): %.2f → %.2f per 30 days (%+.1f %% by the forecaster, %+.1f %% by the optimizer's model), gap %.4f, %d changes, %.2f s",
                    c.deviceID,
                    c.cabinetIndex,
                    c.venueType,
                    c.baselineRevenue,
                    c.predictedRevenue,
                    c.liftPercentage,
                    c.modelLiftPercentage,
                    c.gap,
                    c.changes,
                    c.seconds
                )
            )
        }
        let ok = r.cabinets.filter { $0.error == nil }
        let gaps = ok.map(\.gap)
        let modelLifts = ok.map(\.modelLiftPercentage).sorted()
        print(
            String(
                format:
                    "fleet: %d cabinets, predicted revenue %.2f → %.2f per 30 days (%+.1f %% by the forecaster; by the optimizer's model median %+.1f %%), largest gap %.4f, slowest %.2f s",
                r.cabinets.count,
                r.baselineRevenue,
                r.predictedRevenue,
                r.liftPercentage,
                modelLifts.isEmpty ? 0 : modelLifts[modelLifts.count / 2],
                gaps.max() ?? 0,
                r.cabinets.map(\.seconds).max() ?? 0
            )
        )
    }
}

/// The database a command reads: `--db`, or `--fixtures` imported into a temporary one (with progress on
/// stderr) that `cleanup` removes.
/// A generated fleet's true demand (`backtest --demand --generator-truth`): the fleet drawn again from its
/// `model.json` into a temporary directory with `FleetGenerator.trueDemand` listening, checked to give the
/// same sales and services as the directory's (else the rates would belong to another history).
enum GeneratorTruth {
    static func rates(fixtures: String?) throws -> [SlotKey: [Int32: (productID: String, unitsPerDay: Double)]] {
        guard let fixtures else {
            throw ValidationError("--generator-truth needs --fixtures (a generated fleet's directory)")
        }
        let recipe = (fixtures as NSString).appendingPathComponent("model.json")
        guard let data = FileManager.default.contents(atPath: recipe) else {
            throw ValidationError(
                "--generator-truth: \(recipe) not found (only a generated fleet knows its true demand)"
            )
        }
        let model = try JSONDecoder().decode(FleetModel.self, from: data)
        let dir = NSTemporaryDirectory() + "generator-truth-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rates: [SlotKey: [Int32: (productID: String, unitsPerDay: Double)]] = [:]
        var gen = FleetGenerator(model: model) { FileHandle.standardError.write(Data("generator truth: \($0)\n".utf8)) }
        gen.trueDemand = { t in
            rates[SlotKey(CabinetKey(t.deviceID, t.cabinetIndex), t.slot), default: [:]][Int32(t.day)] = (
                t.productID, t.unitsPerDay
            )
        }
        _ = try gen.write(to: dir)
        for name in ["sales.csv", "services.csv", "planograms.csv"] {
            let a = FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent(name))
            guard a != nil,
                a == FileManager.default.contents(atPath: (fixtures as NSString).appendingPathComponent(name))
            else {
                throw ValidationError(
                    "--generator-truth: \(name) drawn again from model.json differs from \(fixtures)'s: not this recipe's output"
                )
            }
        }
        return rates
    }
}

func database(db: String?, fixtures: String?, label: String) throws -> (path: String, cleanup: () -> Void) {
    guard let fixtures else { return (db ?? "", {}) }
    let path = NSTemporaryDirectory() + "\(label)-\(getpid()).db"
    try? FileManager.default.removeItem(atPath: path)
    FileHandle.standardError.write(Data("importing \(fixtures)\n".utf8))
    _ = try Importer(store: try Store(path: path)).importDirectory(fixtures)
    return (path, { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } })
}
