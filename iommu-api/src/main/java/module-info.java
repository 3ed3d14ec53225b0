/**
 * The IOMMU API: for now the value types shared by the DMA API and the IOMMU side (transfer
 * direction, scatterlists). Domains, the driver SPI and TLB maintenance join it with the SMMU.
 */
module org.dmalib.iommu.api {
    // @CheckReturnValue and friends are part of the API contract, read by Error Prone when
    // clients compile; not needed at run time.
    requires static transitive com.google.errorprone.annotations;

    exports org.dmalib.iommu.api;
}
