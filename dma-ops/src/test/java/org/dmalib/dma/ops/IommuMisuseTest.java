package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.DmaPort;
import org.dmalib.hw.HwCounters;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;
import org.dmalib.iommu.api.DomainType;
import org.dmalib.iommu.api.InvalidationStrategy;
import org.dmalib.iommu.api.IommuDomain;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;
import org.dmalib.iommu.smmu.SmmuDriverCounters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Misuse over an IOMMU ({@link MisuseTest} is the direct path's): every bad call gets its typed
 * exception naming the bad value and leaves the domain as it was: no IOVA range outstanding
 * that was not before, no page table taken, no invalidation issued, nothing queued for a lazy
 * flush, no bounce slot or page taken, no mapping registered or removed; a good call after it
 * still works.
 */
class IommuMisuseTest {
    private static final DmaDirection TO = DmaDirection.TO_DEVICE;
    private static final DmaDirection FROM = DmaDirection.FROM_DEVICE;

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    /**
     * What a refused call must leave as it was. A map that fails part way may have taken page
     * tables (an unmap keeps them, as io-pgtable does) and issued the invalidations of its undo;
     * {@link #withoutIommuWork} leaves those two out.
     */
    private record Snapshot(List<PendingMapping> pending, long iovas, int queued, LazyFlushCounters flushes,
            int slots, int pages, long tables, SmmuDriverCounters driver) {
        static Snapshot of(IommuRig r) {
            return new Snapshot(r.dev.pendingMappings(), r.dmaDomain.iovaRangesOutstanding(),
                    r.dmaDomain.flushQueuePending(), r.dmaDomain.flushQueueCounters(),
                    r.memory.bounceSlotsInUse(), r.memory.pagesInUse(), r.tables.bytesInUse(), r.driverCounters());
        }

        Snapshot withoutIommuWork() {
            return new Snapshot(pending, iovas, queued, flushes, slots, pages, 0, null);
        }
    }

    /**
     * Runs {@code call}, expects a {@code type} whose message names {@code named}, and checks
     * that the domain, the pool, the allocator and the device are as they were. A usage error
     * is refused before any work: no page table, invalidation or cache maintenance either.
     */
    @CanIgnoreReturnValue
    private static <T extends RuntimeException> T rejects(IommuRig r, Class<T> type, String named,
            Executable call) {
        Snapshot before = Snapshot.of(r);
        HwCounters hw = r.machine.counters();
        T e = assertThrows(type, call);
        assertTrue(e.getMessage().contains(named), () -> "message names " + named + ": " + e.getMessage());
        if (e instanceof DmaUsageException) {
            assertEquals(before, Snapshot.of(r), "nothing mapped, leaked, queued, unregistered or invalidated");
            assertEquals(hw, r.machine.counters(), "no cache maintenance, no access");
        } else {
            assertEquals(before.withoutIommuWork(), Snapshot.of(r).withoutIommuWork(),
                    "nothing mapped, leaked, queued or unregistered");
        }
        return e;
    }

    /** A second device, stream 4, behind the rig's domain: the two share one IOVA space. */
    private static DmaDevice neighbour(IommuRig r) {
        r.driver.attach(r.domain, 4);
        DmaPort port = r.machine.attach(4, Coherency.NON_COHERENT, r.smmu);
        return DmaDevice.create(r.memory, DeviceParams.of(port), r.dmaDomain);
    }

    @Test
    void aSecondDmaDomainOverOneIommuDomainIsRefusedNamingItAndTheFirstKeepsWorking() {
        // Linux's iommu_get_dma_cookie: -EEXIST; two IOVA spaces would hand out the same IOVAs
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        DmaUsageException e = assertThrows(DmaUsageException.class,
                () -> IommuDmaDomain.create(r.memory, r.domain));
        assertTrue(e.getMessage().contains("domain=" + r.domain)
                && e.getMessage().contains("already has a DMA domain"), e.getMessage());
        CpuBuffer buf = r.memory.allocate(4096);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, TO);
        assertTrue(r.anyTranslated(m.dmaAddress(), 4096), "the first DMA domain still maps");
        m.unmap(r.cpu);
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void ofTwoRacingDmaDomainSetUpsOverOneIommuDomainExactlyOneWins() throws Exception {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        for (int round = 0; round < 50; round++) {
            IommuDomain fresh = r.driver.allocateDomain(DomainType.DMA, InvalidationStrategy.LINUX, 4096, 48);
            CyclicBarrier start = new CyclicBarrier(2);
            List<CompletableFuture<Boolean>> setUps = List.of(
                    CompletableFuture.supplyAsync(() -> racingCreate(r, fresh, start)),
                    CompletableFuture.supplyAsync(() -> racingCreate(r, fresh, start)));
            long won = setUps.stream().filter(CompletableFuture::join).count();
            assertEquals(1, won, "round " + round + ": exactly one set-up takes the cookie");
            r.driver.freeDomain(fresh);
        }
    }

    /** Creates a DMA domain over {@code domain} once both racers are ready; false if refused. */
    private static boolean racingCreate(IommuRig r, IommuDomain domain, CyclicBarrier start) {
        try {
            start.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        try {
            IommuDmaDomain unused = IommuDmaDomain.create(r.memory, domain);
            return true;
        } catch (DmaUsageException e) {
            return false;
        }
    }

    @Test
    void anotherDevicesMappingsInTheSameDomainAreNotFoundByAddressAndStayMapped() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT);
        DmaDevice other = neighbour(r);
        CpuBuffer buf = r.memory.allocate(8192);
        byte[] data = Rig.pattern(8192, 3);
        buf.write(r.cpu, 0, data);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, TO);
        CoherentBuffer ring = r.dev.allocCoherent(r.cpu, 4096);
        long iova = m.dmaAddress();
        String named = String.format("dmaAddress=0x%x", iova);
        rejects(r, DmaDebugException.class, named, () -> other.unmapSingle(r.cpu, iova, 8192, TO));
        rejects(r, DmaDebugException.class, named, () -> other.unmapSg(r.cpu, iova, 1, TO));
        rejects(r, DmaDebugException.class, named, () -> other.syncSingleForDevice(r.cpu, iova, 64, TO));
        rejects(r, DmaDebugException.class, String.format("dmaAddress=0x%x", ring.dmaAddress()),
                () -> other.freeCoherent(4096, ring.cpuAddress(), ring.dmaAddress()));
        assertEquals(0, r.dev.debugReportCount(), "the reports are the other device's");
        assertEquals(4, other.debugReportCount());
        assertTrue(m.isMapped() && r.anyTranslated(iova, 8192) && !ring.isFreed());
        assertArrayEquals(data, r.deviceRead(iova, 8192), "the mapping still works");
        // the other device maps and unmaps its own buffer beside it
        DmaMapping own = other.mapSingle(r.cpu, r.memory.allocate(4096), TO);
        assertFalse(m.contains(own.dmaAddress()));
        own.unmap(r.cpu);
        r.dev.unmapSingle(r.cpu, iova, 8192, TO);
        r.dev.freeCoherent(4096, ring.cpuAddress(), ring.dmaAddress());
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void aSyncByAddressIntoTheBoundaryPaddingIsInNoMapping() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT,
                p -> p.withSegmentBoundaryMask(0xFFFF).withMaxSegmentSize(1 << 20));
        CpuBuffer a = r.memory.allocate(0xC000);
        CpuBuffer b = r.memory.allocate(0x8000);
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(a.segment(), b.segment()), FROM);
        DmaSegment first = m.dmaSegments().get(0);
        long pad = first.dmaAddress() + first.dmaLength();
        // mapped in the page tables (to whatever follows a), but no byte of the driver's
        assertTrue(r.anyTranslated(pad, 0x4000));
        DmaDebugException e = rejects(r, DmaDebugException.class, String.format("dmaAddress=0x%x is in no live mapping", pad),
                () -> r.dev.syncSingleForCpu(r.cpu, pad, 64, FROM));
        assertEquals(DebugCheck.SYNC_NOT_ALLOCATED, e.check());
        e = rejects(r, DmaDebugException.class, "[bytes left in the DMA segment=64]",
                () -> r.dev.syncSingleForCpu(r.cpu, pad - 64, 128, FROM));
        assertEquals(DebugCheck.SYNC_OUTSIDE_RANGE, e.check());
        r.dev.syncSingleForCpu(r.cpu, pad - 64, 64, FROM);
        r.dev.unmapSg(r.cpu, m.dmaAddress(), 2, FROM);
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void aRefusedLazyUnmapQueuesNothingAndASecondOneFreesNothingTwice() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, p -> p.withFlushMode(FlushMode.LAZY), clock::get);
        CpuBuffer buf = r.memory.allocate(4096);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, FROM);
        long iova = m.dmaAddress();
        DmaDebugException e = rejects(r, DmaDebugException.class, "[unmapped with dir=TO_DEVICE]",
                () -> r.dev.unmapSingle(r.cpu, iova, 4096, TO));
        assertEquals(DebugCheck.FREE_DIFFERENT_DIRECTION, e.check());
        rejects(r, DmaDebugException.class, "[unmap size=8192 bytes]",
                () -> r.dev.unmapSingle(r.cpu, iova, 8192, FROM));
        assertTrue(m.isMapped() && r.anyTranslated(iova, 4096));
        r.dev.unmapSingle(r.cpu, iova, 4096, FROM);
        assertEquals(1, r.dmaDomain.flushQueuePending());
        rejects(r, DmaDebugException.class, "unmap twice", () -> m.unmap(r.cpu));
        rejects(r, DmaDebugException.class, String.format("dmaAddress=0x%x", iova),
                () -> r.dev.unmapSingle(r.cpu, iova, 4096, FROM));
        r.dmaDomain.flushQueue();
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
        assertEquals(1, r.dmaDomain.flushQueueCounters().freed(), "the range was freed once");
    }

    @Test
    void anUntrustedListThatRunsOutOfIovaHalfWayUndoesItsFirstSegments() {
        // 16 bits: granules 1 to 15 (IOVA page 0 is never handed out); each sub-granule segment
        // is bounced and takes one granule of its own, so the sixteenth finds none
        IommuRig r = new IommuRig(Coherency.NON_COHERENT,
                p -> p.withUntrusted(true).withDmaMask(DeviceParams.bitMask(16)));
        CpuBuffer buf = r.memory.allocate(16 * 4096);
        Segment[] segs = new Segment[16];
        for (int i = 0; i < segs.length; i++) {
            segs[i] = buf.segment(i * 4096 + 8, 100);
        }
        rejects(r, IovaSpaceExhaustedException.class, "dmaMask=0xffff",
                () -> r.dev.mapSg(r.cpu, ScatterList.of(segs), TO));
        assertFalse(r.anyTranslated(0, 1 << 16), "the fifteen mapped first are unmapped");
        DmaMapping fifteen = r.dev.mapSg(r.cpu, ScatterList.of(List.of(segs).subList(0, 15)), TO);
        assertEquals(15, fifteen.dmaCount());
        fifteen.unmap(r.cpu);
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
        assertEquals(0, r.memory.bounceSlotsInUse());
    }

    @Test
    void anUntrustedSegmentTooBigToBounceHalfWayIsNoExhaustionAndUndoesTheFirst() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, p -> p.withUntrusted(true).withMaxSegmentSize(1 << 20));
        CpuBuffer big = r.memory.allocate(1 << 20);
        ScatterList list = ScatterList.of(big.segment(8, 100), big.segment(4096 + 8, 300 * 1024));
        DmaMappingException e = rejects(r, DmaMappingException.class, "size=307200",
                () -> r.dev.mapSg(r.cpu, list, TO));
        assertFalse(e instanceof BouncePoolExhaustedException, e::toString);
        assertTrue(e.getMessage().contains("the largest bounce buffer of " + r.dev.maxBounceSize()), e::getMessage);
        DmaMapping ok = r.dev.mapSg(r.cpu, ScatterList.of(big.segment(8, 100), big.segment(4096 + 8, 200 * 1024)), TO);
        ok.unmap(r.cpu);
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
        assertEquals(0, r.memory.bounceSlotsInUse());
    }

    @Test
    void aDetachedDeviceOverAnIommuTakesNoPagesNoIovaAndNoSlot() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, p -> p.withUntrusted(true));
        CpuBuffer buf = r.memory.allocate(8192);
        DmaMapping before = r.dev.mapSingle(r.cpu, buf.paddr() + 8, 100, TO);
        assertThrows(DmaLeakException.class, r.dev::detach);
        String named = "streamId=" + IommuRig.SID + " is detached";
        rejects(r, DmaUsageException.class, named, () -> r.dev.allocCoherent(r.cpu, 4096));
        rejects(r, DmaUsageException.class, named, () -> r.dev.mapPage(r.cpu, buf.paddr() + 8, 100, TO));
        rejects(r, DmaUsageException.class, named,
                () -> r.dev.mapSg(r.cpu, ScatterList.of(buf.segment(8, 100), buf.segment(4096, 4096)), TO));
        // what was mapped before the detach is still unmapped as usual
        before.unmap(r.cpu);
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
        assertEquals(0, r.memory.bounceSlotsInUse());
    }

    @Test
    void aMapPageThatFindsNoIovaReturnsTheErrorValueAndKeepsNothing() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, DeviceParams.bitMask(16));
        CpuBuffer buf = r.memory.allocate(32 * 1024);
        // 16 bits = 15 granules: one 32 KiB range fits, a second cannot
        DmaMapping held = r.dev.mapSingle(r.cpu, buf, TO);
        Snapshot snapshot = Snapshot.of(r);
        long dma = r.dev.mapPage(r.cpu, buf.paddr(), 32 * 1024, FROM);
        assertEquals(DmaDevice.DMA_MAPPING_ERROR, dma);
        assertTrue(r.dev.mappingError(dma));
        assertEquals(snapshot, Snapshot.of(r));
        // the failed map claimed no cache line: a device-writable map of the same line works
        held.unmap(r.cpu);
        long again = r.dev.mapPage(r.cpu, buf.paddr(), 32 * 1024, FROM);
        assertFalse(r.dev.mappingError(again));
        r.dev.unmapSingle(r.cpu, again, 32 * 1024, FROM);
        assertEquals(0, r.dmaDomain.iovaRangesOutstanding());
    }

    @Test
    void aMaskBelowTheFirstIovaIsExhaustionNamingTheMask() {
        // DMA_BIT_MASK(12) is a valid mask, but reaches IOVA page 0 only, never handed out
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, DeviceParams.bitMask(12));
        CpuBuffer buf = r.memory.allocate(8192);
        String named = "dmaMask=0xfff";
        rejects(r, IovaSpaceExhaustedException.class, named, () -> r.dev.mapSingle(r.cpu, buf, TO));
        rejects(r, IovaSpaceExhaustedException.class, named,
                () -> r.dev.mapSg(r.cpu, ScatterList.of(buf.segment(0, 4096), buf.segment(4096, 4096)), FROM));
        rejects(r, IovaSpaceExhaustedException.class, named, () -> r.dev.allocCoherent(r.cpu, 4096));
        Snapshot snapshot = Snapshot.of(r);
        assertEquals(DmaDevice.DMA_MAPPING_ERROR, r.dev.mapPage(r.cpu, buf.paddr(), 64, FROM));
        assertEquals(snapshot, Snapshot.of(r));
        // the domain serves a device with one granule more
        DmaDevice wider = DmaDevice.create(r.memory, r.dev.params().withDmaMask(DeviceParams.bitMask(13)), r.dmaDomain);
        DmaMapping m = wider.mapSingle(r.cpu, buf.paddr(), 64, FROM);
        assertEquals(4096, m.dmaAddress());
        m.unmap(r.cpu);
    }

    @Test
    void aListSegmentThatCrossesTheBoundaryOverAnIommuIsReportedAndUnmapped() {
        // Linux's usual limits, 64 KiB segments inside 64 KiB windows: a segment of 64 KiB that
        // starts 0x800 into its granule spans 17 granules, so its DMA segment crosses a boundary
        IommuRig r = new IommuRig(Coherency.NON_COHERENT,
                p -> p.withSegmentBoundaryMask(0xFFFF).withMaxSegmentSize(0x10000));
        CpuBuffer buf = r.memory.allocate(0x20000);
        ScatterList list = ScatterList.of(buf.segment(0, 0x1000), buf.segment(0x2800, 0x10000));
        Snapshot before = Snapshot.of(r);
        DmaDebugException e = assertThrows(DmaDebugException.class, () -> r.dev.mapSg(r.cpu, list, FROM));
        assertEquals(DebugCheck.SG_SEGMENT_ACROSS_BOUNDARY, e.check());
        assertTrue(e.getMessage().contains("length=65536") && e.getMessage().contains("[segmentBoundaryMask=0xffff]"),
                e::getMessage);
        assertTrue(e.report().mapping().isEmpty(), "no mapping was made");
        assertEquals(before.withoutIommuWork(), Snapshot.of(r).withoutIommuWork(), "nothing mapped or queued");
        assertFalse(r.anyTranslated(0, 1L << 32), "the list was unmapped again");
        // the lines it claimed are free: the same buffer maps device-writable in two segments
        DmaMapping ok = r.dev.mapSg(r.cpu, ScatterList.of(buf.segment(0, 0x1000), buf.segment(0x2800, 0xD800)), FROM);
        assertEquals(1, r.dev.debugReportCount());
        ok.unmap(r.cpu);

        // WARN: the mapping is made all the same, and the report names its DMA segment
        IommuRig w = new IommuRig(Coherency.NON_COHERENT, p -> p.withSegmentBoundaryMask(0xFFFF)
                .withMaxSegmentSize(0x10000).withFlushMode(FlushMode.LAZY).withDebug(DebugMode.WARN), clock::get);
        CpuBuffer wb = w.memory.allocate(0x20000);
        DmaMapping crossing = w.dev.mapSg(w.cpu, ScatterList.of(wb.segment(0, 0x1000), wb.segment(0x2800, 0x10000)), FROM);
        DmaDebugReport report = w.dev.debugReports().get(0);
        assertEquals(DebugCheck.SG_SEGMENT_ACROSS_BOUNDARY, report.check());
        DmaSegment second = crossing.dmaSegments().get(1);
        assertTrue(report.message().contains(String.format("[dma segment[1] dmaAddress=0x%x length=65536]",
                second.dmaAddress())), report::message);
        crossing.unmap(w.cpu);
        w.dmaDomain.flushQueue();
        assertEquals(0, w.dmaDomain.iovaRangesOutstanding());
    }
}
