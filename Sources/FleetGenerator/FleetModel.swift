import Foundation
import PlanogramDomain

/// The parameters of the generating model (documented in Fixtures/README.md). Two fleets made with
/// different parameters let the backtest show the estimation is not tuned to one of them.
package struct FleetModel: Sendable, Codable {
    package var seed: UInt64 = 42
    package var devices = 12
    package var days = 365
    /// Last day of history (exclusive), seconds since 1970 at midnight UTC. Fixed so output is deterministic.
    package var endDay: Int64 = 1_793_491_200  // 2026-11-01T00:00:00Z
    /// Vertical position of the eye-level row, 0 = top row, 1 = bottom row.
    package var eyeLevel = 0.3
    /// Strength of the row effect: log multiplier = −rowStrength · (y − eyeLevel)².
    package var rowStrength = 1.6
    /// Strength of the column effect: log multiplier = −columnStrength · (x − 0.5)².
    package var columnStrength = 0.6
    /// Overall demand scale (1 = the default fleet).
    package var demandScale = 1.0
    /// Probability that a vend brings a companion purchase from the partner category.
    package var basketRate = 0.12
    /// Days between planogram changes of a cabinet (uniform in this range).
    package var changeEveryDays = 42...70
    /// Share of slots moved at each change.
    package var changeShare = 0.35
    /// A metro fleet (docs/MODELS.md, the route manager's view): every device around this one city, two depots,
    /// daily service for transit and hospitals, every 2–3 days for offices, universities and factories,
    /// weekly for the rest, and perishables of 3–7 days (sandwiches 3, salads 4, dairy 7). Nil: the devices
    /// are spread over five cities (the 12-device demo fleet).
    package var metro: String?
    /// Every device restocked every this many days (nil: by venue, as above). With `capacityScale` below 1
    /// it makes the regime where slots sell out between visits (docs/MODELS.md's censored demand).
    package var serviceEveryDays: Int?
    /// A multiplier of every slot's capacity, before the 4…20 bounds (nil: 1).
    package var capacityScale: Double?
    /// The fleet's time zone (an IANA name): its days are local dates and its hours — sales 06:00–22:00,
    /// visits from 07:00, planogram changes at 06:00 — are local wall times, daylight saving included; serve
    /// it with the same `PLANOGRAM_TIMEZONE`. Nil: UTC, as the demo fleets (their files are unchanged).
    package var timeZone: String?

    package init() {}

    /// The true position multiplier of the generator for a slot of a `rows` × `columns` cabinet.
    package func positionMultiplier(row: Int, column: Int, rows: Int, columns: Int) -> Double {
        let y = rows > 1 ? Double(row) / Double(rows - 1) : eyeLevel
        let x = columns > 1 ? Double(column) / Double(columns - 1) : 0.5
        return exp(-rowStrength * (y - eyeLevel) * (y - eyeLevel) - columnStrength * (x - 0.5) * (x - 0.5))
    }
}

/// A category of the catalogue: what its products look like and how they sell.
struct CategoryProfile {
    let name: String
    let temperature: Temperature
    let price: ClosedRange<Double>
    let height: ClosedRange<Int>
    let width: Int
    let shelfLife: Int
    /// Mean units/day of a product of this category at the best position of an average venue.
    let popularity: Double
    let partner: String
    let brands: [String]
    let variants: [String]
}

enum CatalogueTemplate {
    static let categories: [CategoryProfile] = [
        .init(
            name: "chips",
            temperature: .ambient,
            price: 1.25...2.25,
            height: 150...190,
            width: 1,
            shelfLife: 120,
            popularity: 1.4,
            partner: "soda",
            brands: ["Crunchwell", "Golden Ridge", "Salt & Field"],
            variants: ["Sea Salt", "Sour Cream", "BBQ", "Jalapeño"]
        ),
        .init(
            name: "candy",
            temperature: .ambient,
            price: 1.00...1.75,
            height: 100...140,
            width: 1,
            shelfLife: 270,
            popularity: 1.3,
            partner: "soda",
            brands: ["Cocoa Bay", "Starbar", "Chewz"],
            variants: ["Milk Bar", "Caramel", "Peanut", "Fruit Chews"]
        ),
        .init(
            name: "cookies",
            temperature: .ambient,
            price: 1.25...2.00,
            height: 90...130,
            width: 1,
            shelfLife: 180,
            popularity: 0.9,
            partner: "dairy",
            brands: ["Granny Oak", "Biscotto"],
            variants: ["Choc Chip", "Oat Raisin", "Double Choc", "Shortbread", "Ginger"]
        ),
        .init(
            name: "nuts",
            temperature: .ambient,
            price: 1.50...2.50,
            height: 110...150,
            width: 1,
            shelfLife: 240,
            popularity: 0.7,
            partner: "water",
            brands: ["Trailmix Co", "Nutty"],
            variants: ["Almonds", "Cashews", "Mixed", "Peanuts", "Pistachio"]
        ),
        .init(
            name: "healthy",
            temperature: .ambient,
            price: 1.75...3.00,
            height: 100...150,
            width: 1,
            shelfLife: 150,
            popularity: 0.8,
            partner: "water",
            brands: ["Greenbite", "Oatly Bar", "Pure"],
            variants: ["Protein Bar", "Fruit Bar", "Rice Cakes", "Seed Mix"]
        ),
        .init(
            name: "pastry",
            temperature: .ambient,
            price: 1.50...2.75,
            height: 80...120,
            width: 1,
            shelfLife: 21,
            popularity: 0.9,
            partner: "coffee",
            brands: ["Bakehouse", "Le Matin"],
            variants: ["Croissant", "Muffin", "Cinnamon Roll", "Danish", "Brownie"]
        ),
        .init(
            name: "soda",
            temperature: .chilled,
            price: 1.50...2.25,
            height: 120...200,
            width: 1,
            shelfLife: 270,
            popularity: 2.2,
            partner: "chips",
            brands: ["Fizz", "Colaco", "Sparkle"],
            variants: ["Cola", "Lemon-Lime", "Orange", "Zero"]
        ),
        .init(
            name: "water",
            temperature: .ambient,
            price: 1.00...1.75,
            height: 200...230,
            width: 1,
            shelfLife: 365,
            popularity: 2.0,
            partner: "healthy",
            brands: ["Clearspring", "Alpine"],
            variants: ["Still 500ml", "Sparkling 500ml", "Still 750ml", "Lemon", "Mint"]
        ),
        .init(
            name: "energy",
            temperature: .chilled,
            price: 2.50...3.50,
            height: 135...170,
            width: 1,
            shelfLife: 365,
            popularity: 1.4,
            partner: "chips",
            brands: ["Volt", "Rush"],
            variants: ["Original", "Sugar Free", "Tropical", "Berry", "Citrus"]
        ),
        .init(
            name: "juice",
            temperature: .chilled,
            price: 2.00...3.00,
            height: 150...210,
            width: 1,
            shelfLife: 30,
            popularity: 1.0,
            partner: "sandwich",
            brands: ["Orchard", "Squeeze"],
            variants: ["Orange", "Apple", "Multifruit", "Green", "Mango"]
        ),
        .init(
            name: "coffee",
            temperature: .chilled,
            price: 2.50...3.75,
            height: 120...160,
            width: 1,
            shelfLife: 120,
            popularity: 1.3,
            partner: "pastry",
            brands: ["Roastery", "Cold Brew Co"],
            variants: ["Latte", "Black", "Mocha", "Vanilla", "Oat Latte"]
        ),
        .init(
            name: "sandwich",
            temperature: .chilled,
            price: 3.75...5.50,
            height: 80...100,
            width: 2,
            shelfLife: 3,
            popularity: 1.6,
            partner: "water",
            brands: ["Deli Fresh", "Lunchbox"],
            variants: ["Ham & Cheese", "Chicken", "Tuna", "Egg", "Veggie"]
        ),
        .init(
            name: "salad",
            temperature: .chilled,
            price: 4.50...6.50,
            height: 90...110,
            width: 2,
            shelfLife: 3,
            popularity: 1.0,
            partner: "water",
            brands: ["Leafy", "Garden Co"],
            variants: ["Caesar", "Greek", "Quinoa", "Pasta", "Noodle"]
        ),
        .init(
            name: "dairy",
            temperature: .chilled,
            price: 1.75...2.75,
            height: 100...150,
            width: 1,
            shelfLife: 14,
            popularity: 0.9,
            partner: "cookies",
            brands: ["Meadow", "Dairyland"],
            variants: ["Yogurt", "Milk Choc", "Skyr", "Milk", "Kefir"]
        ),
        .init(
            name: "ice-cream",
            temperature: .frozen,
            price: 2.00...3.50,
            height: 60...100,
            width: 1,
            shelfLife: 180,
            popularity: 1.3,
            partner: "water",
            brands: ["Polar", "Frosty"],
            variants: ["Vanilla Cone", "Choc Bar", "Fruit Lolly", "Cookie Sandwich", "Mint Cup"]
        ),
    ]

    /// Demand multiplier of a category at a venue.
    static func venueEffect(_ venue: VenueType, _ category: String) -> Double {
        venueEffects[venue]?[category] ?? 1.0
    }

    /// Built once: `demand` asks for it for every slot of every device every day.
    private static let venueEffects: [VenueType: [String: Double]] = [
        .office: ["coffee": 1.6, "pastry": 1.3, "healthy": 1.2, "energy": 0.9],
        .hospital: ["sandwich": 1.5, "salad": 1.4, "coffee": 1.4, "water": 1.3, "candy": 0.8],
        .school: ["candy": 1.4, "chips": 1.4, "cookies": 1.3, "energy": 0.3, "coffee": 0.3, "water": 1.1],
        .university: ["energy": 1.5, "coffee": 1.4, "chips": 1.2, "nuts": 1.1],
        .gym: ["water": 1.9, "energy": 1.6, "healthy": 1.7, "candy": 0.5, "chips": 0.5, "cookies": 0.6],
        .transit: ["soda": 1.3, "chips": 1.2, "candy": 1.2, "water": 1.2],
        .factory: ["sandwich": 1.4, "soda": 1.3, "energy": 1.3, "chips": 1.2],
        .hotel: ["water": 1.2, "nuts": 1.3, "candy": 1.1, "ice-cream": 1.4],
        .retail: ["soda": 1.2, "candy": 1.2],
    ]

    static func traffic(_ venue: VenueType) -> Double {
        switch venue {
        case .office: return 1.0
        case .hospital: return 1.2
        case .school: return 1.1
        case .university: return 1.3
        case .gym: return 0.8
        case .transit: return 1.5
        case .factory: return 1.1
        case .hotel: return 0.7
        case .retail, .other: return 1.0
        }
    }

    /// Multiplier per weekday, Monday first.
    static func weekday(_ venue: VenueType) -> [Double] {
        switch venue {
        case .office, .school, .university, .factory: return [1.1, 1.1, 1.1, 1.05, 1.0, 0.35, 0.25]
        case .hospital: return [1, 1, 1, 1, 1, 0.85, 0.8]
        case .gym: return [1.1, 1.0, 1.05, 1.0, 0.9, 1.0, 0.9]
        case .transit: return [1.1, 1.1, 1.1, 1.1, 1.15, 0.8, 0.7]
        case .hotel, .retail, .other: return [0.9, 0.9, 0.95, 1.0, 1.1, 1.2, 1.1]
        }
    }

    struct Layout {
        let temperature: Temperature
        let rows: Int
        let columns: Int
        let heights: [Int]
        let categories: Set<String>
    }

    static let snackCategories: Set<String> = ["chips", "candy", "cookies", "nuts", "healthy", "pastry"]
    static let drinkCategories: Set<String> = ["soda", "water", "energy", "juice", "coffee", "dairy"]

    static func layouts(_ type: DeviceType) -> [Layout] {
        switch type {
        case .snack:
            return [
                Layout(
                    temperature: .ambient,
                    rows: 6,
                    columns: 8,
                    heights: [200, 200, 170, 170, 150, 150],
                    categories: snackCategories
                )
            ]
        case .beverage:
            return [
                Layout(
                    temperature: .chilled,
                    rows: 5,
                    columns: 6,
                    heights: [240, 240, 240, 220, 220],
                    categories: drinkCategories
                )
            ]
        case .combo:
            return [
                Layout(
                    temperature: .ambient,
                    rows: 5,
                    columns: 6,
                    heights: [200, 190, 170, 150, 150],
                    categories: snackCategories
                ),
                Layout(
                    temperature: .chilled,
                    rows: 4,
                    columns: 5,
                    heights: [240, 240, 220, 220],
                    categories: drinkCategories
                ),
            ]
        case .fresh:
            return [
                Layout(
                    temperature: .chilled,
                    rows: 5,
                    columns: 6,
                    heights: [240, 200, 160, 120, 120],
                    categories: ["sandwich", "salad", "dairy", "juice", "water", "pastry"]
                )
            ]
        case .frozen:
            return [
                Layout(
                    temperature: .frozen,
                    rows: 4,
                    columns: 5,
                    heights: [120, 120, 120, 120],
                    categories: ["ice-cream"]
                )
            ]
        }
    }

    static let deviceMix: [DeviceType] = [
        .snack, .beverage, .combo, .combo, .fresh, .snack, .beverage, .combo, .frozen, .snack, .combo, .beverage,
    ]
    static let venueMix: [VenueType] = [
        .office, .hospital, .school, .university, .gym, .transit, .factory, .hotel, .retail, .office, .university,
        .transit,
    ]
}

extension FleetModel {
    /// Reads the `model.json` written beside a generated fleet.
    package static func fromFile(_ path: String) -> FleetModel {
        guard let data = FileManager.default.contents(atPath: path),
            let m = try? JSONDecoder().decode(FleetModel.self, from: data)
        else { return FleetModel() }
        return m
    }
}
