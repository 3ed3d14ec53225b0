package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.stream.LongStream;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.hw.smmu.SmmuRegisters;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.junit.jupiter.api.Test;

/**
 * A probe of an SMMU another driver left running (a kexec'd kernel, {@code arm_smmu_device_reset}
 * on an enabled SMMU): the new driver starts from its own empty queues and an all-abort stream
 * table, whatever the old one left in the queue pointers and CR1.
 */
class ReprobeTest {
    private static final int SID = 3;
    private static final long PAGE = 4096;

    @Test
    void a_second_probe_of_a_running_smmu_starts_with_empty_queues_and_aborting_streams() {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain old = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(old, SID);
        DmaPort port = rig.port(SID);
        old.map(0, Rig.DATA, PAGE, IommuProt.READ);
        assertEquals(DmaStatus.OK, Rig.read(port, 0));
        for (int i = 1; i <= 3; i++) { // events, and commands, move both queues' pointers
            assertEquals(DmaStatus.ABORT, Rig.read(port, i * PAGE));
        }
        assertEquals(3, rig.driver.drainEvents().size());
        SmmuProgramming regs = SmmuProgramming.of(rig.smmu);
        // the old owner read its tables and queues cacheable: IC/OC write-back, inner shareable
        regs.writeRegister(SmmuRegisters.CR1, 0x0d5);

        TableMemory second = TableMemory.of(rig.machine, 64 * Rig.MIB, 16 * Rig.MIB);
        SmmuV3 driver = SmmuV3.probe(rig.smmu, rig.machine.cpu(0), second);

        assertSame(rig.smmu, driver.smmu());
        assertEquals(0, regs.readRegister(SmmuRegisters.CR1), "non-cacheable again");
        assertEquals(DmaStatus.ABORT, Rig.read(port, 0), "the old domain's stream aborts");
        assertEquals(List.of(), driver.drainEvents(), "an abort STE records nothing");
        IommuDomain fresh = driver.allocateDomain(DomainType.UNMANAGED,
                InvalidationStrategy.LINUX, (int) PAGE, 48);
        driver.attach(fresh, SID);
        fresh.map(0, Rig.DATA + PAGE, PAGE, IommuProt.READ);
        assertEquals(DmaStatus.OK, Rig.read(port, 0));
        assertEquals(DmaStatus.ABORT, Rig.read(port, 5 * PAGE));
        assertEquals(List.of(new SmmuFault(SmmuEvent.Kind.TRANSLATION_FAULT, SID, 5 * PAGE,
                false, 0)), driver.drainEvents());
        SmmuDriverCounters c = driver.counters();
        assertEquals(0, c.commandErrors(), "the SMMU read only the new driver's commands");
        assertEquals(1, c.eventsDrained(), "and the new driver only the SMMU's new event");
        assertEquals(0, c.eventOverflows());
        fresh.unmap(0, PAGE);
        assertEquals(DmaStatus.ABORT, Rig.read(port, 0), "its invalidations reach the SMMU");
    }

    @Test
    void after_a_second_probe_the_event_queue_takes_exactly_its_size_of_new_faults() {
        // an event queue of 8 records
        Rig rig = new Rig(new SmmuConfig(true, true, true, false, false, 48, 16, 8, 19, 3,
                IotlbGeometry.GEM5));
        IommuDomain old = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(old, SID);
        DmaPort port = rig.port(SID);
        for (int i = 1; i <= 3; i++) {
            assertEquals(DmaStatus.ABORT, Rig.read(port, i * PAGE));
        }
        assertEquals(3, rig.driver.drainEvents().size());

        SmmuV3 driver = SmmuV3.probe(rig.smmu, rig.machine.cpu(0),
                TableMemory.of(rig.machine, 64 * Rig.MIB, 16 * Rig.MIB));
        IommuDomain fresh = driver.allocateDomain(DomainType.UNMANAGED,
                InvalidationStrategy.LINUX, (int) PAGE, 48);
        driver.attach(fresh, SID);
        for (int i = 1; i <= 10; i++) {
            assertEquals(DmaStatus.ABORT, Rig.read(port, i * 0x10_0000L));
        }
        List<Long> addresses = driver.drainEvents().stream().map(SmmuFault::address).toList();
        assertEquals(LongStream.rangeClosed(1, 8).mapToObj(i -> i * 0x10_0000L).toList(),
                addresses, "the first 8 faults, in order; the last 2 lost");
        assertEquals(1, driver.counters().eventOverflows());
    }
}
