/**
 * The driver-facing DMA API.
 */
module org.dmalib.dma.ops {
    requires transitive org.dmalib.hw;
    requires transitive org.dmalib.iommu.api;
    requires org.dmalib.arch.coherency;
    requires static transitive com.google.errorprone.annotations;

    exports org.dmalib.dma.ops;
}
