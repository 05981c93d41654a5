import HTTPAPI
import PlanogramDomain

/// `GET /api/openapi.json`: the OpenAPI 3.1 document of every route, built from `APIOperations.all` and
/// `APISchema.components` (docs/API.md explains it). Roles are in each operation's `security` scopes and
/// in `x-roles`; how the `devices` claim applies is `x-device-scope`; an SSE stream lists its events in
/// `x-events`. Every operation also answers the error shape for what the router and the limits refuse
/// (`default`).
package enum OpenAPIDocument {
    static let version = "3.0.0"

    /// The document as the route serves it (keys sorted).
    package static func encoded(demo: Bool) throws -> [UInt8] { try APIJSON.encode(build(demo: demo)) }

    static func build(demo: Bool) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for op in APIOperations.all where demo || !op.demoOnly {
            let entry = operation(op)
            var item = paths[op.path] ?? [:]
            item = item.merging(.object([op.method.lowercased(): entry]))
            paths[op.path] = item
        }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "Planogram Live",
                "version": .string(version),
                "description":
                    "Realtime planogram collaboration, forecasts, service plans, routes, the optimizer and experiments for vending operators. Prose: docs/API.md.",
            ],
            "servers": [["url": "/"]],
            "tags": .array(Set(APIOperations.all.map(\.tag)).sorted().map { ["name": .string($0)] }),
            "paths": .object(paths),
            "components": [
                "schemas": .object(APISchema.components),
                "securitySchemes": [
                    "bearer": [
                        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                        "description":
                            "HS256 with sub, name, role, exp and an optional devices claim; also ?access_token=",
                    ]
                ],
            ],
        ]
    }

    static func operation(_ op: APIOperation) -> JSONValue {
        var o: [String: JSONValue] = [
            "operationId": .string(op.name),
            "summary": .string(op.summary),
            "tags": [.string(op.tag)],
            "x-device-scope": .string(scopeText(op.scope)),
        ]
        switch op.access {
        case .open:
            o["security"] = []
        case .roles(let roles):
            let names = roles.map(\.rawValue).sorted()
            o["security"] = [["bearer": .array(names.map { .string($0) })]]
            o["x-roles"] = .array(names.map { .string($0) })
        }
        if !op.parameters.isEmpty {
            o["parameters"] = .array(
                op.parameters.map { p in
                    [
                        "name": .string(p.name), "in": .string(p.location), "required": .bool(p.required),
                        "schema": p.schema,
                        "description": .string(p.description),
                    ]
                }
            )
        }
        if let body = op.body {
            var content: [String: JSONValue] = [body.contentType: ["schema": APISchema.ref(body.schema)]]
            for other in op.alsoAccepts { content[other] = ["schema": APISchema.string] }
            o["requestBody"] = ["required": .bool(body.required), "content": .object(content)]
        }
        var responses: [String: JSONValue] = [:]
        for r in op.responses {
            var entry: [String: JSONValue] = ["description": .string(r.description)]
            if let schema = r.schema {
                entry["content"] = .object([r.contentType: ["schema": APISchema.ref(schema)]])
            } else if r.contentType != "application/json" || r.status == 200 {
                entry["content"] = .object([
                    r.contentType: [
                        "schema": r.contentType == "application/json" ? APISchema.anyObject : APISchema.string
                    ]
                ])
            }
            responses[String(r.status)] = .object(entry)
        }
        if case .roles = op.access {
            responses["401"] =
                responses["401"] ?? errorResponse("no token, or a token that is malformed, expired or badly signed")
            responses["403"] =
                responses["403"]
                ?? errorResponse("the role may not call this route, or a device is outside the token's claim")
        }
        responses["default"] = errorResponse(
            "any other refusal: 400 bad request (naming the field), 404, 405, 413, 415, 422, 429, 503"
        )
        o["responses"] = .object(responses)
        if !op.events.isEmpty {
            o["x-events"] = .object(
                Dictionary(uniqueKeysWithValues: op.events.map { ($0.name, JSONValue.string($0.data)) })
            )
        }
        return .object(o)
    }

    static func errorResponse(_ description: String) -> JSONValue {
        ["description": .string(description), "content": ["application/json": ["schema": APISchema.ref("Error")]]]
    }

    static func scopeText(_ scope: APIOperation.DeviceScope) -> String {
        switch scope {
        case .none: "none"
        case .path(let name): "path:\(name)"
        case .named: "named"
        case .filtered: "filtered"
        case .job: "job"
        }
    }
}
