package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.PhysicalMemory;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.GatheringDomain;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Stale-entry visibility: after an unmap without its sync ({@code iommu_unmap_fast} with a
 * gather nobody syncs) a device that used the pages can still read and write the old memory
 * through its IOTLB; after {@code iotlbSync(gather)} it faults. For every strategy, with and
 * without RIL.
 */
class StaleEntryTest {
    private static final int SID = 7;
    private static final long PAGE = 4096;
    private static final long IOVA = 0x8000_1000L; // 4 KiB leaves only
    private static final long PAGES = 8;
    private static final long PADDR = Rig.DATA + PAGE;

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @ParameterizedTest(name = "{0} ril={1}")
    @MethodSource("org.dmalib.iommu.smmu.Rig#strategiesWithAndWithoutRil")
    void an_unsynced_unmap_leaves_the_old_memory_reachable_and_the_sync_ends_it(
            InvalidationStrategy strategy, boolean ril) {
        Rig rig = new Rig(SmmuConfig.gem5().withRangeInvalidation(ril));
        PhysicalMemory ram = rig.machine.memory();
        IommuDomain domain = rig.domain(strategy, (int) PAGE);
        GatheringDomain gathering = (GatheringDomain) domain;
        rig.driver.attach(domain, SID);
        DmaPort port = rig.port(SID);
        ram.fill(PADDR, PAGES * PAGE, (byte) 0x11);
        domain.map(IOVA, PADDR, PAGES * PAGE, IommuProt.READ_WRITE);
        Rig.assertReads(port, IOVA, PAGES * PAGE, PAGE, DmaStatus.OK); // the IOTLB holds them

        IotlbGather gather = new IotlbGather();
        SmmuDriverCounters before = rig.driver.counters();
        assertEquals(PAGES * PAGE, gathering.unmapFast(IOVA, PAGES * PAGE, gather));
        SmmuDriverCounters unsynced = rig.driver.counters().minus(before);
        assertEquals(0, unsynced.batches(), "no command before the sync: " + unsynced);
        assertEquals(PAGES * PAGE, gather.size(), "the whole range waits in the gather");

        // without the sync: the old memory is still reachable, for reading and for writing
        byte[] got = new byte[16];
        long last = IOVA + (PAGES - 1) * PAGE;
        assertEquals(DmaStatus.OK, port.read(last + 32, got, 0, got.length), "stale read");
        assertArrayEquals(filled(16, 0x11), got);
        assertEquals(DmaStatus.OK, port.write(IOVA + 64, filled(16, 0x22), 0, 16), "stale write");
        byte[] inRam = new byte[16];
        ram.read(PADDR + 64, inRam, 0, 16);
        assertArrayEquals(filled(16, 0x22), inRam, "the stale write reached the old memory");

        gathering.iotlbSync(gather);
        SmmuDriverCounters synced = rig.driver.counters().minus(before);
        assertEquals(1, synced.cmdSyncs());
        // with the sync: every page faults and nothing reaches memory any more
        Rig.assertReads(port, IOVA, PAGES * PAGE, PAGE, DmaStatus.ABORT);
        assertEquals(DmaStatus.ABORT, port.write(IOVA + 64, filled(16, 0x33), 0, 16));
        ram.read(PADDR + 64, inRam, 0, 16);
        assertArrayEquals(filled(16, 0x22), inRam, "the faulting write changed nothing");
        assertEquals(PAGES + 1, rig.driver.drainEvents().size());
    }

    @ParameterizedTest(name = "{0} ril={1}")
    @MethodSource("org.dmalib.iommu.smmu.Rig#strategiesWithAndWithoutRil")
    void pages_the_device_never_used_fault_at_once_even_without_the_sync(
            InvalidationStrategy strategy, boolean ril) {
        // the control: what stays reachable above is reached through the IOTLB, not the table
        Rig rig = new Rig(SmmuConfig.gem5().withRangeInvalidation(ril));
        IommuDomain domain = rig.domain(strategy, (int) PAGE);
        rig.driver.attach(domain, SID);
        DmaPort port = rig.port(SID);
        domain.map(IOVA, PADDR, PAGES * PAGE, IommuProt.READ_WRITE);
        IotlbGather gather = new IotlbGather();
        assertEquals(PAGES * PAGE, ((GatheringDomain) domain).unmapFast(IOVA, PAGES * PAGE, gather));
        Rig.assertReads(port, IOVA, PAGES * PAGE, PAGE, DmaStatus.ABORT);
        ((GatheringDomain) domain).iotlbSync(gather);
    }
}
