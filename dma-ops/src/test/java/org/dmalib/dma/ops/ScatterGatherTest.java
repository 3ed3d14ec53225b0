package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.hw.HwCounters;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.DmaSegment;
import org.dmalib.iommu.api.ScatterList;
import org.junit.jupiter.api.Test;

/** Scatterlists on the direct path: 1:1 segments, per-segment maintenance, one barrier. */
class ScatterGatherTest {

    private static ScatterList threeSegments(CpuBuffer a, CpuBuffer b, CpuBuffer c) {
        return ScatterList.of(a.segment(0, 1024), b.segment(512, 2048), c.segment(0, 4096));
    }

    @Test
    void mapCleansEverySegmentWithOneBarrierAndMapsOneToOne() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer a = r.memory.allocate(4096);
        CpuBuffer b = r.memory.allocate(4096);
        CpuBuffer c = r.memory.allocate(4096);
        byte[] da = Rig.pattern(1024, 1);
        byte[] db = Rig.pattern(2048, 2);
        byte[] dc = Rig.pattern(4096, 3);
        a.write(r.cpu, 0, da);
        b.write(r.cpu, 512, db);
        c.write(r.cpu, 0, dc);
        ScatterList list = threeSegments(a, b, c);

        HwCounters before = r.counters();
        DmaMapping m = r.dev.mapSg(r.cpu, list, DmaDirection.TO_DEVICE);
        HwCounters d = r.counters().minus(before);
        assertEquals((1024 + 2048 + 4096) / Rig.LINE, d.linesCleaned());
        assertEquals(1, d.barriers(), "one barrier for the whole list");

        assertEquals(3, m.dmaCount(), "count = nents: no merging on the direct path");
        assertEquals(List.of(new DmaSegment(a.paddr(), 1024), new DmaSegment(b.paddr() + 512, 2048),
                new DmaSegment(c.paddr(), 4096)), m.dmaSegments());
        assertArrayEquals(da, r.deviceRead(m.dmaSegments().get(0).dmaAddress(), 1024));
        assertArrayEquals(db, r.deviceRead(m.dmaSegments().get(1).dmaAddress(), 2048));
        assertArrayEquals(dc, r.deviceRead(m.dmaSegments().get(2).dmaAddress(), 4096));
        m.unmap(r.cpu);
    }

    @Test
    void syncAndUnmapOfThreeSegmentsIssueOneBarrierEach() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer a = r.memory.allocate(4096);
        CpuBuffer b = r.memory.allocate(4096);
        CpuBuffer c = r.memory.allocate(4096);
        DmaMapping m = r.dev.mapSg(r.cpu, threeSegments(a, b, c), DmaDirection.FROM_DEVICE);
        int lines = (1024 + 2048 + 4096) / Rig.LINE;

        HwCounters before = r.counters();
        m.syncForCpu(r.cpu);
        HwCounters s = r.counters().minus(before);
        assertEquals(lines, s.linesInvalidated());
        assertEquals(1, s.barriers());

        before = r.counters();
        m.syncForDevice(r.cpu);
        HwCounters sd = r.counters().minus(before);
        assertEquals(lines, sd.linesCleaned());
        assertEquals(1, sd.barriers());

        byte[] data = Rig.pattern(2048, 9);
        r.deviceWrite(m.dmaSegments().get(1).dmaAddress(), data);
        before = r.counters();
        m.unmap(r.cpu);
        HwCounters u = r.counters().minus(before);
        assertEquals(lines, u.linesInvalidated());
        assertEquals(1, u.barriers());
        assertArrayEquals(data, b.read(r.cpu, 512, 2048));
        assertFalse(m.isMapped());
    }

    @Test
    void rangeSyncCountsAcrossSegmentsInOrder() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer a = r.memory.allocate(4096);
        CpuBuffer b = r.memory.allocate(4096);
        CpuBuffer c = r.memory.allocate(4096);
        DmaMapping m = r.dev.mapSg(r.cpu, threeSegments(a, b, c), DmaDirection.BIDIRECTIONAL);
        HwCounters before = r.counters();
        // the last line of segment 0 and the first line of segment 1
        m.syncForDevice(r.cpu, 1024 - 64, 128);
        HwCounters d = r.counters().minus(before);
        assertEquals(2, d.linesCleaned());
        assertEquals(1, d.barriers());
        m.unmap(r.cpu);
    }
}
