import EventLoopHTTP
import Foundation
import Logging

/// One JSON object per line on stderr: `ts`, `level`, `logger`, `msg`, then the metadata fields.
/// Secrets never reach it: callers log masked configuration only.
package struct StructuredLogHandler: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    let label: String
    private static let lock = NSLock()

    package init(label: String) { self.label = label }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var line = "{\"ts\":"
        line += JSONString.quote(Self.timestamp())
        line += ",\"level\":" + JSONString.quote(event.level.rawValue)
        line += ",\"logger\":" + JSONString.quote(label)
        line += ",\"msg\":" + JSONString.quote(event.message.description)
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        for key in merged.keys.sorted() {
            line += "," + JSONString.quote(key) + ":" + JSONString.quote(merged[key]!.description)
        }
        line += "}\n"
        Self.lock.lock()
        FileHandle.standardError.write(Data(line.utf8))
        Self.lock.unlock()
    }

    static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var tm = tm()
        var secs = tv.tv_sec
        gmtime_r(&secs, &tm)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            tm.tm_year + 1900,
            tm.tm_mon + 1,
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec,
            Int(tv.tv_usec / 1000)
        )
    }

    /// Installs the handler for the whole process once, at the given level.
    package static func bootstrap(level: String) {
        let lvl = Logger.Level(rawValue: level) ?? .info
        LoggingOnce.run {
            LoggingSystem.bootstrap { label in
                var h = StructuredLogHandler(label: label)
                h.logLevel = lvl
                return h
            }
        }
    }
}

enum LoggingOnce {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var done = false
    static func run(_ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        body()
    }
}

/// JSON string quoting shared by the app's hand-written encoders.
package enum JSONString {
    package static func quote(_ s: String) -> String {
        var out = ""
        JSONText.appendString(s, to: &out)
        return out
    }
}
