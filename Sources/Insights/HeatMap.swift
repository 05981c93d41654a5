import PlanogramDomain

/// One cell of a cabinet's heat map.
package struct HeatCell: Sendable, Equatable {
    package let slot: SlotCode
    /// Visibility/value index of the position, 0–100 (the best slot of the layout is 100).
    package let value: Int
    /// Expected revenue per day of what the planogram holds there (0 when empty).
    package let revenuePerDay: Double
    package let positionMultiplier: Double
    package let observations: Double
}

/// Heat zones of docs/MODELS.md for a cabinet under a planogram.
package enum HeatMap {
    package static func cells(
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
