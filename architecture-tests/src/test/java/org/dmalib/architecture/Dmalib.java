package org.dmalib.architecture;

/**
 * Package patterns of dmalib's modules, as ArchUnit package identifiers ({@code ..} = this
 * package and its subpackages). See DESIGN.md, "Visibility".
 */
final class Dmalib {
    static final String HW = "org.dmalib.hw..";
    /** Cache maintenance instructions of the simulated CPU: exported to the arch code only. */
    static final String HW_CACHE = "org.dmalib.hw.cache..";
    static final String HW_INTERNAL = "org.dmalib.hw.internal..";
    /** The SMMU's programming interface: registers, stream table, command and event queues. */
    static final String HW_SMMU = "org.dmalib.hw.smmu..";
    static final String IOMMU_API = "org.dmalib.iommu.api..";
    /** The IOMMU driver SPI: what an IOMMU driver implements and calls. */
    static final String IOMMU_SPI = "org.dmalib.iommu.api.spi..";
    /** TLB-maintenance primitives: the IOTLB gather, invalidation planning, the cost model. */
    static final String IOMMU_TLB = "org.dmalib.iommu.api.internal.tlb..";
    static final String ARCH_COHERENCY = "org.dmalib.arch.coherency..";
    /** Cache maintenance primitives and arch DMA sync: exported to dma.ops (and the SMMU). */
    static final String ARCH_COHERENCY_INTERNAL = "org.dmalib.arch.coherency.internal..";
    /** The SMMU driver module: DESIGN.md grants it the arch primitives (non-coherent table walks). */
    static final String IOMMU_SMMU = "org.dmalib.iommu.smmu..";
    static final String DMA_OPS = "org.dmalib.dma.ops..";
    /** The exported DMA API package itself, without its subpackages. */
    static final String DMA_OPS_API = "org.dmalib.dma.ops";
    static final String DMA_OPS_INTERNAL = "org.dmalib.dma.ops.internal..";
    static final String EXAMPLES = "org.dmalib.examples..";
    static final String CLI = "org.dmalib.cli..";

    /** Why, in one place: the rules' {@code because} clauses point here. */
    static final String DESIGN = "see DESIGN.md, 'Visibility'";

    private Dmalib() {}
}
