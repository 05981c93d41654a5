import EventLoopHTTP
import Foundation
import HTTPAPI
import PlanogramDomain
import Store

/// The read routes of docs/API.md: devices with cabinets, the catalogue, and published planograms.
/// Any role may read; the token's `devices` claim narrows what is listed and what may be opened.
struct CatalogRoutes {
    let app: AppContext

    func install(_ router: inout Router) {
        let app = self.app
        router.get("/api/devices", name: "devices") { req, r in
            app.handle(r) {
                let p = try app.auth.require(req, .anyRole)
                let cat = app.catalog.current
                let list = cat.devices.values.filter { p.mayTouch(device: $0.id) }.sorted { $0.id < $1.id }
                return (200, DevicesResponse(devices: list.map { DeviceBody($0, cabinets: cat.cabinets(of: $0.id)) }))
            }
        }
        router.get("/api/devices/{id}", name: "device") { req, r in
            app.handle(r) {
                let p = try app.auth.require(req, .anyRole)
                let id = req.parameter("id") ?? ""
                let cat = app.catalog.current
                guard let d = cat.devices[id] else { throw APIError.notFound("unknown device \(id)") }
                try app.auth.requireDevice(p, id)
                return (200, DeviceBody(d, cabinets: cat.cabinets(of: id)))
            }
        }
        // docs/MODELS.md: where trucks start and end, and the trucks (route managers, drivers, admins).
        router.get("/api/depots", name: "depots") { req, r in
            app.handle(r) {
                _ = try app.auth.require(req, [.manager, .driver, .admin])
                return (
                    200,
                    DepotsResponse(
                        depots: app.catalog.current.depots.values.sorted { $0.id < $1.id }.map(DepotBody.init)
                    )
                )
            }
        }
        router.get("/api/vehicles", name: "vehicles") { req, r in
            app.handle(r) {
                _ = try app.auth.require(req, [.manager, .driver, .admin])
                return (
                    200,
                    VehiclesResponse(
                        vehicles: app.catalog.current.vehicles.values.sorted { $0.id < $1.id }.map(VehicleBody.init)
                    )
                )
            }
        }
        router.get("/api/products", name: "products") { req, r in
            app.handle(r) {
                _ = try app.auth.require(req, .anyRole)
                let list = app.catalog.current.products.values.sorted { $0.id < $1.id }
                return (200, ProductsResponse(products: list.map(ProductBody.init)))
            }
        }
        router.get("/api/planograms/{device_id}/{cabinet_index}", name: "planogram") { req, r in
            app.handleBlocking(r) {
                let p = try app.auth.require(req, .anyRole)
                let (cat, cab) = try app.cabinet(req, p)
                var version: Int?
                if let v = req.queryValue("version") {
                    guard let n = Int(v), n >= 1 else {
                        throw APIError.badRequest("version must be a positive whole number")
                    }
                    version = n
                }
                guard
                    let plan = try
                        (version == nil
                        ? app.published.current(CabinetKey(cab.deviceID, cab.index))
                        : app.store.planogram(deviceID: cab.deviceID, cabinetIndex: cab.index, version: version))
                else {
                    throw APIError.notFound(
                        version.map { "no version \($0) of the planogram of \(cab.deviceID)/\(cab.index)" }
                            ?? "no published planogram for \(cab.deviceID)/\(cab.index)"
                    )
                }
                return (200, PlanogramBody(plan, catalog: cat))
            }
        }
    }
}
