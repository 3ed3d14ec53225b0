package org.dmalib.iommu.smmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.DmaStatus;
import org.dmalib.hw.IotlbGeometry;
import org.dmalib.hw.SmmuConfig;
import org.dmalib.hw.SmmuCounters;
import org.dmalib.hw.SmmuEvent;
import org.dmalib.hw.smmu.SmmuProgramming;
import org.dmalib.hw.smmu.SmmuRegisters;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.IommuProt;
import org.dmalib.iommu.api.internal.tlb.IotlbGather;
import org.dmalib.iommu.api.internal.tlb.TlbCommand;
import org.dmalib.iommu.api.spi.FlushOps;
import org.dmalib.iommu.api.spi.GatheringDomain;
import org.dmalib.iommu.smmu.internal.cmdq.Commands;
import org.junit.jupiter.api.Test;

/** Walk flushes, command errors, faults, ASIDs, streams and domain lifetime. */
class DriverTest {
    private static final int SID = 7;
    private static final long PAGE = 4096;

    @Test
    void freeing_tables_flushes_the_walk_cache_before_their_memory_is_reused() {
        Recorder recorder = new Recorder();
        PageTableFactory recording = (g, ias, oas, coh, cpu, mem, flush) ->
                Rig.PAGE_TABLES.allocate(g, ias, oas, coh, cpu, mem, new FlushOps() {
                    @Override
                    public void flushAll() {
                        flush.flushAll();
                    }

                    @Override
                    public void flushWalk(long iova, long size, long granule) {
                        long bytes = mem.bytesInUse();
                        SmmuCounters before = recorder.rig.smmu.counters();
                        flush.flushWalk(iova, size, granule);
                        long tlbis = recorder.rig.smmu.counters().minus(before).tlbiNhVa();
                        recorder.walks.add(new long[] {iova, size, granule, bytes, tlbis});
                    }

                    @Override
                    public void addPage(IotlbGather gather, long iova, long granule) {
                        flush.addPage(gather, iova, granule);
                    }
                });
        Rig rig = new Rig(SmmuConfig.gem5(), recording);
        recorder.rig = rig;
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(domain, SID);
        DmaPort port = rig.port(SID);
        long iova = 4 * Rig.GIB;
        // paddr not 2 MiB-congruent with iova: 1024 pages of 4 KiB in two level-3 tables
        domain.map(iova, Rig.DATA + PAGE, 4 * Rig.MIB, IommuProt.READ_WRITE);
        Rig.assertReads(port, iova, 4 * Rig.MIB, PAGE, DmaStatus.OK);
        long bytesBefore = rig.tables.bytesInUse();
        int tablesBefore = rig.driver.domainOps(domain).table().tablesInUse();
        assertEquals(Rig.GIB, domain.unmap(iova, Rig.GIB)); // one 1 GiB "page" over a table
        assertEquals(1, recorder.walks.size());
        long[] w = recorder.walks.get(0);
        assertEquals(iova, w[0]);
        assertEquals(Rig.GIB, w[1]);
        assertEquals(PAGE, w[2]);
        assertEquals(bytesBefore, w[3], "no table was freed before the walk flush");
        assertEquals(1, w[4], "the walk flush ran (one range TLBI) before it returned");
        assertEquals(tablesBefore - 3, rig.driver.domainOps(domain).table().tablesInUse());
        // the freed tables are reused by the next map; the old translations stay unreachable
        domain.map(iova + 8 * Rig.MIB, Rig.DATA, PAGE, IommuProt.READ);
        Rig.assertReads(port, iova, 4 * Rig.MIB, PAGE, DmaStatus.ABORT);
        assertEquals(DmaStatus.OK, Rig.read(port, iova + 8 * Rig.MIB));
    }

    /** Mutable holder: the factory is built before the rig it reports on. */
    private static final class Recorder {
        Rig rig;
        final List<long[]> walks = new ArrayList<>();
    }

    @Test
    void an_illegal_command_is_skipped_and_the_queue_goes_on() {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(domain, SID);
        DmaPort port = rig.port(SID);
        long iova = 0x10_0000;
        domain.map(iova, Rig.DATA, PAGE, IommuProt.READ);
        assertEquals(DmaStatus.OK, Rig.read(port, iova));
        IotlbGather gather = new IotlbGather();
        gather.setQueued(true); // a flush queue would invalidate later: nothing is issued now
        ((GatheringDomain) domain).unmapFast(iova, PAGE, gather);
        assertEquals(DmaStatus.OK, Rig.read(port, iova), "stale IOTLB entry");
        int asid = rig.driver.domainOps(domain).asid();
        rig.driver.commandQueue().submitEncoded(List.of(new Commands.Command(0x7f, 0),
                Commands.encode(new TlbCommand.TlbiNhAsid(asid))));
        assertEquals(DmaStatus.ABORT, Rig.read(port, iova), "the TLBI after the bad command ran");
        assertEquals(1, rig.driver.counters().commandErrors());
        assertEquals(1, rig.smmu.counters().commandErrors());
        SmmuProgramming regs = SmmuProgramming.of(rig.smmu);
        assertEquals(0, regs.readRegister(SmmuRegisters.GERROR)
                ^ regs.readRegister(SmmuRegisters.GERRORN));
        domain.map(iova, Rig.DATA, PAGE, IommuProt.READ); // the queue still works
        assertEquals(PAGE, domain.unmap(iova, PAGE));
    }

    @Test
    void faults_are_drained_with_stream_address_and_direction() {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(domain, SID);
        DmaPort port = rig.port(SID);
        domain.map(0x20_0000, Rig.DATA, PAGE, IommuProt.READ);
        assertEquals(DmaStatus.ABORT, port.write(0x30_0040, new byte[1], 0, 1));
        assertEquals(DmaStatus.ABORT, Rig.read(port, 0x30_1000));
        assertEquals(DmaStatus.ABORT, port.write(0x20_0008, new byte[1], 0, 1));
        assertEquals(List.of(
                new SmmuFault(SmmuEvent.Kind.TRANSLATION_FAULT, SID, 0x30_0040, true, 0),
                new SmmuFault(SmmuEvent.Kind.TRANSLATION_FAULT, SID, 0x30_1000, false, 0),
                new SmmuFault(SmmuEvent.Kind.PERMISSION_FAULT, SID, 0x20_0008, true, 0)),
                rig.driver.drainEvents());
        assertTrue(rig.driver.drainEvents().isEmpty());
        assertEquals(3, rig.driver.counters().eventsDrained());
        assertEquals(3, rig.smmu.events().size(), "the hardware log is untouched");
    }

    @Test
    void asid_exhaustion_is_a_typed_error_and_a_freed_asid_is_reused() {
        SmmuConfig eightBit = new SmmuConfig(true, true, true, false, false, 48, 8, 8, 19, 19,
                IotlbGeometry.GEM5);
        Rig rig = new Rig(eightBit);
        List<IommuDomain> all = new ArrayList<>();
        for (int i = 0; i < 255; i++) {
            all.add(rig.domain(InvalidationStrategy.LINUX, (int) PAGE));
        }
        long bytes = rig.tables.bytesInUse();
        AsidExhaustedException e = assertThrows(AsidExhaustedException.class,
                () -> rig.domain(InvalidationStrategy.LINUX, (int) PAGE));
        assertTrue(e.getMessage().contains("255"), e.getMessage());
        assertEquals(bytes, rig.tables.bytesInUse(), "nothing allocated");
        int freed = rig.driver.domainOps(all.get(41)).asid();
        rig.driver.freeDomain(all.get(41));
        assertEquals(freed, rig.driver.domainOps(rig.domain(InvalidationStrategy.LINUX, 4096))
                .asid());
    }

    @Test
    void streams_outside_the_table_or_in_use_are_typed_errors() {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain a = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        IommuDomain b = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        StreamIdException unknown = assertThrows(StreamIdException.class,
                () -> rig.driver.attach(a, 256));
        assertTrue(unknown.getMessage().contains("256"), unknown.getMessage());
        assertThrows(StreamIdException.class, () -> rig.driver.attach(a, -1));
        rig.driver.attach(a, SID);
        StreamInUseException busy = assertThrows(StreamInUseException.class,
                () -> rig.driver.attach(b, SID));
        assertTrue(busy.getMessage().contains("streamId=7"), busy.getMessage());
        assertThrows(StreamInUseException.class, () -> rig.driver.detach(SID + 1));
        assertThrows(DomainBusyException.class, () -> rig.driver.freeDomain(a));
        rig.driver.detach(SID);
        rig.driver.attach(b, SID);
        assertThrows(IllegalArgumentException.class,
                () -> rig.driver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX, 8192, 48));
        assertThrows(IllegalArgumentException.class,
                () -> rig.driver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX, 4096, 49));
    }

    @Test
    void detach_aborts_the_stream_and_free_releases_tables_and_invalidates_the_asid() {
        Rig rig = new Rig(SmmuConfig.gem5());
        long bytes = rig.tables.bytesInUse();
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(domain, SID);
        DmaPort port = rig.port(SID);
        domain.map(0x40_0000, Rig.DATA, 16 * PAGE, IommuProt.READ_WRITE);
        assertEquals(DmaStatus.OK, Rig.read(port, 0x40_0000));
        rig.driver.detach(SID);
        assertEquals(DmaStatus.ABORT, Rig.read(port, 0x40_0000));
        SmmuDriverCounters before = rig.driver.counters();
        rig.driver.freeDomain(domain);
        assertEquals(1, rig.driver.counters().minus(before).tlbiNhAsid());
        assertEquals(bytes, rig.tables.bytesInUse(), "tables and CD are back");
        assertThrows(IllegalStateException.class,
                () -> domain.map(0, Rig.DATA, PAGE, IommuProt.READ));
        assertThrows(DomainBusyException.class, () -> rig.driver.freeDomain(domain));
        assertThrows(DomainBusyException.class, () -> rig.driver.attach(domain, SID));
    }

    @Test
    void a_domain_stays_busy_until_its_last_stream_is_detached() {
        Rig rig = new Rig(SmmuConfig.gem5());
        IommuDomain domain = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        IommuDomain other = rig.domain(InvalidationStrategy.LINUX, (int) PAGE);
        rig.driver.attach(domain, SID);
        rig.driver.attach(domain, SID + 1);
        rig.driver.attach(other, SID + 2);
        rig.driver.detach(SID);
        assertThrows(DomainBusyException.class, () -> rig.driver.freeDomain(domain),
                "one stream is still attached");
        rig.driver.detach(SID + 1);
        rig.driver.freeDomain(domain);
        assertThrows(DomainBusyException.class, () -> rig.driver.freeDomain(other));
        rig.driver.detach(SID + 2);
        rig.driver.freeDomain(other);
    }
}
