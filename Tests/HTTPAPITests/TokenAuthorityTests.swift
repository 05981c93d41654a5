import Crypto
import Foundation
import HTTPAPI
import XCTest

/// Tokens: minted and verified, and the ones refused (docs/API.md "Tokens, roles and the devices claim").
final class TokenAuthorityTests: XCTestCase {
    let authority = TokenAuthority(secret: "k")

    func b64(_ d: Data) -> String {
        d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A token built the way any JWT library builds one, independently of `TokenAuthority.mint`.
    func foreignToken(header: String = #"{"typ":"JWT","alg":"HS256"}"#, claims: String, secret: String = "k") -> String
    {
        let input = b64(Data(header.utf8)) + "." + b64(Data(claims.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return input + "." + b64(Data(mac))
    }

    var future: Int { Int(Date().timeIntervalSince1970) + 600 }

    func testMintedTokenVerifiesWithItsClaims() throws {
        let t = authority.mint(subject: "ann", name: "Ann", role: .merchandiser, ttlSeconds: 60, devices: ["VM-1"])
        let p = try authority.verify(t)
        XCTAssertEqual(p.subject, "ann")
        XCTAssertEqual(p.name, "Ann")
        XCTAssertEqual(p.role, .merchandiser)
        XCTAssertEqual(p.devices, ["VM-1"])
        XCTAssertTrue(p.mayTouch(device: "VM-1"))
        XCTAssertFalse(p.mayTouch(device: "VM-2"))
    }

    func testTokenFromAnotherImplementationIsAccepted() throws {
        let t = foreignToken(claims: #"{"exp":\#(future),"role":"manager","sub":"m1","name":"Max"}"#)
        XCTAssertEqual(try authority.verify(t).role, .manager)
        XCTAssertNil(try authority.verify(t).devices)
    }

    func testTamperedExpiredAndForeignAlgorithmsAreRefused() {
        let good = authority.mint(subject: "a", name: "A", role: .driver, ttlSeconds: 60)
        var parts = good.split(separator: ".").map(String.init)
        parts[1] = b64(Data(#"{"exp":\#(future),"role":"admin","sub":"a"}"#.utf8))
        XCTAssertThrowsError(try authority.verify(parts.joined(separator: "."))) {
            XCTAssertEqual($0 as? TokenError, .badSignature)
        }
        XCTAssertThrowsError(
            try authority.verify(authority.mint(subject: "a", name: "A", role: .driver, ttlSeconds: -1))
        ) {
            XCTAssertEqual($0 as? TokenError, .expired)
        }
        let none =
            b64(Data(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "."
            + b64(Data(#"{"exp":\#(future),"role":"admin","sub":"a"}"#.utf8)) + "."
        XCTAssertThrowsError(try authority.verify(none)) {
            XCTAssertEqual($0 as? TokenError, .unsupportedAlgorithm("none"))
        }
        let hs512 = foreignToken(header: #"{"alg":"HS512"}"#, claims: #"{"exp":\#(future),"role":"admin","sub":"a"}"#)
        XCTAssertThrowsError(try authority.verify(hs512)) {
            XCTAssertEqual($0 as? TokenError, .unsupportedAlgorithm("HS512"))
        }
        XCTAssertThrowsError(
            try authority.verify(foreignToken(claims: #"{"exp":\#(future),"role":"admin","sub":"a"}"#, secret: "other"))
        )
        XCTAssertThrowsError(try authority.verify(foreignToken(claims: #"{"role":"admin","sub":"a"}"#))) {
            XCTAssertEqual($0 as? TokenError, .badClaims("exp is required"))
        }
        XCTAssertThrowsError(try authority.verify(foreignToken(claims: #"{"exp":\#(future),"role":"root","sub":"a"}"#)))
        XCTAssertThrowsError(
            try authority.verify(foreignToken(claims: #"{"exp":\#(future),"role":"admin","sub":"a","devices":"VM-1"}"#))
        )
        for junk in ["", "a.b", "a.b.c", "....", "eyJ.eyJ.x", String(repeating: "A", count: 5000)] {
            XCTAssertThrowsError(try authority.verify(junk), junk)
        }
    }

    func testOnlyTheCanonicalBase64URLSpellingIsAccepted() throws {
        let t = authority.mint(subject: "ann", name: "Ann", role: .manager, ttlSeconds: 60)
        XCTAssertNoThrow(try authority.verify(t))
        let parts = t.split(separator: ".").map(String.init)
        // Standard-base64 characters, padding, or other trailing bits on the signature are other spellings.
        func variant(_ sig: String) -> String { parts[0] + "." + parts[1] + "." + sig }
        let sig = parts[2]
        var altered = Array(sig)
        let last = altered.removeLast()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let idx = alphabet.firstIndex(of: last)!
        let sameBits = alphabet[idx ^ 1]  // differs only in the unused low bits of the last character
        for bad in [
            variant(sig + "="),
            variant(
                sig.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
                    + (sig.contains("-") || sig.contains("_") ? "" : "+")
            ),
            variant(String(altered) + String(sameBits)), parts[0] + "." + parts[1] + "=." + sig,
        ] {
            XCTAssertThrowsError(try authority.verify(bad), bad) { XCTAssertEqual($0 as? TokenError, .malformed) }
        }
    }

    func testATokenIsNotAcceptedBeforeItsNotBeforeTime() throws {
        let early = foreignToken(claims: #"{"sub":"ann","role":"manager","exp":\#(future),"nbf":\#(future - 60)}"#)
        XCTAssertThrowsError(try authority.verify(early)) { XCTAssertEqual($0 as? TokenError, .notYetValid) }
        let ok = foreignToken(claims: #"{"sub":"ann","role":"manager","exp":\#(future),"nbf":\#(future - 1200)}"#)
        XCTAssertNoThrow(try authority.verify(ok))
        let bad = foreignToken(claims: #"{"sub":"ann","role":"manager","exp":\#(future),"nbf":"soon"}"#)
        XCTAssertThrowsError(try authority.verify(bad))
    }
}
