import XCTest

// The route tests again with the server's store on PostgreSQL (docs/OPERATIONS.md: "same migrations, same
// behaviour"): each subclass runs every test of its class with `AppTestServer.onPostgres` set, so each
// server of the test gets a new schema on the test PostgreSQL server. XCTest on Linux runs only the test
// methods a class declares itself, hence the overrides.

final class PostgresLiveSessionTests: LiveSessionTests {
    override func invokeTest() { AppTestServer.onPostgres { super.invokeTest() } }

    override func testTwoEditorsAndAWatcherSeeTheSameOrderedEvents() throws {
        try super.testTwoEditorsAndAWatcherSeeTheSameOrderedEvents()
    }
    override func testConflictOnlyWhenATouchedSlotChangedAfterBaseVersion() throws {
        try super.testConflictOnlyWhenATouchedSlotChangedAfterBaseVersion()
    }
    override func testRepeatedClientOpIdReturnsTheFirstResultAndAppliesOnce() throws {
        try super.testRepeatedClientOpIdReturnsTheFirstResultAndAppliesOnce()
    }
    override func testResumeAfterADroppedStreamGetsExactlyTheMissedEvents() throws {
        try super.testResumeAfterADroppedStreamGetsExactlyTheMissedEvents()
    }
    override func testDragBurstIsCoalescedAndTheLastPositionArrivesWithin500ms() throws {
        try super.testDragBurstIsCoalescedAndTheLastPositionArrivesWithin500ms()
    }
    override func testRolesAndDevicesClaim() throws { try super.testRolesAndDevicesClaim() }
}

final class PostgresReadRoutesTests: ReadRoutesTests {
    /// One server for the class, made in the class's setUp.
    override class func setUp() { AppTestServer.onPostgres { super.setUp() } }

    override func testFixturesRoundTripThroughImportAndReadAPI() throws {
        try super.testFixturesRoundTripThroughImportAndReadAPI()
    }
    override func testEachRoleAgainstEachRoute() throws { try super.testEachRoleAgainstEachRoute() }
    override func testDevicesClaimScopesEveryDeviceRoute() throws { try super.testDevicesClaimScopesEveryDeviceRoute() }
    override func testImportOverHTTPRefusesBadFilesWith422AndAcceptsGoodOnes() throws {
        try super.testImportOverHTTPRefusesBadFilesWith422AndAcceptsGoodOnes()
    }
}

final class PostgresExperimentRoutesTests: ExperimentRoutesTests {
    override func invokeTest() { AppTestServer.onPostgres { super.invokeTest() } }

    override func testAnExperimentIsDesignedPublishedAndAnalysedAfterEachImport() throws {
        try super.testAnExperimentIsDesignedPublishedAndAnalysedAfterEachImport()
    }
    override func testBadExperimentRequestsGetAClear422() throws { try super.testBadExperimentRequestsGetAClear422() }
    override func testTheFleetKPIsStandBesideTheirBaselineAndTargets() throws {
        try super.testTheFleetKPIsStandBesideTheirBaselineAndTargets()
    }
}

final class PostgresForecastRoutesTests: ForecastRoutesTests {
    override func invokeTest() { AppTestServer.onPostgres { super.invokeTest() } }

    override func testAForecastListsEverySlotWithStockRiskAndIntervals() throws {
        try super.testAForecastListsEverySlotWithStockRiskAndIntervals()
    }
    override func testBadForecastRequestsGetTheContractsErrors() throws {
        try super.testBadForecastRequestsGetTheContractsErrors()
    }
    override func testAVisitFeedsTheStockAndIsIdempotentByVisitID() throws {
        try super.testAVisitFeedsTheStockAndIsIdempotentByVisitID()
    }
    override func testBadVisitsAreRefusedAndWriteNothing() throws { try super.testBadVisitsAreRefusedAndWriteNothing() }
}

final class PostgresJobTests: JobTests {
    override func invokeTest() { AppTestServer.onPostgres { super.invokeTest() } }

    override func testAFleetPlanRunsAsAJobWithProgressThenItsResult() throws {
        try super.testAFleetPlanRunsAsAJobWithProgressThenItsResult()
    }
    override func testACancelledJobEndsWithCancelledNeverSilence() throws {
        try super.testACancelledJobEndsWithCancelledNeverSilence()
    }
    override func testBadJobRequestsGetTheContractsErrors() throws {
        try super.testBadJobRequestsGetTheContractsErrors()
    }
    override func testARestartMarksJobsThatWereRunningFailedWithTheReason() throws {
        try super.testARestartMarksJobsThatWereRunningFailedWithTheReason()
    }
}

final class PostgresInsightRoutesTests: InsightRoutesTests {
    /// One server for the class, made in the class's setUp.
    override class func setUp() { AppTestServer.onPostgres { super.setUp() } }

    override func testScoreRouteAnswersTheContractShapeAndEnforcesRoles() throws {
        try super.testScoreRouteAnswersTheContractShapeAndEnforcesRoles()
    }
    override func testChilledProductInAmbientCabinetFailsOverHTTP() throws {
        try super.testChilledProductInAmbientCabinetFailsOverHTTP()
    }
    override func testRevenuePredictionIsStoredAndUnchangedPlanHasZeroLift() throws {
        try super.testRevenuePredictionIsStoredAndUnchangedPlanHasZeroLift()
    }
    override func testHeatmapCoversEverySlotWithValuesFrom0To100() throws {
        try super.testHeatmapCoversEverySlotWithValuesFrom0To100()
    }
}

final class PostgresRouteRoutesTests: RouteRoutesTests {
    override func invokeTest() { AppTestServer.onPostgres { super.invokeTest() } }

    override func testAManagerPlansTheDayAsAJobAndDriversReadTheirStopsWithPickLists() throws {
        try super.testAManagerPlansTheDayAsAJobAndDriversReadTheirStopsWithPickLists()
    }
    override func testBadRouteRequestsGetTheContractsErrors() throws {
        try super.testBadRouteRequestsGetTheContractsErrors()
    }
    override func testASolverThatDiesIsAFailedJobWithTheReasonAndACancelledPlanEndsCancelled() throws {
        try super.testASolverThatDiesIsAFailedJobWithTheReasonAndACancelledPlanEndsCancelled()
    }
    override func testVisitsNoTruckCanMakeAreSetAsideWithTheirReason() {
        super.testVisitsNoTruckCanMakeAreSetAsideWithTheirReason()
    }
    override func testAVisitWorthLessThanItsTripIsDayFull() throws {
        try super.testAVisitWorthLessThanItsTripIsDayFull()
    }
    override func testADayThatCannotFitEveryVisitDropsTheLeastValuable() throws {
        try super.testADayThatCannotFitEveryVisitDropsTheLeastValuable()
    }
    override func testTheHistoryComparisonRoutesEveryVisitOfADayAndDrivesNoFurtherThanTheHistorysOrder() throws {
        try super.testTheHistoryComparisonRoutesEveryVisitOfADayAndDrivesNoFurtherThanTheHistorysOrder()
    }
}

final class PostgresOptimizerRoutesTests: OptimizerRoutesTests {
    override func invokeTest() { AppTestServer.onPostgres { super.invokeTest() } }

    override func testACabinetIsOptimizedAsAJobWithinTheRulesAndTheChangesLeadThere() throws {
        try super.testACabinetIsOptimizedAsAJobWithinTheRulesAndTheChangesLeadThere()
    }
    override func testAProposalReachesEverySubscriberAndIsAppliedAsOrdinaryOps() throws {
        try super.testAProposalReachesEverySubscriberAndIsAppliedAsOrdinaryOps()
    }
    override func testBadOptimizerRequestsGetTheContractsErrors() throws {
        try super.testBadOptimizerRequestsGetTheContractsErrors()
    }
    override func testRecommendationsRankEveryFittingProductWithItsBasis() throws {
        try super.testRecommendationsRankEveryFittingProductWithItsBasis()
    }
    override func testModelsLoadedAfterARestartKeepVenueDemandAndTheOptimizerWorking() throws {
        try super.testModelsLoadedAfterARestartKeepVenueDemandAndTheOptimizerWorking()
    }
}

final class PostgresDashboardFeedTests: DashboardFeedTests {
    override func invokeTest() { AppTestServer.onPostgres { super.invokeTest() } }

    override func testTheListUpdatesWhenSessionsAndParticipantsChangeAndHonoursTheDevicesClaim() throws {
        try super.testTheListUpdatesWhenSessionsAndParticipantsChangeAndHonoursTheDevicesClaim()
    }
    override func testDemoTokensAreListedOnlyInDemoMode() throws { try super.testDemoTokensAreListedOnlyInDemoMode() }
}
