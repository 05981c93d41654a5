import EventLoopHTTP
import HTTPAPI

/// `GET /api/openapi.json` (no token): the contract, encoded once at start.
struct ContractRoutes {
    let demo: Bool

    func install(_ router: inout Router) {
        let bytes = (try? OpenAPIDocument.encoded(demo: demo)) ?? []
        router.get("/api/openapi.json", name: "openapi") { _, r in
            r.send(.json(200, bytes))
        }
    }
}
