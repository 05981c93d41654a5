import Foundation

/// A value guarded by a lock, for the few facts other threads read without a queue hop.
package final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    package init(_ value: Value) { self.value = value }
    package func get() -> Value {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
    package func set(_ v: Value) {
        lock.lock()
        value = v
        lock.unlock()
    }
    /// Changes the value under the lock and returns what `body` returns.
    package func update<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
