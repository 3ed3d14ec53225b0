package org.dmalib.dma.ops;

/**
 * How a device's unmaps over an IOMMU invalidate the IOTLB (reference §3.7).
 *
 * <p>Thread-safety: immutable constants; safe to use from any thread.
 */
public enum FlushMode {
    /**
     * Every unmap gathers its leaf invalidations and syncs them before it returns; the IOVA is
     * free for reuse at once ({@code IOMMU_DOMAIN_DMA}, {@code iommu.strict=1}).
     */
    STRICT,
    /**
     * Unmaps invalidate nothing themselves: the range waits in the domain's flush queue until a
     * whole-domain IOTLB flush, forced by a full per-CPU ring of 256 entries or by a 10 ms
     * timeout, has run after it; a device may reach the old pages until then
     * ({@code IOMMU_DOMAIN_DMA_FQ}, {@code iommu.strict=0}).
     */
    LAZY
}
