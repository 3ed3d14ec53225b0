package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.hw.smmu.SmmuRegisters;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.PageSizes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Probe, features, reset sequence, and data moving through a translated stream. */
class SmmuV3ProbeTest {
    @Test
    void probe_reads_the_features_of_an_smmuv3_2_with_coherent_walks() {
        Rig rig = new Rig(SmmuConfig.gem5());
        SmmuFeatures f = rig.driver.features();
        assertTrue(f.rangeInvalidation());
        assertTrue(f.coherentWalk());
        assertEquals(PageSizes.of(1L << 12, 1L << 14, 1L << 16), f.granules());
        assertEquals(48, f.outputAddressBits());
        assertEquals(16, f.asidBits());
        assertEquals(8, f.streamIdBits());
        assertEquals(8, f.streamTableLog2());
        assertEquals(12, f.commandQueueLog2());
        assertEquals(11, f.eventQueueLog2());
    }

    @Test
    void probe_reads_the_features_of_a_non_coherent_smmu_without_ril() {
        Rig rig = new Rig(SmmuConfig.gem5().withRangeInvalidation(false).withCoherentWalk(false));
        assertFalse(rig.driver.features().rangeInvalidation());
        assertFalse(rig.driver.features().coherentWalk());
    }

    @Test
    void probe_enables_the_smmu_after_invalidating_configuration_and_tlbs() {
        Rig rig = new Rig(SmmuConfig.gem5());
        SmmuProgramming regs = SmmuProgramming.of(rig.smmu);
        long on = SmmuRegisters.CR0_SMMUEN | SmmuRegisters.CR0_CMDQEN | SmmuRegisters.CR0_EVENTQEN;
        assertEquals(on, regs.readRegister(SmmuRegisters.CR0ACK));
        assertTrue((regs.readRegister(SmmuRegisters.GBPA) & SmmuRegisters.GBPA_ABORT) != 0);
        SmmuCounters c = rig.smmu.counters();
        assertEquals(1, c.cfgiSte(), "CFGI_ALL");
        assertEquals(1, c.tlbiNhAll(), "TLBI_NSNH_ALL");
        assertEquals(2, c.cmdSyncs());
        assertEquals(0, c.commandErrors());
        SmmuDriverCounters d = rig.driver.counters();
        assertEquals(1, d.cfgi());
        assertEquals(1, d.tlbiNhAll());
        assertEquals(2, d.cmdSyncs());
        assertEquals(2, d.batches());
        assertEquals(new SmmuDriverCounters(0, 0, 1, 1, 2, 2, 0, 0, 0), d, "nothing else");
        assertEquals(SmmuDriverCounters.ZERO, d.minus(d));
        // a stream nobody attached hits an abort STE: no translation, no event
        assertEquals(DmaStatus.ABORT, Rig.read(rig.port(3), 0));
        assertTrue(rig.driver.drainEvents().isEmpty());
    }

    @Test
    void a_command_queue_of_64_entries_is_refused() {
        SmmuConfig small = new SmmuConfig(true, true, true, true, true, 48, 16, 8, 6, 8,
                IotlbGeometry.GEM5);
        SmmuProbeException e = assertThrows(SmmuProbeException.class, () -> new Rig(small));
        assertTrue(e.getMessage().contains("CMDQS=6"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {4096, 16384, 65536})
    void a_device_reads_and_writes_mapped_memory_through_its_port(int granule) {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, granule);
        rig.driver.attach(domain, 7);
        DmaPort port = rig.port(7);
        long iova = 0x1_0000_0000L;
        domain.map(iova, Rig.DATA, 4L * granule, IommuProt.READ_WRITE);
        byte[] data = {1, 2, 3, 4, 5, 6, 7, 8};
        long off = 3L * granule + 16;
        assertEquals(DmaStatus.OK, port.write(iova + off, data, 0, data.length));
        byte[] ram = new byte[8];
        rig.machine.memory().read(Rig.DATA + off, ram, 0, 8);
        assertArrayEquals(data, ram);
        rig.machine.memory().write(Rig.DATA + 32, new byte[] {42}, 0, 1);
        byte[] got = new byte[1];
        assertEquals(DmaStatus.OK, port.read(iova + 32, got, 0, 1));
        assertEquals(42, got[0]);
        assertEquals(Rig.DATA + off, domain.iovaToPhys(iova + off).orElseThrow());
    }

    @Test
    void a_device_reaches_memory_through_a_2m_block() {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, 4096);
        rig.driver.attach(domain, 7);
        DmaPort port = rig.port(7);
        long iova = 0x4000_0000L;
        domain.map(iova, Rig.DATA, 2 * Rig.MIB, IommuProt.READ_WRITE);
        byte[] one = {9};
        assertEquals(DmaStatus.OK, port.write(iova + Rig.MIB + 8, one, 0, 1));
        assertEquals(9, rig.machine.memory().readByte(Rig.DATA + Rig.MIB + 8));
        assertEquals(3, rig.driver.domainOps(domain).table().tablesInUse(),
                "L0, L1 and L2 tables only: the 2 MiB is one block entry");
    }

    @Test
    void map_issues_no_tlb_invalidation() {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, 4096);
        rig.driver.attach(domain, 7);
        SmmuCounters before = rig.smmu.counters();
        SmmuDriverCounters dBefore = rig.driver.counters();
        domain.map(0x10_0000, Rig.DATA, 64 * Rig.MIB + 4096, IommuProt.READ_WRITE);
        assertEquals(0, rig.smmu.counters().minus(before).commands());
        assertEquals(0, rig.driver.counters().minus(dBefore).batches());
    }

    @Test
    void probe_programs_non_cacheable_queue_and_table_accesses_and_records_invalid_streams() {
        Rig rig = new Rig(SmmuConfig.gem5());
        SmmuProgramming regs = SmmuProgramming.of(rig.smmu);
        assertEquals(0, regs.readRegister(SmmuRegisters.CR1), "CR1: non-cacheable, as Linux");
        assertEquals(SmmuRegisters.CR2_PTM | SmmuRegisters.CR2_RECINVSID,
                regs.readRegister(SmmuRegisters.CR2), "CR2: PTM and RECINVSID, as Linux");
    }

    @Test
    void probe_takes_the_granules_the_smmu_has() {
        Rig rig = new Rig(new SmmuConfig(true, true, false, true, false, 48, 16, 8, 19, 19,
                IotlbGeometry.GEM5));
        assertEquals(PageSizes.of(1L << 14), rig.driver.features().granules());
    }
}
