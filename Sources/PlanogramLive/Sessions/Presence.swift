import Foundation
import PlanogramDomain

/// Someone connected to a session's event stream.
struct Participant: Sendable {
    let user: String
    let name: String
    let role: Role
    var connections: Int
    let since: Date
    var mode: String { role == .merchandiser || role == .admin ? "editing" : "watching" }
    var json: [String: Any] {
        ["user": user, "name": name, "role": role.rawValue, "mode": mode, "connected_since": FieldFormat.iso(since)]
    }
}

/// Who is connected to a session: one entry per user however many streams they hold open. A pure value;
/// `join` and `leave` say whether the list others see has changed (a second tab of the same user does
/// not change it).
struct Presence: Sendable {
    private(set) var participants: [String: Participant] = [:]

    mutating func join(_ p: Principal, at now: Date) -> Bool {
        var entry = participants[p.subject] ?? Participant(user: p.subject, name: p.name, role: p.role, connections: 0, since: now)
        entry.connections += 1
        participants[p.subject] = entry
        return entry.connections == 1
    }

    mutating func leave(_ user: String) -> Bool {
        guard var entry = participants[user] else { return false }
        entry.connections -= 1
        if entry.connections > 0 { participants[user] = entry; return false }
        participants[user] = nil
        return true
    }

    var hasEditors: Bool { participants.values.contains { $0.mode == "editing" } }

    var json: [[String: Any]] { participants.values.sorted { $0.user < $1.user }.map(\.json) }
}

enum FieldFormat {
    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }
}
