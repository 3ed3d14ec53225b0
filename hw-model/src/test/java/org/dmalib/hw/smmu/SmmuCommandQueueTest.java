package org.dmalib.hw.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.hw.SmmuEvent;
import org.junit.jupiter.api.Test;

/** The command queue in RAM, its errors, configuration invalidation and the event queue. */
class SmmuCommandQueueTest {
    private static final int SID = 5;
    private static final int ASID = 7;
    private static final long VA = 0x4000_0000L;

    private final SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();

    private int gerrorActive() {
        return rig.regs.readRegister(GERROR) ^ rig.regs.readRegister(GERRORN);
    }

    private int consIndex() {
        return rig.cons() & ((1 << (SmmuRig.CMDQ_LOG2 + 1)) - 1);
    }

    @Test
    void a_doorbell_consumes_everything_up_to_prod_and_the_ring_wraps() {
        for (int i = 0; i < 40; i++) { // 40 commands through a 16-entry ring
            rig.commandNoDoorbell(CommandLayout.OP_PREFETCH_CFG, 0);
            if (i % 5 == 4) {
                rig.sync();
                assertEquals(rig.prod(), rig.cons());
            }
        }
        SmmuCounters c = rig.smmu.counters();
        assertEquals(48, c.commands());
        assertEquals(8, c.cmdSyncs());
        assertEquals(40, c.otherCommands());
    }

    @Test
    void an_illegal_command_stops_the_queue_until_acknowledged() {
        PageTables pt = rig.tables(12, 48);
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1));
        pt.clear(VA, 3);
        int bad = rig.prod();
        rig.commandNoDoorbell(0x7f, 0); // no such opcode
        rig.commandNoDoorbell(CommandLayout.OP_TLBI_NH_ASID
                | Fields.prep(CommandLayout.TLBI_0_ASID, ASID), 0);
        rig.sync();
        assertEquals(bad, consIndex(), "CONS stays on the illegal command");
        assertEquals(CERROR_ILL, Fields.get(CMDQ_CONS_ERR, rig.cons()));
        assertEquals(GERROR_CMDQ_ERR, gerrorActive() & GERROR_CMDQ_ERR);
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1), "the TLBI did not run");
        assertEquals(1, rig.smmu.counters().commandErrors());
        // Linux __arm_smmu_cmdq_skip_err: replace the command with a CMD_SYNC, then ack GERROR
        long slot = SmmuRig.CMDQ + (long) bad * CMDQ_ENTRY_BYTES;
        rig.ram.writeLong(slot, CommandLayout.OP_CMD_SYNC);
        rig.regs.writeRegister(GERRORN, rig.regs.readRegister(GERROR));
        assertEquals(rig.prod(), rig.cons() & ((1 << (SmmuRig.CMDQ_LOG2 + 1)) - 1));
        assertEquals(0, gerrorActive());
        assertEquals(DmaStatus.ABORT, port.read(VA, new byte[1], 0, 1), "the TLBI ran");
    }

    @Test
    void features_not_advertised_and_reserved_fields_are_illegal() {
        long[] illegal = {
            0x22, // TLBI_EL2_VA: no IDR0.HYP
            0x2a, // TLBI_S2_IPA: no stage 2
            0x40, // ATC_INV: no ATS
            0x44, // RESUME: no stall
            CommandLayout.OP_CMD_SYNC | Fields.prep(CommandLayout.SYNC_0_CS, 3), // CS reserved
            CommandLayout.OP_TLBI_NH_ALL | CommandLayout.SSEC, // no secure side
        };
        for (long d0 : illegal) {
            rig.command(d0, 0);
            assertEquals(CERROR_ILL, Fields.get(CMDQ_CONS_ERR, rig.cons()), Long.toHexString(d0));
            long slot = SmmuRig.CMDQ + (long) (consIndex() & 15) * CMDQ_ENTRY_BYTES;
            rig.ram.writeLong(slot, CommandLayout.OP_CMD_SYNC);
            rig.regs.writeRegister(GERRORN, rig.regs.readRegister(GERROR));
            assertEquals(rig.prod(), consIndex());
        }
        assertEquals(illegal.length, rig.smmu.counters().commandErrors());
    }

    @Test
    void a_cmd_sync_with_an_msi_address_writes_its_data_there() {
        long slot = SmmuRig.CMDQ + (long) rig.prod() * CMDQ_ENTRY_BYTES;
        // Linux MSIPOLL: MSIADDR = the CMD_SYNC's own slot, MSIDATA = 0 clears its first word
        rig.command(CommandLayout.OP_CMD_SYNC
                        | Fields.prep(CommandLayout.SYNC_0_CS, CommandLayout.SYNC_CS_IRQ),
                slot & CommandLayout.SYNC_1_MSIADDR);
        assertEquals(0, rig.ram.readLong(slot) & 0xffff_ffffL);
        assertEquals(1, rig.smmu.counters().cmdSyncs());
    }

    @Test
    void a_forgotten_cfgi_ste_keeps_the_old_configuration() {
        rig.bypass(SID);
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.OK, port.read(0, new byte[1], 0, 1));
        rig.abort(SID); // rewritten in RAM, not invalidated
        assertEquals(DmaStatus.OK, port.read(0, new byte[1], 0, 1));
        rig.cfgiSte(SID, true);
        assertEquals(DmaStatus.ABORT, port.read(0, new byte[1], 0, 1));
        assertEquals(1, rig.smmu.counters().cfgiSte());
    }

    @Test
    void cfgi_cd_refreshes_the_cd_and_a_leaf_cfgi_ste_does_not() {
        PageTables a = rig.tables(12, 48);
        a.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        PageTables b = rig.tables(12, 48); // empty
        rig.translate(SID, ASID, a);
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1));
        rig.writeCd(SID, SmmuRig.cd0(ASID + 1, 12, 48, true), b.root);
        rig.cfgiSte(SID, true); // leaf: the STE only, the cached CD stays
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1));
        rig.cfgiCd(SID);
        assertEquals(DmaStatus.ABORT, port.read(VA, new byte[1], 0, 1), "new CD, new ASID");
        rig.writeCd(SID, SmmuRig.cd0(ASID + 2, 12, 48, true), a.root);
        rig.cfgiSte(SID, false); // non-leaf: STE and CDs
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1));
    }

    @Test
    void cfgi_all_drops_every_stream() {
        rig.bypass(1);
        rig.bypass(2);
        DmaPort p1 = rig.port(1);
        DmaPort p2 = rig.port(2);
        assertEquals(DmaStatus.OK, p1.read(0, new byte[1], 0, 1));
        assertEquals(DmaStatus.OK, p2.read(0, new byte[1], 0, 1));
        rig.abort(1);
        rig.abort(2);
        rig.command(CommandLayout.OP_CFGI_STE_RANGE, Fields.prep(CommandLayout.CFGI_1_RANGE, 31));
        assertEquals(DmaStatus.ABORT, p1.read(0, new byte[1], 0, 1));
        assertEquals(DmaStatus.ABORT, p2.read(0, new byte[1], 0, 1));
    }

    @Test
    void cfgi_ste_range_drops_exactly_the_aligned_block_of_streams_it_names() {
        int streams = 12;
        List<DmaPort> ports = rig.cachedBypassThenAbort(streams);
        // SID 5, RANGE 1: the 2^(1+1) = 4 streams of the aligned block 4..7, nothing around it
        rig.command(CommandLayout.OP_CFGI_STE_RANGE | Fields.prep(CommandLayout.CFGI_0_SID, 5),
                Fields.prep(CommandLayout.CFGI_1_RANGE, 1));
        for (int sid = 0; sid < streams; sid++) {
            DmaStatus want = sid >= 4 && sid <= 7 ? DmaStatus.ABORT : DmaStatus.OK;
            assertEquals(want, ports.get(sid).read(0, new byte[1], 0, 1), "stream " + sid);
        }
        // RANGE 2 from SID 9: the block 8..15, past the streams that exist, drops 8..11
        rig.command(CommandLayout.OP_CFGI_STE_RANGE | Fields.prep(CommandLayout.CFGI_0_SID, 9),
                Fields.prep(CommandLayout.CFGI_1_RANGE, 2));
        for (int sid = 0; sid < streams; sid++) {
            DmaStatus want = sid >= 4 ? DmaStatus.ABORT : DmaStatus.OK;
            assertEquals(want, ports.get(sid).read(0, new byte[1], 0, 1), "stream " + sid);
        }
    }

    @Test
    void a_full_event_queue_loses_events_and_flags_overflow() {
        rig.writeSte(9, 0, 0);
        DmaPort port = rig.port(9);
        for (int i = 0; i < 10; i++) { // 8-entry queue
            assertEquals(DmaStatus.ABORT, port.read(0, new byte[1], 0, 1));
        }
        int prod = rig.regs.readRegister(EVENTQ_PROD);
        assertNotEquals(0, prod & (int) EVENTQ_OVFLG);
        SmmuCounters c = rig.smmu.counters();
        assertEquals(8, c.eventsRecorded());
        assertEquals(2, c.eventsLost());
        assertEquals(10, rig.smmu.events().size());
        int drained = 0;
        while (rig.nextEventRecord() != null) {
            drained++;
        }
        assertEquals(8, drained);
    }

    @Test
    void a_disabled_event_queue_records_nothing_in_ram() {
        rig.regs.writeRegister(CR0, (int) (CR0_SMMUEN | CR0_CMDQEN));
        rig.writeSte(9, 0, 0);
        assertEquals(DmaStatus.ABORT, rig.port(9).read(0, new byte[1], 0, 1));
        assertEquals(0, rig.regs.readRegister(EVENTQ_PROD));
        assertEquals(SmmuEvent.Kind.BAD_STE, rig.smmu.events().get(0).kind());
    }

    @Test
    void id_registers_advertise_the_configuration() {
        int idr0 = rig.regs.readRegister(IDR0);
        assertTrue((idr0 & IDR0_COHACC) != 0);
        assertTrue((idr0 & IDR0_S1P) != 0);
        assertEquals(IDR0_TTF_AARCH64, Fields.get(IDR0_TTF, idr0));
        assertTrue((rig.regs.readRegister(IDR3) & IDR3_RIL) != 0);
        int idr5 = rig.regs.readRegister(IDR5);
        assertEquals(5, Fields.get(IDR5_OAS, idr5)); // 48 bits
        assertEquals(IDR5_GRAN4K | IDR5_GRAN16K | IDR5_GRAN64K, idr5 & 0x70);
        int idr1 = rig.regs.readRegister(IDR1);
        assertEquals(8, Fields.get(IDR1_SIDSIZE, idr1));
        assertEquals(19, Fields.get(IDR1_CMDQS, idr1));
        assertEquals(rig.regs.readRegister(CR0), rig.regs.readRegister(CR0ACK));
    }

    @Test
    void a_register_that_does_not_exist_is_a_typed_error() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> rig.regs.readRegister(0x1234));
        assertTrue(e.getMessage().contains("0x1234"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> rig.regs.writeRegister64(CMDQ_PROD, 0));
    }

    @Test
    void a_command_fetch_outside_memory_is_cerror_abt() {
        rig.regs.writeRegister(CR0, (int) CR0_SMMUEN);
        rig.regs.writeRegister64(CMDQ_BASE, (1L << 40) | SmmuRig.CMDQ_LOG2);
        rig.regs.writeRegister(CMDQ_CONS, 0);
        rig.regs.writeRegister(CR0, (int) (CR0_SMMUEN | CR0_CMDQEN));
        rig.regs.writeRegister(CMDQ_PROD, 1);
        assertEquals(CERROR_ABT, Fields.get(CMDQ_CONS_ERR, rig.cons()));
        assertEquals(0, consIndex());
    }

    @Test
    void cons_is_software_s_only_while_the_queue_is_disabled_and_keeps_its_pointer_and_err_bits() {
        SmmuRig off = new SmmuRig(SmmuConfig.gem5());
        off.regs.writeRegister64(CMDQ_BASE, SmmuRig.CMDQ | SmmuRig.CMDQ_LOG2);
        off.regs.writeRegister(CMDQ_CONS, 0xffff_ffff);
        // 16 entries: index bits [3:0], wrap bit 4, and the ERR field
        assertEquals((int) (CMDQ_CONS_ERR | 0x1f), off.regs.readRegister(CMDQ_CONS));
        off.regs.writeRegister(CMDQ_PROD, 0xffff_ffff);
        assertEquals(0x1f, off.regs.readRegister(CMDQ_PROD));
        assertEquals(0, rig.cons());
        rig.regs.writeRegister(CMDQ_CONS, 3); // enabled: CONS is the SMMU's
        assertEquals(0, rig.cons());
        assertEquals(SmmuRig.CMDQ | SmmuRig.CMDQ_LOG2, rig.regs.readRegister64(CMDQ_BASE));
    }

    @Test
    void an_8_bit_asid_smmu_ignores_asid_bits_15_to_8_of_a_tlbi() {
        SmmuRig r = new SmmuRig(SmmuRig.gem5With8BitAsids()).enable();
        PageTables pt = r.tables(12, 48);
        long pte = pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        r.translate(SID, ASID, pt);
        r.ram.writeByte(SmmuRig.DATA, (byte) 1);
        r.ram.writeByte(SmmuRig.DATA + 0x1000, (byte) 2);
        DmaPort port = r.port(SID);
        byte[] b = new byte[1];
        assertEquals(DmaStatus.OK, port.read(VA, b, 0, 1));
        assertEquals(1, b[0]);
        // remap the page in RAM: the IOTLB keeps the old translation until it is invalidated
        long desc = r.ram.readLong(pte);
        r.ram.writeLong(pte, (desc & ~DescriptorLayout.ADDR) | (SmmuRig.DATA + 0x1000));
        assertEquals(DmaStatus.OK, port.read(VA, b, 0, 1));
        assertEquals(1, b[0], "stale until invalidated");
        r.tlbiAsid(0x100 | ASID); // bits 15:8 are not part of an 8-bit ASID
        r.sync();
        assertEquals(DmaStatus.OK, port.read(VA, b, 0, 1));
        assertEquals(2, b[0]);
    }
}
