package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.hw.SmmuEvent;
import org.junit.jupiter.api.Test;

/**
 * The walker and the translation caches around it: which levels may hold blocks (VMSAv8-64,
 * reference linux-dma-iommu.md section 4.3), which cache answers a translation under geometries
 * where some structures are absent, and range invalidations of the 16 KiB and 64 KiB granules.
 */
class SmmuWalkCacheTest {
    private static final int SID = 5;
    private static final int ASID = 7;
    private static final long VA = 0x4000_0000L;
    private static final long PAGE = 0x1000;
    private static final long GIB = 1L << 30;

    private static SmmuRig rig(IotlbGeometry g) {
        return new SmmuRig(SmmuConfig.gem5().withIotlb(g)).enable();
    }

    private static boolean reaches(DmaPort port, long va) {
        return port.read(va, new byte[1], 0, 1) == DmaStatus.OK;
    }

    @Test
    void a_block_above_the_first_block_level_is_a_translation_fault() {
        // 4 KiB: level 0 holds no blocks; 16 and 64 KiB: level 1 holds none (52-bit only)
        int[][] cases = {{12, 48, 0}, {14, 47, 1}, {16, 48, 1}};
        for (int[] c : cases) {
            SmmuRig r = rig(IotlbGeometry.GEM5);
            PageTables pt = r.tables(c[0], c[1]);
            pt.map(0, 0, c[2], PageTables.RW); // a block descriptor covering VA 0
            r.translate(SID, ASID, pt);
            String what = "granule 2^" + c[0] + " level " + c[2];
            assertEquals(DmaStatus.ABORT, r.port(SID).read(0x3000, new byte[1], 0, 1), what);
            assertEquals(SmmuEvent.Kind.TRANSLATION_FAULT, r.smmu.events().get(0).kind(), what);
        }
    }

    @Test
    void without_a_micro_tlb_a_1_gib_block_and_repeated_hits_come_from_the_main_tlb() {
        SmmuRig r = rig(new IotlbGeometry(0, 2048, 4, 4, 28, 348, 4));
        PageTables pt = r.tables(12, 48);
        pt.map(GIB, 0, 1, PageTables.RW); // a level-1 block
        r.translate(SID, ASID, pt);
        DmaPort port = r.port(SID);
        for (int i = 0; i < 3; i++) {
            assertEquals(DmaStatus.OK, port.read(GIB + 0x12_3000L, new byte[1], 0, 1));
        }
        SmmuCounters c = r.smmu.counters();
        assertEquals(3, c.translations());
        assertEquals(1, c.walks());
        assertEquals(2, c.mainTlbHits());
        assertEquals(0, c.microTlbHits() + c.microTlbMisses(), "an absent micro-TLB counts nothing");
    }

    @Test
    void a_main_tlb_hit_refills_the_micro_tlb() {
        SmmuRig r = rig(IotlbGeometry.GEM5);
        PageTables pt = r.tables(12, 48);
        for (int i = 0; i < 40; i++) {
            pt.mapPage(VA + i * PAGE, SmmuRig.DATA, PageTables.RW);
        }
        r.translate(SID, ASID, pt);
        DmaPort port = r.port(SID);
        for (int i = 0; i < 40; i++) { // 40 pages through a 32-entry micro-TLB
            assertEquals(DmaStatus.OK, port.read(VA + i * PAGE, new byte[1], 0, 1));
        }
        SmmuCounters before = r.smmu.counters();
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1)); // evicted: a main-TLB hit
        assertEquals(DmaStatus.OK, port.read(VA + 8, new byte[1], 0, 1));
        SmmuCounters d = r.smmu.counters().minus(before);
        assertEquals(1, d.mainTlbHits());
        assertEquals(1, d.microTlbMisses());
        assertEquals(1, d.microTlbHits(), "the second access hits the refilled micro-TLB");
    }

    /**
     * Maps pages at {@code VA} and {@code second}, reads the first, and returns what reading the
     * second cost the SMMU of {@code geometry}: the first read's walk left its tables cached.
     */
    private SmmuCounters secondWalk(IotlbGeometry geometry, long second) {
        SmmuRig r = rig(geometry);
        PageTables pt = r.tables(12, 48);
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        pt.mapPage(second, SmmuRig.DATA, PageTables.RW);
        r.translate(SID, ASID, pt);
        DmaPort port = r.port(SID);
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1));
        SmmuCounters before = r.smmu.counters();
        assertEquals(DmaStatus.OK, port.read(second, new byte[1], 0, 1));
        return r.smmu.counters().minus(before);
    }

    @Test
    void a_walk_cache_of_level_0_tables_only_saves_the_first_read() {
        // another level-1 entry under the same level-0 entry
        SmmuCounters d = secondWalk(new IotlbGeometry(32, 2048, 4, 4, 0, 0, 4), VA + GIB);
        assertEquals(1, d.walkCacheHits());
        assertEquals(3, d.pteReads(), "levels 1 to 3");
    }

    @Test
    void a_walk_cache_of_level_2_tables_only_is_used() {
        SmmuCounters d = secondWalk(new IotlbGeometry(32, 2048, 4, 0, 0, 348, 4), VA + PAGE);
        assertEquals(1, d.walkCacheHits());
        assertEquals(1, d.pteReads(), "the leaf only");
    }

    @Test
    void range_tlbis_of_the_16k_and_64k_granules_cover_their_pages() {
        int[][] cases = {{14, 47, 2}, {16, 48, 3}}; // granule shift, ias, TG
        for (int[] c : cases) {
            SmmuRig r = rig(IotlbGeometry.GEM5);
            long page = 1L << c[0];
            DmaPort port = r.cachedThenCleared(r.tables(c[0], c[1]), SID, ASID, VA, page, 4);
            // NUM 1, SCALE 0: 2 pages of the TG granule from page 1
            r.tlbiRange(ASID, VA + page, 1, 0, c[2], 3, true);
            String what = "granule 2^" + c[0];
            assertTrue(reaches(port, VA), what + ": the page before stays");
            assertFalse(reaches(port, VA + page), what);
            assertFalse(reaches(port, VA + 2 * page + page - PAGE), what + ": its last 4K");
            assertTrue(reaches(port, VA + 3 * page), what + ": the page after stays");
        }
    }

    @Test
    void a_range_tlbi_at_the_top_of_the_address_space_does_not_wrap_to_address_0() {
        SmmuRig r = rig(IotlbGeometry.GEM5);
        PageTables pt = r.tables(12, 48);
        pt.mapPage(0, SmmuRig.DATA, PageTables.RW);
        r.translate(SID, ASID, pt);
        DmaPort port = r.port(SID);
        assertEquals(DmaStatus.OK, port.read(0, new byte[1], 0, 1));
        pt.clear(0, 3);
        // 2 pages from 2^64 - 4 KiB: the last page of the TTB1 half and beyond, not page 0
        r.tlbiRange(ASID, -PAGE, 1, 0, 1, 3, true);
        assertEquals(DmaStatus.OK, port.read(0, new byte[1], 0, 1), "page 0 is still cached");
        assertEquals(0, r.smmu.counters().tlbEntriesInvalidated());
    }

    @Test
    void tlbi_nh_vaa_is_counted_and_a_tlbi_read_from_a_non_cacheable_queue_names_its_page() {
        SmmuRig r = rig(IotlbGeometry.GEM5);
        r.regs.writeRegister(SmmuRegisters.CR1, 0xd74); // QUEUE_IC non-cacheable: RAM reads
        DmaPort port = r.cachedThenCleared(r.tables(12, 48), SID, ASID, VA, PAGE, 3);
        r.sync(); // the slot before the TLBI holds a CMD_SYNC
        r.command(CommandLayout.OP_TLBI_NH_VAA, (VA + PAGE) | CommandLayout.TLBI_1_LEAF);
        assertTrue(reaches(port, VA));
        assertFalse(reaches(port, VA + PAGE));
        assertTrue(reaches(port, VA + 2 * PAGE));
        assertEquals(1, r.smmu.counters().tlbiNhVaa());
    }

    @Test
    void invalidations_count_every_tlb_and_walk_cache_entry_they_drop() {
        SmmuRig r = rig(IotlbGeometry.GEM5);
        PageTables pt = r.tables(12, 48);
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        pt.mapPage(VA + PAGE, SmmuRig.DATA, PageTables.RW);
        r.translate(SID, ASID, pt);
        DmaPort port = r.port(SID);
        assertTrue(reaches(port, VA));
        assertTrue(reaches(port, VA + PAGE));
        // non-leaf by address: the page in the micro and main TLBs, its level 0-2 tables
        r.tlbiVa(ASID, VA, false);
        assertEquals(5, r.smmu.counters().tlbEntriesInvalidated());
        assertTrue(reaches(port, VA));
        // by ASID: both pages in both TLBs and the three tables
        r.tlbiAsid(ASID);
        assertEquals(5 + 7, r.smmu.counters().tlbEntriesInvalidated());
    }

    private static SmmuEvent.Kind walkFault(int level, long desc, int ipsBits) {
        SmmuRig r = rig(IotlbGeometry.GEM5);
        PageTables pt = r.tables(12, 48);
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        r.translate(SID, ASID, pt);
        r.writeCd(SID, (SmmuRig.cd0(ASID, 12, 48, true) & ~CdLayout.IPS)
                | Fields.prep(CdLayout.IPS, SmmuRegisters.addressBitsField(ipsBits)), pt.root);
        r.ram.writeLong(pt.slotFor(VA, level), desc);
        assertEquals(DmaStatus.ABORT, r.port(SID).read(VA, new byte[1], 0, 1));
        return r.smmu.events().get(0).kind();
    }

    @Test
    void descriptor_types_and_table_addresses_are_checked_at_every_level() {
        long attrs = DescriptorLayout.AF | DescriptorLayout.AP_UNPRIV;
        // bit 0 clear is invalid whatever else is set, even at a block level
        assertEquals(SmmuEvent.Kind.TRANSLATION_FAULT, walkFault(2, attrs | 0b10, 48));
        // at level 3 a 0b01 descriptor is reserved, not a page
        assertEquals(SmmuEvent.Kind.TRANSLATION_FAULT,
                walkFault(3, SmmuRig.DATA | attrs | DescriptorLayout.TYPE_BLOCK, 48));
        // a next-level table above the 32-bit output range (CD.IPS) is an address size fault
        assertEquals(SmmuEvent.Kind.ADDRESS_SIZE_FAULT,
                walkFault(0, (1L << 40) | DescriptorLayout.TYPE_TABLE_OR_PAGE, 32));
    }
}
