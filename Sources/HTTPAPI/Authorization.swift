import EventLoopHTTP
import Foundation

/// Tokens already verified, so a busy client does not pay for HMAC and JSON on every request.
/// Expiry is still checked on every use. Bounded: emptied when it reaches 10,000 tokens.
package final class VerifiedTokens: @unchecked Sendable {
    private let lock = NSLock()
    private var map: [String: Principal] = [:]

    func lookup(_ token: String) -> Principal? {
        lock.lock()
        defer { lock.unlock() }
        return map[token]
    }

    func store(_ token: String, _ p: Principal) {
        lock.lock()
        defer { lock.unlock() }
        if map.count >= 10_000 { map.removeAll() }
        map[token] = p
    }
}

/// Who may call what: the bearer token from the header or `?access_token=`, verified, then the role
/// and the `devices` claim checked. Failures are 401 (no or bad token) or 403 (role or device).
package struct Authorization: Sendable {
    let authority: TokenAuthority
    let verified = VerifiedTokens()

    package init(authority: TokenAuthority) { self.authority = authority }

    /// The token without the blanks around it. An ASCII token (every real one) is trimmed byte by byte: Foundation's
    /// `trimmingCharacters` goes through NSString and was a sixth of the server's time under the drag benchmark.
    static func trimmed(_ text: Substring) -> String {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return text.trimmingCharacters(in: .whitespaces) }
        var s = text
        while let first = s.utf8.first, first == 0x20 || first == 0x09 { s = s.dropFirst() }
        while let last = s.utf8.last, last == 0x20 || last == 0x09 { s = s.dropLast() }
        return String(s)
    }

    func principal(_ req: HTTPRequest) throws(APIError) -> Principal {
        var token: String?
        if let h = req.headers["authorization"] {
            let parts = h.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw .unauthorized("Authorization must be \"Bearer <token>\"")
            }
            token = Self.trimmed(parts[1])
        } else {
            token = req.queryValue("access_token")
        }
        guard let token, !token.isEmpty else { throw .unauthorized(TokenError.missing.description) }
        let now = Int64(Date().timeIntervalSince1970)
        if let p = verified.lookup(token), p.expires > now { return p }
        do {
            let p = try authority.verify(token, now: now)
            verified.store(token, p)
            return p
        } catch { throw .unauthorized(error.description) }
    }

    /// The caller, if their role is one of `roles`.
    package func require(_ req: HTTPRequest, _ roles: Set<Role>) throws(APIError) -> Principal {
        let p = try principal(req)
        guard roles.contains(p.role) else {
            throw .forbidden(
                "role \(p.role.rawValue) may not \(req.method) \(req.path) (allowed: \(roles.map(\.rawValue).sorted().joined(separator: ", ")))"
            )
        }
        return p
    }

    /// The check of a route's head (`HTTPAdmission`): a request whose token or role would be refused is
    /// answered 401/403 before its body is read.
    package func admit(_ roles: Set<Role>) -> HTTPAdmission {
        { req in
            do throws(APIError) {
                _ = try require(req, roles)
                return nil
            } catch {
                return error.response
            }
        }
    }

    /// Refuses a device outside the token's `devices` claim.
    package func requireDevice(_ p: Principal, _ deviceID: String) throws(APIError) {
        guard p.mayTouch(device: deviceID) else { throw .forbidden("this token does not cover device \(deviceID)") }
    }
}

extension Set where Element == Role {
    package static let anyRole: Set<Role> = Set(Role.allCases)
    package static let editors: Set<Role> = [.merchandiser, .manager, .admin]
    package static let adminOnly: Set<Role> = [.admin]
}
