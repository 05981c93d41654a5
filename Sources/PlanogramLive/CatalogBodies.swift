import HTTPAPI
import PlanogramDomain
import Store

// The response bodies of the catalogue routes (docs/API.md), as Codable structs written by `APIJSON.encode`.

/// `GET /api/devices` (`{"devices": [...]}`) and `GET /api/devices/{id}` (one).
struct DeviceBody: Encodable, Sendable {
    let deviceID: String
    let name: String
    let venueType: String
    let latitude: Double
    let longitude: Double
    let deviceType: String
    let cabinets: [CabinetBody]
    @Null var accessFrom: String?
    @Null var accessUntil: String?
    let serviceMinutes: Int

    init(_ d: Device, cabinets: [Cabinet]) {
        deviceID = d.id
        name = d.name
        venueType = d.venueType.rawValue
        latitude = d.latitude
        longitude = d.longitude
        deviceType = d.deviceType.rawValue
        self.cabinets = cabinets.map(CabinetBody.init)
        accessFrom = d.access.map { TimeWindow.text($0.from) }
        accessUntil = d.access.map { TimeWindow.text($0.until) }
        serviceMinutes = d.serviceMinutes
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case name
        case venueType = "venue_type"
        case latitude, longitude
        case deviceType = "device_type"
        case cabinets
        case accessFrom = "access_from"
        case accessUntil = "access_until"
        case serviceMinutes = "service_minutes"
    }
}

struct DevicesResponse: Encodable, Sendable {
    let devices: [DeviceBody]
}

struct CabinetBody: Encodable, Sendable {
    let cabinetIndex: Int
    let temperature: String
    let rows: Int
    let columns: Int
    let rowHeightsMM: [Int]

    init(_ c: Cabinet) {
        cabinetIndex = c.index
        temperature = c.temperature.rawValue
        rows = c.rows
        columns = c.columns
        rowHeightsMM = c.rowHeightsMM
    }

    enum CodingKeys: String, CodingKey {
        case cabinetIndex = "cabinet_index"
        case temperature, rows, columns
        case rowHeightsMM = "row_heights_mm"
    }
}

/// `GET /api/products` (`{"products": [...]}`).
struct ProductBody: Encodable, Sendable {
    let productID: String
    let name: String
    let category: String
    let price: Double
    let unitCost: Double
    let temperature: String
    let heightMM: Int
    let widthCols: Int
    let shelfLifeDays: Int
    let caseSize: Int

    init(_ p: Product) {
        productID = p.id
        name = p.name
        category = p.category
        price = p.price
        unitCost = p.unitCost
        temperature = p.temperature.rawValue
        heightMM = p.heightMM
        widthCols = p.widthColumns
        shelfLifeDays = p.shelfLifeDays
        caseSize = p.caseSize
    }

    enum CodingKeys: String, CodingKey {
        case productID = "product_id"
        case name, category, price
        case unitCost = "unit_cost"
        case temperature
        case heightMM = "height_mm"
        case widthCols = "width_cols"
        case shelfLifeDays = "shelf_life_days"
        case caseSize = "case_size"
    }
}

struct ProductsResponse: Encodable, Sendable {
    let products: [ProductBody]
}

/// `GET /api/planograms/{device_id}/{cabinet_index}`: a version of a cabinet's layout.
struct PlanogramBody: Encodable, Sendable {
    let deviceID: String
    let cabinetIndex: Int
    let version: Int
    let effectiveFrom: String
    let slots: [Slot]

    struct Slot: Encodable, Sendable {
        let slot: String
        let productID: String
        let capacity: Int
        let widthCols: Int

        enum CodingKeys: String, CodingKey {
            case slot
            case productID = "product_id"
            case capacity
            case widthCols = "width_cols"
        }
    }

    init(_ p: Planogram, catalog: Catalog) {
        deviceID = p.deviceID
        cabinetIndex = p.cabinetIndex
        version = p.version
        effectiveFrom = FieldParse.iso8601(p.effectiveFrom)
        slots = p.sortedFacings.map { s, f in
            Slot(
                slot: s.description,
                productID: f.productID,
                capacity: f.capacity,
                widthCols: catalog.products[f.productID]?.widthColumns ?? 1
            )
        }
    }

    enum CodingKeys: String, CodingKey {
        case deviceID = "device_id"
        case cabinetIndex = "cabinet_index"
        case version
        case effectiveFrom = "effective_from"
        case slots
    }
}
