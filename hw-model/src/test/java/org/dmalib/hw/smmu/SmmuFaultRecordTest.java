package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.junit.jupiter.api.Test;

/**
 * Faults of the configuration fetches and the walk that reach outside memory, and what the
 * event records and the event queue registers hold.
 */
class SmmuFaultRecordTest {
    private static final int SID = 5;
    private static final int ASID = 7;
    private static final long END = 64L << 20; // SmmuRig's memory

    private final SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();

    private void assertOneRecord(SmmuEvent.Kind kind, int sid, long fetchAddress) {
        long[] rec = rig.nextEventRecord();
        assertNotNull(rec);
        assertEquals(kind.id(), Fields.get(EventLayout.ID, rec[0]));
        assertEquals(sid, Fields.get(EventLayout.SID, rec[0]));
        assertEquals(fetchAddress, rec[3]);
        assertNull(rig.nextEventRecord());
    }

    @Test
    void an_ste_outside_memory_is_an_ste_fetch_fault_naming_its_address() {
        long strtab = END; // aligned to its 16 KiB (IHI 0070): the table starts past memory
        rig.regs.writeRegister64(SmmuRegisters.STRTAB_BASE, strtab);
        assertEquals(DmaStatus.ABORT, rig.port(SID).read(0x1000, new byte[4], 0, 4));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.STE_FETCH_FAULT, SID, 0x1000, false)),
                rig.smmu.events());
        assertOneRecord(SmmuEvent.Kind.STE_FETCH_FAULT, SID, strtab + SID * SteLayout.BYTES);
        assertEquals(0, rig.smmu.counters().configFetches());
    }

    @Test
    void a_cd_outside_memory_is_a_cd_fetch_fault_naming_its_address() {
        long cd = END; // the first CD past the end of memory
        rig.writeSte(SID, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_S1_TRANS)
                | (cd & SteLayout.S1_CONTEXT_PTR), 0);
        assertEquals(DmaStatus.ABORT, rig.port(SID).write(0x3000, new byte[4], 0, 4));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.CD_FETCH_FAULT, SID, 0x3000, true)),
                rig.smmu.events());
        assertOneRecord(SmmuEvent.Kind.CD_FETCH_FAULT, SID, cd & SteLayout.S1_CONTEXT_PTR);
        assertEquals(1, rig.smmu.counters().configFetches()); // the STE only
    }

    @Test
    void a_table_outside_memory_is_a_walk_external_abort() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(0x1000, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        rig.writeCd(SID, SmmuRig.cd0(ASID, 12, 48, true), END + 0x1000); // TTB0 outside memory
        assertEquals(DmaStatus.ABORT, rig.port(SID).read(0x1000, new byte[4], 0, 4));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.WALK_EXTERNAL_ABORT, SID, 0x1000, false)),
                rig.smmu.events());
        assertEquals(0, rig.smmu.counters().pteReads());
        // FETCH_ADDR: the level-0 descriptor of 0x1000, entry 0 of the table outside memory
        assertOneRecord(SmmuEvent.Kind.WALK_EXTERNAL_ABORT, SID, END + 0x1000);
    }

    @Test
    void a_walk_external_abort_record_names_a_table_fetch_as_its_class() {
        PageTables pt = rig.tables(12, 48);
        rig.translate(SID, ASID, pt);
        rig.writeCd(SID, SmmuRig.cd0(ASID, 12, 48, true), END + 0x1000); // TTB0 outside memory
        assertEquals(DmaStatus.ABORT, rig.port(SID).write(0x1000, new byte[4], 0, 4));
        long[] rec = rig.nextEventRecord();
        assertNotNull(rec);
        assertEquals(SmmuEvent.Kind.WALK_EXTERNAL_ABORT.id(), Fields.get(EventLayout.ID, rec[0]));
        // the walk's descriptor fetch aborted, not the input address: CLASS = TT (QEMU: 0x1)
        assertEquals(EventLayout.CLASS_TT, Fields.get(EventLayout.CLASS, rec[1]));
        assertEquals(0, rec[1] & EventLayout.RNW, "a write");
        assertEquals(0x1000, rec[2]);
        assertEquals(END + 0x1000, rec[3]);
    }

    @Test
    void cd_r_clear_silences_a_translation_fault_but_not_a_walk_external_abort() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(0x1000, SmmuRig.DATA, PageTables.RW);
        long silent = SmmuRig.cd0(ASID, 12, 48, true) & ~CdLayout.R;
        rig.translate(SID, ASID, pt);
        rig.writeCd(SID, silent, pt.root);
        rig.translate(SID + 1, ASID + 1, pt);
        rig.writeCd(SID + 1, SmmuRig.cd0(ASID + 1, 12, 48, true) & ~CdLayout.R, END + 0x1000);
        assertEquals(DmaStatus.ABORT, rig.port(SID).read(0x7000, new byte[1], 0, 1)); // unmapped
        assertNull(rig.nextEventRecord(), "CD.R = 0: the translation fault is not recorded");
        assertEquals(DmaStatus.ABORT, rig.port(SID + 1).read(0x1000, new byte[1], 0, 1));
        assertOneRecord(SmmuEvent.Kind.WALK_EXTERNAL_ABORT, SID + 1, END + 0x1000);
        assertEquals(2, rig.smmu.counters().faults());
    }

    @Test
    void a_privileged_streams_fault_record_says_privileged() {
        PageTables pt = rig.tables(12, 48);
        rig.translate(SID, ASID, pt);
        long ste = SmmuRig.STRTAB + SID * (long) SteLayout.BYTES + 8;
        rig.ram.writeLong(ste, rig.ram.readLong(ste)
                | Fields.prep(SteLayout.PRIVCFG, SteLayout.PRIVCFG_PRIVILEGED));
        assertEquals(DmaStatus.ABORT, rig.port(SID).read(0x7000, new byte[1], 0, 1)); // unmapped
        long[] rec = rig.nextEventRecord();
        assertNotNull(rec);
        assertTrue(Fields.test(EventLayout.PNU, rec[1]));
        assertTrue(Fields.test(EventLayout.RNW, rec[1]));
        assertEquals(0x7000, rec[2]);
    }

    @Test
    void an_event_queue_outside_memory_raises_eventq_abt_err_and_loses_the_event() {
        rig.regs.writeRegister64(SmmuRegisters.EVENTQ_BASE, END | SmmuRig.EVTQ_LOG2);
        assertEquals(DmaStatus.ABORT, rig.port(300).read(0, new byte[1], 0, 1)); // bad stream
        int gerror = rig.regs.readRegister(SmmuRegisters.GERROR);
        assertEquals(SmmuRegisters.GERROR_EVTQ_ABT_ERR, gerror & SmmuRegisters.GERROR_EVTQ_ABT_ERR);
        assertEquals(0, rig.regs.readRegister(SmmuRegisters.EVENTQ_PROD));
        assertEquals(1, rig.smmu.counters().faults());
        assertEquals(0, rig.smmu.counters().eventsRecorded());
        assertEquals(1, rig.smmu.counters().eventsLost());
        assertEquals(1, rig.smmu.events().size(), "the log still has it");
    }

    @Test
    void event_queue_pointers_keep_the_wrap_and_index_bits_and_prod_is_the_smmus_while_enabled() {
        // 8 entries: index bits [2:0], wrap bit 3, overflow bit 31
        rig.regs.writeRegister(SmmuRegisters.EVENTQ_CONS, 0xffff_ffff);
        assertEquals(0x8000_000f, rig.regs.readRegister(SmmuRegisters.EVENTQ_CONS));
        rig.regs.writeRegister(SmmuRegisters.EVENTQ_CONS, 0);
        rig.regs.writeRegister(SmmuRegisters.EVENTQ_PROD, 5); // enabled: the write is ignored
        assertEquals(0, rig.regs.readRegister(SmmuRegisters.EVENTQ_PROD));
        assertEquals(SmmuRig.EVTQ | SmmuRig.EVTQ_LOG2,
                rig.regs.readRegister64(SmmuRegisters.EVENTQ_BASE));
    }

    @Test
    void events_go_to_successive_slots_around_the_ring() {
        for (int i = 0; i < 20; i++) { // the 8-entry ring wraps twice and more
            assertEquals(DmaStatus.ABORT, rig.port(300 + i).read(0, new byte[1], 0, 1));
            long[] rec = rig.nextEventRecord();
            assertNotNull(rec, "event " + i);
            assertEquals(300 + i, Fields.get(EventLayout.SID, rec[0]), "event " + i);
        }
        assertEquals(20, rig.smmu.counters().eventsRecorded());
        assertEquals(0, rig.smmu.counters().eventsLost());
    }

    @Test
    void a_burst_is_translated_page_by_page_exactly_up_to_its_last_byte() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(0x1000, SmmuRig.DATA, PageTables.RW);
        pt.mapPage(0x2000, SmmuRig.DATA + 0x1000, PageTables.RW); // 0x3000 is not mapped
        rig.translate(SID, ASID, pt);
        byte[] src = new byte[0x1800];
        java.util.Arrays.fill(src, (byte) 3);
        DmaPort port = rig.port(SID);
        // one page ending on its last byte, and two pages ending on the last mapped byte
        assertEquals(DmaStatus.OK, port.write(0x1000 + 100, src, 0, 0x1000 - 100));
        assertEquals(DmaStatus.OK, port.write(0x1800, src, 0, 0x1800));
        assertEquals(List.of(), rig.smmu.events());
        assertEquals(3, rig.ram.readByte(SmmuRig.DATA + 0x1fff));
    }

    @Test
    void a_burst_at_2_pow_63_or_above_faults_and_one_wrapping_past_2_pow_64_is_never_translated() {
        PageTables pt = rig.tables(12, 48);
        rig.translate(SID, ASID, pt);
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.ABORT, port.read(-8, new byte[8], 0, 8)); // 2^64 - 8, unsigned
        assertEquals(DmaStatus.ABORT, port.read(Long.MAX_VALUE - 3, new byte[8], 0, 8));
        assertEquals(List.of(
                new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, -8, false),
                new SmmuEvent(SmmuEvent.Kind.TRANSLATION_FAULT, SID, Long.MAX_VALUE - 3, false)),
                rig.smmu.events());
        long translations = rig.smmu.counters().translations();
        assertEquals(DmaStatus.ABORT, port.read(-8, new byte[16], 0, 16)); // its last byte wraps
        assertEquals(translations, rig.smmu.counters().translations());
        assertEquals(2, rig.smmu.events().size());
        assertEquals(3, rig.machine.counters().dmaAborts());
    }
}
