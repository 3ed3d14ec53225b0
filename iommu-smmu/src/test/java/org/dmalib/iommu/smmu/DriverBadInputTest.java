package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
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
    private final Rig rig = new Rig(SmmuConfig.gem5());

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

    @Test
    void an_attach_whose_context_descriptor_cannot_be_allocated_leaves_the_stream_aborting() {
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, PAGE);
        domain.map(0, Rig.DATA, PAGE, IommuProt.READ);
        Hoard hoard = Hoard.all(rig.tables);
        long bytes = rig.tables.bytesInUse();
        SmmuDriverCounters before = rig.driver.counters();
        PageTableMemoryException e = assertThrows(PageTableMemoryException.class,
                () -> rig.driver.attach(domain, SID));
        assertTrue(e.getMessage().contains("bytes=64"), e.getMessage());
        assertEquals(bytes, rig.tables.bytesInUse());
        assertEquals(SmmuDriverCounters.ZERO, rig.driver.counters().minus(before), "no CFGI");
        DmaPort port = rig.port(SID);
        assertEquals(DmaStatus.ABORT, Rig.read(port, 0), "the STE still aborts");
        assertTrue(rig.driver.drainEvents().isEmpty(), "an abort STE records nothing");
        assertThrows(StreamInUseException.class, () -> rig.driver.detach(SID), "not attached");
        rig.driver.freeDomain(domain); // no stream holds it
        hoard.releaseAll();
        IommuDomain again = rig.domain(InvalidationStrategy.LINUX, PAGE);
        again.map(0, Rig.DATA, PAGE, IommuProt.READ);
        rig.driver.attach(again, SID);
        assertEquals(DmaStatus.OK, Rig.read(port, 0));
    }
}
