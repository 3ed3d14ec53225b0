/**
 * The driver-facing DMA API.
 */
module org.dmalib.dma.ops {
    // the DMA-API debug reports are Flight Recorder events (internal.jfr, not exported)
    requires jdk.jfr;
    requires transitive org.dmalib.hw;
    requires transitive org.dmalib.iommu.api;
    requires org.dmalib.arch.coherency;
    // Main code needs only the IOMMU domain (org.dmalib.iommu.api); the SMMUv3 driver is read
    // by the tests, which run patched into this module and drive the IOMMU path end to end
    // through a real SMMU. A test-scoped dependency would put the driver on the class path,
    // where the qualified exports it needs (org.dmalib.hw.smmu, the IOMMU SPI) do not reach
    // it. DESIGN.md's layering allows dma.ops to read iommu.smmu.
    requires org.dmalib.iommu.smmu;
    requires static transitive com.google.errorprone.annotations;

    exports org.dmalib.dma.ops;
}
