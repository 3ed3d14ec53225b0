package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.DmaDirection;
import org.dmalib.iommu.api.ScatterList;
import org.junit.jupiter.api.Test;

/** Detach lists every pending mapping: address, size, direction, kind. */
class LeakReportTest {

    @Test
    void detachReportsEveryPendingMapping() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer a = r.memory.allocate(4096);
        CpuBuffer b = r.memory.allocate(8192);
        DmaMapping single = r.dev.mapSingle(r.cpu, a, DmaDirection.TO_DEVICE);
        DmaMapping sg = r.dev.mapSg(r.cpu, ScatterList.of(b.segment(0, 4096), b.segment(4096, 4096)),
                DmaDirection.FROM_DEVICE);
        CoherentBuffer ring = r.dev.allocCoherent(r.cpu, 1024);
        CpuBuffer c = r.memory.allocate(4096);
        DmaMapping closed = r.dev.mapSingle(r.cpu, c, DmaDirection.BIDIRECTIONAL);
        closed.unmap(r.cpu);

        DmaLeakException e = assertThrows(DmaLeakException.class, r.dev::detach);
        assertEquals(List.of(
                new PendingMapping(a.paddr(), 4096, DmaDirection.TO_DEVICE, MappingKind.SINGLE, 1),
                new PendingMapping(b.paddr(), 8192, DmaDirection.FROM_DEVICE, MappingKind.SCATTER_GATHER, 2),
                new PendingMapping(ring.dmaAddress(), 1024, DmaDirection.BIDIRECTIONAL, MappingKind.COHERENT, 1)),
                e.pending());
        String msg = e.getMessage();
        assertTrue(msg.contains("pending=3"), msg);
        assertTrue(msg.contains(String.format("SINGLE dmaAddress=0x%x size=4096 dir=TO_DEVICE", a.paddr())), msg);
        assertTrue(msg.contains("SCATTER_GATHER"), msg);
        assertTrue(msg.contains("COHERENT"), msg);
        assertTrue(r.dev.isDetached());

        // the driver may still clean up after the report
        single.unmap(r.cpu);
        sg.unmap(r.cpu);
        ring.free();
        assertTrue(r.dev.pendingMappings().isEmpty());
    }

    @Test
    void detachWithNothingPendingIsQuiet() {
        Rig r = new Rig(Coherency.NON_COHERENT);
        CpuBuffer a = r.memory.allocate(4096);
        try (ScopedDmaMapping m = r.dev.mapSingleScoped(r.cpu, a, DmaDirection.TO_DEVICE)) {
            assertTrue(m.isMapped());
        }
        r.dev.detach();
        assertTrue(r.dev.isDetached());
    }
}
