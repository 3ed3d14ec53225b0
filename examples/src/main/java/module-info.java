/** Third-party-style drivers and device models that use only dmalib's public API. */
module org.dmalib.examples {
    // transitive: the examples' public signatures use the DMA API and hardware-model types
    requires transitive org.dmalib.dma.ops;
    requires transitive org.dmalib.hw;

    exports org.dmalib.examples;
}
