package org.dmalib.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.dmalib.dma.ops.DebugCheck;
import org.dmalib.dma.ops.DebugMode;
import org.dmalib.dma.ops.DmaDebugException;
import java.util.List;
import org.dmalib.dma.ops.CpuBuffer;
import org.dmalib.dma.ops.DmaLeakException;
import org.dmalib.dma.ops.DmaUsageException;
import org.dmalib.dma.ops.MappingKind;
import org.dmalib.dma.ops.PendingMapping;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.junit.jupiter.api.Test;

/**
 * The block driver runs thousands of scatter-gather requests intact on every path, an IOMMU
 * merges what it can, and each seeded mistake shows where the model says it should.
 */
class BlockTest {
    private static final int REQUESTS = 2000;
    // the seeded-mistake runs: enough reads for a clear count, small enough to keep CI quick
    private static final int FEW = 500;

    private static void assertClean(ScenarioResult r) {
        assertEquals(List.of(), r.debugReports(), "a correct driver raises no DMA-API debug report");
        assertEquals(REQUESTS, r.operations());
        assertEquals(0, r.dataErrors(), r::toString);
        assertEquals(0, r.deviceErrors(), r::toString);
        assertEquals(0, r.pendingMappings(), r::toString);
        assertEquals(0, r.iovaRangesOutstanding(), r::toString);
        assertEquals(0, r.smmu().faults(), r::toString);
    }

    /** A machine with the disk and its driver on a ring of 8, for driver-level tests. */
    private static final class Board {
        final Platform p;
        final BlockDevice disk;
        final BlockDriver driver;
        final CpuBuffer buffers;

        Board(IommuMode mode, DriverMistake mistake) {
            this(mode, mistake, DebugMode.THROW);
        }

        Board(IommuMode mode, DriverMistake mistake, DebugMode debug) {
            p = new Platform(mode, Coherency.NON_COHERENT, debug);
            disk = new BlockDevice(p.port, 64);
            driver = new BlockDriver(p.dev, disk, p.cpu, 8, mistake);
            buffers = p.memory.allocate(4 * 4096);
            driver.start();
        }

        /** Three segments: 3584 bytes ending a page, a whole page, 512 bytes at offset 1024. */
        ScatterList list() {
            return ScatterList.of(buffers.segment(512, 3584), buffers.segment(4096, 4096),
                    buffers.segment(2 * 4096 + 1024, 512));
        }
    }

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 7 + seed);
        }
        return b;
    }

    @Test
    void strict_behind_the_smmu_runs_every_request_and_invalidates_once_per_request() {
        ScenarioResult r = BlockScenario.run(ScenarioConfig.of(REQUESTS, IommuMode.STRICT));
        assertClean(r);
        // every request is one IOVA range of at most 24 pages: one range TLBI (RIL) and a sync
        assertEquals(REQUESTS, r.commands().tlbiNhVa(), r::toString);
        assertEquals(REQUESTS, r.cmdSyncs(), r::toString);
        assertTrue(r.bytes() > REQUESTS * 512L, r::toString);
        assertTrue(r.hw().linesCleaned() > 0 && r.hw().linesInvalidated() > 0, r::toString);
    }

    @Test
    void lazy_behind_the_smmu_runs_every_request_with_a_few_domain_flushes() {
        ScenarioResult r = BlockScenario.run(ScenarioConfig.of(REQUESTS, IommuMode.LAZY));
        assertClean(r);
        assertEquals(REQUESTS, r.lazy().queued());
        assertEquals(0, r.commands().tlbiNhVa(), r::toString);
        assertEquals(r.lazyFlushes(), r.commands().tlbiNhAsid(), r::toString);
        assertTrue(r.lazyFlushes() >= REQUESTS / 257 && r.lazyFlushes() <= REQUESTS / 256 + 2, r::toString);
    }

    @Test
    void the_direct_path_runs_every_request_coherent_or_not() {
        assertClean(BlockScenario.run(ScenarioConfig.of(REQUESTS, IommuMode.DIRECT)));
        ScenarioResult coherent = BlockScenario.run(ScenarioConfig.of(FEW, IommuMode.DIRECT)
                .withCoherency(Coherency.COHERENT));
        assertEquals(0, coherent.dataErrors(), coherent::toString);
        assertEquals(0, coherent.pendingMappings());
        assertEquals(0, coherent.hw().barriers());
    }

    @Test
    void an_iommu_merges_a_segment_ending_a_page_with_one_starting_the_next() {
        for (IommuMode mode : IommuMode.values()) {
            Board b = new Board(mode, DriverMistake.CORRECT);
            byte[] data = pattern(8192, 3);
            b.buffers.write(b.p.cpu, 512, Arrays.copyOfRange(data, 0, 3584));
            b.buffers.write(b.p.cpu, 4096, Arrays.copyOfRange(data, 3584, 7680));
            b.buffers.write(b.p.cpu, 2 * 4096 + 1024, Arrays.copyOfRange(data, 7680, 8192));
            int tag = b.driver.submit(new BlockRequest(BlockRequest.Op.WRITE, 5, b.list()));
            List<BlockCompletion> done = b.driver.reap();
            assertEquals(1, done.size());
            assertEquals(tag, done.get(0).tag());
            assertTrue(done.get(0).ok());
            assertArrayEquals(data, b.disk.peek(5, 16));
            assertEquals(3, b.driver.segmentsMapped());
            // over an IOMMU the first two are contiguous in IOVA; directly nothing merges
            assertEquals(mode == IommuMode.DIRECT ? 3 : 2, b.driver.dmaSegmentsPosted(), mode::toString);

            b.buffers.fill(b.p.cpu, (byte) 0);
            b.driver.submit(new BlockRequest(BlockRequest.Op.READ, 5, b.list()));
            assertTrue(b.driver.reap().get(0).ok());
            assertArrayEquals(Arrays.copyOfRange(data, 0, 3584), b.buffers.read(b.p.cpu, 512, 3584));
            assertArrayEquals(Arrays.copyOfRange(data, 7680, 8192),
                    b.buffers.read(b.p.cpu, 2 * 4096 + 1024, 512));
            b.driver.stop();
            b.p.teardown();
            assertEquals(0, b.p.iovaRangesOutstanding());
        }
    }

    @Test
    void a_request_past_the_end_of_the_disk_completes_with_an_error() {
        Board b = new Board(IommuMode.STRICT, DriverMistake.CORRECT);
        b.driver.submit(new BlockRequest(BlockRequest.Op.READ, 60, b.list()));
        BlockCompletion c = b.driver.reap().get(0);
        assertFalse(c.ok());
        assertEquals(1, b.disk.errors());
        b.driver.stop();
        assertTrue(b.p.dev.pendingMappings().isEmpty());
    }

    @Test
    void completing_a_read_before_its_unmap_shows_the_poison_the_cpu_wrote() {
        // WARN: the debug checks report the bug and let it run, to show what the hardware does
        ScenarioConfig c = ScenarioConfig.of(FEW, IommuMode.STRICT)
                .withMistake(DriverMistake.MISSING_SYNC_FOR_CPU).withDebug(DebugMode.WARN);
        ScenarioResult r = BlockScenario.run(c);
        assertTrue(NicTest.checks(r).contains(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS), r::toString);
        // about half the requests are reads; most of their lines are still cached
        assertTrue(r.dataErrors() > FEW / 4, r::toString);
        assertEquals(0, r.deviceErrors());
        assertEquals(0, r.pendingMappings(), "the deferred unmaps ran at stop");
        assertEquals(0, BlockScenario.run(c.withCoherency(Coherency.COHERENT)).dataErrors());
    }

    @Test
    void reads_mapped_to_device_fault_behind_the_smmu_and_are_reported_at_unmap() {
        Board b = new Board(IommuMode.STRICT, DriverMistake.WRONG_DIRECTION, DebugMode.WARN);
        b.driver.submit(new BlockRequest(BlockRequest.Op.READ, 0, b.list()));
        assertFalse(b.driver.reap().get(0).ok());
        List<SmmuEvent> events = b.p.events();
        assertEquals(1, events.size(), events::toString);
        assertEquals(SmmuEvent.Kind.PERMISSION_FAULT, events.get(0).kind());
        assertEquals(Platform.STREAM_ID, events.get(0).streamId());
        assertTrue(events.get(0).write());
        b.driver.stop();

        ScenarioResult smmu = BlockScenario.run(ScenarioConfig.of(FEW, IommuMode.LAZY)
                .withMistake(DriverMistake.WRONG_DIRECTION).withDebug(DebugMode.WARN));
        assertEquals(Set.of(DebugCheck.FREE_DIFFERENT_DIRECTION), NicTest.checks(smmu));
        assertTrue(smmu.deviceErrors() > FEW / 4, smmu::toString);
        assertEquals(smmu.deviceErrors(), smmu.dataErrors(), "every read, and only reads, failed");
        assertEquals(smmu.deviceErrors(), smmu.smmu().faults());
        ScenarioResult direct = BlockScenario.run(ScenarioConfig.of(FEW, IommuMode.DIRECT)
                .withMistake(DriverMistake.WRONG_DIRECTION).withDebug(DebugMode.WARN));
        assertEquals(Set.of(DebugCheck.FREE_DIFFERENT_DIRECTION), NicTest.checks(direct));
        // the unmap says FROM_DEVICE, so the invalidate comes and the data is right: only the
        // debug checks see the bug on the direct path
        assertEquals(0, direct.dataErrors(), direct::toString);
        assertEquals(0, direct.deviceErrors());
    }

    @Test
    void a_completion_that_unmaps_twice_is_refused() {
        DmaDebugException e = assertThrows(DmaDebugException.class, () -> BlockScenario.run(
                ScenarioConfig.of(50, IommuMode.STRICT).withMistake(DriverMistake.DOUBLE_UNMAP)));
        assertEquals(DebugCheck.FREE_NOT_ALLOCATED, e.check());
        assertTrue(e.getMessage().contains("unmapped already"), e::getMessage);
    }

    @Test
    void a_request_never_unmapped_is_reported_at_detach() {
        Board b = new Board(IommuMode.LAZY, DriverMistake.LEAK_AT_DETACH);
        b.driver.submit(new BlockRequest(BlockRequest.Op.WRITE, 0, b.list()));
        b.driver.submit(new BlockRequest(BlockRequest.Op.READ, 0, b.list()));
        assertEquals(2, b.driver.reap().size());
        DmaLeakException e = assertThrows(DmaLeakException.class, b.driver::stop);
        assertEquals(1, e.pending().size(), e::getMessage);
        PendingMapping leaked = e.pending().get(0);
        assertEquals(MappingKind.SCATTER_GATHER, leaked.kind());
        assertEquals(DmaDirection.TO_DEVICE, leaked.direction(), "the first request, the write");
        assertEquals(3584 + 4096 + 512, leaked.size());
        assertEquals(2, leaked.segments(), "the merged DMA segments");
        ScenarioResult warned = BlockScenario.run(ScenarioConfig.of(50, IommuMode.DIRECT)
                .withMistake(DriverMistake.LEAK_AT_DETACH).withDebug(DebugMode.WARN));
        assertEquals(1, warned.pendingMappings());
        assertTrue(NicTest.checks(warned).contains(DebugCheck.PENDING_AT_DETACH), warned::toString);
    }

    @Test
    void every_seeded_mistake_is_stopped_by_its_debug_report() {
        Map<DriverMistake, DebugCheck> expected = Map.of(
                DriverMistake.MISSING_SYNC_FOR_CPU, DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS,
                DriverMistake.WRONG_DIRECTION, DebugCheck.FREE_DIFFERENT_DIRECTION,
                DriverMistake.DOUBLE_UNMAP, DebugCheck.FREE_NOT_ALLOCATED);
        for (Map.Entry<DriverMistake, DebugCheck> m : expected.entrySet()) {
            DmaDebugException e = assertThrows(DmaDebugException.class, () -> BlockScenario.run(
                    ScenarioConfig.of(50, IommuMode.STRICT).withMistake(m.getKey())), m::toString);
            assertEquals(m.getValue(), e.check(), e::getMessage);
            assertEquals(BlockDriver.class.getName(), e.report().mappedAt().get(0).getClassName());
        }
        IllegalArgumentException unchecked = assertThrows(IllegalArgumentException.class,
                () -> BlockScenario.run(ScenarioConfig.of(5, IommuMode.STRICT)
                        .withMistake(DriverMistake.UNCHECKED_RESULT)));
        assertTrue(unchecked.getMessage().contains("mistake=UNCHECKED_RESULT"), unchecked::getMessage);
    }

    @Test
    void bad_requests_are_refused_naming_the_value() {
        Board b = new Board(IommuMode.DIRECT, DriverMistake.CORRECT);
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class, () ->
                new BlockRequest(BlockRequest.Op.READ, 0, ScatterList.of(b.buffers.segment(0, 100))));
        assertTrue(odd.getMessage().contains("segments.totalLength=100"), odd::getMessage);
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () ->
                new BlockRequest(BlockRequest.Op.READ, -1, b.list()));
        assertTrue(negative.getMessage().contains("sector=-1"), negative::getMessage);
        // writes: several TO_DEVICE mappings of the same buffers may coexist, FROM_DEVICE ones not
        for (int i = 0; i < 7; i++) {
            b.driver.submit(new BlockRequest(BlockRequest.Op.WRITE, 0, b.list()));
        }
        assertEquals(0, b.driver.freeSlots());
        assertThrows(IllegalStateException.class, () ->
                b.driver.submit(new BlockRequest(BlockRequest.Op.WRITE, 0, b.list())));
        assertEquals(7, b.driver.reap().size());
        b.driver.stop();
    }
}
