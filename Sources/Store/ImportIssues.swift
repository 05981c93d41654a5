/// One problem found in an import file: where (file, line, column) and what.
package struct ImportIssue: Sendable, Equatable, Codable, CustomStringConvertible {
    package let file: String
    package let line: Int
    /// The column's header name, or empty when the problem is the whole line.
    package let column: String
    package let message: String

    package var description: String {
        column.isEmpty ? "\(file):\(line): \(message)" : "\(file):\(line): column \(column): \(message)"
    }
}

/// The import was refused; nothing was written.
package struct ImportRejected: Error, Sendable, CustomStringConvertible {
    /// The first problems found, at most `ImportIssueList.limit`.
    package let issues: [ImportIssue]
    /// How many problems there were in all.
    package let total: Int
    package init(issues: [ImportIssue], total: Int) {
        self.issues = issues
        self.total = total
    }

    package var description: String {
        "import refused: \(total) problem(s)\n" + issues.map { "  \($0)" }.joined(separator: "\n")
            + (total > issues.count ? "\n  … and \(total - issues.count) more" : "")
    }
}

/// Collects problems, keeping the first hundred and counting all.
struct ImportIssueList {
    static let limit = 100
    private(set) var issues: [ImportIssue] = []
    private(set) var total = 0

    mutating func add(_ file: String, _ line: Int, _ column: String, _ message: String) {
        total += 1
        if issues.count < Self.limit {
            issues.append(ImportIssue(file: file, line: line, column: column, message: message))
        }
    }

    var isEmpty: Bool { total == 0 }
}
