package org.dmalib.arch.coherency.internal.cache;

import java.util.Objects;
import org.dmalib.iommu.api.DmaDirection;

/**
 * {@code arch/arm64/mm/dma-mapping.c}: the cache maintenance the DMA API asks of the
 * architecture when ownership of a buffer moves between CPU and a non-coherent device.
 *
 * <table>
 *   <caption>The arm64 matrix (since commit c50f11c6196f, 2022)</caption>
 *   <tr><th>direction</th><th>{@link #forDeviceNoSync}</th><th>{@link #forCpuNoSync}</th></tr>
 *   <tr><td>TO_DEVICE</td><td>clean</td><td>nothing</td></tr>
 *   <tr><td>FROM_DEVICE</td><td>clean</td><td>invalidate</td></tr>
 *   <tr><td>BIDIRECTIONAL</td><td>clean</td><td>invalidate</td></tr>
 * </table>
 *
 * <p>FROM_DEVICE is cleaned, not invalidated, before the transfer: invalidating could resurrect
 * stale RAM contents over data the CPU wrote (a zeroed secret, say) if the device writes less
 * than the whole buffer.
 *
 * <p>Coherent devices need none of this; the caller (the DMA API) does not call these for them,
 * and {@link #forDevice(long, long, DmaDirection, boolean)} and
 * {@link #forCpu(long, long, DmaDirection, boolean)} take the
 * device's coherence and do nothing for a coherent one.
 *
 * <p>Thread-safety: immutable, safe for concurrent use.
 */
public final class ArchDmaSync {
    private final DcacheMaintenance dcache;

    /**
     * Creates the hooks over the given cache maintenance.
     *
     * @param dcache the maintenance operations of the CPU running the DMA API call
     */
    public ArchDmaSync(DcacheMaintenance dcache) {
        this.dcache = Objects.requireNonNull(dcache, "dcache");
    }

    /** {@return the cache maintenance these hooks issue, for the completing barrier} */
    public DcacheMaintenance dcache() {
        return dcache;
    }

    /**
     * {@code arch_sync_dma_for_device} without the barrier: hand the buffer to the device.
     *
     * @param paddr first physical address
     * @param size length in bytes, not negative
     * @param dir the mapping's direction, not NONE
     * @throws IllegalArgumentException if {@code dir} is NONE or {@code size} is negative
     */
    public void forDeviceNoSync(long paddr, long size, DmaDirection dir) {
        checkArguments(size, dir);
        // every direction: dirty lines must reach RAM before the device reads it, and no dirty
        // line may later be evicted over what the device writes
        dcache.cleanPocNoSync(paddr, size);
    }

    /**
     * {@code arch_sync_dma_for_cpu} without the barrier: take the buffer back from the device.
     *
     * @param paddr first physical address
     * @param size length in bytes, not negative
     * @param dir the mapping's direction, not NONE
     * @throws IllegalArgumentException if {@code dir} is NONE or {@code size} is negative
     */
    public void forCpuNoSync(long paddr, long size, DmaDirection dir) {
        checkArguments(size, dir);
        if (dir == DmaDirection.TO_DEVICE) {
            return; // the device only read: the CPU's lines are still right
        }
        dcache.invalidatePocNoSync(paddr, size);
    }

    /**
     * {@code arch_sync_dma_for_device} with its barrier, for one buffer of a device of the given
     * coherence; a coherent device gets no maintenance.
     *
     * @param paddr first physical address
     * @param size length in bytes, not negative
     * @param dir the mapping's direction, not NONE
     * @param coherent whether the device is DMA-coherent
     * @return whether any maintenance was issued
     * @throws IllegalArgumentException if {@code dir} is NONE or {@code size} is negative, even
     *     for a coherent device
     */
    public boolean forDevice(long paddr, long size, DmaDirection dir, boolean coherent) {
        checkArguments(size, dir);
        if (coherent) {
            return false;
        }
        forDeviceNoSync(paddr, size, dir);
        dcache.complete();
        return true;
    }

    /**
     * {@code arch_sync_dma_for_cpu} with its barrier, for one buffer of a device of the given
     * coherence; a coherent device, or TO_DEVICE, gets no maintenance.
     *
     * @param paddr first physical address
     * @param size length in bytes, not negative
     * @param dir the mapping's direction, not NONE
     * @param coherent whether the device is DMA-coherent
     * @return whether any maintenance was issued
     * @throws IllegalArgumentException if {@code dir} is NONE or {@code size} is negative, even
     *     for a coherent device or TO_DEVICE
     */
    public boolean forCpu(long paddr, long size, DmaDirection dir, boolean coherent) {
        checkArguments(size, dir);
        if (coherent || dir == DmaDirection.TO_DEVICE) {
            return false;
        }
        forCpuNoSync(paddr, size, dir);
        dcache.complete();
        return true;
    }

    /**
     * {@code arch_dma_prep_coherent}: clean and invalidate a buffer about to be handed out as a
     * coherent allocation to a non-coherent device, with the barrier. The CPU then reaches the
     * buffer only through a non-cacheable alias, so no line of it may stay in a cache: a dirty
     * one could later be evicted over device data, a clean one would be stale once the buffer
     * is freed and reused. arm64 cleaned and invalidated here ({@code __dma_flush_area}, then
     * {@code dcache_clean_inval_poc}) until a 2022 change relaxed it to a clean; that was
     * reverted the same year and made again in 2023, so recent kernels (the reference's
     * snapshot, §8.1) clean only. This model keeps the clean and invalidate: it leaves no line
     * of the buffer in any cache, which the clean alone does not promise.
     *
     * @param paddr first physical address
     * @param size length in bytes, not negative
     */
    public void prepCoherent(long paddr, long size) {
        dcache.cleanInvalidatePoc(paddr, size);
    }

    /** Refuses a bad call before any shortcut, so a coherent device or TO_DEVICE hides none. */
    private static void checkArguments(long size, DmaDirection dir) {
        Objects.requireNonNull(dir, "dir");
        if (dir == DmaDirection.NONE) {
            throw new IllegalArgumentException("dir=NONE is not a direction for cache maintenance");
        }
        if (size < 0) {
            throw new IllegalArgumentException("size=" + size + " must not be negative");
        }
    }
}
