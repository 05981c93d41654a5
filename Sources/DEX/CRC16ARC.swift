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
