/** The dmalib command. */
module org.dmalib.cli {
    requires org.dmalib.examples;
    requires org.dmalib.dma.ops;
    requires info.picocli;
}
