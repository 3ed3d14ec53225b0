package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.HwCounters;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;
import org.junit.jupiter.api.Test;

/**
 * swiotlb bouncing of buffers above the DMA mask: copies at exactly the map, sync and unmap
 * points, maintenance on the bounce buffer, typed exhaustion that changes nothing.
 */
class BounceTest {
    private static final long MASK_16M = DeviceParams.bitMask(24);
    private static final long HIGH = 32L << 20;
    private static final int SIZE = 4096;
    private static final int LINES = SIZE / Rig.LINE;

    // debug checks off: these tests touch mapped buffers and map raw ranges on purpose, to
    // show when the bounce copies happen
    private static Rig rig() {
        return new Rig(Coherency.NON_COHERENT, MASK_16M, DebugMode.OFF);
    }

    @Test
    void bufferBelowTheMaskIsNotBouncedOneByteAboveIs() {
        Rig r = rig();
        CpuBuffer low = r.memory.allocate(SIZE);
        DmaMapping m = r.dev.mapSingle(r.cpu, low, DmaDirection.TO_DEVICE);
        assertFalse(m.isBounced());
        m.unmap(r.cpu);
        // the last byte of this range is the first byte above the mask
        DmaMapping straddle = r.dev.mapSingle(r.cpu, MASK_16M + 1 - 64, 65, DmaDirection.TO_DEVICE);
        assertTrue(straddle.isBounced());
        straddle.unmap(r.cpu);
        assertEquals(0, r.memory.bounceSlotsInUse());
    }

    @Test
    void mapToDeviceCopiesInThenCleansTheBounceBuffer() {
        Rig r = rig();
        CpuBuffer high = r.memory.allocateAbove(HIGH, SIZE);
        byte[] data = Rig.pattern(SIZE, 1);
        high.write(r.cpu, 0, data);

        HwCounters before = r.counters();
        DmaMapping m = r.dev.mapSingle(r.cpu, high, DmaDirection.TO_DEVICE);
        HwCounters d = r.counters().minus(before);
        assertTrue(m.isBounced());
        assertTrue(m.dmaAddress() < Rig.POOL, "the DMA address is the bounce slot's");
        assertEquals(SIZE / 2048, r.memory.bounceSlotsInUse());
        assertEquals(LINES, d.linesCleaned(), "only the bounce buffer is cleaned");
        assertEquals(1, d.barriers());
        assertTrue(r.anyDirty(high.paddr(), SIZE), "the original is not maintained");
        assertFalse(r.anyDirty(m.dmaAddress(), SIZE));
        assertArrayEquals(data, r.deviceRead(m.dmaAddress(), SIZE));

        // no copy without a sync: the CPU changes the original, the bounce buffer keeps the old
        byte[] data2 = Rig.pattern(SIZE, 2);
        high.write(r.cpu, 0, data2);
        assertArrayEquals(data, r.deviceRead(m.dmaAddress(), SIZE));
        m.syncForDevice(r.cpu);
        assertArrayEquals(data2, r.deviceRead(m.dmaAddress(), SIZE), "sync for device copies in");

        // TO_DEVICE: unmap copies nothing back
        r.deviceWrite(m.dmaAddress(), new byte[SIZE]);
        before = r.counters();
        m.unmap(r.cpu);
        HwCounters u = r.counters().minus(before);
        assertEquals(0, u.barriers() + u.linesInvalidated());
        assertArrayEquals(data2, high.read(r.cpu, 0, SIZE));
        assertEquals(0, r.memory.bounceSlotsInUse());
    }

    @Test
    void fromDeviceCopiesOutAtSyncForCpuAndUnmapOnlyAfterInvalidating() {
        Rig r = rig();
        CpuBuffer high = r.memory.allocateAbove(HIGH, SIZE);
        byte[] old = Rig.pattern(SIZE, 3);
        high.write(r.cpu, 0, old);
        DmaMapping m = r.dev.mapSingle(r.cpu, high, DmaDirection.FROM_DEVICE);
        // swiotlb copies in at map for every direction: a partial device write keeps the rest
        assertArrayEquals(old, r.deviceRead(m.dmaAddress(), SIZE));

        byte[] half = Rig.pattern(SIZE / 2, 4);
        r.deviceWrite(m.dmaAddress(), half);
        assertArrayEquals(old, high.read(r.cpu, 0, SIZE), "no copy-out before sync");

        HwCounters before = r.counters();
        m.syncForCpu(r.cpu);
        HwCounters s = r.counters().minus(before);
        assertEquals(LINES, s.linesInvalidated(), "the bounce buffer is invalidated");
        assertEquals(1, s.barriers());
        byte[] expected = old.clone();
        System.arraycopy(half, 0, expected, 0, half.length);
        assertArrayEquals(expected, high.read(r.cpu, 0, SIZE));

        // FROM_DEVICE: sync for device does not copy in
        byte[] cpuData = Rig.pattern(SIZE, 5);
        high.write(r.cpu, 0, cpuData);
        m.syncForDevice(r.cpu);
        assertArrayEquals(expected, r.deviceRead(m.dmaAddress(), SIZE));

        byte[] full = Rig.pattern(SIZE, 6);
        r.deviceWrite(m.dmaAddress(), full);
        m.unmap(r.cpu);
        assertTrue(r.anyDirty(high.paddr(), SIZE), "the copy-out went through the CPU's cache");
        assertArrayEquals(full, high.read(r.cpu, 0, SIZE), "unmap copies out");
        assertEquals(0, r.memory.bounceSlotsInUse());
    }

    @Test
    void aScopedMappingIsTheMappingItWrapsAndItsSyncsCopy() {
        Rig r = rig();
        CpuBuffer high = r.memory.allocateAbove(HIGH, 2 * SIZE);
        ScopedDmaMapping escaped;
        try (ScopedDmaMapping m = r.dev.mapSingleScoped(r.cpu, high, DmaDirection.BIDIRECTIONAL)) {
            escaped = m;
            assertEquals(2 * SIZE, m.size());
            assertEquals(DmaDirection.BIDIRECTIONAL, m.direction());
            assertEquals(MappingKind.SINGLE, m.kind());
            assertEquals(1, m.dmaCount());
            assertEquals(List.of(new org.dmalib.iommu.api.DmaSegment(m.dmaAddress(), 2 * SIZE)), m.dmaSegments());
            assertTrue(m.isBounced());
            assertTrue(m.isMapped());
            byte[] dev = Rig.pattern(2 * SIZE, 20);
            r.deviceWrite(m.dmaAddress(), dev);
            m.syncForCpu(r.cpu, SIZE, SIZE);
            assertArrayEquals(java.util.Arrays.copyOfRange(dev, SIZE, 2 * SIZE), high.read(r.cpu, SIZE, SIZE));
            m.syncForCpu(r.cpu);
            assertArrayEquals(dev, high.read(r.cpu, 0, 2 * SIZE));
            byte[] cpu = Rig.pattern(2 * SIZE, 21);
            high.write(r.cpu, 0, cpu);
            m.syncForDevice(r.cpu, 0, SIZE);
            assertArrayEquals(java.util.Arrays.copyOf(cpu, SIZE), r.deviceRead(m.dmaAddress(), SIZE));
            assertArrayEquals(java.util.Arrays.copyOfRange(dev, SIZE, 2 * SIZE),
                    r.deviceRead(m.dmaAddress() + SIZE, SIZE), "only the range was copied in");
            m.syncForDevice(r.cpu);
            assertArrayEquals(cpu, r.deviceRead(m.dmaAddress(), 2 * SIZE));
        }
        assertFalse(escaped.isMapped());
        assertEquals(0, r.memory.bounceSlotsInUse());
        try (ScopedDmaMapping sg = r.dev.mapSgScoped(r.cpu, ScatterList.of(high.segment()), DmaDirection.TO_DEVICE)) {
            assertEquals(MappingKind.SCATTER_GATHER, sg.kind());
            assertTrue(sg.isBounced());
        }
        CpuBuffer low = r.memory.allocate(SIZE);
        try (ScopedDmaMapping m = r.dev.mapSingleScoped(r.cpu, low.paddr(), SIZE, DmaDirection.TO_DEVICE)) {
            assertFalse(m.isBounced());
            assertEquals(low.paddr(), m.dmaAddress());
        }
        assertTrue(r.dev.pendingMappings().isEmpty());
    }

    @Test
    void bidirectionalCopiesBothWays() {
        Rig r = rig();
        CpuBuffer high = r.memory.allocateAbove(HIGH, SIZE);
        DmaMapping m = r.dev.mapSingle(r.cpu, high, DmaDirection.BIDIRECTIONAL);
        byte[] a = Rig.pattern(SIZE, 7);
        high.write(r.cpu, 0, a);
        m.syncForDevice(r.cpu);
        assertArrayEquals(a, r.deviceRead(m.dmaAddress(), SIZE));
        byte[] b = Rig.pattern(SIZE, 8);
        r.deviceWrite(m.dmaAddress(), b);
        m.unmap(r.cpu);
        assertArrayEquals(b, high.read(r.cpu, 0, SIZE));
    }

    @Test
    void coherentDeviceBouncesWithoutMaintenance() {
        Rig r = new Rig(Coherency.COHERENT, MASK_16M);
        CpuBuffer high = r.memory.allocateAbove(HIGH, SIZE);
        byte[] data = Rig.pattern(SIZE, 9);
        high.write(r.cpu, 0, data);
        HwCounters before = r.counters();
        DmaMapping m = r.dev.mapSingle(r.cpu, high, DmaDirection.BIDIRECTIONAL);
        assertTrue(m.isBounced());
        assertArrayEquals(data, r.deviceRead(m.dmaAddress(), SIZE));
        byte[] back = Rig.pattern(SIZE, 10);
        r.deviceWrite(m.dmaAddress(), back);
        m.unmap(r.cpu);
        HwCounters d = r.counters().minus(before);
        assertEquals(0, d.linesCleaned() + d.linesInvalidated() + d.linesCleanInvalidated() + d.barriers());
        assertArrayEquals(back, high.read(r.cpu, 0, SIZE));
    }

    @Test
    void scatterlistBouncesOnlyTheSegmentsAboveTheMaskWithOneBarrier() {
        Rig r = rig();
        CpuBuffer low = r.memory.allocate(SIZE);
        CpuBuffer high = r.memory.allocateAbove(HIGH, SIZE);
        byte[] dl = Rig.pattern(SIZE, 11);
        byte[] dh = Rig.pattern(SIZE, 12);
        low.write(r.cpu, 0, dl);
        high.write(r.cpu, 0, dh);
        HwCounters before = r.counters();
        DmaMapping m = r.dev.mapSg(r.cpu, ScatterList.of(low.segment(), high.segment()),
                DmaDirection.TO_DEVICE);
        HwCounters d = r.counters().minus(before);
        assertEquals(2 * LINES, d.linesCleaned());
        assertEquals(1, d.barriers());
        assertEquals(low.paddr(), m.dmaSegments().get(0).dmaAddress());
        assertTrue(m.dmaSegments().get(1).dmaAddress() < Rig.POOL);
        assertArrayEquals(dl, r.deviceRead(m.dmaSegments().get(0).dmaAddress(), SIZE));
        assertArrayEquals(dh, r.deviceRead(m.dmaSegments().get(1).dmaAddress(), SIZE));
        m.unmap(r.cpu);
        assertEquals(0, r.memory.bounceSlotsInUse());
    }

    @Test
    void exhaustionIsTypedAndChangesNothing() {
        Rig r = rig();
        long max = r.dev.maxBounceSize();
        assertEquals(256 * 1024, max);
        CpuBuffer high = r.memory.allocateAbove(HIGH, (int) max);
        List<DmaMapping> held = new ArrayList<>();
        for (int i = 0; i < Rig.POOL / max; i++) {
            held.add(r.dev.mapSingle(r.cpu, high, DmaDirection.TO_DEVICE));
        }
        int slots = r.memory.bounceSlotsInUse();
        assertEquals(Rig.POOL / 2048, slots);
        HwCounters before = r.counters();
        List<PendingMapping> pending = r.dev.pendingMappings();

        BouncePoolExhaustedException e = assertThrows(BouncePoolExhaustedException.class,
                () -> r.dev.mapSingle(r.cpu, high.paddr(), 2048, DmaDirection.TO_DEVICE));
        assertTrue(e.getMessage().contains("size=2048"), e.getMessage());
        assertEquals(slots, r.memory.bounceSlotsInUse());
        assertEquals(r.counters(), before);
        assertEquals(pending, r.dev.pendingMappings());

        held.remove(0).unmap(r.cpu);
        DmaMapping again = r.dev.mapSingle(r.cpu, high.paddr(), 2048, DmaDirection.TO_DEVICE);
        again.unmap(r.cpu);
        for (DmaMapping m : held) {
            m.unmap(r.cpu);
        }
        assertEquals(0, r.memory.bounceSlotsInUse());
    }

    @Test
    void scatterlistFailingOnItsLastSegmentKeepsNoSlot() {
        Rig r = new Rig(Coherency.NON_COHERENT, MASK_16M);
        CpuBuffer high = r.memory.allocateAbove(HIGH, 64 * 1024);
        // 16 segments of 64 KiB fill the 1 MiB pool; a 17th cannot be bounced
        List<Segment> segs = new ArrayList<>();
        for (int i = 0; i < 17; i++) {
            segs.add(high.segment());
        }
        HwCounters before = r.counters();
        assertThrows(BouncePoolExhaustedException.class,
                () -> r.dev.mapSg(r.cpu, ScatterList.of(segs), DmaDirection.TO_DEVICE));
        assertEquals(0, r.memory.bounceSlotsInUse());
        assertEquals(before, r.counters());
        assertTrue(r.dev.pendingMappings().isEmpty());
    }

    @Test
    void tooBigToBounceIsAMappingExceptionButNotExhaustion() {
        Rig r = rig();
        CpuBuffer high = r.memory.allocateAbove(HIGH, 512 * 1024);
        DmaMappingException e = assertThrows(DmaMappingException.class,
                () -> r.dev.mapSingle(r.cpu, high, DmaDirection.TO_DEVICE));
        assertFalse(e instanceof BouncePoolExhaustedException);
        assertTrue(e.getMessage().contains("size=524288"), e.getMessage());
        assertEquals(0, r.memory.bounceSlotsInUse());
    }

    @Test
    void noPoolMeansAboveTheMaskCannotBeMapped() {
        Rig base = rig();
        PageAllocator noPool = PageAllocator.create(base.machine, 0);
        DmaDevice dev = DmaDevice.create(noPool, base.dev.params());
        CpuBuffer high = noPool.allocateAbove(HIGH, SIZE);
        DmaMappingException e = assertThrows(DmaMappingException.class,
                () -> dev.mapSingle(base.cpu, high, DmaDirection.TO_DEVICE));
        assertTrue(e.getMessage().contains("dmaMask=0xffffff"), e.getMessage());
    }
}
