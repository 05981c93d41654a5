import EventLoopHTTP
import HTTPAPI

/// `/healthz` (the process answers), `/readyz` (503 while shutting down or while the models are first
/// fitted), `/metrics` (Prometheus text) and, in demo mode only, `/api/demo/tokens` (a token per role for the
/// sign-in page, the same ones printed at start). None of them reads the store.
struct HealthRoutes {
    let configuration: AppConfiguration
    let insights: InsightsEngine
    let secret: String
    let shuttingDown: OnceFlag

    /// A token per role, valid for 12 hours, signed with `secret`.
    static func demoTokens(secret: String) -> [(Role, String)] {
        let authority = TokenAuthority(secret: secret)
        return Role.allCases.map { role in
            (
                role,
                authority.mint(
                    subject: "demo-\(role.rawValue)",
                    name: "Demo \(role.rawValue.capitalized)",
                    role: role,
                    ttlSeconds: 12 * 3600
                )
            )
        }
    }

    func install(_ router: inout Router) {
        let (insights, shuttingDown) = (self.insights, self.shuttingDown)
        router.get("/healthz", name: "healthz") { _, r in
            r.send(.json(200, Array("{\"status\":\"ok\"}".utf8)))
        }
        router.get("/readyz", name: "readyz") { _, r in
            // No store access here: readiness must not wait behind an import. The store was opened and
            // migrated before the server listened; the models are the one thing that may still be loading.
            if shuttingDown.isSet {
                r.send(.error(503, "shutting down", code: "shutting_down"))
            } else if insights.current == nil {
                var response = HTTPResponse.error(
                    503,
                    "the models are being fitted (first start or new data)",
                    code: "models_loading"
                )
                response.headers.set("Retry-After", "1")
                r.send(response)
            } else {
                r.send(.json(200, Array("{\"status\":\"ready\"}".utf8)))
            }
        }
        if configuration.demo {
            let secret = self.secret
            router.get("/api/demo/tokens", name: "demo_tokens") { _, r in
                // Minted per request: each is valid for 12 hours from now, however long the server has run.
                let body = DemoTokensResponse(
                    tokens: Self.demoTokens(secret: secret).map { DemoToken(role: $0.0.rawValue, token: $0.1) }
                )
                r.send(200, body: body)
            }
        }
        router.get("/metrics", name: "metrics") { _, r in
            var response = HTTPResponse(status: 200, body: MetricsRegistry.render())
            response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            r.send(response)
        }
    }
}

/// `GET /api/demo/tokens`.
struct DemoTokensResponse: Encodable, Sendable {
    let tokens: [DemoToken]
}

struct DemoToken: Encodable, Sendable {
    let role: String
    let token: String
}
