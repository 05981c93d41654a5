import Foundation
import PlanogramDomain

/// Writes a generated fleet in the CSV formats of docs/API.md (products, devices, cabinets, planograms,
/// sales, services) plus `model.json`, the generator's true parameters, so estimates can be checked
/// against what produced the data. Deterministic: the same model gives byte-identical files.
package struct FleetGenerator {
    package let model: FleetModel
    package var progress: ((String) -> Void)?
    /// When set, told every slot's expected demand of every day as the history is drawn (see `TrueDemand`).
    /// Computing it draws no random number: the files are the same with or without it.
    package var trueDemand: ((TrueDemand) -> Void)?

    package init(model: FleetModel, progress: ((String) -> Void)? = nil) {
        self.model = model
        self.progress = progress
    }

    struct SlotState {
        var slot: SlotCode
        var productIndex: Int
        var capacity: Int
        var stock: Int
    }

    struct CabinetState {
        let cabinet: Cabinet
        let layout: CatalogueTemplate.Layout
        var slots: [SlotState]  // anchors only (a 2-wide product appears once)
        var nextChangeDay: Int
    }

    struct DeviceState {
        let device: Device
        let effect: Double
        let serviceEvery: Int
        var cabinets: [CabinetState]
    }

    /// Summary of what was written.
    package struct Summary: Sendable {
        package var products = 0, devices = 0, cabinets = 0, planogramVersions = 0, sales = 0, services = 0, bytes = 0
    }

    package func write(to directory: String) throws -> Summary {
        var rng = SeededRandom(seed: model.seed)
        var summary = Summary()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

        // Catalogue.
        var products: [Product] = []
        var popularity: [Double] = []
        var productsCSV =
            "product_id,name,category,price,unit_cost,temperature,height_mm,width_cols,shelf_life_days,case_size\n"
        for cat in CatalogueTemplate.categories {
            var n = 0
            for brand in cat.brands {
                for variant in cat.variants where n < 10 {
                    if rng.chance(0.25) && cat.brands.count * cat.variants.count > 10 { continue }
                    n += 1
                    let id = String(format: "P%03d", products.count + 1)
                    let price = (cat.price.lowerBound + rng.unit() * (cat.price.upperBound - cat.price.lowerBound)) * 4
                    let p = Product(
                        id: id,
                        name: "\(brand) \(variant)",
                        category: cat.name,
                        price: price.rounded() / 4,
                        unitCost: ((price.rounded() / 4) * (0.35 + 0.2 * rng.unit()) * 100).rounded() / 100,
                        temperature: cat.temperature,
                        heightMM: rng.int(cat.height),
                        widthColumns: cat.width,
                        shelfLifeDays: model.metro == nil
                            ? cat.shelfLife : OperationsTemplate.metroShelfLife(cat.name, cat.shelfLife)
                    )
                    products.append(p)
                    popularity.append(cat.popularity * exp(0.4 * rng.normal() - 0.08))
                    productsCSV +=
                        "\(p.id),\(csv(p.name)),\(p.category),\(money(p.price)),\(money(p.unitCost)),\(p.temperature.rawValue),\(p.heightMM),\(p.widthColumns),\(p.shelfLifeDays),\(OperationsTemplate.caseSize(p.category))\n"
                }
            }
        }
        summary.products = products.count
        let categoryOf = products.map(\.category)
        let partnerOf = Dictionary(uniqueKeysWithValues: CatalogueTemplate.categories.map { ($0.name, $0.partner) })

        // Devices and their cabinets with an initial planogram.
        var devicesCSV =
            "device_id,name,venue_type,latitude,longitude,device_type,access_from,access_until,service_minutes\n"
        var cabinetsCSV = "device_id,cabinet_index,temperature,rows,columns,row_heights_mm\n"
        var planogramsCSV = "device_id,cabinet_index,effective_from,slot,product_id,capacity\n"
        var fleet: [DeviceState] = []
        let startDay = model.endDay / 86400 - Int64(model.days)
        guard let clock = model.timeZone.map({ FleetClock(identifier: $0) }) ?? .utc else {
            throw GeneratorError(message: "unknown time zone \(model.timeZone ?? "")")
        }
        /// The instant of `seconds` after local midnight of the local date `day` (UTC: plain arithmetic).
        func localTime(_ day: Int64, _ seconds: Int64) -> Int64 {
            clock.isUTC ? day * 86400 + seconds : clock.instant(day: day, minute: Int(seconds / 60)) + seconds % 60
        }
        let allCities: [(String, Double, Double)] = [
            ("Berlin", 52.52, 13.40), ("Hamburg", 53.55, 9.99), ("Munich", 48.14, 11.58),
            ("Cologne", 50.94, 6.96), ("Leipzig", 51.34, 12.37),
        ]
        let cities = model.metro.map { m in [allCities.first { $0.0 == m } ?? (m, 52.52, 13.40)] } ?? allCities
        // A metro spreads its devices over about ±17 km; five cities over ±5 km each.
        let spread = model.metro == nil ? (0.1, 0.1) : (0.3, 0.5)
        for i in 0..<model.devices {
            let type = CatalogueTemplate.deviceMix[i % CatalogueTemplate.deviceMix.count]
            let venue = CatalogueTemplate.venueMix[(i * 7 + i / 12) % CatalogueTemplate.venueMix.count]
            let city = cities[i % cities.count]
            let device = Device(
                id: String(format: "VM-%03d", i + 1),
                name: "\(city.0) \(venue.rawValue.capitalized) \(i + 1)",
                venueType: venue,
                latitude: ((city.1 + spread.0 * (rng.unit() - 0.5)) * 1e5).rounded() / 1e5,
                longitude: ((city.2 + spread.1 * (rng.unit() - 0.5)) * 1e5).rounded() / 1e5,
                deviceType: type
            )
            let access = OperationsTemplate.access(venue)
            devicesCSV +=
                "\(device.id),\(csv(device.name)),\(venue.rawValue),\(device.latitude),\(device.longitude),\(type.rawValue),"
                + "\(access.map { TimeWindow.text($0.from) } ?? ""),\(access.map { TimeWindow.text($0.until) } ?? ""),"
                + "\(OperationsTemplate.serviceMinutes(cabinets: CatalogueTemplate.layouts(type).count))\n"
            let effect = exp(0.15 * rng.normal())
            let byVenue =
                model.metro == nil
                ? (venue == .transit || venue == .hospital ? 2 : rng.int(3...4))
                : OperationsTemplate.metroServiceEvery(venue, &rng)
            let every = model.serviceEveryDays ?? byVenue
            var state = DeviceState(device: device, effect: effect, serviceEvery: every, cabinets: [])
            for (ci, layout) in CatalogueTemplate.layouts(type).enumerated() {
                let cab = Cabinet(
                    deviceID: device.id,
                    index: ci,
                    temperature: layout.temperature,
                    rows: layout.rows,
                    columns: layout.columns,
                    rowHeightsMM: layout.heights
                )
                cabinetsCSV +=
                    "\(device.id),\(ci),\(cab.temperature.rawValue),\(cab.rows),\(cab.columns),\(cab.rowHeightsMM.map(String.init).joined(separator: ";"))\n"
                var cs = CabinetState(
                    cabinet: cab,
                    layout: layout,
                    slots: [],
                    nextChangeDay: rng.int(model.changeEveryDays)
                )
                cs.slots = initialAssignment(cab, layout, products, popularity, venue, device: state, &rng)
                planogramsCSV += planogramRows(cs, products, effectiveFrom: localTime(startDay, 0))
                summary.planogramVersions += 1
                state.cabinets.append(cs)
                summary.cabinets += 1
            }
            fleet.append(state)
        }
        summary.devices = fleet.count

        // A year of days.
        let salesPath = (directory as NSString).appendingPathComponent("sales.csv")
        FileManager.default.createFile(atPath: salesPath, contents: nil)
        let sales = try FileHandle(forWritingTo: URL(fileURLWithPath: salesPath))
        defer { try? sales.close() }
        var servicesCSV = "timestamp,device_id,cabinet_index,slot,units_added\n"
        sales.write(Data("timestamp,device_id,cabinet_index,slot,product_id,price,transaction_id\n".utf8))
        var txnCounter = 0
        let priceText = products.map { money($0.price) }  // formatted once, not per sale
        for day in 0..<model.days {
            let date = startDay + Int64(day)
            let weekdayIndex = Int((startDay + Int64(day) + 3) % 7)  // 1970-01-01 was a Thursday
            let season = 1 + 0.08 * sin(2 * Double.pi * (Double((startDay + Int64(day)) % 365) - 80) / 365)
            var daySales: [(ts: Int64, line: String)] = []
            for d in fleet.indices {
                let venue = fleet[d].device.venueType
                let dayNoise = exp(0.1 * rng.normal() - 0.005)
                let wd = CatalogueTemplate.weekday(venue)[weekdayIndex]
                for c in fleet[d].cabinets.indices {
                    // Planogram change: move a share of the slots, replace a few products, refill what changed.
                    if day > 0 && day == fleet[d].cabinets[c].nextChangeDay {
                        let changed = change(&fleet[d].cabinets[c], products, popularity, venue, &rng)
                        fleet[d].cabinets[c].nextChangeDay = day + rng.int(model.changeEveryDays)
                        let at = localTime(date, 6 * 3600)
                        planogramsCSV += planogramRows(fleet[d].cabinets[c], products, effectiveFrom: at)
                        summary.planogramVersions += 1
                        for s in changed {
                            let st = fleet[d].cabinets[c].slots[s]
                            servicesCSV +=
                                "\(FleetGenerator.iso(at)),\(fleet[d].device.id),\(c),\(st.slot),\(st.capacity)\n"
                            summary.services += 1
                            fleet[d].cabinets[c].slots[s].stock = st.capacity
                        }
                    }
                    // Service visit: refill every slot to capacity.
                    if day % fleet[d].serviceEvery == d % fleet[d].serviceEvery {
                        let at = localTime(date, Int64(7 * 3600 + rng.int(0...5400)))
                        for s in fleet[d].cabinets[c].slots.indices {
                            let st = fleet[d].cabinets[c].slots[s]
                            let add = st.capacity - st.stock
                            if add > 0 {
                                servicesCSV +=
                                    "\(FleetGenerator.iso(at)),\(fleet[d].device.id),\(c),\(st.slot),\(add)\n"
                                summary.services += 1
                                fleet[d].cabinets[c].slots[s].stock = st.capacity
                            }
                        }
                    }
                }
                // Arrivals of the day across the device's slots, processed in time order.
                var arrivals: [(ts: Int64, cabinet: Int, slot: Int)] = []
                var lambdas: [[Double]] = trueDemand == nil ? [] : fleet[d].cabinets.map { _ in [] }
                for c in fleet[d].cabinets.indices {
                    let cab = fleet[d].cabinets[c]
                    for (s, st) in cab.slots.enumerated() {
                        let lambda =
                            demand(
                                productIndex: st.productIndex,
                                slot: st.slot,
                                cabinet: cab.cabinet,
                                venue: venue,
                                popularity: popularity,
                                categoryOf: categoryOf,
                                deviceEffect: fleet[d].effect
                            )
                            * wd * dayNoise
                            * (CatalogueTemplate.drinkCategories.contains(categoryOf[st.productIndex])
                                || categoryOf[st.productIndex] == "ice-cream" ? season : 1)
                        if trueDemand != nil { lambdas[c].append(lambda) }
                        for _ in 0..<rng.poisson(lambda) { arrivals.append((localTime(date, vendSecond(&rng)), c, s)) }
                    }
                }
                if let trueDemand {
                    tellTrueDemand(
                        trueDemand,
                        date: date,
                        device: fleet[d],
                        lambdas: lambdas,
                        categoryOf: categoryOf,
                        partnerOf: partnerOf,
                        products: products
                    )
                }
                arrivals.sort { $0.ts < $1.ts }
                var lastSecond: [Int: Int64] = [:]  // per cabinet*1000+slot
                func vend(_ c: Int, _ s: Int, _ ts0: Int64, _ txn: String) -> Bool {
                    let st = fleet[d].cabinets[c].slots[s]
                    guard st.stock > 0 else { return false }
                    fleet[d].cabinets[c].slots[s].stock -= 1
                    let key = c * 1000 + s
                    var ts = ts0
                    if let last = lastSecond[key], ts <= last { ts = last + 1 }
                    lastSecond[key] = ts
                    let p = products[st.productIndex]
                    daySales.append(
                        (
                            ts,
                            "\(FleetGenerator.iso(ts)),\(fleet[d].device.id),\(c),\(st.slot),\(p.id),\(priceText[st.productIndex]),\(txn)\n"
                        )
                    )
                    return true
                }
                for a in arrivals {
                    let card = rng.chance(0.7)
                    let basket = rng.chance(model.basketRate)
                    var txn = ""
                    if card || basket {
                        txnCounter += 1
                        txn = "t" + String(txnCounter, radix: 36)
                    }
                    guard vend(a.cabinet, a.slot, a.ts, txn), basket else { continue }
                    // The companion: a product of the partner category in this device, if one is stocked.
                    let want = partnerOf[categoryOf[fleet[d].cabinets[a.cabinet].slots[a.slot].productIndex]] ?? ""
                    var options: [(Int, Int)] = []
                    for c in fleet[d].cabinets.indices {
                        for (s, st) in fleet[d].cabinets[c].slots.enumerated()
                        where categoryOf[st.productIndex] == want && st.stock > 0 {
                            options.append((c, s))
                        }
                    }
                    if !options.isEmpty {
                        let (c, s) = rng.pick(options)
                        _ = vend(c, s, a.ts + Int64(rng.int(8...40)), txn)
                    }
                }
            }
            daySales.sort { $0.ts < $1.ts }
            var chunk = ""
            chunk.reserveCapacity(daySales.count * 60)
            for s in daySales { chunk += s.line }
            sales.write(Data(chunk.utf8))
            summary.sales += daySales.count
            summary.bytes += chunk.utf8.count
            if (day + 1) % 30 == 0 || day + 1 == model.days {
                progress?("fixtures: day \(day + 1)/\(model.days), \(summary.sales) sales")
            }
        }
        func save(_ name: String, _ text: String) throws {
            try text.write(
                toFile: (directory as NSString).appendingPathComponent(name),
                atomically: true,
                encoding: .utf8
            )
            summary.bytes += text.utf8.count
        }
        try save("products.csv", productsCSV)
        try save("devices.csv", devicesCSV)
        try save("cabinets.csv", cabinetsCSV)
        try save("planograms.csv", planogramsCSV)
        try save("services.csv", servicesCSV)
        // Operations data (docs/MODELS.md), made from the fleet without drawing random numbers, so the history
        // above is the same with or without it: a depot in each city the fleet uses, two trucks each.
        if let metro = model.metro, let city = cities.first {
            try save("depots.csv", OperationsTemplate.metroDepotsCSV(metro, city.1, city.2))
            try save("vehicles.csv", OperationsTemplate.metroVehiclesCSV(devices: model.devices))
        } else {
            let used = Array(cities.prefix(min(cities.count, model.devices)))
            try save("depots.csv", OperationsTemplate.depotsCSV(used))
            try save("vehicles.csv", OperationsTemplate.vehiclesCSV(used))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try save("model.json", String(decoding: try encoder.encode(model), as: UTF8.self) + "\n")
        return summary
    }

    /// A slot's day as the generator drew it: its own arrivals' rate (the day's weekday, season and
    /// device-day noise in it) plus the expected companions of baskets started at the device's other slots.
    package struct TrueDemand: Sendable {
        package let day: Int64
        package let deviceID: String
        package let cabinetIndex: Int
        package let slot: SlotCode
        package let productID: String
        /// Expected arrivals of the day, before stock: a slot that is empty sells none of them.
        package let unitsPerDay: Double
    }

    /// A basket started at a slot whose vend succeeds brings, with `basketRate`, a companion from a
    /// stocked slot of the partner category picked at random: counted here as if every such slot were
    /// stocked and every vend succeeded (a slight overstatement where slots stand empty).
    func tellTrueDemand(
        _ tell: (TrueDemand) -> Void,
        date: Int64,
        device: DeviceState,
        lambdas: [[Double]],
        categoryOf: [String],
        partnerOf: [String: String],
        products: [Product]
    ) {
        var slotsOf: [String: Int] = [:]
        var started: [String: Double] = [:]
        for (c, cab) in device.cabinets.enumerated() {
            for (s, st) in cab.slots.enumerated() {
                slotsOf[categoryOf[st.productIndex], default: 0] += 1
                if let want = partnerOf[categoryOf[st.productIndex]] {
                    started[want, default: 0] += lambdas[c][s] * model.basketRate
                }
            }
        }
        for (c, cab) in device.cabinets.enumerated() {
            for (s, st) in cab.slots.enumerated() {
                let category = categoryOf[st.productIndex]
                let companions = (started[category] ?? 0) / Double(max(1, slotsOf[category] ?? 1))
                tell(
                    TrueDemand(
                        day: date,
                        deviceID: device.device.id,
                        cabinetIndex: cab.cabinet.index,
                        slot: st.slot,
                        productID: products[st.productIndex].id,
                        unitsPerDay: lambdas[c][s] + companions
                    )
                )
            }
        }
    }

    /// Expected units/day (before weekday, season and day noise) of a product in a slot.
    func demand(
        productIndex: Int,
        slot: SlotCode,
        cabinet: Cabinet,
        venue: VenueType,
        popularity: [Double],
        categoryOf: [String],
        deviceEffect: Double
    ) -> Double {
        popularity[productIndex] * model.demandScale * CatalogueTemplate.traffic(venue)
            * CatalogueTemplate.venueEffect(venue, categoryOf[productIndex]) * deviceEffect
            * model.positionMultiplier(row: slot.row, column: slot.column, rows: cabinet.rows, columns: cabinet.columns)
    }

    /// Second of the day of a vend: morning, lunch and afternoon peaks.
    func vendSecond(_ rng: inout SeededRandom) -> Int64 {
        let peaks = [10.0, 12.5, 15.5]
        let h = peaks[rng.int(0...2)] + 1.5 * rng.normal()
        return Int64(min(max(h, 6.0), 21.9) * 3600)
    }

    /// Products of the layout's categories placed at random over slots where they fit, so position
    /// and product effects are not confounded.
    func initialAssignment(
        _ cab: Cabinet,
        _ layout: CatalogueTemplate.Layout,
        _ products: [Product],
        _ popularity: [Double],
        _ venue: VenueType,
        device: DeviceState,
        _ rng: inout SeededRandom
    ) -> [SlotState] {
        var candidates = products.indices.filter {
            layout.categories.contains(products[$0].category) && products[$0].temperature.fits(in: cab.temperature)
        }
        // Shuffle deterministically.
        for i in stride(from: candidates.count - 1, to: 0, by: -1) { candidates.swapAt(i, rng.int(0...i)) }
        var used = Set<Int>()
        var taken = Set<SlotCode>()
        var out: [SlotState] = []
        for r in 0..<cab.rows {
            for c in 0..<cab.columns {
                let slot = SlotCode(row: r, column: c)
                if taken.contains(slot) { continue }
                let nextFree = c + 1 < cab.columns && !taken.contains(slot.rightNeighbour)
                guard
                    let pick = candidates.first(where: { i in
                        !used.contains(i) && products[i].heightMM <= cab.rowHeightsMM[r]
                            && (products[i].widthColumns == 1 || nextFree)
                    })
                        ?? candidates.first(where: { i in
                            products[i].heightMM <= cab.rowHeightsMM[r] && products[i].widthColumns == 1
                        })
                else { continue }
                used.insert(pick)
                taken.insert(slot)
                if products[pick].widthColumns == 2 { taken.insert(slot.rightNeighbour) }
                let lambda = demand(
                    productIndex: pick,
                    slot: slot,
                    cabinet: cab,
                    venue: venue,
                    popularity: popularity,
                    categoryOf: products.map(\.category),
                    deviceEffect: device.effect
                )
                let cap = min(
                    max(
                        Int(
                            (lambda * Double(device.serviceEvery) * (0.8 + 0.8 * rng.unit())
                                * (model.capacityScale ?? 1)).rounded()
                        ),
                        4
                    ),
                    20
                )
                out.append(SlotState(slot: slot, productIndex: pick, capacity: cap, stock: cap))
            }
        }
        return out
    }

    /// A planogram change: a share of the 1-wide slots exchange products (where heights allow) and a
    /// few products are replaced by others of the layout. Returns the changed slot indices.
    func change(
        _ cs: inout CabinetState,
        _ products: [Product],
        _ popularity: [Double],
        _ venue: VenueType,
        _ rng: inout SeededRandom
    ) -> [Int] {
        let cab = cs.cabinet
        let single = cs.slots.indices.filter { products[cs.slots[$0].productIndex].widthColumns == 1 }
        var picked = single.filter { _ in rng.chance(model.changeShare) }
        var changed = Set<Int>()
        // Exchange products pairwise among the picked slots.
        for i in stride(from: picked.count - 1, to: 0, by: -1) { picked.swapAt(i, rng.int(0...i)) }
        var k = 0
        while k + 1 < picked.count {
            let a = picked[k]
            let b = picked[k + 1]
            let pa = cs.slots[a].productIndex
            let pb = cs.slots[b].productIndex
            if products[pa].heightMM <= cab.rowHeightsMM[cs.slots[b].slot.row]
                && products[pb].heightMM <= cab.rowHeightsMM[cs.slots[a].slot.row]
            {
                cs.slots[a].productIndex = pb
                cs.slots[b].productIndex = pa
                changed.insert(a)
                changed.insert(b)
            }
            k += 2
        }
        // Replace one to three products with ones not in the cabinet.
        let inCabinet = Set(cs.slots.map(\.productIndex))
        let fresh = products.indices.filter {
            cs.layout.categories.contains(products[$0].category) && !inCabinet.contains($0)
                && products[$0].widthColumns == 1 && products[$0].temperature.fits(in: cab.temperature)
        }
        if !fresh.isEmpty && !single.isEmpty {
            for _ in 0..<rng.int(1...3) {
                let s = rng.pick(single)
                let p = rng.pick(fresh)
                guard products[p].heightMM <= cab.rowHeightsMM[cs.slots[s].slot.row] else { continue }
                cs.slots[s].productIndex = p
                changed.insert(s)
            }
        }
        return changed.sorted()
    }

    func planogramRows(_ cs: CabinetState, _ products: [Product], effectiveFrom: Int64) -> String {
        var out = ""
        for s in cs.slots.sorted(by: { $0.slot < $1.slot }) {
            out +=
                "\(cs.cabinet.deviceID),\(cs.cabinet.index),\(FleetGenerator.iso(effectiveFrom)),\(s.slot),\(products[s.productIndex].id),\(s.capacity)\n"
        }
        return out
    }

    static func iso(_ t: Int64) -> String {
        let days = Int(t / 86400)
        let secs = Int(t % 86400)
        let z = days + 719468
        let era = z / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        guard t >= 0, y <= 9999 else {
            return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
        }
        // The same text as the format above, without Foundation's formatter (a call per sale row).
        return String(unsafeUninitializedCapacity: 20) { b in
            func put(_ v: Int, _ at: Int, _ width: Int) {
                var v = v
                for i in stride(from: at + width - 1, through: at, by: -1) {
                    b[i] = UInt8(48 + v % 10)
                    v /= 10
                }
            }
            put(y, 0, 4)
            b[4] = 45
            put(m, 5, 2)
            b[7] = 45
            put(d, 8, 2)
            b[10] = 84
            put(secs / 3600, 11, 2)
            b[13] = 58
            put(secs / 60 % 60, 14, 2)
            b[16] = 58
            put(secs % 60, 17, 2)
            b[19] = 90
            return 20
        }
    }
}

func money(_ v: Double) -> String { String(format: "%.2f", v) }

func csv(_ s: String) -> String {
    s.contains(",") || s.contains("\"") || s.contains("\n")
        ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

/// A generating model the generator cannot follow (an unknown time zone).
package struct GeneratorError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}
