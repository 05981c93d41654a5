import ArgumentParser
import Foundation
import PlanogramLive
import Store

/// `planogram-live import-cvd`: a CVD database migrated into the store (docs/formats/CVD.md).
struct ImportCVD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-cvd",
        abstract: "Migrate a CVD database (docs/formats/CVD.md).",
        discussion: """
            Devices that are not soft-deleted (with their locations), cabinets, the layout CVD holds now with
            capacities and par levels, products, sales, fills and DEX reads, in one transaction. What cannot be
            mapped is listed with the reason; running it again writes nothing. A file that is not a CVD database
            is refused (exit status 2).
            """
    )

    @Option(help: "SQLite database path (created if missing).") var db: String
    @Argument(help: "The CVD database (SQLite).") var cvd: String

    func run() throws {
        let source: CVDSource
        do {
            source = try CVDSource.read(path: cvd)
        } catch let refusal as ExportRefusal {
            FileHandle.standardError.write(Data("\(cvd): \(refusal.message)\n".utf8))
            throw ExitCode(2)
        }
        let store = try Store(path: db)
        let report = try CVDMigration.run(
            source,
            into: store,
            clock: try AppConfiguration.fromEnvironment().clock,
            at: Int64(Date().timeIntervalSince1970)
        )
        print(CVDMigration.summary(report), terminator: "")
    }
}
