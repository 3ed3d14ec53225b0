/**
 * The {@code dmalib} command: guided scenarios that run the example drivers on a simulated
 * machine and say in plain words what happened, and comparisons of the SMMUv3 driver's
 * invalidation strategies (teardown costs, the exact commands of one unmap), and the DMA
 * segments the real dma-iommu code makes of a scatterlist ({@code explain-sg}), and a check of
 * compiled driver code against dmalib's walls ({@code check-driver}).
 */
module org.dmalib.cli {
    requires org.dmalib.examples;
    requires org.dmalib.dma.ops;
    // teardown and plan drive the SMMUv3 driver and read its public UnmapPlan and cost model;
    // explain-sg probes it for its throw-away machine
    requires org.dmalib.iommu.smmu;
    requires info.picocli;

    exports org.dmalib.cli;
}
