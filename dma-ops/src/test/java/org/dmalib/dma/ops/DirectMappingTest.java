package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Coherency;
import org.dmalib.hw.HwCounters;
import org.dmalib.iommu.api.DmaDirection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Single mappings of a non-coherent and a coherent device, observed through the hardware. */
class DirectMappingTest {
    private static final int SIZE = 4096;
    private static final int LINES = SIZE / Rig.LINE;

    @Test
    void withoutMappingANonCoherentDeviceReadsStaleRam() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(SIZE);
        byte[] data = Rig.pattern(SIZE, 1);
        buf.write(r.cpu, 0, data);
        // the control experiment: the store sits dirty in the cache, RAM is still zero
        assertTrue(r.anyDirty(buf.paddr(), SIZE));
        assertArrayEquals(new byte[SIZE], r.deviceRead(buf.paddr(), SIZE));
    }

    @Test
    void mapToDeviceCleansEveryLineWithOneBarrierAndTheDeviceReadsTheData() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(SIZE);
        byte[] data = Rig.pattern(SIZE, 2);
        buf.write(r.cpu, 0, data);
        HwCounters before = r.counters();
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
        HwCounters d = r.counters().minus(before);
        assertEquals(LINES, d.linesCleaned());
        assertEquals(0, d.linesInvalidated());
        assertEquals(0, d.linesCleanInvalidated());
        assertEquals(1, d.barriers());
        assertEquals(0, r.machine.writebacksInFlight());
        assertFalse(r.anyDirty(buf.paddr(), SIZE));
        assertEquals(buf.paddr(), m.dmaAddress(), "dma-direct: DMA address = physical address");
        assertFalse(m.isBounced());
        assertArrayEquals(data, r.deviceRead(m.dmaAddress(), SIZE));

        HwCounters beforeUnmap = r.counters();
        m.unmap(r.cpu);
        HwCounters u = r.counters().minus(beforeUnmap);
        assertEquals(0, u.linesInvalidated() + u.linesCleaned() + u.linesCleanInvalidated());
        assertEquals(0, u.barriers(), "TO_DEVICE: nothing to do for the CPU, not even a barrier");
        assertFalse(m.isMapped());
    }

    @Test
    void fromDeviceCpuSeesStaleLinesUntilUnmapInvalidates() {
        // the driver breaks the ownership rule on purpose: debug checks off to see the hardware
        Rig r = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.OFF);
        CpuBuffer buf = r.memory.allocate(SIZE);
        buf.fill(r.cpu, (byte) 0);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.FROM_DEVICE);
        assertTrue(r.anyCached(buf.paddr(), SIZE), "a clean leaves the lines cached");
        byte[] data = Rig.pattern(SIZE, 3);
        r.deviceWrite(m.dmaAddress(), data);
        // the CPU reads its cached zeros: stale
        assertArrayEquals(new byte[SIZE], buf.read(r.cpu, 0, SIZE));

        HwCounters before = r.counters();
        m.unmap(r.cpu);
        HwCounters d = r.counters().minus(before);
        assertEquals(LINES, d.linesInvalidated());
        assertEquals(0, d.linesCleaned());
        assertEquals(1, d.barriers());
        assertArrayEquals(data, buf.read(r.cpu, 0, SIZE));
    }

    @ParameterizedTest
    @EnumSource(value = DmaDirection.class, names = {"TO_DEVICE", "FROM_DEVICE", "BIDIRECTIONAL"})
    void armMatrixForDeviceCleansEveryDirectionForCpuInvalidatesAllButToDevice(DmaDirection dir) {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(SIZE);
        buf.fill(r.cpu, (byte) 7);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, dir);

        HwCounters before = r.counters();
        m.syncForCpu(r.cpu);
        HwCounters c = r.counters().minus(before);
        boolean invalidates = dir != DmaDirection.TO_DEVICE;
        assertEquals(invalidates ? LINES : 0, c.linesInvalidated());
        assertEquals(0, c.linesCleaned());
        assertEquals(invalidates ? 1 : 0, c.barriers());

        before = r.counters();
        m.syncForDevice(r.cpu);
        HwCounters dv = r.counters().minus(before);
        assertEquals(LINES, dv.linesCleaned());
        assertEquals(0, dv.linesInvalidated());
        assertEquals(1, dv.barriers());
        m.unmap(r.cpu);
    }

    @Test
    void rangeSyncMaintainsOnlyTheLinesOfTheRange() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(SIZE);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.BIDIRECTIONAL);
        HwCounters before = r.counters();
        m.syncForDevice(r.cpu, 128, 128);
        m.syncForCpu(r.cpu, 256, 64);
        HwCounters d = r.counters().minus(before);
        assertEquals(2, d.linesCleaned());
        assertEquals(1, d.linesInvalidated());
        assertEquals(2, d.barriers());
        m.unmap(r.cpu);
    }

    @Test
    void syncForDeviceMakesLaterCpuWritesVisibleToTheDevice() {
        // the driver breaks the ownership rule on purpose: debug checks off to see the hardware
        Rig r = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.OFF);
        CpuBuffer buf = r.memory.allocate(SIZE);
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, DmaDirection.TO_DEVICE);
        byte[] data = Rig.pattern(SIZE, 4);
        buf.write(r.cpu, 0, data);
        assertArrayEquals(new byte[SIZE], r.deviceRead(m.dmaAddress(), SIZE), "not synced: stale");
        m.syncForDevice(r.cpu);
        assertArrayEquals(data, r.deviceRead(m.dmaAddress(), SIZE));
        m.unmap(r.cpu);
    }

    @ParameterizedTest
    @EnumSource(value = DmaDirection.class, names = {"TO_DEVICE", "FROM_DEVICE", "BIDIRECTIONAL"})
    void coherentDeviceGetsNoMaintenanceAndNoBarrier(DmaDirection dir) {
        Rig r = new Rig(Coherency.COHERENT);
        assertTrue(r.dev.isCoherent(), "coherent flag defaults to the port's attachment");
        CpuBuffer buf = r.memory.allocate(SIZE);
        byte[] data = Rig.pattern(SIZE, 5);
        buf.write(r.cpu, 0, data);
        HwCounters before = r.counters();
        DmaMapping m = r.dev.mapSingle(r.cpu, buf, dir);
        assertArrayEquals(data, r.deviceRead(m.dmaAddress(), SIZE), "the port snoops dirty lines");
        m.syncForCpu(r.cpu);
        m.syncForDevice(r.cpu);
        m.unmap(r.cpu);
        HwCounters d = r.counters().minus(before);
        assertEquals(0, d.linesCleaned() + d.linesInvalidated() + d.linesCleanInvalidated());
        assertEquals(0, d.barriers());
    }

    @Test
    void scopedMappingUnmapsAtClose() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer buf = r.memory.allocate(SIZE);
        buf.fill(r.cpu, (byte) 0);
        byte[] data = Rig.pattern(SIZE, 6);
        try (ScopedDmaMapping m = r.dev.mapSingleScoped(r.cpu, buf, DmaDirection.FROM_DEVICE)) {
            r.deviceWrite(m.dmaAddress(), data);
            assertEquals(1, r.dev.pendingMappings().size());
        }
        assertTrue(r.dev.pendingMappings().isEmpty());
        assertArrayEquals(data, buf.read(r.cpu, 0, SIZE), "close invalidated the stale lines");
    }

    @Test
    void defaultsAreLinuxs() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        DeviceParams p = DeviceParams.of(r.port);
        assertEquals(0xFFFF_FFFFL, p.dmaMask());
        assertEquals(65536, p.maxSegmentSize());
        assertEquals(-1L, p.segmentBoundaryMask());
        assertFalse(p.coherent());
        assertEquals(1, p.streamId());
        assertEquals(DeviceParams.bitMask(40), (1L << 40) - 1);
        assertEquals(-1L, DeviceParams.bitMask(64));
        assertTrue(p.withCoherent(true).coherent());
    }
}
