package org.dmalib.iommu.api;

/**
 * What a paging domain is for ({@code IOMMU_DOMAIN_*}). The type does not change how the IOMMU
 * core maps and unmaps; it tells the DMA API which invalidation policy the domain's user wants.
 *
 * <p>Thread-safety: immutable constants; safe to use from any thread.
 */
public enum DomainType {
    /** The user maps and unmaps IOVA ranges itself (VFIO, iommufd). */
    UNMANAGED,
    /** Used by the DMA API with strict invalidation: every unmap is synced before it returns. */
    DMA,
    /** Used by the DMA API with a flush queue: unmaps are invalidated lazily, ASID-wide. */
    DMA_FQ;

    /** {@return whether the DMA API owns the domain's IOVA space (DMA or DMA_FQ)} */
    public boolean isDma() {
        return this != UNMANAGED;
    }
}
