package org.dmalib.iommu.smmu.internal.pgtable;

import static org.dmalib.iommu.smmu.internal.pgtable.Rig.GIB;
import static org.dmalib.iommu.smmu.internal.pgtable.Rig.KIB;
import static org.dmalib.iommu.smmu.internal.pgtable.Rig.MIB;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.OutOfRangeException;
import org.dmalib.iommu.api.PartialUnmapException;
import org.dmalib.iommu.api.UnalignedException;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.api.Test;

/** unmap_pages (reference §4.5, Linux ≥ 6.13) and the partial-unmap check. */
class ArmLpaePageTableUnmapTest {
    private static final IommuProt RW = IommuProt.READ_WRITE;
    private static final long PAGE = 4 * KIB;
    private final Rig rig = new Rig();
    private final RecordingFlushOps ops = rig.flushOps(PAGE);
    private final ArmLpaePageTable t = rig.table(Rig.config(4096, 48, true), ops);
    private final IotlbGather gather = new IotlbGather();

    @Test
    void unmap_returns_the_bytes_and_adds_one_page_per_entry_to_the_gather() {
        t.mapPages(0x10_0000L, 0x8000_0000L, PAGE, 3, RW);
        assertEquals(3 * PAGE, t.unmapPages(0x10_0000L, PAGE, 3, gather));
        assertEquals(OptionalLong.empty(), t.iovaToPhys(0x10_1000L));
        assertEquals(List.of(new RecordingFlushOps.Page(0x10_0000L, PAGE),
                new RecordingFlushOps.Page(0x10_1000L, PAGE),
                new RecordingFlushOps.Page(0x10_2000L, PAGE)), ops.pages());
        assertEquals(0x10_0000L, gather.start());
        assertEquals(0x10_2fffL, gather.end());
        assertEquals(List.of(), ops.walks(), "leaf unmaps free no table");
        assertEquals(4, t.tablesInUse(), "empty tables stay, as in Linux");
    }

    @Test
    void a_queued_gather_gets_no_pages() {
        t.mapPages(0, 0, PAGE, 2, RW);
        gather.setQueued(true);
        assertEquals(2 * PAGE, t.unmapPages(0, PAGE, 2, gather));
        assertEquals(0, ops.calls());
        assertTrue(gather.isEmpty());
    }

    @Test
    void unmap_stops_at_a_hole_with_what_it_unmapped_so_far() {
        t.mapPages(0x10_0000L, 0, PAGE, 2, RW);
        t.mapPages(0x10_3000L, 0, PAGE, 1, RW);
        assertEquals(2 * PAGE, t.unmapPages(0x10_0000L, PAGE, 4, gather));
        assertEquals(OptionalLong.of(0), t.iovaToPhys(0x10_3000L), "beyond the hole: untouched");
        assertEquals(0, t.unmapPages(0x10_2000L, PAGE, 2, gather), "a hole at iova: 0, stop");
        assertEquals(0, t.unmapPages(0x40_0000_0000L, PAGE, 1, gather), "no table at all: 0");
        assertEquals(2, ops.pages().size());
    }

    @Test
    void one_call_stops_at_the_end_of_the_leaf_table() {
        long iova = 2 * MIB - 2 * PAGE;
        t.mapPages(iova, 0, PAGE, 2, RW);
        t.mapPages(2 * MIB, 0, PAGE, 2, RW);
        assertEquals(2 * PAGE, t.unmapPages(iova, PAGE, 4, gather));
        assertEquals(2 * PAGE, t.unmapPages(2 * MIB, PAGE, 2, gather));
    }

    @Test
    void blocks_unmap_whole_with_one_gathered_page_of_the_block_size() {
        t.mapPages(0x4000_0000L, 0, 2 * MIB, 2, RW);
        assertEquals(2 * MIB, t.unmapPages(0x4000_0000L, 2 * MIB, 1, gather));
        assertEquals(List.of(new RecordingFlushOps.Page(0x4000_0000L, 2 * MIB)), ops.pages());
        assertEquals(OptionalLong.of(2 * MIB), t.iovaToPhys(0x4020_0000L));
    }

    @Test
    void part_of_a_block_is_refused_by_unmap_and_nothing_changes() {
        t.mapPages(0x4000_0000L, 0x8000_0000L, 2 * MIB, 1, RW);
        PartialUnmapException e = assertThrows(PartialUnmapException.class,
                () -> t.unmapPages(0x4000_1000L, PAGE, 1, gather));
        assertEquals(0x4000_0000L, e.blockIova());
        assertEquals(2 * MIB, e.blockSize());
        assertThrows(PartialUnmapException.class,
                () -> t.unmapPages(0x4000_0000L, PAGE, 512, gather), "pages over a block");
        assertEquals(OptionalLong.of(0x8000_1000L), t.iovaToPhys(0x4000_1000L));
        assertEquals(0, ops.calls());
        assertTrue(gather.isEmpty());
    }

    @Test
    void check_unmap_refuses_ranges_starting_or_ending_inside_a_block() {
        t.mapPages(0x4000_0000L, 0x8000_0000L, 2 * MIB, 1, RW);
        t.mapPages(0x3fff_f000L, 0, PAGE, 1, RW);
        PartialUnmapException start = assertThrows(PartialUnmapException.class,
                () -> t.checkUnmap(0x4000_1000L, 2 * MIB));
        assertEquals(0x4000_0000L, start.blockIova());
        PartialUnmapException end = assertThrows(PartialUnmapException.class,
                () -> t.checkUnmap(0x3fff_f000L, 2 * PAGE));
        assertEquals(2 * MIB, end.blockSize());
        assertDoesNotThrow(() -> t.checkUnmap(0x4000_0000L, 2 * MIB));
        assertDoesNotThrow(() -> t.checkUnmap(0x3fff_f000L, 2 * MIB + 2 * PAGE));
        assertDoesNotThrow(() -> t.checkUnmap(0x3fff_f000L, PAGE), "pages never split");
        assertDoesNotThrow(() -> t.checkUnmap(5 * GIB, GIB), "nothing mapped: nothing to split");
        assertEquals(OptionalLong.of(0x8000_0000L), t.iovaToPhys(0x4000_0000L));
        assertEquals(0, ops.calls());
        assertThrows(UnalignedException.class, () -> t.checkUnmap(0x800, PAGE));
        assertThrows(IllegalArgumentException.class, () -> t.checkUnmap(0, 0));
        assertThrows(OutOfRangeException.class, () -> t.checkUnmap((1L << 48) - PAGE, 2 * PAGE));
    }

    @Test
    void a_table_under_a_block_sized_unmap_is_flushed_from_the_walk_cache_before_it_is_freed() {
        long region = 0x4020_0000L;
        t.mapPages(region, 0, PAGE, 1, RW);
        t.mapPages(region + 0x1f_f000L, 0, PAGE, 1, RW);
        long slot = Slots.at(t, rig.cpu, region, 2);
        long l3 = LpaePte.toPaddr(rig.cpu.loadLong(slot));
        List<Long> seenAtFlush = new ArrayList<>();
        ops.onWalk(w -> seenAtFlush.add(rig.cpu.loadLong(slot)));
        long before = rig.memory.blocksInUse();
        assertEquals(2 * MIB, t.unmapPages(region, 2 * MIB, 1, gather));
        assertEquals(List.of(new RecordingFlushOps.Walk(region, 2 * MIB, PAGE, before)), ops.walks(),
                "(blockIova, blockSize, granule), while the table was still allocated");
        assertEquals(List.of(0L), seenAtFlush, "the entry was cleared before the flush");
        assertEquals(before - 1, rig.memory.blocksInUse(), "then the table was freed");
        assertEquals(List.of(new RecordingFlushOps.Page(region, 2 * MIB)), ops.pages());
        assertEquals(OptionalLong.empty(), t.iovaToPhys(region + 0x1f_f000L));
        assertEquals(l3, rig.memory.allocate(4096), "the freed table is the next one handed out");
    }

    @Test
    void a_gigabyte_unmap_frees_the_whole_sub_tree_after_one_walk_flush() {
        t.mapPages(GIB, 0, PAGE, 1, RW);
        t.mapPages(GIB + 0x20_0000L, 0, PAGE, 1, RW);
        t.mapPages(GIB + 0x40_0000L, 0, 2 * MIB, 1, RW);
        assertEquals(5, t.tablesInUse(), "pgd, L1, L2, two L3");
        long before = rig.memory.blocksInUse();
        assertEquals(GIB, t.unmapPages(GIB, GIB, 1, gather));
        assertEquals(List.of(new RecordingFlushOps.Walk(GIB, GIB, PAGE, before)), ops.walks());
        assertEquals(2, t.tablesInUse(), "pgd and L1 stay");
        assertEquals(t.reachableTables(), t.tablesInUse());
    }

    @Test
    void bad_arguments_are_typed_and_change_nothing() {
        t.mapPages(0, 0, PAGE, 1, RW);
        assertThrows(IllegalArgumentException.class, () -> t.unmapPages(0, 8 * KIB, 1, gather));
        assertThrows(IllegalArgumentException.class, () -> t.unmapPages(0, PAGE, -1, gather));
        assertThrows(UnalignedException.class, () -> t.unmapPages(0x800, PAGE, 1, gather));
        assertThrows(OutOfRangeException.class, () -> t.unmapPages(1L << 48, PAGE, 1, gather));
        assertThrows(NullPointerException.class, () -> t.unmapPages(0, PAGE, 1, null));
        assertEquals(OptionalLong.of(0), t.iovaToPhys(0));
        assertEquals(0, ops.calls());
    }

    @Test
    void a_partial_block_unmap_names_the_run_it_was_asked_for() {
        t.mapPages(GIB, 0, 2 * MIB, 1, RW);
        PartialUnmapException e = assertThrows(PartialUnmapException.class,
                () -> t.unmapPages(GIB + PAGE, PAGE, 3, gather));
        assertTrue(e.getMessage().contains("iova=0x40001000 size=0x3000"), e.getMessage());
        assertEquals(GIB, e.blockIova());
    }

    @Test
    void a_table_later_in_a_run_of_blocks_is_flushed_at_its_own_address() {
        t.mapPages(0, 0, 2 * MIB, 1, RW);
        t.mapPages(2 * MIB + 3 * PAGE, 0, PAGE, 1, RW); // a table under the second 2 MiB entry
        long before = rig.memory.blocksInUse();
        assertEquals(4 * MIB, t.unmapPages(0, 2 * MIB, 2, gather));
        assertEquals(List.of(new RecordingFlushOps.Walk(2 * MIB, 2 * MIB, PAGE, before)), ops.walks());
        assertEquals(OptionalLong.empty(), t.iovaToPhys(2 * MIB + 3 * PAGE));
    }

    @Test
    void check_unmap_takes_the_last_page_of_the_input_range_and_refuses_a_freed_table() {
        t.mapPages((1L << 48) - PAGE, 0, PAGE, 1, RW);
        assertDoesNotThrow(() -> t.checkUnmap((1L << 48) - PAGE, PAGE));
        assertThrows(OutOfRangeException.class, () -> t.checkUnmap(1L << 48, PAGE));
        t.free();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.checkUnmap(0, PAGE));
        assertTrue(e.getMessage().contains("was freed"), e.getMessage());
    }
}
