/// CRC-16/ARC (polynomial 0x8005 reflected as 0xA001, initial value 0, no final XOR): the checksum a DEX
/// read's `G85` record carries over the lines from `ST` to the line before `G85`, each ended by CR LF.
/// Check value: "123456789" → 0xBB3D.
package struct CRC16ARC: Sendable {
    package private(set) var value: UInt16 = 0

    package init() {}

    package mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        var crc = value
        for b in bytes {
            crc ^= UInt16(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        }
        value = crc
    }

    package static func of<S: Sequence>(_ bytes: S) -> UInt16 where S.Element == UInt8 {
        var c = CRC16ARC()
        c.update(bytes)
        return c.value
    }
}

extension CRC16ARC {
    /// A read's lines (without ends) with its `G85` written anew over the lines from `ST` to the line before
    /// it, as CR LF text: how a simulator or a test makes a second read from a first one.
    package static func stamped(_ lines: [String]) -> [UInt8] {
        var lines = lines
        if let st = lines.firstIndex(where: { $0.hasPrefix("ST*") }),
            let g = lines.firstIndex(where: { $0.hasPrefix("G85*") }), st < g
        {
            let crc = of(lines[st..<g].flatMap { Array($0.utf8) + [13, 10] })
            let h = String(crc, radix: 16, uppercase: true)
            lines[g] = "G85*" + String(repeating: "0", count: 4 - h.count) + h
        }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }
}
