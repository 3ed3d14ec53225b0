package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.DmaDirection;
import org.junit.jupiter.api.Test;

/** {@code dma_capable} at the mask: a buffer whose last byte is the mask is reached directly. */
class MaskEdgeTest {
    private static final long MASK_16M = DeviceParams.bitMask(24);

    private final Rig r = new Rig(Coherency.NON_COHERENT, MASK_16M);

    @Test
    void aBufferEndingOnTheMaskIsMappedDirectlyAndOneByteMoreIsBounced() {
        CpuBuffer buf = r.memory.allocateAbove(MASK_16M + 1 - 4096, 8192);
        assertEquals(MASK_16M, buf.paddr() + 4096 - 1);
        DmaMapping direct = r.dev.mapSingle(r.cpu, buf.paddr(), 4096, DmaDirection.TO_DEVICE);
        assertFalse(direct.isBounced());
        assertEquals(buf.paddr(), direct.dmaAddress());
        direct.unmap(r.cpu);
        DmaMapping bounced = r.dev.mapSingle(r.cpu, buf.paddr(), 4097, DmaDirection.TO_DEVICE);
        assertTrue(bounced.isBounced(), "its last byte is one above the mask");
        bounced.unmap(r.cpu);
    }
}
