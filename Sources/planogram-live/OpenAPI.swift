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

struct OpenAPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract:
            "Print the API's contract: the OpenAPI 3.1 document GET /api/openapi.json serves, or the role x route matrix."
    )

    @Flag(help: "Print the role x route matrix of docs/API.md (Markdown) instead.") var matrix = false
    @Flag(help: "Include the demo mode's routes.") var demo = false

    func run() throws {
        if matrix {
            print(RoleMatrix.markdown())
        } else {
            print(String(decoding: try OpenAPIDocument.encoded(demo: demo), as: UTF8.self))
        }
    }
}
