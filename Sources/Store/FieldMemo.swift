/// Values computed from a field's bytes, remembered by those bytes: an export repeats a few hundred devices,
/// products, dates and prices across half a million rows, and each distinct text is made into a String and
/// worked out once (`TransactionExport.readRows`). Later rows find the value by the bytes alone. At most
/// `capacity` texts are remembered; past that, values are worked out every time (the same values).
struct FieldMemo<Value> {
    private var table: [UInt64: [(bytes: [UInt8], value: Value)]] = [:]
    private var count = 0
    let capacity: Int

    init(capacity: Int = 100_000) { self.capacity = capacity }

    /// The value of `bytes`: remembered, or `make` of their text.
    mutating func value(_ bytes: UnsafeBufferPointer<UInt8>, _ make: (String) -> Value) -> Value {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        if let bucket = table[h] {
            for e in bucket where e.bytes.elementsEqual(bytes) { return e.value }
        }
        let v = make(String(decoding: bytes, as: UTF8.self))
        if count < capacity {
            table[h, default: []].append((Array(bytes), v))
            count += 1
        }
        return v
    }
}
