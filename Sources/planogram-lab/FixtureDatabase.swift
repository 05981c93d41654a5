import ArgumentParser
import Cluster
import Dispatch
import Experiments
import FleetGenerator
import Forecasting
import Foundation
import Insights
import Logging
import Optimizer
import PlanogramDomain
import PlanogramLive
import Routing
import Store

func database(db: String?, fixtures: String?, label: String) throws -> (path: String, cleanup: () -> Void) {
    guard let fixtures else { return (db ?? "", {}) }
    let path = NSTemporaryDirectory() + "\(label)-\(getpid()).db"
    try? FileManager.default.removeItem(atPath: path)
    FileHandle.standardError.write(Data("importing \(fixtures)\n".utf8))
    _ = try Importer(store: try Store(path: path)).importDirectory(fixtures)
    return (path, { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } })
}
