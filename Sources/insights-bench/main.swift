// Bench-only: times the demand-model fit on a database and the revenue prediction of a 60-slot
// cabinet, in-process. Prints one JSON line for Ops/bench. Usage: insights-bench DB
import Foundation
import Insights
import PlanogramDomain
import PlanogramLive
import Store

let args = CommandLine.arguments
guard args.count == 2 else {
    FileHandle.standardError.write(Data("usage: insights-bench DB\n".utf8))
    exit(2)
}
let store = try Store(path: args[1])
var t = Date()
let history = try InsightsEngine.loadHistory(store)
let loadSeconds = Date().timeIntervalSince(t)
t = Date()
let model = DemandModel.fit(history)
let fitSeconds = Date().timeIntervalSince(t)
let affinity = AffinityTable(history: history)
let forecaster = RevenueForecaster(model: model, affinity: affinity)

// A 6 × 10 ambient cabinet on the first device, filled with the catalogue's 1-wide ambient products.
let device = history.devices.keys.sorted()[0]
let cabinet = Cabinet(
    deviceID: device,
    index: 9,
    temperature: .ambient,
    rows: 6,
    columns: 10,
    rowHeightsMM: [230, 230, 230, 230, 230, 230]
)
let ambient = history.products.filter { $0.temperature == .ambient && $0.widthColumns == 1 }
var current = Planogram(deviceID: device, cabinetIndex: 9, version: 1, effectiveFrom: 0)
for (i, slot) in cabinet.allSlots.enumerated() {
    current.facings[slot] = Facing(productID: ambient[i % ambient.count].id, capacity: 8)
}
var proposed = current
proposed.facings[SlotCode("A1")!] = current.facings[SlotCode("F10")!]
proposed.facings[SlotCode("F10")!] = current.facings[SlotCode("A1")!]
var times: [Double] = []
for _ in 0..<1000 {
    let s = DispatchTime.now().uptimeNanoseconds
    let p = forecaster.predict(
        cabinet: cabinet,
        current: current,
        proposed: proposed,
        forecastDays: 30,
        changeCostPerSlot: 2.5
    )
    precondition(p.perSlot.count == 60)
    times.append(Double(DispatchTime.now().uptimeNanoseconds - s) / 1e6)
}
times.sort()
/// The figures `Ops/bench score` reads.
struct Report: Encodable {
    struct Timing: Encodable {
        let runs: Int
        let p50MS: Double
        let p99MS: Double
        let maxMS: Double

        enum CodingKeys: String, CodingKey {
            case runs
            case p50MS = "p50_ms"
            case p99MS = "p99_ms"
            case maxMS = "max_ms"
        }
    }

    let loadSeconds: Double
    let fitSeconds: Double
    let prediction60Slots: Timing

    enum CodingKeys: String, CodingKey {
        case loadSeconds = "load_seconds"
        case fitSeconds = "fit_seconds"
        case prediction60Slots = "prediction_60_slots"
    }
}
let out = Report(
    loadSeconds: loadSeconds,
    fitSeconds: fitSeconds,
    prediction60Slots: .init(
        runs: times.count,
        p50MS: times[times.count / 2],
        p99MS: times[times.count * 99 / 100],
        maxMS: times.last!
    )
)
let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys]
print(String(decoding: try encoder.encode(out), as: UTF8.self))
