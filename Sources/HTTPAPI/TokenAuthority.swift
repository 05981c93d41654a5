import Crypto
import Foundation

/// A role of README.md.
package enum Role: String, Sendable, CaseIterable, Codable {
    case merchandiser, manager, driver, admin
}

/// The verified claims of a bearer token.
package struct Principal: Sendable, Equatable {
    package let subject: String
    package let name: String
    package let role: Role
    package let expires: Int64
    /// Devices the holder may touch; nil means all.
    package let devices: Set<String>?
    /// A driver's truck (the `vehicle` claim): their routes and pick lists are that truck's, and no other's.
    package var vehicle: String? = nil

    package init(
        subject: String,
        name: String,
        role: Role,
        expires: Int64,
        devices: Set<String>?,
        vehicle: String? = nil
    ) {
        self.subject = subject
        self.name = name
        self.role = role
        self.expires = expires
        self.devices = devices
        self.vehicle = vehicle
    }

    package func mayTouch(device id: String) -> Bool { devices?.contains(id) ?? true }
}

/// Why a token was refused (every case is a 401 with this message).
package enum TokenError: Error, Equatable, CustomStringConvertible {
    case missing, malformed
    case unsupportedAlgorithm(String)
    case badSignature, expired, notYetValid
    case badClaims(String)
    package var description: String {
        switch self {
        case .missing: return "a bearer token is required (Authorization header or access_token query parameter)"
        case .malformed: return "the token is not a well-formed JWT"
        case .unsupportedAlgorithm(let a): return "token algorithm \(a) is not accepted (HS256 only)"
        case .badSignature: return "the token signature does not match"
        case .expired: return "the token has expired"
        case .notYetValid: return "the token is not valid yet (nbf is in the future)"
        case .badClaims(let m): return "token claims are invalid: \(m)"
        }
    }
}

/// Mints and verifies JWT HS256 tokens (RFC 7519) with the claims `sub`, `name`, `role`, `exp` and
/// optional `devices`. Only HS256 is accepted, whatever the header says; the signature is compared in
/// constant time by swift-crypto; `exp` is required and checked against the clock.
package struct TokenAuthority: Sendable {
    private let secret: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: secret) }

    package init(secret: String) {
        self.secret = Array(secret.utf8)
    }

    package func mint(
        subject: String,
        name: String,
        role: Role,
        ttlSeconds: Int,
        devices: [String]? = nil,
        vehicle: String? = nil,
        now: Int64 = Int64(Date().timeIntervalSince1970)
    ) -> String {
        let claims = Claims(
            sub: subject,
            name: name,
            role: role.rawValue,
            exp: now + Int64(ttlSeconds),
            iat: now,
            devices: devices,
            vehicle: vehicle
        )
        let header = Base64URL.encode(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        // Strings, whole numbers and a string list always encode.
        let payload = Base64URL.encode(Data((try? APIJSON.encode(claims)) ?? Array("{}".utf8)))
        let input = header + "." + payload
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: key)
        return input + "." + Base64URL.encode(Data(mac))
    }

    package func verify(
        _ token: String,
        now: Int64 = Int64(Date().timeIntervalSince1970)
    ) throws(TokenError) -> Principal {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(parts[0]),
            let payloadData = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2]),
            let header = try? JSONDecoder().decode(JSONValue.self, from: headerData), case .object = header,
            let claims = try? JSONDecoder().decode(JSONValue.self, from: payloadData), case .object = claims
        else { throw .malformed }
        guard case .string(let alg)? = header["alg"] else { throw .malformed }
        guard alg == "HS256" else { throw .unsupportedAlgorithm(alg) }
        let input = Data(parts[0].utf8) + Data(".".utf8) + Data(parts[1].utf8)
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: input, using: key) else {
            throw .badSignature
        }
        guard let exp = Self.seconds(claims["exp"]) else { throw .badClaims("exp is required") }
        guard exp > now else { throw .expired }
        if let nbfValue = claims["nbf"] {
            guard let nbf = Self.seconds(nbfValue) else { throw .badClaims("nbf must be a number") }
            guard nbf <= now else { throw .notYetValid }
        }
        guard case .string(let sub)? = claims["sub"], !sub.isEmpty else { throw .badClaims("sub is required") }
        guard case .string(let roleText)? = claims["role"], let role = Role(rawValue: roleText) else {
            throw .badClaims("role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var devices: Set<String>?
        if let d = claims["devices"] {
            guard case .array(let list) = d else { throw .badClaims("devices must be a list of device ids") }
            var ids = Set<String>()
            for item in list {
                guard case .string(let id) = item else { throw .badClaims("devices must be a list of device ids") }
                ids.insert(id)
            }
            devices = ids
        }
        var vehicle: String?
        if let v = claims["vehicle"] {
            guard case .string(let text) = v, !text.isEmpty else { throw .badClaims("vehicle must be a vehicle id") }
            vehicle = text
        }
        var name = sub
        if case .string(let n)? = claims["name"] { name = n }
        return Principal(
            subject: sub,
            name: name,
            role: role,
            expires: exp,
            devices: devices,
            vehicle: vehicle
        )
    }

    /// The claims a minted token carries (keys sorted; `devices` and `vehicle` only when given).
    private struct Claims: Encodable {
        let sub: String
        let name: String
        let role: String
        let exp: Int64
        let iat: Int64
        let devices: [String]?
        let vehicle: String?
    }

    /// A time claim in whole seconds (a fractional one is cut to its second, as JWT's NumericDate allows); nil
    /// when it is not a number.
    private static func seconds(_ v: JSONValue?) -> Int64? {
        switch v {
        case .integer(let i)?: return i
        case .number(let d)? where d.isFinite && abs(d) < 9.2e18: return Int64(d)
        default: return nil
        }
    }
}

/// Base64 with the URL alphabet and no padding (RFC 4648 §5), as JWT uses it. Decoding is strict:
/// only the URL alphabet, no padding, and the canonical encoding (unused trailing bits zero), so a
/// token has exactly one spelling.
package enum Base64URL {
    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: Substring) -> Data? {
        guard text.utf8.count % 4 != 1,
            text.utf8.allSatisfy({ c in
                (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45 || c == 95
            })
        else { return nil }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        guard let data = Data(base64Encoded: s), encode(data) == text else { return nil }
        return data
    }
}
