package org.dmalib.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.dmalib.iommu.api.InvalidationStrategy;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code dmalib teardown}: maps a domain of granule-sized leaves, tears it down
 * ({@code unmap(0, size)} and {@code freeDomain}) under each strategy, and compares what the
 * driver submitted: a table, or one JSON object per strategy, and optionally an SVG bar chart.
 *
 * <p>Stateless; thread-safe.
 */
final class TeardownCommand {
    static final String NAME = "teardown";

    private static final String SIZE = "--size";
    private static final String JSON = "--json";
    private static final String SVG = "--svg";

    private TeardownCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = CommandSpec.create().name(NAME).mixinStandardHelpOptions(true);
        spec.usageMessage().description(
                "Map SIZE bytes as granule-sized leaf pages on a simulated SMMUv3 (gem5's), tear "
                        + "the domain down as VFIO does (unmap(0, SIZE), then free it) once per "
                        + "strategy, and compare the invalidation commands each one submitted, "
                        + "their modelled time (commands and syncs priced by gem5's cost model) "
                        + "and the wall time on this machine.",
                "",
                "Memory: the page tables are kept on the heap, 8 bytes per mapped page plus "
                        + "the model's overhead (64G at 4K: up to 1.7 GB and 20 s per strategy; "
                        + "raise the heap with JDK_JAVA_OPTIONS=-Xmx4g if needed). A progress bar "
                        + "appears on standard error when a run takes "
                        + "more than a second and standard error is a terminal.");
        spec.addOption(OptionSpec.builder(SIZE).type(String.class).paramLabel("SIZE")
                .defaultValue("1G")
                .description("bytes to map and tear down: a multiple of the granule, at most 64G; "
                        + "K, M, G suffixes or 0x hex (default: ${DEFAULT-VALUE})")
                .build());
        Args.addSmmuOptions(spec, "comma-separated strategies to compare");
        spec.addOption(OptionSpec.builder(JSON).type(boolean.class)
                .description("one JSON object per strategy and line: strategy, tlbiCommands, "
                        + "syncCommands, asidInvalidations, modelledNanos, wallNanos")
                .build());
        spec.addOption(OptionSpec.builder(SVG).type(String.class).paramLabel("FILE")
                .description("also write a bar chart of commands and wall time to FILE (SVG)")
                .build());
        return spec;
    }

    /**
     * Runs the comparison.
     *
     * @param parsed the sub-command's parse result
     * @param out where the table or JSON goes
     * @param err where the progress bar and write errors go
     * @param terminal whether standard error is a terminal (progress may be drawn)
     * @param clock nanoseconds, for the progress bar's threshold
     * @return {@link Main#OK}, or {@link Main#FAILED} if the chart could not be written
     * @throws IllegalArgumentException naming a bad option value
     */
    static int run(ParseResult parsed, PrintWriter out, PrintWriter err, boolean terminal,
            LongSupplier clock) {
        String sizeText = parsed.matchedOptionValue(SIZE, "1G");
        String granuleText = parsed.matchedOptionValue(Args.GRANULE, "4K");
        int granule = Args.granule(Args.GRANULE, granuleText);
        long size = Args.positiveSize(SIZE, sizeText);
        Args.checkAligned(SIZE, sizeText, size, granule);
        if (size > Teardown.MAX_SIZE) {
            throw new IllegalArgumentException(SIZE + "=" + sizeText
                    + ": at most 64G (the model keeps every page table on the heap)");
        }
        List<InvalidationStrategy> strategies =
                Args.strategies(Args.STRATEGY, parsed.matchedOptionValue(Args.STRATEGY, Args.ALL_STRATEGIES));
        boolean ril = !Args.flag(parsed, Args.NO_RIL);
        boolean json = Args.flag(parsed, JSON);
        String svg = parsed.matchedOptionValue(SVG, (String) null);

        Progress progress = new Progress(err, terminal && !json, clock);
        List<Teardown.Result> results = new ArrayList<>();
        try {
            Teardown.warmUp(strategies, ril, granule);
            for (InvalidationStrategy s : strategies) {
                results.add(Teardown.run(s, ril, granule, size, progress));
            }
        } finally {
            progress.finish();
        }
        if (json) {
            results.forEach(r -> out.println(r.json()));
        } else {
            table(out, size, granule, ril, results);
        }
        if (svg != null) {
            String title = String.format(Locale.ROOT, "Tearing down %s of %s leaves, %s",
                    Args.human(size), Args.human(granule), ril ? "RIL" : "no RIL");
            try {
                Files.writeString(Path.of(svg), BarChart.svg(title, results),
                        StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                err.println("dmalib " + NAME + ": " + SVG + "=" + svg + ": cannot write: " + e);
                return Main.FAILED;
            }
        }
        return Main.OK;
    }

    /** Prints the results as a table, one row per strategy. */
    static void table(PrintWriter out, long size, int granule, boolean ril,
            List<Teardown.Result> results) {
        out.printf("Teardown of %s mapped as %s leaves (unmap(0, %s) + freeDomain), SMMU %s:%n",
                Args.human(size), Args.human(granule), Args.human(size),
                ril ? "with RIL" : "without RIL");
        out.printf("%-9s %12s %6s %9s %14s %12s%n", "strategy", "TLBI", "ASID", "CMD_SYNC",
                "modelled us", "wall ms");
        for (Teardown.Result r : results) {
            out.printf(Locale.ROOT, "%-9s %12d %6d %9d %14.3f %12.3f%n", Args.name(r.strategy()),
                    r.tlbiCommands(), r.asidInvalidations(), r.syncCommands(),
                    r.modelledNanos() / 1e3, r.wallNanos() / 1e6);
        }
        out.println("TLBI counts every TLBI command, ASID-wide ones included. Modelled time "
                + "prices each command");
        out.println("at 30 ns and each CMD_SYNC at 300 ns (gem5's model); wall time is this "
                + "JVM's, after a warm-up.");
    }
}
