import PlanogramDomain

/// One cell of a cabinet's heat map.
public struct HeatCell: Sendable, Equatable {
    public let slot: SlotCode
    /// Visibility/value index of the position, 0–100 (the best slot of the layout is 100).
    public let value: Int
    /// Expected revenue per day of what the planogram holds there (0 when empty).
    public let revenuePerDay: Double
    public let positionMultiplier: Double
    public let observations: Double
}

/// Heat zones of SPEC §4 for a cabinet under a planogram.
public enum HeatMap {
    public static func cells(
        model: DemandModel,
        forecaster: RevenueForecaster,
        cabinet: Cabinet,
        planogram: Planogram
    ) -> [HeatCell] {
        let revenue = Dictionary(
            uniqueKeysWithValues: forecaster.slots(planogram, cabinet: cabinet).map { ($0.slot, $0.revenuePerDay) }
        )
        let obs = model.positionObservations[DemandModel.layoutKey(cabinet)]
        return cabinet.allSlots.map { s in
            let m = model.positionMultiplier(cabinet, s)
            let idx = s.row * cabinet.columns + s.column
            return HeatCell(
                slot: s,
                value: Int((m * 100).rounded()),
                revenuePerDay: revenue[s] ?? 0,
                positionMultiplier: m,
                observations: obs.map { idx < $0.count ? $0[idx] : 0 } ?? 0
            )
        }
    }
}
