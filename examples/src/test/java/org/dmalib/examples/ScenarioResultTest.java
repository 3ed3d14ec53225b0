package org.dmalib.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the scenarios report: payload bytes offered, wall time of the operations, and the
 * derived counts of {@link ScenarioResult} as their Javadoc defines them.
 */
class ScenarioResultTest {
    private static ScenarioResult timed(ScenarioConfig c, boolean nic, long[] elapsed) {
        long t0 = System.nanoTime();
        ScenarioResult r = nic ? NicScenario.run(c) : BlockScenario.run(c);
        elapsed[0] = System.nanoTime() - t0;
        return r;
    }

    private static ScenarioResult withWall(ScenarioResult r, long wallNanos) {
        return new ScenarioResult(r.driver(), r.config(), r.operations(), r.bytes(),
                r.dataErrors(), r.deviceErrors(), r.hw(), r.smmu(), r.commands(), r.lazy(),
                r.pendingMappings(), r.iovaRangesOutstanding(), wallNanos, r.debugReports(),
                r.debugReportCount());
    }

    private static void assertDerived(ScenarioResult r) {
        assertEquals(r.commands().tlbiNhVa() + r.commands().tlbiNhAsid() + r.commands().tlbiNhAll(),
                r.tlbiCommands(), r::toString);
        assertEquals(r.commands().cmdSyncs(), r.cmdSyncs());
        assertEquals(r.smmu().microTlbHits() + r.smmu().mainTlbHits(), r.iotlbHits(), r::toString);
        assertEquals(r.smmu().translations() - r.iotlbHits(), r.iotlbMisses(), r::toString);
        assertEquals((double) r.iotlbHits() / r.smmu().translations(), r.iotlbHitRate(), 1e-12);
        assertEquals(r.operations() * 1e9 / r.wallNanos(), r.operationsPerSecond(), 1e-6);
        assertEquals(r.bytes() * 1e3 / r.wallNanos(), r.megabytesPerSecond(), 1e-9);
        assertEquals(r.lazy().flushesStarted(), r.lazyFlushes());
    }

    @Test
    void nic_counts_every_payload_byte_of_both_directions_in_its_wall_time() {
        long[] elapsed = new long[1];
        int ops = 400;
        ScenarioResult r = timed(ScenarioConfig.of(ops, IommuMode.LAZY), true, elapsed);
        assertEquals(0, r.dataErrors(), r::toString);
        // every frame and packet is 60 to 1514 bytes; all moved by DMA, with the descriptors
        assertTrue(r.bytes() >= 2L * ops * NicScenario.MIN_FRAME
                && r.bytes() <= 2L * ops * Nic.MAX_FRAME, r::toString);
        assertTrue(r.bytes() <= r.hw().dmaBytesRead() + r.hw().dmaBytesWritten(), r::toString);
        assertTrue(r.wallNanos() > 0 && r.wallNanos() <= elapsed[0], r::toString);
        // lazy: the flushes are ASID-wide, so they count among the TLBIs
        assertTrue(r.commands().tlbiNhAsid() > 0, r::toString);
        assertTrue(r.smmu().microTlbHits() > 0 && r.smmu().mainTlbHits() > 0, r::toString);
        assertDerived(r);
    }

    @Test
    void block_counts_every_payload_byte_in_its_wall_time() {
        long[] elapsed = new long[1];
        ScenarioResult r = timed(ScenarioConfig.of(200, IommuMode.STRICT), false, elapsed);
        assertEquals(0, r.dataErrors(), r::toString);
        assertTrue(r.bytes() > 0 && r.bytes() % 512 == 0, r::toString);
        assertTrue(r.bytes() <= r.hw().dmaBytesRead() + r.hw().dmaBytesWritten(), r::toString);
        assertTrue(r.wallNanos() > 0 && r.wallNanos() <= elapsed[0], r::toString);
        assertDerived(r);
    }

    @Test
    void without_translations_or_time_the_rates_are_zero_not_nan() {
        ScenarioResult direct = NicScenario.run(ScenarioConfig.of(20, IommuMode.DIRECT));
        assertEquals(0, direct.smmu().translations());
        assertEquals(0.0, direct.iotlbHitRate());
        ScenarioResult instant = withWall(direct, 0);
        assertEquals(0.0, instant.operationsPerSecond());
        assertEquals(0.0, instant.megabytesPerSecond());
        ScenarioResult second = withWall(direct, 1_000_000_000L);
        assertEquals(20.0, second.operationsPerSecond());
        assertEquals(direct.bytes() / 1e6, second.megabytesPerSecond(), 1e-12);
    }

    @Test
    void a_result_without_its_configuration_or_counters_is_refused_naming_them() {
        ScenarioResult r = NicScenario.run(ScenarioConfig.of(5, IommuMode.DIRECT));
        assertEquals("config", assertThrows(NullPointerException.class, () -> new ScenarioResult(
                r.driver(), null, r.operations(), r.bytes(), r.dataErrors(), r.deviceErrors(), r.hw(),
                r.smmu(), r.commands(), r.lazy(), r.pendingMappings(), r.iovaRangesOutstanding(),
                r.wallNanos(), r.debugReports(), r.debugReportCount())).getMessage());
        assertEquals("hw", assertThrows(NullPointerException.class, () -> new ScenarioResult(
                r.driver(), r.config(), r.operations(), r.bytes(), r.dataErrors(), r.deviceErrors(), null,
                r.smmu(), r.commands(), r.lazy(), r.pendingMappings(), r.iovaRangesOutstanding(),
                r.wallNanos(), r.debugReports(), r.debugReportCount())).getMessage());
        assertEquals("lazy", assertThrows(NullPointerException.class, () -> new ScenarioResult(
                r.driver(), r.config(), r.operations(), r.bytes(), r.dataErrors(), r.deviceErrors(), r.hw(),
                r.smmu(), r.commands(), null, r.pendingMappings(), r.iovaRangesOutstanding(),
                r.wallNanos(), r.debugReports(), r.debugReportCount())).getMessage());
        assertEquals("variant", assertThrows(NullPointerException.class,
                () -> new CopyEngineScenario.Result(null, 0, 0, 0, 0, 0, true, List.of())).getMessage());
    }

    @Test
    void the_smallest_rings_carry_every_operation() {
        // two entries: one slot usable, so bursts of one
        for (IommuMode mode : IommuMode.values()) {
            ScenarioConfig c = ScenarioConfig.of(50, mode).withRingEntries(NicDriver.MIN_ENTRIES);
            for (ScenarioResult r : new ScenarioResult[] {NicScenario.run(c), BlockScenario.run(c)}) {
                assertEquals(50, r.operations(), r::toString);
                assertEquals(0, r.dataErrors(), r::toString);
                assertEquals(0, r.deviceErrors(), r::toString);
                assertEquals(0, r.pendingMappings(), r::toString);
            }
        }
    }
}
