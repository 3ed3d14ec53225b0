/**
 * The {@code dmalib} command: guided scenarios that run the example drivers on a simulated
 * machine and say in plain words what happened.
 */
module org.dmalib.cli {
    requires org.dmalib.examples;
    requires org.dmalib.dma.ops;
    requires info.picocli;

    exports org.dmalib.cli;
}
