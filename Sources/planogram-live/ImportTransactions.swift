import ArgumentParser
import Foundation
import PlanogramLive
import Store

/// `planogram-live import-transactions`: a telemetry system's transaction export into the history, as
/// `POST /api/import/transactions` imports it (docs/formats/EXPORTS.md).
struct ImportTransactions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-transactions",
        abstract: "Import a telemetry transaction export (docs/formats/EXPORTS.md).",
        discussion: """
            --format eport reads the ePort / Seed export; any other export is read with a mapping file
            (--format MAPPING.json) that names its columns. Rows that cannot be used are counted and listed (the
            first 100, with line and reason) and the rest is imported in one transaction; --strict refuses the
            whole file instead (exit status 2). Importing the same export again writes nothing.
            """
    )

    @Option(help: "SQLite database path (created if missing).") var db: String
    @Option(help: "eport, or the path of a mapping file (JSON).") var format: String
    @Flag(help: "Refuse the whole file when any row cannot be used.") var strict = false
    @Argument(help: "The export (CSV).") var file: String

    func run() throws {
        let mapping: ExportMapping
        if format == "eport" {
            mapping = .eport
        } else {
            guard let data = FileManager.default.contents(atPath: format) else {
                throw ValidationError("--format is eport or a mapping file; \(format) cannot be read")
            }
            switch ExportMapping.parse(Array(data)) {
            case .success(let m): mapping = m
            case .failure(let refusal): throw ValidationError(refusal.message)
            }
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("\(file) cannot be read")
        }
        let store = try Store(path: db)
        let clock = try AppConfiguration.fromEnvironment().clock
        let bytes = Array(data)
        do {
            let report = try TransactionImports.run(
                bytes,
                mapping: mapping,
                source: (file as NSString).lastPathComponent,
                store: store,
                clock: clock,
                strict: strict
            ) { done in
                let pct = bytes.isEmpty ? 100 : Double(done) / Double(bytes.count) * 100
                FileHandle.standardError.write(Data(String(format: "reading: %.0f%%\n", pct).utf8))
            }
            print(TransactionImports.summary(report), terminator: "")
        } catch let refusal as ExportRefusal {
            FileHandle.standardError.write(Data("\(file): \(refusal.message)\n".utf8))
            throw ExitCode(2)
        }
    }
}
