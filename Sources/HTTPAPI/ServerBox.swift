import EventLoopHTTP

/// The HTTP server, set once after it is made (the session routes are part of its router) and
/// before any session exists.
package final class ServerBox: @unchecked Sendable {
    package var server: HTTPServer!

    package init() {}
}
