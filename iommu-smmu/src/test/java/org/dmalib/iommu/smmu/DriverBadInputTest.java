package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.IotlbGeometry;
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
import org.junit.jupiter.api.Timeout;

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
        assertEquals(String.format("table memory [0x%x, 0x%x) exhausted: no block of bytes=65536"
                + " left", Rig.TABLES, Rig.TABLES + 2 * TableMemory.MAX_BLOCK), e.getMessage(),
                "the exhaustion itself, not a failure of the cleanup");
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
    void an_unsupported_granule_or_input_size_is_refused_naming_it_and_takes_no_asid() {
        Rig only4k = new Rig(new SmmuConfig(true, true, true, false, false, 48, 16, 8, 19, 19,
                IotlbGeometry.GEM5));
        long bytes = only4k.tables.bytesInUse();
        Object[][] bad = {
            {0, 48, "granule=0x0"}, {-PAGE, 48, "granule=0xfffff000"},
            {PAGE + 1, 48, "granule=0x1001"},
            {2 * PAGE, 48, "granule=0x2000"}, {16384, 48, "granule=0x4000"},
            {65536, 48, "granule=0x10000"}, {PAGE, 24, "ias=24"}, {PAGE, 49, "ias=49"},
            {PAGE, -1, "ias=-1"}, {PAGE, 64, "ias=64"},
        };
        for (Object[] b : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> only4k.driver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX,
                            (int) b[0], (int) b[1]), b[2].toString());
            assertTrue(e.getMessage().contains(b[2].toString()), e.getMessage());
        }
        // the driver's own bound: what a CD's T0SZ with one TTB can express
        for (int ias : new int[] {24, 49}) {
            assertEquals("ias=" + ias + " must be 25 to 48", assertThrows(
                    IllegalArgumentException.class, () -> only4k.driver.allocateDomain(
                            DomainType.DMA, InvalidationStrategy.LINUX, PAGE, ias)).getMessage());
        }
        assertThrows(NullPointerException.class, () -> only4k.driver.allocateDomain(
                null, InvalidationStrategy.LINUX, PAGE, 48));
        assertThrows(NullPointerException.class, () -> only4k.driver.allocateDomain(
                DomainType.DMA, null, PAGE, 48));
        assertEquals(bytes, only4k.tables.bytesInUse(), "no table allocated");
        IommuDomain good = only4k.domain(InvalidationStrategy.LINUX, PAGE);
        assertEquals(1, only4k.driver.domainOps(good).asid(), "no ASID was taken");
    }

    @Test
    void a_domain_whose_pgd_cannot_be_allocated_takes_no_asid_and_no_memory() {
        Hoard hoard = Hoard.all(rig.tables);
        long bytes = rig.tables.bytesInUse();
        PageTableMemoryException e = assertThrows(PageTableMemoryException.class,
                () -> rig.domain(InvalidationStrategy.LINUX, PAGE));
        assertTrue(e.getMessage().contains("bytes=4096"), e.getMessage());
        assertEquals(bytes, rig.tables.bytesInUse());
        hoard.release4k(1);
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, PAGE);
        assertEquals(1, rig.driver.domainOps(domain).asid(), "the failed one's ASID was released");
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

    @Test
    void a_stream_attached_twice_or_a_domain_of_another_smmu_is_refused_and_changes_nothing() {
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, PAGE);
        domain.map(0, Rig.DATA, PAGE, IommuProt.READ);
        rig.driver.attach(domain, SID);
        Rig other = new Rig(SmmuConfig.gem5());
        IommuDomain foreign = other.domain(InvalidationStrategy.LINUX, PAGE);
        long bytes = rig.tables.bytesInUse();
        SmmuDriverCounters before = rig.driver.counters();
        StreamInUseException twice = assertThrows(StreamInUseException.class,
                () -> rig.driver.attach(domain, SID));
        assertTrue(twice.getMessage().contains("streamId=" + SID), twice.getMessage());
        DomainBusyException notOurs = assertThrows(DomainBusyException.class,
                () -> rig.driver.attach(foreign, SID + 1));
        assertTrue(notOurs.getMessage().contains("not a live domain"), notOurs.getMessage());
        assertThrows(DomainBusyException.class, () -> rig.driver.freeDomain(foreign));
        assertThrows(NullPointerException.class, () -> rig.driver.attach(null, SID + 1));
        assertThrows(NullPointerException.class, () -> rig.driver.freeDomain(null));
        StreamIdException big = assertThrows(StreamIdException.class,
                () -> rig.driver.attach(domain, Integer.MAX_VALUE));
        assertTrue(big.getMessage().contains("streamId=" + Integer.MAX_VALUE), big.getMessage());
        assertThrows(StreamIdException.class, () -> rig.driver.attach(domain, Integer.MIN_VALUE));
        assertEquals(bytes, rig.tables.bytesInUse());
        assertEquals(SmmuDriverCounters.ZERO, rig.driver.counters().minus(before));
        assertEquals(DmaStatus.OK, Rig.read(rig.port(SID), 0), "the attached stream still works");
        assertEquals(DmaStatus.ABORT, Rig.read(rig.port(SID + 1), 0));
        foreign.map(0, Rig.DATA, PAGE, IommuProt.READ); // the other driver's domain is alive
        other.driver.freeDomain(foreign);
    }

    @Test
    void a_stream_detached_twice_is_refused_and_issues_nothing() {
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, PAGE);
        rig.driver.attach(domain, SID);
        rig.driver.detach(SID);
        long bytes = rig.tables.bytesInUse();
        SmmuDriverCounters before = rig.driver.counters();
        StreamInUseException e = assertThrows(StreamInUseException.class,
                () -> rig.driver.detach(SID));
        assertTrue(e.getMessage().contains("streamId=" + SID), e.getMessage());
        assertEquals(bytes, rig.tables.bytesInUse(), "the CD was freed once");
        assertEquals(SmmuDriverCounters.ZERO, rig.driver.counters().minus(before));
        rig.driver.attach(domain, SID);
    }

    @Test
    @Timeout(30) // the wait for both threads to block on the lock must not hang the build
    void of_two_racing_frees_of_one_domain_one_frees_it_and_the_other_is_refused()
            throws InterruptedException {
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, PAGE);
        domain.map(0, Rig.DATA, PAGE, IommuProt.READ);
        long bytes = rig.tables.bytesInUse();
        SmmuDriverCounters before = rig.driver.counters();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        Thread[] frees = new Thread[2];
        synchronized (rig.driver.streamTable()) {
            for (int i = 0; i < frees.length; i++) {
                frees[i] = new Thread(() -> {
                    try {
                        rig.driver.freeDomain(domain);
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                });
                frees[i].start();
            }
            // both wait for the lock: whatever either checks before taking it, both have checked
            for (Thread t : frees) {
                while (t.getState() != Thread.State.BLOCKED) {
                    Thread.onSpinWait();
                }
            }
        }
        for (Thread t : frees) {
            t.join();
        }
        assertEquals(1, failures.size(), failures.toString());
        assertInstanceOf(DomainBusyException.class, failures.get(0));
        SmmuDriverCounters d = rig.driver.counters().minus(before);
        assertEquals(1, d.tlbiNhAsid(), "one ASID invalidation: the second free issued nothing");
        assertTrue(rig.tables.bytesInUse() < bytes);
        assertEquals(1, rig.driver.domainOps(rig.domain(InvalidationStrategy.LINUX, PAGE)).asid(),
                "the ASID was released once and is free again");
    }
}
