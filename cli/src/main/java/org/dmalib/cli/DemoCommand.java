package org.dmalib.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.dmalib.dma.ops.DmaDebugReport;
import org.dmalib.examples.CopyEngineScenario;
import org.dmalib.examples.DriverVariant;
import org.dmalib.iommu.api.InvalidationStrategy;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code dmalib demo}: the guided tour. Runs the copy-engine driver correctly and with each of
 * its two missing-sync bugs on a fresh machine, and says in plain words what the hardware saw;
 * then compares the SMMUv3 driver's invalidation strategies on a 64 MiB domain teardown.
 *
 * <p>Stateless; thread-safe.
 */
final class DemoCommand {
    static final String NAME = "demo";

    private static final String BYTES = "--bytes";
    // the copy engine scenario's largest payload: 1 MiB
    private static final int MAX_BYTES = 1 << 20;
    private static final long TEARDOWN_SIZE = 64L << 20;
    private static final int TEARDOWN_GRANULE = 4096;

    private DemoCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = CommandSpec.create().name(NAME).mixinStandardHelpOptions(true);
        spec.usageMessage().description(
                "Run a DMA copy engine driver on a simulated machine: once correctly, then with a "
                        + "missing sync for the device and a missing sync for the CPU, and show "
                        + "what the caches and the device did. Then tear down a 64 MiB IOMMU "
                        + "domain under each invalidation strategy, with and without range "
                        + "invalidation, and compare the commands.");
        spec.addOption(OptionSpec.builder(BYTES)
                .type(int.class)
                .paramLabel("N")
                .defaultValue(Integer.toString(CopyEngineScenario.DEFAULT_SIZE))
                .description("bytes to copy, from 1 to " + MAX_BYTES + " (default: ${DEFAULT-VALUE})")
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
        // refused as the user wrote it, not as the scenario's size parameter
        if (bytes < 1 || bytes > MAX_BYTES) {
            throw new IllegalArgumentException(
                    BYTES + "=" + bytes + " must be from 1 to " + MAX_BYTES);
        }
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
        asExpected = asExpected && correct.debugReports().isEmpty()
                && !noDeviceSync.debugReports().isEmpty() && !noCpuSync.debugReports().isEmpty();
        out.println(asExpected
                ? "Both bugs were caught by the data itself, not by a review, and the DMA-API "
                        + "debug checks named the call that broke the rules: that is what the "
                        + "model is for."
                : "Unexpected: the correct driver should be right and both buggy ones wrong.");
        out.println();
        teardown(out);
        return asExpected ? Main.OK : Main.FAILED;
    }

    /** Part 4: the teardown comparison at {@link #TEARDOWN_SIZE}, every strategy, RIL on and off. */
    private static void teardown(PrintWriter out) {
        out.printf("4. Tearing down a %s IOMMU domain of %s pages on an SMMUv3: unmap all of it, "
                + "then free the domain, once per invalidation strategy, on an SMMU with range "
                + "invalidation (RIL) and on one without.%n", Args.human(TEARDOWN_SIZE),
                Args.human(TEARDOWN_GRANULE));
        out.printf("   %-9s %-4s %14s %9s %9s%n", "strategy", "RIL", "TLBI commands", "CMD_SYNC",
                "wall ms");
        List<InvalidationStrategy> strategies = List.of(InvalidationStrategy.values());
        Teardown.warmUp(strategies, true, TEARDOWN_GRANULE);
        List<Teardown.Result> results = new ArrayList<>();
        for (boolean ril : new boolean[] {true, false}) {
            for (InvalidationStrategy s : strategies) {
                results.add(Teardown.run(s, ril, TEARDOWN_GRANULE, TEARDOWN_SIZE, null));
            }
        }
        for (Teardown.Result r : results) {
            out.printf(Locale.ROOT, "   %-9s %-4s %14d %9d %9.2f%n", Args.name(r.strategy()),
                    r.ril() ? "on" : "off", r.tlbiCommands(), r.syncCommands(),
                    r.wallNanos() / 1e6);
        }
        out.println("   Per-page sends one command for every 4K page, whatever the SMMU can do.");
        out.println("   Linux sends one range command per 2M page table it frees when the SMMU "
                + "has RIL, and");
        out.println("   otherwise one command that drops the whole address space. Optimal "
                + "sends the fewest exact");
        out.println("   commands, or drops the address space when a cost model says that is "
                + "cheaper, counting");
        out.println("   the refills of the pages still mapped. All three leave no stale "
                + "translation behind; they");
        out.println("   differ in cost. Try other sizes with 'dmalib teardown', and see the "
                + "commands of one unmap");
        out.println("   with 'dmalib plan'.");
    }

    private static void report(PrintWriter out, int n, String what,
            CopyEngineScenario.Result r, String whenRight, String whenWrong) {
        out.printf("%d. %s%n", n, what);
        // a partial line at a buffer's end is cleaned and invalidated, never just invalidated
        String partial = r.linesCleanInvalidated() == 0 ? "" : String.format(Locale.ROOT,
                ", cleaned and invalidated %d (partial lines shared with other data)",
                r.linesCleanInvalidated());
        out.printf("   The engine copied %d bytes. The DMA API cleaned %d cache lines, invalidated "
                + "%d%s and completed them with %d barriers.%n",
                r.bytesMoved(), r.linesCleaned(), r.linesInvalidated(), partial, r.barriers());
        out.printf("   Data %s: %s%n", r.dataCorrect() ? "RIGHT" : "WRONG",
                r.dataCorrect() ? whenRight : whenWrong);
        if (r.debugReports().isEmpty()) {
            out.printf("   The DMA-API debug checks reported nothing.%n%n");
            return;
        }
        for (DmaDebugReport d : r.debugReports()) {
            out.printf("   DMA-API debug: %s: %s%n", d.check(), d.message());
            if (!d.mappedAt().isEmpty()) {
                out.printf("     (mapping made at %s)%n", d.mappedAt().get(0));
            }
        }
        out.println();
    }
}
