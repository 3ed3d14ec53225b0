package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.junit.jupiter.api.Test;

/**
 * The TTB1 half of a CD with EPD1 clear: an address whose bits above the TTB1 region are all 1
 * walks TTB1's tables with TG1's granule, one between the two regions faults F_TRANSLATION
 * (VMSAv8-64 with TBI clear; QEMU select_tt), and TLBI_NH_VA reaches TTB1 translations.
 */
class SmmuTtb1Test {
    private static final int SID = 4;
    private static final int ASID = 6;
    private static final long LOW = 0x3000;
    // in the 48-bit TTB1 region (T1SZ 16): bits 63:48 all 1
    private static final long HIGH = 0xffff_ffff_fff0_3000L;
    private static final long TOP = 0xffff_ffff_ffff_f000L; // the last 4 KiB page

    private final SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
    private final PageTables low = rig.tables(12, 48);

    /** Points {@link #SID} at a Linux CD for {@link #low} with EPD1 as given and TTB1 {@code high}. */
    private DmaPort translate(PageTables high, int tg1, boolean epd1) {
        rig.translate(SID, ASID, low);
        long d0 = (SmmuRig.cd0(ASID, 12, 48, true) & ~CdLayout.EPD1)
                | Fields.prep(CdLayout.T1SZ, 64 - high.ias)
                | Fields.prep(CdLayout.TG1, tg1)
                | Fields.prep(CdLayout.IRGN1, CdLayout.CACHE_WBWA)
                | (epd1 ? CdLayout.EPD1 : 0);
        rig.writeCd(SID, d0, low.root);
        rig.ram.writeLong(SmmuRig.cdAddress(SID) + 16, high.root & CdLayout.TTB1);
        return rig.port(SID);
    }

    private static byte readByte(DmaPort port, long va) {
        byte[] b = new byte[1];
        assertEquals(DmaStatus.OK, port.read(va, b, 0, 1), "0x" + Long.toHexString(va));
        return b[0];
    }

    @Test
    void an_address_in_the_ttb1_region_walks_the_ttb1_tables() {
        PageTables high = rig.tables(12, 48);
        low.mapPage(LOW, SmmuRig.DATA, PageTables.RW);
        high.mapPage(HIGH, SmmuRig.DATA + 0x1000, PageTables.RW);
        rig.ram.writeByte(SmmuRig.DATA, (byte) 1);
        rig.ram.writeByte(SmmuRig.DATA + 0x1000 + 0x21, (byte) 2);
        DmaPort port = translate(high, CdLayout.TG1_4K, false);
        assertEquals(1, readByte(port, LOW));
        assertEquals(2, readByte(port, HIGH + 0x21));
        assertEquals(List.of(), rig.smmu.events());
        assertEquals(2, rig.smmu.counters().walks());
    }

    @Test
    void with_epd1_set_a_ttb1_address_faults_f_translation_without_a_walk() {
        PageTables high = rig.tables(12, 48);
        high.mapPage(HIGH, SmmuRig.DATA, PageTables.RW);
        DmaPort port = translate(high, CdLayout.TG1_4K, true);
        assertEquals(DmaStatus.ABORT, port.read(HIGH, new byte[1], 0, 1));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, HIGH, false)),
                rig.smmu.events());
        assertEquals(0, rig.smmu.counters().walks());
    }

    @Test
    void an_address_between_the_two_regions_faults_f_translation_without_a_walk() {
        PageTables high = rig.tables(12, 48);
        DmaPort port = translate(high, CdLayout.TG1_4K, false);
        long[] gap = {1L << 48, 1L << 55, 0xfffe_ffff_ffff_f000L, 0x8000_0000_0000_0000L};
        for (long va : gap) {
            assertEquals(DmaStatus.ABORT, port.read(va, new byte[1], 0, 1),
                    "0x" + Long.toHexString(va));
        }
        assertEquals(gap.length, rig.smmu.events().size());
        for (SmmuEvent e : rig.smmu.events()) {
            assertEquals(SmmuEvent.Kind.TRANSLATION_FAULT, e.kind());
        }
        assertEquals(0, rig.smmu.counters().walks());
    }

    @Test
    void ttb1_walks_take_tg1s_granule_and_t1szs_region() {
        PageTables high = rig.tables(14, 36); // 16 KiB granule, T1SZ 28: the top 64 GiB
        long va = -(1L << 36) + 0x8000; // the lowest 16 KiB page but one of the region
        high.mapPage(va, SmmuRig.DATA, PageTables.RW);
        rig.ram.writeByte(SmmuRig.DATA + 0x3fff, (byte) 3);
        DmaPort port = translate(high, CdLayout.TG1_16K, false);
        assertEquals(3, readByte(port, va + 0x3fff)); // a 16 KiB page
        assertEquals(3, readByte(port, va + 0x3fff));
        assertEquals(1, rig.smmu.counters().walks(), "the second read hit the TLB");
        long below = -(1L << 36) - 0x1000; // bits 63:36 not all 1: outside the region
        assertEquals(DmaStatus.ABORT, port.read(below, new byte[1], 0, 1));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, below, false)),
                rig.smmu.events());
    }

    @Test
    void tlbi_nh_va_invalidates_ttb1_translations_up_to_the_last_page() {
        PageTables high = rig.tables(12, 48);
        high.mapPage(HIGH, SmmuRig.DATA, PageTables.RW);
        high.mapPage(TOP, SmmuRig.DATA, PageTables.RW);
        DmaPort port = translate(high, CdLayout.TG1_4K, false);
        readByte(port, HIGH);
        readByte(port, TOP);
        high.clear(HIGH, 3);
        high.clear(TOP, 3);
        readByte(port, HIGH); // stale until invalidated
        readByte(port, TOP);
        rig.tlbiVa(ASID, HIGH, true);
        // range form: one 4 KiB page from the last one, a range that ends at 2^64
        rig.tlbiRange(ASID, TOP, 0, 0, 1, 0, true);
        rig.sync();
        assertEquals(DmaStatus.ABORT, port.read(HIGH, new byte[1], 0, 1));
        assertEquals(DmaStatus.ABORT, port.read(TOP, new byte[1], 0, 1));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, HIGH, false),
                new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, TOP, false)),
                rig.smmu.events());
    }
}
