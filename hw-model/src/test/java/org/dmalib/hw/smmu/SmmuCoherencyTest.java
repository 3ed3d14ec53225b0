package org.dmalib.hw.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Cpu;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.hw.cache.CacheMaintenance;
import org.junit.jupiter.api.Test;

/** Table walks and queue reads see RAM only unless both the SMMU and the CD make them coherent. */
class SmmuCoherencyTest {
    private static final int SID = 5;
    private static final int ASID = 7;
    private static final long VA = 0x4000_0000L;

    @Test
    void a_non_coherent_walk_misses_a_dirty_pte_until_it_is_cleaned() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5().withCoherentWalk(false)).enable();
        assertEquals(0, rig.regs.readRegister(SmmuRegisters.IDR0) & SmmuRegisters.IDR0_COHACC);
        Cpu cpu = rig.machine.cpu(0);
        PageTables pt = rig.tables(12, 48).via(cpu);
        long pte = pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        // the tables above the leaf reached RAM; the leaf is still dirty in the CPU's cache
        CacheMaintenance cm = CacheMaintenance.of(cpu);
        long l2 = pt.slotFor(VA, 2);
        for (int l = 0; l <= 2; l++) {
            cm.cleanLine(pt.slotFor(VA, l));
        }
        cm.barrier();
        assertTrue(cpu.isDirty(pte));
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.ABORT, port.read(VA, new byte[1], 0, 1));
        assertEquals(SmmuEvent.Kind.TRANSLATION_FAULT, rig.smmu.events().get(0).kind());
        cm.cleanLine(pte);
        assertEquals(DmaStatus.ABORT, port.read(VA, new byte[1], 0, 1), "clean without barrier");
        cm.barrier();
        assertEquals(DmaStatus.OK, port.read(VA, new byte[1], 0, 1));
        assertTrue(l2 != pte);
    }

    @Test
    void a_coherent_walk_sees_a_dirty_pte() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        Cpu cpu = rig.machine.cpu(1);
        PageTables pt = rig.tables(12, 48).via(cpu);
        long pte = pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        assertTrue(cpu.isDirty(pte));
        assertEquals(DmaStatus.OK, rig.port(SID).read(VA, new byte[1], 0, 1));
    }

    @Test
    void a_cd_asking_for_a_non_cacheable_walk_is_not_coherent() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        Cpu cpu = rig.machine.cpu(0);
        PageTables pt = rig.tables(12, 48).via(cpu);
        pt.mapPage(VA, SmmuRig.DATA, PageTables.RW);
        rig.translate(SID, ASID, pt);
        rig.writeCd(SID, SmmuRig.cd0(ASID, 12, 48, false), pt.root); // IRGN0 = ORGN0 = NC
        assertEquals(DmaStatus.ABORT, rig.port(SID).read(VA, new byte[1], 0, 1));
    }

    @Test
    void a_non_coherent_smmu_reads_commands_from_ram_only() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5().withCoherentWalk(false)).enable();
        Cpu cpu = rig.machine.cpu(0);
        long slot = SmmuRig.CMDQ + (long) rig.prod() * SmmuRegisters.CMDQ_ENTRY_BYTES;
        cpu.storeLong(slot, 0xff); // an illegal opcode, dirty in the cache
        rig.ram.writeLong(slot, CommandLayout.OP_CMD_SYNC);
        rig.commandNoDoorbell(CommandLayout.OP_CMD_SYNC, 0); // what RAM holds
        cpu.storeLong(slot, 0xff); // and the CPU's newer, dirty, copy
        rig.doorbell();
        assertEquals(rig.prod(), rig.cons(), "the SMMU executed the CMD_SYNC it read from RAM");
        assertEquals(1, rig.smmu.counters().cmdSyncs());
    }

    @Test
    void a_coherent_event_queue_write_replaces_a_cpus_stale_copy_of_the_slot() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable(); // CR1.QUEUE_IC = WB
        Cpu cpu = rig.machine.cpu(0);
        assertEquals(0, cpu.loadLong(SmmuRig.EVTQ)); // the first slot, cached clean
        assertEquals(DmaStatus.ABORT, rig.port(300).read(0, new byte[1], 0, 1)); // bad stream
        long id = Fields.get(EventLayout.ID, cpu.loadLong(SmmuRig.EVTQ));
        assertEquals(SmmuEvent.Kind.BAD_STREAM_ID.id(), id);
        assertEquals(300, Fields.get(EventLayout.SID, cpu.loadLong(SmmuRig.EVTQ)));
    }

    @Test
    void a_non_cacheable_event_queue_is_written_to_ram_under_a_cpus_stale_copy() {
        SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
        rig.regs.writeRegister(SmmuRegisters.CR1, 0xd74); // QUEUE_IC = non-cacheable
        Cpu cpu = rig.machine.cpu(0);
        assertEquals(0, cpu.loadLong(SmmuRig.EVTQ));
        assertEquals(DmaStatus.ABORT, rig.port(300).read(0, new byte[1], 0, 1));
        assertEquals(SmmuEvent.Kind.BAD_STREAM_ID.id(),
                Fields.get(EventLayout.ID, rig.ram.readLong(SmmuRig.EVTQ)));
        assertEquals(0, cpu.loadLong(SmmuRig.EVTQ), "stale until the CPU invalidates");
        CacheMaintenance.of(cpu).invalidateLine(SmmuRig.EVTQ);
        assertEquals(SmmuEvent.Kind.BAD_STREAM_ID.id(),
                Fields.get(EventLayout.ID, cpu.loadLong(SmmuRig.EVTQ)));
    }

    @Test
    void a_non_cacheable_table_fetch_misses_a_dirty_ste_and_a_cacheable_one_sees_it() {
        for (boolean cacheable : new boolean[] {false, true}) {
            SmmuRig rig = new SmmuRig(SmmuConfig.gem5()).enable();
            rig.regs.writeRegister(SmmuRegisters.CR1, cacheable ? 0xd75 : 0xd35); // TABLE_IC
            Cpu cpu = rig.machine.cpu(0);
            long ste = SmmuRig.STRTAB + SID * (long) SteLayout.BYTES;
            // RAM holds an invalid STE; the CPU's newer, dirty, copy is a bypass STE
            cpu.storeLong(ste, SteLayout.V | Fields.prep(SteLayout.CONFIG, SteLayout.CONFIG_BYPASS));
            DmaStatus s = rig.port(SID).read(SmmuRig.DATA, new byte[1], 0, 1);
            assertEquals(cacheable ? DmaStatus.OK : DmaStatus.ABORT, s, "cacheable=" + cacheable);
            if (!cacheable) {
                assertEquals(SmmuEvent.Kind.BAD_STE, rig.smmu.events().get(0).kind());
            }
        }
    }
}
