package org.dmalib.arch.coherency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ArchDmaTest {
    @Test
    void dma_alignment_needs_both_ends_on_128_bytes() {
        assertTrue(ArchDma.isDmaAligned(0x1000, 256));
        assertFalse(ArchDma.isDmaAligned(0x1040, 256));
        assertFalse(ArchDma.isDmaAligned(0x1000, 64));
    }

    @Test
    void a_negative_size_or_address_or_a_range_past_2_pow_63_is_refused_naming_it() {
        // -128 and Long.MIN_VALUE have no low bits set: unchecked, they read as aligned
        long[][] bad = {{0x1000, -128}, {0x1000, -1}, {0x1000, Long.MIN_VALUE}, {-128, 256},
            {Long.MIN_VALUE, 0}, {Long.MAX_VALUE - 127, 256}, {128, Long.MAX_VALUE - 127}};
        for (long[] r : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ArchDma.isDmaAligned(r[0], r[1]));
            assertEquals(IllegalArgumentException.class, e.getClass());
            assertTrue(e.getMessage().contains(String.format("paddr=0x%x size=%d", r[0], r[1])),
                    e.getMessage());
        }
        assertTrue(ArchDma.isDmaAligned(0, 0));
        assertTrue(ArchDma.isDmaAligned(Long.MAX_VALUE - 127 - 128, 128)); // ends at 2^63 - 128
        assertFalse(ArchDma.isDmaAligned(0, Long.MAX_VALUE));
    }
}
