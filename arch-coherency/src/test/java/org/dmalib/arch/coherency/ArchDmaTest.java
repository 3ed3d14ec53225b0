package org.dmalib.arch.coherency;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ArchDmaTest {
    @Test
    void dma_alignment_needs_both_ends_on_128_bytes() {
        assertTrue(ArchDma.isDmaAligned(0x1000, 256));
        assertFalse(ArchDma.isDmaAligned(0x1040, 256));
        assertFalse(ArchDma.isDmaAligned(0x1000, 64));
    }
}
