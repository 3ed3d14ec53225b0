/**
 * arm64 cache maintenance for DMA: {@code dcache_clean_poc}, {@code dcache_inval_poc},
 * {@code dcache_clean_inval_poc} (with their {@code _nosync} forms and one completing barrier)
 * and {@code arch_sync_dma_for_device} / {@code arch_sync_dma_for_cpu}.
 *
 * <p>The primitives are in {@code org.dmalib.arch.coherency.internal.cache}, exported only to
 * the DMA API (and, with the SMMU, to its driver for non-coherent table walks).
 */
module org.dmalib.arch.coherency {
    requires org.dmalib.hw;
    requires transitive org.dmalib.iommu.api;

    exports org.dmalib.arch.coherency;

    // dma-ops is the only caller of arch_sync_dma_*: it owns the order of cache maintenance
    // around mapping, syncing and unmapping. The SMMU driver cleans the page-table entries it
    // writes when the SMMU's table walks are not coherent (io-pgtable's non-coherent walker).
    exports org.dmalib.arch.coherency.internal.cache to
            org.dmalib.dma.ops,
            org.dmalib.iommu.smmu;
}
