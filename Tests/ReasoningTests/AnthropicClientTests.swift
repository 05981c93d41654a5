import FakeAnthropic
import Foundation
import Reasoning
import XCTest

/// The curl client against the local fake API: the bytes sent, the text received, and every way a
/// request can end.
final class AnthropicClientTests: XCTestCase {
    var fake: FakeAnthropicServer!
    override func setUpWithError() throws { fake = try FakeAnthropicServer() }
    override func tearDown() { fake.stop() }

    func client(readTimeout: Double = 5) -> AnthropicClient {
        AnthropicClient(
            endpoint: AnthropicEndpoint(
                apiKey: "sk-ant-test-123",
                baseURL: fake.baseURL + "/",
                connectTimeout: 2,
                readTimeout: readTimeout,
                totalTimeout: 20
            )
        )
    }
    let request = MessageRequest(model: "claude-haiku-4-5", maxTokens: 300, system: "sys", prompt: "## Product\nCola")

    func run(_ c: AnthropicClient, cancel: CancelToken = CancelToken()) -> (StreamOutcome, [AnthropicEvent]) {
        var events: [AnthropicEvent] = []
        let o = c.stream(request, cancel: cancel) { events.append($0) }
        return (o, events)
    }

    func testStreamedTextEqualsTheDeltasAndTheRequestIsRight() throws {
        let deltas = ["Cola ", "at eye level é", "arns its slot: ", "a fast seller 🥤", " where shoppers look first."]
        fake.enqueue(.stream(deltas: deltas, unknownEvents: true))
        let (outcome, events) = run(client())
        XCTAssertEqual(
            outcome,
            .completed(
                text: deltas.joined(),
                model: "claude-haiku-4-5-20251001",
                usage: TokenUsage(inputTokens: 412, outputTokens: 57),
                stopReason: "end_turn"
            )
        )
        XCTAssertEqual(
            events.compactMap { if case .textDelta(_, let t) = $0 { return t } else { return nil } },
            deltas,
            "deltas arrive one by one"
        )
        XCTAssertTrue(events.contains(.ping))
        XCTAssertTrue(events.contains(.other("future_event")))
        let r = try XCTUnwrap(fake.requests.first)
        XCTAssertEqual(r.method, "POST")
        XCTAssertEqual(r.path, "/v1/messages")
        XCTAssertEqual(r.headers["x-api-key"], "sk-ant-test-123")
        XCTAssertEqual(r.headers["anthropic-version"], "2023-06-01")
        XCTAssertEqual(r.headers["content-type"], "application/json")
        XCTAssertNil(r.headers["expect"])
        let body = r.json
        XCTAssertEqual(body["model"] as? String, "claude-haiku-4-5")
        XCTAssertEqual(body["max_tokens"] as? Int, 300)
        XCTAssertEqual(body["stream"] as? Bool, true)
        XCTAssertEqual(body["system"] as? String, "sys")
        let messages = try XCTUnwrap(body["messages"] as? [[String: Any]])
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(messages[0]["role"] as? String, "user")
        XCTAssertEqual(messages[0]["content"] as? String, "## Product\nCola")
    }

    func testConnectionsAreReusedBetweenRequests() {
        let c = client()
        for _ in 0..<3 {
            XCTAssertEqual(
                run(c).0,
                .completed(
                    text: "Fine placement.",
                    model: "claude-haiku-4-5-20251001",
                    usage: TokenUsage(inputTokens: 412, outputTokens: 57),
                    stopReason: "end_turn"
                )
            )
        }
        XCTAssertEqual(fake.requests.count, 3)
    }

    func testErrorAnswersCarryStatusRetryAfterAndErrorCode() {
        fake.enqueue(.rateLimited(retryAfter: 7), .spendLimit, .overloaded, .internalError)
        let c = client()
        XCTAssertEqual(
            run(c).0,
            .httpError(
                status: 429,
                retryAfter: 7,
                errorType: "rate_limit_error",
                errorCode: nil,
                message: "Number of request tokens has exceeded your per-minute rate limit"
            )
        )
        XCTAssertEqual(
            run(c).0,
            .httpError(
                status: 429,
                retryAfter: nil,
                errorType: "rate_limit_error",
                errorCode: "enforced_spend_limit_reached",
                message: "You have reached your organization's monthly usage limit."
            )
        )
        XCTAssertEqual(
            run(c).0,
            .httpError(
                status: 529,
                retryAfter: nil,
                errorType: "overloaded_error",
                errorCode: nil,
                message: "Overloaded"
            )
        )
        XCTAssertEqual(
            run(c).0,
            .httpError(
                status: 500,
                retryAfter: nil,
                errorType: "api_error",
                errorCode: nil,
                message: "Internal server error"
            )
        )
    }

    func testAnErrorEventAfterThe200EndsTheStream() {
        fake.enqueue(.stream(deltas: ["one ", "two ", "three"], errorAfter: 2))
        let (outcome, events) = run(client())
        XCTAssertEqual(outcome, .streamError(type: "overloaded_error", message: "Overloaded"))
        XCTAssertEqual(events.filter { if case .textDelta = $0 { return true } else { return false } }.count, 2)
    }

    func testACutConnectionIsATransportFailure() {
        fake.enqueue(.stream(deltas: ["one ", "two ", "three"], cutAfter: 1))
        guard case .transport = run(client()).0 else { return XCTFail("expected a transport failure") }
    }

    func testASilentStreamHitsTheReadTimeout() {
        fake.enqueue(.stream(deltas: ["one ", "two "], stallAfter: 1, stallSeconds: 6))
        let started = Date()
        let (outcome, _) = run(client(readTimeout: 1))
        guard case .transport(let message) = outcome else { return XCTFail("expected a timeout, got \(outcome)") }
        XCTAssertTrue(message.contains("read timeout"), message)
        XCTAssertLessThan(Date().timeIntervalSince(started), 4)
    }

    func testNothingListeningIsATransportFailure() {
        let c = AnthropicClient(
            endpoint: AnthropicEndpoint(apiKey: "k", baseURL: "http://127.0.0.1:1", connectTimeout: 1)
        )
        guard case .transport = c.stream(request, cancel: CancelToken(), onEvent: { _ in }) else {
            return XCTFail("expected a transport failure")
        }
    }

    func testCancellingStopsTheTransfer() {
        fake.enqueue(.stream(deltas: Array(repeating: "word ", count: 50), deltaDelay: 0.05))
        let token = CancelToken()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { token.cancel() }
        let started = Date()
        XCTAssertEqual(run(client(), cancel: token).0, .cancelled)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
    }
}
