package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.HwCounters;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;
import org.dmalib.iommu.api.ScatterList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The syncs by DMA address ({@code dma_sync_single/sg_for_cpu/device}): they move the data
 * (bounce copies, cache maintenance) and the ownership of exactly the bytes they name, found
 * across the mapping's DMA segments, and apply the direction rules to lists as to single
 * mappings. The debug checks are on (THROW), so a CPU access to a byte the device still owns
 * fails the test.
 */
class AddressSyncTest {
    private static final DmaDirection TO = DmaDirection.TO_DEVICE;
    private static final DmaDirection FROM = DmaDirection.FROM_DEVICE;
    private static final DmaDirection BIDI = DmaDirection.BIDIRECTIONAL;
    private static final long MASK_16M = DeviceParams.bitMask(24);
    private static final long HIGH = 32L << 20;
    private static final int SIZE = 8192;

    // above the mask: every mapping of a HIGH buffer is bounced
    private final Rig r = new Rig(Coherency.NON_COHERENT, MASK_16M);

    private static DebugCheck thrown(Executable call) {
        return assertThrows(DmaDebugException.class, call).check();
    }

    private static byte[] part(byte[] b, int from, int length) {
        return Arrays.copyOfRange(b, from, from + length);
    }

    @Test
    void aSingleSyncForCpuByAddressCopiesOutAndGivesBackOnlyTheBytesItNames() {
        CpuBuffer high = r.memory.allocateAbove(HIGH, SIZE);
        DmaMapping m = r.dev.mapSingle(r.cpu, high, FROM);
        assertTrue(m.isBounced());
        byte[] data = Rig.pattern(SIZE, 7);
        r.deviceWrite(m.dmaAddress(), data);

        r.dev.syncSingleForCpu(r.cpu, m.dmaAddress() + 4096, 1024, FROM);
        assertArrayEquals(part(data, 4096, 1024), high.read(r.cpu, 4096, 1024), "copied out of the bounce buffer");
        assertEquals(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, thrown(() -> high.read(r.cpu, 0, 64)),
                "the bytes before the synced range stay the device's");
        assertEquals(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, thrown(() -> high.read(r.cpu, 5120, 64)),
                "and the bytes after it");
        m.unmap(r.cpu);
        assertArrayEquals(data, high.read(r.cpu, 0, SIZE));
    }

    @Test
    void aSingleSyncForDeviceByAddressCopiesTheCpusBytesIn() {
        CpuBuffer high = r.memory.allocateAbove(HIGH, SIZE);
        DmaMapping m = r.dev.mapSingle(r.cpu, high, TO);
        r.dev.syncSingleForCpu(r.cpu, m.dmaAddress(), SIZE, TO);
        byte[] data = Rig.pattern(SIZE, 8);
        high.write(r.cpu, 0, data);
        r.dev.syncSingleForDevice(r.cpu, m.dmaAddress(), SIZE, TO);
        assertArrayEquals(data, r.deviceRead(m.dmaAddress(), SIZE), "copied into the bounce buffer");
        assertEquals(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, thrown(() -> high.write(r.cpu, 0, new byte[1])),
                "the device owns the buffer again");
        m.unmap(r.cpu);
    }

    @Test
    void aSingleSyncInTheSecondSegmentOfAListCountsTheFirstSegmentsBytes() {
        CpuBuffer a = r.memory.allocateAbove(HIGH, 4096);
        CpuBuffer b = r.memory.allocateAbove(HIGH + (1L << 20), 4096);
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(a.segment(), b.segment()), FROM);
        DmaSegment second = m.dmaSegments().get(1);
        byte[] data = Rig.pattern(4096, 9);
        r.deviceWrite(second.dmaAddress(), data);

        r.dev.syncSingleForCpu(r.cpu, second.dmaAddress() + 1024, 1024, FROM);
        assertArrayEquals(part(data, 1024, 1024), b.read(r.cpu, 1024, 1024));
        assertEquals(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, thrown(() -> a.read(r.cpu, 1024, 64)),
                "the first segment stays the device's");
        m.unmap(r.cpu);
    }

    @Test
    void aSingleSyncStaysInsideOneDmaSegmentOfAList() {
        Rig w = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK);
        CpuBuffer a = w.memory.allocate(4096);
        CpuBuffer b = w.memory.allocateAbove(HIGH, 4096);
        DmaMapping m = w.dev.mapSg(w.cpu, ScatterList.of(a.segment(), b.segment()), FROM);
        assertEquals(List.of(new DmaSegment(a.paddr(), 4096), new DmaSegment(b.paddr(), 4096)), m.dmaSegments());
        HwCounters before = w.counters();
        DmaDebugException e = assertThrows(DmaDebugException.class,
                () -> w.dev.syncSingleForCpu(w.cpu, a.paddr() + 2048, 4096, FROM));
        assertEquals(DebugCheck.SYNC_OUTSIDE_RANGE, e.check());
        assertTrue(e.getMessage().contains("[bytes left in the DMA segment=2048]"), e::getMessage);
        // the gap between the segments and the byte past the last one are in no mapping
        assertEquals(DebugCheck.SYNC_NOT_ALLOCATED, thrown(() -> w.dev.syncSingleForCpu(w.cpu, a.end(), 64, FROM)));
        assertEquals(DebugCheck.SYNC_NOT_ALLOCATED,
                thrown(() -> w.dev.syncSingleForCpu(w.cpu, a.paddr() + (1L << 20), 64, FROM)));
        assertEquals(DebugCheck.SYNC_NOT_ALLOCATED, thrown(() -> w.dev.syncSingleForCpu(w.cpu, b.end(), 1, FROM)));
        assertEquals(before, w.counters(), "no maintenance");
        // the last byte of each segment is the mapping's
        w.dev.syncSingleForCpu(w.cpu, a.end() - 1, 1, FROM);
        w.dev.syncSingleForCpu(w.cpu, b.end() - 1, 1, FROM);
        m.unmap(w.cpu);
    }

    @Test
    void syncsByAddressFindAListWhoseDmaSegmentsDescend() {
        Rig w = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK);
        CpuBuffer a = w.memory.allocate(4096);
        CpuBuffer b = w.memory.allocateAbove(HIGH, 4096);
        // the direct path keeps the list's order: the first DMA segment is the higher one
        DmaMapping m = w.dev.mapSg(w.cpu, ScatterList.of(b.segment(), a.segment()), FROM);
        assertEquals(List.of(new DmaSegment(b.paddr(), 4096), new DmaSegment(a.paddr(), 4096)), m.dmaSegments());
        byte[] high = Rig.pattern(4096, 21);
        byte[] low = Rig.pattern(4096, 22);
        w.deviceWrite(b.paddr(), high);
        w.deviceWrite(a.paddr(), low);
        w.dev.syncSgForCpu(w.cpu, m.dmaAddress(), 2, FROM);
        assertArrayEquals(high, b.read(w.cpu, 0, 4096));
        assertArrayEquals(low, a.read(w.cpu, 0, 4096));
        // a single sync inside the lower segment, below the mapping's first DMA address
        w.dev.syncSingleForDevice(w.cpu, a.paddr() + 1024, 2048, FROM);
        w.dev.syncSingleForCpu(w.cpu, a.paddr() + 1024, 2048, FROM);
        assertEquals(DebugCheck.SYNC_NOT_ALLOCATED, thrown(() -> w.dev.syncSingleForCpu(w.cpu, a.end(), 1, FROM)));
        m.unmap(w.cpu);
        assertEquals(DebugCheck.SYNC_NOT_ALLOCATED,
                thrown(() -> w.dev.syncSingleForCpu(w.cpu, a.paddr(), 1, FROM)), "unmapped: forgotten");
        assertEquals(2, w.dev.debugReportCount(), "the two refused syncs, nothing else");
    }

    @Test
    void aSyncAtTheStartOfASegmentThatFollowsAnotherWithoutAGapIsThatSegments() {
        Rig w = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK);
        CpuBuffer b = w.memory.allocate(8192);
        DmaMapping m = w.dev.mapSg(w.cpu, ScatterList.of(b.segment(0, 4096), b.segment(4096, 4096)), FROM);
        assertEquals(List.of(new DmaSegment(b.paddr(), 4096), new DmaSegment(b.paddr() + 4096, 4096)),
                m.dmaSegments(), "two DMA segments, the second where the first ends");
        byte[] data = Rig.pattern(4096, 14);
        w.deviceWrite(b.paddr() + 4096, data);
        w.dev.syncSingleForCpu(w.cpu, b.paddr() + 4096, 4096, FROM);
        assertArrayEquals(data, b.read(w.cpu, 4096, 4096));
        w.dev.syncSingleForCpu(w.cpu, b.paddr(), 4096, FROM);
        m.unmap(w.cpu);
        assertEquals(0, w.dev.debugReportCount());
    }

    @Test
    void anUnmapOfSizeZeroIsADifferentSize() {
        Rig w = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.WARN);
        DmaMapping m = w.dev.mapSingle(w.cpu, w.memory.allocate(4096), TO);
        w.dev.unmapSingle(w.cpu, m.dmaAddress(), 0, TO);
        assertEquals(List.of(DebugCheck.FREE_DIFFERENT_SIZE),
                w.dev.debugReports().stream().map(DmaDebugReport::check).toList());
        assertTrue(w.dev.debugReports().get(0).message().contains("[map size=4096 bytes] [unmap size=0 bytes]"),
                () -> w.dev.debugReports().get(0).message());
        assertEquals(List.of(), w.dev.pendingMappings(), "unmapped all the same");
    }

    @Test
    void aListSyncByAddressMovesEverySegmentBothWays() {
        CpuBuffer low = r.memory.allocate(4096);
        CpuBuffer high = r.memory.allocateAbove(HIGH, 4096);
        // the bounced segment first: its bounce buffer lies below the unbounced one
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(high.segment(), low.segment()), BIDI);
        List<DmaSegment> s = m.dmaSegments();
        assertTrue(s.get(0).dmaAddress() < s.get(1).dmaAddress());
        byte[] d0 = Rig.pattern(4096, 10);
        byte[] d1 = Rig.pattern(4096, 11);
        r.deviceWrite(s.get(0).dmaAddress(), d0);
        r.deviceWrite(s.get(1).dmaAddress(), d1);

        r.dev.syncSgForCpu(r.cpu, m.dmaAddress(), 2, BIDI);
        assertArrayEquals(d0, high.read(r.cpu, 0, 4096), "the bounced segment is copied out");
        assertArrayEquals(d1, low.read(r.cpu, 0, 4096), "the unbounced one's stale lines are invalidated");

        byte[] c0 = Rig.pattern(4096, 12);
        byte[] c1 = Rig.pattern(4096, 13);
        high.write(r.cpu, 0, c0);
        low.write(r.cpu, 0, c1);
        r.dev.syncSgForDevice(r.cpu, m.dmaAddress(), 2, BIDI);
        assertArrayEquals(c0, r.deviceRead(s.get(0).dmaAddress(), 4096), "copied into the bounce buffer");
        assertArrayEquals(c1, r.deviceRead(s.get(1).dmaAddress(), 4096), "cleaned to RAM");
        assertEquals(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS, thrown(() -> high.read(r.cpu, 0, 1)));
        r.dev.unmapSg(r.cpu, m.dmaAddress(), 2, BIDI);
        assertEquals(List.of(DebugCheck.CPU_ACCESS_WHILE_DEVICE_OWNS),
                r.dev.debugReports().stream().map(DmaDebugReport::check).toList(), "the seeded access only");
    }

    @Test
    void aListSyncByAddressInTheWrongDirectionIsReported() {
        Rig w = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.WARN);
        CpuBuffer b = w.memory.allocate(8192);
        DmaMapping toDev = w.dev.mapSg(w.cpu, ScatterList.of(b.segment(0, 4096)), TO);
        DmaMapping fromDev = w.dev.mapSg(w.cpu, ScatterList.of(b.segment(4096, 4096)), FROM);
        w.dev.syncSgForCpu(w.cpu, toDev.dmaAddress(), 1, FROM);
        w.dev.syncSgForDevice(w.cpu, fromDev.dmaAddress(), 1, TO);
        assertEquals(List.of(DebugCheck.SYNC_DIFFERENT_DIRECTION, DebugCheck.SYNC_DEVICE_READ_ONLY_FOR_CPU,
                DebugCheck.SYNC_DIFFERENT_DIRECTION, DebugCheck.SYNC_DEVICE_WRITE_ONLY_TO_DEVICE),
                w.dev.debugReports().stream().map(DmaDebugReport::check).toList());
        toDev.unmap(w.cpu);
        fromDev.unmap(w.cpu);
    }

    @Test
    void aCoherentAllocationIsFoundBySyncAndNeedsNothing() {
        CoherentBuffer c = r.dev.allocCoherent(r.cpu, 4096);
        HwCounters before = r.counters();
        r.dev.syncSingleForCpu(r.cpu, c.dmaAddress() + 64, 4032, BIDI);
        r.dev.syncSingleForDevice(r.cpu, c.dmaAddress(), 4096, BIDI);
        assertEquals(before, r.counters(), "no maintenance: the pages are not cached");
        assertEquals(DebugCheck.SYNC_OUTSIDE_RANGE,
                thrown(() -> r.dev.syncSingleForCpu(r.cpu, c.dmaAddress() + 64, 4096, BIDI)));
        c.free();
    }
}
