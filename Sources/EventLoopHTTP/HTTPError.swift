extension HTTPResponse {
    /// The JSON error shape every part of the server answers with:
    /// `{"error": {"code": "...", "message": "...", "details": ...}}`.
    package static func error(
        _ status: Int,
        _ message: String,
        code: String? = nil,
        detailsJSON: String? = nil
    ) -> HTTPResponse {
        var body = "{\"error\":{\"code\":"
        JSONText.appendString(code ?? HTTPStatus.code(status), to: &body)
        body += ",\"message\":"
        JSONText.appendString(message, to: &body)
        if let detailsJSON { body += ",\"details\":" + detailsJSON }
        body += "}}"
        return HTTPResponse(status: status, contentType: "application/json; charset=utf-8", body: body)
    }
}

extension HTTPStatus {
    /// The machine-readable error code for a status.
    package static func code(_ status: Int) -> String {
        switch status {
        case 400: return "bad_request"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 409: return "conflict"
        case 413: return "payload_too_large"
        case 415: return "unsupported_media_type"
        case 417: return "expectation_failed"
        case 422: return "rule_broken"
        case 429: return "rate_limited"
        case 431: return "headers_too_large"
        case 501: return "not_implemented"
        case 503: return "unavailable"
        case 505: return "http_version_not_supported"
        default: return status >= 500 ? "internal" : "error"
        }
    }
}

/// Minimal JSON text helpers for the engine's own bodies.
package enum JSONText {
    /// Appends `s` as a JSON string literal, quotes included.
    package static func appendString(_ s: String, to out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }

    package static func quoted(_ s: String) -> String {
        var out = ""
        appendString(s, to: &out)
        return out
    }
}
