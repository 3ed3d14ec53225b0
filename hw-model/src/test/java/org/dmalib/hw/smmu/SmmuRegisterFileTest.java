package org.dmalib.hw.smmu;

import static org.dmalib.hw.smmu.SmmuRegisters.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.junit.jupiter.api.Test;

/**
 * The register file as a driver sees it: ID registers that follow the configuration, control
 * and IRQ registers that keep only their architected fields, the 64-bit registers, queue
 * pointers, when the command queue is consumed, global errors, queue base alignment and the
 * bounded event log (SMMUv3 IHI 0070 chapter 6; QEMU hw/arm/smmuv3.c).
 */
class SmmuRegisterFileTest {
    private static final long END = 64L << 20; // SmmuRig's memory

    private final SmmuRig rig = new SmmuRig(SmmuConfig.gem5());

    private int gerrorActive() {
        return rig.regs.readRegister(GERROR) ^ rig.regs.readRegister(GERRORN);
    }

    @Test
    void idr0_asid16_and_aidr_follow_the_configuration() {
        assertEquals(IDR0_ASID16, rig.regs.readRegister(IDR0) & IDR0_ASID16);
        SmmuRig small = new SmmuRig(SmmuRig.gem5With8BitAsids());
        assertEquals(0, small.regs.readRegister(IDR0) & IDR0_ASID16, "8-bit ASIDs");
        // AIDR.ArchMinorRev: range invalidation is an SMMUv3.2 feature
        assertEquals(2, rig.regs.readRegister(AIDR));
        SmmuRig v31 = new SmmuRig(SmmuConfig.gem5().withRangeInvalidation(false));
        assertEquals(1, v31.regs.readRegister(AIDR));
    }

    @Test
    void control_and_irq_registers_keep_only_their_fields() {
        rig.regs.writeRegister(CR2, 0xffff_ffff); // E2H, RECINVSID, PTM; the rest RES0
        assertEquals(0x7, rig.regs.readRegister(CR2));
        rig.regs.writeRegister(IRQ_CTRL, 0xffff_ffff); // GERROR_, PRIQ_, EVENTQ_IRQEN
        assertEquals(0x7, rig.regs.readRegister(IRQ_CTRL));
        assertEquals(0x7, rig.regs.readRegister(IRQ_CTRLACK), "acknowledged at once");
        rig.regs.writeRegister(CR1, 0xffff_ffff); // QUEUE_ and TABLE_ IC/OC/SH
        assertEquals(0xfff, rig.regs.readRegister(CR1));
        // LOG2SIZE [5:0], SPLIT [10:6], FMT [17:16]
        rig.regs.writeRegister(STRTAB_BASE_CFG, 0xffff_ffff);
        assertEquals(0x3_07ff, rig.regs.readRegister(STRTAB_BASE_CFG));
        rig.regs.writeRegister(GERROR_IRQ_CFG1, 0x1234_5678);
        rig.regs.writeRegister(GERROR_IRQ_CFG2, 0x31);
        rig.regs.writeRegister(EVENTQ_IRQ_CFG1, 0x8765_4321);
        rig.regs.writeRegister(EVENTQ_IRQ_CFG2, 0x13);
        assertEquals(0x1234_5678, rig.regs.readRegister(GERROR_IRQ_CFG1));
        assertEquals(0x31, rig.regs.readRegister(GERROR_IRQ_CFG2));
        assertEquals(0x8765_4321, rig.regs.readRegister(EVENTQ_IRQ_CFG1));
        assertEquals(0x13, rig.regs.readRegister(EVENTQ_IRQ_CFG2));
    }

    @Test
    void sixty_four_bit_registers_read_back_their_address_fields() {
        rig.regs.writeRegister64(STRTAB_BASE, -1L); // RA, ADDR[51:6]
        assertEquals(STRTAB_BASE_RA | STRTAB_BASE_ADDR, rig.regs.readRegister64(STRTAB_BASE));
        rig.regs.writeRegister64(GERROR_IRQ_CFG0, -1L); // the MSI address, ADDR[51:2]
        assertEquals(Fields.mask(51, 2), rig.regs.readRegister64(GERROR_IRQ_CFG0));
        rig.regs.writeRegister64(EVENTQ_IRQ_CFG0, -1L);
        assertEquals(Fields.mask(51, 2), rig.regs.readRegister64(EVENTQ_IRQ_CFG0));
        rig.regs.writeRegister64(EVENTQ_BASE, -1L); // RA, ADDR[51:5], LOG2SIZE
        assertEquals(Fields.mask(62, 62) | Q_BASE_ADDR | Q_BASE_LOG2SIZE,
                rig.regs.readRegister64(EVENTQ_BASE));
        rig.regs.writeRegister64(CMDQ_BASE, -1L);
        assertEquals(Fields.mask(62, 62) | Q_BASE_ADDR | Q_BASE_LOG2SIZE,
                rig.regs.readRegister64(CMDQ_BASE));
    }

    @Test
    void eventq_prod_is_softwares_while_the_event_queue_is_disabled() {
        rig.regs.writeRegister64(EVENTQ_BASE, SmmuRig.EVTQ | SmmuRig.EVTQ_LOG2);
        rig.regs.writeRegister(EVENTQ_PROD, 0xffff_ffff);
        // 8 entries: OVFLG, wrap bit 3, index bits [2:0]
        assertEquals(0x8000_000f, rig.regs.readRegister(EVENTQ_PROD));
        rig.regs.writeRegister(EVENTQ_PROD, 5);
        assertEquals(5, rig.regs.readRegister(EVENTQ_PROD));
    }

    @Test
    void setting_cmdqen_consumes_the_commands_prod_already_names() {
        rig.enable();
        rig.regs.writeRegister(CR0, (int) (CR0_SMMUEN | CR0_EVENTQEN)); // CMDQEN clear
        rig.commandNoDoorbell(CommandLayout.OP_PREFETCH_CFG, 0);
        rig.sync(); // PROD = 2 while the queue is disabled
        assertEquals(0, rig.cons(), "a disabled queue is not consumed");
        rig.regs.writeRegister(CR0, (int) (CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN));
        assertEquals(rig.prod(), rig.cons());
        assertEquals(1, rig.smmu.counters().cmdSyncs());
    }

    @Test
    void a_doorbell_while_cmdq_err_is_active_consumes_nothing() {
        rig.enable();
        rig.command(0x7f, 0); // no such opcode: CERROR_ILL, GERROR.CMDQ_ERR active
        assertEquals(GERROR_CMDQ_ERR, gerrorActive());
        rig.sync(); // the driver rings again before acknowledging
        assertEquals(0, rig.cons() & 0x1f, "CONS stays on the illegal command");
        assertEquals(CERROR_ILL, Fields.get(CMDQ_CONS_ERR, rig.cons()));
        assertEquals(0, rig.smmu.counters().cmdSyncs());
        assertEquals(1, rig.smmu.counters().commandErrors());
        rig.ram.writeLong(SmmuRig.CMDQ, CommandLayout.OP_CMD_SYNC); // __arm_smmu_cmdq_skip_err
        rig.regs.writeRegister(GERRORN, rig.regs.readRegister(GERROR));
        assertEquals(rig.prod(), rig.cons() & 0x1f); // CONS.ERR keeps the last error's code
        assertEquals(2, rig.smmu.counters().cmdSyncs());
    }

    @Test
    void a_cmd_sync_whose_msi_write_aborts_completes_and_raises_msi_cmdq_abt_err() {
        rig.enable();
        rig.command(CommandLayout.OP_CMD_SYNC
                        | Fields.prep(CommandLayout.SYNC_0_CS, CommandLayout.SYNC_CS_IRQ)
                        | Fields.prep(CommandLayout.SYNC_0_MSIDATA, 1),
                END & CommandLayout.SYNC_1_MSIADDR); // past the end of memory
        // IHI 0070 SMMU_GERROR.MSI_CMDQ_ABT_ERR (Linux GERROR_MSI_CMDQ_ABT_ERR, bit 4): the
        // CMD_SYNC still completes, and the queue goes on
        assertEquals(rig.prod(), rig.cons());
        assertEquals(1, rig.smmu.counters().cmdSyncs());
        assertEquals(0, rig.smmu.counters().commandErrors());
        assertEquals(GERROR_MSI_CMDQ_ABT_ERR, gerrorActive());
        rig.sync();
        assertEquals(rig.prod(), rig.cons(), "not a command error: consumption goes on");
        rig.regs.writeRegister(GERRORN, rig.regs.readRegister(GERROR));
        assertEquals(0, gerrorActive(), "acknowledged");
    }

    @Test
    void a_second_event_queue_abort_leaves_the_error_active() {
        rig.enable();
        rig.regs.writeRegister64(EVENTQ_BASE, END | SmmuRig.EVTQ_LOG2);
        DmaPort port = rig.port(300);
        for (int i = 0; i < 2; i++) {
            assertEquals(DmaStatus.ABORT, port.read(0, new byte[1], 0, 1));
            assertEquals(GERROR_EVTQ_ABT_ERR, gerrorActive(), "after fault " + i);
        }
        assertEquals(2, rig.smmu.counters().eventsLost());
    }

    @Test
    void the_command_queue_base_ignores_address_bits_below_the_ring_size() {
        rig.enable();
        rig.regs.writeRegister(CR0, (int) (CR0_SMMUEN | CR0_EVENTQEN));
        // a 16-entry ring is 256 bytes: ADDR bits [7:5] are treated as 0 (IHI 0070 6.3.24)
        long base = SmmuRig.CMDQ + 0x40;
        rig.regs.writeRegister64(CMDQ_BASE, base | SmmuRig.CMDQ_LOG2);
        rig.regs.writeRegister(CR0, (int) (CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN));
        rig.sync(); // written at CMDQ: slot 4 of the ring, at base, holds zeros (illegal)
        assertEquals(rig.prod(), rig.cons());
        assertEquals(1, rig.smmu.counters().cmdSyncs());
        assertEquals(base | SmmuRig.CMDQ_LOG2, rig.regs.readRegister64(CMDQ_BASE));
    }

    @Test
    void the_event_queue_base_ignores_address_bits_below_the_ring_size() {
        rig.enable();
        rig.regs.writeRegister(CR0, (int) (CR0_SMMUEN | CR0_CMDQEN));
        // an 8-entry ring is 256 bytes: the record goes to EVTQ, not to EVTQ + 0x40
        rig.regs.writeRegister64(EVENTQ_BASE, (SmmuRig.EVTQ + 0x40) | SmmuRig.EVTQ_LOG2);
        rig.regs.writeRegister(CR0, (int) (CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN));
        assertEquals(DmaStatus.ABORT, rig.port(300).read(0x5000, new byte[1], 0, 1));
        long[] rec = rig.nextEventRecord();
        assertNotNull(rec);
        assertEquals(SmmuEvent.Kind.BAD_STREAM_ID.id(), Fields.get(EventLayout.ID, rec[0]));
        assertEquals(300, Fields.get(EventLayout.SID, rec[0]));
        assertEquals(0, rig.ram.readLong(SmmuRig.EVTQ + 0x40));
        assertNull(rig.nextEventRecord());
    }

    @Test
    void c_bad_streamid_is_recorded_only_while_cr2_recinvsid_is_set() {
        assertEquals(0, rig.regs.readRegister(CR2), "RECINVSID is 0 from reset");
        rig.enable(); // as Linux: PTM | RECINVSID
        rig.regs.writeRegister(CR2, (int) CR2_PTM); // RECINVSID clear
        assertEquals((int) CR2_PTM, rig.regs.readRegister(CR2));
        DmaPort port = rig.port(300); // beyond the 256-entry stream table
        assertEquals(DmaStatus.ABORT, port.read(0x5000, new byte[1], 0, 1), "terminated");
        assertNull(rig.nextEventRecord(), "not recorded");
        assertEquals(1, rig.smmu.counters().eventsLost());
        rig.regs.writeRegister(CR2, (int) (CR2_PTM | CR2_RECINVSID));
        assertEquals(DmaStatus.ABORT, port.read(0x6000, new byte[1], 0, 1));
        long[] rec = rig.nextEventRecord();
        assertNotNull(rec);
        assertEquals(SmmuEvent.Kind.BAD_STREAM_ID.id(), Fields.get(EventLayout.ID, rec[0]));
        assertEquals(300, Fields.get(EventLayout.SID, rec[0]));
        assertNull(rig.nextEventRecord());
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.BAD_STREAM_ID, 300, 0x5000, false),
                new SmmuEvent(SmmuEvent.Kind.BAD_STREAM_ID, 300, 0x6000, false)),
                rig.smmu.events(), "both in the model's log");
    }

    @Test
    void the_stream_table_base_ignores_address_bits_below_the_table_size() {
        rig.enable();
        // 256 STEs are 16 KiB: ADDR bits [13:6] are treated as 0, so STE 1 is at STRTAB + 64,
        // not at STRTAB + 0x40 + 64 (IHI 0070 SMMU_STRTAB_BASE; QEMU smmu_find_ste)
        rig.bypass(1);
        rig.abort(2);
        long base = SmmuRig.STRTAB + 0x40;
        rig.regs.writeRegister64(STRTAB_BASE, base);
        assertEquals(base, rig.regs.readRegister64(STRTAB_BASE), "the register keeps ADDR");
        assertEquals(DmaStatus.OK, rig.port(1).read(SmmuRig.DATA, new byte[1], 0, 1));
        // a smaller table needs less alignment: 4 STEs are 256 bytes, bits [7:6] are 0
        rig.regs.writeRegister(STRTAB_BASE_CFG, 2);
        rig.regs.writeRegister64(STRTAB_BASE, SmmuRig.STRTAB + 0x100 + 0x40);
        rig.writeSte(3 + 4, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_BYPASS), 0);
        assertEquals(DmaStatus.OK, rig.port(3).read(SmmuRig.DATA, new byte[1], 0, 1));
        assertEquals(List.of(), rig.smmu.events());
    }

    @Test
    void the_event_log_keeps_the_most_recent_4096_events_oldest_first() {
        rig.enable();
        DmaPort port = rig.port(300); // beyond the stream table: every access is C_BAD_STREAMID
        for (int i = 0; i <= 4096; i++) {
            assertEquals(DmaStatus.ABORT, port.read((long) i << 12, new byte[1], 0, 1));
        }
        List<SmmuEvent> events = rig.smmu.events();
        assertEquals(4096, events.size());
        assertEquals(new SmmuEvent(SmmuEvent.Kind.BAD_STREAM_ID, 300, 1L << 12, false),
                events.get(0), "the first event was dropped");
        assertEquals(4096L << 12, events.get(4095).address());
        assertEquals(4097, rig.smmu.counters().faults());
    }

    @Test
    void a_two_level_stream_table_is_not_supported_every_stream_id_is_bad() {
        rig.enable();
        rig.bypass(0);
        rig.regs.writeRegister(STRTAB_BASE_CFG, (int) (Fields.prep(STRTAB_BASE_CFG_FMT, 1)
                | SmmuRig.STRTAB_LOG2)); // IDR0.ST_LVL = 0: linear only
        assertEquals(DmaStatus.ABORT, rig.port(0).read(0, new byte[1], 0, 1));
        assertEquals(List.of(new SmmuEvent(SmmuEvent.Kind.BAD_STREAM_ID, 0, 0, false)),
                rig.smmu.events());
        assertEquals(0, rig.regs.readRegister(IDR0) & IDR0_ST_LVL);
    }

    @Test
    void a_cmd_sync_msi_writes_32_bits_of_msidata_to_a_non_cacheable_queue_target() {
        rig.enable();
        rig.regs.writeRegister(CR1, 0xd74); // QUEUE_IC non-cacheable: the MSI write goes to RAM
        long target = SmmuRig.DATA;
        rig.ram.writeLong(target, 0x1111_1111_2222_2222L);
        rig.command(CommandLayout.OP_CMD_SYNC
                        | Fields.prep(CommandLayout.SYNC_0_CS, CommandLayout.SYNC_CS_IRQ)
                        | Fields.prep(CommandLayout.SYNC_0_MSIDATA, 0xdead_beefL),
                target & CommandLayout.SYNC_1_MSIADDR);
        assertEquals(0x1111_1111_dead_beefL, rig.ram.readLong(target), "4 bytes, little-endian");
    }

    @Test
    void the_programming_interface_names_its_smmu() {
        assertEquals(rig.smmu, rig.regs.smmu());
    }
}
