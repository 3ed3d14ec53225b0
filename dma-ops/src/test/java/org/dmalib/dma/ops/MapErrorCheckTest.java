package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.DmaDirection;
import org.junit.jupiter.api.Test;

/**
 * {@link DmaDevice#mappingError} marks one unchecked map result at its address: with two bare
 * mappings of one page, each checked after its map, neither unmap reports an unchecked result.
 */
class MapErrorCheckTest {
    private static final DmaDirection TO = DmaDirection.TO_DEVICE;

    @Test
    void aSecondCheckAtOneAddressMarksTheSecondMapping() {
        // the same page mapped twice on purpose: WARN, and only the unchecked-result reports count
        Rig r = new Rig(Coherency.NON_COHERENT, DeviceParams.DEFAULT_DMA_MASK, DebugMode.WARN);
        CpuBuffer buf = r.memory.allocate(4096);
        long first = r.dev.mapPage(r.cpu, buf.paddr(), 4096, TO);
        assertFalse(r.dev.mappingError(first));
        long second = r.dev.mapPage(r.cpu, buf.paddr(), 4096, TO);
        assertEquals(first, second);
        assertFalse(r.dev.mappingError(second));
        r.dev.unmapSingle(r.cpu, first, 4096, TO);
        r.dev.unmapSingle(r.cpu, second, 4096, TO);
        assertEquals(List.of(), r.dev.debugReports().stream()
                .filter(rep -> rep.check() == DebugCheck.MAP_ERROR_NOT_CHECKED).toList());
        assertEquals(List.of(), r.dev.pendingMappings());
    }
}
