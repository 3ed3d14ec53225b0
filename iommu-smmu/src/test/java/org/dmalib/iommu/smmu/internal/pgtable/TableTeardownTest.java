package org.dmalib.iommu.smmu.internal.pgtable;

import static org.dmalib.iommu.smmu.internal.pgtable.Rig.GIB;
import static org.dmalib.iommu.smmu.internal.pgtable.Rig.KIB;
import static org.dmalib.iommu.smmu.internal.pgtable.Rig.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.junit.jupiter.api.Test;

/**
 * Freeing table trees ({@code __arm_lpae_free_pgtable}): last-level tables are freed without
 * being read, and the leaf count the driver's refill estimate reads stays exact.
 */
class TableTeardownTest {
    private static final IommuProt RW = IommuProt.READ_WRITE;
    private static final long PAGE = 4 * KIB;
    private static final long SZ_2M = 2 * MIB;
    private final Rig rig = new Rig();
    private final RecordingFlushOps ops = rig.flushOps(PAGE);
    private final ArmLpaePageTable t = rig.table(Rig.config(4096, 48, true), ops);
    private final IotlbGather gather = new IotlbGather();

    /** Maps {@code pages} 4K pages from {@code iova}, one leaf table run at a time. */
    private void map4k(long iova, long paddr, long pages) {
        long done = 0;
        while (done < pages) {
            done += t.mapPages(iova + done * PAGE, paddr + done * PAGE, PAGE, pages - done, RW) / PAGE;
        }
    }


    @Test
    void freeing_the_table_reads_only_the_tables_that_point_to_tables() {
        map4k(0, 0x8000_0000L, 4 * 512);            // four full last-level tables under one L2
        t.mapPages(GIB, 0x4000_0000L, SZ_2M, 3, RW); // blocks in a second L2 table
        assertEquals(2048 + 3, t.leafCount());
        assertEquals(1 + 1 + 2 + 4, t.tablesInUse());
        int blocksBefore = rig.memory.blocksInUse();

        long accesses = rig.lineAccesses(t::free);

        int lineSize = rig.cpu.lineSize();
        // the pgd, the L1 table and the two L2 tables, one line access per line each; reading
        // the four last-level tables entry by entry would take 4 * 512 more
        assertEquals(4L * 4096 / lineSize, accesses);
        assertEquals(0, t.leafCount());
        assertEquals(blocksBefore - 8, rig.memory.blocksInUse());
        assertEquals(0, ops.calls(), "freeing a whole table does no TLB work");
    }

    @Test
    void the_leaf_count_follows_table_removal_and_table_reuse() {
        map4k(0, 0x8000_0000L, 512 + 10);           // one full leaf table and 10 leaves of the next
        assertEquals(522, t.leafCount());
        assertEquals(3 * PAGE, t.unmapPages(512 * PAGE, PAGE, 3, gather));
        assertEquals(519, t.leafCount());

        // a block-sized unmap over each table entry removes the tables with their leaves
        assertEquals(SZ_2M, t.unmapPages(0, SZ_2M, 1, gather));
        assertEquals(7, t.leafCount());
        assertEquals(SZ_2M, t.unmapPages(SZ_2M, SZ_2M, 1, gather));
        assertEquals(0, t.leafCount());
        assertEquals(2, ops.walks().size(), "one walk flush per removed table");

        // the freed leaf tables are handed out again: their counts start from zero
        map4k(0, 0x9000_0000L, 512);
        assertEquals(512, t.leafCount());
        assertEquals(PAGE, t.unmapPages(0, PAGE, 1, gather));
        assertEquals(SZ_2M, t.unmapPages(0, SZ_2M, 1, gather));
        assertEquals(0, t.leafCount(), "no count left over from the table's earlier use");

        // a 1 GiB unmap at the L1 entry frees the L2 table and every leaf table under it
        map4k(4 * SZ_2M, 0x9000_0000L, 3 * 512);
        t.mapPages(64 * SZ_2M, 0xa000_0000L, SZ_2M, 2, RW);
        assertEquals(3 * 512 + 2, t.leafCount());
        assertEquals(GIB, t.unmapPages(0, GIB, 1, gather));
        assertEquals(0, t.leafCount());
        assertEquals(1 + 1, t.tablesInUse(), "the pgd and the L1 table stay");
    }

    @Test
    void a_tree_freed_while_leaves_remain_elsewhere_keeps_their_count() {
        map4k(0, 0x8000_0000L, 600);
        map4k(3 * GIB, 0x8000_0000L, 5);
        assertEquals(GIB, t.unmapPages(0, GIB, 1, gather));
        assertEquals(5, t.leafCount());
        assertTrue(t.iovaToPhys(3 * GIB + 4 * PAGE).isPresent());
    }
}
