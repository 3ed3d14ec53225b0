package org.dmalib.dma.ops;

import org.dmalib.dma.ops.internal.bounce.BouncePool;
import org.dmalib.dma.ops.internal.direct.Chunk;

/**
 * Helper of {@link DmaDevice}'s direct path: where each buffer of a mapping goes (itself or a
 * bounce buffer). Stateless.
 */
final class DirectPath {
    private DirectPath() {}

    /**
     * Plans one buffer of a direct mapping: the buffer itself if the device's mask reaches it,
     * else a bounce buffer reserved in {@code pool}, whose address keeps the buffer's bits under
     * the device's {@link DeviceParams#minAlignMask()}. Reserves nothing when it throws.
     */
    static Chunk plan(BouncePool pool, DeviceParams params, long paddr, long size) {
        long mask = params.dmaMask();
        Chunk chunk;
        // dma_capable: the last byte must be reachable under the mask (compared unsigned)
        if (Long.compareUnsigned(paddr + size - 1, mask) <= 0) {
            chunk = new Chunk(paddr, Chunk.NOT_BOUNCED, size);
        } else {
            if (pool.size() == 0) {
                throw new DmaMappingException(String.format(
                        "paddr=0x%x size=%d overflows dmaMask=0x%x and there is no bounce pool",
                        paddr, size, mask));
            }
            long align = params.minAlignMask();
            long largest = BouncePool.maxMappingSize(align);
            if (size > largest) {
                throw new DmaMappingException(String.format(
                        "size=%d overflows dmaMask=0x%x and exceeds the largest bounce buffer=%d%s",
                        size, mask, largest, align == 0 ? ""
                                : String.format(" (minAlignMask=0x%x)", align)));
            }
            // the bounce buffer keeps paddr's bits under the device's min_align_mask
            long tlb = pool.reserveFor(paddr, size, mask, align);
            if (tlb < 0 && !pool.couldEverReserveFor(paddr, size, mask, align)) {
                // no unmap can free a run for it: the pool is too small or too high, not full
                throw new DmaMappingException(String.format(
                        "size=%d overflows dmaMask=0x%x and the bounce pool (size=%d) has no run"
                        + " of slots for it below the mask even when empty",
                        size, mask, pool.size()));
            }
            if (tlb < 0) {
                throw new BouncePoolExhaustedException(String.format(
                        "bounce pool is full for size=%d (slots=%d, used=%d)",
                        size, pool.slotCount(), pool.slotsInUse()));
            }
            chunk = new Chunk(paddr, tlb, size);
        }
        return chunk;
    }

    /**
     * Releases the bounce buffer {@link #plan} reserved at {@code bounce} for {@code size}
     * bytes, with the same {@link DeviceParams#minAlignMask()} the reservation took.
     */
    static void release(BouncePool pool, DeviceParams params, long bounce, long size) {
        pool.releaseFor(bounce, size, params.minAlignMask());
    }
}
