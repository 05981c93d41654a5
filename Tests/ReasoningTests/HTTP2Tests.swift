import FakeAnthropic
import Foundation
import Reasoning
import XCTest

/// HTTP/2: the fake API behind Debian's nginx terminating TLS with `http2` (a self-signed certificate
/// made by openssl for 127.0.0.1), as the real API is reached. The client must negotiate HTTP/2 through
/// ALPN and still deliver the stream delta by delta. nginx and openssl are installed by Ops/test.
final class HTTP2Tests: XCTestCase {
    func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw NSError(domain: "\(tool) failed", code: Int(p.terminationStatus)) }
    }

    func testStreamingOverHTTP2WithTLS() throws {
        let fake = try FakeAnthropicServer()
        defer { fake.stop() }
        let dir = NSTemporaryDirectory() + "h2-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem",
                "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ]
        )
        // A free port for nginx.
        let probe = try FakeAnthropicServer()
        let port = probe.port
        probe.stop()
        let conf = """
            daemon off; master_process off; worker_processes 1; pid \(dir)/nginx.pid; error_log \(dir)/error.log;
            events { worker_connections 64; }
            http {
              access_log off; client_body_temp_path \(dir); proxy_temp_path \(dir); fastcgi_temp_path \(dir); uwsgi_temp_path \(dir); scgi_temp_path \(dir);
              server {
                listen 127.0.0.1:\(port) ssl http2;
                ssl_certificate \(dir)/cert.pem; ssl_certificate_key \(dir)/key.pem;
                location / { proxy_pass http://127.0.0.1:\(fake.port); proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
              }
            }
            """
        try conf.write(toFile: dir + "/nginx.conf", atomically: true, encoding: .utf8)
        let nginx = Process()
        nginx.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        nginx.arguments = ["-c", dir + "/nginx.conf", "-p", dir, "-e", dir + "/error.log"]
        nginx.standardError = FileHandle.nullDevice
        try nginx.run()
        defer {
            nginx.terminate()
            nginx.waitUntilExit()
        }

        let deltas = ["Over ", "HTTP/2, ", "still ", "one delta ", "at a time."]
        let client = AnthropicClient(
            endpoint: AnthropicEndpoint(
                apiKey: "k",
                baseURL: "https://127.0.0.1:\(port)",
                connectTimeout: 2,
                caBundle: dir + "/cert.pem"
            )
        )
        let request = MessageRequest(model: "claude-haiku-4-5", maxTokens: 100, system: "s", prompt: "p")
        var outcome = StreamOutcome.transport("not run")
        var seen: [String] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {  // nginx needs a moment to listen
            fake.enqueue(.stream(deltas: deltas))
            seen = []
            outcome = client.stream(request, cancel: CancelToken()) {
                if case .textDelta(_, let t) = $0 { seen.append(t) }
            }
            if case .transport = outcome { Thread.sleep(forTimeInterval: 0.1) } else { break }
        } while Date() < deadline
        XCTAssertEqual(
            outcome,
            .completed(
                text: deltas.joined(),
                model: "claude-haiku-4-5-20251001",
                usage: TokenUsage(inputTokens: 412, outputTokens: 57),
                stopReason: "end_turn"
            )
        )
        XCTAssertEqual(seen, deltas)
        XCTAssertEqual(client.lastHTTPVersion, 2, "negotiated HTTP/2")
        XCTAssertEqual(fake.requests.last?.headers["x-api-key"], "k")
    }
}
