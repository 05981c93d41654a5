import Foundation

/// Which truck each driver drives (docs/API.md "Drivers and trucks"): an admin's assignment, read for a driver
/// whose token carries no `vehicle` claim of its own.
package struct DriverAssignment: Sendable, Equatable {
    package var driver: String
    package var vehicleID: String
    package var assignedBy: String
    package var assignedAt: Int64

    package init(driver: String, vehicleID: String, assignedBy: String, assignedAt: Int64) {
        self.driver = driver
        self.vehicleID = vehicleID
        self.assignedBy = assignedBy
        self.assignedAt = assignedAt
    }
}

extension Store {
    /// The truck assigned to `driver` (a token's subject), if any.
    package func vehicle(forDriver driver: String) throws -> String? {
        try read { db in
            try db.query("SELECT vehicle_id FROM driver_vehicles WHERE driver = ?", [.text(driver)]) { $0.text(0) }
                .first
        }
    }

    package func driverAssignments() throws -> [DriverAssignment] {
        try read { db in
            try db.query("SELECT driver, vehicle_id, assigned_by, assigned_at FROM driver_vehicles ORDER BY driver", [])
            {
                DriverAssignment(
                    driver: $0.text(0),
                    vehicleID: $0.text(1),
                    assignedBy: $0.text(2),
                    assignedAt: $0.int64(3)
                )
            }
        }
    }

    /// Assigns `vehicleID` to `driver`, or clears the assignment (nil).
    package func assign(driver: String, vehicleID: String?, by admin: String, at time: Int64) throws {
        try write { db in
            guard let vehicleID else {
                _ = try db.run("DELETE FROM driver_vehicles WHERE driver = ?", [.text(driver)])
                return
            }
            _ = try db.run(
                """
                INSERT INTO driver_vehicles(driver, vehicle_id, assigned_by, assigned_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(driver) DO UPDATE SET vehicle_id = excluded.vehicle_id, assigned_by = excluded.assigned_by,
                  assigned_at = excluded.assigned_at
                """,
                [.text(driver), .text(vehicleID), .text(admin), .int(time)]
            )
        }
    }
}
