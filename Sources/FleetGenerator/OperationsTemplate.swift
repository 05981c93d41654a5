import PlanogramDomain

/// The operations side of a generated fleet (docs/MODELS.md): case sizes by category, access hours by venue,
/// service times, depots and trucks. Fixed rules, no random numbers (the generator's stream of random
/// numbers, and so the sales history, stay the same). Every window opens by 06:30, before the generator's
/// restocks at 07:00–08:30.
enum OperationsTemplate {
    static func caseSize(_ category: String) -> Int {
        switch category {
        case "soda", "water", "energy", "juice", "candy": return 24
        case "chips": return 20
        case "pastry": return 10
        case "sandwich", "salad": return 6
        default: return 12
        }
    }

    static func access(_ venue: VenueType) -> TimeWindow? {
        switch venue {
        case .office: return TimeWindow(from: 6 * 60 + 30, until: 19 * 60)
        case .school: return TimeWindow(from: 6 * 60 + 30, until: 16 * 60 + 30)
        case .university: return TimeWindow(from: 6 * 60 + 30, until: 21 * 60)
        case .factory: return TimeWindow(from: 5 * 60, until: 23 * 60)
        case .gym: return TimeWindow(from: 6 * 60, until: 22 * 60)
        default: return nil  // hospitals, transit, hotels, retail: all day
        }
    }

    static func serviceMinutes(cabinets: Int) -> Int { 8 + 3 * cabinets }

    /// Metro fleets: sandwiches 3 days, salads 4, dairy 7; the rest as the catalogue says.
    static func metroShelfLife(_ category: String, _ standard: Int) -> Int {
        switch category {
        case "sandwich": return 3
        case "salad": return 4
        case "dairy": return 7
        default: return standard
        }
    }

    /// Metro fleets: daily for transit and hospitals, every 2–3 days for offices, universities and
    /// factories, weekly for the rest.
    static func metroServiceEvery(_ venue: VenueType, _ rng: inout SeededRandom) -> Int {
        switch venue {
        case .transit, .hospital: return 1
        case .office, .university, .factory: return rng.int(2...3)
        default: return 7
        }
    }

    /// Two depots, north and south of the centre.
    static func metroDepotsCSV(_ name: String, _ lat: Double, _ lon: Double) -> String {
        "depot_id,name,latitude,longitude,opens,closes\n"
            + "DEP-N,\(name) north depot,\(((lat + 0.09) * 1e5).rounded() / 1e5),\(((lon - 0.04) * 1e5).rounded() / 1e5),05:00,21:00\n"
            + "DEP-S,\(name) south depot,\(((lat - 0.09) * 1e5).rounded() / 1e5),\(((lon + 0.06) * 1e5).rounded() / 1e5),05:00,21:00\n"
    }

    /// A truck per 25 devices, at least two, split over the depots.
    static func metroVehiclesCSV(devices: Int) -> String {
        var out = "vehicle_id,depot_id,capacity_units,shift_start,shift_end\n"
        for i in 0..<max(2, (devices + 24) / 25) {
            let depot = i % 2 == 0 ? "DEP-N" : "DEP-S"
            out += "\(depot)-V\(i / 2 + 1),\(depot),1200,\(i % 4 < 2 ? "06:00,14:30" : "09:00,17:30")\n"
        }
        return out
    }

    static func depotID(_ city: String) -> String { "DEP-" + city.uppercased().prefix(3) }

    static func depotsCSV(_ cities: [(String, Double, Double)]) -> String {
        var out = "depot_id,name,latitude,longitude,opens,closes\n"
        for c in cities {
            out +=
                "\(depotID(c.0)),\(c.0) depot,\(((c.1 - 0.04) * 1e5).rounded() / 1e5),\(((c.2 + 0.05) * 1e5).rounded() / 1e5),05:00,21:00\n"
        }
        return out
    }

    static func vehiclesCSV(_ cities: [(String, Double, Double)]) -> String {
        var out = "vehicle_id,depot_id,capacity_units,shift_start,shift_end\n"
        for c in cities {
            let depot = depotID(c.0)
            out += "\(depot)-V1,\(depot),1200,06:00,14:30\n"
            out += "\(depot)-V2,\(depot),1200,10:00,18:30\n"
        }
        return out
    }
}
