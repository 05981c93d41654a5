import HTTPAPI
import PlanogramDomain

/// The role × route matrix of docs/API.md, drawn from `APIOperations.all` (`planogram-live openapi --matrix`
/// prints it; `ContractTests` holds docs/API.md to it, `RoleMatrixTests` walks it against the server).
package enum RoleMatrix {
    static let columns: [Role] = [.merchandiser, .manager, .driver, .admin]

    package static func markdown() -> String {
        var lines = [
            "| route | merchandiser | manager | driver | admin | devices claim |",
            "|---|---|---|---|---|---|",
        ]
        for op in APIOperations.all {
            let cells = columns.map { role -> String in
                switch op.access {
                case .open: "open"
                case .roles(let r): r.contains(role) ? "yes" : "403"
                }
            }
            lines.append(
                "| `\(op.method) \(op.path)` | " + cells.joined(separator: " | ") + " | \(claimText(op.scope)) |"
            )
        }
        return lines.joined(separator: "\n")
    }

    static func claimText(_ scope: APIOperation.DeviceScope) -> String {
        switch scope {
        case .none: "—"
        case .path(let p): "403 outside (`{\(p)}`)"
        case .named: "403 for a named device outside"
        case .filtered: "answer narrowed to it"
        case .job: "owner, admin, or covers the job's devices"
        }
    }
}
