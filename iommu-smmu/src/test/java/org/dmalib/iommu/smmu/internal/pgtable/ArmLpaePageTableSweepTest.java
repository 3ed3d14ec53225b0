package org.dmalib.iommu.smmu.internal.pgtable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernel's io-pgtable self-test ({@code arm_lpae_run_tests}) swept over granule × IAS: for
 * every page size of the configuration, map, translate, refuse a map over it, unmap, translate
 * to nothing, map again; the last largest page of the IAS; then a whole table's worth of entries
 * of each size mapped and unmapped in one go. A contract-checking flush-ops double watches every
 * TLB call: map issues none, unmap hands one page per cleared entry to the gather, and a walk
 * flush (issued only when a block-sized unmap meets a table) comes while the table is still
 * allocated.
 */
class ArmLpaePageTableSweepTest {
    private static final long G1 = 1L << 30;
    private static final IommuProt FULL =
            IommuProt.READ_WRITE.with(IommuProt.NOEXEC).with(IommuProt.CACHE);
    private static final IommuProt READ_NOEXEC = IommuProt.READ.with(IommuProt.NOEXEC);

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        for (int granule : new int[] {4096, 16384, 65536}) {
            for (int ias : new int[] {32, 36, 40, 42, 48}) {
                out.add(Arguments.of(granule, ias));
            }
        }
        return out.stream();
    }

    /** The page sizes of {@code c}, smallest first. */
    private static List<Long> sizes(LpaeConfig c) {
        List<Long> out = new ArrayList<>();
        long bitmap = c.pageSizes().bitmap();
        while (bitmap != 0) {
            long size = Long.lowestOneBit(bitmap);
            out.add(size);
            bitmap &= ~size;
        }
        return out;
    }

    private static LpaeConfig configOrSkip(int granule, int ias) {
        LpaeConfig c;
        try {
            c = Rig.config(granule, ias, true);
        } catch (IllegalArgumentException e) {
            c = null;
        }
        assumeTrue(c != null, "LpaeConfig refuses granule " + granule + " ias " + ias);
        return c;
    }

    @ParameterizedTest(name = "granule {0}, ias {1}")
    @MethodSource("shapes")
    void every_page_size_maps_translates_refuses_overlap_unmaps_and_remaps(int granule, int ias) {
        LpaeConfig c = configOrSkip(granule, ias);
        Rig rig = new Rig();
        RecordingFlushOps ops = rig.flushOps(granule);
        ArmLpaePageTable t = rig.table(c, ops);
        List<Long> sizes = sizes(c);
        assertTrue(sizes.size() >= 2, "a page and at least one block: " + sizes);
        assertTrue(sizes.size() * G1 <= 1L << ias, "the self-test's 1 GiB stride fits the IAS");

        // initial sanity: an empty table translates nothing
        for (long iova : new long[] {42, G1 + 42, 2 * G1 + 42}) {
            if (iova < 1L << ias) {
                assertEquals(OptionalLong.empty(), t.iovaToPhys(iova));
            }
        }

        // distinct mappings of each size, 1 GiB apart, identity mapped
        long iova = 0;
        for (long size : sizes) {
            final long at = iova;
            assertEquals(size, t.mapPages(at, at, size, 1, FULL));
            assertThrows(AlreadyMappedException.class,
                    () -> t.mapPages(at, at + size, size, 1, READ_NOEXEC), "overlapping mapping");
            assertEquals(OptionalLong.of(at + 42), t.iovaToPhys(at + 42));
            assertEquals(OptionalLong.of(at + size - 1), t.iovaToPhys(at + size - 1));
            assertEquals(OptionalLong.empty(), t.iovaToPhys(at + size), "ends where it should");
            iova += G1;
        }
        assertEquals(0, ops.calls(), "map issues no TLB maintenance");

        // full unmap of each, then remap the full block
        iova = 0;
        for (long size : sizes) {
            IotlbGather gather = new IotlbGather();
            int pagesBefore = ops.pages().size();
            assertEquals(size, t.unmapPages(iova, size, 1, gather));
            assertEquals(OptionalLong.empty(), t.iovaToPhys(iova + 42));
            assertEquals(List.of(new RecordingFlushOps.Page(iova, size)),
                    ops.pages().subList(pagesBefore, ops.pages().size()));
            assertEquals(iova, gather.start());
            assertEquals(iova + size - 1, gather.end());
            assertEquals(size, gather.pgsize());
            assertEquals(size, t.mapPages(iova, iova, size, 1, IommuProt.WRITE));
            assertEquals(OptionalLong.of(iova + 42), t.iovaToPhys(iova + 42));
            iova += G1;
        }

        // the last largest page of the IAS (corner cases of a small pgd)
        long largest = sizes.get(sizes.size() - 1);
        long last = (1L << ias) - largest;
        assertEquals(largest, t.mapPages(last, last, largest, 1, FULL));
        assertEquals(OptionalLong.of(last + largest - 1), t.iovaToPhys(last + largest - 1));
        assertEquals(largest, t.unmapPages(last, largest, 1, new IotlbGather()));
        assertEquals(OptionalLong.empty(), t.iovaToPhys(last));
        assertEquals(List.of(), ops.walks(), "no table was removed: no walk flush");

        t.free();
        assertEquals(0, rig.memory.blocksInUse(), "every table is back");
    }

    @ParameterizedTest(name = "granule {0}, ias {1}")
    @MethodSource("shapes")
    void a_whole_table_of_each_size_maps_and_unmaps_in_one_call(int granule, int ias) {
        LpaeConfig c = configOrSkip(granule, ias);
        Rig rig = new Rig();
        for (long size : sizes(c)) {
            RecordingFlushOps ops = rig.flushOps(granule);
            ArmLpaePageTable t = rig.table(c, ops);
            int level = c.levelOf(size);
            // one table's worth of entries from iova 0, or what the IAS allows at the pgd
            long entries = Math.min(c.maxEntries(0, level), (1L << ias) / size);
            long span = entries * size;
            long pa = size; // not the identity: the output address is really taken from the PTE
            assertEquals(span, t.mapPages(0, pa, size, entries, FULL), "one call fills the table");
            assertEquals(OptionalLong.of(pa + 42), t.iovaToPhys(42));
            assertEquals(OptionalLong.of(pa + span / 2 + 8), t.iovaToPhys(span / 2 + 8));
            assertEquals(OptionalLong.of(pa + span - 1), t.iovaToPhys(span - 1));
            if (span < 1L << ias) {
                assertEquals(OptionalLong.empty(), t.iovaToPhys(span));
            }
            IotlbGather gather = new IotlbGather();
            assertEquals(span, t.unmapPages(0, size, entries, gather));
            assertEquals(entries, ops.pages().size(), "one gathered page per cleared entry");
            assertTrue(ops.pages().stream().allMatch(p -> p.granule() == size));
            assertEquals(0, gather.start());
            assertEquals(span - 1, gather.end());
            for (long at : new long[] {42, span / 2 + 8, span - 1}) {
                assertEquals(OptionalLong.empty(), t.iovaToPhys(at));
            }
            assertEquals(List.of(), ops.walks(), "same-size unmap removes no table");
            t.free();
        }
        assertEquals(0, rig.memory.blocksInUse());
    }

    @ParameterizedTest(name = "granule {0}, ias {1}")
    @MethodSource("shapes")
    void a_block_sized_unmap_over_pages_flushes_the_walk_before_freeing_the_table(
            int granule, int ias) {
        LpaeConfig c = configOrSkip(granule, ias);
        Rig rig = new Rig();
        RecordingFlushOps ops = rig.flushOps(granule);
        ArmLpaePageTable t = rig.table(c, ops);
        List<Long> sizes = sizes(c);
        long block = sizes.get(1); // the smallest block: its table holds pages
        long iova = block; // not 0: the flush must name the block's own address
        long pages = block / granule;
        assertEquals(block, t.mapPages(iova, 2 * block + granule, granule, pages, FULL));
        int tables = t.tablesInUse();
        long blocks = rig.memory.blocksInUse();
        IotlbGather gather = new IotlbGather();
        assertEquals(block, t.unmapPages(iova, block, 1, gather));
        assertEquals(List.of(new RecordingFlushOps.Walk(iova, block, granule, blocks)), ops.walks(),
                "(block iova, block size, leaf granule), while the leaf table was allocated");
        assertEquals(blocks - 1, rig.memory.blocksInUse(), "then the leaf table was freed");
        assertEquals(tables - 1, t.tablesInUse());
        assertEquals(List.of(new RecordingFlushOps.Page(iova, block)), ops.pages());
        assertEquals(OptionalLong.empty(), t.iovaToPhys(iova + block - granule));
        // and the block fits where the table was
        assertEquals(block, t.mapPages(iova, 2 * block, block, 1, FULL));
        assertEquals(OptionalLong.of(2 * block + 42), t.iovaToPhys(iova + 42));
        assertEquals(1, ops.walks().size(), "no table under it any more: no second flush");
    }
}
