package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.dmalib.iommu.api.Segment;
import org.junit.jupiter.api.Test;

/**
 * A map-time report names the exact bad value: which segment of a list, which physical
 * address in the shared cache line, a bounce buffer as such; and the limits are exact (a
 * segment that ends on a boundary does not cross it).
 */
class DebugReportDetailTest {
    private final Rig r = new Rig(Coherency.NON_COHERENT);

    private static DmaDebugReport thrown(DebugCheck check, org.junit.jupiter.api.function.Executable call) {
        DmaDebugException e = assertThrows(DmaDebugException.class, call);
        assertEquals(check, e.check(), e::getMessage);
        return e.report();
    }

    @Test
    void aListsBadAreaNamesItsSegment() {
        CpuBuffer good = r.memory.allocate(4096);
        CpuBuffer gone = r.memory.allocate(4096);
        r.memory.free(gone);
        DmaDebugReport report = thrown(DebugCheck.MAP_STACK, () -> r.dev.mapSg(r.cpu,
                ScatterList.of(good.segment(), Segment.ofPhysical(gone.paddr(), 64)), DmaDirection.TO_DEVICE));
        assertTrue(report.message().contains(String.format("[segment[1]] [addr=0x%x] [len=64]", gone.paddr())),
                report::message);
        DmaDebugReport single = thrown(DebugCheck.MAP_STACK,
                () -> r.dev.mapSingle(r.cpu, gone.paddr(), 64, DmaDirection.TO_DEVICE));
        assertTrue(single.message().contains("[SINGLE] [addr="), single::message);
    }

    @Test
    void anOverlapNamesTheAddressOfTheRangeInTheSharedLine() {
        CpuBuffer a = r.memory.allocate(4096);
        CpuBuffer b = r.memory.allocate(4096);
        DmaMapping first = r.dev.mapSingle(r.cpu, b.paddr(), 32, DmaDirection.FROM_DEVICE);
        DmaDebugReport report = thrown(DebugCheck.CACHELINE_OVERLAP, () -> r.dev.mapSg(r.cpu,
                ScatterList.of(a.segment(0, 64), Segment.ofPhysical(b.paddr() + 32, 32)), DmaDirection.FROM_DEVICE));
        assertTrue(report.message().contains(String.format("[cacheline=0x%x] [paddr=0x%x]",
                b.paddr() >>> 6, b.paddr() + 32)), report::message);
        first.unmap(r.cpu);
    }

    @Test
    void aSegmentEndingOnABoundaryDoesNotCrossItAndABouncedOneIsNamedAsSuch() {
        DmaDevice bounded = DmaDevice.create(r.memory, r.dev.params().withSegmentBoundaryMask(0xFFFF));
        CpuBuffer big = r.memory.allocate(128 * 1024);
        long boundary = (big.paddr() | 0xFFFF) + 1;
        DmaMapping ends = bounded.mapSg(r.cpu, ScatterList.of(Segment.ofPhysical(boundary - 64, 64)),
                DmaDirection.TO_DEVICE);
        ends.unmap(r.cpu);
        assertEquals(0, bounded.debugReportCount());

        Rig low = new Rig(Coherency.NON_COHERENT, DeviceParams.bitMask(24));
        DmaDevice lowBounded = DmaDevice.create(low.memory, low.dev.params().withSegmentBoundaryMask(0xFFF));
        CpuBuffer high = low.memory.allocateAbove(32L << 20, 8192);
        // 8 KiB: its bounce buffer crosses a 4 KiB boundary whatever slot it gets
        DmaDebugReport report = thrown(DebugCheck.SG_SEGMENT_ACROSS_BOUNDARY, () -> lowBounded.mapSg(low.cpu,
                ScatterList.of(high.segment()), DmaDirection.TO_DEVICE));
        assertTrue(report.message().contains("length=8192 (its bounce buffer)]"), report::message);
        assertEquals(0, low.memory.bounceSlotsInUse());
    }
}
