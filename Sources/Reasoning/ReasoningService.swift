import Foundation
import Logging
import Metrics
import PlanogramDomain

/// Settings of the reasoning service (filled from the app configuration).
package struct ReasoningSettings: Sendable {
    /// No key: every explanation comes from the rules narrator.
    package var apiKey: String?
    package var baseURL = "https://api.anthropic.com"
    package var placementModel = "claude-haiku-4-5"
    package var analysisModel = "claude-sonnet-4-5"
    package var placementMaxTokens = 300
    package var analysisMaxTokens = 700
    package var connectTimeout = 5.0
    package var readTimeout = 20.0
    package var totalTimeout = 90.0
    package var caBundle: String?
    /// Attempts per request (the first included) for 429, 529, 5xx, a cut connection or a stream error
    /// before any text was relayed.
    package var maxAttempts = 3
    package var backoffBase = 0.5
    package var backoffCap = 8.0
    /// A `retry-after` longer than this is not waited for (the rules narrator answers instead).
    package var maxRetryAfter = 20.0
    package var breakerThreshold = 5
    package var breakerCooldown = 30.0
    package var dailySpendCapUSD = 5.0
    /// The clock whose local dates the spend cap counts (the fleet's, `PLANOGRAM_TIMEZONE`).
    package var clock = FleetClock.utc
    package var memoryTTL = 300.0
    package var storeTTL = 86_400.0
    /// Pause between two deltas of a replay or of the rules narrator (0 in tests).
    package var replayDeltaPause = 0.012
    /// Explanations streamed at once (a fixed pool of worker threads), and how many may wait for one.
    package var maxConcurrentStreams = 8
    package var maxQueuedStreams = 64
    package init() {}
}

/// One explanation to produce.
package struct ReasoningJob: Sendable {
    package var requestID: String
    /// Requests with the same key cancel each other: the newest wins (one per session and slot).
    package var key: String
    package var request: MessageRequest
    /// What the rules narrator says if Claude is not used or fails.
    package var rulesText: String
    package init(requestID: String, key: String, request: MessageRequest, rulesText: String) {
        self.requestID = requestID
        self.key = key
        self.request = request
        self.rulesText = rulesText
    }
}

/// What the service tells its listener, in order: `delta`s, maybe an `error` (after which the rules
/// narrator's deltas follow), then exactly one `done`.
package enum ReasoningOutput: Sendable, Equatable {
    case delta(text: String, source: String)
    case error(message: String, fallback: String)
    case done(text: String, source: String, model: String, usage: TokenUsage?, cached: Bool, cancelled: Bool)
}

/// Streams explanations: cache (memory, then store), then Claude with retries, backoff, a circuit
/// breaker and a daily spend cap, and the rules narrator when there is no key or anything fails.
/// Each job runs on its own thread (the curl transfer blocks it); nothing here touches an event loop.
package final class ReasoningService: @unchecked Sendable {
    package let settings: ReasoningSettings
    package let cache: ReasoningCache
    package let breaker: CircuitBreaker
    package let ledger: SpendLedger
    let client: AnthropicClient?
    let logger: Logger
    private let lock = NSLock()
    private var active: [String: CancelToken] = [:]
    private var running = 0
    private let idle = NSCondition()
    /// Jobs waiting for a worker, and the workers started so far (at most `maxConcurrentStreams`).
    private var queued: [(ReasoningJob, CancelToken, @Sendable (ReasoningOutput) -> Void)] = []
    private var workers = 0
    private var busyWorkers = 0
    private let work = NSCondition()

    /// `spendStore`: where the day's spend is kept for every node and across restarts (nil: this process
    /// counts alone, from nothing at each start).
    package init(
        settings: ReasoningSettings,
        store: ReasoningStore?,
        spendStore: (any SpendStore)? = nil,
        logger: Logger
    ) {
        self.settings = settings
        self.logger = logger
        cache = ReasoningCache(store: store, memoryTTL: settings.memoryTTL, storeTTL: settings.storeTTL)
        breaker = CircuitBreaker(threshold: settings.breakerThreshold, cooldown: settings.breakerCooldown)
        ledger = SpendLedger(
            dailyCapUSD: settings.dailySpendCapUSD,
            clock: settings.clock,
            store: spendStore,
            onStoreError: { [logger] error in
                logger.warning(
                    "ai spend: the database did not answer; counting on this node",
                    metadata: ["error": "\(error)"]
                )
            }
        )
        if let key = settings.apiKey, !key.isEmpty {
            client = AnthropicClient(
                endpoint: AnthropicEndpoint(
                    apiKey: key,
                    baseURL: settings.baseURL,
                    connectTimeout: settings.connectTimeout,
                    readTimeout: settings.readTimeout,
                    totalTimeout: settings.totalTimeout,
                    caBundle: settings.caBundle
                )
            )
        } else {
            client = nil
        }
    }

    package var usesClaude: Bool { client != nil }

    // MARK: metrics
    static func requests(_ model: String, _ outcome: String) -> Counter {
        Counter(label: "reasoning_requests_total", dimensions: [("model", model), ("outcome", outcome)])
    }
    static func attempts(_ model: String, _ result: String) -> Counter {
        Counter(label: "reasoning_attempts_total", dimensions: [("model", model), ("result", result)])
    }
    static func tokens(_ model: String, _ kind: String) -> Counter {
        Counter(label: "reasoning_tokens_total", dimensions: [("model", model), ("kind", kind)])
    }
    static func cost(_ model: String) -> FloatingPointCounter {
        FloatingPointCounter(label: "reasoning_cost_usd_total", dimensions: [("model", model)])
    }
    static func firstToken(_ model: String) -> Timer {
        Timer(
            label: "reasoning_time_to_first_token_seconds",
            dimensions: [("model", model)],
            preferredDisplayUnit: .seconds
        )
    }

    /// Whether a new job would be queued now (the pool and its queue are not full).
    package var hasCapacity: Bool {
        work.lock()
        defer { work.unlock() }
        return queued.count < settings.maxQueuedStreams
    }

    /// Starts a job on the bounded pool; a running or waiting job with the same key is cancelled (it ends
    /// with `done(cancelled: true)`). Returns false, running nothing, when the queue is full.
    @discardableResult
    package func start(_ job: ReasoningJob, sink: @escaping @Sendable (ReasoningOutput) -> Void) -> Bool {
        work.lock()
        guard queued.count < settings.maxQueuedStreams else {
            work.unlock()
            return false
        }
        let token = CancelToken()
        lock.lock()
        let older = active[job.key]
        active[job.key] = token
        running += 1
        lock.unlock()
        queued.append((job, token, sink))
        if workers < settings.maxConcurrentStreams && busyWorkers == workers {
            workers += 1
            let thread = Thread { [self] in workerLoop() }
            thread.name = "reasoning"
            thread.start()
        }
        work.signal()
        work.unlock()
        older?.cancel()
        return true
    }

    private func workerLoop() {
        while true {
            work.lock()
            while queued.isEmpty { work.wait() }
            let (job, token, sink) = queued.removeFirst()
            busyWorkers += 1
            work.unlock()
            if token.isCancelled {
                sink(
                    .done(
                        text: "",
                        source: "claude",
                        model: job.request.model,
                        usage: nil,
                        cached: false,
                        cancelled: true
                    )
                )
            } else {
                run(job, token, sink)
            }
            work.lock()
            busyWorkers -= 1
            work.unlock()
            lock.lock()
            if active[job.key] === token { active[job.key] = nil }
            running -= 1
            lock.unlock()
            idle.lock()
            idle.broadcast()
            idle.unlock()
        }
    }

    /// Cancels every running job (shutdown) and waits up to `timeout` for them to end.
    package func cancelAll(timeout: Double) {
        lock.lock()
        let tokens = Array(active.values)
        lock.unlock()
        for t in tokens { t.cancel() }
        let deadline = Date().addingTimeInterval(timeout)
        idle.lock()
        while true {
            lock.lock()
            let n = running
            lock.unlock()
            if n == 0 || !idle.wait(until: deadline) { break }
        }
        idle.unlock()
    }

    private func run(_ job: ReasoningJob, _ token: CancelToken, _ sink: @Sendable (ReasoningOutput) -> Void) {
        let req = job.request
        let key = ReasoningCache.key(req)
        if let (hit, level) = cache.lookup(key) {
            Self.requests(req.model, "cached").increment()
            logger.debug(
                "reasoning cache hit",
                metadata: ["request_id": "\(job.requestID)", "level": "\(level.rawValue)"]
            )
            replay(hit.text, source: "claude", model: hit.model, usage: hit.usage, cached: true, token, sink)
            return
        }
        guard let client else {
            Self.requests(RulesNarrator.model, "rules").increment()
            replay(job.rulesText, source: "rules", model: RulesNarrator.model, usage: nil, cached: false, token, sink)
            return
        }
        func fallback(_ message: String, outcome: String) {
            Self.requests(req.model, outcome).increment()
            logger.warning(
                "reasoning falls back to the rules narrator",
                metadata: ["request_id": "\(job.requestID)", "model": "\(req.model)", "why": "\(message)"]
            )
            sink(.error(message: message, fallback: "rules"))
            replay(job.rulesText, source: "rules", model: RulesNarrator.model, usage: nil, cached: false, token, sink)
        }
        let estimate = ReasoningPrompt.estimateTokens(req.system) + ReasoningPrompt.estimateTokens(req.prompt)
        guard let reservation = ledger.reserve(model: req.model, inputTokens: estimate, maxOutputTokens: req.maxTokens)
        else {
            return fallback(
                String(format: "the daily AI spend cap ($%.2f) is reached", settings.dailySpendCapUSD),
                outcome: "spend_cap"
            )
        }
        // What the attempts used: exact usage when a stream completes; for a stream cancelled or cut after
        // it began, the prompt estimate and the text relayed (both are billed).
        var used = TokenUsage(inputTokens: 0, outputTokens: 0)
        var settled = false
        func settle() {
            guard !settled else { return }
            settled = true
            Self.cost(req.model).increment(by: ledger.settle(reservation, usage: used))
        }
        defer { settle() }
        func billPartial(_ relayed: String, started: Bool) {
            guard started || !relayed.isEmpty else { return }
            used = TokenUsage(
                inputTokens: used.inputTokens + estimate,
                outputTokens: used.outputTokens + ReasoningPrompt.estimateTokens(relayed)
            )
        }
        var attempt = 0
        var lastError = ""
        while attempt < settings.maxAttempts {
            attempt += 1
            guard breaker.allow() else {
                return fallback(
                    "Claude is paused after repeated failures (circuit open)"
                        + (lastError.isEmpty ? "" : ": " + lastError),
                    outcome: "breaker_open"
                )
            }
            var relayed = ""
            var model = req.model
            var messageStarted = false
            let started = DispatchTime.now().uptimeNanoseconds
            let outcome = client.stream(req, cancel: token) { event in
                switch event {
                case .messageStart(_, let m, _):
                    messageStarted = true
                    if !m.isEmpty { model = m }
                case .textDelta(_, let t):
                    if relayed.isEmpty {
                        Self.firstToken(req.model).recordNanoseconds(
                            Int64(DispatchTime.now().uptimeNanoseconds - started)
                        )
                    }
                    relayed += t
                    sink(.delta(text: t, source: "claude"))
                default: break
                }
            }
            var wait: Double?
            switch outcome {
            case .completed(let text, let m, let usage, _):
                breaker.success()
                Self.attempts(req.model, "ok").increment()
                Self.requests(req.model, "ok").increment()
                Self.tokens(req.model, "input").increment(by: usage.inputTokens)
                Self.tokens(req.model, "output").increment(by: usage.outputTokens)
                used = TokenUsage(
                    inputTokens: used.inputTokens + usage.inputTokens,
                    outputTokens: used.outputTokens + usage.outputTokens
                )
                settle()
                let entry = CachedReasoning(text: text, model: m.isEmpty ? model : m, usage: usage)
                cache.insert(key, entry)
                sink(
                    .done(
                        text: text,
                        source: "claude",
                        model: entry.model,
                        usage: usage,
                        cached: false,
                        cancelled: false
                    )
                )
                return
            case .cancelled:
                billPartial(relayed, started: messageStarted)
                Self.requests(req.model, "cancelled").increment()
                sink(.done(text: relayed, source: "claude", model: model, usage: nil, cached: false, cancelled: true))
                return
            case .httpError(let status, let retryAfter, let type, let code, let message):
                Self.attempts(
                    req.model,
                    status == 429 ? "http_429" : status == 529 ? "http_529" : status >= 500 ? "http_5xx" : "http_4xx"
                ).increment()
                breaker.failure()
                lastError = "HTTP \(status)\(type.map { " " + $0 } ?? ""): \(message)"
                let spendLimit =
                    code == "enforced_spend_limit_reached" || message.lowercased().contains("usage limit")
                    || message.lowercased().contains("spend limit")
                if status == 429 && !spendLimit {
                    wait = retryAfter ?? backoff(attempt)
                    if let w = wait, w > settings.maxRetryAfter {
                        lastError += " (retry-after \(Int(min(w, 1e9))) s is too long)"
                        wait = nil
                    }
                } else if status == 529 || (500...599).contains(status) {
                    wait = backoff(attempt)
                }
            case .streamError(let type, let message):
                billPartial(relayed, started: messageStarted)
                Self.attempts(req.model, "stream_error").increment()
                breaker.failure()
                lastError = "stream error \(type): \(message)"
                if relayed.isEmpty && ["overloaded_error", "api_error", "rate_limit_error"].contains(type) {
                    wait = backoff(attempt)
                }
            case .transport(let message):
                billPartial(relayed, started: messageStarted)
                Self.attempts(req.model, "transport").increment()
                breaker.failure()
                lastError = message
                if relayed.isEmpty { wait = backoff(attempt) }
            }
            // Text already relayed cannot be taken back by a retry: the rules narrator answers instead.
            guard let w = wait, attempt < settings.maxAttempts else { break }
            logger.info(
                "reasoning retry",
                metadata: [
                    "request_id": "\(job.requestID)", "attempt": "\(attempt)", "wait_s": "\(String(format: "%.2f", w))",
                    "why": "\(lastError)",
                ]
            )
            if !token.sleep(w) {
                Self.requests(req.model, "cancelled").increment()
                sink(.done(text: "", source: "claude", model: req.model, usage: nil, cached: false, cancelled: true))
                return
            }
        }
        fallback(lastError, outcome: "failed")
    }

    /// Capped exponential backoff with jitter: base · 2^(n−1), at most the cap, times a factor in [0.5, 1).
    func backoff(_ attempt: Int) -> Double {
        min(settings.backoffCap, settings.backoffBase * pow(2, Double(attempt - 1))) * Double.random(in: 0.5..<1)
    }

    private func replay(
        _ text: String,
        source: String,
        model: String,
        usage: TokenUsage?,
        cached: Bool,
        _ token: CancelToken,
        _ sink: @Sendable (ReasoningOutput) -> Void
    ) {
        var sent = ""
        for d in RulesNarrator.deltas(text) {
            if token.isCancelled {
                sink(.done(text: sent, source: source, model: model, usage: usage, cached: cached, cancelled: true))
                return
            }
            sink(.delta(text: d, source: source))
            sent += d
            if settings.replayDeltaPause > 0 { _ = token.sleep(settings.replayDeltaPause) }
        }
        sink(.done(text: text, source: source, model: model, usage: usage, cached: cached, cancelled: false))
    }
}
