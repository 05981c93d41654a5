/// The server's event loops, made before the server itself: the parts that fan frames out to streams
/// (`Broadcaster`) take the loops in their initializer, so they can be built before the router that the
/// server is made with. The loops do nothing until `HTTPServer.start()` starts their pollers.
package final class EventLoopGroup: Sendable {
    package let loops: [EventLoop]

    /// `count` loops (at least one), named `http.loop.0`, `http.loop.1`, …
    package init(count: Int) {
        loops = (0..<max(1, count)).map { EventLoop(label: "http.loop.\($0)") }
    }
}
