package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.junit.jupiter.api.Test;

/**
 * Each event record carries exactly the fields IHI 0070 section 7.3 defines for its type: the
 * configuration events and the STE/CD fetch aborts have RES0 where the access's RnW, PnU, CLASS
 * and input address would be; only the walk abort and the stage-1 faults record the access.
 */
class SmmuEventRecordFieldsTest {
    private static final int SID = 9;
    private static final int ASID = 3;
    private static final long END = 64L << 20; // SmmuRig's memory
    private static final long IOVA = 0x5000;

    private final SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();

    /** Reads one byte at {@link #IOVA} (RnW = 1, the bit a leaked access field would set). */
    private void faultingRead(int sid) {
        assertEquals(DmaStatus.ABORT, rig.port(sid).read(IOVA, new byte[1], 0, 1));
    }

    /** Returns the only new record, checking its event ID and stream ID. */
    private long[] onlyRecord(SmmuEvent.Kind kind, int sid) {
        long[] rec = rig.nextEventRecord();
        assertNotNull(rec);
        assertNull(rig.nextEventRecord());
        assertEquals(kind.id(), Fields.get(EventLayout.ID, rec[0]));
        assertEquals(sid, Fields.get(EventLayout.SID, rec[0]));
        return rec;
    }

    /** Dword 1 (RnW, InD, PnU, S2, CLASS) and dword 2 (InputAddr) are RES0 for {@code rec}. */
    private static void assertNoAccessFields(long[] rec) {
        assertEquals(0, rec[1], "RnW/PnU/CLASS are RES0 in this event");
        assertEquals(0, rec[2], "InputAddr is RES0 in this event");
    }

    @Test
    void c_bad_streamid_records_only_the_stream() {
        faultingRead(300); // beyond the 256-entry stream table
        long[] rec = onlyRecord(SmmuEvent.Kind.BAD_STREAM_ID, 300);
        assertNoAccessFields(rec);
        assertEquals(0, rec[3]);
    }

    @Test
    void c_bad_ste_records_only_the_stream() {
        rig.writeSte(SID, 0, 0); // V clear
        faultingRead(SID);
        long[] rec = onlyRecord(SmmuEvent.Kind.BAD_STE, SID);
        assertNoAccessFields(rec);
        assertEquals(0, rec[3]);
    }

    @Test
    void f_ste_fetch_records_the_stream_and_the_fetch_address_only() {
        rig.regs.writeRegister64(SmmuRegisters.STRTAB_BASE, END); // the table is past memory
        faultingRead(SID);
        long[] rec = onlyRecord(SmmuEvent.Kind.STE_FETCH_FAULT, SID);
        assertNoAccessFields(rec);
        assertEquals(END + SID * (long) SteLayout.BYTES, rec[3]);
    }

    @Test
    void f_cd_fetch_of_a_privileged_stream_records_no_pnu_rnw_or_input_address() {
        rig.writeSte(SID, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_S1_TRANS)
                        | (END & SteLayout.S1_CONTEXT_PTR),
                Fields.prep(SteLayout.PRIVCFG, SteLayout.PRIVCFG_PRIVILEGED));
        faultingRead(SID);
        long[] rec = onlyRecord(SmmuEvent.Kind.CD_FETCH_FAULT, SID);
        assertNoAccessFields(rec);
        assertEquals(END, rec[3]);
    }

    @Test
    void c_bad_cd_of_a_privileged_stream_records_only_the_stream() {
        PageTables pt = rig.tables(12, 48);
        rig.translate(SID, ASID, pt);
        rig.writeCd(SID, SmmuRig.cd0(ASID, 12, 48, true) & ~CdLayout.V, pt.root);
        long ste1 = SmmuRig.STRTAB + SID * (long) SteLayout.BYTES + 8;
        rig.ram.writeLong(ste1, rig.ram.readLong(ste1)
                | Fields.prep(SteLayout.PRIVCFG, SteLayout.PRIVCFG_PRIVILEGED));
        faultingRead(SID);
        long[] rec = onlyRecord(SmmuEvent.Kind.BAD_CD, SID);
        assertNoAccessFields(rec);
        assertEquals(0, rec[3]);
    }

    @Test
    void the_event_log_still_names_the_access_of_a_configuration_event() {
        rig.writeSte(SID, 0, 0);
        faultingRead(SID);
        assertEquals(java.util.List.of(new SmmuEvent(SmmuEvent.Kind.BAD_STE, SID, IOVA, false)),
                rig.smmu.events());
    }

    @Test
    void a_translation_fault_records_rnw_pnu_class_and_the_input_address() {
        PageTables pt = rig.tables(12, 48);
        rig.translate(SID, ASID, pt);
        long ste1 = SmmuRig.STRTAB + SID * (long) SteLayout.BYTES + 8;
        rig.ram.writeLong(ste1, rig.ram.readLong(ste1)
                | Fields.prep(SteLayout.PRIVCFG, SteLayout.PRIVCFG_PRIVILEGED));
        faultingRead(SID); // nothing mapped
        long[] rec = onlyRecord(SmmuEvent.Kind.TRANSLATION_FAULT, SID);
        assertEquals(EventLayout.RNW | EventLayout.PNU
                | Fields.prep(EventLayout.CLASS, EventLayout.CLASS_IN), rec[1]);
        assertEquals(IOVA, rec[2]);
        assertEquals(0, rec[3], "the IPA of a stage-1 fault is UNKNOWN: 0 here");
    }
}
