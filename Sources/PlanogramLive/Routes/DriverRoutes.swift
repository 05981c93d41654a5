import EventLoopHTTP
import Foundation
import HTTPAPI
import Store

/// Drivers and their trucks (docs/API.md "Drivers and trucks"): `GET /api/drivers` lists the assignments
/// (managers, admins); `PUT /api/drivers/{sub}/vehicle` sets or clears one (admins; `{"vehicle_id": "T1"}` or
/// `{"vehicle_id": null}`). A driver whose token carries no `vehicle` claim then sees that truck's routes and
/// pick lists, as a token with the claim does.
struct DriverRoutes {
    let app: AppContext
    static let readers: Set<Role> = [.manager, .admin]

    /// `PUT /api/drivers/{sub}/vehicle`: a truck's id, or null to clear (required: an empty body clears nothing
    /// by accident).
    struct VehicleRequest: Decodable {
        /// `.null` when the body says null; nil when it says nothing.
        let vehicleID: JSONValue?

        enum CodingKeys: String, CodingKey {
            case vehicleID = "vehicle_id"
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            guard c.contains(.vehicleID) else {
                vehicleID = nil
                return
            }
            vehicleID = try c.decodeNil(forKey: .vehicleID) ? .null : try c.decode(JSONValue.self, forKey: .vehicleID)
        }
    }

    /// `GET /api/drivers`.
    struct DriversResponse: Encodable {
        let drivers: [Assignment]
    }

    /// `PUT /api/drivers/{sub}/vehicle`: the driver and their truck now (`null`: none).
    struct DriverVehicleResponse: Encodable {
        let driver: String
        @Null var vehicleID: String?

        enum CodingKeys: String, CodingKey {
            case driver
            case vehicleID = "vehicle_id"
        }
    }

    struct Assignment: Codable {
        let driver: String
        let vehicleID: String
        let assignedBy: String
        let assignedAt: String

        enum CodingKeys: String, CodingKey {
            case driver
            case vehicleID = "vehicle_id"
            case assignedBy = "assigned_by"
            case assignedAt = "assigned_at"
        }
    }

    func install(_ router: inout Router) {
        let app = self.app
        router.get("/api/drivers", name: "drivers") { req, r in
            app.handleBlocking(r) {
                _ = try app.auth.require(req, Self.readers)
                let list = try app.store.driverAssignments().map {
                    Assignment(
                        driver: $0.driver,
                        vehicleID: $0.vehicleID,
                        assignedBy: $0.assignedBy,
                        assignedAt: FieldParse.iso8601($0.assignedAt)
                    )
                }
                return (200, DriversResponse(drivers: list))
            }
        }
        router.add("PUT", "/api/drivers/{sub}/vehicle", name: "driver_vehicle", admit: app.auth.admit(.adminOnly)) {
            req,
            r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, .adminOnly)
                let driver = req.parameter("sub") ?? ""
                guard !driver.isEmpty, driver.count <= 200, !driver.unicodeScalars.contains(where: { $0.value < 32 })
                else {
                    throw APIError.badRequest("the driver is the subject of their token (sub)")
                }
                // `vehicle_id` is required: a truck, or null to clear (an empty body clears nothing by accident).
                let body = try JSONRequest.decode(VehicleRequest.self, req)
                let vehicleID: String?
                switch body.vehicleID {
                case .string(let v)?: vehicleID = v
                case .null?: vehicleID = nil
                default:
                    throw APIError.badRequest("vehicle_id is required: a truck's id, or null to clear the assignment")
                }
                if let v = vehicleID, app.catalog.current.vehicles[v] == nil {
                    throw APIError.notFound("unknown vehicle \(v)")
                }
                try app.store.assign(
                    driver: driver,
                    vehicleID: vehicleID,
                    by: p.subject,
                    at: Int64(Date().timeIntervalSince1970)
                )
                return (200, DriverVehicleResponse(driver: driver, vehicleID: vehicleID))
            }
        }
    }
}

extension AppContext {
    /// The truck a request is about (`APIQuery.vehicle`), with a driver's assignment standing in for a `vehicle`
    /// claim their token does not carry.
    func vehicle(_ asked: String?, for p: Principal) throws -> String? {
        if p.vehicle == nil, p.role == .driver, let assigned = try store.vehicle(forDriver: p.subject) {
            var bound = p
            bound.vehicle = assigned
            return try APIQuery.vehicle(asked, for: bound)
        }
        return try APIQuery.vehicle(asked, for: p)
    }
}
