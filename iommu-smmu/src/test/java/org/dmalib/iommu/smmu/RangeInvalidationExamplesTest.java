package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.spi.GatheringDomain;
import org.dmalib.iommu.smmu.CommandRing.Cmd;
import org.junit.jupiter.api.Test;

/**
 * The RIL examples of reference §5.2, end to end: the driver (LINUX strategy, RIL SMMU) writes
 * exactly those commands to the ring, and the SMMU model's decoding of them covers exactly the
 * intended pages. Exactness is shown with stale neighbours: the page just below and the page just
 * above the range are unmapped without any invalidation (a queued gather) while the device still
 * holds them in its IOTLB; after the range's invalidation they must still translate (the decoded
 * range did not reach them) while the first and last page of the range fault.
 */
class RangeInvalidationExamplesTest {
    private static final int SID = 7;
    private static final long PAGE = 4096;
    private static final int TG_4K = 1;
    private static final int TTL_PAGE = 3;

    private final Rig rig = new Rig(SmmuConfig.gem5().withRangeInvalidation(true));
    private final IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
    private final GatheringDomain gathering = (GatheringDomain) domain;
    private final int asid = rig.driver.domainOps(domain).asid();
    private final DmaPort port;
    private final CommandRing ring;

    RangeInvalidationExamplesTest() {
        rig.driver.attach(domain, SID);
        port = rig.port(SID);
        ring = new CommandRing(rig.smmu, rig.machine.memory());
    }

    private static byte[] tag(long iova) {
        return new byte[] {(byte) (iova >>> 12), (byte) (iova >>> 20), (byte) (iova >>> 28), 0x5a};
    }

    /** Maps one 4 KiB page at {@code iova} to {@code paddr} holding a tag of {@code iova}. */
    private void mapTagged(long iova, long paddr) {
        rig.machine.memory().write(paddr, tag(iova), 0, 4);
        domain.map(iova, paddr, PAGE, IommuProt.READ_WRITE);
    }

    private void assertReadsTag(long iova, String why) {
        byte[] got = new byte[4];
        assertEquals(DmaStatus.OK, port.read(iova, got, 0, 4), why);
        assertArrayEquals(tag(iova), got, why);
    }

    /**
     * Maps {@code pages} 4 KiB pages from {@code iova} (as 4 KiB leaves: the physical address is
     * 4 KiB off the IOVA's 2 MiB alignment) and a 4 KiB neighbour on each side; lets the device
     * touch both ends and both neighbours; then unmaps the neighbours with no invalidation, so
     * they live on only in the IOTLB.
     */
    private void prepare(long iova, long pages) {
        long paddr = Rig.DATA + PAGE;
        rig.machine.memory().write(paddr, tag(iova), 0, 4);
        rig.machine.memory().write(paddr + (pages - 1) * PAGE, tag(iova + (pages - 1) * PAGE), 0, 4);
        domain.map(iova, paddr, pages * PAGE, IommuProt.READ_WRITE);
        mapTagged(iova - PAGE, Rig.DATA - 2 * PAGE);
        mapTagged(iova + pages * PAGE, Rig.DATA - 4 * PAGE);
        for (long at : new long[] {iova - PAGE, iova, iova + (pages - 1) * PAGE, iova + pages * PAGE}) {
            assertReadsTag(at, String.format("before: 0x%x", at));
        }
        IotlbGather queued = new IotlbGather();
        queued.setQueued(true); // as under a flush queue: nothing is invalidated now
        ring.since();
        assertEquals(PAGE, gathering.unmapFast(iova - PAGE, PAGE, queued));
        assertEquals(PAGE, gathering.unmapFast(iova + pages * PAGE, PAGE, queued));
        assertEquals(List.of(), ring.since(), "no command for the neighbours");
        assertReadsTag(iova - PAGE, "the lower neighbour lives on in the IOTLB");
        assertReadsTag(iova + pages * PAGE, "the upper neighbour lives on in the IOTLB");
    }

    /** After the range's invalidation: both ends fault, both stale neighbours still translate. */
    private void assertExactlyTheRangeWasInvalidated(long iova, long pages) {
        assertReadsTag(iova - PAGE, "the invalidation did not reach below the range");
        assertReadsTag(iova + pages * PAGE, "the invalidation did not reach above the range");
        for (long i = 0; i < pages; i++) {
            assertEquals(DmaStatus.ABORT, Rig.read(port, iova + i * PAGE),
                    String.format("page %d of the range", i));
        }
        rig.driver.drainEvents();
    }

    /** The commands' ranges, laid end to end from {@code iova}, are exactly the range. */
    private static void assertTiles(List<Cmd> commands, long iova, long bytes) {
        long at = iova;
        for (Cmd c : commands) {
            if (c.opcode() != Cmd.sync().opcode()) {
                assertEquals(at, c.address());
                at += c.rangeBytes();
            }
        }
        assertEquals(iova + bytes, at);
    }

    @Test
    void one_gibibyte_of_4k_pages_is_one_range_command_with_scale_18_and_num_0() {
        long iova = 4 * Rig.GIB;
        long pages = Rig.GIB / PAGE; // 262144
        prepare(iova, pages);
        // leaves stay 4 KiB only if the unmap is split as they were mapped: per 2 MiB chunk one
        // call for 511 pages and one for the last (a 2 MiB-sized call would free the leaf table
        // with a walk flush instead); one gather for all of it, one sync: a strict unmap
        IotlbGather gather = new IotlbGather();
        SmmuDriverCounters before = rig.driver.counters();
        SmmuCounters hw = rig.smmu.counters();
        for (long chunk = iova; chunk < iova + Rig.GIB; chunk += 2 * Rig.MIB) {
            assertEquals(2 * Rig.MIB - PAGE, gathering.unmapFast(chunk, 2 * Rig.MIB - PAGE, gather));
            assertEquals(PAGE, gathering.unmapFast(chunk + 2 * Rig.MIB - PAGE, PAGE, gather));
        }
        assertEquals(List.of(), ring.since(), "nothing issued before the sync");
        assertReadsTag(iova, "without the sync the first page is still reachable");
        assertReadsTag(iova + Rig.GIB - PAGE, "without the sync the last page is still reachable");
        gathering.iotlbSync(gather);
        List<Cmd> cmds = ring.since();
        assertEquals(List.of(Cmd.va(asid, iova, 0, 18, TG_4K, TTL_PAGE, true), Cmd.sync()), cmds);
        assertTiles(cmds, iova, Rig.GIB);
        SmmuDriverCounters d = rig.driver.counters().minus(before);
        assertEquals(1, d.tlbiNhVa());
        assertEquals(1, d.cmdSyncs());
        assertEquals(1, d.batches());
        SmmuCounters h = rig.smmu.counters().minus(hw);
        assertEquals(1, h.tlbiNhVa(), "the SMMU executed the one range command");
        assertEquals(1, h.cmdSyncs());
        assertExactlyTheRangeWasInvalidated(iova, pages);
    }

    @Test
    void one_thousand_pages_are_two_commands_scale_3_num_28_then_scale_8_num_2() {
        long iova = 0x8000_1000L; // 4 KiB past 2 MiB: the strict unmap splits into 4 KiB runs only
        long pages = 1000;
        prepare(iova, pages);
        SmmuDriverCounters before = rig.driver.counters();
        assertEquals(pages * PAGE, domain.unmap(iova, pages * PAGE));
        List<Cmd> cmds = ring.since();
        assertEquals(List.of(
                Cmd.va(asid, iova, 28, 3, TG_4K, TTL_PAGE, true), // 29 * 8 = 232 pages
                Cmd.va(asid, iova + 232 * PAGE, 2, 8, TG_4K, TTL_PAGE, true), // 3 * 256 = 768
                Cmd.sync()), cmds);
        assertTiles(cmds, iova, pages * PAGE);
        SmmuDriverCounters d = rig.driver.counters().minus(before);
        assertEquals(2, d.tlbiNhVa());
        assertEquals(1, d.cmdSyncs());
        assertEquals(1, d.batches());
        assertExactlyTheRangeWasInvalidated(iova, pages);
    }

    @Test
    void one_hundred_pages_are_one_command_scale_2_num_24() {
        long iova = 0x8000_1000L;
        long pages = 100;
        prepare(iova, pages);
        assertEquals(pages * PAGE, domain.unmap(iova, pages * PAGE));
        List<Cmd> cmds = ring.since();
        assertEquals(List.of(Cmd.va(asid, iova, 24, 2, TG_4K, TTL_PAGE, true), Cmd.sync()), cmds);
        assertTiles(cmds, iova, pages * PAGE);
        assertExactlyTheRangeWasInvalidated(iova, pages);
    }
}
