import HTTPAPI

/// `GET /api/jobs/{id}`: `result` once done, `error` once failed or cancelled.
package struct JobStatusResponse: Encodable {
    package let jobID: String
    package let kind: String
    package let state: String
    package let progress: Double
    package let message: String
    package let result: JSONValue?
    package let error: String?

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case kind
        case state
        case progress
        case message
        case result
        case error
    }

    package init(
        jobID: String,
        kind: String,
        state: String,
        progress: Double,
        message: String,
        result: JSONValue?,
        error: String?
    ) {
        self.jobID = jobID
        self.kind = kind
        self.state = state
        self.progress = progress
        self.message = message
        self.result = result
        self.error = error
    }
}
