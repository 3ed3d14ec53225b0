package org.dmalib.cli;

import java.io.PrintWriter;
import org.dmalib.examples.CopyEngineScenario;
import org.dmalib.examples.DriverVariant;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code dmalib demo}: the guided tour. Runs the copy-engine driver correctly and with each of
 * its two missing-sync bugs on a fresh machine, and says in plain words what the hardware saw.
 *
 * <p>Stateless; thread-safe.
 */
final class DemoCommand {
    static final String NAME = "demo";

    private static final String BYTES = "--bytes";

    private DemoCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = CommandSpec.create().name(NAME).mixinStandardHelpOptions(true);
        spec.usageMessage().description(
                "Run a DMA copy engine driver on a simulated machine: once correctly, then with a "
                        + "missing sync for the device and a missing sync for the CPU, and show "
                        + "what the caches and the device did.");
        spec.addOption(OptionSpec.builder(BYTES)
                .type(int.class)
                .paramLabel("N")
                .defaultValue(Integer.toString(CopyEngineScenario.DEFAULT_SIZE))
                .description("bytes to copy, from 1 to 1048576 (default: ${DEFAULT-VALUE})")
                .build());
        return spec;
    }

    /**
     * Runs the tour.
     *
     * @return {@link Main#OK} when the correct driver got the right data and both bugs were
     *     visible as wrong data, else {@link Main#FAILED}
     * @throws IllegalArgumentException if {@code --bytes} is out of range
     */
    static int run(ParseResult parsed, PrintWriter out) {
        int bytes = parsed.matchedOptionValue(BYTES, CopyEngineScenario.DEFAULT_SIZE);
        CopyEngineScenario.Result correct = CopyEngineScenario.run(DriverVariant.CORRECT, bytes);
        CopyEngineScenario.Result noDeviceSync =
                CopyEngineScenario.run(DriverVariant.MISSING_SYNC_FOR_DEVICE, bytes);
        CopyEngineScenario.Result noCpuSync =
                CopyEngineScenario.run(DriverVariant.MISSING_SYNC_FOR_CPU, bytes);

        out.printf("dmalib demo: a DMA copy engine on a non-coherent stream copies %d bytes.%n", bytes);
        out.println("The CPU's data cache is write-back and the engine reads and writes RAM only, so");
        out.println("the driver must let the DMA API clean the cache before the copy and invalidate");
        out.println("it after. Each run below starts on a fresh 64 MiB machine with 64-byte lines.");
        out.println();
        report(out, 1, "The correct driver: fill the source, map source TO_DEVICE and destination "
                + "FROM_DEVICE, start the engine, unmap both, read the destination.", correct,
                "the CPU read back exactly what it wrote.",
                "the CPU did not read back what it wrote: the model is broken.");
        report(out, 2, "A bug: the driver maps the source first and writes it afterwards, without "
                + "syncing it for the device.", noDeviceSync,
                "the data came out right anyway, so this run did not show the bug.",
                "the engine read stale RAM: the new source bytes were still dirty in the CPU "
                        + "cache, and nothing cleaned them after the map.");
        report(out, 3, "A bug: the driver reads the destination before unmapping it (no sync for "
                + "the CPU).", noCpuSync,
                "the data came out right anyway, so this run did not show the bug.",
                "the CPU read the lines it had cached when it zeroed the buffer: the engine's "
                        + "data was in RAM, but nothing invalidated the stale lines.");
        boolean asExpected = correct.dataCorrect() && !noDeviceSync.dataCorrect()
                && !noCpuSync.dataCorrect();
        out.println(asExpected
                ? "Both bugs were caught by the data itself, not by a review: that is what the "
                        + "model is for."
                : "Unexpected: the correct driver should be right and both buggy ones wrong.");
        return asExpected ? Main.OK : Main.FAILED;
    }

    private static void report(PrintWriter out, int n, String what,
            CopyEngineScenario.Result r, String whenRight, String whenWrong) {
        out.printf("%d. %s%n", n, what);
        out.printf("   The engine copied %d bytes. The DMA API cleaned %d cache lines, invalidated "
                + "%d and completed them with %d barriers.%n",
                r.bytesMoved(), r.linesCleaned(), r.linesInvalidated(), r.barriers());
        out.printf("   Data %s: %s%n%n", r.dataCorrect() ? "RIGHT" : "WRONG",
                r.dataCorrect() ? whenRight : whenWrong);
    }
}
