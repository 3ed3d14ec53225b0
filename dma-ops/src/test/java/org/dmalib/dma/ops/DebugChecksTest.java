package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.errorprone.annotations.CanIgnoreReturnValue;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.HwCounters;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every DMA-API debug check (reference §7.2) fires on its seeded misuse, in THROW mode before
 * the call changes anything, with a report that names the device, the mapping and where it was
 * made; {@link #everyCheckIsSeeded} proves the table is complete.
 */
class DebugChecksTest {
    private static final DmaDirection TO = DmaDirection.TO_DEVICE;
    private static final DmaDirection FROM = DmaDirection.FROM_DEVICE;
    private static final DmaDirection BIDI = DmaDirection.BIDIRECTIONAL;

    // the checks some test below saw fire
    private static final Set<DebugCheck> SEEN = EnumSet.noneOf(DebugCheck.class);

    private final Rig r = new Rig(Coherency.NON_COHERENT);
    private final CpuBuffer buf = r.memory.allocate(8192);

    /**
     * Runs {@code call}, expects {@code check} thrown as a report of the rig's device, and
     * checks that nothing changed: mappings, slots, pages, cache maintenance and accesses.
     */
    @CanIgnoreReturnValue
    private DmaDebugReport fires(DebugCheck check, Executable call) {
        List<PendingMapping> pending = r.dev.pendingMappings();
        int slots = r.memory.bounceSlotsInUse();
        int pages = r.memory.pagesInUse();
        HwCounters before = r.counters();
        long count = r.dev.debugReportCount();
        DmaDebugException e = assertThrows(DmaDebugException.class, call);
        assertEquals(check, e.check(), e::getMessage);
        DmaDebugReport report = e.report();
        assertEquals(1, report.streamId());
        assertTrue(report.message().startsWith(check.linuxMessage()), report::message);
        assertTrue(e.getMessage().startsWith("DMA-API: device streamId=1: "), e::getMessage);
        assertEquals(pending, r.dev.pendingMappings());
        assertEquals(slots, r.memory.bounceSlotsInUse());
        assertEquals(pages, r.memory.pagesInUse());
        assertEquals(before, r.counters(), "no cache maintenance, no access");
        assertEquals(count + 1, r.dev.debugReportCount(), "recorded too");
        assertEquals(report, r.dev.debugReports().get(r.dev.debugReports().size() - 1));
        SEEN.add(check);
        return report;
    }

    /** A rig whose device only warns. */
    private static Rig warning() {
        return new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.WARN);
    }

    private static List<DebugCheck> checks(DmaDevice dev) {
        List<DebugCheck> out = dev.debugReports().stream().map(DmaDebugReport::check).toList();
        SEEN.addAll(out);
        return out;
    }

    // -- map: where the memory lies, segment limits, cache lines --

    @Test
    void mapsOfMemoryTheDriverDidNotGetFromTheAllocator() {
        fires(DebugCheck.MAP_INVALID_AREA, () -> r.dev.mapSingle(r.cpu, 0x1000, 64, TO));
        CoherentBuffer ring = r.dev.allocCoherent(r.cpu, 4096);
        fires(DebugCheck.MAP_VMALLOC_AREA, () -> r.dev.mapSingle(r.cpu, ring.cpuAddress(), 64, TO));
        CpuBuffer gone = r.memory.allocate(4096);
        r.memory.free(gone);
        DmaDebugReport stack = fires(DebugCheck.MAP_STACK,
                () -> r.dev.mapSingle(r.cpu, gone.paddr() + 128, 64, TO));
        assertTrue(stack.message().contains(String.format("[addr=0x%x] [len=64]", gone.paddr() + 128)),
                stack::message);
        long tables = r.memory.reserveRegion(8192, 4096);
        fires(DebugCheck.MAP_KERNEL_TEXT_OR_RODATA,
                () -> r.dev.mapSg(r.cpu, ScatterList.of(buf.segment(), Segment.ofPhysical(tables, 512)), TO));
        ring.free();
    }

    @Test
    void aReportOfACallNamesTheCallersFrames() {
        DmaDebugReport report = fires(DebugCheck.MAP_INVALID_AREA, () -> r.dev.mapSingle(r.cpu, 0, 64, TO));
        assertTrue(report.mapping().isEmpty(), "no mapping was made");
        assertTrue(report.mappedAt().size() <= 5);
        assertEquals(DebugChecksTest.class.getName(), report.mappedAt().get(0).getClassName(),
                () -> "the innermost frame is the driver's: " + report.mappedAt());
    }

    @Test
    void segmentLimitsOfTheDevice() {
        CpuBuffer big = r.memory.allocate(128 * 1024);
        fires(DebugCheck.SG_SEGMENT_TOO_LONG, () -> r.dev.mapSg(r.cpu,
                ScatterList.of(big.segment(0, 4096), big.segment(4096, 65537)), TO));
        DmaDevice bounded = DmaDevice.create(r.memory, r.dev.params().withSegmentBoundaryMask(0xFFFF));
        long crossing = (big.paddr() | 0xFFFF) - 63;
        DmaDebugException e = assertThrows(DmaDebugException.class, () -> bounded.mapSg(r.cpu,
                ScatterList.of(Segment.ofPhysical(crossing, 128)), TO));
        assertEquals(DebugCheck.SG_SEGMENT_ACROSS_BOUNDARY, e.check());
        assertTrue(e.getMessage().contains("segmentBoundaryMask=0xffff"), e::getMessage);
        assertEquals(0, r.memory.bounceSlotsInUse());
        assertTrue(bounded.pendingMappings().isEmpty());
        SEEN.add(e.check());
    }

    @Test
    void twoDeviceWritableMappingsStartingInOneCacheLine() {
        DmaMapping first = r.dev.mapSingle(r.cpu, buf.paddr(), 32, FROM);
        DmaDebugReport report = fires(DebugCheck.CACHELINE_OVERLAP,
                () -> r.dev.mapSingle(r.cpu, buf.paddr() + 32, 32, BIDI));
        assertTrue(report.message().contains(String.format("[cacheline=0x%x]", buf.paddr() >>> 6)),
                report::message);
        // a device that only reads may share the line; another line is fine too
        DmaMapping reader = r.dev.mapSingle(r.cpu, buf.paddr() + 32, 32, TO);
        DmaMapping next = r.dev.mapSingle(r.cpu, buf.paddr() + 64, 64, FROM);
        first.unmap(r.cpu);
        // the line is free again once the first is unmapped
        DmaMapping again = r.dev.mapSingle(r.cpu, buf.paddr(), 32, FROM);
        for (DmaMapping m : List.of(reader, next, again)) {
            m.unmap(r.cpu);
        }
        assertEquals(1, r.dev.debugReportCount());
    }

    @Test
    void overlappingSegmentsOfOneListAreAnOverlapOnlyIfTheDeviceWritesThem() {
        DmaDebugReport report = fires(DebugCheck.CACHELINE_OVERLAP, () -> r.dev.mapSg(r.cpu,
                ScatterList.of(buf.segment(0, 4096), buf.segment(0, 4096)), FROM));
        assertTrue(report.message().contains(String.format("[cacheline=0x%x] [paddr=0x%x] [dir=FROM_DEVICE]",
                buf.paddr() >>> 6, buf.paddr())), report::message);
        // a device that only reads may be given the same bytes twice
        DmaMapping twice = r.dev.mapSg(r.cpu, ScatterList.of(buf.segment(0, 4096), buf.segment(2048, 4096)), TO);
        fires(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, () -> buf.write(r.cpu, 5000, new byte[8]));
        twice.unmap(r.cpu);
        // neither list left a line claimed or a byte owned: a device-writable map of it all
        // and a CPU write to every byte raise nothing more
        DmaMapping whole = r.dev.mapSingle(r.cpu, buf, FROM);
        whole.unmap(r.cpu);
        buf.fill(r.cpu, (byte) 5);
        assertEquals(2, r.dev.debugReportCount());
    }

    @Test
    void overlapCountOverflowIsReportedOnce() {
        Rig w = warning();
        CpuBuffer b = w.memory.allocate(4096);
        for (int i = 0; i < DebugState.MAX_OVERLAPS + 3; i++) {
            DmaMapping unused = w.dev.mapSingle(w.cpu, b.paddr(), 64, FROM);
        }
        List<DebugCheck> seen = checks(w.dev);
        assertEquals(DebugState.MAX_OVERLAPS + 2, seen.stream().filter(c -> c == DebugCheck.CACHELINE_OVERLAP).count());
        assertEquals(1, seen.stream().filter(c -> c == DebugCheck.CACHELINE_OVERLAP_OVERFLOW).count());
        // WARN: the mappings were made all the same
        assertEquals(DebugState.MAX_OVERLAPS + 3, w.dev.pendingMappings().size());
    }

    // -- unmap and free --

    @Test
    void unmapsThatMatchNoMapping() {
        fires(DebugCheck.FREE_INVALID_ADDRESS,
                () -> r.dev.unmapSingle(r.cpu, DmaDevice.DMA_MAPPING_ERROR, 64, TO));
        fires(DebugCheck.FREE_NOT_ALLOCATED, () -> r.dev.unmapSingle(r.cpu, 0x123000, 4096, TO));
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, TO);
        m.unmap(r.cpu);
        DmaDebugReport twice = fires(DebugCheck.FREE_NOT_ALLOCATED, () -> m.unmap(r.cpu));
        assertTrue(twice.message().contains("unmap twice"), twice::message);
        assertEquals(m.describe(), twice.mapping().orElseThrow());
        fires(DebugCheck.FREE_NOT_ALLOCATED, () -> r.dev.freeCoherent(4096, 0x200000, 0x200000));
    }

    @Test
    void unmapsThatDisagreeWithTheMapping() {
        DmaMapping single = r.dev.mapSingle(r.cpu, buf, FROM);
        DmaDebugReport size = fires(DebugCheck.FREE_DIFFERENT_SIZE,
                () -> r.dev.unmapSingle(r.cpu, single.dmaAddress(), 2048, FROM));
        assertTrue(size.message().contains("[map size=8192 bytes] [unmap size=2048 bytes]"), size::message);
        assertEquals(single.describe(), size.mapping().orElseThrow());
        assertEquals(DebugChecksTest.class.getName(), size.mappedAt().get(0).getClassName(),
                "where the mapping was made");
        fires(DebugCheck.FREE_DIFFERENT_DIRECTION,
                () -> r.dev.unmapSingle(r.cpu, single.dmaAddress(), 8192, BIDI));
        fires(DebugCheck.FREE_WRONG_FUNCTION, () -> r.dev.unmapSg(r.cpu, single.dmaAddress(), 1, FROM));
        fires(DebugCheck.FREE_WRONG_FUNCTION, () -> r.dev.freeCoherent(8192, buf.paddr(), single.dmaAddress()));
        r.dev.unmapSingle(r.cpu, single.dmaAddress(), 8192, FROM);

        CpuBuffer other = r.memory.allocate(8192);
        DmaMapping sg = r.dev.mapSg(r.cpu, ScatterList.of(other.segment(0, 4096), other.segment(4096, 4096)), TO);
        fires(DebugCheck.UNMAP_SG_DIFFERENT_ENTRY_COUNT, () -> r.dev.unmapSg(r.cpu, sg.dmaAddress(), 3, TO));
        fires(DebugCheck.FREE_WRONG_FUNCTION, () -> r.dev.unmapSingle(r.cpu, sg.dmaAddress(), 8192, TO));
        r.dev.unmapSg(r.cpu, sg.dmaAddress(), 2, TO);

        CoherentBuffer ring = r.dev.allocCoherent(r.cpu, 4096);
        fires(DebugCheck.FREE_COHERENT_DIFFERENT_CPU_ADDRESS,
                () -> r.dev.freeCoherent(4096, ring.cpuAddress() + 4096, ring.dmaAddress()));
        fires(DebugCheck.FREE_DIFFERENT_SIZE, () -> r.dev.freeCoherent(8192, ring.cpuAddress(), ring.dmaAddress()));
        fires(DebugCheck.FREE_WRONG_FUNCTION, () -> r.dev.unmapSingle(r.cpu, ring.dmaAddress(), 4096, BIDI));
        r.dev.freeCoherent(4096, ring.cpuAddress(), ring.dmaAddress());
        assertTrue(ring.isFreed());
        assertTrue(r.dev.pendingMappings().isEmpty());
    }

    @Test
    void aMapResultThatWasNeverChecked() {
        long unchecked = r.dev.mapPage(r.cpu, buf.paddr(), 4096, TO);
        fires(DebugCheck.MAP_ERROR_NOT_CHECKED, () -> r.dev.unmapSingle(r.cpu, unchecked, 4096, TO));
        assertFalse(r.dev.mappingError(unchecked));
        r.dev.unmapSingle(r.cpu, unchecked, 4096, TO);
        // a handle cannot carry an error: nothing to check
        DmaMapping handle = r.dev.mapSingle(r.cpu, buf, TO);
        handle.unmap(r.cpu);
        assertTrue(r.dev.mappingError(DmaDevice.DMA_MAPPING_ERROR));
    }

    @Test
    void mapPageReturnsTheErrorValueWhenItCannotMap() {
        // the pool of this rig is 1 MiB: a buffer above the mask larger than a bounce buffer
        Rig small = new Rig(Coherency.NON_COHERENT, DeviceParams.bitMask(24));
        CpuBuffer high = small.memory.allocateAbove(32L << 20, 512 * 1024);
        long dma = small.dev.mapPage(small.cpu, high.paddr(), 512 * 1024, TO);
        assertEquals(DmaDevice.DMA_MAPPING_ERROR, dma);
        assertTrue(small.dev.mappingError(dma));
        assertTrue(small.dev.pendingMappings().isEmpty());
        assertEquals(0, small.memory.bounceSlotsInUse());
    }

    // -- syncs --

    @Test
    void syncsOutsideAnyMapping() {
        fires(DebugCheck.SYNC_NOT_ALLOCATED, () -> r.dev.syncSingleForCpu(r.cpu, 0x123000, 64, FROM));
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, FROM);
        fires(DebugCheck.SYNC_OUTSIDE_RANGE, () -> r.dev.syncSingleForCpu(r.cpu, m.dmaAddress() + 8000, 200, FROM));
        fires(DebugCheck.SYNC_OUTSIDE_RANGE, () -> m.syncForCpu(r.cpu, 8000, 200));
        // a sync inside the mapping, by address: it is found by containment
        r.dev.syncSingleForCpu(r.cpu, m.dmaAddress() + 4096, 4096, FROM);
        m.unmap(r.cpu);
        fires(DebugCheck.SYNC_NOT_ALLOCATED, () -> m.syncForDevice(r.cpu));
        fires(DebugCheck.SYNC_NOT_ALLOCATED, () -> r.dev.syncSingleForDevice(r.cpu, m.dmaAddress(), 64, FROM));
    }

    @Test
    void aSyncAfterUnmapIsReportedAsSuchWhateverRangeItNames() {
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, FROM);
        m.unmap(r.cpu);
        // the mapping is gone: that, not the range, is what the driver got wrong
        for (Executable late : List.<Executable>of(() -> m.syncForCpu(r.cpu, 0, 100_000),
                () -> m.syncForDevice(r.cpu, -1, 64), () -> m.syncForCpu(r.cpu, 8000, 0))) {
            DmaDebugReport report = fires(DebugCheck.SYNC_NOT_ALLOCATED, late);
            assertTrue(report.message().contains("sync after unmap"), report::message);
        }
    }

    @Test
    void syncsInTheWrongDirection() {
        DmaMapping from = r.dev.mapSingle(r.cpu, buf.paddr(), 4096, FROM);
        fires(DebugCheck.SYNC_DIFFERENT_DIRECTION, () -> r.dev.syncSingleForCpu(r.cpu, from.dmaAddress(), 4096, BIDI));
        from.unmap(r.cpu);

        Rig w = warning();
        CpuBuffer b = w.memory.allocate(8192);
        DmaMapping toDev = w.dev.mapSingle(w.cpu, b.paddr(), 4096, TO);
        DmaMapping fromDev = w.dev.mapSingle(w.cpu, b.paddr() + 4096, 4096, FROM);
        DmaMapping both = w.dev.mapSingle(w.cpu, w.memory.allocate(4096), BIDI);
        w.dev.syncSingleForCpu(w.cpu, toDev.dmaAddress(), 4096, FROM);
        assertEquals(List.of(DebugCheck.SYNC_DIFFERENT_DIRECTION, DebugCheck.SYNC_DEVICE_READ_ONLY_FOR_CPU),
                checks(w.dev));
        w.dev.syncSingleForDevice(w.cpu, fromDev.dmaAddress(), 4096, TO);
        assertEquals(List.of(DebugCheck.SYNC_DIFFERENT_DIRECTION, DebugCheck.SYNC_DEVICE_READ_ONLY_FOR_CPU,
                DebugCheck.SYNC_DIFFERENT_DIRECTION, DebugCheck.SYNC_DEVICE_WRITE_ONLY_TO_DEVICE), checks(w.dev));
        // a BIDIRECTIONAL mapping may be synced either way
        w.dev.syncSingleForCpu(w.cpu, both.dmaAddress(), 4096, FROM);
        w.dev.syncSingleForDevice(w.cpu, both.dmaAddress(), 4096, TO);
        assertEquals(4, w.dev.debugReportCount());
    }

    @Test
    void listSyncsWithAnotherEntryCount() {
        DmaMapping sg = r.dev.mapSg(r.cpu, ScatterList.of(buf.segment(0, 4096), buf.segment(4096, 4096)), FROM);
        fires(DebugCheck.SYNC_SG_DIFFERENT_ENTRY_COUNT, () -> r.dev.syncSgForCpu(r.cpu, sg.dmaAddress(), 1, FROM));
        r.dev.syncSgForCpu(r.cpu, sg.dmaAddress(), 2, FROM);
        r.dev.syncSgForDevice(r.cpu, sg.dmaAddress(), 2, FROM);
        r.dev.unmapSg(r.cpu, sg.dmaAddress(), 2, FROM);
        assertEquals(1, r.dev.debugReportCount());
    }

    // -- ownership and detach --

    @Test
    void theCpuMayTouchOnlyWhatTheDeviceGaveBack() {
        buf.fill(r.cpu, (byte) 1);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, FROM);
        DmaDebugReport read = fires(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, () -> buf.read(r.cpu, 100, 8));
        assertTrue(read.message().contains("[access=read]"), read::message);
        assertEquals(m.describe(), read.mapping().orElseThrow());
        fires(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, () -> buf.fill(r.cpu, (byte) 2));

        m.syncForCpu(r.cpu, 0, 4096);
        byte[] head = buf.read(r.cpu, 0, 4096);
        assertEquals(4096, head.length);
        DmaDebugReport tail = fires(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, () -> buf.read(r.cpu, 4000, 200));
        assertTrue(tail.message().contains(String.format("[first device-owned byte=0x%x]", buf.paddr() + 4096)),
                tail::message);
        m.syncForDevice(r.cpu, 0, 2048);
        fires(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, () -> buf.write(r.cpu, 1024, new byte[8]));
        buf.write(r.cpu, 2048, new byte[8]);
        m.unmap(r.cpu);
        buf.fill(r.cpu, (byte) 3);
        assertArrayEquals(new byte[] {3, 3}, buf.read(r.cpu, 8190, 2));
    }

    @Test
    void aWarningDeviceLetsTheAccessHappenAndRecordsIt() {
        Rig w = warning();
        CpuBuffer b = w.memory.allocate(4096);
        DmaMapping m = w.dev.mapSingle(w.cpu, b, TO);
        b.write(w.cpu, 0, new byte[] {7});
        assertEquals(List.of(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS), checks(w.dev));
        m.unmap(w.cpu);
        assertArrayEquals(new byte[] {7}, b.read(w.cpu, 0, 1));
    }

    @Test
    void detachWithPendingMappingsInEachMode() {
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, TO);
        DmaLeakException e = assertThrows(DmaLeakException.class, r.dev::detach);
        assertTrue(e.getMessage().contains(DebugChecksTest.class.getName() + ".detachWithPendingMappingsInEachMode("),
                e::getMessage);
        assertEquals(List.of(DebugCheck.PENDING_AT_DETACH), checks(r.dev));
        m.unmap(r.cpu);

        Rig w = warning();
        DmaMapping unused = w.dev.mapSingle(w.cpu, w.memory.allocate(4096), TO);
        w.dev.detach();
        assertEquals(List.of(DebugCheck.PENDING_AT_DETACH), checks(w.dev));

        Rig off = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.OFF);
        DmaMapping quiet = off.dev.mapSingle(off.cpu, off.memory.allocate(4096), TO);
        off.dev.detach();
        assertEquals(0, off.dev.debugReportCount());
        assertTrue(quiet.isMapped());
    }

    @Test
    void offChecksNothingButStillRefusesWhatWouldBreakTheRegistry() {
        Rig off = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.OFF);
        CpuBuffer b = off.memory.allocate(4096);
        DmaMapping a = off.dev.mapSingle(off.cpu, b, FROM);
        DmaMapping c = off.dev.mapSingle(off.cpu, b, FROM);
        b.write(off.cpu, 0, new byte[4]);
        assertTrue(a.mappedAt().isEmpty());
        a.unmap(off.cpu);
        DmaUsageException twice = assertThrows(DmaUsageException.class, () -> a.unmap(off.cpu));
        assertFalse(twice instanceof DmaDebugException);
        assertTrue(twice.getMessage().contains("unmap twice"), twice::getMessage);
        c.unmap(off.cpu);
        assertEquals(0, off.dev.debugReportCount());
    }

    @Test
    void aCorrectDriverRaisesNothing() {
        CoherentBuffer ring = r.dev.allocCoherent(r.cpu, 4096);
        for (int i = 0; i < 200; i++) {
            buf.fill(r.cpu, (byte) i);
            long dma = r.dev.mapPage(r.cpu, buf.paddr(), 4096, TO);
            assertFalse(r.dev.mappingError(dma));
            ring.write(r.cpu, 0, new byte[] {(byte) i});
            r.dev.unmapSingle(r.cpu, dma, 4096, TO);
            DmaMapping rx = r.dev.mapSg(r.cpu, ScatterList.of(buf.segment(0, 1000), buf.segment(4096, 4096)), FROM);
            rx.syncForCpu(r.cpu);
            byte[] unused = buf.read(r.cpu, 0, 1000);
            rx.syncForDevice(r.cpu);
            rx.unmap(r.cpu);
        }
        r.dev.freeCoherent(4096, ring.cpuAddress(), ring.dmaAddress());
        r.dev.detach();
        assertEquals(0, r.dev.debugReportCount());
    }

    @AfterAll
    static void everyCheckIsSeeded() {
        // runs after the whole class: a check nobody seeded would be a check nobody tested
        assertEquals(EnumSet.allOf(DebugCheck.class), SEEN, "checks seeded by this class");
    }
}
