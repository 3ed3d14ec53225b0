package org.dmalib.dma.ops.internal.direct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Chunk}: the record refuses what is no chunk, naming the value, and slices to its end. */
class ChunkTest {
    @Test
    void aNegativePhysicalAddressIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Chunk(-0x1000, Chunk.NOT_BOUNCED, 64));
        assertEquals("phys=0x" + Long.toHexString(-0x1000L) + " must not be negative", e.getMessage());
    }

    @Test
    void aBounceAddressBelowNotBouncedIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Chunk(0x1000, -2, 64));
        assertEquals("bounce=0xfffffffffffffffe is not an address", e.getMessage());
    }

    @Test
    void aSizeOfZeroOrLessIsRefused() {
        for (long size : new long[] {0, -64}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Chunk(0x1000, Chunk.NOT_BOUNCED, size));
            assertEquals("size=" + size + " must be positive", e.getMessage());
        }
    }

    @Test
    void theFirstAddressAndZeroBounceAreChunks() {
        Chunk c = new Chunk(0, 0, 1);
        assertEquals(0, c.devicePhys());
        assertTrue(c.bounced());
    }

    @Test
    void aSliceMayEndOnTheChunksLastByte() {
        Chunk c = new Chunk(0x1000, 0x9000, 0x100);
        assertEquals(new Chunk(0x10F0, 0x90F0, 0x10), c.slice(0xF0, 0x10));
        assertEquals(c, c.slice(0, 0x100));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.slice(0xF1, 0x10));
        assertEquals("offset=241 length=16 is outside size=256", e.getMessage());
    }
}
