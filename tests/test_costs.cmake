# Read by ctest (TEST_INCLUDE_FILES of tests/), after the GoogleTest
# executables have listed their tests: a COST for the known long tests, so
# that `ctest --parallel` starts them first on a clean clone, which has no
# Testing/Temporary/CTestCostData.txt yet (once it has, ctest uses that).
# Otherwise a long test may start last and run alone at the end. The
# figures are seconds under asan-ubsan, the slowest preset (measured with
# ctest --parallel 2 on two cores; the unmeasured ones estimated from the
# release preset); only their order matters. A name that a preset does not
# build is ignored.
set(runa_test_costs
  "gc-stress:Tier0Test.ThreadsShareCodeAndCaches" 20
  "gc-stress:AsyncSelectTest.TwoThreadsRaceIntoSelectingTasks" 30
  "gc-stress:BlockingWaits.PoolWorkersAreMutatorsThatNeverHoldUpACollection" 23
  "gc-stress:SnapshotIds.NamedObjectsKeepTheirIdsWhenPromotedOrEvacuated" 9
  "Workers/ChurnVerifiedAndPoisoned.EveryFewAllocations/1" 8
  "Workers/ChurnVerifiedAndPoisoned.EveryFewAllocations/3" 8
  "gc-stress:MinorGC.TheHeapRecoversAfterOutOfMemoryOnceTheProgramLetsGo" 10
  "CApi.AHeapFilledToOutOfMemoryWorksAgainOnceTheRootIsDropped" 13
  "gc-stress:AllocationProfile.ThreadsSampleConcurrently" 25
  "gc-stress:AllocationProfile.TotalsAgreeWithTheHeapsStatisticsWithinTheSamplingError" 22
  "OldMemory.AlternatingFreeBlocksKeepMappingsBounded" 20
  "gc-stress:PromotionFailure.TheIssuesScenarioRecoversAtMaxHeap256m" 15
  "PromotionFailure.TheIssuesScenarioRecoversAtMaxHeap256m" 15
  "gc-stress:CApi.AHeapFilledToOutOfMemoryWorksAgainOnceTheRootIsDropped" 5)
while(runa_test_costs)
  list(POP_FRONT runa_test_costs name cost)
  set_tests_properties("${name}" PROPERTIES COST ${cost})
endwhile()
