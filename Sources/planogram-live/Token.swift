import ArgumentParser
import Cluster
import Dispatch
import Experiments
import FleetGenerator
import Forecasting
import Foundation
import HTTPAPI
import Insights
import Logging
import Optimizer
import PlanogramDomain
import PlanogramLive
import Routing
import Store

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a signed bearer token (JWT HS256) for the secret in PLANOGRAM_SECRET or --secret."
    )

    @Option(help: "merchandiser, manager, driver or admin.") var role: String
    @Option(help: "Subject (user id).") var sub: String
    @Option(help: "Display name; defaults to the subject.") var name: String?
    @Option(help: "Lifetime in seconds.") var ttl: Int = 3600
    @Option(help: "Comma-separated device ids the holder may touch; all when absent.") var devices: String?
    @Option(help: "A driver's truck: their routes and pick lists are that truck's (the vehicle claim).") var vehicle:
        String?
    @Option(help: "Token secret (default: PLANOGRAM_SECRET).") var secret: String?

    func run() throws {
        guard let r = Role(rawValue: role) else {
            throw ValidationError("--role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard ttl > 0 else { throw ValidationError("--ttl must be positive") }
        guard let key = secret ?? ProcessInfo.processInfo.environment["PLANOGRAM_SECRET"], !key.isEmpty else {
            throw ValidationError("set PLANOGRAM_SECRET or pass --secret")
        }
        guard key.utf8.count >= 16 else {
            throw ValidationError("the secret must be at least 16 bytes (32 random bytes recommended)")
        }
        let list = devices.map {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        print(
            TokenAuthority(secret: key).mint(
                subject: sub,
                name: name ?? sub,
                role: r,
                ttlSeconds: ttl,
                devices: list,
                vehicle: vehicle
            )
        )
    }
}
