/**
 * The simulated machine: sparse physical memory, CPUs with private write-back data caches kept
 * coherent with each other (but not with non-coherent DMA masters), and DMA masters that reach
 * memory through a {@link org.dmalib.hw.DmaPort} on a stream.
 *
 * <p>The cache maintenance <em>instructions</em> of the simulated CPU live in
 * {@code org.dmalib.hw.cache}: only the arm64 coherency code may issue them.
 */
module org.dmalib.hw {
    // @CheckReturnValue / @MustBeClosed are part of the API contract (documented annotations),
    // read by Error Prone when drivers compile; not needed at run time.
    requires static transitive com.google.errorprone.annotations;
    // Flight Recorder events of the SMMU model (org.dmalib.hw.internal.jfr, not exported: JFR
    // opens an event's package to itself when it registers the class).
    requires jdk.jfr;

    exports org.dmalib.hw;

    // arch-coherency implements arm64's dcache_*_poc and arch_sync_dma_* with DC CVAC/IVAC/CIVAC
    // and DSB; nobody else may issue cache maintenance.
    exports org.dmalib.hw.cache to
            org.dmalib.arch.coherency;

    // the SMMUv3 driver is the only software that programs the SMMU: registers, stream table,
    // command and event queues.
    exports org.dmalib.hw.smmu to
            org.dmalib.iommu.smmu;
}
