import Foundation
import HTTPAPI
import PlanogramDomain

/// Someone connected to a session's event stream.
struct Participant: Sendable {
    let user: String
    let name: String
    let role: Role
    var connections: Int
    let since: Date
    /// `since` as ISO 8601, formatted once at join (listings and presence events read it often).
    let sinceText: String
    var mode: String { role == .merchandiser || role == .admin ? "editing" : "watching" }
    var body: ParticipantBody {
        ParticipantBody(user: user, name: name, role: role.rawValue, mode: mode, connectedSince: sinceText)
    }
}

/// Who is connected to a session: one entry per user however many streams they hold open. A pure value;
/// `join` and `leave` say whether the list others see has changed (a second tab of the same user does
/// not change it).
struct Presence: Sendable {
    private(set) var participants: [String: Participant] = [:]

    mutating func join(_ p: Principal, at now: Date) -> Bool {
        var entry =
            participants[p.subject]
            ?? Participant(
                user: p.subject,
                name: p.name,
                role: p.role,
                connections: 0,
                since: now,
                sinceText: FieldFormat.iso(now)
            )
        entry.connections += 1
        participants[p.subject] = entry
        return entry.connections == 1
    }

    mutating func leave(_ user: String) -> Bool {
        guard var entry = participants[user] else { return false }
        entry.connections -= 1
        if entry.connections > 0 {
            participants[user] = entry
            return false
        }
        participants[user] = nil
        return true
    }

    var hasEditors: Bool { participants.values.contains { $0.mode == "editing" } }

    /// Everyone connected, by user.
    var bodies: [ParticipantBody] { participants.values.sorted { $0.user < $1.user }.map(\.body) }
}

enum FieldFormat {
    /// ISO 8601 in UTC to the second (`2026-11-25T12:00:00Z`), without a formatter object per call.
    static func iso(_ d: Date) -> String {
        var t = time_t(d.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return
            "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
