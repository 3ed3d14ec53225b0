/**
 * The IOMMU API: the value types shared by the DMA API and the IOMMU side (transfer direction,
 * scatterlists, protections, page sizes), the IOMMU core's domain ({@code map}, {@code unmap},
 * {@code iovaToPhys}), the driver SPI, and the TLB-maintenance primitives (IOTLB gather,
 * invalidation planning, cost model).
 *
 * <p>Drivers for devices see only {@code org.dmalib.iommu.api}. The SPI and the TLB primitives
 * are exported to the DMA API, and to the SMMU driver once it exists.
 */
module org.dmalib.iommu.api {
    // @CheckReturnValue and friends are part of the API contract, read by Error Prone when
    // clients compile; not needed at run time.
    requires static transitive com.google.errorprone.annotations;
    // Flight Recorder events of map and unmap (org.dmalib.iommu.api.internal.jfr, not exported:
    // JFR opens an event's package to itself when it registers the class).
    requires jdk.jfr;

    exports org.dmalib.iommu.api;

    // dma-ops unmaps through GatheringDomain: unmapFast for every segment, then one iotlbSync
    // (strict) or none (lazy, its flush queue calls flushIotlbAll). The SMMU driver implements
    // the domain ops and the io-pgtable flush ops.
    exports org.dmalib.iommu.api.spi to
            org.dmalib.dma.ops,
            org.dmalib.iommu.smmu;
    // dma-ops owns the IOTLB gather of every unmap and marks it queued for its flush queue; the
    // SMMU driver fills the gather from its page tables and turns plans into commands.
    exports org.dmalib.iommu.api.internal.tlb to
            org.dmalib.dma.ops,
            org.dmalib.iommu.smmu;
}
