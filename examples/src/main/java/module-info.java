/** Third-party-style drivers and device models that use only dmalib's public API. */
module org.dmalib.examples {
    // transitive: the examples' public signatures use the DMA API and hardware-model types
    requires transitive org.dmalib.dma.ops;
    requires transitive org.dmalib.hw;
    // transitive: the scenarios (composition roots, not drivers) put a device behind an SMMUv3
    // and report the SMMU driver's command counters in their results
    requires transitive org.dmalib.iommu.smmu;

    exports org.dmalib.examples;
}
