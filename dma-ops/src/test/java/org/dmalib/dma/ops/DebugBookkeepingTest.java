package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.DmaDirection;
import org.junit.jupiter.api.Test;

/**
 * What the DMA-API debug checks remember between calls: the per-cache-line count of
 * device-writable mappings (kept exact through unmaps and failed maps), the overflow limit of
 * that count, how many reports a device keeps, and that OFF records nothing.
 */
class DebugBookkeepingTest {
    private static final DmaDirection TO = DmaDirection.TO_DEVICE;
    private static final DmaDirection FROM = DmaDirection.FROM_DEVICE;

    private static Rig warning() {
        return new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.WARN);
    }

    private static long count(DmaDevice dev, DebugCheck check) {
        return dev.debugReports().stream().filter(r -> r.check() == check).count();
    }

    @Test
    void aLineSharedByThreeStillCountsTwoAfterOneIsUnmapped() {
        Rig w = warning();
        CpuBuffer b = w.memory.allocate(4096);
        DmaMapping a = w.dev.mapSingle(w.cpu, b.paddr(), 16, FROM);
        DmaMapping c = w.dev.mapSingle(w.cpu, b.paddr() + 16, 16, FROM);
        DmaMapping d = w.dev.mapSingle(w.cpu, b.paddr() + 32, 16, FROM);
        assertEquals(2, count(w.dev, DebugCheck.CACHELINE_OVERLAP));
        d.unmap(w.cpu);
        // a and c still share the line: a fourth one overlaps them
        DmaMapping e = w.dev.mapSingle(w.cpu, b.paddr() + 48, 16, FROM);
        assertEquals(3, count(w.dev, DebugCheck.CACHELINE_OVERLAP));
        for (DmaMapping m : List.of(a, c, e)) {
            m.unmap(w.cpu);
        }
        // all gone: the line is free
        w.dev.mapSingle(w.cpu, b.paddr(), 16, FROM).unmap(w.cpu);
        assertEquals(3, w.dev.debugReportCount());
    }

    @Test
    void aMapThatFailsLeavesItsCacheLinesUnclaimed() {
        Rig r = new Rig(Coherency.NON_COHERENT, DeviceParams.bitMask(24));
        CpuBuffer high = r.memory.allocateAbove(32L << 20, 512 * 1024);
        assertThrows(DmaMappingException.class, () -> r.dev.mapSingle(r.cpu, high, FROM), "too big to bounce");
        // THROW mode: a line still claimed by the failed map would make this an overlap
        DmaMapping m = r.dev.mapSingle(r.cpu, high.paddr(), 64, FROM);
        m.unmap(r.cpu);
        assertEquals(0, r.dev.debugReportCount());
    }

    @Test
    void theOverflowIsReportedByTheMappingThatPassesTheLimitNotBefore() {
        Rig w = warning();
        CpuBuffer b = w.memory.allocate(4096);
        List<DmaMapping> made = new ArrayList<>();
        // the first mapping and MAX_OVERLAPS overlapping ones: at the limit, not past it
        for (int i = 0; i <= DebugState.MAX_OVERLAPS; i++) {
            made.add(w.dev.mapSingle(w.cpu, b.paddr(), 64, FROM));
        }
        assertEquals(DebugState.MAX_OVERLAPS, count(w.dev, DebugCheck.CACHELINE_OVERLAP));
        assertEquals(0, count(w.dev, DebugCheck.CACHELINE_OVERLAP_OVERFLOW));
        made.add(w.dev.mapSingle(w.cpu, b.paddr(), 64, FROM));
        assertEquals(1, count(w.dev, DebugCheck.CACHELINE_OVERLAP_OVERFLOW));
        for (DmaMapping m : made) {
            m.unmap(w.cpu);
        }
    }

    @Test
    void aDeviceKeepsTheFirstReportsAndCountsAll() {
        Rig w = warning();
        CpuBuffer b = w.memory.allocate(4096);
        DmaMapping m = w.dev.mapSingle(w.cpu, b, TO);
        int kept = DeviceDebug.KEPT_REPORTS;
        for (int i = 0; i <= kept; i++) {
            // TO_DEVICE synced for the device as FROM_DEVICE: one report each
            w.dev.syncSingleForDevice(w.cpu, m.dmaAddress(), 64 + i % 64, FROM);
        }
        assertEquals(kept + 1, w.dev.debugReportCount());
        List<DmaDebugReport> reports = w.dev.debugReports();
        assertEquals(kept, reports.size());
        assertTrue(reports.get(0).message().contains("[size=64 bytes]"), () -> reports.get(0).message());
        assertTrue(reports.get(kept - 1).message().contains("[size=127 bytes]"), () -> reports.get(kept - 1).message());
        m.unmap(w.cpu);
    }

    @Test
    void offRecordsNothingForTheMisuseItLetsThrough() {
        Rig off = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.OFF);
        CpuBuffer b = off.memory.allocate(8192);
        DmaMapping m = off.dev.mapSingle(off.cpu, b, TO);
        off.dev.syncSingleForCpu(off.cpu, m.dmaAddress(), 4096, FROM);
        off.dev.syncSingleForDevice(off.cpu, m.dmaAddress(), 4096, FROM);
        off.dev.unmapSingle(off.cpu, m.dmaAddress(), 4096, FROM);
        assertEquals(0, off.dev.debugReportCount());
        assertEquals(List.of(), off.dev.debugReports());
        assertEquals(List.of(), off.dev.pendingMappings());
    }
}
