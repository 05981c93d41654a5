import Foundation
import Logging

/// One JSON object per line on stderr: `ts`, `level`, `logger`, `msg` and the metadata fields, keys sorted (Codable).
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
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let line = Line(
            ts: Self.timestamp(),
            level: event.level.rawValue,
            logger: label,
            msg: event.message.description,
            fields: merged.mapValues(\.description)
        )
        // Strings only: always encodes.
        var bytes = (try? Self.encoder.encode(line)) ?? Data(#"{"msg":"unencodable log line"}"#.utf8)
        bytes.append(UInt8(ascii: "\n"))
        Self.lock.lock()
        FileHandle.standardError.write(bytes)
        Self.lock.unlock()
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// One log line: the four fixed keys, then the metadata (a metadata key that is one of them is written as
    /// `meta.<key>`, so nothing is lost or written twice). Keys are sorted.
    private struct Line: Encodable {
        let ts: String
        let level: String
        let logger: String
        let msg: String
        let fields: [String: String]

        private struct Key: CodingKey {
            let stringValue: String
            var intValue: Int? { nil }
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(ts, forKey: Key("ts"))
            try c.encode(level, forKey: Key("level"))
            try c.encode(logger, forKey: Key("logger"))
            try c.encode(msg, forKey: Key("msg"))
            for (k, v) in fields {
                try c.encode(v, forKey: Key(["ts", "level", "logger", "msg"].contains(k) ? "meta." + k : k))
            }
        }
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
