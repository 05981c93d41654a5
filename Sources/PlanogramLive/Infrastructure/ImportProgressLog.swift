import Foundation
import Logging
import Store

/// Turns import progress into log lines, at most one per second and one at the end of each file.
final class ImportProgressLog: @unchecked Sendable {
    let logger: Logger
    private var last = Date.distantPast
    private let lock = NSLock()

    init(logger: Logger) { self.logger = logger }

    func report(_ p: ImportProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard p.bytesDone == p.bytesTotal || now.timeIntervalSince(last) >= 1 else { return }
        last = now
        let pct = p.bytesTotal > 0 ? Int(Double(p.bytesDone) / Double(p.bytesTotal) * 100) : 100
        logger.info(
            "import progress",
            metadata: ["phase": "\(p.phase)", "file": "\(p.file)", "rows": "\(p.rows)", "percent": "\(pct)"]
        )
    }
}
