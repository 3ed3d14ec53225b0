package org.dmalib.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.dmalib.examples.BlockScenario;
import org.dmalib.examples.IommuMode;
import org.dmalib.examples.NicScenario;
import org.dmalib.dma.ops.DebugMode;
import org.dmalib.examples.ScenarioConfig;
import org.dmalib.examples.ScenarioResult;
import org.dmalib.hw.Coherency;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code dmalib run nic|block}: runs one of the example ring drivers ({@link NicScenario},
 * {@link BlockScenario}) for a number of operations and prints throughput, IOTLB hit rate,
 * invalidations, cache maintenance and data errors: a few lines, or one JSON object.
 *
 * <p>Stateless; thread-safe.
 */
final class RunCommand {
    static final String NAME = "run";

    private static final String OPS = "--ops";
    private static final String MODE = "--mode";
    private static final String SEED = "--seed";
    private static final String COHERENT = "--coherent";
    private static final String JSON = "--json";
    private static final String DEFAULT_OPS = "1000";
    /** Operations of the untimed warm-up run, so that the JIT's first compiles are not timed. */
    private static final int WARM_UP_OPS = 500;

    private RunCommand() {}

    static CommandSpec spec() {
        CommandSpec spec = CommandSpec.create().name(NAME).mixinStandardHelpOptions(true);
        spec.usageMessage().description(
                "Run an example driver on a simulated machine: nic moves OPS packets in each "
                        + "direction through RX and TX descriptor rings (RX buffers recycled, TX "
                        + "packets mapped one by one); block runs OPS scatter-gather requests "
                        + "(half reads, half writes, 1 to 8 segments at sub-page offsets). Every "
                        + "payload is checked. Prints the wall-clock throughput, the IOTLB hit "
                        + "rate, the invalidation commands the SMMUv3 driver submitted, the cache "
                        + "maintenance and the data errors.",
                "",
                "Counts cover the operations only, not the driver's start and stop; wall time "
                        + "is this JVM's, after an untimed warm-up run of " + WARM_UP_OPS
                        + " operations. Exit status 1 if any payload arrived wrong, a mapping "
                        + "was left pending after teardown or the DMA-API debug checks reported "
                        + "a misuse.");
        spec.addPositional(PositionalParamSpec.builder().index("0").type(String.class)
                .paramLabel("DRIVER").description("nic or block").build());
        spec.addOption(OptionSpec.builder(OPS).type(String.class).paramLabel("N")
                .defaultValue(DEFAULT_OPS)
                .description("packets in each direction (nic) or requests (block), 1 to "
                        + ScenarioConfig.MAX_OPERATIONS + " (default: ${DEFAULT-VALUE})")
                .build());
        spec.addOption(OptionSpec.builder(MODE).type(String.class).paramLabel("MODE")
                .defaultValue("strict")
                .description("strict or lazy: the device behind an SMMUv3 with strict or lazy "
                        + "unmaps; direct: no IOMMU (default: ${DEFAULT-VALUE})")
                .build());
        spec.addOption(OptionSpec.builder(SEED).type(String.class).paramLabel("N")
                .defaultValue(Long.toString(ScenarioConfig.DEFAULT_SEED))
                .description("seed of the random payloads and layouts (default: ${DEFAULT-VALUE})")
                .build());
        spec.addOption(OptionSpec.builder(COHERENT).type(boolean.class)
                .description("a DMA-coherent device (no cache maintenance); default non-coherent")
                .build());
        spec.addOption(OptionSpec.builder(JSON).type(boolean.class)
                .description("one JSON object: driver, mode, coherent, operations, bytes, "
                        + "wallNanos, opsPerSecond, megabytesPerSecond, translations, iotlbHits, "
                        + "iotlbMisses, iotlbHitRate, walks, tlbiCommands, asidInvalidations, "
                        + "cmdSyncs, lazyFlushes, linesCleaned, linesInvalidated, "
                        + "linesCleanInvalidated, barriers, smmuFaults, deviceErrors, dataErrors, "
                        + "pendingMappings, debugReports")
                .build());
        return spec;
    }

    /**
     * Runs the scenario and prints its result.
     *
     * @param parsed the sub-command's parse result
     * @param out where the report goes
     * @return {@link Main#OK}, or {@link Main#FAILED} if any payload arrived wrong, a mapping
     *     was left pending or the debug checks reported a misuse
     * @throws IllegalArgumentException naming a bad option value
     */
    static int run(ParseResult parsed, PrintWriter out) {
        String driver = parsed.matchedPositionalValue(0, "");
        String opsText = parsed.matchedOptionValue(OPS, DEFAULT_OPS);
        IommuMode mode = mode(parsed.matchedOptionValue(MODE, "strict"));
        long ops = Args.count(OPS, opsText);
        if (ops < 1 || ops > ScenarioConfig.MAX_OPERATIONS) {
            throw new IllegalArgumentException(
                    OPS + "=" + opsText + ": must be from 1 to " + ScenarioConfig.MAX_OPERATIONS);
        }
        String seedText = parsed.matchedOptionValue(SEED, Long.toString(ScenarioConfig.DEFAULT_SEED));
        long seed;
        try {
            seed = Long.parseLong(seedText.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(SEED + "=" + seedText + ": not a decimal integer");
        }
        boolean coherent = Args.flag(parsed, COHERENT);
        // WARN: a report (a bug in the example driver) is counted and printed, not thrown
        ScenarioConfig config = ScenarioConfig.of((int) ops, mode).withSeed(seed)
                .withCoherency(coherent ? Coherency.COHERENT : Coherency.NON_COHERENT)
                .withDebug(DebugMode.WARN);
        boolean nic = switch (driver.toLowerCase(Locale.ROOT)) {
            case "nic" -> true;
            case "block" -> false;
            default -> throw new IllegalArgumentException(
                    "DRIVER=" + driver + ": unknown driver (nic or block)");
        };
        ScenarioConfig warmUp = ScenarioConfig.of(WARM_UP_OPS, mode).withSeed(seed + 1)
                .withCoherency(config.coherency());
        ScenarioResult r;
        if (nic) {
            NicScenario.run(warmUp);
            r = NicScenario.run(config);
        } else {
            BlockScenario.run(warmUp);
            r = BlockScenario.run(config);
        }
        if (Args.flag(parsed, JSON)) {
            out.println(RunReport.json(r));
        } else {
            RunReport.text(out, r);
        }
        return r.dataErrors() == 0 && r.pendingMappings() == 0 && r.debugReportCount() == 0
                ? Main.OK : Main.FAILED;
    }

    private static IommuMode mode(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "strict" -> IommuMode.STRICT;
            case "lazy" -> IommuMode.LAZY;
            case "direct" -> IommuMode.DIRECT;
            default -> throw new IllegalArgumentException(
                    MODE + "=" + text + ": unknown mode (strict, lazy or direct)");
        };
    }
}
