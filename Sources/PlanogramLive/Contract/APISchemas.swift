import HTTPAPI
import Sessions

/// JSON Schema (OpenAPI 3.1) building blocks and the named schemas of the API's bodies (`components.schemas`
/// of `GET /api/openapi.json`). Each named schema mirrors a response or request body as the routes write it
/// (the Codable types of `APITypes.swift`, or the trees of `InsightJSON`/`SessionEvents`); schemathesis checks
/// them against the running server in `Ops/test`. Objects list the keys the server always writes as
/// `required`; further keys may be added without breaking a client (no `additionalProperties: false`).
enum APISchema {
    static let string: JSONValue = ["type": "string"]
    static let integer: JSONValue = ["type": "integer"]
    static let number: JSONValue = ["type": "number"]
    static let boolean: JSONValue = ["type": "boolean"]
    static let anyValue: JSONValue = [:]
    static let anyObject: JSONValue = ["type": "object"]
    static let dateTime: JSONValue = ["type": "string", "format": "date-time"]
    static let date: JSONValue = ["type": "string", "format": "date"]

    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }
    static func array(_ items: JSONValue) -> JSONValue { ["type": "array", "items": items] }
    static func nullable(_ schema: JSONValue) -> JSONValue {
        if case .string(let t)? = schema["type"] { return schema.merging(["type": [.string(t), "null"]]) }
        return ["anyOf": [schema, ["type": "null"]]]
    }
    static func enumeration(_ values: [String]) -> JSONValue {
        ["type": "string", "enum": .array(values.map { .string($0) })]
    }
    static func map(_ values: JSONValue) -> JSONValue { ["type": "object", "additionalProperties": values] }

    /// An object whose keys are all written (required), plus `optional` keys that may be absent.
    static func object(_ required: [(String, JSONValue)], optional: [(String, JSONValue)] = []) -> JSONValue {
        var properties: [String: JSONValue] = [:]
        for (k, v) in required + optional { properties[k] = v }
        var o: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { o["required"] = .array(required.map { .string($0.0) }) }
        return .object(o)
    }

    static let roles = enumeration(["merchandiser", "manager", "driver", "admin"])
    static let temperature = enumeration(["ambient", "chilled", "frozen"])

    /// The named schemas. Optional fields of the Codable request types take `null` as "left out".
    static let components: [String: JSONValue] = {
        var c: [String: JSONValue] = [:]
        c["Error"] = object([
            ("error", object([("code", string), ("message", string)], optional: [("details", anyValue)]))
        ])
        c["Status"] = object([("status", string)])
        c["Cabinet"] = object([
            ("cabinet_index", integer), ("rows", integer), ("columns", integer), ("temperature", temperature),
            ("row_heights_mm", array(integer)),
        ])
        c["Device"] = object(
            [
                ("device_id", string), ("name", string), ("venue_type", string), ("device_type", string),
                ("cabinets", array(ref("Cabinet"))),
            ],
            optional: [
                ("latitude", nullable(number)), ("longitude", nullable(number)), ("access_from", nullable(string)),
                ("access_until", nullable(string)), ("service_minutes", nullable(integer)),
                ("dex_serial", nullable(string)),
            ]
        )
        c["DeviceList"] = object([("devices", array(ref("Device")))])
        c["Product"] = object(
            [
                ("product_id", string), ("name", string), ("category", string), ("price", number),
                ("unit_cost", number),
                ("temperature", temperature), ("height_mm", integer), ("width_cols", integer),
            ],
            optional: [("shelf_life_days", nullable(integer)), ("case_size", integer)]
        )
        c["ProductList"] = object([("products", array(ref("Product")))])
        c["Depot"] = object([
            ("depot_id", string), ("name", string), ("latitude", number), ("longitude", number), ("opens", string),
            ("closes", string),
        ])
        c["DepotList"] = object([("depots", array(ref("Depot")))])
        c["Vehicle"] = object([
            ("vehicle_id", string), ("depot_id", string), ("capacity_units", integer), ("shift_start", string),
            ("shift_end", string),
        ])
        c["VehicleList"] = object([("vehicles", array(ref("Vehicle")))])
        c["PlanogramSlot"] = object(
            [("slot", string), ("product_id", string), ("capacity", integer)],
            optional: [("width_cols", integer)]
        )
        c["Planogram"] = object(
            [
                ("device_id", string), ("cabinet_index", integer), ("version", integer),
                ("slots", array(ref("PlanogramSlot"))),
            ],
            optional: [("effective_from", nullable(string))]
        )
        c["PlanogramInput"] = [
            "description":
                "A planogram: {\"slots\": [{slot, product_id, capacity}]}, a bare array of those, or an object keyed by slot",
            "anyOf": [object([("slots", array(ref("PlanogramSlot")))]), array(ref("PlanogramSlot")), anyObject],
        ]
        c["HeatMap"] = object([
            ("device_id", string), ("cabinet_index", integer), ("version", integer), ("model_version", string),
            (
                "cells",
                array(
                    object(
                        [("slot", string), ("value", number), ("revenue_per_day", number)],
                        optional: [("observations", integer)]
                    )
                )
            ),
        ])
        c["Score"] = object(
            [
                ("product_id", string), ("slot_position", string), ("score", number), ("constraints_passed", boolean),
                ("violations", array(anyObject)), ("factors", array(anyObject)), ("model_version", string),
            ],
            optional: [("reasoning", string), ("suggestions", array(anyObject))]
        )
        c["ScoreRequest"] = object(
            [("device_id", string), ("cabinet_index", integer), ("product_id", string), ("slot_position", string)],
            optional: [("capacity", nullable(integer)), ("planogram", nullable(ref("PlanogramInput")))]
        )
        c["RevenuePrediction"] = object(
            [
                ("predicted_revenue", number), ("baseline_revenue", number), ("lift_percentage", number),
                ("forecast_days", integer),
            ],
            optional: [
                ("confidence_interval", array(number)), ("confidence_level", number),
                ("break_even_days", nullable(number)),
                ("prediction_id", integer), ("model_version", string),
            ]
        )
        c["PredictRequest"] = object(
            [("device_id", string), ("cabinet_index", integer), ("proposed_planogram", ref("PlanogramInput"))],
            optional: [("current_planogram", nullable(ref("PlanogramInput"))), ("forecast_days", nullable(integer))]
        )
        c["SlotForecast"] = object(
            [
                ("cabinet_index", integer), ("slot", string), ("product_id", string), ("units_per_day", number),
                ("expected_units", number),
                ("interval", array(number)), ("capacity", integer),
            ],
            optional: [
                ("stock_now", nullable(integer)), ("empty_at", nullable(string)),
                ("stockout_probability", nullable(number)),
                ("expiring_units", integer), ("expires_at", nullable(string)), ("expired_units", integer),
                ("stock_basis", string),
            ]
        )
        c["DeviceForecast"] = object([
            ("device_id", string), ("as_of", string), ("days", integer), ("next_visit", string),
            ("model_version", string),
            ("history_resolution", enumeration(["vends", "days", "mixed", "intervals", "none"])),
            ("demand_model", enumeration(["count_model", "pooled_slot_levels", "venue_rates"])),
            ("interval_level", number), ("slots", array(ref("SlotForecast"))), ("totals", anyObject),
        ])
        c["Recommendations"] = object([
            ("device_id", string), ("venue_type", string),
            (
                "recommendations",
                array(
                    object([
                        ("product_id", string), ("name", string), ("basis", enumeration(["device", "venue", "fleet"])),
                    ])
                )
            ),
        ])
        c["VisitLine"] = object(
            [("slot", string), ("units_added", integer)],
            optional: [("cabinet_index", nullable(integer)), ("units_pulled", nullable(integer))]
        )
        c["VisitRequest"] = object(
            [("device_id", string), ("at", dateTime), ("lines", array(ref("VisitLine")))],
            optional: [("visit_id", nullable(string))]
        )
        c["VisitRecorded"] = object([("visit_id", string), ("recorded", boolean), ("lines", integer)])
        c["PlannedVisit"] = object([
            ("device_id", string), ("date", string), ("at", string), ("reasons", array(string)),
            ("units_to_load", integer),
        ])
        c["ServicePlan"] = object(
            [
                ("from", string), ("days", integer), ("as_of", string), ("time_zone", string), ("visit_cost", number),
                ("visits", array(ref("PlannedVisit"))),
            ],
            optional: [
                (
                    "budget",
                    object(
                        [
                            ("met", boolean), ("visit_cost_found", number), ("plans_tried", integer),
                            ("busiest_day", integer), ("expiry_visits", boolean),
                        ],
                        optional: [("visits_per_day", integer), ("visits_per_week", integer)]
                    )
                )
            ]
        )
        let tradeoffPoint = object([
            ("visits_per_day", number), ("visits", integer), ("visit_cost", number),
            ("expected_stockout_hours", number), ("expected_spoiled_units", number),
        ])
        c["PlanTradeoff"] = object([
            ("from", string), ("days", integer), ("devices", integer), ("at_set_price", tradeoffPoint),
            ("points", array(tradeoffPoint)),
        ])
        c["PickLists"] = object([
            ("date", string), ("time_zone", string), ("service_level", number),
            ("pick_rule", enumeration(["model", "par", "max"])),
            ("visits", array(object([("device_id", string), ("lines", array(anyObject))]))),
            ("totals", array(object([("product_id", string), ("units", integer), ("cases", integer)]))),
        ])
        c["JobAccepted"] = object([("job_id", string), ("events_url", string)])
        c["Job"] = object(
            [
                ("job_id", string), ("kind", string),
                ("state", enumeration(["queued", "running", "done", "failed", "cancelled"])),
                ("progress", number), ("message", string),
            ],
            optional: [("result", anyValue), ("error", nullable(string))]
        )
        c["JobCancelling"] = object([("job_id", string), ("cancelling", boolean)])
        c["FleetPlanRequest"] = object(
            [],
            optional: [
                ("days", nullable(integer)), ("visits_per_day", nullable(integer)),
                ("visits_per_week", nullable(integer)),
            ]
        )
        c["RoutePlanRequest"] = object(
            [("date", date)],
            optional: [
                ("depot_id", nullable(string)), ("vehicle_ids", nullable(array(string))),
                ("device_ids", nullable(array(string))),
                ("time_limit_seconds", nullable(number)),
            ]
        )
        c["DayRoutes"] = object([
            ("date", string), ("job_id", string),
            ("routes", array(object([("vehicle_id", string), ("stops", array(anyObject))]))),
            ("unassigned", array(object([("device_id", string), ("reason", string)]))), ("cost", number),
        ])
        c["OptimizeRequest"] = object(
            [("device_id", string)],
            optional: [
                ("cabinet_index", integer), ("objective", enumeration(["revenue", "margin"])),
                ("locked_slots", array(string)),
                ("candidate_products", array(string)), ("min_facings", anyObject), ("max_facings", anyObject),
                ("time_limit_seconds", number),
            ]
        )
        c["ProposeRequest"] = object(
            [],
            optional: [
                ("objective", enumeration(["revenue", "margin"])), ("locked_slots", array(string)),
                ("candidate_products", array(string)), ("min_facings", anyObject), ("max_facings", anyObject),
                ("time_limit_seconds", number),
            ]
        )
        c["OptimizeBatchRequest"] = object(
            [],
            optional: [("device_ids", array(string)), ("venue_type", string), ("time_limit_seconds", number)]
        )
        c["ExperimentRequest"] = object(
            [
                ("name", string), ("treatment", ["anyOf": [enumeration(["optimizer"]), anyObject]]),
                ("metric", enumeration(["revenue", "units", "stockouts"])), ("start", date),
            ],
            optional: [
                ("hypothesis", nullable(string)), ("device_ids", nullable(array(string))),
                ("venue_type", nullable(string)),
                ("min_days", nullable(integer)), ("seed", nullable(integer)),
            ]
        )
        c["ExperimentCreated"] = object([
            ("experiment_id", string), ("assignment", map(string)), ("seed", string), ("strata", array(array(string))),
            ("published", array(anyObject)),
        ])
        c["Experiment"] = object(
            [("experiment_id", string), ("name", string), ("status", string), ("metric", string)],
            optional: [("estimate", nullable(anyObject)), ("decision", string), ("days", integer)]
        )
        c["ExperimentList"] = object([("experiments", array(ref("Experiment")))])
        c["FleetKPIs"] = object([
            ("from", string), ("to", string), ("devices", integer), ("kpis", array(anyObject)), ("series", anyObject),
        ])
        c["SessionOpen"] = object([("device_id", string), ("cabinet_index", integer)])
        c["SessionSummary"] = object(
            [
                ("session_id", string), ("device_id", string), ("cabinet_index", integer), ("version", integer),
                ("seq", integer),
            ],
            optional: [
                ("created", boolean), ("events_url", string), ("participants", array(anyValue)), ("ops", integer),
            ]
        )
        c["SessionList"] = object([("sessions", array(ref("SessionSummary")))])
        c["SessionSnapshot"] = object(
            [
                ("session_id", string), ("device_id", string), ("cabinet_index", integer), ("version", integer),
                ("seq", integer),
                ("planogram", anyObject),
            ],
            optional: [
                ("published_version", integer), ("last_event_id", string), ("participants", array(anyValue)),
                ("heatmap", nullable(anyObject)), ("revenue", nullable(anyObject)),
            ]
        )
        c["SessionOpRequest"] = object([("client_op_id", string), ("base_version", integer), ("op", anyObject)])
        c["SessionOpAck"] = object([("seq", integer), ("version", integer)])
        c["DragRequest"] = object(
            [("product_id", string)],
            optional: [("slot", nullable(string)), ("client_ts", string)]
        )
        c["Accepted"] = object([("accepted", boolean)])
        c["ExplainRequest"] = object([], optional: [("slot", nullable(string))])
        c["ExplainAccepted"] = object([("request_id", string), ("slot", nullable(string))])
        c["Published"] = object([("planogram_version", integer), ("seq", integer), ("version", integer)])
        c["Proposal"] = object([("job_id", string), ("proposal_id", string), ("events_url", string)])
        c["ImportRequest"] = object([("files", map(string))])
        c["ImportReport"] = object([
            ("imported", anyValue), ("rows_read", integer), ("rows_written", integer), ("seconds", number),
        ])
        c["DriverVehicleRequest"] = object([("vehicle_id", nullable(string))])
        c["DriverVehicle"] = object([("driver", string), ("vehicle_id", nullable(string))])
        c["DriverList"] = object([
            (
                "drivers",
                array(
                    object([
                        ("driver", string), ("vehicle_id", string), ("assigned_by", string), ("assigned_at", dateTime),
                    ])
                )
            )
        ])
        c["ExportText"] = ["type": "string", "description": "a telemetry export as CSV with its header row"]
        c["TransactionImportReport"] = object(
            [
                ("rows_read", integer), ("imported", integer), ("already_recorded", integer), ("skipped", integer),
                ("skipped_rows", array(object([("line", integer), ("reason", string)]))),
                ("devices_created", array(string)), ("products_created", integer),
                ("planogram_versions_created", integer), ("resolution", enumeration(["day", "time"])),
                ("assumptions", array(string)), ("seconds", number),
            ],
            optional: [("first_day", nullable(string)), ("last_day", nullable(string))]
        )
        c["CVDFile"] = ["type": "string", "format": "binary", "description": "a CVD database (SQLite file)"]
        let leftOut = array(object([("item", string), ("reason", string)], optional: [("serial", string)]))
        c["DEXSerialRequest"] = object([("serial", string)])
        c["DEXSerialLink"] = object([("device_id", string), ("serial", string)])
        c["CVDReport"] = object([
            ("devices_migrated", array(string)), ("devices_left_out", leftOut), ("cabinets", integer),
            ("slots_filled", integer), ("slots_empty", integer), ("planogram_versions_created", integer),
            ("products_migrated", integer), ("placeholder_products", array(string)),
            ("categories_as_other", array(string)), ("capacities_raised", integer), ("pars_above_capacity", integer),
            ("slot_prices_differing", integer), ("slots_left_out", leftOut), ("sales_rows", integer),
            ("sales_units_written", integer), ("sales_left_out", integer), ("sales_left_out_listed", leftOut),
            ("fills_written", integer), ("fills_left_out", integer), ("fills_left_out_listed", leftOut),
            ("dex_reads_recorded", integer), ("dex_reads_left_out", leftOut), ("route_disagreements", integer),
            ("already_migrated", boolean), ("assumptions", array(string)), ("seconds", number),
        ])
        c["DEXReadList"] = object([
            ("device_id", string),
            (
                "reads",
                array(
                    object(
                        [
                            ("read_id", string), ("read_at", dateTime), ("read_at_basis", string),
                            ("recorded_by", string), ("selections", array(string)), ("unmapped", array(string)),
                        ],
                        optional: [("machine_serial", nullable(string))]
                    )
                )
            ),
        ])
        c["DEXText"] = ["type": "string", "description": "a DEX (EVA-DTS) read as the machine wrote it, DXS to DXE"]
        c["SelectionMap"] = [
            "description": "{cabinet_index: {selection: [slot, ...]}}",
            "type": "object",
            "additionalProperties": map(array(string)),
        ]
        c["DEXRead"] = object([
            ("read_id", string), ("device_id", string), ("machine_serial", nullable(string)), ("read_at", dateTime),
            ("read_at_basis", enumeration(["machine", "received", "given"])), ("recorded", boolean),
            (
                "selections",
                array(
                    object([
                        ("selection", string), ("price", nullable(number)), ("vends_total", nullable(integer)),
                        ("value_total", nullable(number)), ("vends_since_previous", nullable(integer)),
                        ("slots", array(object([("cabinet_index", integer), ("slot", string)]))),
                    ])
                )
            ),
            ("unmapped", array(string)), ("warnings", array(string)),
        ])
        c["DemoTokens"] = object([("tokens", array(object([("role", roles), ("token", string)])))])
        return c
    }()
}
