package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Cpu;
import org.dmalib.hw.SmmuConfig;
import org.junit.jupiter.api.Test;

/**
 * A CMD_SYNC's MSI write takes the memory type of the command's own MSIATTR (IHI 0070 CMD_SYNC,
 * encoded as STE.MemAttr), not the SMMU_CR1 queue attributes: with COHACC an inner-cacheable
 * MSIATTR makes it snoop the CPU caches, a Device or Non-cacheable one makes it reach RAM only.
 */
class SmmuSyncMsiAttributesTest {
    private static final long TARGET = SmmuRig.DATA; // the driver's sync word
    private static final long OLD = 0x1111_1111_2222_2222L;
    private static final long MSIDATA = 0xdead_beefL;
    // SMMU_CR1 as Linux programs it but with the queues Non-cacheable: TABLE_SH/OC/IC = ISH, WB,
    // WB; QUEUE_SH = ISH, QUEUE_OC = QUEUE_IC = 0
    private static final int CR1_QUEUES_NC = 0xd70;

    private static void syncWithMsi(SmmuRig rig, int memAttr) {
        rig.command(CommandLayout.OP_CMD_SYNC
                        | Fields.prep(CommandLayout.SYNC_0_CS, CommandLayout.SYNC_CS_IRQ)
                        | Fields.prep(CommandLayout.SYNC_0_MSIDATA, MSIDATA)
                        | Fields.prep(CommandLayout.SYNC_0_MSIATTR, memAttr)
                        | Fields.prep(CommandLayout.SYNC_0_MSH, CdLayout.SH_ISH),
                TARGET & CommandLayout.SYNC_1_MSIADDR);
        assertEquals(1, rig.smmu.counters().cmdSyncs());
    }

    /** CPU 0 holds the sync word dirty in its cache, RAM holds 0 there. */
    private static Cpu dirtySyncWord(SmmuRig rig) {
        Cpu cpu = rig.machine.cpu(0);
        cpu.storeLong(TARGET, OLD);
        assertTrue(cpu.isDirty(TARGET));
        assertEquals(0, rig.ram.readLong(TARGET));
        return cpu;
    }

    /** Re-enables {@code rig} with {@code cr1}, as a driver changes CR1 with the SMMU off. */
    private static void reprogramCr1(SmmuRig rig, int cr1) {
        int cr0 = rig.regs.readRegister(SmmuRegisters.CR0);
        rig.regs.writeRegister(SmmuRegisters.CR0, 0);
        rig.regs.writeRegister(SmmuRegisters.CR1, cr1);
        rig.regs.writeRegister(SmmuRegisters.CR0, cr0);
    }

    @Test
    void a_write_back_msiattr_makes_the_msi_coherent_although_the_queues_are_non_cacheable() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        reprogramCr1(rig, CR1_QUEUES_NC);
        Cpu cpu = dirtySyncWord(rig);
        syncWithMsi(rig, CommandLayout.MEMATTR_OIWB); // what Linux's CMD_SYNC asks for
        assertEquals(0x1111_1111_dead_beefL, cpu.loadLong(TARGET), "the CPU sees the MSI");
    }

    @Test
    void a_device_msiattr_sends_the_msi_to_ram_only_although_the_queues_are_cacheable() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable(); // CR1 queues WB
        Cpu cpu = dirtySyncWord(rig);
        syncWithMsi(rig, CommandLayout.MEMATTR_DEVICE_NGNRE);
        assertEquals(MSIDATA, rig.ram.readLong(TARGET), "4 bytes written to RAM");
        assertEquals(OLD, cpu.loadLong(TARGET), "the CPU's dirty line hides the MSI");
    }

    @Test
    void a_normal_non_cacheable_msiattr_sends_the_msi_to_ram_only() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        Cpu cpu = dirtySyncWord(rig);
        syncWithMsi(rig, CommandLayout.MEMATTR_NC);
        assertEquals(MSIDATA, rig.ram.readLong(TARGET));
        assertEquals(OLD, cpu.loadLong(TARGET));
    }

    @Test
    void without_cohacc_a_write_back_msi_still_reaches_ram_only() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5().withCoherentWalk(false)).enable();
        Cpu cpu = dirtySyncWord(rig);
        syncWithMsi(rig, CommandLayout.MEMATTR_OIWB);
        assertEquals(MSIDATA, rig.ram.readLong(TARGET));
        assertEquals(OLD, cpu.loadLong(TARGET));
    }
}
