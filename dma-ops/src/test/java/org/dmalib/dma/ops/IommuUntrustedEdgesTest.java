package org.dmalib.dma.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dmalib.hw.Coherency;
import org.dmalib.iommu.api.DmaDirection;
import org.junit.jupiter.api.Test;

/**
 * Untrusted devices at the edges of their bounce buffers: a buffer whose granules span the largest bounce
 * buffer is bounced, one byte more is refused, and the zeroed padding stays inside the buffer's granule.
 */
class IommuUntrustedEdgesTest {
    private static final byte STALE = (byte) 0x77;
    private static final int MAX_BOUNCE = 256 * 1024;

    private static IommuRig untrusted() {
        IommuRig r = new IommuRig(Coherency.NON_COHERENT, p -> p.withUntrusted(true));
        r.machine.memory().fill(r.memory.bouncePoolBase(), r.memory.bouncePoolSize(), STALE);
        return r;
    }

    @Test
    void aBufferSpanningTheLargestBounceBufferIsBouncedAndOneByteMoreIsNot() {
        IommuRig r = untrusted();
        CpuBuffer buf = r.memory.allocate(MAX_BOUNCE + 4096);
        // unaligned (so bounced), 0x100 into its first granule: the bounce buffer starts a
        // granule (no min_align_mask), so the whole largest bounce buffer fits it
        DmaMapping m = r.dev.mapSingle(r.cpu, buf.paddr() + 0x100, MAX_BOUNCE, DmaDirection.TO_DEVICE);
        assertTrue(m.isBounced());
        assertEquals(MAX_BOUNCE / 2048, r.memory.bounceSlotsInUse());
        m.unmap(r.cpu);
        DmaMappingException e = assertThrows(DmaMappingException.class,
                () -> r.dev.mapSingle(r.cpu, buf.paddr() + 0x100, MAX_BOUNCE + 1, DmaDirection.TO_DEVICE));
        assertTrue(e.getMessage().contains("more than the largest bounce buffer of " + MAX_BOUNCE), e::getMessage);
        assertEquals(0, r.memory.bounceSlotsInUse());
    }

    @Test
    void thePaddingZeroedAroundABufferStaysInItsGranule() {
        IommuRig r = untrusted();
        CpuBuffer page = r.memory.allocate(4096);
        page.write(r.cpu, 0x100, Rig.pattern(0x300, 1));
        DmaMapping m = r.dev.mapSingle(r.cpu, page.paddr() + 0x100, 0x300, DmaDirection.TO_DEVICE);
        assertTrue(m.isBounced());
        byte[] pool = r.ram(r.memory.bouncePoolBase(), (int) r.memory.bouncePoolSize());
        int first = -1;
        int last = -1;
        for (int i = 0; i < pool.length; i++) {
            if (pool[i] != STALE) {
                first = first < 0 ? i : first;
                last = i;
            }
        }
        assertTrue(first >= 0, "the buffer was copied into the pool");
        String changed = "changed bytes from 0x" + Integer.toHexString(first) + " to 0x"
                + Integer.toHexString(last) + ": one granule only";
        assertEquals(first / 4096, last / 4096, changed);
        m.unmap(r.cpu);
    }
}
