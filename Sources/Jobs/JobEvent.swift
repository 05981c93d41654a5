import HTTPAPI

/// The events of `GET /api/jobs/{id}/events`: `progress`, then one of `done`, `failed`, `cancelled`.
package enum JobEvent {
    package struct Progress: Encodable {
        let jobID: String
        let progress: Double
        let message: String

        package init(jobID: String, progress: Double, message: String) {
            self.jobID = jobID
            self.progress = progress
            self.message = message
        }

        enum CodingKeys: String, CodingKey {
            case jobID = "job_id"
            case progress
            case message
        }
    }

    package struct Done: Encodable {
        let jobID: String
        @Null var result: JSONValue?

        package init(jobID: String, result: JSONValue?) {
            self.jobID = jobID
            self.result = result
        }

        enum CodingKeys: String, CodingKey {
            case jobID = "job_id"
            case result
        }
    }

    struct Cancelled: Encodable {
        let jobID: String
        let message: String
        enum CodingKeys: String, CodingKey {
            case jobID = "job_id"
            case message
        }
    }

    package struct Failed: Encodable {
        package struct Reason: Encodable {
            let code: String
            let message: String

            package init(code: String, message: String) {
                self.code = code
                self.message = message
            }
        }
        let jobID: String
        let error: Reason

        package init(jobID: String, error: Reason) {
            self.jobID = jobID
            self.error = error
        }
        enum CodingKeys: String, CodingKey {
            case jobID = "job_id"
            case error
        }
    }
}
