package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.Machine;
import org.dmalib.hw.MachineConfig;
import org.dmalib.hw.Smmu;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.hw.smmu.SmmuRegisters;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.api.Test;

/**
 * Bad input to the driver's own calls (probe, allocateDomain, attach, detach, freeDomain): each
 * is a typed error naming the value, and leaves the table memory, the ASIDs, the stream table
 * and the command queue as they were, so that the next good call succeeds.
 */
class DriverBadInputTest {
    private static final int PAGE = 4096;
    private static final int SID = 5;

    @Test
    void a_probe_that_runs_out_of_table_memory_frees_what_it_took_and_leaves_the_smmu_alone() {
        Machine machine = Machine.create(MachineConfig.of(4 * Rig.GIB));
        Smmu smmu = machine.addSmmu(SmmuConfig.gem5());
        // 16 KiB of stream table and 64 KiB of command queue fit; the 64 KiB event queue not
        TableMemory small = TableMemory.of(machine, Rig.TABLES, 2 * TableMemory.MAX_BLOCK);
        SmmuProgramming regs = SmmuProgramming.of(smmu);
        int cr0 = regs.readRegister(SmmuRegisters.CR0);
        int cr2 = regs.readRegister(SmmuRegisters.CR2);
        PageTableMemoryException e = assertThrows(PageTableMemoryException.class,
                () -> SmmuV3.probe(smmu, machine.cpu(0), small));
        assertTrue(e.getMessage().contains("bytes=65536"), e.getMessage());
        assertEquals(0, small.bytesInUse(), "the stream table and the command queue are freed");
        assertEquals(0, small.blocksInUse());
        assertEquals(cr0, regs.readRegister(SmmuRegisters.CR0), "nothing was programmed");
        assertEquals(cr2, regs.readRegister(SmmuRegisters.CR2));
        assertEquals(0, smmu.counters().commands());
        // the same SMMU probes in a region big enough
        SmmuV3 driver = SmmuV3.probe(smmu, machine.cpu(0),
                TableMemory.of(machine, Rig.TABLES + 2 * TableMemory.MAX_BLOCK, Rig.MIB));
        IommuDomain domain = driver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX,
                PAGE, 48);
        driver.attach(domain, SID);
        domain.map(0, Rig.DATA, PAGE, IommuProt.READ);
        assertEquals(DmaStatus.OK,
                Rig.read(machine.attach(SID, Coherency.COHERENT, smmu), 0));
    }
}
