/// Why a DEX read cannot be used: the line (1-based, in the file as sent) and record where it was found.
/// The API answers it as `422 bad_dex` with `details: {line, record}` and writes nothing.
package struct DEXError: Error, Sendable, Equatable, CustomStringConvertible {
    package var line: Int
    package var record: String
    package var message: String

    package init(line: Int, record: String, _ message: String) {
        self.line = line
        self.record = record
        self.message = message
    }

    package var description: String { "line \(line) (\(record)): \(message)" }
}
