/// The answer channel of one request. Safe to use from any thread; the first answer wins and later
/// ones are ignored, as are answers to a connection that has gone.
package final class Responder: @unchecked Sendable {
    let connection: HTTPConnection
    let serial: UInt64

    init(connection: HTTPConnection, serial: UInt64) {
        self.connection = connection
        self.serial = serial
    }

    /// The loop that owns the connection: handlers that want to stay on it can use it.
    package var loop: EventLoop { connection.loop }

    /// Sends a complete response.
    package func send(_ response: HTTPResponse) {
        let connection = self.connection
        let serial = self.serial
        connection.loop.run { connection.complete(serial: serial, response: response) }
    }

    /// Answers with the JSON error shape `{"error": {"code", "message", "details"}}`.
    package func sendError(_ status: Int, _ message: String, code: String? = nil, detailsJSON: String? = nil) {
        send(.error(status, message, code: code, detailsJSON: detailsJSON))
    }

    /// Turns the response into a `text/event-stream`. The stream is returned at once; its head is
    /// written on the loop before anything sent on it.
    package func startEventStream(headers: HTTPHeaders = HTTPHeaders()) -> EventStream {
        let stream = EventStream(connection: connection)
        let connection = self.connection
        let serial = self.serial
        connection.loop.run { connection.beginStream(serial: serial, stream: stream, extraHeaders: headers) }
        return stream
    }
}
