/// An immutable JSON object graph (from JSONSerialization types) carried across queues.
package struct AnyJSON: @unchecked Sendable {
    package let value: Any
    package init(_ value: Any) { self.value = value }
}
