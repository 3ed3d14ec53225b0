package org.dmalib.dma.ops;

import org.dmalib.dma.ops.internal.bounce.BouncePool;
import org.dmalib.dma.ops.internal.direct.Chunk;
import org.dmalib.iommu.api.DmaDirection;

/**
 * Helpers of {@link DmaDevice}'s direct path: where each buffer of a mapping goes (itself or a
 * bounce buffer), and the report of an unmap that matches no mapping. Stateless.
 */
final class DirectPath {
    private DirectPath() {}

    /**
     * Plans one buffer of a direct mapping: the buffer itself if the device's mask reaches it,
     * else a bounce buffer reserved in {@code pool}. Reserves nothing when it throws.
     */
    static Chunk plan(BouncePool pool, DeviceParams params, long paddr, long size, MappingKind kind,
            int index) {
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
            if (size > BouncePool.maxMappingSize()) {
                throw new DmaMappingException(String.format(
                        "size=%d overflows dmaMask=0x%x and exceeds the largest bounce buffer=%d",
                        size, mask, BouncePool.maxMappingSize()));
            }
            long tlb = pool.reserve(size, mask);
            if (tlb < 0) {
                throw new BouncePoolExhaustedException(String.format(
                        "bounce pool is full for size=%d (slots=%d, used=%d)",
                        size, pool.slotCount(), pool.slotsInUse()));
            }
            chunk = new Chunk(paddr, tlb, size);
        }
        if (kind == MappingKind.SCATTER_GATHER) {
            long boundary = params.segmentBoundaryMask();
            long start = chunk.devicePhys();
            long last = start + size - 1;
            if ((start & ~boundary) != (last & ~boundary)) {
                String where = chunk.bounced() ? " (its bounce buffer)" : "";
                // reported before the chunk is added: release its own slot here
                if (chunk.bounced()) {
                    pool.release(chunk.bounce(), size);
                }
                throw new DmaUsageException(String.format(
                        "segment[%d] dmaAddress=0x%x length=%d%s crosses segmentBoundaryMask=0x%x",
                        index, start, size, where, boundary));
            }
        }
        return chunk;
    }

    /** The dma-debug style report of an unmap that matches no live single mapping. */
    static String mismatch(long dmaAddress, long size, DmaDirection dir, DmaMapping near) {
        if (near == null) {
            return String.format("dmaAddress=0x%x is not mapped (unmap of a mapping never made,"
                    + " or unmap twice)", dmaAddress);
        }
        if (near.kind() != MappingKind.SINGLE) {
            return String.format("dmaAddress=0x%x was mapped as %s, not SINGLE",
                    dmaAddress, near.kind());
        }
        if (near.size() != size) {
            return String.format("size=%d does not match the mapped size=%d of dmaAddress=0x%x",
                    size, near.size(), dmaAddress);
        }
        return String.format("dir=%s does not match the mapped dir=%s of dmaAddress=0x%x",
                dir, near.direction(), dmaAddress);
    }
}
