package org.dmalib.iommu.smmu.internal.pgtable;

import static org.dmalib.iommu.smmu.internal.pgtable.Rig.GIB;
import static org.dmalib.iommu.smmu.internal.pgtable.Rig.KIB;
import static org.dmalib.iommu.smmu.internal.pgtable.Rig.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.dmalib.iommu.api.AlreadyMappedException;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.api.Test;

/**
 * The edges of a table's address space and of its accounting: IOVA 0, the last page of the
 * input range, 1 GiB blocks at teardown, a one-level table, and the raw table PTEs of a
 * coherent walker.
 */
class ArmLpaePageTableEdgeTest {
    private static final IommuProt RW = IommuProt.READ_WRITE;
    private static final long PAGE = 4 * KIB;
    private final Rig rig = new Rig();
    private final RecordingFlushOps ops = rig.flushOps(PAGE);

    @Test
    void a_gigabyte_block_over_tables_that_map_only_iova_0_is_refused_naming_iova_0() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, true), ops);
        t.mapPages(0, 0x7000_0000L, PAGE, 1, RW);
        AlreadyMappedException e = assertThrows(AlreadyMappedException.class,
                () -> t.mapPages(0, 0, GIB, 1, RW));
        assertTrue(e.getMessage().contains("iova=0x0"), e.getMessage());
        assertEquals(OptionalLong.of(0x7000_0000L), t.iovaToPhys(0), "the page stays mapped");
        assertEquals(OptionalLong.of(0x7000_0000L + 0x123), t.iovaToPhys(0x123));
        assertEquals(OptionalLong.empty(), t.iovaToPhys(PAGE), "no block was mapped");
        assertEquals(1, t.leafCount());
        assertEquals(0, ops.calls(), "no table was flushed or freed");
    }

    @Test
    void freeing_a_table_that_holds_gigabyte_blocks_drops_them_from_the_leaf_count() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, true), ops);
        t.mapPages(GIB, 0x4000_0000L, GIB, 2, RW);   // two 1 GiB blocks in the L1 table
        t.mapPages(0, 0x8000_0000L, PAGE, 3, RW);    // and three pages below them
        assertEquals(5, t.leafCount());
        int blocks = rig.memory.blocksInUse();
        t.free();
        assertEquals(0, t.leafCount(), "every leaf went with the tables");
        assertEquals(blocks - 4, rig.memory.blocksInUse(), "the pgd, L1, L2 and L3 tables");
    }

    @Test
    void freeing_a_one_level_table_that_never_mapped_anything_returns_its_pgd() {
        // ias 21 with 4 KiB pages: the pgd is the last-level table
        ArmLpaePageTable t = rig.table(Rig.config(4096, 21, true), ops);
        assertEquals(3, t.config().startLevel());
        assertEquals(1, rig.memory.blocksInUse());
        t.free();
        assertEquals(0, rig.memory.blocksInUse());
        assertEquals(0, rig.memory.bytesInUse());
        assertEquals(0, t.leafCount());
    }

    @Test
    void a_one_level_table_with_pages_frees_them_with_its_pgd() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 21, true), ops);
        t.mapPages(5 * PAGE, 0x8000_0000L, PAGE, 7, RW);
        assertEquals(7, t.leafCount());
        t.free();
        assertEquals(0, t.leafCount());
        assertEquals(0, rig.memory.blocksInUse());
    }

    @Test
    void unmap_checks_take_ranges_that_start_at_iova_0_or_end_at_the_top_of_the_input_range() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 39, true), ops);
        long top = 1L << 39;
        t.mapPages(0, 0x8000_0000L, 2 * MIB, 1, RW);
        t.mapPages(top - 2 * MIB, 0x8020_0000L, 2 * MIB, 1, RW);
        // whole blocks at both ends: nothing is split, so nothing is refused
        t.checkUnmap(0, 2 * MIB);
        t.checkUnmap(top - 2 * MIB, 2 * MIB);
        t.checkUnmap(0, top);
        IotlbGather gather = new IotlbGather();
        assertEquals(2 * MIB, t.unmapPages(0, 2 * MIB, 1, gather));
        assertEquals(2 * MIB, t.unmapPages(top - 2 * MIB, 2 * MIB, 1, gather));
        assertEquals(0, t.leafCount());
    }

    @Test
    void a_coherent_walkers_table_ptes_are_plain_table_descriptors() {
        ArmLpaePageTable t = rig.table(Rig.config(4096, 48, true), ops);
        long iova = 0x12_3456_7000L;
        t.mapPages(iova, 0x8000_0000L, PAGE, 1, RW);
        for (int level = 0; level < 3; level++) {
            long pte = rig.cpu.loadLong(Slots.at(t, rig.cpu, iova, level));
            long next = rig.cpu.loadLong(Slots.at(t, rig.cpu, iova, level + 1));
            assertTrue(next != 0);
            assertEquals(LpaePte.table(LpaePte.toPaddr(pte)), pte,
                    "level " + level + ": nothing cleaned, so no SW_SYNC mark");
        }
    }
}
