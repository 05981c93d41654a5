/// The units a selection sold between two reads of one machine (docs/formats/DEX.md, "From reads to sales"):
/// the difference of its vends since initialization (`PA201`); where that went down the machine was reset, and
/// the difference of the since-reset counters (`PA203`) is used when both reads have them and it did not go
/// down too; otherwise the interval is unknown (nil). Never negative, never a guess.
package enum DEXInterval {
    package struct Counters: Sendable, Equatable {
        package var vendsTotal: Int?
        package var vendsSinceReset: Int?

        package init(vendsTotal: Int?, vendsSinceReset: Int?) {
            self.vendsTotal = vendsTotal
            self.vendsSinceReset = vendsSinceReset
        }
    }

    package enum Basis: String, Sendable {
        case sinceInitialization = "since_initialization"
        case sinceReset = "since_reset"
        case unknown
    }

    package static func units(from previous: Counters, to current: Counters) -> (units: Int?, basis: Basis) {
        if let a = previous.vendsTotal, let b = current.vendsTotal, b >= a { return (b - a, .sinceInitialization) }
        if let a = previous.vendsSinceReset, let b = current.vendsSinceReset, b >= a,
            previous.vendsTotal == nil || current.vendsTotal == nil || current.vendsTotal! < previous.vendsTotal!
        {
            return (b - a, .sinceReset)
        }
        return (nil, .unknown)
    }
}

/// The common ways machines number their selections, read as grid positions of a cabinet with `rows` rows and
/// `columns` columns (row 0 is the top, `A`): letter + digit (`A1` → row A, column 1), tens (`10`–`67`: row from
/// the tens digit, 1 → A, column from the units digit, 0 → 1), hundreds (`101`–`612`: row from the hundreds
/// digit, column from the last two digits). A selection that fits none, or lands outside the grid, is not
/// placed (the map is then the operator's to edit).
package enum DEXSelectionNumbering {
    /// (row, column), both from 0, or nil.
    package static func position(_ selection: String, rows: Int, columns: Int) -> (row: Int, column: Int)? {
        let chars = Array(selection.uppercased().utf8)
        var pos: (Int, Int)?
        if chars.count >= 2, (65...90).contains(chars[0]), let c = Int(String(decoding: chars[1...], as: UTF8.self)),
            c >= 1
        {
            pos = (Int(chars[0]) - 65, c - 1)
        } else if chars.allSatisfy({ (48...57).contains($0) }), let n = Int(selection) {
            if chars.count == 2, n >= 10 { pos = (n / 10 - 1, n % 10) }
            if chars.count == 3, n >= 101, n % 100 >= 1 { pos = (n / 100 - 1, n % 100 - 1) }
        }
        guard let (r, c) = pos, r >= 0, r < rows, c >= 0, c < columns else { return nil }
        return (r, c)
    }
}
