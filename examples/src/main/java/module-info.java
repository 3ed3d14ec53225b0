/** Third-party-style drivers and device models that use only dmalib's public API. */
module org.dmalib.examples {
    requires org.dmalib.dma.ops;
    requires org.dmalib.hw;

    exports org.dmalib.examples;
}
