/// One audit read of a vending machine (EVA-DTS 6.x, DEX/UCS), as the controller reported it. Money is in
/// minor units (`ID401` decimal places, `decimals`); counters are as the machine counts them. Nothing here is
/// inferred: a field the read does not carry is nil. docs/formats/DEX.md says what is read and what is not.
package struct DEXRead: Sendable, Equatable {
    /// `DXS02` (the communication id) and `DXS04` (the standard's version, e.g. `V0/6`).
    package var communicationID: String?
    package var version: String?
    /// `ID101` machine serial (nil when blank) and `ID102` model.
    package var serial: String?
    package var model: String?
    /// `ID401`: decimal places of every money field (2 when absent).
    package var decimals: Int
    /// `ID403` alphabetic currency, else `ID402` numeric currency.
    package var currency: String?
    /// When the read was taken by the machine's clock (`ID5`, else `EA3`), and which record said so.
    package var readAt: DEXTimestamp?
    package var readAtSource: String?
    /// The selections in the order of the read (`PA1` with its `PA2`, `PA7`).
    package var selections: [DEXSelection]
    /// The maker's own selection-to-column lines (`MA5*SEL01*1,2,7,8`): selection → columns.
    package var selectionColumns: [String: [Int]]
    /// The checksum the read carried (`G85`) — nil when it carried none — and whether it matched.
    package var checksum: UInt16?
    /// Record types the reader does not use, with how often each came (kept, not interpreted).
    package var ignoredRecords: [String: Int]
    /// What the reader let through but a person should know (no checksum, a blank serial, a duplicated
    /// selection, ...).
    package var warnings: [String]

    /// A money field in currency units (`125` with 2 decimals → 1.25).
    package func money(_ minor: Int) -> Double {
        var d = Double(minor)
        for _ in 0..<decimals { d /= 10 }
        return d
    }
}

/// A date and time as a controller wrote it (its own clock, no zone).
package struct DEXTimestamp: Sendable, Equatable, CustomStringConvertible {
    package var year: Int
    package var month: Int
    package var day: Int
    package var hour: Int
    package var minute: Int
    package var second: Int

    package var description: String {
        func p(_ v: Int, _ n: Int = 2) -> String {
            String(repeating: "0", count: max(0, n - String(v).count)) + String(v)
        }
        return "\(p(year, 4))-\(p(month))-\(p(day))T\(p(hour)):\(p(minute)):\(p(second))"
    }
}

/// One selection (`PA1`) and its counters (`PA2`), payments (`PA7`).
package struct DEXSelection: Sendable, Equatable {
    /// `PA101`: as the machine names it (`10`, `A1`, `101`).
    package var selection: String
    /// `PA102` price in minor units.
    package var price: Int?
    /// `PA103`: the machine's product id, where it writes one.
    package var productCode: String?
    /// `PA201`/`PA202`: paid vends and their value since initialization.
    package var vendsTotal: Int?
    package var valueTotal: Int?
    /// `PA203`/`PA204`: since the last reset (interim), where the machine keeps them.
    package var vendsSinceReset: Int?
    package var valueSinceReset: Int?
    /// `PA7`: per payment device (`CA` cash, `DA`/`DB` cashless).
    package var payments: [DEXPayment]
}

/// A `PA7` line: vends of one selection by one payment device.
package struct DEXPayment: Sendable, Equatable {
    package var device: String
    package var price: Int?
    package var vends: Int?
    package var value: Int?
}
