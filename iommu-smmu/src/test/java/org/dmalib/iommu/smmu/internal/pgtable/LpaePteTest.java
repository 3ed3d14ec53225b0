package org.dmalib.iommu.smmu.internal.pgtable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.smmu.DescriptorLayout;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.api.Test;

/** The stage-1 descriptor bits of reference §4.3, per protection, against the walker's layout. */
class LpaePteTest {
    private static final long RW = 1 << 0 | 1 << 1; // IOMMU_READ | IOMMU_WRITE

    private static long pte(long bits) {
        return LpaePte.protToPte(IommuProt.ofBits((int) bits));
    }

    @Test
    void encoding_matches_the_walkers_descriptor_layout() {
        assertEquals(DescriptorLayout.AF, LpaePte.AF);
        assertEquals(DescriptorLayout.AP_UNPRIV, LpaePte.AP_UNPRIV);
        assertEquals(DescriptorLayout.AP_RDONLY, LpaePte.AP_RDONLY);
        assertEquals(DescriptorLayout.ADDR, LpaePte.ADDR_MASK);
        assertEquals(DescriptorLayout.TYPE, LpaePte.TYPE_MASK);
        assertEquals(DescriptorLayout.TYPE_BLOCK, LpaePte.TYPE_BLOCK);
        assertEquals(DescriptorLayout.TYPE_TABLE_OR_PAGE, LpaePte.TYPE_TABLE);
        assertEquals(DescriptorLayout.TYPE_TABLE_OR_PAGE, LpaePte.TYPE_PAGE);
    }

    @Test
    void read_write_is_ng_af_unprivileged_outer_shareable_non_cacheable() {
        assertEquals(LpaePte.NG | LpaePte.AF | LpaePte.AP_UNPRIV | LpaePte.SH_OS, pte(RW));
        assertEquals(0xe40L, pte(RW), "bits 11, 10, 9:8 = 0b10, 6");
    }

    @Test
    void read_only_sets_ap2_write_only_does_not() {
        assertTrue((pte(1) & LpaePte.AP_RDONLY) != 0);
        assertFalse((pte(2) & LpaePte.AP_RDONLY) != 0, "write without read is not read-only");
        assertFalse((pte(RW) & LpaePte.AP_RDONLY) != 0);
    }

    @Test
    void priv_clears_ap1() {
        assertEquals(0, pte(RW | 0x20) & LpaePte.AP_UNPRIV);
    }

    @Test
    void cache_is_wbrwa_inner_shareable() {
        long p = pte(RW | 0x4);
        assertEquals(1L << 2, p & LpaePte.ATTRINDX_MASK);
        assertEquals(LpaePte.SH_IS, p & LpaePte.SH_MASK);
    }

    @Test
    void mmio_is_device_and_wins_over_cache_for_the_attribute_only() {
        assertEquals(2L << 2, pte(RW | 0x10) & LpaePte.ATTRINDX_MASK);
        assertEquals(LpaePte.SH_OS, pte(RW | 0x10) & LpaePte.SH_MASK);
        long both = pte(RW | 0x10 | 0x4);
        assertEquals(2L << 2, both & LpaePte.ATTRINDX_MASK);
        assertEquals(LpaePte.SH_IS, both & LpaePte.SH_MASK, "Linux: shareability from CACHE");
    }

    @Test
    void noexec_sets_uxn_and_pxn() {
        assertEquals(3L << 53, pte(RW | 0x8) & (3L << 53));
        assertEquals(0, pte(RW) & (3L << 53));
    }

    @Test
    void leaves_are_pages_at_level_3_and_blocks_above_tables_are_pointer_or_3() {
        long attrs = pte(RW);
        assertEquals(0x1234_5000L | attrs | 3, LpaePte.leaf(0x1234_5000L, attrs, 3));
        assertEquals(0x4000_0000L | attrs | 1, LpaePte.leaf(0x4000_0000L, attrs, 1));
        assertEquals(0x10_2000L | 3, LpaePte.table(0x10_2000L));
        assertTrue(LpaePte.isLeaf(LpaePte.leaf(0, attrs, 3), 3));
        assertTrue(LpaePte.isLeaf(LpaePte.leaf(0, attrs, 2), 2));
        assertFalse(LpaePte.isLeaf(LpaePte.table(0x1000), 2));
        assertTrue(LpaePte.isTable(LpaePte.table(0x1000) | LpaePte.SW_SYNC, 2));
        assertFalse(LpaePte.isTable(LpaePte.leaf(0x1000, attrs, 3), 3), "a page is no table");
        assertEquals(0x1000, LpaePte.toPaddr(LpaePte.table(0x1000) | LpaePte.SW_SYNC));
        assertEquals(1L << 55, LpaePte.SW_SYNC);
    }
}
