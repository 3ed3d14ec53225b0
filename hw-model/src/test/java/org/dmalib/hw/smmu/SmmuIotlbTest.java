package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.junit.jupiter.api.Test;

/** The IOTLB really caches: stale entries survive until exactly the right invalidation. */
class SmmuIotlbTest {
    private static final int SID = 5;
    private static final int ASID = 7;
    private static final long PAGE = 0x1000;
    private static final long VA = 0x4000_0000L;

    private final SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
    private final PageTables pt = rig.tables(12, 48);
    private final DmaPort port;

    SmmuIotlbTest() {
        rig.translate(SID, ASID, pt);
        port = rig.port(SID);
    }

    private void mapPages(long va, int count) {
        for (int i = 0; i < count; i++) {
            pt.mapPage(va + i * PAGE, SmmuRig.DATA + i * PAGE, PageTables.RW);
        }
    }

    private void unmapPages(long va, int count) {
        for (int i = 0; i < count; i++) {
            pt.clear(va + i * PAGE, 3);
        }
    }

    private boolean reaches(long va) {
        return port.read(va, new byte[1], 0, 1) == DmaStatus.OK;
    }

    private void touch(long va, int count) {
        for (int i = 0; i < count; i++) {
            assertTrue(reaches(va + i * PAGE), "page " + i + " must translate");
        }
    }

    @Test
    void a_missing_invalidation_lets_the_device_reach_memory_after_unmap() {
        mapPages(VA, 1);
        assertEquals(DmaStatus.OK, port.write(VA, new byte[] {1}, 0, 1));
        unmapPages(VA, 1); // the driver clears the PTE but issues no TLBI
        assertEquals(DmaStatus.OK, port.write(VA, new byte[] {66}, 0, 1));
        assertEquals(66, rig.ram.readByte(SmmuRig.DATA)); // the stale entry reached RAM
        rig.tlbiVa(ASID, VA, true);
        rig.sync();
        assertEquals(DmaStatus.ABORT, port.write(VA, new byte[] {77}, 0, 1));
        assertEquals(66, rig.ram.readByte(SmmuRig.DATA));
    }

    @Test
    void hits_misses_walks_and_pte_reads_are_counted() {
        mapPages(VA, 2);
        SmmuCounters before = rig.smmu.counters();
        touch(VA, 1); // cold: micro miss, main miss, walk of 4 levels
        SmmuCounters d = rig.smmu.counters().minus(before);
        assertEquals(1, d.microTlbMisses());
        assertEquals(1, d.mainTlbMisses());
        assertEquals(1, d.walks());
        assertEquals(4, d.pteReads());
        assertEquals(1, d.walkCacheMisses());
        before = rig.smmu.counters();
        touch(VA, 1); // micro hit
        touch(VA + PAGE, 1); // new page: walk starts from the cached level-2 table descriptor
        d = rig.smmu.counters().minus(before);
        assertEquals(1, d.microTlbHits());
        assertEquals(1, d.walks());
        assertEquals(1, d.walkCacheHits());
        assertEquals(1, d.pteReads());
    }

    @Test
    void the_main_tlb_serves_what_the_micro_tlb_evicted() {
        mapPages(VA, 40);
        touch(VA, 40); // 40 pages > 32 micro-TLB entries
        SmmuCounters before = rig.smmu.counters();
        touch(VA, 8); // the first pages were evicted from the micro-TLB, not from the main TLB
        SmmuCounters d = rig.smmu.counters().minus(before);
        assertEquals(8, d.mainTlbHits());
        assertEquals(0, d.walks());
    }

    @Test
    void no_cache_always_walks() {
        SmmuRig bare = new SmmuRig(SmmuConfig.noCache()).enable();
        PageTables t = bare.tables(12, 48);
        t.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        bare.translate(SID, ASID, t);
        DmaPort p = bare.port(SID);
        for (int i = 0; i < 3; i++) {
            assertEquals(DmaStatus.OK, p.read(VA, new byte[1], 0, 1));
        }
        SmmuCounters c = bare.smmu.counters();
        assertEquals(3, c.walks());
        assertEquals(12, c.pteReads());
        assertEquals(0, c.microTlbMisses() + c.mainTlbMisses() + c.walkCacheMisses());
        t.clear(VA, 3);
        assertEquals(DmaStatus.ABORT, p.read(VA, new byte[1], 0, 1)); // nothing stale
    }

    @Test
    void a_per_address_tlbi_drops_exactly_that_page() {
        mapPages(VA, 3);
        touch(VA, 3);
        unmapPages(VA, 3);
        rig.tlbiVa(ASID, VA + PAGE, true);
        assertTrue(reaches(VA));
        assertTrue(!reaches(VA + PAGE));
        assertTrue(reaches(VA + 2 * PAGE));
    }

    @Test
    void a_range_tlbi_num_24_scale_2_covers_100_pages_and_no_neighbour() {
        long base = VA + PAGE; // neighbours on both sides
        mapPages(VA, 102);
        touch(VA, 102);
        unmapPages(VA, 102);
        // reference 5.2: 100 pages = 0b1100100 -> SCALE 2, NUM field 24: (24 + 1) * 2^2 = 100
        rig.tlbiRange(ASID, base, 24, 2, 1, 3, true);
        rig.sync();
        assertTrue(reaches(VA), "the page before the range survives");
        for (int i = 0; i < 100; i++) {
            assertTrue(!reaches(base + i * PAGE), "page " + i + " of the range is dropped");
        }
        assertTrue(reaches(base + 100 * PAGE), "the page after the range survives");
        assertEquals(1, rig.smmu.counters().tlbiNhVa());
    }

    @Test
    void linux_splits_1000_pages_into_two_range_commands_that_cover_exactly_them() {
        mapPages(VA, 1001);
        touch(VA, 1001);
        unmapPages(VA, 1001);
        // reference 5.2: SCALE 3 / NUM 28 covers 232 pages, then SCALE 8 / NUM 2 covers 768
        rig.tlbiRange(ASID, VA, 28, 3, 1, 3, true);
        rig.tlbiRange(ASID, VA + 232 * PAGE, 2, 8, 1, 3, true);
        rig.sync();
        for (int i = 0; i < 1000; i++) {
            assertTrue(!reaches(VA + i * PAGE), "page " + i);
        }
        assertTrue(reaches(VA + 1000 * PAGE));
    }

    @Test
    void ttl_restricts_a_range_tlbi_to_one_level() {
        long block = 0x8000_0000L;
        pt.map(block, 0, 2, PageTables.RW); // a 2 MiB block
        mapPages(VA, 1);
        touch(VA, 1);
        touch(block, 1);
        pt.clear(block, 2);
        unmapPages(VA, 1);
        // TG 4K, TTL 3 over both: the level-2 block entry survives, the page goes
        rig.tlbiRange(ASID, VA, 0, 20, 1, 3, true); // 2^20 pages from VA: covers the block too
        assertTrue(reaches(block));
        assertTrue(!reaches(VA));
        rig.tlbiRange(ASID, block, 0, 9, 1, 2, true); // TTL 2: 512 pages = the block
        assertTrue(!reaches(block));
    }

    @Test
    void a_range_tlbi_finds_a_block_entry_by_any_address_inside_it() {
        long block = 0x8000_0000L;
        pt.map(block, 0, 2, PageTables.RW);
        touch(block + 0x1f_f000, 1);
        pt.clear(block, 2);
        rig.tlbiVa(ASID, block + 0x10_0000, true); // an address in the middle of the block
        assertTrue(!reaches(block + 0x1f_f000));
    }

    @Test
    void a_leaf_tlbi_keeps_the_walk_cache_and_a_non_leaf_one_drops_it() {
        mapPages(VA, 2);
        touch(VA, 1);
        // move the level-3 table: rewrite the level-2 table descriptor to a new, empty table
        long l2 = pt.slotFor(VA, 2);
        long oldTable = rig.ram.readLong(l2);
        long fresh = rig.alloc(PAGE);
        rig.ram.writeLong(l2, fresh | DescriptorLayout.TYPE_TABLE_OR_PAGE);
        rig.tlbiVa(ASID, VA, true); // leaf only: the cached level-2 descriptor still points at the old table
        assertTrue(reaches(VA), "walk used the stale walk-cache entry");
        rig.tlbiVa(ASID, VA, false); // non-leaf: walk caches for VA dropped
        assertTrue(!reaches(VA), "walk now reads the new empty table");
        rig.ram.writeLong(l2, oldTable);
        rig.tlbiVa(ASID, VA, false);
        assertTrue(reaches(VA + PAGE));
    }

    @Test
    void asid_and_all_invalidations_drop_what_they_should() {
        PageTables other = rig.tables(12, 48);
        other.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        rig.translate(6, 8, other);
        DmaPort port6 = rig.port(6);
        mapPages(VA, 1);
        touch(VA, 1);
        assertEquals(DmaStatus.OK, port6.read(VA, new byte[1], 0, 1));
        unmapPages(VA, 1);
        other.clear(VA, 3);
        rig.tlbiAsid(ASID);
        assertTrue(!reaches(VA));
        assertEquals(DmaStatus.OK, port6.read(VA, new byte[1], 0, 1), "ASID 8 untouched");
        rig.command(CommandLayout.OP_TLBI_NH_ALL, 0);
        assertEquals(DmaStatus.ABORT, port6.read(VA, new byte[1], 0, 1));
        SmmuCounters c = rig.smmu.counters();
        assertEquals(1, c.tlbiNhAsid());
        assertEquals(1, c.tlbiNhAll());
    }

    @Test
    void without_ril_the_range_fields_are_ignored() {
        SmmuRig old = new SmmuRig(SmmuConfig.gem5().withRangeInvalidation(false)).enable();
        assertEquals(0, old.regs.readRegister(SmmuRegisters.IDR3) & SmmuRegisters.IDR3_RIL);
        DmaPort p = old.cachedThenCleared(old.tables(12, 48), SID, ASID, VA, PAGE, 4);
        old.tlbiRange(ASID, VA, 3, 0, 1, 3, true); // would be 4 pages with RIL
        assertEquals(DmaStatus.ABORT, p.read(VA, new byte[1], 0, 1));
        assertEquals(DmaStatus.OK, p.read(VA + PAGE, new byte[1], 0, 1));
    }

    @Test
    void vaa_drops_the_address_in_every_asid() {
        mapPages(VA, 1);
        touch(VA, 1);
        unmapPages(VA, 1);
        rig.command(CommandLayout.OP_TLBI_NH_VAA, VA | CommandLayout.TLBI_1_LEAF);
        assertTrue(!reaches(VA));
    }

    @Test
    void a_small_main_tlb_evicts_by_set() {
        IotlbGeometry tiny = new IotlbGeometry(0, 8, 2, 0, 0, 0, 1); // 4 sets of 2 ways
        SmmuRig r = new SmmuRig(SmmuConfig.gem5().withIotlb(tiny)).enable();
        PageTables t = r.tables(12, 48);
        for (int i = 0; i < 3; i++) {
            t.mapPage(VA + 4L * i * PAGE, SmmuRig.DATA, PageTables.RW); // same set: stride 4 pages
        }
        r.translate(SID, ASID, t);
        DmaPort p = r.port(SID);
        for (int i = 0; i < 3; i++) {
            assertEquals(DmaStatus.OK, p.read(VA + 4L * i * PAGE, new byte[1], 0, 1));
        }
        t.clear(VA, 3); // the first page was evicted by the third: its unmap is seen at once
        assertEquals(DmaStatus.ABORT, p.read(VA, new byte[1], 0, 1));
    }
}
