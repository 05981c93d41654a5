import Foundation

/// Reads a VRPTW instance in Solomon's original text layout: the name; `VEHICLE`, `NUMBER CAPACITY` and
/// their values; `CUSTOMER`, a header, and one line per customer (number, x, y, demand, ready time, due
/// date, service time), customer 0 being the depot. Blank lines and spacing do not matter.
package enum SolomonInstance {
    package struct Malformed: Error, CustomStringConvertible, Sendable {
        package let description: String
    }

    package static func parse(_ text: String) throws -> VRPTW {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter {
            !$0.isEmpty
        }
        guard let name = lines.first else { throw Malformed(description: "empty file") }
        guard let v = lines.firstIndex(where: { $0.uppercased().hasPrefix("VEHICLE") }), v + 2 < lines.count else {
            throw Malformed(description: "no VEHICLE section")
        }
        let fleet = lines[v + 2].split(separator: " ").compactMap { Int($0) }
        guard fleet.count == 2, fleet[0] > 0, fleet[1] > 0 else {
            throw Malformed(description: "bad vehicle line \"\(lines[v + 2])\"")
        }
        guard let c = lines.firstIndex(where: { $0.uppercased().hasPrefix("CUSTOMER") }) else {
            throw Malformed(description: "no CUSTOMER section")
        }
        var rows: [[Double]] = []
        for (n, line) in lines[(c + 1)...].enumerated() {
            let fields = line.split(separator: " ").map(String.init)
            let numbers = fields.compactMap(Double.init)
            if numbers.count != fields.count {
                if rows.isEmpty {
                    continue
                } else {
                    throw Malformed(description: "bad customer line \(n + 1): \"\(line)\"")
                }
            }
            guard numbers.count == 7, numbers.allSatisfy({ $0.isFinite }) else {
                throw Malformed(description: "customer line \"\(line)\" needs 7 numbers")
            }
            rows.append(numbers)
        }
        guard rows.count >= 2, rows[0][0] == 0 else {
            throw Malformed(description: "the first customer must be 0, the depot")
        }
        func stop(_ r: [Double]) -> VRPTW.Stop {
            VRPTW.Stop(x: r[1], y: r[2], demand: Int(r[3]), ready: r[4], due: r[5], service: r[6])
        }
        return VRPTW(
            name: name,
            depot: stop(rows[0]),
            stops: rows.dropFirst().map(stop),
            vehicles: fleet[0],
            capacity: fleet[1]
        )
    }
}
