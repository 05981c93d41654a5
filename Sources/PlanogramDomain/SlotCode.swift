/// A slot position: row letter plus column number, top row `A`, leftmost column `1` (`B4` is the
/// second row, fourth column). Parsing is case-insensitive; `description` is always upper case.
/// Rows and columns are stored zero-based.
package struct SlotCode: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    package let row: Int
    package let column: Int

    package init(row: Int, column: Int) {
        self.row = row
        self.column = column
    }

    /// Parses `b4`, `B4`, `C12`. Nil for anything else (no letter, no digits, leading zeros, junk).
    package init?(_ text: some StringProtocol) {
        self.init(utf8: text.utf8)
    }

    /// Parses UTF-8 bytes, ignoring surrounding spaces (the import's hot path).
    package init?(bytes: UnsafeBufferPointer<UInt8>) {
        var lo = 0
        var hi = bytes.count
        while lo < hi && bytes[lo] == 32 { lo += 1 }
        while hi > lo && bytes[hi - 1] == 32 { hi -= 1 }
        self.init(utf8: UnsafeBufferPointer(rebasing: bytes[lo..<hi]))
    }

    init?<C: Sequence>(utf8: C) where C.Element == UInt8 {
        var it = utf8.makeIterator()
        guard var c = it.next() else { return nil }
        if c >= 97 && c <= 122 { c -= 32 }
        guard c >= 65 && c <= 90 else { return nil }
        let row = Int(c - 65)
        var column = 0
        var digits = 0
        while let d = it.next() {
            guard d >= 48 && d <= 57 else { return nil }
            if digits == 0 && d == 48 { return nil }
            column = column * 10 + Int(d - 48)
            digits += 1
            if digits > 3 { return nil }
        }
        guard digits > 0 else { return nil }
        self.row = row
        self.column = column - 1
    }

    package var rowLetter: Character { Character(UnicodeScalar(UInt8(65 + row))) }
    package var description: String { "\(rowLetter)\(column + 1)" }

    /// The slot to the right (the second half of a 2-wide product).
    package var rightNeighbour: SlotCode { SlotCode(row: row, column: column + 1) }
    package var leftNeighbour: SlotCode { SlotCode(row: row, column: column - 1) }

    package static func < (a: SlotCode, b: SlotCode) -> Bool {
        a.row != b.row ? a.row < b.row : a.column < b.column
    }
}
