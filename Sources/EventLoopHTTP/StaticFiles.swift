#if canImport(Glibc)
import Glibc
#endif

/// Serves files below one root directory: `index.html` for directories, a content type by extension,
/// a strong ETag from size and modification time with `If-None-Match` → 304, and no way out of the
/// root: `..` segments (raw or percent-encoded), NUL bytes and symlinks resolving outside are refused.
package struct StaticFiles: Sendable {
    package let root: String

    /// Nil when the root does not exist.
    package init?(root: String) {
        guard let real = Self.realPath(root) else { return nil }
        self.root = real
    }

    /// The handler, for `Router.fallback`.
    package var handler: HTTPHandler {
        let files = self
        return { request, responder in responder.send(files.respond(to: request)) }
    }

    package func respond(to request: HTTPRequest) -> HTTPResponse {
        for segment in request.pathSegments {
            if segment == ".." || segment == "." || segment.contains("/") || segment.contains("\0")
                || segment.hasPrefix(".")
            {
                return .error(404, "not found")
            }
        }
        var path = root + "/" + request.pathSegments.joined(separator: "/")
        guard var resolved = Self.realPath(path), resolved == root || resolved.hasPrefix(root + "/") else {
            return .error(404, "not found")
        }
        var st = stat()
        guard stat(resolved, &st) == 0 else { return .error(404, "not found") }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            path = resolved + "/index.html"
            guard let r = Self.realPath(path), r.hasPrefix(root + "/"), stat(r, &st) == 0,
                (st.st_mode & S_IFMT) == S_IFREG
            else {
                return .error(404, "not found")
            }
            resolved = r
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return .error(404, "not found") }
        let etag =
            "\"\(String(UInt64(st.st_size), radix: 16))-\(String(UInt64(st.st_mtim.tv_sec) * 1_000_000_000 + UInt64(st.st_mtim.tv_nsec), radix: 16))\""
        var headers = HTTPHeaders()
        headers.append(name: "ETag", value: etag)
        headers.append(name: "Cache-Control", value: "no-cache")
        headers.append(name: "Content-Type", value: Self.contentType(for: resolved))
        headers.append(name: "X-Content-Type-Options", value: "nosniff")
        if let inm = request.headers["if-none-match"], Self.matches(inm, etag) {
            return HTTPResponse(status: 304, headers: headers, body: [])
        }
        guard let bytes = Self.readFile(resolved, size: Int(st.st_size)) else { return .error(404, "not found") }
        return HTTPResponse(status: 200, headers: headers, body: bytes)
    }

    static func matches(_ ifNoneMatch: String, _ etag: String) -> Bool {
        for candidate in ifNoneMatch.split(separator: ",") {
            var c = candidate.trimmingSpaces()
            if c == "*" { return true }
            if c.hasPrefix("W/") { c = c.dropFirst(2) }
            if c == etag { return true }
        }
        return false
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func readFile(_ path: String, size: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = close(fd) }
        var out = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            done += n
        }
        return done == size ? out : nil
    }

    package static func contentType(for path: String) -> String {
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch ext {
        case "html", "htm": return "text/html; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "json": return "application/json; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "ico": return "image/x-icon"
        case "txt", "md": return "text/plain; charset=utf-8"
        case "webmanifest": return "application/manifest+json"
        case "woff2": return "font/woff2"
        default: return "application/octet-stream"
        }
    }
}
