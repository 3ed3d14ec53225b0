package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Stage-1 translation through the stream table, CDs and LPAE tables in RAM; faults. */
class SmmuTranslationTest {
    private static final int SID = 5;
    private static final int ASID = 7;

    private final SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed + 3 * i);
        }
        return b;
    }

    private static void ok(DmaStatus s) {
        assertEquals(DmaStatus.OK, s);
    }

    private static void aborted(DmaStatus s) {
        assertEquals(DmaStatus.ABORT, s);
    }

    @ParameterizedTest(name = "granule 2^{0}, level {1}, ias {2}")
    @CsvSource({
        "12, 3, 48", "12, 2, 48", "12, 1, 48", "12, 3, 39", "12, 2, 32",
        "14, 3, 47", "14, 2, 47", "14, 3, 36",
        "16, 3, 48", "16, 2, 48", "16, 3, 42",
    })
    void translates_pages_and_blocks_of_every_granule(int granule, int level, int ias) {
        PageTables pt = rig.tables(granule, ias);
        long size = 1L << pt.levelShift(level);
        long va = 3 * size; // an aligned block or page well inside the input range
        long pa = level == 3 ? SmmuRig.DATA : 0; // blocks: aligned, the low 64 KiB are unused
        pt.map(va, pa, level, PageTables.RW);
        pt.map(va + size, pa + size, level, PageTables.RW);
        rig.translate(SID, ASID, pt);
        DmaPort port = rig.port(SID);
        long offset = Math.min(size, 0x1_0000) - 100; // crosses into the next 4 KiB piece
        byte[] data = pattern(200, granule + level);
        ok(port.write(va + offset, data, 0, data.length));
        byte[] ram = new byte[200];
        rig.ram.read(pa + offset, ram, 0, ram.length);
        assertArrayEquals(data, ram);
        byte[] back = new byte[200];
        ok(port.read(va + offset, back, 0, back.length));
        assertArrayEquals(data, back);
        assertEquals(List.of(), rig.smmu.events());
    }

    @Test
    void a_block_maps_every_page_inside_it() {
        PageTables pt = rig.tables(12, 48);
        pt.map(0x4000_0000L, 0x20_0000L * 4, 2, PageTables.RW); // 2 MiB block
        rig.translate(SID, ASID, pt);
        DmaPort port = rig.port(SID);
        ok(port.write(0x4000_0000L + 0x1f_f000, new byte[] {42}, 0, 1));
        assertEquals(42, rig.ram.readByte(0x80_0000L + 0x1f_f000));
    }

    @Test
    void an_unmapped_address_faults_records_an_event_and_writes_nothing() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(0x1000, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        DmaPort port = rig.port(SID);
        byte[] data = pattern(0x1800, 1);
        // the first page is mapped, the second is not: the whole burst aborts
        aborted(port.write(0x1800, data, 0, data.length));
        assertEquals(0, rig.ram.readLong(SmmuRig.DATA + 0x800));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, 0x2000, true)),
                rig.smmu.events());
        long[] rec = rig.nextEventRecord();
        assertNotNull(rec);
        assertEquals(0x10, Fields.get(EventLayout.ID, rec[0]));
        assertEquals(SID, Fields.get(EventLayout.SID, rec[0]));
        assertFalse(Fields.test(EventLayout.RNW, rec[1])); // a write
        assertEquals(EventLayout.CLASS_IN, Fields.get(EventLayout.CLASS, rec[1]));
        assertEquals(0x2000, rec[2]);
        assertNull(rig.nextEventRecord());
        assertEquals(1, rig.smmu.counters().faults());
        assertEquals(1, rig.machine.counters().dmaAborts());
    }

    @Test
    void a_write_to_a_read_only_page_is_a_permission_fault_and_a_read_works() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(0x5000, SmmuRig.DATA, PageTables.RO);
        rig.translate(SID, ASID, pt);
        rig.ram.writeLong(SmmuRig.DATA, 0x1122);
        DmaPort port = rig.port(SID);
        aborted(port.write(0x5000, new byte[8], 0, 8));
        assertEquals(0x1122, rig.ram.readLong(SmmuRig.DATA));
        byte[] b = new byte[8];
        ok(port.read(0x5000, b, 0, 8));
        assertEquals(0x22, b[0]);
        long[] rec = rig.nextEventRecord();
        assertEquals(0x13, Fields.get(EventLayout.ID, rec[0]));
        assertEquals(0x5000, rec[2]);
    }

    @Test
    void a_read_only_table_descriptor_makes_everything_below_read_only() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(0x5000, SmmuRig.DATA, PageTables.RW);
        long l2 = pt.slotFor(0x5000, 2); // the table descriptor pointing at the level-3 table
        rig.ram.writeLong(l2, rig.ram.readLong(l2) | DescriptorLayout.APTABLE_RDONLY);
        rig.translate(SID, ASID, pt);
        aborted(rig.port(SID).write(0x5000, new byte[1], 0, 1));
        assertEquals(SmmuEvent.Kind.PERMISSION_FAULT, rig.smmu.events().get(0).kind());
    }

    @Test
    void an_unprivileged_stream_needs_ap1_and_privcfg_can_make_it_privileged() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(0x5000, SmmuRig.DATA, DescriptorLayout.AF); // AP[1] clear: EL1 only
        rig.translate(SID, ASID, pt);
        DmaPort port = rig.port(SID);
        aborted(port.read(0x5000, new byte[1], 0, 1));
        long ste = SmmuRig.STRTAB + SID * 64L + 8;
        rig.ram.writeLong(ste, rig.ram.readLong(ste)
                | Fields.prep(SteLayout.PRIVCFG, SteLayout.PRIVCFG_PRIVILEGED));
        rig.cfgiSte(SID, true);
        ok(port.read(0x5000, new byte[1], 0, 1));
        long[] rec = rig.nextEventRecord();
        assertFalse(Fields.test(EventLayout.PNU, rec[1]));
        assertTrue(Fields.test(EventLayout.RNW, rec[1]));
    }

    @Test
    void aptable_0_forbids_unprivileged_access_below_through_the_walk_cache_unless_had0() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(0x5000, SmmuRig.DATA, PageTables.RW);
        pt.mapPage(0x6000, SmmuRig.DATA, PageTables.RW);
        long l1 = pt.slotFor(0x5000, 1); // the level-1 table descriptor above both pages
        rig.ram.writeLong(l1, rig.ram.readLong(l1) | DescriptorLayout.APTABLE_NO_UNPRIV);
        rig.translate(SID, ASID, pt);
        DmaPort port = rig.port(SID); // PRIVCFG 0: unprivileged
        aborted(port.read(0x5000, new byte[1], 0, 1));
        long walkCacheHits = rig.smmu.counters().walkCacheHits();
        // the next page's walk starts from the cached level-2 table, which keeps APTable[0]
        aborted(port.read(0x6000, new byte[1], 0, 1));
        assertEquals(walkCacheHits + 1, rig.smmu.counters().walkCacheHits());
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.PERMISSION_FAULT, SID, 0x5000, false),
                new SmmuEvent(SmmuEvent.Kind.PERMISSION_FAULT, SID, 0x6000, false)),
                rig.smmu.events());
        // CD.HAD0: hierarchical permissions disabled, APTable is ignored
        rig.ram.writeLong(SmmuRig.cdAddress(SID) + 8, (pt.root & CdLayout.TTB0) | CdLayout.HAD0);
        rig.cfgiCd(SID);
        rig.tlbiAsid(ASID); // the TLBs and the walk cache hold the restricted translations
        ok(port.read(0x6000, new byte[1], 0, 1));
        assertEquals(2, rig.smmu.events().size());
    }

    @Test
    void a_clear_access_flag_is_an_access_fault_unless_affd() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(0x5000, SmmuRig.DATA, DescriptorLayout.AP_UNPRIV); // AF clear
        rig.translate(SID, ASID, pt);
        DmaPort port = rig.port(SID);
        aborted(port.read(0x5000, new byte[1], 0, 1));
        assertEquals(SmmuEvent.Kind.ACCESS_FAULT, rig.smmu.events().get(0).kind());
        rig.writeCd(SID, SmmuRig.cd0(ASID, 12, 48, true) | CdLayout.AFFD, pt.root);
        rig.cfgiCd(SID);
        ok(port.read(0x5000, new byte[1], 0, 1));
    }

    @ParameterizedTest(name = "granule 2^{0}, ias {1}: TTB0 + 0x{2}")
    @CsvSource({
        "12, 48, 800",  // level 0, 512 entries: a 4 KiB table, TTB0[11:4] are treated as 0
        "12, 32, 10",   // level 1, 4 entries: a 32-byte table, TTB0[4] is treated as 0
        "14, 36, 2000", // level 2, 2048 entries: a 16 KiB table
        "16, 42, 8000", // level 2, 8192 entries: a 64 KiB table
    })
    void ttb0_bits_below_the_start_level_tables_size_are_treated_as_zero(int granule, int ias,
            String offsetHex) {
        // IHI 0070 CD.TTB0: the SMMU aligns the base to the start-level table, as the
        // architecture requires it to be; QEMU smmu_ptw_64_s1 masks it with its index mask
        PageTables pt = rig.tables(granule, ias);
        long va = 5L << granule;
        pt.mapPage(va, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        rig.writeCd(SID, SmmuRig.cd0(ASID, granule, ias, true),
                pt.root + Long.parseLong(offsetHex, 16));
        rig.ram.writeByte(SmmuRig.DATA + 3, (byte) 42);
        byte[] b = new byte[1];
        ok(rig.port(SID).read(va + 3, b, 0, 1));
        assertEquals(42, b[0]);
        assertEquals(List.of(), rig.smmu.events());
    }

    @Test
    void an_address_above_the_input_size_is_a_translation_fault() {
        PageTables pt = rig.tables(12, 39);
        rig.translate(SID, ASID, pt);
        aborted(rig.port(SID).read(1L << 39, new byte[1], 0, 1));
        assertEquals(SmmuEvent.Kind.TRANSLATION_FAULT, rig.smmu.events().get(0).kind());
        assertEquals(0, rig.smmu.counters().walks());
    }

    @Test
    void an_output_address_above_ips_is_an_address_size_fault() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(0x5000, 1L << 45, PageTables.RW);
        rig.writeCd(SID, (SmmuRig.cd0(ASID, 12, 48, true) & ~CdLayout.IPS)
                | Fields.prep(CdLayout.IPS, SmmuRegisters.addressBitsField(44)), pt.root);
        rig.writeSte(SID, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_S1_TRANS)
                | SmmuRig.cdAddress(SID), 0);
        aborted(rig.port(SID).read(0x5000, new byte[1], 0, 1));
        assertEquals(SmmuEvent.Kind.ADDRESS_SIZE_FAULT, rig.smmu.events().get(0).kind());
    }

    @Test
    void without_cd_r_a_fault_is_logged_but_not_written_to_the_queue() {
        PageTables pt = rig.tables(12, 48);
        rig.translate(SID, ASID, pt);
        rig.writeCd(SID, SmmuRig.cd0(ASID, 12, 48, true) & ~CdLayout.R, pt.root);
        aborted(rig.port(SID).read(0x5000, new byte[1], 0, 1));
        assertNull(rig.nextEventRecord());
        assertEquals(1, rig.smmu.events().size());
        assertEquals(1, rig.smmu.counters().eventsLost());
    }

    @Test
    void bypass_and_abort_streams() {
        rig.bypass(1);
        rig.abort(2);
        ok(rig.port(1).write(SmmuRig.DATA, new byte[] {9}, 0, 1));
        assertEquals(9, rig.ram.readByte(SmmuRig.DATA));
        aborted(rig.port(2).write(SmmuRig.DATA, new byte[] {8}, 0, 1));
        assertEquals(9, rig.ram.readByte(SmmuRig.DATA));
        assertEquals(List.of(), rig.smmu.events()); // an abort STE records nothing
    }

    @Test
    void bad_stream_configuration_is_reported() {
        rig.writeSte(3, 0, 0); // V clear
        rig.writeSte(4, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_S2_TRANS), 0);
        rig.writeCd(6, 0, 0); // CD with V clear
        rig.writeSte(6, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_S1_TRANS)
                | SmmuRig.cdAddress(6), 0);
        aborted(rig.port(3).read(0, new byte[1], 0, 1));
        aborted(rig.port(4).read(0, new byte[1], 0, 1));
        aborted(rig.port(6).read(0, new byte[1], 0, 1));
        aborted(rig.port(300).read(0, new byte[1], 0, 1)); // beyond the 256-entry table
        assertEquals(List.of(
                new SmmuEvent(SmmuEvent.Kind.BAD_STE, 3, 0, false),
                new SmmuEvent(SmmuEvent.Kind.BAD_STE, 4, 0, false),
                new SmmuEvent(SmmuEvent.Kind.BAD_CD, 6, 0, false),
                new SmmuEvent(SmmuEvent.Kind.BAD_STREAM_ID, 300, 0, false)), rig.smmu.events());
        assertEquals(0x04, Fields.get(EventLayout.ID, rig.nextEventRecord()[0]));
    }

    @Test
    void an_unsupported_granule_is_a_bad_cd() {
        SmmuRig small = new SmmuRig(new SmmuConfig(true, true, true, false, false, 48, 16, 8, 19,
                19, SmmuConfig.gem5().iotlb())).enable();
        PageTables pt = small.tables(16, 48);
        small.translate(SID, ASID, pt);
        aborted(small.port(SID).read(0, new byte[1], 0, 1));
        assertEquals(SmmuEvent.Kind.BAD_CD, small.smmu.events().get(0).kind());
    }

    @Test
    void a_disabled_smmu_bypasses_or_aborts_by_gbpa() {
        SmmuRig off = new SmmuRig(SmmuConfig.gem5());
        DmaPort port = off.port(SID);
        ok(port.write(SmmuRig.DATA, new byte[] {1}, 0, 1));
        assertEquals(1, off.ram.readByte(SmmuRig.DATA));
        off.regs.writeRegister(SmmuRegisters.GBPA,
                (int) (SmmuRegisters.GBPA_UPDATE | SmmuRegisters.GBPA_ABORT));
        assertEquals(SmmuRegisters.GBPA_ABORT, off.regs.readRegister(SmmuRegisters.GBPA));
        aborted(port.write(SmmuRig.DATA, new byte[] {2}, 0, 1));
        assertEquals(1, off.ram.readByte(SmmuRig.DATA));
    }
}
