import HTTPAPI
import PlanogramDomain
import Sessions

/// Every route the server serves, as the contract describes it (docs/API.md is the prose beside it).
enum APIOperations {
    typealias Op = APIOperation
    typealias P = APIOperation.Parameter
    typealias R = APIOperation.Response

    static let any: Set<Role> = Set(Role.allCases)
    static let editors: Set<Role> = [.merchandiser, .manager, .admin]
    static let sessionEditors: Set<Role> = [.merchandiser, .admin]
    static let planners: Set<Role> = [.manager, .admin]
    static let readers: Set<Role> = [.manager, .admin, .driver]

    static let deviceID = P.path("id", "a device id (`VM-001`)")
    static let sid = P.path("sid", "a session id: `<device_id>~<cabinet_index>` (`VM-001~0`)")
    static let jobID = P.path("id", "a job id (`job_…`)")
    static let experimentID = P.path("id", "an experiment id (`exp_…`)")
    static let cabinetPath = [P.path("device_id", "a device id"), P.path("cabinet_index", "a cabinet index (0, 1, …)")]

    static let all: [Op] = [
        // Health and the contract itself.
        Op(
            method: "GET",
            path: "/healthz",
            name: "healthz",
            summary: "Liveness: the process answers",
            access: .open,
            responses: [.json(200, "Status", "alive")],
            tag: "health"
        ),
        Op(
            method: "GET",
            path: "/readyz",
            name: "readyz",
            summary: "Readiness: models loaded and not draining (never touches the store)",
            access: .open,
            responses: [
                .json(200, "Status", "ready"), .json(503, "Error", "models_loading or shutting_down, with Retry-After"),
            ],
            tag: "health"
        ),
        Op(
            method: "GET",
            path: "/metrics",
            name: "metrics",
            summary: "Prometheus metrics (text exposition format)",
            access: .open,
            responses: [.init(status: 200, description: "metrics", schema: nil, contentType: "text/plain")],
            tag: "health"
        ),
        Op(
            method: "GET",
            path: "/api/openapi.json",
            name: "openapi",
            summary: "This document (OpenAPI 3.1)",
            access: .open,
            responses: [.init(status: 200, description: "the contract", schema: nil)],
            tag: "health"
        ),
        Op(
            method: "GET",
            path: "/api/demo/tokens",
            name: "demo_tokens",
            summary: "A token per role (demo mode only)",
            access: .open,
            responses: [.json(200, "DemoTokens", "one token per role")],
            demoOnly: true,
            tag: "health"
        ),

        // Catalogue.
        Op(
            method: "GET",
            path: "/api/devices",
            name: "devices",
            summary: "Devices with their cabinets (filtered to the token's devices)",
            access: .roles(any),
            scope: .filtered,
            responses: [.json(200, "DeviceList", "the devices")],
            tag: "catalogue"
        ),
        Op(
            method: "GET",
            path: "/api/devices/{id}",
            name: "device",
            summary: "One device",
            access: .roles(any),
            scope: .path("id"),
            parameters: [deviceID],
            responses: [.json(200, "Device", "the device"), .json(404, "Error", "unknown device")],
            tag: "catalogue"
        ),
        Op(
            method: "GET",
            path: "/api/products",
            name: "products",
            summary: "The product catalogue",
            access: .roles(any),
            responses: [.json(200, "ProductList", "the products")],
            tag: "catalogue"
        ),
        Op(
            method: "GET",
            path: "/api/depots",
            name: "depots",
            summary: "Depots with their opening hours",
            access: .roles([.manager, .driver, .admin]),
            responses: [.json(200, "DepotList", "the depots")],
            tag: "catalogue"
        ),
        Op(
            method: "GET",
            path: "/api/vehicles",
            name: "vehicles",
            summary: "Trucks with their depot, capacity and shift",
            access: .roles([.manager, .driver, .admin]),
            responses: [.json(200, "VehicleList", "the trucks")],
            tag: "catalogue"
        ),
        Op(
            method: "GET",
            path: "/api/drivers",
            name: "drivers",
            summary: "Which truck each driver drives (an admin's assignments)",
            access: .roles([.manager, .admin]),
            responses: [.json(200, "DriverList", "the assignments")],
            tag: "catalogue"
        ),
        Op(
            method: "PUT",
            path: "/api/drivers/{sub}/vehicle",
            name: "driver_vehicle",
            summary:
                "Assigns a truck to a driver (the subject of their token), or clears it (`null`): a token without a `vehicle` claim then follows that truck",
            access: .roles([.admin]),
            parameters: [P.path("sub", "the driver: the `sub` of their token")],
            body: ("DriverVehicleRequest", "application/json", true),
            responses: [.json(200, "DriverVehicle", "assigned"), .json(404, "Error", "unknown vehicle")],
            tag: "catalogue"
        ),
        Op(
            method: "GET",
            path: "/api/planograms/{device_id}/{cabinet_index}",
            name: "planogram",
            summary: "A cabinet's published planogram (`?version=` an older one)",
            access: .roles(any),
            scope: .path("device_id"),
            parameters: cabinetPath + [P.query("version", "a published version", schema: APISchema.integer)],
            responses: [
                .json(200, "Planogram", "the planogram"), .json(404, "Error", "unknown device, cabinet or version"),
            ],
            tag: "catalogue"
        ),
        Op(
            method: "POST",
            path: "/api/import",
            name: "import",
            summary:
                "Imports the CSV files (`{\"files\": {name: text}}`, or one `text/csv` file with `?file=`); all or nothing",
            access: .roles([.admin]),
            parameters: [P.query("file", "the file's name when the body is text/csv (`sales.csv`)")],
            body: ("ImportRequest", "application/json", true),
            alsoAccepts: ["text/csv"],
            responses: [
                .json(200, "ImportReport", "imported"),
                .json(422, "Error", "import_invalid: details.errors (file, line, column, message)"),
            ],
            tag: "catalogue"
        ),

        Op(
            method: "POST",
            path: "/api/import/transactions",
            name: "import_transactions",
            summary:
                "Imports a telemetry transaction export as it comes (docs/formats/EXPORTS.md): rows that cannot be used are listed, the rest written in one transaction; the same export again writes nothing",
            access: .roles([.admin]),
            parameters: [
                P.query("format", "`eport`, or a mapping as JSON (docs/formats/EXPORTS.md)", required: true),
                P.query("strict", "refuse the whole file when any row cannot be used", schema: APISchema.boolean),
                P.query("job", "run as a job (always, above 4 MiB)", schema: APISchema.boolean),
            ],
            body: ("ExportText", "text/csv", true),
            responses: [
                .json(200, "TransactionImportReport", "imported"),
                .json(202, "JobAccepted", "a large export: the job, whose result is the report"),
                .json(
                    422,
                    "Error",
                    "export_columns (details.missing_columns), bad_export, or export_rows_refused with strict; nothing was written"
                ),
            ],
            tag: "catalogue"
        ),

        Op(
            method: "POST",
            path: "/api/import/cvd",
            name: "import_cvd",
            summary:
                "Migrates a CVD database (the SQLite file as the body; docs/formats/CVD.md): what cannot be mapped is reported; run again, it writes nothing",
            access: .roles([.admin]),
            body: ("CVDFile", "application/octet-stream", true),
            responses: [
                .json(200, "CVDReport", "migrated"),
                .json(422, "Error", "not_cvd: the file is not a CVD database (details.missing); nothing was written"),
            ],
            tag: "catalogue"
        ),

        // DEX audit reads (docs/formats/DEX.md).
        Op(
            method: "POST",
            path: "/api/devices/{id}/dex",
            name: "device_dex",
            summary: "Records one DEX audit read of the device (the read as text); the same read again writes nothing",
            access: .roles([.driver, .admin]),
            scope: .path("id"),
            parameters: [deviceID],
            body: ("DEXText", "text/plain", true),
            responses: [
                .json(201, "DEXRead", "recorded"),
                .json(200, "DEXRead", "the same read again: recorded false, nothing written"),
                .json(404, "Error", "unknown device"),
                .json(422, "Error", "bad_dex (details: line, record), or serial_mismatch"),
            ],
            tag: "dex"
        ),
        Op(
            method: "PUT",
            path: "/api/devices/{id}/dex-serial",
            name: "device_dex_serial",
            summary:
                "Links a machine serial to the device, so the reads that carry it (a CVD migration run again) are the device's",
            access: .roles([.admin]),
            scope: .path("id"),
            parameters: [deviceID],
            body: ("DEXSerialRequest", "application/json", true),
            responses: [
                .json(200, "DEXSerialLink", "linked (or linked already)"), .json(404, "Error", "unknown device"),
                .json(409, "Error", "the serial is another device's (details: device_id)"),
            ],
            tag: "dex"
        ),
        Op(
            method: "GET",
            path: "/api/devices/{id}/dex",
            name: "device_dex_reads",
            summary:
                "The device's DEX reads, newest first: when, from which machine, their selections and those no slot is mapped to",
            access: .roles(any),
            scope: .path("id"),
            parameters: [deviceID, P.query("limit", "how many (1…100, 10)", schema: APISchema.integer)],
            responses: [.json(200, "DEXReadList", "the reads"), .json(404, "Error", "unknown device")],
            tag: "dex"
        ),
        Op(
            method: "GET",
            path: "/api/devices/{id}/selections",
            name: "device_selections",
            summary: "The device's selection map {cabinet_index: {selection: [slot, ...]}}",
            access: .roles(any),
            scope: .path("id"),
            parameters: [deviceID],
            responses: [.json(200, "SelectionMap", "the map"), .json(404, "Error", "unknown device")],
            tag: "dex"
        ),
        Op(
            method: "PUT",
            path: "/api/devices/{id}/selections",
            name: "device_selections_put",
            summary: "Replaces the device's selection map",
            access: .roles(editors),
            scope: .path("id"),
            parameters: [deviceID],
            body: ("SelectionMap", "application/json", true),
            responses: [
                .json(200, "SelectionMap", "the map as stored"), .json(404, "Error", "unknown device"),
                .json(422, "Error", "unknown_cabinet or unknown_slot"),
            ],
            tag: "dex"
        ),

        // Insights.
        Op(
            method: "POST",
            path: "/api/planograms/realtime/score",
            name: "score",
            summary: "Scores a product in a slot of a draft",
            access: .roles(editors),
            scope: .named,
            body: ("ScoreRequest", "application/json", true),
            responses: [
                .json(200, "Score", "the score with its factors"),
                .json(422, "Error", "unknown product, slot outside the cabinet"),
            ],
            tag: "insights"
        ),
        Op(
            method: "POST",
            path: "/api/planograms/predict/revenue",
            name: "predict_revenue",
            summary: "Predicts the revenue of a proposed planogram against the current one",
            access: .roles(editors),
            scope: .named,
            body: ("PredictRequest", "application/json", true),
            responses: [
                .json(200, "RevenuePrediction", "the prediction"),
                .json(422, "Error", "a planogram breaks a hard rule"),
            ],
            tag: "insights"
        ),
        Op(
            method: "GET",
            path: "/api/planograms/{device_id}/{cabinet_index}/heatmap",
            name: "heatmap",
            summary: "Revenue per slot of the published planogram",
            access: .roles(any),
            scope: .path("device_id"),
            parameters: cabinetPath,
            responses: [.json(200, "HeatMap", "the heat map"), .json(404, "Error", "unknown device or cabinet")],
            tag: "insights"
        ),
        Op(
            method: "GET",
            path: "/api/devices/{id}/forecast",
            name: "device_forecast",
            summary: "Per slot: demand, stock, empty time and stockout probability over `days`",
            access: .roles(any),
            scope: .path("id"),
            parameters: [
                deviceID, P.query("days", "1…28 (7)", schema: APISchema.integer),
                P.query("at", "as of this time", schema: APISchema.dateTime),
            ],
            responses: [.json(200, "DeviceForecast", "the forecast"), .json(404, "Error", "unknown device")],
            tag: "insights"
        ),
        Op(
            method: "GET",
            path: "/api/devices/{id}/recommendations",
            name: "recommendations",
            summary: "Products expected to sell at this device (device, venue or fleet basis)",
            access: .roles(any),
            scope: .path("id"),
            parameters: [deviceID, P.query("limit", "how many (1…100)", schema: APISchema.integer)],
            responses: [.json(200, "Recommendations", "the recommendations"), .json(404, "Error", "unknown device")],
            tag: "insights"
        ),

        // Operations.
        Op(
            method: "POST",
            path: "/api/visits",
            name: "visits",
            summary: "Records a driver's visit (restocks and pulls), once per visit_id",
            access: .roles([.driver, .admin]),
            scope: .named,
            body: ("VisitRequest", "application/json", true),
            responses: [
                .json(201, "VisitRecorded", "recorded"),
                .json(200, "VisitRecorded", "the same visit again: recorded false"),
                .json(409, "Error", "the visit_id was used for other lines"), .json(404, "Error", "unknown device"),
            ],
            tag: "operations"
        ),
        Op(
            method: "GET",
            path: "/api/service-plan",
            name: "service_plan",
            summary: "Which devices to visit on which day, and why",
            access: .roles(readers),
            scope: .filtered,
            parameters: [
                P.query("from", "first day (the newest data's day)", schema: APISchema.date),
                P.query("days", "1…28 (7)", schema: APISchema.integer),
                P.query(
                    "visits_per_day",
                    "a budget: visits a day on average (1 to the devices in reach)",
                    schema: APISchema.integer
                ),
                P.query(
                    "visits_per_week",
                    "a budget: visits a week on average (1 to 7 x the devices)",
                    schema: APISchema.integer
                ),
            ],
            responses: [.json(200, "ServicePlan", "the plan")],
            tag: "operations"
        ),
        Op(
            method: "GET",
            path: "/api/service-plan/tradeoff",
            name: "service_plan_tradeoff",
            summary:
                "The planner at prices of a visit from a quarter of the set one to 32 times it: each plan's visits a day, and the stockout-hours and units past their date it is expected to leave",
            access: .roles(readers),
            scope: .filtered,
            parameters: [
                P.query("days", "1…28 (7)", schema: APISchema.integer),
                P.query("from", "the first day", schema: APISchema.date),
            ],
            responses: [.json(200, "PlanTradeoff", "the points")],
            tag: "operations"
        ),
        Op(
            method: "GET",
            path: "/api/pick-lists",
            name: "pick_lists",
            summary: "The day's pick lists: per visit, per slot, and warehouse totals",
            access: .roles(readers),
            scope: .filtered,
            parameters: [
                P.query("date", "the day", schema: APISchema.date, required: true), P.query("device_id", "one device"),
                P.query("vehicle_id", "a planned truck's stops"), P.query("depot_id", "the visits nearest a depot"),
            ],
            responses: [
                .json(200, "PickLists", "the pick lists"), .json(404, "Error", "unknown device, truck or depot"),
                .json(422, "Error", "no_routes: no routes planned that day"),
            ],
            tag: "operations"
        ),
        Op(
            method: "POST",
            path: "/api/routes/plan",
            name: "routes_plan",
            summary: "Plans a day's routes as a job (PyVRP)",
            access: .roles(planners),
            scope: .named,
            body: ("RoutePlanRequest", "application/json", true),
            responses: [
                .json(202, "JobAccepted", "the job"),
                .json(409, "Error", "the day's stored routes visit devices outside the token's claim"),
                .json(422, "Error", "unknown depot, vehicle or device"),
                .json(429, "Error", "the job queue has no place for this user"),
            ],
            tag: "operations"
        ),
        Op(
            method: "GET",
            path: "/api/routes",
            name: "routes",
            summary: "The day's planned routes (a driver: the stops of their devices)",
            access: .roles(readers),
            scope: .filtered,
            parameters: [
                P.query("date", "the day", schema: APISchema.date, required: true), P.query("vehicle_id", "one truck"),
            ],
            responses: [
                .json(200, "DayRoutes", "the routes"),
                .json(404, "Error", "nothing planned that day, or unknown truck"),
            ],
            tag: "operations"
        ),
        Op(
            method: "POST",
            path: "/api/fleet/plan",
            name: "fleet_plan",
            summary: "Every device's forecast, the plan and pick lists, as a job",
            access: .roles(planners),
            scope: .filtered,
            body: ("FleetPlanRequest", "application/json", false),
            responses: [
                .json(202, "JobAccepted", "the job"), .json(429, "Error", "the job queue has no place for this user"),
            ],
            tag: "jobs"
        ),
        Op(
            method: "GET",
            path: "/api/jobs/{id}",
            name: "job",
            summary: "A job's state, progress and result",
            access: .roles(any),
            scope: .job,
            parameters: [jobID],
            responses: [.json(200, "Job", "the job"), .json(404, "Error", "no such job")],
            tag: "jobs"
        ),
        Op(
            method: "GET",
            path: "/api/jobs/{id}/events",
            name: "job_events",
            summary: "A job's progress, then its end",
            access: .roles(any),
            scope: .job,
            parameters: [jobID],
            responses: [.stream("progress events, then done, failed or cancelled")],
            events: [
                ("progress", "{job_id, progress, message}, at most ten a second"), ("done", "{job_id, result}"),
                ("failed", "{job_id, error: {code, message}}"), ("cancelled", "{job_id, message}"),
            ],
            tag: "jobs"
        ),
        Op(
            method: "DELETE",
            path: "/api/jobs/{id}",
            name: "job_cancel",
            summary: "Asks a job to stop",
            access: .roles(editors),
            scope: .job,
            parameters: [jobID],
            responses: [.json(202, "JobCancelling", "cancelling"), .json(404, "Error", "no running job")],
            tag: "jobs"
        ),

        // Optimizer.
        Op(
            method: "POST",
            path: "/api/planograms/optimize",
            name: "optimize",
            summary: "The optimizer on a cabinet, as a job (CBC)",
            access: .roles(editors),
            scope: .named,
            body: ("OptimizeRequest", "application/json", true),
            responses: [
                .json(202, "JobAccepted", "the job"), .json(404, "Error", "no planogram"),
                .json(429, "Error", "queue full for this user"),
            ],
            tag: "optimizer"
        ),
        Op(
            method: "POST",
            path: "/api/planograms/optimize/batch",
            name: "optimize_batch",
            summary: "The optimizer on many devices, as a job",
            access: .roles(planners),
            scope: .named,
            body: ("OptimizeBatchRequest", "application/json", false),
            responses: [
                .json(202, "JobAccepted", "the job"), .json(422, "Error", "no device to optimize"),
                .json(429, "Error", "queue full for this user"),
            ],
            tag: "optimizer"
        ),

        // Experiments and fleet analytics.
        Op(
            method: "POST",
            path: "/api/experiments",
            name: "experiments_create",
            summary: "Designs a paired experiment and publishes the treatment",
            access: .roles(planners),
            scope: .named,
            body: ("ExperimentRequest", "application/json", true),
            responses: [
                .json(201, "ExperimentCreated", "created and published"),
                .json(
                    422,
                    "Error",
                    "too_few_devices, device_in_experiment, start_in_past, rule_broken, treatment_incomplete"
                ),
            ],
            tag: "experiments"
        ),
        Op(
            method: "GET",
            path: "/api/experiments",
            name: "experiments",
            summary: "Experiments whose every device the token covers",
            access: .roles(planners),
            scope: .filtered,
            responses: [.json(200, "ExperimentList", "the experiments")],
            tag: "experiments"
        ),
        Op(
            method: "GET",
            path: "/api/experiments/{id}",
            name: "experiment",
            summary: "An experiment with its estimate and decision",
            access: .roles(planners),
            scope: .named,
            parameters: [experimentID],
            responses: [.json(200, "Experiment", "the experiment"), .json(404, "Error", "no such experiment")],
            tag: "experiments"
        ),
        Op(
            method: "GET",
            path: "/api/experiments/{id}/events",
            name: "experiment_events",
            summary: "The estimate, at once and after every import",
            access: .roles(planners),
            scope: .named,
            parameters: [experimentID],
            responses: [.stream("estimate events")],
            events: [
                ("estimate", "the experiment as GET /api/experiments/{id} without its series"),
                ("error", "{code, message}"),
            ],
            tag: "experiments"
        ),
        Op(
            method: "POST",
            path: "/api/experiments/{id}/stop",
            name: "experiment_stop",
            summary: "Stops an experiment (its data is kept)",
            access: .roles(planners),
            scope: .named,
            parameters: [experimentID],
            responses: [
                .json(200, "Experiment", "stopped"), .json(404, "Error", "no such experiment"),
                .json(409, "Error", "not_running"),
            ],
            tag: "experiments"
        ),
        Op(
            method: "GET",
            path: "/api/fleet/kpis",
            name: "fleet_kpis",
            summary: "The fleet's KPIs beside their baseline and target",
            access: .roles(planners),
            scope: .filtered,
            parameters: [
                P.query("from", "first day", schema: APISchema.date), P.query("to", "last day", schema: APISchema.date),
            ],
            responses: [.json(200, "FleetKPIs", "the KPIs")],
            tag: "experiments"
        ),

        // Live sessions.
        Op(
            method: "POST",
            path: "/api/sessions",
            name: "sessions_open",
            summary: "Opens (201) or joins (200) a cabinet's live session",
            access: .roles(editors),
            scope: .named,
            body: ("SessionOpen", "application/json", true),
            responses: [
                .json(201, "SessionSummary", "created"), .json(200, "SessionSummary", "joined"),
                .json(404, "Error", "unknown cabinet"),
            ],
            tag: "sessions"
        ),
        Op(
            method: "GET",
            path: "/api/sessions",
            name: "sessions_list",
            summary: "Open sessions of the token's devices",
            access: .roles(editors),
            scope: .filtered,
            responses: [.json(200, "SessionList", "the sessions")],
            tag: "sessions"
        ),
        Op(
            method: "GET",
            path: "/api/sessions/events",
            name: "sessions_events",
            summary: "The list of open sessions, whenever it changes",
            access: .roles(editors),
            scope: .filtered,
            responses: [.stream("sessions events")],
            events: [("sessions", "{sessions: [summary]}")],
            tag: "sessions"
        ),
        Op(
            method: "GET",
            path: "/api/sessions/{sid}",
            name: "session",
            summary: "A session's snapshot",
            access: .roles(editors),
            scope: .path("sid"),
            parameters: [sid],
            responses: [.json(200, "SessionSnapshot", "the snapshot"), .json(404, "Error", "no live session")],
            tag: "sessions"
        ),
        Op(
            method: "GET",
            path: "/api/sessions/{sid}/events",
            name: "session_events",
            summary: "A session's events (resume with Last-Event-ID)",
            access: .roles(editors),
            scope: .path("sid"),
            parameters: [sid],
            responses: [.stream("snapshot, then the session's events")],
            events: [
                ("snapshot", "the session's state"), ("op", "{seq, version, op, by, name, client_op_id}"),
                ("published", "{planogram_version, by, name, seq, version}"), ("score", "scores of touched slots"),
                ("heatmap", "the draft's heat map"), ("revenue", "the draft's revenue prediction"),
                ("drag", "a dragged product's score"),
                ("presence", "who is connected"), ("checkpoint", "{version, seq, at}"),
                ("proposal", "an optimizer proposal"),
                ("reasoning", "{request_id, slot, delta, source}"),
                ("reasoning_done", "{request_id, slot, text, source, model, usage}"),
                ("reasoning_error", "{request_id, slot, message, fallback}"), ("shutdown", "the server is stopping"),
            ],
            tag: "sessions"
        ),
        Op(
            method: "POST",
            path: "/api/sessions/{sid}/ops",
            name: "session_ops",
            summary: "One op (place, move, swap, clear, set_capacity, set_par)",
            access: .roles(sessionEditors),
            scope: .path("sid"),
            parameters: [sid],
            body: ("SessionOpRequest", "application/json", true),
            responses: [
                .json(200, "SessionOpAck", "durable; a repeated client_op_id returns its first result"),
                .json(409, "Error", "conflict"), .json(422, "Error", "a hard rule"),
                .json(404, "Error", "no live session"),
            ],
            tag: "sessions"
        ),
        Op(
            method: "POST",
            path: "/api/sessions/{sid}/drag",
            name: "session_drag",
            summary: "A drag position, scored at most once a frame",
            access: .roles(sessionEditors),
            scope: .path("sid"),
            parameters: [sid],
            body: ("DragRequest", "application/json", true),
            responses: [.json(202, "Accepted", "accepted"), .json(404, "Error", "no live session")],
            tag: "sessions"
        ),
        Op(
            method: "POST",
            path: "/api/sessions/{sid}/explain",
            name: "session_explain",
            summary: "An explanation streamed to every subscriber (Claude or the rules narrator)",
            access: .roles(editors),
            scope: .path("sid"),
            parameters: [sid],
            body: ("ExplainRequest", "application/json", false),
            responses: [
                .json(202, "ExplainAccepted", "streaming"), .json(404, "Error", "no live session"),
                .json(429, "Error", "too many"),
            ],
            tag: "sessions"
        ),
        Op(
            method: "POST",
            path: "/api/sessions/{sid}/publish",
            name: "session_publish",
            summary: "Publishes the draft as the next version",
            access: .roles(editors),
            scope: .path("sid"),
            parameters: [sid],
            responses: [.json(200, "Published", "published"), .json(404, "Error", "no live session")],
            tag: "sessions"
        ),
        Op(
            method: "POST",
            path: "/api/sessions/{sid}/propose",
            name: "session_propose",
            summary: "The optimizer on the draft, as a job",
            access: .roles(sessionEditors),
            scope: .path("sid"),
            parameters: [sid],
            body: ("ProposeRequest", "application/json", false),
            responses: [.json(202, "Proposal", "the job"), .json(404, "Error", "no live session")],
            tag: "sessions"
        ),
        Op(
            method: "POST",
            path: "/api/sessions/{sid}/proposals/{id}/apply",
            name: "session_proposal_apply",
            summary: "Applies a proposal's changes as ops",
            access: .roles(sessionEditors),
            scope: .path("sid"),
            parameters: [sid, P.path("id", "a proposal id")],
            responses: [
                .init(status: 200, description: "{applied, version, proposal_id}", schema: nil),
                .json(404, "Error", "no such proposal"),
                .json(409, "Error", "proposal_stale"),
            ],
            tag: "sessions"
        ),
    ]
}
