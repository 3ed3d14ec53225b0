package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.HwCounters;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.api.Test;

/** The driver walks a scatterlist itself: {@link IommuDomain#mapRuns} through the SMMUv3 driver. */
class MapRunsTest {
    private static final int PAGE = 4096;
    private static final int STREAM = 7;
    private final Rig rig = new Rig(SmmuConfig.gem5());

    @Test
    void a_device_reads_every_page_of_a_list_mapped_with_one_walk_per_table() {
        IommuDomain d = rig.domain(InvalidationStrategy.LINUX, PAGE);
        rig.driver.attach(d, STREAM);
        DmaPort port = rig.port(STREAM);
        int n = 64;
        long[] paddrs = new long[n];
        long[] sizes = new long[n];
        for (int i = 0; i < n; i++) {
            paddrs[i] = Rig.DATA + (2L * i + 1) * PAGE; // every other page: nothing merges
            sizes[i] = PAGE;
            rig.machine.memory().write(paddrs[i], new byte[] {(byte) i}, 0, 1);
        }
        long iova = 0x4000_0000L;
        d.map(iova + (long) n * PAGE, Rig.DATA, PAGE, IommuProt.READ); // the tables down to the last level

        HwCounters before = rig.machine.counters();
        d.mapRuns(iova, paddrs, sizes, n, IommuProt.READ);
        HwCounters c = rig.machine.counters().minus(before);
        int perLine = rig.machine.cpu(0).lineSize() / Long.BYTES;
        // one descent (3 upper entries), then the 64 entries checked and written a line at a time
        assertEquals(3 + 2 * n / perLine, c.cacheHits() + c.cacheMisses());

        byte[] got = new byte[1];
        for (int i = 0; i < n; i++) {
            assertEquals(DmaStatus.OK, port.read(iova + (long) i * PAGE, got, 0, 1));
            assertArrayEquals(new byte[] {(byte) i}, got, "page " + i);
        }
        assertEquals(n * (long) PAGE, d.unmap(iova, n * (long) PAGE));
        assertEquals(DmaStatus.ABORT, port.read(iova, got, 0, 1));
    }

    @Test
    void pages_mapped_from_a_list_count_in_the_optimal_refill_estimate() {
        IommuDomain d = rig.domain(InvalidationStrategy.OPTIMAL, PAGE);
        int asid = rig.driver.domainOps(d).asid();
        rig.driver.attach(d, STREAM);
        int n = 300;
        long[] paddrs = new long[n];
        long[] sizes = new long[n];
        for (int i = 0; i < n; i++) {
            paddrs[i] = Rig.DATA + (2L * i + 1) * PAGE;
            sizes[i] = PAGE;
        }
        d.mapRuns(0x4000_1000L, paddrs, sizes, n, IommuProt.READ);
        assertEquals(n, rig.driver.domainOps(d).flush().liveEntries());
        long iova = 0x8000_1000L;
        long size = 1000L * PAGE;
        d.map(iova, Rig.DATA + PAGE, size, IommuProt.READ_WRITE);
        CommandRing ring = new CommandRing(rig.smmu, rig.machine.memory());
        assertEquals(size, d.unmap(iova, size));
        List<CommandRing.Cmd> issued = ring.since();
        UnmapPlan plan = new UnmapPlan(SmmuConfig.gem5(), InvalidationStrategy.OPTIMAL, PAGE, 48,
                iova, size, asid, n);
        assertEquals(plan.commands().stream().map(UnmapPlanTest::cmd).toList(), issued,
                "planned with the list's pages as the other live entries");
    }
}
