import ArgumentParser
import DEX
import Foundation
import HTTPAPI
import PlanogramLive
import Store

/// `planogram-live import-dex`: DEX reads from files into the history, as `POST /api/devices/{id}/dex` records
/// them (docs/formats/DEX.md).
struct ImportDEX: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-dex",
        abstract: "Record DEX audit reads from files (docs/formats/DEX.md).",
        discussion: """
            Each file is one read. The device is --device, or the one the read's serial belongs to (learnt from
            an earlier read of that machine). Reads are recorded in the order given; a read already recorded is
            skipped. A read that cannot be used is listed with its line and record and nothing of it is written;
            the exit status is then 2.
            """
    )

    @Option(help: "SQLite database path.") var db: String
    @Option(help: "The device the reads are of (default: found by the read's serial).") var device: String?
    @Option(help: "When the reads were taken (ISO 8601), instead of the machine's clock or the time of import.") var at:
        String?
    @Argument(help: "DEX read files.") var files: [String]

    func run() throws {
        let store = try Store(path: db)
        let catalog = try store.loadCatalog()
        let clock = try AppConfiguration.fromEnvironment().clock
        var explicit: Int64?
        if let at {
            guard let t = Array(at.utf8).withUnsafeBufferPointer({ FieldParse.timestamp($0) }) else {
                throw ValidationError("--at must be an ISO 8601 time with Z or an offset")
            }
            explicit = t
        }
        if let device, catalog.devices[device] == nil { throw ValidationError("no device \(device)") }
        var failed = 0
        for (n, path) in files.enumerated() {
            FileHandle.standardError.write(Data("[\(n + 1)/\(files.count)] \(path)\n".utf8))
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot be read")
                failed += 1
                continue
            }
            let bytes = Array(data)
            do {
                var target = device
                if target == nil, let serial = (try? DEXReader.read(bytes))?.serial {
                    target = try store.device(forDEXSerial: serial)
                }
                guard let id = target else {
                    print("\(path): no device for this read (give --device; its serial is not known yet)")
                    failed += 1
                    continue
                }
                let o = try DEXRecording.record(
                    bytes,
                    deviceID: id,
                    store: store,
                    catalog: catalog,
                    clock: clock,
                    by: "import-dex",
                    receivedAt: Int64(Date().timeIntervalSince1970),
                    at: explicit
                )
                let sold = o.intervals.compactMap(\.units).reduce(0, +)
                print(
                    "\(path): \(o.recorded ? "recorded" : "already recorded") \(o.record.readID) for \(id), "
                        + "\(o.record.selections.count) selections, \(sold) units since the previous read"
                )
                for w in o.warnings { print("  warning: \(w)") }
            } catch let e as APIError {
                print("\(path): \(e.message)")
                failed += 1
            }
        }
        if failed > 0 { throw ExitCode(2) }
    }
}
